"""`schema_check` must never accept what jsonschema refuses (validate trusts its yes).

Compared on every descriptor the tests, the examples and the shared corpus hold, and on
thousands of mutations of them: each value replaced by values of every JSON type and by
edge cases of the keywords the schema uses, keys added and removed, list items doubled.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.schema_check import UnsupportedSchema, compile_schema
from scorecards_sync.validation import _validator, load_schema

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "scorecards"
EXAMPLES = {path.name for path in (ROOT / "examples" / "scorecards").glob("*.yaml")}
REPLACEMENTS: tuple[Any, ...] = (
    None, True, 1, 1.0, 1.5, 3, "", "x", "Bronze", "not a date", [], ["x", "x"], [1, True], {},
)  # fmt: skip


def _documents() -> Iterator[tuple[str, Any]]:
    folders = [ROOT / "tests" / "data", ROOT / "examples" / "scorecards", CORPUS]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.y*ml")):
            try:
                for index, data in enumerate(yaml.safe_load_all(path.read_bytes())):
                    yield f"{path.name}#{index}", data
            except (yaml.YAMLError, UnicodeDecodeError, ValueError, LookupError, OverflowError):
                # Bad inputs PyYAML cannot read (`!!bool maybe` raises KeyError, `!!int ""`
                # IndexError, a 5,000-digit integer ValueError, `"\\UA0001000"` OverflowError)
                # hold no data to compare.
                continue


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*here, index))


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`data` with the node at `path` replaced, copying only the containers on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    changed = copy.copy(data)
    changed[head] = _replaced(data[head], rest, value)
    return changed


def _mutations(data: Any) -> Iterator[Any]:
    for path in _paths(data):
        for value in REPLACEMENTS:
            yield _replaced(data, path, value)
        node = data
        for step in path:
            node = node[step]
        if isinstance(node, dict):
            yield _replaced(data, path, {**node, "unknownKey": 1})
            for key in node:
                yield _replaced(data, path, {k: v for k, v in node.items() if k != key})
        elif isinstance(node, list) and node:
            yield _replaced(data, path, [*node, node[0]])


def test_the_bundled_schema_compiles() -> None:
    compile_schema(load_schema())


@pytest.mark.parametrize(
    "schema",
    [{"oneOf": [{}]}, {"patternProperties": {}, "additionalProperties": False}, {"$ref": "x"}],
)
def test_a_keyword_it_does_not_implement_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)


def test_it_agrees_with_jsonschema_on_every_descriptor_and_their_mutations() -> None:
    schema = load_schema()
    accepts = compile_schema(schema)
    reference = _validator()  # jsonschema, over the schema with its $refs inlined
    compared = disagreements = 0
    seen: list[str] = []
    for name, data in _documents():
        # Every document as it is; the examples (which use every part of the schema) also
        # mutated, one change at a time.
        mutated = name.split("#")[0] in EXAMPLES
        for candidate in (data, *(_mutations(data) if mutated else ())):
            compared += 1
            if accepts(candidate) != reference.is_valid(candidate):
                disagreements += 1
                if len(seen) < 5:
                    seen.append(f"{name}: {candidate!r:.300}")
    assert compared > 4000  # the comparison really covered something
    assert disagreements == 0, "\n".join(seen)


def test_validate_of_a_valid_file_does_not_import_jsonschema_or_network_code() -> None:
    code = (
        "import sys; from scorecards_sync.cli import main; "
        "code = main(['validate', 'examples/scorecards/code-quality.yaml']); "
        "heavy = [m for m in ('jsonschema', 'httpx', 'git', 'deepdiff', "
        "'scorecards_sync.planner', 'scorecards_sync.cortex.client') if m in sys.modules]; "
        "print(code, heavy)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert ran.stdout.strip() == "0 []", ran.stdout + ran.stderr
