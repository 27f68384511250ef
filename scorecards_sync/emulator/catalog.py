"""The entities the emulator scores, and how each rule comes out for each of them.

Cortex evaluates CQL against live integrations; the emulator cannot. A catalog may
declare outcomes per entity and rule expression (pass, fail, or an error text); any
(entity, rule) it does not declare comes out as a hash of the entity tag and the rule
identifier: the same every run, different across entities and rules. Without a catalog
the emulator uses a small default one with no declared outcomes. Scopes are honoured
(`types`, `groups`, legacy `category`); CQL `query` filters are not evaluated.
Approved, unexpired exemptions count as passes.

This is the emulator's own scoring: the product's impact model (`scorecards_sync.impact`)
is a separate implementation, so that each checks the other.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scorecards_sync.emulator.serialize import ladder_levels

# About 60% of (entity, rule) pairs pass: enough spread for levels and next steps.
_PASS_BELOW = 154

# A declared outcome: True passes, False fails, a string is the error Cortex reports.
Outcome = bool | str


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


def entity_id(tag: str) -> str:
    """Cortex ids are 18 characters: "en" and 16 hex digits."""
    return "en" + hashlib.sha256(tag.encode()).hexdigest()[:16]


def _entity(
    tag: str,
    name: str,
    kind: str,
    groups: Sequence[str] = (),
    teams: Sequence[str] = (),
    owners: Sequence[str] = (),
) -> Entity:
    return Entity(tag, name, entity_id(tag), kind, tuple(groups), tuple(teams), tuple(owners))


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

BUILT_IN_TYPES = ("service", "domain", "team")


@dataclass(frozen=True)
class Catalog:
    """Entities, and outcomes declared per entity tag and rule expression."""

    entities: tuple[Entity, ...]
    outcomes: Mapping[str, Mapping[str, Outcome]] = field(default_factory=dict)
    _by_key: Mapping[str, Entity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {**{e.tag: e for e in self.entities}, **{e.id: e for e in self.entities}}
        object.__setattr__(self, "_by_key", keys)

    def find(self, tag_or_id: str) -> Entity | None:
        return self._by_key.get(tag_or_id)

    def custom_entity_types(self) -> list[str]:
        """Entity types of the catalog beyond Cortex's built-in ones."""
        return sorted({e.type for e in self.entities} - set(BUILT_IN_TYPES))

    def entities_in_scope(self, stored: Mapping[str, Any]) -> list[Entity]:
        return [e for e in self.entities if in_scope(e, stored.get("filter"))]

    def evaluate(
        self, stored: Mapping[str, Any], entity: Entity, exempt: Iterable[str] = ()
    ) -> Evaluation:
        return evaluate(stored, entity, exempt, self.outcomes.get(entity.tag))


DEFAULT_CATALOG = Catalog(ENTITIES)


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


def passes(entity: Entity, identifier: str) -> bool:
    digest = hashlib.sha256(f"{entity.tag}\0{identifier}".encode()).digest()
    return digest[0] < _PASS_BELOW


@dataclass(frozen=True)
class RuleResult:
    rule: Mapping[str, Any]
    passed: bool
    exempt: bool
    error: str | None = None

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


def evaluate(
    stored: Mapping[str, Any],
    entity: Entity,
    exempt: Iterable[str] = (),
    declared: Mapping[str, Outcome] | None = None,
) -> Evaluation:
    """Rule outcomes, score and level of `entity`; `exempt` are rule identifiers exempted,
    `declared` the entity's outcomes by rule expression (the rest are hashed)."""
    exempted = set(exempt)
    results = []
    for rule in stored.get("rules") or []:
        if not isinstance(rule, Mapping) or not in_scope(entity, rule.get("filter")):
            continue
        identifier = str(rule.get("identifier", ""))
        exempt_rule = identifier in exempted
        outcome = (declared or {}).get(str(rule.get("expression", "")).strip())
        error = outcome if isinstance(outcome, str) else None
        if outcome is None:
            outcome = passes(entity, identifier)
        passed = exempt_rule or outcome is True
        results.append(RuleResult(rule, passed, exempt_rule, None if passed else error))
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
