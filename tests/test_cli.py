"""The entry point: exit codes, and no traceback ever reaching a user."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

import scorecards_sync.commands.validate as validate_command
from scorecards_sync.console import Console

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


@pytest.mark.usefixtures("crashing_validate")
@pytest.mark.parametrize(
    "argv", [["validate", "-vv"], ["validate", "--verbose", "-v"], ["-v", "validate", "-v"]]
)
def test_verbosity_is_accepted_after_the_command_too(argv: list[str]) -> None:
    ran = run_cli(*argv)
    assert ran.code == 1, ran.err  # the crash, not a usage error
    assert "DEBUG scorecards_sync.cli: Traceback (most recent call last):" in ran.err


def test_one_v_after_the_command_is_not_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    ran = run_cli("config", "-v")
    assert ran.code == 0, ran.err
    assert "DEBUG" not in ran.err


def test_warnings_are_written_in_the_tools_own_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    (tmp_path / ".scorecards-sync.yaml").write_text("concurrency: 2\n")
    (tmp_path / "pyproject.toml").write_text("[tool.scorecards-sync]\nconcurrency = 3\n")
    ran = run_cli("config")
    assert ran.code == 0
    assert ran.err == (
        "warning: .scorecards-sync.yaml wins over [tool.scorecards-sync] in pyproject.toml, "
        "which is ignored\n"
    )
    debug = run_cli("config", "-vv")
    assert "WARNING scorecards_sync.config: .scorecards-sync.yaml wins over" in debug.err


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["plna"], "; did you mean 'plan'?"),
        (["validate", "--format", "jsno"], "; did you mean 'json'?"),
    ],
)
def test_a_mistyped_choice_gets_a_suggestion(argv: list[str], suggestion: str) -> None:
    ran = run_cli(*argv)
    assert ran.code == 64
    assert "invalid choice" in ran.err
    assert ran.err.rstrip().endswith(suggestion)


def test_a_choice_like_none_of_them_gets_no_suggestion() -> None:
    ran = run_cli("xyzzy")
    assert ran.code == 64
    assert "did you mean" not in ran.err


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("config", "--format {text,json} text (default: a table for people), json"),
        ("config", "exit codes: 0 ok, 64"),
        ("pull", "exit codes: 0 every file written or up to date, 1 a file skipped"),
        ("plan", "-v, --verbose more diagnostics on stderr (-vv: debug)"),
    ],
)
def test_help_texts(command: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        run_cli(command, "--help")
    assert done.value.code == 0
    assert expected in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "variable", ["GITLAB_TOKEN", "CI_JOB_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"]
)
def test_a_git_hosts_token_is_scrubbed_from_an_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """`ci gitlab` holds GITLAB_TOKEN or CI_JOB_TOKEN, the Action its `github-token` input."""
    enter_workdir(
        tmp_path,
        monkeypatch,
        prefixes=("SCORECARDS_SYNC_", "CORTEX_", "CI_", "GITLAB", "INPUT_"),
        names=("GITHUB_TOKEN",),
    )
    monkeypatch.setenv(variable, CANARY)

    def crash(args: argparse.Namespace, console: Console) -> int:
        raise RuntimeError(f"failed with {CANARY}")

    monkeypatch.setattr(validate_command, "run", crash)
    ran = run_cli("-vv", "validate")
    assert ran.code == 1
    assert "error: internal error: RuntimeError: failed with ***" in ran.err
    assert CANARY not in ran.err
