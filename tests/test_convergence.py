"""Convergence: after `apply`, and after `pull`, a fresh `plan` shows no changes.

For every valid descriptor of the shared corpus of real Cortex files (each one alone,
against a fresh emulator: several corpus files share a tag) and of `examples/scorecards`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.emulator import Emulator
from scorecards_sync.workflow import load_source

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "scorecards"
EXAMPLES = REPO_ROOT / "examples" / "scorecards"

CORPUS_FILES = sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml")) if EXAMPLES.is_dir() else []


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))


def is_valid(path: Path) -> bool:
    return load_source([str(path)]).ok


def assert_converges(source: str, workdir: Path) -> None:
    state = str(workdir / "state.json")
    applied = run_cli("apply", source, "--emulator", state, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "0 failed" in applied.out
    replanned = run_cli("plan", source, "--emulator", state, "--detailed-exitcode")
    assert replanned.code == 0, f"plan after apply is not empty:\n{replanned.out}"

    pulled_dir = workdir / "pulled"
    pulled = run_cli("pull", "--dir", str(pulled_dir), "--emulator", state)
    assert pulled.code == 0, pulled.out + pulled.err
    assert (
        sorted(p.stem for p in pulled_dir.glob("*.yaml")) == Emulator(state_file=Path(state)).tags()
    )
    from_pull = run_cli("plan", str(pulled_dir), "--emulator", state, "--detailed-exitcode")
    assert from_pull.code == 0, f"plan after pull is not empty:\n{from_pull.out}{from_pull.err}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_corpus_descriptor_converges(path: Path, workdir: Path) -> None:
    if not is_valid(path):
        # Only the files the corpus marks as rejected by Cortex may be invalid; a valid file
        # refused by validation would silently shrink this test, so it fails instead.
        assert "UNVALIDATED" in path.name, f"{path.name} should be valid"
        pytest.skip("a negative example: Cortex rejects it, and so does validation")
    assert_converges(str(path), workdir)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_example_descriptor_converges(path: Path, workdir: Path) -> None:
    assert is_valid(path)
    assert_converges(str(path), workdir)


def test_all_examples_together_converge(workdir: Path) -> None:
    if not EXAMPLE_FILES:
        pytest.skip("examples/scorecards is empty")
    assert_converges(str(EXAMPLES), workdir)
    assert len(Emulator(state_file=workdir / "state.json").tags()) == len(EXAMPLE_FILES)


def test_rules_sharing_one_expression_converge(workdir: Path) -> None:
    """Cortex gives both rules one identifier and `pull` writes it twice: the pulled file
    plans empty, and an edit to one of its rules is shown as exactly that edit."""
    source = REPO_ROOT / "tests" / "data" / "convergence" / "one-expression-two-rules.yaml"
    assert is_valid(source)
    assert_converges(str(source), workdir)
    pulled_file = workdir / "pulled" / "one-expression-two-rules.yaml"
    pulled = pulled_file.read_text(encoding="utf-8")
    identifiers = [
        line.split(":")[1].strip() for line in pulled.splitlines() if "identifier:" in line
    ]
    assert len(identifiers) == 2 and identifiers[0] == identifiers[1]

    assert pulled.count("level: Bronze") == 1
    pulled_file.write_text(pulled.replace("level: Bronze", "level: Silver"), encoding="utf-8")
    state = str(workdir / "state.json")
    edited = run_cli("plan", str(pulled_file), "--emulator", state, "--format", "json")
    assert edited.code == 0, edited.err
    (change,) = json.loads(edited.out)["changes"]
    assert (change["action"], change["fields"]) == ("update", [])
    assert change["rules"] == [
        {
            "title": "Services have an owner",
            "kind": "changed",
            "fields": [{"path": "level", "kind": "changed", "old": "Bronze", "new": "Silver"}],
        }
    ]
    applied = run_cli("apply", str(pulled_file), "--emulator", state, "--auto-approve")
    assert applied.code == 0, applied.err
    again = run_cli("plan", str(pulled_file), "--emulator", state, "--detailed-exitcode")
    assert again.code == 0, again.out
