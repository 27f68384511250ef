"""The entry point: exit codes, and no traceback ever reaching a user."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

import scorecards_sync.commands.validate as validate_command
from scorecards_sync.cli import Console

CANARY = "canary-key-31c9d2e4-must-never-show"


@pytest.fixture
def crashing_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`validate` failing the way a bug would, quoting the key it was handed.

    Replacing a command is the one fake here: whatever real input crashes today gets
    fixed, and the handler for what is left must still be tested.
    """
    enter_workdir(
        tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"), names=("GITHUB_TOKEN",)
    )
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)

    def crash(args: argparse.Namespace, console: Console) -> int:
        raise KeyError(f"no such record for Bearer {CANARY}")

    monkeypatch.setattr(validate_command, "run", crash)


@pytest.mark.usefixtures("crashing_validate")
def test_an_unexpected_exception_is_one_line_without_the_key() -> None:
    ran = run_cli("validate")
    assert ran.code == 1
    assert ran.err == (
        "error: internal error: KeyError: 'no such record for Bearer ***' "
        "(re-run with -vv for details)\n"
    )
    assert ran.out == ""


@pytest.mark.usefixtures("crashing_validate")
def test_the_traceback_is_logged_at_debug_without_the_key() -> None:
    ran = run_cli("-vv", "validate")
    assert ran.code == 1
    assert "DEBUG scorecards_sync.cli: Traceback (most recent call last):" in ran.err
    assert "in crash" in ran.err
    assert CANARY not in ran.err
    assert ran.err.rstrip().endswith("(re-run with -vv for details)")


def test_the_key_from_a_key_file_is_scrubbed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(
        tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"), names=("GITHUB_TOKEN",)
    )
    (tmp_path / "key").write_text(f"{CANARY}\n")
    monkeypatch.setenv("CORTEX_API_KEY_FILE", str(tmp_path / "key"))

    def crash(args: argparse.Namespace, console: Console) -> int:
        raise RuntimeError(CANARY)

    monkeypatch.setattr(validate_command, "run", crash)
    ran = run_cli("-vv", "validate")
    assert ran.code == 1
    assert "error: internal error: RuntimeError: *** (re-run with -vv for details)" in ran.err
    assert CANARY not in ran.err
