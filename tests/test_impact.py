"""The impact model against hand-worked cases (tests/data/impact/*.yaml).

Each case holds a live and a desired descriptor, per entity the live outcomes (by live
rule title: pass, fail or error; a title left out was not reported), its exemptions and
what Cortex reported (a level name, "No level", or a points score), and the expected
impact, worked out by hand. Every key under `expect` is compared with the model's JSON.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.cortex.models import Actor, EntityScore, Exemption, Level, RuleOutcome
from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.impact import NO_LEVEL, compute_impact, exemption_counts

CASES = sorted((Path(__file__).resolve().parent / "data" / "impact").glob("*.yaml"))
DEFAULT_NOW = "2026-06-01T00:00:00Z"
DEFAULT_EVALUATED = "2026-05-31T12:00:00Z"


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _identifier(rule: dict[str, Any]) -> str:
    return str(rule.get("identifier") or rule_identifier(rule["expression"]))


def _entity(spec: dict[str, Any], live: dict[str, Any]) -> EntityScore:
    rules = {rule["title"]: rule for rule in live.get("rules") or []}
    outcomes = []
    for title, result in (spec.get("outcomes") or {}).items():
        rule = rules[title]
        weight = float(rule.get("weight", 1))
        outcomes.append(
            RuleOutcome(
                expression=rule["expression"],
                score=weight if result == "pass" else 0.0,
                identifier=_identifier(rule),
                error="cannot evaluate" if result == "error" else None,
            )
        )
    exemptions = tuple(
        Exemption(
            status=item.get("status", "APPROVED"),
            reason="hand-worked",
            requested_by=Actor(type="API_KEY", api_key_last4="abcd"),
            requested_date="2026-01-01T00:00:00Z",
            end_date=item.get("end"),
            rule_identifier=_identifier(rules[item["rule"]]),
            rule_expression=rules[item["rule"]]["expression"],
        )
        for item in spec.get("exemptions") or []
    )
    reported = spec["reported"]
    levels: tuple[Level, ...] = ()
    points = 0.0
    if isinstance(reported, str):
        if reported != NO_LEVEL:
            ranks = {level["name"]: level["rank"] for level in live["ladder"]["levels"]}
            levels = (Level(reported, ranks[reported]),)
        points = float(spec.get("points", 0))
    else:
        points = float(reported)
    return EntityScore(
        entity_tag=spec["tag"],
        entity_name=spec.get("name", spec["tag"].title()),
        entity_id="en" + spec["tag"],
        groups=tuple(spec.get("groups") or ()),
        owner_groups=(),
        owner_emails=(),
        last_evaluated=spec.get("last_evaluated", DEFAULT_EVALUATED),
        score=points,
        total_possible_score=0.0,
        percentage=0.0,
        levels=levels,
        rules=tuple(outcomes),
        exemptions=exemptions,
    )


def _case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_there_are_enough_hand_worked_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_hand_worked_case(path: Path) -> None:
    case = _case(path)
    live, desired = case["live"], case["desired"]
    scores = [_entity(spec, live) for spec in case["entities"]]
    impact = compute_impact(live, desired, scores, _time(case.get("now", DEFAULT_NOW)))
    result = impact.to_json()
    expect: dict[str, Any] = case["expect"]
    assert expect, "a case must expect something"
    for key, wanted in expect.items():
        if key == "not_previewed":
            assert len(result[key]) == len(wanted), result[key]
            for got, part in zip(result[key], wanted, strict=True):
                assert part in got
        elif key == "self_check":
            assert {k: result[key][k] for k in wanted} == wanted
        elif key == "levels" and wanted is not None:
            assert {k: v for k, v in result[key].items() if k in wanted} == wanted
            assert all(
                v == {"before": 0, "after_min": 0, "after_max": 0}
                for k, v in result[key].items()
                if k not in wanted
            ), result[key]
        else:
            assert result[key] == wanted, (key, result[key])


def test_exemption_counts_only_when_approved_and_unexpired() -> None:
    actor = Actor(type="API_KEY")
    at = _time("2026-06-01T00:00:00Z")

    def exemption(status: str, end: str | None) -> Exemption:
        return Exemption(status, "r", actor, "2026-01-01T00:00:00Z", end_date=end)

    assert exemption_counts(exemption("APPROVED", None), at)
    assert exemption_counts(exemption("APPROVED", "2026-06-02T00:00:00Z"), at)
    assert not exemption_counts(exemption("APPROVED", "2026-05-31T00:00:00Z"), at)
    assert not exemption_counts(exemption("PENDING", None), at)
    assert not exemption_counts(exemption("REJECTED", None), at)
