"""A small, fixed catalog of entities and deterministic scorecard outcomes.

Cortex evaluates CQL against live integrations; the emulator cannot, so each
(entity, rule) outcome is a hash of the entity tag and the rule identifier:
the same every run, different across entities and rules. Scopes are honoured
(`types`, `groups`, legacy `category`); CQL `query` filters are not evaluated.
Approved, unexpired exemptions count as passes.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scorecards_sync.emulator.serialize import ladder_levels

# About 60% of (entity, rule) pairs pass: enough spread for levels and next steps.
_PASS_BELOW = 154


@dataclass(frozen=True)
class Entity:
    tag: str
    name: str
    id: str
    type: str
    groups: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        """The spec's `ServiceDetails`."""
        return {
            "id": self.id,
            "tag": self.tag,
            "name": self.name,
            "groups": list(self.groups),
            "owners": {
                "groups": list(self.teams),
                "individuals": [{"email": email} for email in self.owners],
            },
        }


def _entity(
    tag: str,
    name: str,
    kind: str,
    groups: Sequence[str] = (),
    teams: Sequence[str] = (),
    owners: Sequence[str] = (),
) -> Entity:
    # Cortex ids are 18 characters: "en" and 16 hex digits.
    digest = hashlib.sha256(tag.encode()).hexdigest()[:16]
    return Entity(tag, name, "en" + digest, kind, tuple(groups), tuple(teams), tuple(owners))


ENTITIES: tuple[Entity, ...] = (
    _entity(
        "checkout",
        "Checkout",
        "service",
        ["payments", "tier-1"],
        ["payments-team"],
        ["ana@example.com"],
    ),
    _entity("payments-api", "Payments API", "service", ["payments", "tier-1"], ["payments-team"]),
    _entity("ledger", "Ledger", "service", ["payments"], ["payments-team"], ["li@example.com"]),
    _entity("search", "Search", "service", ["discovery", "tier-1"], ["discovery-team"]),
    _entity("recommendations", "Recommendations", "service", ["discovery"], ["discovery-team"]),
    _entity(
        "auth", "Auth", "service", ["platform", "tier-1"], ["platform-team"], ["sam@example.com"]
    ),
    _entity("notifications", "Notifications", "service", ["platform"], ["platform-team"]),
    _entity(
        "learn-cortex-demo", "Learn Cortex Demo", "service", ["learn-cortex"], ["platform-team"]
    ),
    _entity("orders-db", "Orders Database", "resource", ["payments"], ["payments-team"]),
    _entity("events-queue", "Events Queue", "resource", ["platform"], ["platform-team"]),
    _entity("commerce", "Commerce", "domain", ["payments"], ["payments-team"]),
    _entity("platform-team", "Platform Team", "team", ["platform"]),
)

_BY_KEY: Mapping[str, Entity] = {
    **{entity.tag: entity for entity in ENTITIES},
    **{entity.id: entity for entity in ENTITIES},
}


def find_entity(tag_or_id: str) -> Entity | None:
    return _BY_KEY.get(tag_or_id)


BUILT_IN_TYPES = ("service", "domain", "team")


def custom_entity_types() -> list[str]:
    """Entity types of the catalog beyond Cortex's built-in ones."""
    return sorted({e.type for e in ENTITIES} - set(BUILT_IN_TYPES))


def in_scope(entity: Entity, scope: Any) -> bool:
    """Does `scope` (a descriptor filter, current or legacy shape) select `entity`?"""
    if not isinstance(scope, Mapping):
        return True
    category = scope.get("category")
    if isinstance(category, str) and category.strip() and entity.type != category.lower():
        return False
    return _include_exclude(scope.get("types"), [entity.type]) and _include_exclude(
        scope.get("groups"), entity.groups
    )


def _include_exclude(value: Any, have: Collection[str]) -> bool:
    if not isinstance(value, Mapping):
        return True
    include = value.get("include")
    exclude = value.get("exclude")
    if isinstance(include, list) and include and not any(str(i) in have for i in include):
        return False
    return not (isinstance(exclude, list) and any(str(e) in have for e in exclude))


def entities_in_scope(stored: Mapping[str, Any]) -> list[Entity]:
    return [entity for entity in ENTITIES if in_scope(entity, stored.get("filter"))]


def passes(entity: Entity, identifier: str) -> bool:
    digest = hashlib.sha256(f"{entity.tag}\0{identifier}".encode()).digest()
    return digest[0] < _PASS_BELOW


@dataclass(frozen=True)
class RuleResult:
    rule: Mapping[str, Any]
    passed: bool
    exempt: bool

    @property
    def identifier(self) -> str:
        return str(self.rule.get("identifier", ""))

    @property
    def weight(self) -> float:
        weight = self.rule.get("weight", 1)
        return weight if isinstance(weight, int | float) and not isinstance(weight, bool) else 1


@dataclass(frozen=True)
class Evaluation:
    """One entity against one scorecard."""

    entity: Entity
    results: tuple[RuleResult, ...]
    level: tuple[str, int] | None
    next_level: tuple[str, int] | None

    @property
    def score(self) -> float:
        return sum(r.weight for r in self.results if r.passed)

    @property
    def total(self) -> float:
        return sum(r.weight for r in self.results)

    @property
    def percentage(self) -> float:
        return round(self.score / self.total, 4) if self.total else 0.0

    def failing(self, level_name: str | None = None) -> list[Mapping[str, Any]]:
        return [
            r.rule
            for r in self.results
            if not r.passed and (level_name is None or r.rule.get("level") == level_name)
        ]


def evaluate(stored: Mapping[str, Any], entity: Entity, exempt: Iterable[str] = ()) -> Evaluation:
    """Rule outcomes, score and level of `entity`; `exempt` are rule identifiers exempted."""
    exempted = set(exempt)
    results = []
    for rule in stored.get("rules") or []:
        if not isinstance(rule, Mapping) or not in_scope(entity, rule.get("filter")):
            continue
        identifier = str(rule.get("identifier", ""))
        exempt_rule = identifier in exempted
        results.append(RuleResult(rule, exempt_rule or passes(entity, identifier), exempt_rule))
    level: tuple[str, int] | None = None
    next_level: tuple[str, int] | None = None
    # A level is reached when every rule of it and of every lower level passes.
    for name, rank in ladder_levels(stored):
        if all(r.passed for r in results if r.rule.get("level") == name):
            level = (name, rank)
            continue
        next_level = (name, rank)
        break
    return Evaluation(entity, tuple(results), level, next_level)


def ladder_level_json(level: tuple[str, int] | None) -> list[dict[str, Any]]:
    """The spec's `ladderLevels`: the level reached, if any."""
    if level is None:
        return []
    return [{"level": {"name": level[0], "number": level[1]}}]


def badge_markdown(stored: Mapping[str, Any], evaluation: Evaluation) -> str:
    """A shields.io badge in markdown, as `GET .../badge` serves it."""
    if ladder_levels(stored):
        message = evaluation.level[0] if evaluation.level else "No Level"
        color = _level_color(stored, evaluation.level[0]) if evaluation.level else "lightgrey"
    else:
        message = f"{round(evaluation.percentage * 100)}%"
        color = "brightgreen" if evaluation.percentage >= 0.8 else "orange"
    label = str(stored.get("name", stored.get("tag", "")))
    image = "https://img.shields.io/badge/{}-{}-{}".format(
        _shield_part(label), _shield_part(message), urllib.parse.quote(color.lstrip("#"), safe="")
    )
    link = "https://app.getcortexapp.com/admin/scorecards/" + urllib.parse.quote(
        str(stored.get("tag", "")), safe=""
    )
    return f"[![{label}]({image})]({link})"


def _shield_part(text: str) -> str:
    # shields.io reads "-" as a separator and "_" as a space; doubling escapes both.
    escaped = text.replace("-", "--").replace("_", "__")
    return urllib.parse.quote(escaped, safe="")


def _level_color(stored: Mapping[str, Any], name: str) -> str:
    ladder = stored.get("ladder")
    if isinstance(ladder, Mapping):
        for level in ladder.get("levels") or []:
            if isinstance(level, Mapping) and level.get("name") == name:
                color = level.get("color")
                if isinstance(color, str):
                    return color
    return "blue"
