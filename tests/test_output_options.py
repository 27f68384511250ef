"""-q/--quiet and --no-color (and NO_COLOR), before or after the command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli
from cli_runner import ladder_card as card


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "alpha.yaml").write_text(card("alpha"), encoding="utf-8")
    yield tmp_path


def test_a_terminal_gets_colors_unless_no_color_is_asked(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = ("plan", "cards", "--emulator", "state.json")
    assert "\033[" in run_cli(*plan, stdout=Terminal()).out
    assert "\033[" not in run_cli(*plan, "--no-color", stdout=Terminal()).out
    assert "\033[" not in run_cli("--no-color", *plan, stdout=Terminal()).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run_cli(*plan, stdout=Terminal()).out


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_leaves_the_result_and_errors_only(workdir: Path, where: str) -> None:
    (workdir / ".scorecards-sync.yaml").write_text("concurrency: 2\n", encoding="utf-8")
    (workdir / "pyproject.toml").write_text("[tool.scorecards-sync]\nconcurrency = 3\n")
    loud = run_cli("config")
    assert "warning: .scorecards-sync.yaml wins over" in loud.err
    quiet = run_cli("-q", "config") if where == "before" else run_cli("config", "--quiet")
    assert quiet.code == 0 and quiet.err == ""
    assert quiet.out == loud.out
    failing = run_cli("-q", "plan", "cards", "--base-url", "https://cortex.invalid")
    assert failing.code == 64 and failing.err.startswith("error: no Cortex API key")
