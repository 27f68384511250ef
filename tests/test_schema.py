"""The bundled JSON Schema: well-formed, one file in two places, shipped inside the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import validators

from scorecards_sync.validation import load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGED = REPO_ROOT / "scorecards_sync" / "schemas" / "scorecard.schema.json"
TOP_LEVEL = REPO_ROOT / "schemas" / "scorecard.schema.json"


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    cls = validators.validator_for(schema)
    assert cls.__name__ == "Draft202012Validator"
    cls.check_schema(schema)


def test_top_level_schema_is_a_relative_symlink_to_the_packaged_one() -> None:
    assert TOP_LEVEL.read_bytes() == PACKAGED.read_bytes()
    if TOP_LEVEL.is_symlink():  # a checkout without symlink support holds a copy
        assert not TOP_LEVEL.readlink().is_absolute()
        assert TOP_LEVEL.resolve() == PACKAGED.resolve()


def test_load_schema_reads_the_packaged_file() -> None:
    assert load_schema() == json.loads(PACKAGED.read_text(encoding="utf-8"))


def test_every_property_is_described_for_editors() -> None:
    undescribed = [
        name
        for node in _objects(load_schema())
        for name, sub in node.get("properties", {}).items()
        if "description" not in sub and "$ref" not in sub
    ]
    # `include`/`exclude` refer to a shared definition; everything else says what it is.
    assert undescribed == []


def test_every_object_refuses_unknown_keys() -> None:
    open_objects = [
        sorted(node.get("properties", {}))
        for node in _objects(load_schema())
        if node.get("type") == "object" and node.get("additionalProperties") is not False
    ]
    assert open_objects == []


def test_check_jsonschema_style_use_of_the_top_level_file_accepts_the_examples() -> None:
    schema = json.loads(TOP_LEVEL.read_text(encoding="utf-8"))
    validator = validators.validator_for(schema)(schema)
    for path in sorted((REPO_ROOT / "examples" / "scorecards").glob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert errors == [], path


def _copy_source(destination: Path) -> None:
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "scorecards_sync", destination / "scorecards_sync", ignore=ignore)
    shutil.copy2(REPO_ROOT / "pyproject.toml", destination)
    readme = REPO_ROOT / "README.md"
    if readme.exists():
        shutil.copy2(readme, destination)
    else:  # the lead's README may not exist yet; the build only needs the file to exist
        (destination / "README.md").write_text("# scorecards-sync\n", encoding="utf-8")


@pytest.mark.slow
def test_validation_works_from_the_built_wheel_outside_the_source_tree(tmp_path: Path) -> None:
    # Build from a copy so that no build/ or *.egg-info lands in the working tree.
    source = tmp_path / "source"
    _copy_source(source)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("scorecards_sync-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "scorecards_sync/schemas/scorecard.schema.json" in archive.namelist()
        archive.extractall(tmp_path / "installed")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed")}

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.resources as r; print(r.files('scorecards_sync.schemas'))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "installed")

    examples = REPO_ROOT / "examples" / "scorecards"
    result = subprocess.run(
        [sys.executable, "-m", "scorecards_sync", "validate", str(examples)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "files checked: 1 warning" in result.stderr
