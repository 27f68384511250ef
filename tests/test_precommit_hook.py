"""The pre-commit hook, for real: `pre-commit try-repo` on this repository against a git repo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scorecards_sync.loader import is_descriptor_name

REPO_ROOT = Path(__file__).resolve().parents[1]
HOOK_ID = "scorecards-sync-validate"
GOOD = (REPO_ROOT / "examples" / "scorecards" / "production-readiness.yaml").read_text("utf-8")
BAD = "tag: bad\nname: Bad\nrule:\n  - title: A\n    expression: git != null\n"


def _pre_commit() -> str:
    found = Path(sys.executable).with_name("pre-commit")
    return str(found) if found.exists() else shutil.which("pre-commit") or "pre-commit"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _try_repo(repo: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(cache),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(
        [_pre_commit(), "try-repo", str(REPO_ROOT), HOOK_ID, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def test_hook_manifest_declares_an_offline_whole_folder_hook() -> None:
    [hook] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert hook["id"] == HOOK_ID
    assert hook["entry"] == "scorecards-sync validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert "args" not in hook  # validate checks the configured paths, else .cortex/scorecards


@pytest.mark.parametrize(
    "name",
    ["a.yaml", "a.yml", "a.YAML", "a.Yml", "b.yAmL", "a.json", "a.yaml.bak", "yaml", "a.YAMLX"],
)
def test_hook_runs_for_every_name_a_folder_scan_loads(name: str) -> None:
    """pre-commit filters staged files with `files` (Python `re.search`); the hook must run
    whenever a staged file is one the folder scan would load, whatever its case."""
    [hook] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert bool(re.search(hook["files"], f"dir/{name}")) is is_descriptor_name(name)


@pytest.mark.slow
def test_try_repo_fails_on_a_bad_descriptor_and_passes_on_good_ones(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    folder = repo / ".cortex" / "scorecards"
    folder.mkdir(parents=True)
    (folder / "production-readiness.yaml").write_text(GOOD, "utf-8")
    (folder / "bad.yaml").write_text(BAD, "utf-8")
    (repo / "unrelated.yml").write_text("not: a descriptor\n", "utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")

    failed = _try_repo(repo, tmp_path / "cache")
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert f"- hook id: {HOOK_ID}" in output
    assert ".cortex/scorecards/bad.yaml:3:1: error: unknown key `rule`; did you mean `rules`?" in (
        output
    )
    assert "production-readiness.yaml" not in output
    assert "Traceback" not in output

    _git(repo, "rm", "-q", "-f", ".cortex/scorecards/bad.yaml")
    passed = _try_repo(repo, tmp_path / "cache")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "validate Cortex scorecards" in passed.stdout
    assert "Passed" in passed.stdout


@pytest.mark.slow
def test_try_repo_checks_the_configured_paths(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sc").mkdir(parents=True)
    (repo / ".scorecards-sync.yaml").write_text("paths: [sc]\n", "utf-8")
    (repo / "sc" / "bad.yaml").write_text(BAD, "utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")

    failed = _try_repo(repo, tmp_path / "cache")
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "sc/bad.yaml:3:1: error: unknown key `rule`; did you mean `rules`?" in output
    assert ".cortex/scorecards" not in output
