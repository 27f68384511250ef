"""The command table `cli` builds its parser from without importing every command."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from scorecards_sync.cli import build_parser
from scorecards_sync.commands import COMMANDS, CommandInfo

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("info", COMMANDS, ids=[info.name for info in COMMANDS])
def test_each_entry_names_its_module_and_repeats_its_help(info: CommandInfo) -> None:
    module = importlib.import_module(f"scorecards_sync.commands.{info.module}")
    assert (info.name, info.help) == (module.NAME, module.HELP)


def test_help_lists_every_command_with_its_help() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "scorecards_sync", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    shown = " ".join(ran.stdout.split())
    for info in COMMANDS:
        assert info.name in shown and info.help[:40] in shown


def test_only_the_chosen_command_is_configured() -> None:
    _, commands = build_parser(["-v", "validate", "x.yaml"])
    assert list(commands) == ["validate"]
    _, every = build_parser()
    assert list(every) == [info.name for info in COMMANDS]


def test_validate_loads_no_other_command() -> None:
    code = (
        "import sys; from scorecards_sync.cli import main; "
        "main(['validate', 'examples/scorecards']); "
        "from scorecards_sync.commands import COMMANDS; "
        "names = {'scorecards_sync.commands.' + c.module for c in COMMANDS}; "
        "print(sorted(m for m in sys.modules if m in names))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert ran.stdout.splitlines()[-1] == "['scorecards_sync.commands.validate']"


def test_a_mistyped_command_still_gets_a_suggestion() -> None:
    ran = run_cli("valdate", "x.yaml")
    assert ran.code == 64
    assert "did you mean 'validate'?" in ran.err
