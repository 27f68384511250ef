"""The score impact of a scorecard update: each entity's level or score before and after.

Pure functions over two descriptors (live and desired) and Cortex's latest scores for
every entity in the live scorecard's scope (`GET /api/v1/scorecards/{tag}/scores`). No
I/O: the caller fetches, this module computes.

How Cortex turns rule outcomes into a level or a score, as decided here (each decision
sits in one small function, so that a wrong one is one place to change; the self-check
tells a user of the real Cortex when one is wrong):

- **Rank order.** A ladder level's `rank` is its place on the ladder, 1 the lowest: every
  descriptor Cortex publishes (its scorecard library, its CLI's fixtures, the raw
  `GET .../descriptor` export) ranks Bronze 1, Silver 2, Gold 3. The scores API's
  `CurrentLevel.number` is documented as "rank of the level where 1 is the highest",
  which contradicts those files; the self-check therefore compares levels by *name*,
  never by number.
- **Holding a level.** An entity holds the highest level L such that every rule of L and
  of every level ranked below L passes (Cortex's docs: an entity passing all of Bronze but
  failing a rule of the lowest level, Steel, has "No Level"). A level with no rules is
  passed by everyone. An entity that fails a rule of the lowest level has no level.
- **Rules without a level** (or naming a level the ladder does not have) gate no level;
  they still count towards the points score.
- **An empty ladder** (`ladder` with no levels) ranks nobody: such a scorecard is scored
  by points, like one without a ladder.
- **Points.** Every rule carries a weight (default 1, the spec's `ScorecardRule.weight`).
  An entity's score is the sum of the weights of the rules it passes, out of the weights
  of the rules that apply to it; its percentage is that fraction (Cortex serves
  `percentage` as a fraction 0..1; this module reports percentages 0..100).
- **Passing.** A rule outcome passes when its `score` is above 0 and it carries no
  `error`. An approved exemption whose `endDate` is absent or later than the moment of
  evaluation counts as passing, whatever the outcome says (Cortex's exemption docs: an
  exempt rule is treated as passing). Pending, rejected and expired exemptions do not.
- **Which rules apply to an entity.** The ones Cortex reported an outcome for. A live rule
  with no outcome for an entity is taken as filtered out by its rule `filter` when it has
  one, and as never evaluated (unknown) when it has none.

What is predicted, and what is not:

- Rules are paired as the planner pairs them (`descriptor.comparable`). A paired rule
  whose expression is unchanged keeps its outcomes, whatever else changes (title, level,
  weight, level names and ranks). Removed rules drop out.
- A new rule, or one whose expression changed, has no outcome yet: every entity it applies
  to gets a range (all such rules failing / all passing), never one guessed number. An
  exempted rule keeps passing across an expression edit (Cortex keeps its identifier).
- Scope: entities a changed `filter` removes are shown when the entity's groups decide it
  (the scores carry groups, not entity types); entities a changed filter may add cannot
  be previewed (Cortex has no scores for them) and the change is named in `not_previewed`,
  as are type, category and query parts of a changed scope or rule filter.
- The self-check recomputes every entity's *current* level (or score) from its live rule
  outcomes with the live descriptor (exemptions judged at the entity's `lastEvaluated`)
  and compares it with what Cortex reported. "Before" values are recomputed too, at the
  same moment as "after" (`now`), so that a move is caused by the change alone (not by
  an exemption that expired since); the number of disagreeing entities says how far the
  preview can be trusted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scorecards_sync.cortex.models import EntityScore, Exemption
from scorecards_sync.descriptor import canonical, pair_rules, rule_identifier

NO_LEVEL = "No level"
# A tolerance for comparing reported and recomputed scores (weights may be decimals).
_EPSILON = 1e-6
_INDEX = "\0impact-index"

# An entity's place: a level name (or NO_LEVEL) on a ladder, a percentage (0..100)
# on points; None: the entity leaves the scope.
Position = str | float | None


@dataclass(frozen=True)
class LevelCount:
    before: int
    after_min: int
    after_max: int


@dataclass(frozen=True)
class ScoreRange:
    """Average percentage (0..100) over the entities in scope, before and after."""

    before: float
    after_min: float
    after_max: float


@dataclass(frozen=True)
class SelfCheck:
    agree: int
    disagree: int
    disagreeing: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownRule:
    rule: str
    reason: str
    entities: int


@dataclass(frozen=True)
class Move:
    entity: str
    name: str
    before: Position
    after_min: Position
    after_max: Position


@dataclass(frozen=True)
class Impact:
    """What an update does to the entities the scorecard scores."""

    level_based: bool
    entities: int
    evaluated_at: str | None
    self_check: SelfCheck
    levels: tuple[tuple[str, LevelCount], ...]
    score: ScoreRange | None
    moves: tuple[Move, ...]
    unknown_rules: tuple[UnknownRule, ...]
    not_previewed: tuple[str, ...]
    unknown_entities: int = 0

    @property
    def trusted(self) -> bool:
        return self.self_check.disagree == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "evaluated_at": self.evaluated_at,
            "entities": self.entities,
            "self_check": {
                "agree": self.self_check.agree,
                "disagree": self.self_check.disagree,
                "disagreeing": list(self.self_check.disagreeing),
            },
            "levels": (
                {
                    name: {
                        "before": count.before,
                        "after_min": count.after_min,
                        "after_max": count.after_max,
                    }
                    for name, count in self.levels
                }
                if self.level_based
                else None
            ),
            "score": (
                {
                    "before": self.score.before,
                    "after_min": self.score.after_min,
                    "after_max": self.score.after_max,
                }
                if self.score is not None and not self.level_based
                else None
            ),
            "moves": [
                {
                    "entity": move.entity,
                    "before": move.before,
                    "after_min": move.after_min,
                    "after_max": move.after_max,
                }
                for move in self.moves
            ],
            "unknown_rules": [
                {"rule": u.rule, "reason": u.reason, "entities": u.entities}
                for u in self.unknown_rules
            ],
            "unknown_entities": self.unknown_entities,
            "not_previewed": list(self.not_previewed),
        }


# ----------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Rule:
    label: str
    expression: str
    identifier: str | None
    level: str | None
    weight: float
    scope: Mapping[str, Any] | None


@dataclass(frozen=True)
class _Ladder:
    """Level names, lowest rank first."""

    names: tuple[str, ...]
    ranks: Mapping[str, int] = field(default_factory=dict)


def _ladder(form: Mapping[str, Any]) -> _Ladder:
    ladder = form.get("ladder")
    found: list[tuple[int, str]] = []
    if isinstance(ladder, Mapping):
        for level in ladder.get("levels") or []:
            if isinstance(level, Mapping) and isinstance(level.get("name"), str):
                rank = level.get("rank")
                found.append((rank if isinstance(rank, int) else 0, level["name"]))
    found.sort()
    return _Ladder(tuple(name for _, name in found), {name: rank for rank, name in found})


def _rule(rule: Mapping[str, Any], label: str) -> _Rule:
    weight = rule.get("weight", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool):
        weight = 1
    identifier = rule.get("identifier")
    level = rule.get("level")
    scope = rule.get("filter")
    return _Rule(
        label=label,
        expression=str(rule.get("expression", "")).strip(),
        identifier=identifier.strip().lower() if isinstance(identifier, str) else None,
        level=level if isinstance(level, str) else None,
        weight=float(weight),
        scope=scope if isinstance(scope, Mapping) else None,
    )


# ------------------------------------------------------------------ filters


def _groups_admit(scope: Mapping[str, Any] | None, groups: Collection[str]) -> bool:
    """Does the `groups` part of a filter let an entity with these groups in?"""
    if scope is None:
        return True
    part = scope.get("groups")
    if not isinstance(part, Mapping):
        return True
    wanted = [str(g) for g in part.get("include") or []]
    unwanted = [str(g) for g in part.get("exclude") or []]
    if wanted and not set(wanted) & set(groups):
        return False
    return not set(unwanted) & set(groups)


def _undecidable_parts(scope: Mapping[str, Any] | None) -> list[str]:
    """Parts of a filter the scores cannot decide for an entity (type, category, query)."""
    if scope is None:
        return []
    return [key for key in ("types", "category", "query") if scope.get(key)]


def _changed_parts(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    keys = ("types", "category", "query", "groups")
    old = before or {}
    new = after or {}
    return [key for key in keys if old.get(key) != new.get(key)]


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class _Outcomes:
    """One entity's live rule outcomes, looked up by identifier or by expression."""

    by_identifier: Mapping[str, bool]
    by_expression: Mapping[str, bool]
    exempt_identifiers: frozenset[str]
    exempt_expressions: frozenset[str]

    def outcome(self, rule: _Rule) -> bool | None:
        if rule.identifier is not None and rule.identifier in self.by_identifier:
            return self.by_identifier[rule.identifier]
        return self.by_expression.get(rule.expression)

    def exempt(self, rule: _Rule, identifier: str | None = None) -> bool:
        ident = identifier or rule.identifier
        if ident is not None and ident in self.exempt_identifiers:
            return True
        return rule.expression in self.exempt_expressions


def exemption_counts(exemption: Exemption, at: dt.datetime) -> bool:
    """An approved exemption not yet expired at `at` counts as a pass."""
    if exemption.status.upper() != "APPROVED":
        return False
    if exemption.end_date is None:
        return True
    end = _parse_time(exemption.end_date)
    return end is None or end > at


def _parse_time(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _outcomes(score: EntityScore, at: dt.datetime) -> _Outcomes:
    by_identifier: dict[str, bool] = {}
    by_expression: dict[str, bool] = {}
    for outcome in score.rules:
        if outcome.identifier:
            by_identifier[outcome.identifier.strip().lower()] = outcome.passed
        by_expression[outcome.expression.strip()] = outcome.passed
    counted = [e for e in score.exemptions if exemption_counts(e, at)]
    return _Outcomes(
        by_identifier,
        by_expression,
        frozenset(e.rule_identifier.strip().lower() for e in counted if e.rule_identifier),
        frozenset(e.rule_expression.strip() for e in counted if e.rule_expression),
    )


# ------------------------------------------------------------- level / score

# An entity's state against one descriptor: per applying rule, True (pass), False (fail)
# or None (unknown).
_State = Sequence[tuple[_Rule, bool | None]]


def _level(ladder: _Ladder, state: _State, unknown_passes: bool) -> str:
    """The highest level every rule of which, and of every lower level, passes."""
    held = NO_LEVEL
    for name in ladder.names:
        for rule, passed in state:
            if rule.level != name:
                continue
            if passed is False or (passed is None and not unknown_passes):
                return held
        held = name
    return held


def _percentage(state: _State, unknown_passes: bool) -> float:
    total = sum(rule.weight for rule, _ in state)
    if total <= 0:
        return 0.0
    won = sum(
        rule.weight for rule, passed in state if passed or (passed is None and unknown_passes)
    )
    return 100.0 * won / total


def _points(state: _State) -> float:
    return sum(rule.weight for rule, passed in state if passed)


# ------------------------------------------------------------------ the model


@dataclass(frozen=True)
class _Pair:
    """A desired rule and the live rule it continues (None: a new rule)."""

    desired: _Rule
    live: _Rule | None


def _forms(
    live: Mapping[str, Any], desired: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[_Rule], list[_Pair]]:
    live_form = canonical(live)
    desired_form = canonical(desired)
    live_rules_raw = [r for r in live_form.get("rules") or [] if isinstance(r, dict)]
    for index, rule in enumerate(live_rules_raw):
        rule[_INDEX] = index
    live_rules = [
        _rule(rule, str(rule.get("title") or rule.get("expression", ""))) for rule in live_rules_raw
    ]
    want, have = pair_rules(canonical(desired), canonical(live_form))
    pairs: list[_Pair] = []
    for key, rule in (want.get("rules") or {}).items():
        if not isinstance(rule, Mapping):
            continue
        match = (have.get("rules") or {}).get(key)
        found = match.get(_INDEX) if isinstance(match, Mapping) else None
        pairs.append(_Pair(_rule(rule, key), live_rules[found] if isinstance(found, int) else None))
    return live_form, desired_form, live_rules, pairs


def _live_state(rules: Sequence[_Rule], outcomes: _Outcomes) -> list[tuple[_Rule, bool | None]]:
    """The rules Cortex reported for the entity, with their outcomes (exemptions pass)."""
    state: list[tuple[_Rule, bool | None]] = []
    for rule in rules:
        outcome = outcomes.outcome(rule)
        if outcome is None:
            continue
        state.append((rule, outcome or outcomes.exempt(rule)))
    return state


def _desired_state(
    pairs: Sequence[_Pair], outcomes: _Outcomes, groups: Collection[str]
) -> list[tuple[_Rule, bool | None]]:
    state: list[tuple[_Rule, bool | None]] = []
    for pair in pairs:
        rule = pair.desired
        if not _groups_admit(rule.scope, groups):
            continue
        live = pair.live
        outcome = outcomes.outcome(live) if live is not None else None
        if live is None:
            identifier = rule.identifier or rule_identifier(rule.expression)
            state.append((rule, True if outcomes.exempt(rule, identifier) else None))
            continue
        if outcome is None and live.scope is not None:
            continue  # filtered out today; whether a new rule filter adds it is not previewed
        if outcomes.exempt(live):
            state.append((rule, True))
        elif live.expression != rule.expression or outcome is None:
            state.append((rule, None))
        else:
            state.append((rule, outcome))
    return state


def _level_map(live: _Ladder, desired: _Ladder) -> dict[str, str]:
    """Live level names to desired ones: by name, else a renamed level keeping its rank."""
    mapping = {NO_LEVEL: NO_LEVEL}
    by_rank = {rank: name for name, rank in desired.ranks.items() if name not in live.ranks}
    for name, rank in live.ranks.items():
        if name in desired.ranks:
            mapping[name] = name
        elif rank in by_rank:
            mapping[name] = by_rank[rank]
    return mapping


def _scope_notes(live_form: Mapping[str, Any], desired_form: Mapping[str, Any]) -> list[str]:
    old, new = live_form.get("filter"), desired_form.get("filter")
    if old == new:
        return []
    parts = _changed_parts(
        old if isinstance(old, Mapping) else None, new if isinstance(new, Mapping) else None
    )
    return [
        f"scope filter changed ({', '.join(parts)}): entities it may add have no scores yet"
        + (
            "; entities its type/category/query part may remove are not shown"
            if set(parts) - {"groups"}
            else ""
        )
    ]


def _rule_notes(pairs: Sequence[_Pair]) -> list[str]:
    notes = []
    for pair in pairs:
        old = pair.live.scope if pair.live is not None else None
        new = pair.desired.scope
        if pair.live is not None and old != new:
            parts = ", ".join(_changed_parts(old, new))
            notes.append(
                f"rule {pair.desired.label!r}: filter changed ({parts}): "
                "entities it may add are not previewed"
            )
        elif pair.live is None and _undecidable_parts(new):
            notes.append(
                f"rule {pair.desired.label!r}: new rule with a filter on "
                f"{', '.join(_undecidable_parts(new))}: taken to apply to every entity in scope"
            )
    return notes


def _agrees(score: EntityScore, ladder: _Ladder, state: _State) -> bool:
    if ladder.names:
        reported = score.level.name if score.level is not None else NO_LEVEL
        return reported == _level(ladder, state, unknown_passes=False)
    return abs(score.score - _points(state)) <= _EPSILON


def _latest(values: Iterable[str]) -> str | None:
    best: tuple[dt.datetime, str] | None = None
    for text in values:
        moment = _parse_time(text)
        if moment is not None and (best is None or moment > best[0]):
            best = (moment, text)
    return best[1] if best else None


def compute_impact(
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    scores: Sequence[EntityScore],
    now: dt.datetime,
) -> Impact:
    """The impact of replacing `live` with `desired` on the entities of `scores`.

    `now` decides which exemptions still count after the change; for the self-check each
    entity's exemptions are judged at its own `lastEvaluated`.
    """
    live_form, desired_form, live_rules, pairs = _forms(live, desired)
    live_ladder, desired_ladder = _ladder(live_form), _ladder(desired_form)
    level_based = bool(live_ladder.names or desired_ladder.names)
    names = _level_map(live_ladder, desired_ladder)
    scope = desired_form.get("filter")
    desired_scope = scope if isinstance(scope, Mapping) else None
    agree, disagreeing = 0, []
    unknown_counts = dict.fromkeys((p.desired.label for p in pairs), 0)
    unknown_entities = 0
    moves: list[Move] = []
    level_before: dict[str, int] = {}
    level_min: dict[str, int] = {}  # entities surely at a level after
    level_max: dict[str, int] = {}
    pct_before: list[float] = []
    pct_min: list[float] = []
    pct_max: list[float] = []
    for score in scores:
        evaluated = _parse_time(score.last_evaluated) or now
        if _agrees(score, live_ladder, _live_state(live_rules, _outcomes(score, evaluated))):
            agree += 1
        else:
            disagreeing.append(score.entity_tag)
        # Before and after are judged at one moment, so that an exemption expiring
        # since the last evaluation is not shown as the change's doing.
        outcomes = _outcomes(score, now)
        current = _live_state(live_rules, outcomes)
        before_level = _level(live_ladder, current, unknown_passes=False)
        before_pct = _percentage(current, unknown_passes=False)
        level_before[before_level] = level_before.get(before_level, 0) + 1
        pct_before.append(before_pct)
        before: Position = before_level if level_based else round(before_pct, 2)
        if not _groups_admit(desired_scope, score.groups):
            moves.append(Move(score.entity_tag, score.entity_name, before, None, None))
            continue
        after = _desired_state(pairs, outcomes, score.groups)
        unknown = [rule.label for rule, passed in after if passed is None]
        for label in unknown:
            unknown_counts[label] += 1
        unknown_entities += bool(unknown)
        low = _level(desired_ladder, after, unknown_passes=False)
        high = _level(desired_ladder, after, unknown_passes=True)
        if low == high:
            level_min[low] = level_min.get(low, 0) + 1
        for name in _between(desired_ladder, low, high):
            level_max[name] = level_max.get(name, 0) + 1
        low_pct = _percentage(after, unknown_passes=False)
        high_pct = _percentage(after, unknown_passes=True)
        pct_min.append(low_pct)
        pct_max.append(high_pct)
        if level_based:
            target = names.get(before_level)
            if not (low == high == target):
                moves.append(Move(score.entity_tag, score.entity_name, before, low, high))
        elif not (abs(low_pct - before_pct) <= _EPSILON and abs(high_pct - before_pct) <= _EPSILON):
            moves.append(
                Move(
                    score.entity_tag,
                    score.entity_name,
                    before,
                    round(low_pct, 2),
                    round(high_pct, 2),
                )
            )
    order = [NO_LEVEL, *desired_ladder.names] + [
        n for n in live_ladder.names if n not in desired_ladder.ranks
    ]
    levels = tuple(
        (
            name,
            LevelCount(level_before.get(name, 0), level_min.get(name, 0), level_max.get(name, 0)),
        )
        for name in order
    )
    reasons = {
        pair.desired.label: (
            "new rule"
            if pair.live is None
            else "expression changed"
            if pair.live.expression != pair.desired.expression
            else "never evaluated"
        )
        for pair in pairs
    }
    return Impact(
        level_based=level_based,
        entities=len(scores),
        evaluated_at=_latest(s.last_evaluated for s in scores),
        self_check=SelfCheck(agree, len(disagreeing), tuple(disagreeing)),
        levels=levels,
        score=ScoreRange(_average(pct_before), _average(pct_min), _average(pct_max)),
        moves=tuple(moves),
        unknown_rules=tuple(
            UnknownRule(label, reasons[label], count)
            for label, count in unknown_counts.items()
            if count
        ),
        not_previewed=tuple(_scope_notes(live_form, desired_form) + _rule_notes(pairs)),
        unknown_entities=unknown_entities,
    )


def _between(ladder: _Ladder, low: str, high: str) -> list[str]:
    """Levels from `low` to `high` inclusive (NO_LEVEL is below every level)."""
    chain = [NO_LEVEL, *ladder.names]
    start, end = chain.index(low), chain.index(high)
    return chain[start : end + 1]


def _average(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0
