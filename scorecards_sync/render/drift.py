"""The drift report for people (text), for issues and summaries (Markdown), for machines (JSON).

JSON (`DriftReport.to_json`, schema in `scorecards_sync/drift.py`): top-level `pending`,
`drifted` and `unmanaged` lists, `format`/`version`, `in_sync`, the record used.
"""

from __future__ import annotations

import json

from scorecards_sync.drift import Drifted, DriftReport, Pending
from scorecards_sync.plan import FieldChange, RuleChange
from scorecards_sync.render.plan_format import field_summary, rule_summary
from scorecards_sync.render.plan_markdown import code, escape
from scorecards_sync.safe_text import json_text, one_line

_KIND_WORDS = {
    "edited": "edited in Cortex",
    "created": "created in Cortex",
    "deleted": "deleted from Cortex",
}


def summary_line(report: DriftReport) -> str:
    if report.in_sync:
        tail = f"; {len(report.unmanaged)} unmanaged" if report.unmanaged else ""
        return f"In sync: Cortex matches the repository{tail}."
    return (
        f"Drift: {len(report.pending)} pending, {len(report.drifted)} drifted, "
        f"{len(report.unmanaged)} unmanaged."
    )


def _change_lines(fields: tuple[FieldChange, ...], rules: tuple[RuleChange, ...]) -> list[str]:
    return [field_summary(f) for f in fields] + [rule_summary(r) for r in rules]


def _pending_head(item: Pending) -> str:
    where = f"  ({item.path})" if item.path else ""
    return f"{item.action.value} {item.tag}{where}: not applied yet"


def _drifted_head(item: Drifted) -> str:
    when = f", last updated {item.last_updated}" if item.last_updated else ""
    return f"{item.tag}: {_KIND_WORDS[item.kind.value]}{when}"


class TextDrift:
    """Tags, paths and values come from the repository and Cortex: each line is neutralised
    (`one_line`), so none can move the cursor or forge output."""

    def render(self, report: DriftReport) -> str:
        lines: list[str] = []
        if report.pending:
            lines.append("Pending (the repository changed; not applied yet):")
            for p in report.pending:
                lines.append(f"  {one_line(_pending_head(p))}")
                lines += [f"      {one_line(line)}" for line in _change_lines(p.fields, p.rules)]
        if report.drifted:
            lines.append("Drifted (Cortex changed outside the repository):")
            for d in report.drifted:
                lines.append(f"  {one_line(_drifted_head(d))}")
                lines += [f"      {one_line(line)}" for line in _change_lines(d.fields, d.rules)]
        if report.unmanaged:
            tags = one_line(", ".join(u.tag for u in report.unmanaged))
            lines.append(f"Unmanaged (no descriptor or managed pattern claims them): {tags}")
        if lines:
            lines.append("")
        lines.append(summary_line(report))
        return "\n".join(lines)


class JsonDrift:
    def render(self, report: DriftReport) -> str:
        return json_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False))


class MarkdownDrift:
    """Everything from Cortex or the repository is data: escaped, tags in code spans."""

    def render(self, report: DriftReport) -> str:
        parts = [f"**{escape(summary_line(report))}**"]
        if report.pending:
            parts.append("#### Pending: the repository changed, not applied yet")
            parts.append("\n".join(self._item(_pending_head(p), p.tag, p) for p in report.pending))
        if report.drifted:
            parts.append("#### Drifted: Cortex changed outside the repository")
            parts.append("\n".join(self._item(_drifted_head(d), d.tag, d) for d in report.drifted))
        if report.unmanaged:
            tags = ", ".join(code(u.tag) for u in report.unmanaged)
            parts.append(f"Unmanaged (no descriptor or `managed` pattern claims them): {tags}")
        if report.record_commit:
            parts.append(
                f"<sub>Compared with the record of commit {code(report.record_commit[:12])}</sub>"
            )
        elif report.note:
            parts.append(f"<sub>{escape(report.note)}</sub>")
        return "\n\n".join(parts)

    @staticmethod
    def _item(head: str, tag: str, item: Pending | Drifted) -> str:
        text = escape(head).replace(escape(tag), code(tag), 1)
        lines = [f"- {text}"]
        lines += [f"  - {escape(line)}" for line in _change_lines(item.fields, item.rules)]
        return "\n".join(lines)
