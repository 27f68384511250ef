"""The `github-action` command's own failure paths, run in-process with a real environment."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cli_runner import run_cli


def test_an_unwritable_job_summary_is_a_clear_error_not_a_traceback(
    tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({}), encoding="utf-8")
    for name, value in {
        "INPUT_COMMAND": "validate",
        "INPUT_PATH": str(repo_root / "examples" / "scorecards"),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/cards",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        # A folder where a file is expected: the write fails.
        "GITHUB_STEP_SUMMARY": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    ran = run_cli("github-action")

    assert ran.code == 1
    assert f"error: cannot write to {tmp_path}" in ran.err
    assert "Traceback" not in ran.out + ran.err


def test_log_lines_quoting_descriptors_cannot_read_as_workflow_commands() -> None:
    from action_harness import read_commands

    from scorecards_sync.commands.action import _no_workflow_commands

    record = logging.LogRecord(
        "scorecards_sync.workflow", logging.WARNING, __file__, 1, "at %s: %s", None, None
    )
    record.args = ("main", "unknown key 'a\n  ::add-mask::x\n::warning::forged ##[error]old'")
    assert _no_workflow_commands(record)
    line = logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record)
    read = read_commands(line + "\n")
    assert read.masks == [] and read.annotations == []
    assert "add-mask::x" in read.log and "forged" in read.log
