"""The plan as a pull-request comment: summary, table, then one collapsible block per scorecard.

Everything that comes from a descriptor or from Cortex is escaped (HTML, Markdown,
control and bidi characters: `safe_text`), so a title holding `|`, a backtick, a
lone carriage return or `</details>` cannot break the table or the page. The
comment is kept under `max_chars` (GitHub refuses comments over 65,536
characters) by dropping whole rows and blocks, never cutting one, and saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scorecards_sync.impact import Impact
from scorecards_sync.plan import Action, Change, DiffKind, FieldChange, Plan, RuleChange
from scorecards_sync.render.impact_format import (
    entities_word,
    move_text,
    summary,
    unknown_text,
)
from scorecards_sync.render.plan_format import (
    change_values,
    is_multiline,
    quote_title,
    raw_value,
    summary_line,
    text_diff,
    unmanaged_line,
    verdict_summary,
)
from scorecards_sync.safe_text import markdown_inline, text_lines

GITHUB_COMMENT_LIMIT = 65_536
# Room kept for the truncation note and the unmanaged line's ending.
_RESERVE = 400
# A long text diff in a comment helps nobody; the full plan has all of it.
MAX_DIFF_LINES = 40
# Moving entities listed under an impact; the rest are counted (the full list is in the JSON).
MAX_MOVES_SHOWN = 50
SEE_FULL_PLAN = "see the full plan in the job summary / artifact"

_ICONS = {
    Action.CREATE: "➕ create",
    Action.UPDATE: "✏️ update",
    Action.DELETE: "🗑️ delete",
}
_BULLET_SIGNS = {DiffKind.ADDED: "➕", DiffKind.REMOVED: "➖", DiffKind.CHANGED: "✏️"}


def escape(text: str) -> str:
    """Inline text that renders literally in Markdown, HTML and table cells (one line).

    See `safe_text.markdown_inline`: line feeds become `<br>`, control, bidi and
    invisible characters are shown as escapes.
    """
    return markdown_inline(text)


def code(text: str) -> str:
    """`text` in a `<code>` element: shown as it is, without the zero-width spaces `escape`
    puts after a mention's `@` (no host looks for mentions in code; a copied value stays
    the value)."""
    return f"<code>{markdown_inline(text, in_code=True)}</code>"


def value_code(value: object) -> str:
    """A descriptor value as written (no JSON quoting or escapes), in a code span."""
    return code(raw_value(value))


class MarkdownPlanRenderer:
    """`checksum`: end with the plan's checksum line. Leave it off where the page
    prints the checksum elsewhere (the action's footer), so it is not shown twice.
    """

    def __init__(
        self,
        *,
        max_chars: int = GITHUB_COMMENT_LIMIT,
        checksum: bool = True,
        impacts: Mapping[str, Impact] | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.checksum = checksum
        self.impacts = impacts or {}

    def render(self, plan: Plan) -> str:
        actionable = plan.actionable
        if not actionable:
            head = "**No changes.** Cortex matches the repository."
            if plan.changes:
                head += f"  \n{escape(summary_line(plan))}"
        else:
            head = f"**{escape(summary_line(plan))}**"
        out = _Budget(self.max_chars)
        out.force(head)
        shown: list[Change] = []
        if actionable:
            out.force("\n\n| Action | Scorecard | Details |\n| --- | --- | --- |")
            for change in actionable:
                if not out.add("\n" + _row(change)):
                    break
                shown.append(change)
        detailed = 0
        with_details = [c for c in shown if c.action is not Action.DELETE]
        for change in with_details:
            impact = self.impacts.get(change.tag) if change.action is Action.UPDATE else None
            if not out.add_best("\n\n", _blocks(change, impact)):
                break
            detailed += 1
        if plan.unmanaged:
            out.add_best("\n\n", [_unmanaged(plan.unmanaged, n) for n in _name_counts(plan)])
        missing_rows = len(actionable) - len(shown)
        missing_blocks = len(with_details) - detailed
        if missing_rows:
            out.force(f"\n\n_… {missing_rows} more scorecards not shown; {SEE_FULL_PLAN}._")
        elif missing_blocks:
            out.force(
                f"\n\n_… details of {missing_blocks} more scorecards not shown; {SEE_FULL_PLAN}._"
            )
        if self.checksum:
            out.force(f"\n\n{checksum_line(plan)}")
        return out.text()


class _Budget:
    """Text assembled in whole pieces, leaving room for the closing note."""

    def __init__(self, max_chars: int) -> None:
        self.limit = max_chars - _RESERVE
        self.parts: list[str] = []
        self.size = 0

    def force(self, piece: str) -> None:
        self.parts.append(piece)
        self.size += len(piece)

    def add(self, piece: str) -> bool:
        if self.size + len(piece) > self.limit:
            return False
        self.force(piece)
        return True

    def add_best(self, prefix: str, candidates: list[str]) -> bool:
        """The first candidate (most complete first) that fits; False when none does."""
        return any(self.add(prefix + candidate) for candidate in candidates)

    def text(self) -> str:
        return "".join(self.parts)


def _row(change: Change) -> str:
    details: list[str] = []
    if change.path:
        details.append(code(change.path))
    if change.reason:
        details.append(escape(change.reason))
    if change.action is Action.UPDATE:
        details.append(escape(_update_size(change)))
    if change.action is Action.CREATE and change.rules:
        details.append(escape(_count(len(change.rules), "rule")))
    verdict = change.server_validation
    if verdict is not None:
        details.append("✅ Cortex accepts it" if verdict.ok else "❌ Cortex rejects it")
    return f"| {_ICONS[change.action]} | {code(change.tag)} | {' · '.join(details)} |"


def _update_size(change: Change) -> str:
    parts = []
    if change.fields:
        parts.append(_count(len(change.fields), "field"))
    if change.rules:
        parts.append(_count(len(change.rules), "rule"))
    return ", ".join(parts) + " changed"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _blocks(change: Change, impact: Impact | None) -> list[str]:
    """The change's block, most complete first: with the impact's moves listed, then
    with fewer of them, then with the impact line alone."""
    if impact is None:
        return [_block(change)]
    return [_block(change, impact, shown) for shown in (MAX_MOVES_SHOWN, 10, 0)]


def _block(change: Change, impact: Impact | None = None, moves_shown: int = 0) -> str:
    title = f"{_ICONS[change.action]} {code(change.tag)}"
    if impact is not None:
        title += f"<br>📊 {escape(summary(impact))}"
    lines = [f"<details><summary>{title}</summary>", ""]
    for field in change.fields:
        lines += _field_bullet(field, creating=change.action is Action.CREATE)
    for rule in change.rules:
        lines += _rule_bullet(rule)
    verdict = verdict_summary(change)
    if verdict is not None:
        ok = change.server_validation is not None and change.server_validation.ok
        lines.append(f"- {'✅' if ok else '❌'} {escape(verdict)}")
    if impact is not None:
        lines += _impact_lines(impact, moves_shown)
    lines += ["", "</details>"]
    return "\n".join(lines)


def _impact_lines(impact: Impact, moves_shown: int) -> list[str]:
    lines = [f"- 📊 {escape(line)}" for line in unknown_text(impact)]
    lines += [f"- ⚠️ not previewed: {escape(note)}" for note in impact.not_previewed]
    if impact.self_check.disagreeing:
        names = ", ".join(code(tag) for tag in impact.self_check.disagreeing[: moves_shown or 10])
        more = len(impact.self_check.disagreeing) - (moves_shown or 10)
        lines.append(
            f"- ⚠️ Cortex reports another level or score for: {names}"
            + (f" and {more} more" if more > 0 else "")
        )
    if impact.moves:
        shown = impact.moves[:moves_shown]
        lines += [
            "",
            f"<details><summary>{escape(_moving(len(impact.moves)))}</summary>",
            "",
        ]
        lines += [f"- {code(move.entity)}: {escape(move_text(move))}" for move in shown]
        rest = len(impact.moves) - len(shown)
        if rest:
            lines.append(f"- … {rest} more; the full list is in `plan --impact --format json`")
        lines += ["", "</details>"]
    return lines


def _moving(count: int) -> str:
    return f"{entities_word(count)} {'moves' if count == 1 else 'move'}"


def checksum_line(plan: Plan) -> str:
    return f"<sub>Plan checksum {code(plan.checksum())}</sub>"


def _field_bullet(field: FieldChange, *, creating: bool) -> list[str]:
    if creating and field.kind is DiffKind.ADDED and not is_multiline(field):
        return [f"- {code(field.path)}: {value_code(field.new)}"]
    line = f"- {code(field.path)}: {change_values(field, value_code)}"
    if not is_multiline(field):
        return [line]
    return [line, *_diff_block(field, "  ")]


def _rule_summary(rule: RuleChange) -> str:
    """`rule 'Has owner': level <code>Bronze</code> → <code>Silver</code>` or `rule 'X' added`."""
    name = escape(f"rule {quote_title(rule.title)}")
    if rule.kind is not DiffKind.CHANGED:
        return f"{name} {rule.kind.value}"
    changed = (f"{escape(f.path)} {change_values(f, value_code)}" for f in rule.fields)
    return f"{name}: " + "; ".join(changed)


def _rule_bullet(rule: RuleChange) -> list[str]:
    lines = [f"- {_BULLET_SIGNS[rule.kind]} {_rule_summary(rule)}"]
    for field in rule.fields:
        if is_multiline(field):
            lines += [f"  - {code(field.path)}:", *_diff_block(field, "    ")]
    return lines


def _diff_block(field: FieldChange, indent: str) -> list[str]:
    body = text_diff(field.old, field.new)
    if len(body) > MAX_DIFF_LINES:
        rest = len(body) - MAX_DIFF_LINES
        body = [*body[:MAX_DIFF_LINES], f"… {rest} more lines"]
    longest = max((len(run) for line in body for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    body = [text_lines(line) for line in body]
    return [f"{indent}{fence}diff", *(indent + line for line in body), f"{indent}{fence}"]


def _name_counts(plan: Plan) -> list[int]:
    total = len(plan.unmanaged)
    counts = [total, *(n for n in (200, 50, 10) if n < total), 0]
    return counts


def _unmanaged(tags: tuple[str, ...], max_names: int) -> str:
    return f"_{escape(unmanaged_line(tags, max_names))}_"
