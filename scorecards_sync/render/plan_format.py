"""Wording shared by the plan renderers: values, field changes, rule changes, summaries.

Every piece of descriptor or Cortex text comes out on one line, its control, bidi and
invisible characters shown as escapes (`safe_text.one_line`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from scorecards_sync.plan import Action, Change, DiffKind, FieldChange, Plan, RuleChange
from scorecards_sync.safe_text import one_line, text_lines

# Longer values are cut in one-line summaries; multi-line text is shown as a diff instead.
MAX_VALUE_CHARS = 80
_PLAIN = re.compile(r"[A-Za-z0-9_.#/:@+-]+")


def format_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A value on one line: bare words unquoted, other strings quoted, data as flow JSON."""
    if isinstance(value, str):
        text = value if _PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    text = one_line(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def raw_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A value on one line as written: strings without quotes or escapes, data as flow JSON.

    For renderers that mark values off themselves (Markdown's code spans). A string
    whose edges would vanish in the markup (empty, surrounding blanks) stays quoted.
    """
    if not isinstance(value, str) or not value or value != value.strip():
        return format_value(value, limit)
    text = value.replace("\r\n", "\n").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_multiline(change: FieldChange) -> bool:
    return any(isinstance(v, str) and "\n" in v.rstrip("\n") for v in (change.old, change.new))


def text_diff(old: Any, new: Any) -> list[str]:
    """Line diff of two texts (either may be absent), without the `---`/`+++` header."""
    before = old.splitlines() if isinstance(old, str) else []
    after = new.splitlines() if isinstance(new, str) else []
    lines = list(difflib.unified_diff(before, after, lineterm="", n=1))
    shown = [text_lines(line) for line in lines[2:] if not line.startswith("@@")]
    return shown or ["(whitespace only)"]


def change_values(change: FieldChange, show: Callable[[Any], str] = format_value) -> str:
    """`Bronze → Silver`, each value as `show` shows it; a side without the field shows as
    `(none)`."""
    if is_multiline(change):
        return f"{change.kind.value} (text below)"
    old = "(none)" if change.kind is DiffKind.ADDED else show(change.old)
    new = "(none)" if change.kind is DiffKind.REMOVED else show(change.new)
    return f"{old} → {new}"


def field_summary(change: FieldChange, separator: str = ": ") -> str:
    """`name: Old → New` (top level) or `level Bronze → Silver` (in a rule, separator " ")."""
    return f"{one_line(change.path)}{separator}{change_values(change)}"


def rule_summary(rule: RuleChange) -> str:
    """`rule 'Has owner': level Bronze → Silver; weight 1 → 2` or `rule 'Uses TLS' added`."""
    name = f"rule {quote_title(rule.title)}"
    if rule.kind is not DiffKind.CHANGED:
        return f"{name} {rule.kind.value}"
    return f"{name}: " + "; ".join(field_summary(f, " ") for f in rule.fields)


def quote_title(title: str) -> str:
    shown = title if len(title) <= MAX_VALUE_CHARS else title[: MAX_VALUE_CHARS - 1] + "…"
    shown = one_line(shown.replace("\n", " "))
    return f"'{shown}'" if "'" not in shown else json.dumps(shown, ensure_ascii=False)


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged."
    )


def unmanaged_line(tags: Sequence[str], max_names: int | None = None) -> str:
    shown = list(tags if max_names is None else tags[:max_names])
    rest = len(tags) - len(shown)
    names = ", ".join(one_line(tag) for tag in shown)
    if rest:
        names = f"{names}, … and {rest} more" if shown else "(too many to list here)"
    noun = "scorecard" if len(tags) == 1 else "scorecards"
    return f"{len(tags)} live {noun} not managed here (left untouched): {names}"


def verdict_summary(change: Change) -> str | None:
    verdict = change.server_validation
    if verdict is None:
        return None
    if verdict.ok:
        detail = "; ".join(one_line(m) for m in verdict.messages)
        return "Cortex accepts it (dry run)" + (f": {detail}" if detail else "")
    detail = "; ".join(one_line(m) for m in verdict.messages) or "no detail given"
    return f"Cortex rejects it (dry run): {detail}"


ACTION_WORDS = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
    Action.UNCHANGED: "unchanged",
}
