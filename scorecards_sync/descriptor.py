"""The canonical form of a scorecard descriptor: one place for Cortex's defaults,
normalization, rule identity and fingerprints.

Both sides of a comparison (the repository and Cortex) pass through `canonical`
so that differences Cortex does not care about never show up as changes: key
order, color spelling (`7cf376`, `"#7CF376"`), rule and level order, defaults
written out or not, empty filters (`{kind: GENERIC}`, `types: {}`), `kind:
GENERIC` written or implied, the order of filter types and groups, keys written
without a value, YAML dates (Cortex keeps them as text). Rule identifiers are
handled by `comparable`: one missing on the desired side is not a difference,
and their case is not one either (a UUID is a UUID; Cortex writes them lower case).
The emulator uses the same table of defaults, so what it serves and what the
planner expects cannot drift apart.

Filters are compared by meaning. The legacy shape `{category: SERVICE}` and the
current `{kind: GENERIC, types: {include: [service]}}` select the same entities, and
Cortex does not always read a filter back in the shape it was posted: the Terraform
provider's history shows it serving `category: SERVICE` for a scorecard posted
without a filter, and its tests moved from `category` to `kind: GENERIC` + `types`
once Cortex called `category` deprecated. So `_canonical_filter` rewrites the
categories that name one entity type (SERVICE, DOMAIN, TEAM) into that `types`
form, whichever side has which shape, at the top level and on rules. `RESOURCE`
stands for every resource type, which no `types` list spells, so it stays as
written. The one case that cannot be decided by meaning, a scorecard posted
without a filter that Cortex serves with `category: SERVICE`, is the planner's
to report (`LEGACY_SERVICE_DEFAULT`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Cortex's defaults, as its OpenAPI spec states them and `GET .../descriptor` writes
# them out. Change them here only.
DEFAULTS: Mapping[str, Any] = {
    "draft": False,
    "notifications": {"enabled": True, "scoreDropNotificationsEnabled": False},
    "exemptions": {"enabled": True, "autoApprove": False},
    "evaluation": {"window": 4},
}
# The one default that depends on another field: "defaults to true for non-draft
# Scorecards and to false for draft Scorecards" (spec, `Notifications.enabled`).
DRAFT_NOTIFICATIONS_ENABLED = False
LADDER_DEFAULT_NAME = "Default Ladder"
RULE_DEFAULTS: Mapping[str, Any] = {"weight": 1}
# Legacy filter categories that name exactly one entity type, and that type.
LEGACY_CATEGORY_TYPES: Mapping[str, str] = {
    "SERVICE": "service",
    "DOMAIN": "domain",
    "TEAM": "team",
}
# What Cortex has been seen to serve for a scorecard posted with no filter at all.
LEGACY_SERVICE_DEFAULT: Mapping[str, Any] = {"category": "SERVICE"}

TOP_KEY_ORDER: tuple[str, ...] = (
    "tag",
    "name",
    "description",
    "draft",
    "notifications",
    "exemptions",
    "evaluation",
    "ladder",
    "rules",
    "filter",
)
RULE_KEY_ORDER: tuple[str, ...] = (
    "title",
    "description",
    "expression",
    "identifier",
    "weight",
    "level",
    "failureMessage",
    "filter",
    "effectiveFrom",
)
LEVEL_KEY_ORDER: tuple[str, ...] = ("name", "rank", "description", "color")


def rule_identifier(expression: str) -> str:
    """The identifier Cortex gives a new rule: Java's `UUID.nameUUIDFromBytes(expression)`.

    That is an MD5 name-based UUID (version 3) with no namespace.
    """
    digest = hashlib.md5(expression.encode("utf-8"), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest, version=3))


def with_defaults(data: Mapping[str, Any], *, copied: bool = False) -> dict[str, Any]:
    """A deep copy of `data` with Cortex's defaults filled in (identifiers are not added).

    `copied`: `data` is a dict the caller just made, sharing nothing with anything else:
    it is filled in place instead of copied first.
    """
    result = data if copied and isinstance(data, dict) else copy.deepcopy(dict(data))
    _fill_defaults(result)
    return result


def _fill_defaults(result: dict[str, Any]) -> None:
    notifications = result.get("notifications")
    if result.get("draft") is True and (
        not isinstance(notifications, Mapping) or notifications.get("enabled") is None
    ):
        result["notifications"] = {
            **(notifications if isinstance(notifications, Mapping) else {}),
            "enabled": DRAFT_NOTIFICATIONS_ENABLED,
        }
    for key, default in DEFAULTS.items():
        current = result.get(key)
        if isinstance(default, Mapping):
            merged = dict(default)
            if isinstance(current, Mapping):
                # `window:` with no value means the default to Cortex, not "null".
                merged.update({k: v for k, v in current.items() if v is not None})
            result[key] = merged
        elif current is None:
            result[key] = default
    ladder = result.get("ladder")
    if isinstance(ladder, dict) and not ladder.get("name"):
        ladder["name"] = LADDER_DEFAULT_NAME
    rules = result.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, dict):
                for key, default in RULE_DEFAULTS.items():
                    if rule.get(key) is None:
                        rule[key] = default


def is_empty_filter(value: object) -> bool:
    """True for filters that select nothing more than no filter would.

    Cortex exports a rule without a filter as `{kind: GENERIC}` or
    `{kind: GENERIC, types: {}}`; all of those mean "no filter".
    """
    if value is None:
        return True
    if not isinstance(value, Mapping):
        return False
    for key, item in value.items():
        if key == "kind" and item in ("GENERIC", None):
            continue
        if key in ("types", "groups") and _is_empty_include_exclude(item):
            continue
        if key == "query" and (item is None or (isinstance(item, str) and not item.strip())):
            continue
        return False
    return True


def _is_empty_include_exclude(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, Mapping):
        return False
    return all(not item for item in value.values())


def normalize_color(value: str) -> str:
    """`7cf376`, `#7cf376` and `"#7CF376"` are one color to Cortex."""
    stripped = value.strip()
    return "#" + stripped.removeprefix("#").upper()


def canonical(data: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison form of a descriptor (see module docstring)."""
    result: dict[str, Any] = plain_values(data)  # a fresh copy: safe to fill in place
    _fill_defaults(result)
    ladder = result.get("ladder")
    if isinstance(ladder, dict) and isinstance(ladder.get("levels"), list):
        levels = [_canonical_level(level) for level in ladder["levels"]]
        ladder["levels"] = sorted(levels, key=_level_sort_key)
    rules = result.get("rules")
    if isinstance(rules, list):
        result["rules"] = sorted((_canonical_rule(rule) for rule in rules), key=_rule_sort_key)
    if "filter" in result:
        # A top-level `{kind: GENERIC}` selects every entity, exactly like no filter.
        normalized = _canonical_filter(result["filter"])
        if normalized is None or is_empty_filter(normalized):
            del result["filter"]
        else:
            result["filter"] = normalized
    return result


def plain_values(value: Any) -> Any:
    """`value` as Cortex keeps it: keys with no value dropped, YAML timestamps as ISO text.

    Cortex stores descriptors as JSON, so `effectiveFrom: 2024-01-01` comes back
    as the string `"2024-01-01"`, and a key written without a value is not kept.
    """
    if isinstance(value, Mapping):
        return {str(k): plain_values(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain_values(item) for item in value]
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _canonical_level(level: Any) -> Any:
    if not isinstance(level, dict):
        return level
    level = {key: value for key, value in level.items() if value is not None}
    if isinstance(level.get("color"), str):
        level["color"] = normalize_color(level["color"])
    return level


def _canonical_rule(rule: Any) -> Any:
    if not isinstance(rule, dict):
        return rule
    rule = dict(rule)
    if isinstance(rule.get("identifier"), str):
        rule["identifier"] = rule["identifier"].strip().lower()
    if "filter" in rule:
        normalized = _canonical_filter(rule["filter"])
        if normalized is None or is_empty_filter(normalized):
            del rule["filter"]
        else:
            rule["filter"] = normalized
    return {key: value for key, value in rule.items() if value is not None}


def _canonical_filter(value: Any) -> Any:
    """Drop empty parts of a filter and write it in the current shape where it has one.

    A filter without `category` or `kind` is a current-shape filter whose kind
    Cortex takes as GENERIC; include/exclude lists are sets to Cortex, so their
    order is not a difference. A legacy category that names one entity type
    becomes `types: {include: [that type]}` (see the module docstring).
    """
    if not isinstance(value, Mapping):
        return value
    value = _current_shape(value)
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key in ("types", "groups"):
            if _is_empty_include_exclude(item):
                continue
            if isinstance(item, Mapping):
                item = {k: _sorted_if_names(v) for k, v in item.items() if v}
        if key == "query" and (item is None or (isinstance(item, str) and not item.strip())):
            continue
        if key == "kind" and item is None:
            continue
        result[key] = item
    if result and "category" not in result and "kind" not in result:
        result["kind"] = "GENERIC"
    return result or None


def _current_shape(value: Mapping[str, Any]) -> Mapping[str, Any]:
    category = value.get("category")
    if not isinstance(category, str) or category not in LEGACY_CATEGORY_TYPES:
        return value
    if value.keys() - {"category", "query"}:
        return value  # a mixed shape Cortex refuses: left for validation to report
    result: dict[str, Any] = {
        "kind": "GENERIC",
        "types": {"include": [LEGACY_CATEGORY_TYPES[category]]},
    }
    if "query" in value:
        result["query"] = value["query"]
    return result


def _sorted_if_names(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return sorted(value)
    return value


def _level_sort_key(level: Any) -> tuple[int, str]:
    if isinstance(level, Mapping):
        rank = level.get("rank")
        return (rank if isinstance(rank, int) else 0, str(level.get("name", "")))
    return (0, "")


def _rule_sort_key(rule: Any) -> tuple[str, str]:
    if isinstance(rule, Mapping):
        return (str(rule.get("title", "")), str(rule.get("expression", "")))
    return ("", "")


def canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint(data: Mapping[str, Any]) -> str:
    """A stable digest of what Cortex holds for a scorecard (its canonical form)."""
    return canonical_fingerprint(canonical(data))


def canonical_fingerprint(form: Mapping[str, Any]) -> str:
    """`fingerprint` of a form `canonical` already produced (saves normalizing twice)."""
    digest = hashlib.sha256(canonical_json(form).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def comparable(
    desired: Mapping[str, Any], live: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Canonical forms of both sides, with `rules` turned into mappings keyed alike.

    A desired rule is paired with the live rule of the same identifier when both
    carry one, else with the live rule of the same title. A paired rule is keyed
    by the desired title on both sides, so a retitled rule shows as a title
    change rather than a removal and an addition. Where the desired rule has no
    identifier, the live one's is dropped: Cortex assigns identifiers, so their
    absence in the repository is not a difference.
    """
    return pair_rules(canonical(desired), canonical(live))


def pair_rules(want: dict[str, Any], have: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`comparable` for two canonical forms, which it takes over (their `rules` are replaced).

    An identifier carried by more than one rule on either side says nothing about which
    rule is which: Cortex derives a new rule's identifier from its expression, so two
    rules with one expression share it. Such rules are paired by title instead.

    Rules left over once identifiers and titles are used up are paired by expression:
    a retitled rule keeps its expression, and so the identifier Cortex derived from it.
    Only a one-to-one match counts; anything else stays a removal and an addition.
    """
    want_rules = [r for r in want.get("rules", []) if isinstance(r, dict)]
    have_rules = [r for r in have.get("rules", []) if isinstance(r, dict)]
    ambiguous = _shared_identifiers(want_rules) | _shared_identifiers(have_rules)
    unpaired = dict(enumerate(have_rules))  # by index: equal rules stay distinct
    by_identifier = {
        r["identifier"]: index
        for index, r in unpaired.items()
        if r.get("identifier") and r["identifier"] not in ambiguous
    }
    want_keyed: dict[str, Any] = {}
    matches: dict[str, int] = {}
    leftover: dict[str, dict[str, Any]] = {}
    for rule in want_rules:
        key = _unique_key(str(rule.get("title", rule.get("expression", ""))), want_keyed)
        want_keyed[key] = rule
        identifier = rule.get("identifier")
        index = by_identifier.get(identifier) if identifier not in ambiguous else None
        if index is None:
            index = next(
                (
                    i
                    for i, r in unpaired.items()
                    if r.get("title") == rule.get("title")
                    and _identifiers_agree(identifier, r.get("identifier"))
                ),
                None,
            )
        if index is None or index not in unpaired:
            leftover[key] = rule
            continue
        unpaired.pop(index)
        matches[key] = index
    for key, index in _pair_by_expression(leftover, unpaired).items():
        unpaired.pop(index)
        matches[key] = index
    have_keyed: dict[str, Any] = {}
    for key, index in matches.items():
        match = have_rules[index]
        if not want_keyed[key].get("identifier"):
            match = {k: v for k, v in match.items() if k != "identifier"}
        have_keyed[key] = match
    for rule in unpaired.values():
        key = _unique_key(str(rule.get("title", rule.get("expression", ""))), want_keyed)
        have_keyed[_unique_key(key, have_keyed)] = rule
    if "rules" in want or want_keyed:
        want["rules"] = want_keyed
    if "rules" in have or have_keyed:
        have["rules"] = have_keyed
    return want, have


def _identifiers_agree(want: object, have: object) -> bool:
    """False when both rules carry identifiers and they differ: then they are not one rule."""
    return not want or not have or want == have


def _pair_by_expression(
    leftover: Mapping[str, dict[str, Any]], unpaired: Mapping[int, dict[str, Any]]
) -> dict[str, int]:
    """Leftover desired rules (by key) matched one-to-one with unpaired live rules (by index).

    A live rule matches when its expression is the desired one, or its identifier is
    the one Cortex derives from the desired expression.
    """
    candidates: dict[str, list[int]] = {}
    for key, rule in leftover.items():
        expression = rule.get("expression")
        if not isinstance(expression, str):
            continue
        derived = rule_identifier(expression)
        candidates[key] = [
            index
            for index, live in unpaired.items()
            if (live.get("expression") == expression or live.get("identifier") == derived)
            and _identifiers_agree(rule.get("identifier"), live.get("identifier"))
        ]
    claims: dict[int, int] = {}
    for indexes in candidates.values():
        for index in indexes:
            claims[index] = claims.get(index, 0) + 1
    return {
        key: indexes[0]
        for key, indexes in candidates.items()
        if len(indexes) == 1 and claims[indexes[0]] == 1
    }


@dataclass(frozen=True)
class IdentifierChange:
    """A rule whose identifier Cortex would replace when the desired descriptor is posted."""

    title: str
    old: str
    new: str


def identifier_changes(
    desired: Mapping[str, Any], live: Mapping[str, Any]
) -> list[IdentifierChange]:
    """Rules the plan pairs with a live rule whose identifier Cortex would not keep.

    How Cortex pairs a posted rule without an identifier with a stored one is decided
    from the evidence we hold: by title. An identifier derived from an earlier
    expression survives an expression edit (a held-out export shows it), which pairing
    by title explains and pairing by expression would not; nothing shows pairing by
    expression. So a rule posted without an identifier and under a title no stored rule
    has gets a new one, derived from its expression. The planner still pairs such a
    retitled rule with its live rule (same expression, or the identifier derived from
    it); where that live rule's identifier is not the one Cortex would derive, the
    identifier changes and exemptions recorded against it no longer apply.
    """
    want = [r for r in desired.get("rules") or [] if isinstance(r, Mapping)]
    have = [r for r in live.get("rules") or [] if isinstance(r, Mapping)]
    titles = {r.get("title") for r in want}
    kept_by_title = {r.get("title") for r in have}
    unclaimed = [r for r in have if r.get("title") not in titles]
    changes: list[IdentifierChange] = []
    for rule in want:
        expression = rule.get("expression")
        if rule.get("identifier") or not isinstance(expression, str):
            continue
        if rule.get("title") in kept_by_title:
            continue  # Cortex pairs it by title and keeps the stored identifier
        minted = rule_identifier(expression)
        matches = [
            r
            for r in unclaimed
            if r.get("expression") == expression or _same_uuid(r.get("identifier"), minted)
        ]
        if len(matches) != 1:
            continue  # the plan shows a removal and an addition: nothing is hidden
        old = matches[0].get("identifier")
        if isinstance(old, str) and not _same_uuid(old, minted):
            changes.append(IdentifierChange(str(rule.get("title", "")), old.lower(), minted))
    return changes


def identifiers_cortex_cannot_derive(data: Mapping[str, Any]) -> set[str]:
    """Identifiers of rules that Cortex would not derive again from their expression.

    Derived ones come back by themselves when a rule is posted without one; these do
    not, so a file written from Cortex must keep them.
    """
    found: set[str] = set()
    for rule in data.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        identifier, expression = rule.get("identifier"), rule.get("expression")
        if (
            isinstance(identifier, str)
            and isinstance(expression, str)
            and not _same_uuid(identifier, rule_identifier(expression))
        ):
            found.add(identifier.strip().lower())
    return found


def _same_uuid(first: object, other: str) -> bool:
    return isinstance(first, str) and first.strip().lower() == other.lower()


def _shared_identifiers(rules: list[dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    shared: set[str] = set()
    for rule in rules:
        identifier = rule.get("identifier")
        if identifier:
            (shared if identifier in seen else seen).add(identifier)
    return shared


def _unique_key(key: str, taken: Mapping[str, Any]) -> str:
    if key not in taken:
        return key
    n = 2
    while f"{key} ({n})" in taken:
        n += 1
    return f"{key} ({n})"
