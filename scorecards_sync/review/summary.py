"""The Markdown a change-request run writes: alerts, the validation table, the plan and
result sections, and the job summary kept under its size limit.

Host-neutral: GitHub shows it as the job summary and in the pull-request comments,
GitLab in the merge-request notes (GitHub's alert syntax, `> [!CAUTION]`, renders on
both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scorecards_sync.applier import ApplyResult, Outcome, Status
from scorecards_sync.plan import Plan
from scorecards_sync.problems import Problem, Severity
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, code, escape
from scorecards_sync.render.problems import summary
from scorecards_sync.render.results import remaining_lines, verification_word

# GitHub drops a step's summary larger than 1 MiB (and says so in an annotation).
SUMMARY_LIMIT_BYTES = 1024 * 1024
_MAX_PROBLEMS_IN_SUMMARY = 200
# Room kept free for the notes a shortened section ends with.
_NOTE_ROOM = 200
_SUMMARY_MARGIN = 4_096
_CUT_NOTE = "\n… *Summary cut at GitHub's 1 MiB limit: the step log has everything.*\n"
_STATUS_MD = {Status.DONE: "✅ done", Status.FAILED: "❌ failed", Status.SKIPPED: "⏭️ skipped"}


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


@dataclass(frozen=True)
class Shrinkable:
    """A section of the job summary that can be shortened to fit: the plan, a result table.

    `fit(room)` renders it in at most `room` bytes (UTF-8), saying what it left out.
    """

    full: str
    fit: Callable[[int], str]


def plan_section(plan: Plan) -> Shrinkable:
    full = MarkdownPlanRenderer(max_chars=10**9, checksum=False).render(plan)

    def fit(room: int) -> str:
        # The renderer counts characters; emoji and accents take up to 4 bytes each.
        chars = room
        for _ in range(6):
            text = MarkdownPlanRenderer(max_chars=max(chars, 1), checksum=False).render(plan)
            size = len(text.encode())
            if size <= room:
                return text
            chars = chars * room // size - 64
        return MarkdownPlanRenderer(max_chars=max(room // 4, 1), checksum=False).render(plan)

    return Shrinkable(full, fit)


def result_section(result: ApplyResult) -> Shrinkable:
    """One row per scorecard the apply touched; rows that do not fit are counted in a note."""
    head = ["| Result | Action | Scorecard | Detail |", "| --- | --- | --- | --- |"]
    rows = [
        f"| {_STATUS_MD[o.status]} | {o.action.value} | {code(o.tag)} | {_detail_md(o)} |"
        for o in result.outcomes
    ]

    def fit(room: int) -> str:
        used = len("\n".join(head).encode()) + _NOTE_ROOM
        kept: list[str] = []
        for row in rows:
            used += len(row.encode()) + 1
            if used > room:
                break
            kept.append(row)
        more = len(rows) - len(kept)
        note = [f"\n… and {more} more results not shown here: see the step log."] if more else []
        return "\n".join([*head, *kept, *note])

    return Shrinkable("\n".join([*head, *rows]), fit)


def _detail_md(outcome: Outcome) -> str:
    """The outcome's message, whether it was verified, and what did not converge."""
    notes = [n for n in (outcome.message, verification_word(outcome)) if n]
    text = escape(", ".join(notes))
    remaining = remaining_lines(outcome)
    if remaining:
        text += ": " + "; ".join(escape(line) for line in remaining)
    return text


def assemble_summary(parts: Sequence[str | Shrinkable], limit: int = SUMMARY_LIMIT_BYTES) -> str:
    """The job summary from its sections, kept under `limit` bytes: GitHub drops a bigger one.

    When the whole does not fit, the shrinkable sections share the room the others leave,
    in proportion to their full size; whatever still overflows is cut with a note.
    """
    full = _join([p if isinstance(p, str) else p.full for p in parts])
    if len(full.encode()) <= limit:
        return full
    fixed = _join([p if isinstance(p, str) else "" for p in parts])
    room = max(0, limit - len(fixed.encode()) - _SUMMARY_MARGIN)
    sizes = [len(p.full.encode()) for p in parts if isinstance(p, Shrinkable)]
    total = sum(sizes) or 1
    shares = iter(room * size // total for size in sizes)
    text = _join([p if isinstance(p, str) else p.fit(next(shares)) for p in parts])
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    cut = encoded[: limit - len(_CUT_NOTE.encode())].decode(errors="ignore")
    return cut[: cut.rfind("\n") + 1] + _CUT_NOTE


def _join(parts: Sequence[str]) -> str:
    return "\n\n".join(parts) + "\n"
