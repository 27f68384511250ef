"""An entity's standing in scorecards: scores, next steps, badges, and rule exemptions.

The dataclasses are public and stable: the values `CortexClient.scores`, `entity_scores`,
`next_steps`, `badge` and the exemption methods return (import them from
`scorecards_sync.cortex.models`). The `*_from_json` parsers are internal to the client.
The impact preview reads `EntityScore` and its rule outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scorecards_sync.cortex.shapes import (
    Level,
    Page,
    as_array,
    as_object,
    level_from_json,
    levels_from_json,
    opt_int,
    opt_str,
    page_from_json,
    req_number,
    req_str,
    str_tuple,
)


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


def actor_from_json(value: Any, what: str = "actor") -> Actor:
    data = as_object(value, what)
    return Actor(
        type=req_str(data, "type", what),
        name=opt_str(data, "name", what),
        email=opt_str(data, "email", what),
        api_key_last4=opt_str(data, "apiKeyLast4", what),
    )


def exemption_from_json(value: Any, what: str = "exemption") -> Exemption:
    """A `RuleExemptionDefinition` or `RuleExemptionDefinitionWithRule`."""
    data = as_object(value, what)
    status = as_object(data.get("exemptionStatus"), f"{what}.exemptionStatus")
    handled_by = status.get("handledBy")
    return Exemption(
        status=req_str(status, "status", f"{what}.exemptionStatus"),
        reason=req_str(data, "requestingReason", what),
        requested_by=actor_from_json(data.get("requestedBy"), f"{what}.requestedBy"),
        requested_date=req_str(data, "requestedDate", what),
        end_date=opt_str(data, "endDate", what),
        decided_by=(
            actor_from_json(handled_by, f"{what}.exemptionStatus.handledBy")
            if handled_by is not None
            else None
        ),
        decided_date=opt_str(status, "date", f"{what}.exemptionStatus"),
        rule_identifier=opt_str(data, "ruleIdentifier", what),
        rule_expression=opt_str(data, "ruleExpression", what),
    )


def exemptions_from_json(value: Any) -> tuple[Exemption, ...]:
    """A `ModifiedRuleExemptionsResponse` (`{exemptions: [...]}`)."""
    data = as_object(value, "response")
    items = as_array(data.get("exemptions"), "exemptions")
    return tuple(exemption_from_json(item, f"exemptions[{i}]") for i, item in enumerate(items))


def _rule_outcome(value: Any, what: str) -> RuleOutcome:
    data = as_object(value, what)
    return RuleOutcome(
        expression=req_str(data, "expression", what),
        score=req_number(data, "score", what),
        identifier=opt_str(data, "identifier", what),
        error=opt_str(data, "error", what),
    )


def _entity_score(value: Any, what: str) -> EntityScore:
    data = as_object(value, what)
    service = as_object(data.get("service"), f"{what}.service")
    owners = as_object(service.get("owners") or {}, f"{what}.service.owners")
    individuals = as_array(owners.get("individuals"), f"{what}.service.owners.individuals")
    score = as_object(data.get("score"), f"{what}.score")
    summary = as_object(score.get("summary"), f"{what}.score.summary")
    rules = as_array(score.get("rules"), f"{what}.score.rules")
    exemptions = as_array(data.get("ruleExemptions"), f"{what}.ruleExemptions")
    return EntityScore(
        entity_tag=req_str(service, "tag", f"{what}.service"),
        entity_name=req_str(service, "name", f"{what}.service"),
        entity_id=req_str(service, "id", f"{what}.service"),
        groups=str_tuple(service.get("groups"), f"{what}.service.groups"),
        owner_groups=str_tuple(owners.get("groups"), f"{what}.service.owners.groups"),
        owner_emails=tuple(
            req_str(as_object(person, f"{what}.owner"), "email", f"{what}.owner")
            for person in individuals
        ),
        last_evaluated=req_str(data, "lastEvaluated", what),
        score=req_number(summary, "score", f"{what}.score.summary"),
        total_possible_score=req_number(summary, "totalPossibleScore", f"{what}.score.summary"),
        percentage=req_number(summary, "percentage", f"{what}.score.summary"),
        levels=levels_from_json(score.get("ladderLevels"), f"{what}.score.ladderLevels"),
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
    data = as_object(value, "response")
    items = as_array(data.get("serviceScores"), "serviceScores")
    scores = [_entity_score(item, f"serviceScores[{i}]") for i, item in enumerate(items)]
    page = page_from_json(data) if "totalPages" in data else None
    return scores, page


def scorecard_scores_from_json(value: Any) -> list[ScorecardScore]:
    """The array of `ScorecardScore` for one entity."""
    items = as_array(value, "response")
    result = []
    for i, item in enumerate(items):
        what = f"[{i}]"
        data = as_object(item, what)
        scorecard_id = opt_int(data, "scorecardId", what)
        result.append(
            ScorecardScore(
                scorecard_id=scorecard_id if scorecard_id is not None else 0,
                scorecard_name=req_str(data, "scorecardName", what),
                score=req_number(data, "score", what),
                score_percentage=req_number(data, "scorePercentage", what),
                total_possible_score=req_number(data, "totalPossibleScore", what),
                levels=levels_from_json(data.get("ladderLevels"), f"{what}.ladderLevels"),
            )
        )
    return result


def next_steps_from_json(value: Any) -> list[NextStep]:
    """A `NextSteps1` (`{nextSteps: [...]}`)."""
    data = as_object(value, "response")
    steps = []
    for i, item in enumerate(as_array(data.get("nextSteps"), "nextSteps")):
        what = f"nextSteps[{i}]"
        step = as_object(item, what)
        rules = []
        for j, rule in enumerate(as_array(step.get("rulesToComplete"), f"{what}.rulesToComplete")):
            rule_what = f"{what}.rulesToComplete[{j}]"
            rule_data = as_object(rule, rule_what)
            rules.append(
                RuleRef(
                    expression=req_str(rule_data, "expression", rule_what),
                    identifier=opt_str(rule_data, "identifier", rule_what),
                    title=opt_str(rule_data, "title", rule_what),
                    description=opt_str(rule_data, "description", rule_what),
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
    return req_str(as_object(value, "response"), "value", "response")
