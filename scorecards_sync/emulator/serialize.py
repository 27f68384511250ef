"""Descriptors as Cortex stores and serves them.

`prepare` turns a posted descriptor into the stored form (defaults written out,
rule identifiers assigned, keys in Cortex's order); `descriptor_yaml` writes it
the way `GET .../descriptor` does; `scorecard_json` gives the lossy JSON of
`GET /api/v1/scorecards/{tag}`.

The YAML itself, Jackson's layout and quoting, is `served_yaml.py`'s.

Choices where the real service is not known exactly (easy to change here):
- A rule posted without a filter is served without one. DESIGN.md reports
  `{kind: GENERIC}` exports, but the one byte-for-byte body we have
  (learn-gitops) shows a rule with no filter; a rule filter that was posted,
  even an empty `{kind: GENERIC}`, is served as posted.
- Level colors keep the case they were posted in (the Terraform provider's
  acceptance tests post `#c38b5f` and read back `#c38b5f`); a color posted without
  `#` is served with one (not known either way).
- Keys posted with a null value are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from scorecards_sync.descriptor import (
    LEVEL_KEY_ORDER,
    RULE_KEY_ORDER,
    TOP_KEY_ORDER,
    rule_identifier,
    with_defaults,
)
from scorecards_sync.emulator.served_yaml import descriptor_yaml as descriptor_yaml
from scorecards_sync.emulator.served_yaml import jackson_quotes as jackson_quotes

_NESTED_KEY_ORDER: Mapping[str, tuple[str, ...]] = {
    "notifications": ("enabled", "scoreDropNotificationsEnabled"),
    "exemptions": ("enabled", "autoApprove"),
    "evaluation": ("window",),
    "ladder": ("name", "levels"),
}
FILTER_KEY_ORDER: tuple[str, ...] = ("kind", "category", "types", "groups", "query")
_INCLUDE_EXCLUDE_ORDER: tuple[str, ...] = ("include", "exclude")


def prepare(data: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored form of a posted descriptor (which passed validation).

    `previous` is what is stored under the same tag, if anything: a rule of the
    same title keeps its identifier even when its expression changed.
    """
    known = _identifiers_by_title(previous)
    result = with_defaults(_plain(data), copied=True)
    for rule in result.get("rules") or []:
        if isinstance(rule, dict) and not rule.get("identifier"):
            title = rule.get("title")
            if isinstance(title, str) and title in known:
                rule["identifier"] = known[title]
            elif isinstance(rule.get("expression"), str):
                rule["identifier"] = rule_identifier(rule["expression"])
    ladder = result.get("ladder")
    if isinstance(ladder, dict):
        for level in ladder.get("levels") or []:
            if isinstance(level, dict) and isinstance(level.get("color"), str):
                level["color"] = _with_hash(level["color"])
    return _ordered_descriptor(result)


def _with_hash(color: str) -> str:
    stripped = color.strip()
    return stripped if stripped.startswith("#") else "#" + stripped


def _identifiers_by_title(previous: Mapping[str, Any] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if previous is None:
        return found
    for rule in previous.get("rules") or []:
        if isinstance(rule, Mapping):
            title, identifier = rule.get("title"), rule.get("identifier")
            if isinstance(title, str) and isinstance(identifier, str):
                found.setdefault(title, identifier)
    return found


def _plain(value: Any) -> Any:
    """A copy of `value` with JSON-compatible values only: keys posted with a null value
    dropped, YAML timestamps written as ISO strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _iso(moment: dt.datetime) -> str:
    text = moment.isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def _ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    result = {key: mapping[key] for key in order if key in mapping}
    result.update((key, value) for key, value in mapping.items() if key not in result)
    return result


def _ordered_filter(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    result = _ordered(value, FILTER_KEY_ORDER)
    for key in ("types", "groups"):
        if isinstance(result.get(key), Mapping):
            result[key] = _ordered(result[key], _INCLUDE_EXCLUDE_ORDER)
    return result


def _ordered_descriptor(data: Mapping[str, Any]) -> dict[str, Any]:
    result = _ordered(data, TOP_KEY_ORDER)
    for key, order in _NESTED_KEY_ORDER.items():
        if isinstance(result.get(key), Mapping):
            result[key] = _ordered(result[key], order)
    ladder = result.get("ladder")
    if isinstance(ladder, dict) and isinstance(ladder.get("levels"), list):
        ladder["levels"] = [
            _ordered(level, LEVEL_KEY_ORDER) if isinstance(level, Mapping) else level
            for level in ladder["levels"]
        ]
    if isinstance(result.get("rules"), list):
        rules = []
        for rule in result["rules"]:
            if isinstance(rule, Mapping):
                rule = _ordered(rule, RULE_KEY_ORDER)
                if "filter" in rule:
                    rule["filter"] = _ordered_filter(rule["filter"])
            rules.append(rule)
        result["rules"] = rules
    if "filter" in result:
        result["filter"] = _ordered_filter(result["filter"])
    return result


# --- JSON (GET /api/v1/scorecards/{tag}) -------------------------------------------------

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)


def scorecard_json(
    stored: Mapping[str, Any], last_updated: str, date_created: str | None = None
) -> dict[str, Any]:
    """`ScorecardResponse`: lossy (no level colors or descriptions), `isDraft`, `levelName`.

    `dateCreated` (required by Cortex's current API reference) is when the scorecard
    was first created; an update keeps it.
    """
    notifications = stored.get("notifications") or {}
    exemptions = stored.get("exemptions") or {}
    result: dict[str, Any] = {
        "tag": stored["tag"],
        "name": stored["name"],
    }
    if isinstance(stored.get("description"), str):
        result["description"] = stored["description"]
    result["isDraft"] = bool(stored.get("draft", False))
    result["notifications"] = {
        "enabled": bool(notifications.get("enabled", False)),
        "scoreDropNotificationsEnabled": bool(
            notifications.get("scoreDropNotificationsEnabled", False)
        ),
    }
    result["exemptions"] = {
        "enabled": bool(exemptions.get("enabled", False)),
        "autoApprove": bool(exemptions.get("autoApprove", False)),
    }
    window = (stored.get("evaluation") or {}).get("window")
    if isinstance(window, int):
        result["evaluation"] = {"window": window}
    rules = [_rule_json(rule) for rule in stored.get("rules") or [] if isinstance(rule, Mapping)]
    result["rules"] = rules
    levels = ladder_levels(stored)
    if levels:
        result["levels"] = [{"level": {"name": name, "number": rank}} for name, rank in levels]
    scope = filter_json(stored.get("filter"))
    if scope is not None:
        result["filter"] = scope
    if date_created is not None:
        result["dateCreated"] = date_created
    result["lastUpdated"] = last_updated
    return result


def ladder_levels(stored: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(name, rank) of each level, lowest rank first."""
    ladder = stored.get("ladder")
    if not isinstance(ladder, Mapping):
        return []
    found = [
        (level["name"], level["rank"])
        for level in ladder.get("levels") or []
        if isinstance(level, Mapping)
        and isinstance(level.get("name"), str)
        and isinstance(level.get("rank"), int)
    ]
    return sorted(found, key=lambda item: item[1])


def _rule_json(rule: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in ("title", "description", "expression", "identifier", "failureMessage"):
        if isinstance(rule.get(key), str):
            result[key] = rule[key]
    weight = rule.get("weight")
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        result["weight"] = weight
    if isinstance(rule.get("level"), str):
        result["levelName"] = rule["level"]
    effective = rule.get("effectiveFrom")
    if isinstance(effective, str) and _DATE_TIME.match(effective):
        result["effectiveFrom"] = _as_date_time(effective)
    scope = filter_json(rule.get("filter"))
    if scope is not None:
        result["filter"] = scope
    return result


def _as_date_time(text: str) -> str:
    if len(text) == len("2024-01-01"):
        return text + "T00:00:00Z"
    if text[-1] in "Zz" or re.search(r"[+-]\d{2}:?\d{2}$", text[10:]):
        return text.replace(" ", "T")
    return text.replace(" ", "T") + "Z"


def filter_json(value: Any) -> dict[str, Any] | None:
    """The spec's `Filter {types, groups, query}`; a legacy `category` becomes a type."""
    if not isinstance(value, Mapping):
        return None
    result: dict[str, Any] = {}
    types = _include_exclude_json(value.get("types"))
    category = value.get("category")
    if isinstance(category, str) and category.strip():
        include = list(types.get("include", [])) if types else []
        if category.lower() not in include:
            include.append(category.lower())
        types = {**(types or {}), "include": include}
    if types:
        result["types"] = types
    groups = _include_exclude_json(value.get("groups"))
    if groups:
        result["groups"] = groups
    query = value.get("query")
    if isinstance(query, str) and query.strip():
        result["query"] = query
    return result or None


def _include_exclude_json(value: Any) -> dict[str, list[str]] | None:
    if not isinstance(value, Mapping):
        return None
    result: dict[str, list[str]] = {}
    for key in _INCLUDE_EXCLUDE_ORDER:
        items = value.get(key)
        if isinstance(items, list):
            unique = list(dict.fromkeys(str(item) for item in items))
            if unique:
                result[key] = unique
    return result or None
