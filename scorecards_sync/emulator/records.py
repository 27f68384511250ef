"""What the records of a state file must hold before the handlers may rely on them.

The handlers index stored records without checking them: they only store records
they built. A state file is still a file (edited by hand, written by another
version, damaged), so `state_problems` checks each record when the file is read,
and the store refuses a file with problems instead of failing inside a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scorecards_sync.emulator import exemptions
from scorecards_sync.emulator.acceptance import descriptor_violations
from scorecards_sync.value_kinds import kind_of

_SCORECARD_TEXT_KEYS = ("text", "created", "lastUpdated")
_EXEMPTION_TEXT_KEYS = (
    "scorecard",
    "entity",
    "ruleIdentifier",
    "ruleExpression",
    "requestingReason",
    "requestedDate",
)
_STATUSES = (exemptions.PENDING, exemptions.APPROVED, exemptions.REJECTED)


def state_problems(state: Mapping[str, Any]) -> list[str]:
    """`where: what` for every record the handlers could not use, in file order.

    `state` already has the right top level (`scorecards` a mapping, `exemptions` a list).
    """
    problems: list[str] = []
    next_id: Any = state.get("nextId")
    if "nextId" not in state:
        problems.append("missing `nextId`")
    elif not _is_whole(next_id) or next_id < 1:
        got = kind_of(next_id, "json")
        problems.append(f"nextId: expected a whole number of at least 1, got {got}")
    for tag, record in state["scorecards"].items():
        problems.extend(f"scorecards.{tag}: {p}" for p in _scorecard_problems(tag, record))
    for index, exemption in enumerate(state["exemptions"]):
        problems.extend(f"exemptions[{index}]: {p}" for p in _exemption_problems(exemption))
    return problems


def _scorecard_problems(tag: str, record: Any) -> list[str]:
    if not isinstance(record, Mapping):
        return [f"expected a scorecard record (a mapping), got {kind_of(record, 'json')}"]
    problems = _missing_or_wrong(record, ("id",), _is_whole, "a whole number")
    problems += _missing_or_wrong(record, _SCORECARD_TEXT_KEYS, _is_text, "a string")
    if "evaluated" in record and not isinstance(record["evaluated"], bool):
        got = kind_of(record["evaluated"], "json")
        problems.append(f"evaluated: expected true or false, got {got}")
    data = record.get("data")
    if not isinstance(data, Mapping):
        got = kind_of(data, "json")
        problems.append(f"data: expected the stored descriptor (a mapping), got {got}")
        return problems
    problems += [f"data.{violation}" for violation in descriptor_violations(data)]
    if isinstance(data.get("tag"), str) and data["tag"] != tag:
        problems.append(f"data.tag: `{data['tag']}` differs from the record's key")
    return problems


def _exemption_problems(exemption: Any) -> list[str]:
    if not isinstance(exemption, Mapping):
        return [f"expected an exemption record (a mapping), got {kind_of(exemption, 'json')}"]
    problems = _missing_or_wrong(exemption, _EXEMPTION_TEXT_KEYS, _is_text, "a string")
    problems += _missing_or_wrong(exemption, ("requestedBy",), _is_mapping, "a mapping")
    status = exemption.get("exemptionStatus")
    if not isinstance(status, Mapping) or status.get("status") not in _STATUSES:
        problems.append(f"exemptionStatus: expected a mapping whose status is one of {_STATUSES}")
    if "endDate" in exemption and not _is_moment(exemption["endDate"]):
        got = kind_of(exemption["endDate"], "json")
        problems.append(f"endDate: expected a date and time with a zone, got {got}")
    return problems


def _missing_or_wrong(
    record: Mapping[str, Any],
    keys: tuple[str, ...],
    accepts: Callable[[Any], bool],
    wanted: str,
) -> list[str]:
    problems = []
    for key in keys:
        if key not in record:
            problems.append(f"missing `{key}`")
        elif not accepts(record[key]):
            problems.append(f"{key}: expected {wanted}, got {kind_of(record[key], 'json')}")
    return problems


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_moment(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = exemptions.parse_iso(value)
    except ValueError:
        return False
    # Compared with an aware "now": a naive one would fail inside a request.
    return moment.tzinfo is not None and moment.utcoffset() is not None
