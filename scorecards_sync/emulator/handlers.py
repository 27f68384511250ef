"""The operations: what each route answers, given the state.

Handlers check everything a request needs before they change any state (the
in-memory store has no rollback), and refuse requests by raising `Answer`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scorecards_sync.emulator import catalog, exemptions, routes
from scorecards_sync.emulator.acceptance import check_descriptor, problem_details
from scorecards_sync.emulator.faults import DIVERGED_SUFFIX, FaultDice
from scorecards_sync.emulator.legacy_filter import LegacyFilterExport, exported
from scorecards_sync.emulator.params import (
    Answer,
    bad_request,
    body_str,
    bool_param,
    int_param,
    json_body,
    list_param,
    not_found,
    str_param,
)
from scorecards_sync.emulator.protocol import (
    YAML_TEXT,
    EmuRequest,
    EmuResponse,
    empty_response,
    error_response,
    json_response,
    text_response,
)
from scorecards_sync.emulator.serialize import descriptor_yaml, prepare, scorecard_json
from scorecards_sync.emulator.store import State, Store
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES

# How long an evaluation triggered on demand runs; another trigger meanwhile is a 409.
EVALUATION_SECONDS = 5.0
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 250


@dataclass(frozen=True)
class Call:
    request: EmuRequest
    params: Mapping[str, str]
    query: Mapping[str, list[str]]
    actor: Mapping[str, Any]
    dice: FaultDice
    permissions: frozenset[str] = frozenset()


class Handlers:
    def __init__(
        self,
        store: Store,
        now: Callable[[], dt.datetime],
        entities: catalog.Catalog = catalog.DEFAULT_CATALOG,
        legacy_filter: LegacyFilterExport = LegacyFilterExport.AS_POSTED,
    ) -> None:
        self.store = store
        self.now = now
        self.catalog = entities
        self.legacy_filter = legacy_filter
        # Evaluations triggered on demand, by (scorecard, entity): running until then.
        self.evaluating: dict[tuple[str, str], dt.datetime] = {}
        self.evaluation_seconds = EVALUATION_SECONDS

    def dispatch(self, operation: str, call: Call) -> EmuResponse:
        handler: Callable[[Call], EmuResponse] = getattr(self, "_" + operation)
        return handler(call)

    # --- scorecards ---------------------------------------------------------------------

    def _listScorecards(self, call: Call) -> EmuResponse:
        page = int_param(call.query, "page", 0, minimum=0)
        page_size = int_param(
            call.query, "pageSize", DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE
        )
        show_drafts = bool_param(call.query, "showDrafts", default=False)
        search = {name: list_param(call.query, name) for name in ("groups", "entities", "teams")}
        with self.store.reading() as state:
            records = [
                record
                for _, record in sorted(state["scorecards"].items())
                if show_drafts or not record["data"].get("draft", False)
            ]
            if any(search.values()):
                records = [r for r in records if _found_by_search(self.catalog, r, search)]
            total = len(records)
            chosen = records[page * page_size : (page + 1) * page_size]
            scorecards = [scorecard_json(r["data"], r["lastUpdated"], r["created"]) for r in chosen]
        return json_response(
            200,
            {
                "scorecards": scorecards,
                "page": page,
                "total": total,
                "totalPages": math.ceil(total / page_size),
            },
        )

    def _getScorecard(self, call: Call) -> EmuResponse:
        with self.store.reading() as state:
            record = _scorecard(state, call.params["tag"])
            return json_response(
                200,
                {
                    "scorecard": scorecard_json(
                        record["data"], record["lastUpdated"], record["created"]
                    )
                },
            )

    def _getScorecardDescriptor(self, call: Call) -> EmuResponse:
        with self.store.reading() as state:
            record = _scorecard(state, call.params["tag"])
            return text_response(200, record["text"], YAML_TEXT)

    def _deleteScorecard(self, call: Call) -> EmuResponse:
        tag = call.params["tag"]
        _refuse_failing_tag(call, tag)
        with self.store.writing() as state:
            _scorecard(state, tag)
            del state["scorecards"][tag]
            state["exemptions"] = [e for e in state["exemptions"] if e["scorecard"] != tag]
        return empty_response(200)

    def _createOrUpdateScorecard(self, call: Call) -> EmuResponse:
        dry_run = bool_param(call.query, "dryRun", default=False)
        _, payload = self.upsert(call.request.body, dry_run=dry_run, call=call)
        return json_response(200, payload)

    def upsert(
        self, body: bytes, *, dry_run: bool, call: Call | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Validate and (unless `dry_run`) store a descriptor; the tag and the 200 body."""
        if len(body) > MAX_DESCRIPTOR_BYTES:
            raise bad_request(
                "Request body is too large",
                f"the body is {len(body):,} bytes; the limit is {MAX_DESCRIPTOR_BYTES:,} (2 MB)",
            )
        data, problems = check_descriptor(body)
        if data is None:
            raise bad_request("Invalid scorecard yaml", problem_details(problems))
        tag = str(data["tag"])
        if call is not None:
            _refuse_failing_tag(call, tag)
            if not dry_run and call.dice.roll(call.dice.faults.fail_rate):
                raise Answer(
                    error_response(
                        500,
                        "Scorecard evaluation is running; try again in a few seconds",
                        details=f"an evaluation of `{tag}` is in progress",
                    ),
                    injected=True,
                )
        now = exemptions.iso(self.now())
        if dry_run:
            with self.store.reading() as state:
                previous = state["scorecards"].get(tag)
                stored = exported(
                    prepare(data, previous["data"] if previous else None), self.legacy_filter
                )
                created = previous["created"] if previous else now
            return tag, {"scorecard": scorecard_json(stored, now, created)}
        with self.store.writing() as state:
            previous = state["scorecards"].get(tag)
            stored = exported(
                prepare(data, previous["data"] if previous else None), self.legacy_filter
            )
            if call is not None and tag in call.dice.faults.diverging_tags:
                stored = {**stored, "name": f"{stored['name']}{DIVERGED_SUFFIX}"}
            text = descriptor_yaml(stored)
            if previous is None:
                scorecard_id = int(state["nextId"])
                state["nextId"] = scorecard_id + 1
            else:
                scorecard_id = int(previous["id"])
            state["scorecards"][tag] = {
                "id": scorecard_id,
                "data": stored,
                "text": text,
                "created": previous["created"] if previous else now,
                "lastUpdated": now,
                "evaluated": bool(previous and previous.get("evaluated")),
            }
            created = state["scorecards"][tag]["created"]
        return tag, {"scorecard": scorecard_json(stored, now, created)}

    # --- scores -------------------------------------------------------------------------

    def _listScorecardScores(self, call: Call) -> EmuResponse:
        page = int_param(call.query, "page", 0, minimum=0)
        page_size = int_param(
            call.query, "pageSize", DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE
        )
        entity_tag = str_param(call.query, "entityTag")
        now = self.now()
        with self.store.reading() as state:
            record = _scorecard(state, call.params["tag"])
            entities = self.catalog.entities_in_scope(record["data"])
            if entity_tag is not None:
                entities = [e for e in entities if self.catalog.find(entity_tag) == e]
            total = len(entities)
            chosen = entities[page * page_size : (page + 1) * page_size]
            scores = [self._service_score(state, record, entity, now) for entity in chosen]
            payload: dict[str, Any] = {
                "scorecardId": record["id"],
                "scorecardName": record["data"]["name"],
                "scorecardTag": record["data"]["tag"],
                "serviceScores": scores,
                "page": page,
                "total": total,
                "totalPages": math.ceil(total / page_size),
            }
            scope = scorecard_json(record["data"], record["lastUpdated"]).get("filter")
            if scope is not None:
                payload["scorecardFilter"] = scope
        return json_response(200, payload)

    def _service_score(
        self, state: State, record: Mapping[str, Any], entity: catalog.Entity, now: dt.datetime
    ) -> dict[str, Any]:
        tag = record["data"]["tag"]
        mine = exemptions.matching(state["exemptions"], tag, entity.tag)
        evaluation = _evaluate(self.catalog, record, entity, mine, now)
        rules = []
        for result in evaluation.results:
            outcome: dict[str, Any] = {
                "expression": str(result.rule.get("expression", "")),
                "identifier": result.identifier,
                "score": result.weight if result.passed else 0,
            }
            if result.error is not None:
                outcome["error"] = result.error
            if isinstance(result.rule.get("title"), str):
                outcome["title"] = result.rule["title"]
            rules.append(outcome)
        return {
            "service": entity.details(),
            "score": {
                "ladderLevels": catalog.ladder_level_json(evaluation.level),
                "rules": rules,
                "summary": {
                    "score": evaluation.score,
                    "totalPossibleScore": evaluation.total,
                    "percentage": evaluation.percentage,
                },
            },
            "lastEvaluated": record["lastUpdated"],
            "ruleExemptions": [exemptions.public(e, with_rule=True) for e in mine],
        }

    def _getScorecardNextStepsForEntity(self, call: Call) -> EmuResponse:
        entity_tag = str_param(call.query, "entityTag")
        if entity_tag is None:
            raise bad_request("Required parameter 'entityTag' is not present")
        now = self.now()
        with self.store.reading() as state:
            record = _scorecard(state, call.params["tag"])
            entity = _known_entity(self.catalog, entity_tag)
            if not catalog.in_scope(entity, record["data"].get("filter")):
                return json_response(200, {"nextSteps": []})
            mine = exemptions.matching(state["exemptions"], record["data"]["tag"], entity.tag)
            evaluation = _evaluate(self.catalog, record, entity, mine, now)
        steps: list[dict[str, Any]] = []
        if evaluation.next_level is not None:
            step: dict[str, Any] = {}
            if evaluation.level is not None:
                step["currentLevel"] = catalog.ladder_level_json(evaluation.level)[0]
            step["nextLevel"] = catalog.ladder_level_json(evaluation.next_level)[0]
            step["rulesToComplete"] = [
                _rule_summary(rule) for rule in evaluation.failing(evaluation.next_level[0])
            ]
            steps.append(step)
        elif evaluation.level is None and evaluation.failing():
            steps.append({"rulesToComplete": [_rule_summary(r) for r in evaluation.failing()]})
        return json_response(200, {"nextSteps": steps})

    def _getBadgeMarkdown(self, call: Call) -> EmuResponse:
        now = self.now()
        with self.store.reading() as state:
            record = _scorecard(state, call.params["tag"])
            entity = _known_entity(self.catalog, call.params["entityTag"])
            if not catalog.in_scope(entity, record["data"].get("filter")):
                raise not_found(f"Entity `{entity.tag}` is not evaluated by this Scorecard")
            mine = exemptions.matching(state["exemptions"], record["data"]["tag"], entity.tag)
            evaluation = _evaluate(self.catalog, record, entity, mine, now)
            value = catalog.badge_markdown(record["data"], evaluation)
        return json_response(200, {"value": value})

    def _listScorecardScoresForEntity(self, call: Call) -> EmuResponse:
        entity = _known_entity(self.catalog, call.params["tagOrId"])
        now = self.now()
        results = []
        with self.store.reading() as state:
            for tag, record in sorted(state["scorecards"].items()):
                if not catalog.in_scope(entity, record["data"].get("filter")):
                    continue
                mine = exemptions.matching(state["exemptions"], tag, entity.tag)
                evaluation = _evaluate(self.catalog, record, entity, mine, now)
                results.append(
                    {
                        "scorecardId": record["id"],
                        "scorecardName": record["data"]["name"],
                        "scorecardTag": tag,
                        "score": evaluation.score,
                        "scorePercentage": evaluation.percentage,
                        "totalPossibleScore": evaluation.total,
                        "ladderLevels": catalog.ladder_level_json(evaluation.level),
                    }
                )
        return json_response(200, results)

    def _listEntityTypes(self, call: Call) -> EmuResponse:
        definitions = [
            {"type": kind, "name": kind.title(), "source": "CUSTOM"}
            for kind in self.catalog.custom_entity_types()
        ]
        return json_response(
            200,
            {"definitions": definitions, "page": 0, "total": len(definitions), "totalPages": 1},
        )

    def _refreshScorecardScoreForEntity(self, call: Call) -> EmuResponse:
        """`cortex scorecards trigger-evaluation`: 404 for an unknown scorecard or entity,
        409 while an evaluation of that entity in that scorecard is still running (one
        takes `evaluation_seconds`)."""
        now = self.now()
        with self.store.writing() as state:
            record = _scorecard(state, call.params["tag"])
            entity = _known_entity(self.catalog, call.params["entityTag"])
            running = (record["data"]["tag"], entity.tag)
            until = self.evaluating.get(running)
            if until is not None and now < until:
                raise Answer(
                    error_response(
                        409,
                        f"Entity `{entity.tag}` is already being evaluated for this Scorecard",
                    )
                )
            self.evaluating[running] = now + dt.timedelta(seconds=self.evaluation_seconds)
            record["evaluated"] = True
        return empty_response(200)

    # --- exemptions ---------------------------------------------------------------------

    def _requestScorecardRuleExemption(self, call: Call) -> EmuResponse:
        body = json_body(call.request)
        rule_id = body_str(body, "ruleIdentifier")
        reason = body_str(body, "reason")
        days = body.get("days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
            raise bad_request("`days` must be a whole number of days")
        now = self.now()
        with self.store.writing() as state:
            record = _scorecard(state, call.params["tag"])
            entity = _known_entity(self.catalog, call.params["entityTag"])
            rule = _rule(record, rule_id)
            settings = record["data"].get("exemptions") or {}
            if not settings.get("enabled", False):
                raise bad_request("Exemptions are not enabled for this Scorecard")
            tag = record["data"]["tag"]
            open_ones = [
                e
                for e in exemptions.matching(state["exemptions"], tag, entity.tag, rule_id)
                if exemptions.status(e) == exemptions.PENDING or exemptions.is_active(e, now)
            ]
            if open_ones:
                # Asking again is answered with the open exemption: a retried request is harmless.
                return json_response(200, exemptions.public(open_ones[0]))
            exemption = exemptions.new_exemption(
                scorecard=tag,
                entity=entity.tag,
                rule=rule,
                reason=reason,
                days=days,
                actor=call.actor,
                now=now,
                auto_approve=bool(settings.get("autoApprove", False))
                or routes.ADMIN in call.permissions,
            )
            state["exemptions"].append(exemption)
        return json_response(200, exemptions.public(exemption))

    def _approveScorecardRuleExemption(self, call: Call) -> EmuResponse:
        return self._decide(call, exemptions.PENDING, exemptions.APPROVED, "pending", "approve")

    def _denyScorecardRuleExemption(self, call: Call) -> EmuResponse:
        return self._decide(call, exemptions.PENDING, exemptions.REJECTED, "pending", "deny")

    def _revokeScorecardRuleExemption(self, call: Call) -> EmuResponse:
        return self._decide(call, exemptions.APPROVED, exemptions.REJECTED, "approved", "revoke")

    def _decide(
        self, call: Call, before: str, after: str, adjective: str, verb: str
    ) -> EmuResponse:
        body = json_body(call.request)
        rule_id = body_str(body, "ruleIdentifier")
        reason = body_str(body, "reason") if after == exemptions.REJECTED else None
        now = self.now()
        with self.store.writing() as state:
            record = _scorecard(state, call.params["tag"])
            entity = _known_entity(self.catalog, call.params["entityTag"])
            _rule(record, rule_id)
            candidates = [
                e
                for e in exemptions.matching(
                    state["exemptions"], record["data"]["tag"], entity.tag, rule_id
                )
                if exemptions.status(e) == before
                and (before != exemptions.APPROVED or exemptions.is_active(e, now))
            ]
            if not candidates:
                raise bad_request(f"No {adjective} exemptions to {verb} found")
            for exemption in candidates:
                exemptions.decide(exemption, after, call.actor, now, reason)
        return json_response(200, {"exemptions": [exemptions.public(e) for e in candidates]})


# --- helpers --------------------------------------------------------------------------------


def _scorecard(state: State, tag: str) -> dict[str, Any]:
    record: dict[str, Any] | None = state["scorecards"].get(tag)
    if record is None:
        raise not_found(f"Scorecard with tag `{tag}` not found")
    return record


def _known_entity(entities: catalog.Catalog, tag_or_id: str) -> catalog.Entity:
    entity = entities.find(tag_or_id)
    if entity is None:
        raise not_found(f"Entity `{tag_or_id}` not found")
    return entity


def _rule(record: Mapping[str, Any], identifier: str) -> Mapping[str, Any]:
    for rule in record["data"].get("rules") or []:
        if isinstance(rule, Mapping) and rule.get("identifier") == identifier:
            return rule
    raise not_found(f"Rule `{identifier}` not found in this Scorecard")


def _evaluate(
    entities: catalog.Catalog,
    record: Mapping[str, Any],
    entity: catalog.Entity,
    mine: list[dict[str, Any]],
    now: dt.datetime,
) -> catalog.Evaluation:
    exempt = [e["ruleIdentifier"] for e in mine if exemptions.is_active(e, now)]
    return entities.evaluate(record["data"], entity, exempt)


def _rule_summary(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's `Rule`."""
    return {
        key: rule[key]
        for key in ("title", "description", "expression", "identifier")
        if isinstance(rule.get(key), str)
    }


def _found_by_search(
    entities: catalog.Catalog, record: Mapping[str, Any], search: Mapping[str, list[str]]
) -> bool:
    # Search only finds scorecards that have been evaluated, as Cortex's does.
    if not record.get("evaluated"):
        return False
    for entity in entities.entities_in_scope(record["data"]):
        if search["entities"] and not ({entity.tag, entity.id} & set(search["entities"])):
            continue
        if search["groups"] and not set(entity.groups) & set(search["groups"]):
            continue
        if search["teams"] and not set(entity.teams) & set(search["teams"]):
            continue
        return True
    return False


def _refuse_failing_tag(call: Call, tag: str) -> None:
    if tag in call.dice.faults.failing_tags:
        raise Answer(
            error_response(
                500,
                "Internal server error",
                details=f"injected permanent failure for scorecard `{tag}`",
            ),
            injected=True,
        )
