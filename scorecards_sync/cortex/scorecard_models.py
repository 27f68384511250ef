"""Scorecards as the API reports them: the list, one scorecard, what a POST answered.

The dataclasses are public and stable: the values `CortexClient.list_scorecards`,
`get_scorecard` and `upsert_descriptor` return (import them from
`scorecards_sync.cortex.models`). The `*_from_json` parsers are internal to the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scorecards_sync.cortex.shapes import (
    Level,
    Page,
    as_array,
    as_object,
    include_exclude,
    levels_from_json,
    opt_bool,
    opt_int,
    opt_number,
    opt_str,
    page_from_json,
    req_str,
)


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
    date_created: str | None = None


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
    # Required by Cortex's current API reference; absent from older answers.
    date_created: str | None = None

    def summary(self) -> ScorecardSummary:
        return ScorecardSummary(
            tag=self.tag,
            name=self.name,
            is_draft=self.is_draft,
            description=self.description,
            last_updated=self.last_updated,
            rule_count=len(self.rules),
            date_created=self.date_created,
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


def filter_from_json(value: Any, what: str = "filter") -> Filter | None:
    if value is None:
        return None
    data = as_object(value, what)
    types_include, types_exclude = include_exclude(data.get("types"), f"{what}.types")
    groups_include, groups_exclude = include_exclude(data.get("groups"), f"{what}.groups")
    return Filter(
        types_include=types_include,
        types_exclude=types_exclude,
        groups_include=groups_include,
        groups_exclude=groups_exclude,
        query=opt_str(data, "query", what),
    )


def rule_from_json(value: Any, what: str = "rule") -> Rule:
    data = as_object(value, what)
    return Rule(
        expression=req_str(data, "expression", what),
        identifier=opt_str(data, "identifier", what),
        title=opt_str(data, "title", what),
        description=opt_str(data, "description", what),
        weight=opt_number(data, "weight", what),
        level_name=opt_str(data, "levelName", what),
        failure_message=opt_str(data, "failureMessage", what),
        effective_from=opt_str(data, "effectiveFrom", what),
        filter=filter_from_json(data.get("filter"), f"{what}.filter"),
    )


def scorecard_from_json(value: Any, what: str = "scorecard") -> ScorecardDetails:
    """A `ScorecardResponse`."""
    data = as_object(value, what)
    notifications = as_object(data.get("notifications") or {}, f"{what}.notifications")
    exemptions = as_object(data.get("exemptions") or {}, f"{what}.exemptions")
    evaluation = as_object(data.get("evaluation") or {}, f"{what}.evaluation")
    rules = as_array(data.get("rules"), f"{what}.rules")
    return ScorecardDetails(
        tag=req_str(data, "tag", what),
        name=req_str(data, "name", what),
        is_draft=bool(opt_bool(data, "isDraft", what)),
        description=opt_str(data, "description", what),
        last_updated=opt_str(data, "lastUpdated", what),
        rules=tuple(rule_from_json(rule, f"{what}.rules[{i}]") for i, rule in enumerate(rules)),
        levels=levels_from_json(data.get("levels"), f"{what}.levels"),
        notifications_enabled=opt_bool(notifications, "enabled", f"{what}.notifications"),
        score_drop_notifications_enabled=opt_bool(
            notifications, "scoreDropNotificationsEnabled", f"{what}.notifications"
        ),
        exemptions_enabled=opt_bool(exemptions, "enabled", f"{what}.exemptions"),
        exemptions_auto_approve=opt_bool(exemptions, "autoApprove", f"{what}.exemptions"),
        evaluation_window=opt_int(evaluation, "window", f"{what}.evaluation"),
        filter=filter_from_json(data.get("filter"), f"{what}.filter"),
        date_created=opt_str(data, "dateCreated", what),
    )


def scorecard_page_from_json(value: Any) -> tuple[list[ScorecardSummary], Page]:
    """A `PaginatedScorecardsResponse`."""
    data = as_object(value, "response")
    items = as_array(data.get("scorecards"), "scorecards")
    summaries = [
        scorecard_from_json(item, f"scorecards[{i}]").summary() for i, item in enumerate(items)
    ]
    return summaries, page_from_json(data)


def scorecard_envelope_from_json(value: Any) -> ScorecardDetails:
    """A `ScorecardDescriptorResponse` (`{scorecard: ...}`)."""
    data = as_object(value, "response")
    return scorecard_from_json(data.get("scorecard"), "scorecard")


def upsert_result_from_json(value: Any, *, dry_run: bool) -> UpsertResult:
    """The POST descriptor answer: `{scorecard}` per the spec; a dry run may carry less."""
    if value is None or value == "":
        return UpsertResult(dry_run=dry_run, scorecard=None)
    data = as_object(value, "response")
    scorecard = data.get("scorecard")
    warnings = as_array(data.get("warnings"), "warnings")
    return UpsertResult(
        dry_run=dry_run,
        scorecard=scorecard_from_json(scorecard) if scorecard is not None else None,
        warnings=tuple(str(item) for item in warnings),
    )
