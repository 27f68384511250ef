"""Helpers for the tests that drive the command line in-process.

`run_cli` calls `scorecards_sync.cli.main` with in-memory streams and hands back what it
wrote; `read_github_output` reads back what a run appended to `$GITHUB_OUTPUT`;
`enter_workdir` gives a test a working directory whose environment holds none of the
settings a developer's shell or CI may have set (`enter_keyed_workdir`: and an API key, for a
run that talks to Cortex or the emulator); `ladder_card` and `rule_card` are the small
scorecard descriptors those tests write and plan.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from scorecards_sync.cli import main
from scorecards_sync.console import Console


@dataclass(frozen=True)
class Ran:
    """One run of the command line: its exit code and everything it wrote."""

    code: int
    out: str
    err: str


def run_cli(*argv: str, stdout: io.StringIO | None = None) -> Ran:
    """Run `scorecards-sync *argv`; `stdout` stands in for standard output when given (e.g. a
    stream that says it is a terminal)."""
    out = stdout if stdout is not None else io.StringIO()
    err = io.StringIO()
    code = main(list(argv), Console(out, err))
    return Ran(code, out.getvalue(), err.getvalue())


def read_github_output(path: Path) -> dict[str, str]:
    """The outputs in a `$GITHUB_OUTPUT` file, as GitHub reads it: `name=value` lines and
    `name<<DELIMITER` ... `DELIMITER` blocks (a later value of a name wins)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            else:
                raise AssertionError(f"output {name}: no closing delimiter {delimiter}")
            outputs[name] = "\n".join(value)
        elif line:
            name, _, single = line.partition("=")
            outputs[name] = single
    return outputs


def enter_workdir(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    prefixes: tuple[str, ...],
    names: tuple[str, ...] = (),
) -> Path:
    """Make `path` the working directory, without the environment variables in `names` or
    starting with one of `prefixes`, for the rest of the test."""
    for name in names:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(prefixes):
            monkeypatch.delenv(name)
    monkeypatch.chdir(path)
    return path


def enter_keyed_workdir(path: Path, monkeypatch: pytest.MonkeyPatch, *, key: str) -> Path:
    """`enter_workdir` without any of the tool's, Cortex's or GitHub's variables, then `key`
    as the API key (`CORTEX_API_KEY`)."""
    enter_workdir(path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    monkeypatch.setenv("CORTEX_API_KEY", key)
    return path


def ladder_card(
    tag: str, *, name: str | None = None, level: str = "Bronze", ladder_name: str | None = None
) -> str:
    """A descriptor with a Bronze/Silver ladder and one rule at `level`."""
    return (
        f"tag: {tag}\n"
        f"name: {name or tag.title()}\n"
        "ladder:\n" + (f"  name: {ladder_name}\n" if ladder_name else "") + "  levels:\n"
        "    - name: Bronze\n"
        "      rank: 1\n"
        '      color: "#CD7F32"\n'
        "    - name: Silver\n"
        "      rank: 2\n"
        '      color: "#C0C0C0"\n'
        "rules:\n"
        "  - title: Has owner\n"
        "    expression: ownership != null\n"
        f"    level: {level}\n"
    )


def rule_card(tag: str, *, name: str | None = None, weight: int = 1) -> str:
    """A descriptor without a ladder: one rule of `weight`."""
    return (
        f"tag: {tag}\n"
        f"name: {name or tag.title()}\n"
        "rules:\n"
        "  - title: Has owner\n"
        "    expression: ownership != null\n"
        f"    weight: {weight}\n"
    )
