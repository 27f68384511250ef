"""Untrusted text in terminal output, JSON and file names (issue 14, items 1, 8 and 9).

Descriptor text, file names and Cortex's answers reach the terminal through the text
renderers: no control, bidi or invisible character may get there raw (an escape sequence
recolours or retitles the terminal, a line feed splits an error from its position), and
a file name that is not UTF-8 is shown escaped and never crashes a command.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli
from cli_runner import ladder_card as card

from scorecards_sync.applier import ApplyResult, Outcome, Status
from scorecards_sync.plan import (
    Action,
    Change,
    DiffKind,
    FieldChange,
    Plan,
    RuleChange,
    ServerVerdict,
)
from scorecards_sync.problems import Problem, Severity
from scorecards_sync.render import plan_renderer
from scorecards_sync.render.problems import render_json, render_text
from scorecards_sync.render.results import JsonResults, TextResults
from scorecards_sync.safe_text import UNSAFE, one_line, terminal_output

ENV_NAMES = ("CORTEX_API_KEY", "CORTEX_API_KEY_FILE", "CORTEX_BASE_URL", "GITHUB_OUTPUT")
# Raw characters that must never reach a terminal from untrusted text.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b]")
HOSTILE = "a\nb\rc\x1b[31mred\x1b]0;title\x07\x1b[2J\u202eevil\u2066\u2028\x85\x9b\u200b\x7f"
NOT_UTF8 = os.fsdecode(b"caf\xe9-\xff.yaml")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_",), names=ENV_NAMES)
    (tmp_path / "cards").mkdir()
    yield tmp_path


def hostile_plan() -> Plan:
    return Plan(
        (
            Change(
                Action.UPDATE,
                f"tag{HOSTILE}",
                path=f"cards/{HOSTILE}.yaml",
                reason=HOSTILE,
                fields=(
                    FieldChange("name", DiffKind.CHANGED, "old", HOSTILE),
                    FieldChange(f"x{HOSTILE}", DiffKind.ADDED, None, 1),
                    FieldChange("description", DiffKind.CHANGED, f"a\n{HOSTILE}", "a\n"),
                ),
                rules=(
                    RuleChange(HOSTILE, DiffKind.ADDED),
                    RuleChange(
                        "r",
                        DiffKind.CHANGED,
                        (FieldChange("expression", DiffKind.CHANGED, "x", f"x\n{HOSTILE}"),),
                    ),
                ),
                server_validation=ServerVerdict(False, (HOSTILE,)),
            ),
        ),
        unmanaged=(HOSTILE, "plain"),
    )


def test_text_plan_shows_hostile_text_escaped_and_never_raw() -> None:
    for color in (False, True):
        text = plan_renderer("text", color=color).render(hostile_plan())
        without_colour = re.sub(r"\x1b\[[0-9;]*m", "", text) if color else text
        assert not RAW.search(without_colour), repr(text)
        # The colours are the tool's own, never the text's.
        assert "\x1b[31mred" not in text and "\x1b[2J" not in text
        assert "tag" + one_line(HOSTILE) in text
        assert "b\\rc\\x1b[31mred\\x1b]0;title\\x07" in text
    plain = plan_renderer("text").render(hostile_plan())
    unmanaged = plain.splitlines()[-1]
    assert unmanaged.startswith("2 live scorecards not managed here")
    assert unmanaged.endswith(f"{one_line(HOSTILE)}, plain")


def test_terminal_lines_of_a_change_are_the_tools_own() -> None:
    """A line break in the text never starts a line: every line is indented by the tool."""
    lines = plan_renderer("text").render(hostile_plan()).splitlines()
    body = lines[lines.index("scorecards-sync will perform the following actions:") + 2 :]
    body = body[: body.index("")]
    assert body[0].startswith("  ~ update tag")
    assert all(line.startswith("      ") for line in body[1:]), body


def test_apply_results_show_cortexs_text_escaped() -> None:
    result = ApplyResult(
        (Outcome(f"t{HOSTILE}", Action.UPDATE, Status.FAILED, f"HTTP 400: {HOSTILE}"),),
        dry_run=False,
    )
    text = TextResults(color=True).render(result)
    assert not RAW.search(re.sub(r"\x1b\[[0-9;]*m", "", text)), repr(text)
    assert len(text.splitlines()) == 3
    body = JsonResults().render(result)
    assert not RAW.search(body) and json.loads(body)["outcomes"][0]["message"].endswith(HOSTILE)


def test_a_problem_stays_on_its_line_with_its_position() -> None:
    problem = Problem("a\x1b[2J.yaml", 3, 1, Severity.ERROR, "unknown key `tag\n`: x\x1b[31m")
    report = render_text([problem], 1)
    (line,) = report.stdout
    assert line == "a\\x1b[2J.yaml:3:1: error: unknown key `tag\\n`: x\\x1b[31m"
    (document,) = render_json([problem], 1).stdout
    assert not RAW.search(document)
    assert json.loads(document)["problems"][0]["message"] == problem.message


def test_terminal_output_keeps_only_the_tools_colours() -> None:
    assert terminal_output("\x1b[1;32mok\x1b[0m\tx\n") == "\x1b[1;32mok\x1b[0m\tx\n"
    assert terminal_output("\x1b]0;t\x07\x1b[2J\r\u202e") == "\\x1b]0;t\\x07\\x1b[2J\\r\\u202e"
    assert not UNSAFE.search(one_line(HOSTILE))


def test_validate_keeps_each_error_on_its_line(workdir: Path) -> None:
    (workdir / "cards" / "a.yaml").write_text(
        'tag: a\nname: A\n"tag\\n": x\n"\\e[31mred": 1\n'
        'description: "\\e]0;title\\a\\e[2J\\u202e"\n'
        "rules:\n  - title: t\n    expression: x\n    weight: 1\n",
        encoding="utf-8",
    )
    ran = run_cli("validate", "cards")
    assert ran.code == 1
    lines = ran.out.splitlines()
    assert len(lines) == 2 and all(line.startswith("cards/a.yaml:") for line in lines), lines
    assert "unknown key `tag\\n`" in lines[0]
    assert "\x1b" not in ran.out + ran.err


def write_not_utf8_card(folder: Path) -> Path:
    path = folder / NOT_UTF8
    path.write_text(card("cafe"), encoding="utf-8")
    return path


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_a_file_name_that_is_not_utf8_never_crashes_plan(workdir: Path, output: str) -> None:
    write_not_utf8_card(workdir / "cards")
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--format", output)
    assert ran.code == 0, ran.err
    assert "internal error" not in ran.err
    shown = {
        "text": "caf\\xe9-\\xff.yaml",
        "json": "caf\\udce9-\\udcff.yaml",
        "markdown": "caf&#92;xe9-&#92;xff.yaml",
    }
    assert shown[output] in ran.out
    if output == "json":
        plan = Plan.from_json(json.loads(ran.out))
        assert plan.changes[0].path == f"cards/{NOT_UTF8}"


def test_a_file_name_that_is_not_utf8_plans_saves_and_applies(workdir: Path) -> None:
    write_not_utf8_card(workdir / "cards")
    saved = run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json")
    assert saved.code == 0, saved.err
    text = (workdir / "plan.json").read_text(encoding="utf-8")
    assert "\\udce9" in text and not RAW.search(text)
    applied = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "+ create cafe: done" in applied.out
    again = run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve")
    assert again.code == 0 and "No changes" in again.out, again.err
