"""Typed results of the Cortex API, and the one place raw response JSON is read.

Each `*_from_json` function takes a decoded body (shapes from Cortex's OpenAPI spec) and
returns frozen dataclasses; a body of the wrong shape raises `ResponseShapeError`, which
the client turns into a `CortexError` naming the call. Unknown extra fields are ignored,
so Cortex can add fields without breaking us.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ResponseShapeError(ValueError):
    """A response body does not have the shape the spec documents."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Level:
    """A ladder level as the API reports it (`number`: the rank, 1 = highest)."""

    name: str
    number: int


@dataclass(frozen=True)
class Filter:
    types_include: tuple[str, ...] = ()
    types_exclude: tuple[str, ...] = ()
    groups_include: tuple[str, ...] = ()
    groups_exclude: tuple[str, ...] = ()
    query: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == Filter()


@dataclass(frozen=True)
class Rule:
    expression: str
    identifier: str | None = None
    title: str | None = None
    description: str | None = None
    weight: float | None = None
    level_name: str | None = None
    failure_message: str | None = None
    effective_from: str | None = None
    filter: Filter | None = None


@dataclass(frozen=True)
class ScorecardSummary:
    """One entry of the scorecard list."""

    tag: str
    name: str
    is_draft: bool
    description: str | None = None
    last_updated: str | None = None
    rule_count: int = 0


@dataclass(frozen=True)
class ScorecardDetails:
    """`GET /api/v1/scorecards/{tag}`: lossy (no level colors or descriptions)."""

    tag: str
    name: str
    is_draft: bool
    description: str | None
    last_updated: str | None
    rules: tuple[Rule, ...]
    levels: tuple[Level, ...]
    notifications_enabled: bool | None
    score_drop_notifications_enabled: bool | None
    exemptions_enabled: bool | None
    exemptions_auto_approve: bool | None
    evaluation_window: int | None
    filter: Filter | None

    def summary(self) -> ScorecardSummary:
        return ScorecardSummary(
            tag=self.tag,
            name=self.name,
            is_draft=self.is_draft,
            description=self.description,
            last_updated=self.last_updated,
            rule_count=len(self.rules),
        )


@dataclass(frozen=True)
class UpsertResult:
    """What `POST /api/v1/scorecards/descriptor` answered."""

    dry_run: bool
    scorecard: ScorecardDetails | None
    warnings: tuple[str, ...] = ()

    @property
    def tag(self) -> str | None:
        return self.scorecard.tag if self.scorecard is not None else None


@dataclass(frozen=True)
class Actor:
    """Who requested or decided an exemption: an API key (last 4 characters) or a user."""

    type: str
    name: str | None = None
    email: str | None = None
    api_key_last4: str | None = None


@dataclass(frozen=True)
class Exemption:
    status: str
    reason: str
    requested_by: Actor
    requested_date: str
    end_date: str | None = None
    decided_by: Actor | None = None
    decided_date: str | None = None
    rule_identifier: str | None = None
    rule_expression: str | None = None


@dataclass(frozen=True)
class RuleOutcome:
    expression: str
    score: float
    identifier: str | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.score > 0


@dataclass(frozen=True)
class EntityScore:
    """One entity's score in one scorecard (`GET .../scores`)."""

    entity_tag: str
    entity_name: str
    entity_id: str
    groups: tuple[str, ...]
    owner_groups: tuple[str, ...]
    owner_emails: tuple[str, ...]
    last_evaluated: str
    score: float
    total_possible_score: float
    # A fraction, 0 to 1 (score / total_possible_score): the spec says only "number", and
    # Cortex's own Backstage plugin shows it multiplied by 100.
    percentage: float
    levels: tuple[Level, ...]
    rules: tuple[RuleOutcome, ...]
    exemptions: tuple[Exemption, ...]

    @property
    def level(self) -> Level | None:
        return self.levels[0] if self.levels else None


@dataclass(frozen=True)
class ScorecardScore:
    """One scorecard's score for an entity (`GET /api/v1/catalog/{tagOrId}/scorecards`)."""

    scorecard_id: int
    scorecard_name: str
    score: float
    score_percentage: float  # a fraction, 0 to 1, like EntityScore.percentage
    total_possible_score: float
    levels: tuple[Level, ...]

    @property
    def level(self) -> Level | None:
        return self.levels[0] if self.levels else None


@dataclass(frozen=True)
class RuleRef:
    expression: str
    identifier: str | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NextStep:
    """Rules an entity must pass to climb from `current_level` to `next_level`."""

    rules_to_complete: tuple[RuleRef, ...]
    current_level: Level | None = None
    next_level: Level | None = None


@dataclass(frozen=True)
class Page:
    """Paging fields of a list response."""

    page: int
    total: int | None
    total_pages: int | None


# --------------------------------------------------------------------------- counters


@dataclass(frozen=True)
class StatsSnapshot:
    requests: int
    retries: int
    throttled: int
    connection_errors: int
    by_status: Mapping[int, int]
    limiter_wait_seconds: float


@dataclass
class ClientStats:
    """Live, thread-safe counters of one client (benchmarks and tests read them)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    connection_errors: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    limiter_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_response(self, status: int, waited: float) -> None:
        with self._lock:
            self.requests += 1
            self.by_status[status] += 1
            self.limiter_wait_seconds += waited
            if status == 429:
                self.throttled += 1

    def record_connection_error(self, waited: float) -> None:
        with self._lock:
            self.requests += 1
            self.connection_errors += 1
            self.limiter_wait_seconds += waited

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                requests=self.requests,
                retries=self.retries,
                throttled=self.throttled,
                connection_errors=self.connection_errors,
                by_status=dict(self.by_status),
                limiter_wait_seconds=self.limiter_wait_seconds,
            )


# --------------------------------------------------------------------------- parsing


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ResponseShapeError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ResponseShapeError(f"{what}: expected an array, got {type(value).__name__}")
    return value


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ResponseShapeError(f"{what}.{key}: expected a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseShapeError(f"{what}.{key}: expected a string or null")
    return value


def _opt_bool(data: Mapping[str, Any], key: str, what: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ResponseShapeError(f"{what}.{key}: expected a boolean or null")
    return value


def _opt_number(data: Mapping[str, Any], key: str, what: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResponseShapeError(f"{what}.{key}: expected a number or null")
    return float(value)


def _number(data: Mapping[str, Any], key: str, what: str) -> float:
    value = _opt_number(data, key, what)
    if value is None:
        raise ResponseShapeError(f"{what}.{key}: expected a number")
    return value


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseShapeError(f"{what}.{key}: expected an integer or null")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = _list(value, what)
    if not all(isinstance(item, str) for item in items):
        raise ResponseShapeError(f"{what}: expected an array of strings")
    return tuple(items)


def _include_exclude(value: Any, what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    data = _obj(value, what)
    return (
        _strings(data.get("include"), f"{what}.include"),
        _strings(data.get("exclude"), f"{what}.exclude"),
    )


def filter_from_json(value: Any, what: str = "filter") -> Filter | None:
    if value is None:
        return None
    data = _obj(value, what)
    types_include, types_exclude = _include_exclude(data.get("types"), f"{what}.types")
    groups_include, groups_exclude = _include_exclude(data.get("groups"), f"{what}.groups")
    return Filter(
        types_include=types_include,
        types_exclude=types_exclude,
        groups_include=groups_include,
        groups_exclude=groups_exclude,
        query=_opt_str(data, "query", what),
    )


def level_from_json(value: Any, what: str = "level") -> Level | None:
    """A `LadderLevel` (`{level: {name, number}}`), or a bare `CurrentLevel`."""
    if value is None:
        return None
    data = _obj(value, what)
    if "level" in data:
        if data["level"] is None:
            return None
        data = _obj(data["level"], f"{what}.level")
    number = _opt_int(data, "number", what)
    return Level(name=_str(data, "name", what), number=number if number is not None else 0)


def _levels(value: Any, what: str) -> tuple[Level, ...]:
    levels = (level_from_json(item, f"{what}[{i}]") for i, item in enumerate(_list(value, what)))
    return tuple(level for level in levels if level is not None)


def rule_from_json(value: Any, what: str = "rule") -> Rule:
    data = _obj(value, what)
    return Rule(
        expression=_str(data, "expression", what),
        identifier=_opt_str(data, "identifier", what),
        title=_opt_str(data, "title", what),
        description=_opt_str(data, "description", what),
        weight=_opt_number(data, "weight", what),
        level_name=_opt_str(data, "levelName", what),
        failure_message=_opt_str(data, "failureMessage", what),
        effective_from=_opt_str(data, "effectiveFrom", what),
        filter=filter_from_json(data.get("filter"), f"{what}.filter"),
    )


def scorecard_from_json(value: Any, what: str = "scorecard") -> ScorecardDetails:
    """A `ScorecardResponse`."""
    data = _obj(value, what)
    notifications = _obj(data.get("notifications") or {}, f"{what}.notifications")
    exemptions = _obj(data.get("exemptions") or {}, f"{what}.exemptions")
    evaluation = _obj(data.get("evaluation") or {}, f"{what}.evaluation")
    rules = _list(data.get("rules"), f"{what}.rules")
    return ScorecardDetails(
        tag=_str(data, "tag", what),
        name=_str(data, "name", what),
        is_draft=bool(_opt_bool(data, "isDraft", what)),
        description=_opt_str(data, "description", what),
        last_updated=_opt_str(data, "lastUpdated", what),
        rules=tuple(rule_from_json(rule, f"{what}.rules[{i}]") for i, rule in enumerate(rules)),
        levels=_levels(data.get("levels"), f"{what}.levels"),
        notifications_enabled=_opt_bool(notifications, "enabled", f"{what}.notifications"),
        score_drop_notifications_enabled=_opt_bool(
            notifications, "scoreDropNotificationsEnabled", f"{what}.notifications"
        ),
        exemptions_enabled=_opt_bool(exemptions, "enabled", f"{what}.exemptions"),
        exemptions_auto_approve=_opt_bool(exemptions, "autoApprove", f"{what}.exemptions"),
        evaluation_window=_opt_int(evaluation, "window", f"{what}.evaluation"),
        filter=filter_from_json(data.get("filter"), f"{what}.filter"),
    )


def scorecard_page_from_json(value: Any) -> tuple[list[ScorecardSummary], Page]:
    """A `PaginatedScorecardsResponse`."""
    data = _obj(value, "response")
    items = _list(data.get("scorecards"), "scorecards")
    summaries = [
        scorecard_from_json(item, f"scorecards[{i}]").summary() for i, item in enumerate(items)
    ]
    return summaries, page_from_json(data)


def page_from_json(data: Mapping[str, Any]) -> Page:
    page = _opt_int(data, "page", "response")
    return Page(
        page=page if page is not None else 0,
        total=_opt_int(data, "total", "response"),
        total_pages=_opt_int(data, "totalPages", "response"),
    )


def scorecard_envelope_from_json(value: Any) -> ScorecardDetails:
    """A `ScorecardDescriptorResponse` (`{scorecard: ...}`)."""
    data = _obj(value, "response")
    return scorecard_from_json(data.get("scorecard"), "scorecard")


def upsert_result_from_json(value: Any, *, dry_run: bool) -> UpsertResult:
    """The POST descriptor answer: `{scorecard}` per the spec; a dry run may carry less."""
    if value is None or value == "":
        return UpsertResult(dry_run=dry_run, scorecard=None)
    data = _obj(value, "response")
    scorecard = data.get("scorecard")
    warnings = _list(data.get("warnings"), "warnings")
    return UpsertResult(
        dry_run=dry_run,
        scorecard=scorecard_from_json(scorecard) if scorecard is not None else None,
        warnings=tuple(str(item) for item in warnings),
    )


def actor_from_json(value: Any, what: str = "actor") -> Actor:
    data = _obj(value, what)
    return Actor(
        type=_str(data, "type", what),
        name=_opt_str(data, "name", what),
        email=_opt_str(data, "email", what),
        api_key_last4=_opt_str(data, "apiKeyLast4", what),
    )


def exemption_from_json(value: Any, what: str = "exemption") -> Exemption:
    """A `RuleExemptionDefinition` or `RuleExemptionDefinitionWithRule`."""
    data = _obj(value, what)
    status = _obj(data.get("exemptionStatus"), f"{what}.exemptionStatus")
    handled_by = status.get("handledBy")
    return Exemption(
        status=_str(status, "status", f"{what}.exemptionStatus"),
        reason=_str(data, "requestingReason", what),
        requested_by=actor_from_json(data.get("requestedBy"), f"{what}.requestedBy"),
        requested_date=_str(data, "requestedDate", what),
        end_date=_opt_str(data, "endDate", what),
        decided_by=(
            actor_from_json(handled_by, f"{what}.exemptionStatus.handledBy")
            if handled_by is not None
            else None
        ),
        decided_date=_opt_str(status, "date", f"{what}.exemptionStatus"),
        rule_identifier=_opt_str(data, "ruleIdentifier", what),
        rule_expression=_opt_str(data, "ruleExpression", what),
    )


def exemptions_from_json(value: Any) -> tuple[Exemption, ...]:
    """A `ModifiedRuleExemptionsResponse` (`{exemptions: [...]}`)."""
    data = _obj(value, "response")
    items = _list(data.get("exemptions"), "exemptions")
    return tuple(exemption_from_json(item, f"exemptions[{i}]") for i, item in enumerate(items))


def _rule_outcome(value: Any, what: str) -> RuleOutcome:
    data = _obj(value, what)
    return RuleOutcome(
        expression=_str(data, "expression", what),
        score=_number(data, "score", what),
        identifier=_opt_str(data, "identifier", what),
        error=_opt_str(data, "error", what),
    )


def _entity_score(value: Any, what: str) -> EntityScore:
    data = _obj(value, what)
    service = _obj(data.get("service"), f"{what}.service")
    owners = _obj(service.get("owners") or {}, f"{what}.service.owners")
    individuals = _list(owners.get("individuals"), f"{what}.service.owners.individuals")
    score = _obj(data.get("score"), f"{what}.score")
    summary = _obj(score.get("summary"), f"{what}.score.summary")
    rules = _list(score.get("rules"), f"{what}.score.rules")
    exemptions = _list(data.get("ruleExemptions"), f"{what}.ruleExemptions")
    return EntityScore(
        entity_tag=_str(service, "tag", f"{what}.service"),
        entity_name=_str(service, "name", f"{what}.service"),
        entity_id=_str(service, "id", f"{what}.service"),
        groups=_strings(service.get("groups"), f"{what}.service.groups"),
        owner_groups=_strings(owners.get("groups"), f"{what}.service.owners.groups"),
        owner_emails=tuple(
            _str(_obj(person, f"{what}.owner"), "email", f"{what}.owner") for person in individuals
        ),
        last_evaluated=_str(data, "lastEvaluated", what),
        score=_number(summary, "score", f"{what}.score.summary"),
        total_possible_score=_number(summary, "totalPossibleScore", f"{what}.score.summary"),
        percentage=_number(summary, "percentage", f"{what}.score.summary"),
        levels=_levels(score.get("ladderLevels"), f"{what}.score.ladderLevels"),
        rules=tuple(
            _rule_outcome(rule, f"{what}.score.rules[{i}]") for i, rule in enumerate(rules)
        ),
        exemptions=tuple(
            exemption_from_json(item, f"{what}.ruleExemptions[{i}]")
            for i, item in enumerate(exemptions)
        ),
    )


def scores_page_from_json(value: Any) -> tuple[list[EntityScore], Page | None]:
    """A `ScorecardServiceScore`; paging fields are used when present (the spec has none)."""
    data = _obj(value, "response")
    items = _list(data.get("serviceScores"), "serviceScores")
    scores = [_entity_score(item, f"serviceScores[{i}]") for i, item in enumerate(items)]
    page = page_from_json(data) if "totalPages" in data else None
    return scores, page


def scorecard_scores_from_json(value: Any) -> list[ScorecardScore]:
    """The array of `ScorecardScore` for one entity."""
    items = _list(value, "response")
    result = []
    for i, item in enumerate(items):
        what = f"[{i}]"
        data = _obj(item, what)
        scorecard_id = _opt_int(data, "scorecardId", what)
        result.append(
            ScorecardScore(
                scorecard_id=scorecard_id if scorecard_id is not None else 0,
                scorecard_name=_str(data, "scorecardName", what),
                score=_number(data, "score", what),
                score_percentage=_number(data, "scorePercentage", what),
                total_possible_score=_number(data, "totalPossibleScore", what),
                levels=_levels(data.get("ladderLevels"), f"{what}.ladderLevels"),
            )
        )
    return result


def next_steps_from_json(value: Any) -> list[NextStep]:
    """A `NextSteps1` (`{nextSteps: [...]}`)."""
    data = _obj(value, "response")
    steps = []
    for i, item in enumerate(_list(data.get("nextSteps"), "nextSteps")):
        what = f"nextSteps[{i}]"
        step = _obj(item, what)
        rules = []
        for j, rule in enumerate(_list(step.get("rulesToComplete"), f"{what}.rulesToComplete")):
            rule_what = f"{what}.rulesToComplete[{j}]"
            rule_data = _obj(rule, rule_what)
            rules.append(
                RuleRef(
                    expression=_str(rule_data, "expression", rule_what),
                    identifier=_opt_str(rule_data, "identifier", rule_what),
                    title=_opt_str(rule_data, "title", rule_what),
                    description=_opt_str(rule_data, "description", rule_what),
                )
            )
        steps.append(
            NextStep(
                rules_to_complete=tuple(rules),
                current_level=level_from_json(step.get("currentLevel"), f"{what}.currentLevel"),
                next_level=level_from_json(step.get("nextLevel"), f"{what}.nextLevel"),
            )
        )
    return steps


def badge_from_json(value: Any) -> str:
    """A `ScorecardShieldsBadgeMarkdown` (`{value}`)."""
    return _str(_obj(value, "response"), "value", "response")
