"""What a run of the GitHub Action reports, and how it is written for GitHub to read.

`ActionReport` holds the step log, the job summary, the step outputs and the exit
code. The rest turns values into the texts GitHub reads: workflow commands
(`::error file=…::`) for the log, Markdown for the job summary and the comments,
and the `$GITHUB_OUTPUT` file syntax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scorecards_sync.applier import ApplyResult, Status
from scorecards_sync.plan import Plan
from scorecards_sync.problems import Problem, Severity
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, code, escape
from scorecards_sync.render.problems import summary

# GitHub drops a step's summary larger than 1 MiB (and says so in an annotation).
SUMMARY_LIMIT_BYTES = 1024 * 1024
_MAX_PROBLEMS_IN_SUMMARY = 200
_STATUS_MD = {Status.DONE: "✅ done", Status.FAILED: "❌ failed", Status.SKIPPED: "⏭️ skipped"}


@dataclass(frozen=True)
class ActionReport:
    exit_code: int
    log: tuple[str, ...]
    summary: str
    outputs: Mapping[str, str] = field(default_factory=dict)


def workflow_command(name: str, message: str, **properties: str) -> str:
    """`::name key=value::message`, escaped the way actions/toolkit escapes."""
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{_escape_data(message)}"


def caution_md(text: str) -> str:
    """A GitHub alert block that stands out in a summary or a comment; `text` is Markdown."""
    return f"> [!CAUTION]\n> {text}"


def warning_md(text: str) -> str:
    """A GitHub warning alert block; `text` is Markdown."""
    return f"> [!WARNING]\n> {text}"


def paths_md(paths: Sequence[str]) -> str:
    return ", ".join(code(p) for p in paths)


def problems_md(problems: Sequence[Problem], files: int) -> str:
    """The validation outcome: one line, then a table of the first problems."""
    errors = any(p.severity is Severity.ERROR for p in problems)
    icon = "❌" if errors else "⚠️" if problems else "✅"
    head = f"{icon} **Validation:** {summary(problems, files)}"
    if not problems:
        return head
    rows = [
        f"| {code(f'{p.path}:{p.line}:{p.column}')} | {p.severity.value} | {escape(p.message)} |"
        for p in problems[:_MAX_PROBLEMS_IN_SUMMARY]
    ]
    more = len(problems) - len(rows)
    table = ["| Where | Severity | Problem |", "| --- | --- | --- |", *rows]
    tail = [f"… and {more} more: see the annotations in the log."] if more else []
    return "\n".join([head, "", *table, *tail])


def plan_md(plan: Plan, summary_so_far: Sequence[str]) -> str:
    """The whole plan when the summary has room for it (it nearly always does)."""
    used = sum(len(part.encode()) for part in summary_so_far) + 2_000
    full = MarkdownPlanRenderer(max_chars=10**9).render(plan)
    if used + len(full.encode()) <= SUMMARY_LIMIT_BYTES:
        return full
    # Emoji and accents take up to 4 bytes: a quarter of the room is always safe.
    return MarkdownPlanRenderer(max_chars=(SUMMARY_LIMIT_BYTES - used) // 4).render(plan)


def result_table_md(result: ApplyResult) -> str:
    """One row per scorecard the apply touched: its status, action and message."""
    rows = [
        f"| {_STATUS_MD[o.status]} | {o.action.value} | {code(o.tag)} | {escape(o.message)} |"
        for o in result.outcomes
    ]
    return "\n".join(
        ["| Result | Action | Scorecard | Detail |", "| --- | --- | --- | --- |", *rows]
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
