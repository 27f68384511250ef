"""Apply results for people (text) and for machines (JSON): one line per change, a summary."""

from __future__ import annotations

import json
from typing import Any

from scorecards_sync.applier import NOT_STARTED, ApplyResult, Outcome, Status
from scorecards_sync.plan import Action
from scorecards_sync.safe_text import json_text, one_line

_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.UNCHANGED: " "}
_COLOR = {Status.DONE: "\033[32m", Status.FAILED: "\033[31m", Status.SKIPPED: "\033[33m"}
_RESET = "\033[0m"


def summary_line(result: ApplyResult) -> str:
    what = "Dry run" if result.dry_run else "Apply"
    if result.interrupted:
        not_started = sum(1 for o in result.outcomes if o.message == NOT_STARTED)
        return (
            f"{what} interrupted: {result.done} done, {result.failed} failed, "
            f"{not_started} not started, {result.skipped - not_started} skipped."
        )
    return f"{what} complete: {result.done} done, {result.failed} failed, {result.skipped} skipped."


class TextResults:
    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def outcome_line(self, outcome: Outcome) -> str:
        status = outcome.status.value
        if self.color:
            status = f"{_COLOR[outcome.status]}{status}{_RESET}"
        tag = one_line(outcome.tag)
        line = f"{_SYMBOL[outcome.action]} {outcome.action.value} {tag}: {status}"
        return f"{line} ({one_line(outcome.message)})" if outcome.message else line

    def render(self, result: ApplyResult) -> str:
        if not result.outcomes:
            return "Nothing to apply. Cortex matches the plan.\n" + summary_line(result)
        lines = [self.outcome_line(outcome) for outcome in result.outcomes]
        return "\n".join([*lines, "", summary_line(result)])


class JsonResults:
    """`{"dry_run", "interrupted", "summary": {"done", "failed", "skipped"}, "outcomes": [...]}`;
    changes an interrupt kept from starting are `skipped` with the message `NOT_STARTED`."""

    def render(self, result: ApplyResult) -> str:
        body: dict[str, Any] = {
            "dry_run": result.dry_run,
            "interrupted": result.interrupted,
            "summary": {s.value: result.count(s) for s in Status},
            "outcomes": [
                {
                    "tag": o.tag,
                    "action": o.action.value,
                    "status": o.status.value,
                    "message": o.message,
                }
                for o in result.outcomes
            ],
        }
        return json_text(json.dumps(body, indent=2, ensure_ascii=False))
