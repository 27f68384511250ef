"""Rule exemptions: requested, then approved or denied; an approved one can be revoked.

Each exemption is kept in the state as a JSON object; `public` gives the
spec's `RuleExemptionDefinition` of it. A revoked exemption is `REJECTED`
(the spec knows only PENDING, APPROVED and REJECTED) and stops counting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

PENDING = "PENDING"
APPROVED = "APPROVED"
REJECTED = "REJECTED"

_PUBLIC_KEYS = ("requestedBy", "requestedDate", "requestingReason", "endDate", "exemptionStatus")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_exemption(
    *,
    scorecard: str,
    entity: str,
    rule: Mapping[str, Any],
    reason: str,
    days: int | None,
    actor: Mapping[str, Any],
    now: dt.datetime,
    auto_approve: bool,
) -> dict[str, Any]:
    exemption: dict[str, Any] = {
        "scorecard": scorecard,
        "entity": entity,
        "ruleIdentifier": rule["identifier"],
        "ruleExpression": rule["expression"],
        "requestedBy": dict(actor),
        "requestedDate": iso(now),
        "requestingReason": reason,
        "exemptionStatus": {"status": PENDING},
    }
    # No days, 0 or fewer (the official CLI sends 0 by default), or an end past the calendar:
    # exempt until revoked.
    if days is not None and days > 0:
        with contextlib.suppress(OverflowError):
            exemption["endDate"] = iso(now + dt.timedelta(days=days))
    if auto_approve:
        decide(exemption, APPROVED, actor, now)
    return exemption


def decide(
    exemption: dict[str, Any],
    status: str,
    actor: Mapping[str, Any],
    now: dt.datetime,
    reason: str | None = None,
) -> None:
    exemption["exemptionStatus"] = {"status": status, "date": iso(now), "handledBy": dict(actor)}
    if reason is not None:
        exemption["decisionReason"] = reason


def status(exemption: Mapping[str, Any]) -> str:
    return str(exemption["exemptionStatus"]["status"])


def is_active(exemption: Mapping[str, Any], now: dt.datetime) -> bool:
    """Approved and not past its end date: the rule counts as passed."""
    if status(exemption) != APPROVED:
        return False
    end = exemption.get("endDate")
    return end is None or parse_iso(str(end)) > now


def matching(
    exemptions: Iterable[dict[str, Any]],
    scorecard: str,
    entity: str | None = None,
    rule: str | None = None,
) -> list[dict[str, Any]]:
    return [
        e
        for e in exemptions
        if e["scorecard"] == scorecard
        and (entity is None or e["entity"] == entity)
        and (rule is None or e["ruleIdentifier"] == rule)
    ]


def public(exemption: Mapping[str, Any], *, with_rule: bool = False) -> dict[str, Any]:
    """`RuleExemptionDefinition` (or `...WithRule` for score listings)."""
    result = {key: exemption[key] for key in _PUBLIC_KEYS if key in exemption}
    if with_rule:
        result["ruleIdentifier"] = exemption["ruleIdentifier"]
        result["ruleExpression"] = exemption["ruleExpression"]
    return result
