"""The plan for a terminal: Terraform-like `+ create`, `~ update`, `- delete` blocks."""

from __future__ import annotations

from collections.abc import Mapping

from scorecards_sync.impact import Impact
from scorecards_sync.plan import Action, Change, DiffKind, FieldChange, Plan, RuleChange
from scorecards_sync.render.impact_format import text_lines
from scorecards_sync.render.plan_format import (
    field_summary,
    format_value,
    is_multiline,
    rule_summary,
    summary_line,
    text_diff,
    unmanaged_line,
    verdict_summary,
)
from scorecards_sync.safe_text import one_line

NO_CHANGES = "No changes. Cortex matches the repository."
# A plan of no scorecards at all: nothing was loaded, and nothing is to be deleted.
NOTHING_TO_PLAN = "No descriptors found: nothing to plan."

_RESET = "\033[0m"
_STYLES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
_SIGNS = {
    Action.CREATE: ("+", "create", "green"),
    Action.UPDATE: ("~", "update", "yellow"),
    Action.DELETE: ("-", "delete", "red"),
}
_KIND_SIGNS = {DiffKind.ADDED: ("+", "green"), DiffKind.REMOVED: ("-", "red")}


class TextPlanRenderer:
    """Plain text; ANSI colors only when asked (the CLI asks on a terminal without NO_COLOR)."""

    def __init__(self, *, color: bool = False, impacts: Mapping[str, Impact] | None = None) -> None:
        self.color = color
        self.impacts = impacts or {}

    def render(self, plan: Plan) -> str:
        lines: list[str] = []
        if plan.has_changes:
            lines += ["scorecards-sync will perform the following actions:", ""]
            for change in plan.actionable:
                lines += self._change(change)
                lines.append("")
            lines.append(self._style(summary_line(plan), "bold"))
        else:
            lines.append(NO_CHANGES if plan.changes else NOTHING_TO_PLAN)
            lines.append(summary_line(plan))
        if plan.unmanaged:
            lines.append(self._style(unmanaged_line(plan.unmanaged), "dim"))
        return "\n".join(lines)

    def _style(self, text: str, *styles: str) -> str:
        if not self.color:
            return text
        codes = ";".join(_STYLES[s] for s in styles)
        return f"\033[{codes}m{text}{_RESET}"

    def _change(self, change: Change) -> list[str]:
        sign, verb, color = _SIGNS[change.action]
        where = one_line(", ".join(p for p in (change.path, change.reason) if p))
        tag = one_line(change.tag)
        head = f"  {self._style(f'{sign} {verb}', color)} {self._style(tag, 'bold')}"
        lines = [head + (f"  ({where})" if where else "")]
        for field in change.fields:
            lines += self._field(field, creating=change.action is Action.CREATE, indent=6)
        for rule in change.rules:
            lines += self._rule(rule)
        verdict = verdict_summary(change)
        if verdict is not None:
            ok = change.server_validation is not None and change.server_validation.ok
            mark = self._style("✓", "green") if ok else self._style("✗", "red")
            lines.append(f"      {mark} {verdict}")
        impact = self.impacts.get(change.tag) if change.action is Action.UPDATE else None
        if impact is not None:
            lines += text_lines(impact)
        return lines

    def _field(self, field: FieldChange, *, creating: bool, indent: int) -> list[str]:
        pad = " " * indent
        if creating and field.kind is DiffKind.ADDED and not is_multiline(field):
            return [f"{pad}{field.path}: {format_value(field.new)}"]
        if not is_multiline(field):
            return [f"{pad}{field_summary(field)}"]
        return [f"{pad}{field_summary(field)}", *self._text_diff(field, indent + 4)]

    def _text_diff(self, field: FieldChange, indent: int) -> list[str]:
        lines = []
        for line in text_diff(field.old, field.new):
            color = {"+": "green", "-": "red"}.get(line[:1])
            lines.append(" " * indent + (self._style(line, color) if color else line))
        return lines

    def _rule(self, rule: RuleChange) -> list[str]:
        sign, color = _KIND_SIGNS.get(rule.kind, ("~", "yellow"))
        lines = [f"      {self._style(sign, color)} {rule_summary(rule)}"]
        for field in rule.fields:
            if is_multiline(field):
                lines.append(f"          {one_line(field.path)}:")
                lines += self._text_diff(field, 12)
        return lines
