"""Apply results for people (text) and for machines (JSON): one line per change, a summary.

A create or update that was read back after the write says `verified`, or `not converged`
followed by what Cortex still serves differently (Cortex's value first, then the one sent).
"""

from __future__ import annotations

import json
from typing import Any

from scorecards_sync.applier import NOT_STARTED, ApplyResult, Outcome, Status
from scorecards_sync.plan import Action, DiffKind, FieldChange, fields_to_json, rules_to_json
from scorecards_sync.render.plan_format import format_value, rule_summary
from scorecards_sync.safe_text import json_text, one_line

_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.UNCHANGED: " "}
_COLOR = {Status.DONE: "\033[32m", Status.FAILED: "\033[31m", Status.SKIPPED: "\033[33m"}
_RESET = "\033[0m"


NOT_CONVERGED = "not converged"


def summary_line(result: ApplyResult) -> str:
    what = "Dry run" if result.dry_run else "Apply"
    if result.interrupted:
        not_started = sum(1 for o in result.outcomes if o.message == NOT_STARTED)
        line = (
            f"{what} interrupted: {result.done} done, {result.failed} failed, "
            f"{not_started} not started, {result.skipped - not_started} skipped."
        )
    else:
        line = (
            f"{what} complete: {result.done} done, {result.failed} failed, "
            f"{result.skipped} skipped."
        )
    if result.not_converged:
        line += (
            f" {result.not_converged} {NOT_CONVERGED}: Cortex serves something other than "
            "what was sent."
        )
    return line


def verification_word(outcome: Outcome) -> str:
    """`verified`, `not converged`, or "" when the outcome was not read back."""
    if outcome.verified is None:
        return ""
    return "verified" if outcome.verified else NOT_CONVERGED


def remaining_lines(outcome: Outcome) -> list[str]:
    """What still differs after the write, one line each (Cortex's value, then the sent one)."""
    if outcome.verified is not False:
        return []
    if not outcome.remaining and not outcome.remaining_rules:
        return ["absent from Cortex when read back"]
    lines = [_remaining_field(f) for f in outcome.remaining]
    return lines + [rule_summary(r) for r in outcome.remaining_rules]


def _remaining_field(change: FieldChange) -> str:
    served = "(none)" if change.kind is DiffKind.ADDED else format_value(change.old)
    sent = "(none)" if change.kind is DiffKind.REMOVED else format_value(change.new)
    return f"{change.path}: Cortex serves {served}, sent {sent}"


class TextResults:
    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def outcome_line(self, outcome: Outcome) -> str:
        status = outcome.status.value
        if self.color:
            status = f"{_COLOR[outcome.status]}{status}{_RESET}"
        tag = one_line(outcome.tag)
        line = f"{_SYMBOL[outcome.action]} {outcome.action.value} {tag}: {status}"
        if outcome.message:
            line += f" ({one_line(outcome.message)})"
        word = verification_word(outcome)
        return f"{line}, {word}" if word else line

    def render(self, result: ApplyResult) -> str:
        if not result.outcomes:
            return "Nothing to apply. Cortex matches the plan.\n" + summary_line(result)
        lines: list[str] = []
        for outcome in result.outcomes:
            lines.append(self.outcome_line(outcome))
            lines += [f"    {one_line(line)}" for line in remaining_lines(outcome)]
        return "\n".join([*lines, "", summary_line(result)])


class JsonResults:
    """`{"dry_run", "interrupted", "summary": {"done", "failed", "skipped", "not_converged"},
    "outcomes": [...]}`; changes an interrupt kept from starting are `skipped` with the
    message `NOT_STARTED`.

    Each outcome: `{"tag", "action", "status", "message"}`; a create or update also has
    `"verified"`: true (read back as sent), false (not converged: `"remaining"` then holds
    `{"fields", "rules"}` in the shape of `plan --format json`, Cortex's values as `old`),
    or null when it was not read back (failed, skipped, dry run, `--no-verify`).
    """

    def render(self, result: ApplyResult) -> str:
        summary: dict[str, int] = {s.value: result.count(s) for s in Status}
        summary["not_converged"] = result.not_converged
        body: dict[str, Any] = {
            "dry_run": result.dry_run,
            "interrupted": result.interrupted,
            "summary": summary,
            "outcomes": [_outcome_json(o) for o in result.outcomes],
        }
        return json_text(json.dumps(body, indent=2, ensure_ascii=False))


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tag": outcome.tag,
        "action": outcome.action.value,
        "status": outcome.status.value,
        "message": outcome.message,
    }
    if outcome.is_write:
        body["verified"] = outcome.verified
    if outcome.verified is False:
        body["remaining"] = {
            "fields": fields_to_json(outcome.remaining),
            "rules": rules_to_json(outcome.remaining_rules),
        }
    return body
