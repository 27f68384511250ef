"""Scores, next steps, badges and entity scores from the emulator's seeded catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scorecards_sync.emulator import ENTITIES, Emulator
from scorecards_sync.emulator.catalog import DEFAULT_CATALOG, evaluate, passes

DATA = Path(__file__).resolve().parent / "data" / "emulator"
LADDER = "emulator-ladder"
POINTS = "emulator-points"
SERVICES = [e.tag for e in ENTITIES if e.type == "service"]


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator()
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    emu.put_descriptor((DATA / "valid-points.yaml").read_text())
    return emu


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Bearer key"},
    ) as client:
        yield client


def _scores(client: httpx.Client, tag: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/scorecards/{tag}/scores", params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_scores_cover_the_entities_in_scope(client: httpx.Client) -> None:
    body = _scores(client, LADDER)
    assert body["scorecardTag"] == LADDER
    assert body["scorecardFilter"] == {"types": {"include": ["service"]}}
    assert [s["service"]["tag"] for s in body["serviceScores"]] == SERVICES
    everyone = _scores(client, POINTS)
    assert len(everyone["serviceScores"]) == len(ENTITIES)


def test_scores_page_and_filter_by_entity(client: httpx.Client) -> None:
    first = _scores(client, POINTS, page=0, pageSize=5)
    second = _scores(client, POINTS, page=1, pageSize=5)
    assert first["total"] == len(ENTITIES)
    assert first["totalPages"] == 3
    tags = [s["service"]["tag"] for s in first["serviceScores"] + second["serviceScores"]]
    assert len(set(tags)) == 10
    only = _scores(client, POINTS, entityTag="checkout")
    assert [s["service"]["tag"] for s in only["serviceScores"]] == ["checkout"]


def test_points_are_the_weights_of_passed_rules(client: httpx.Client) -> None:
    for service_score in _scores(client, POINTS)["serviceScores"]:
        rules = service_score["score"]["rules"]
        summary = service_score["score"]["summary"]
        assert summary["totalPossibleScore"] == 4
        assert summary["score"] == sum(rule["score"] for rule in rules)
        assert summary["percentage"] == round(summary["score"] / 4, 4)
        assert service_score["score"]["ladderLevels"] == []


def test_outcomes_are_deterministic_and_varied(client: httpx.Client) -> None:
    first = _scores(client, LADDER)
    assert _scores(client, LADDER) == first
    levels = {
        tuple(level["level"]["name"] for level in s["score"]["ladderLevels"])
        for s in first["serviceScores"]
    }
    assert len(levels) > 1


def test_a_level_needs_every_rule_of_it_and_below(emu: Emulator) -> None:
    stored: dict[str, Any] = {
        "ladder": {
            "levels": [
                {"name": "Bronze", "rank": 1},
                {"name": "Silver", "rank": 2},
                {"name": "Gold", "rank": 3},
            ]
        },
        "rules": [],
    }
    entity = DEFAULT_CATALOG.find("checkout")
    assert entity is not None
    passing = [f"id-{n}" for n in range(200) if passes(entity, f"id-{n}")]
    failing = [f"id-{n}" for n in range(200) if not passes(entity, f"id-{n}")]
    stored["rules"] = [
        {"identifier": passing[0], "level": "Bronze", "expression": "a"},
        {"identifier": failing[0], "level": "Silver", "expression": "b"},
        {"identifier": passing[1], "level": "Gold", "expression": "c"},
    ]
    evaluation = evaluate(stored, entity)
    assert evaluation.level == ("Bronze", 1)
    assert evaluation.next_level == ("Silver", 2)
    exempted = evaluate(stored, entity, exempt=[failing[0]])
    assert exempted.level == ("Gold", 3)
    assert exempted.next_level is None


def test_next_steps_name_the_failing_rules_of_the_next_level(client: httpx.Client) -> None:
    scores = {s["service"]["tag"]: s for s in _scores(client, LADDER)["serviceScores"]}
    for tag in SERVICES:
        response = client.get(f"/api/v1/scorecards/{LADDER}/next-steps", params={"entityTag": tag})
        assert response.status_code == 200
        steps = response.json()["nextSteps"]
        reached = scores[tag]["score"]["ladderLevels"]
        if reached and reached[0]["level"]["name"] == "Gold":
            assert steps == []
            continue
        (step,) = steps
        assert step["rulesToComplete"]
        failed = {r["identifier"] for r in scores[tag]["score"]["rules"] if r["score"] == 0}
        assert {r["identifier"] for r in step["rulesToComplete"]} <= failed
        assert step.get("currentLevel") == (reached[0] if reached else None)


def test_next_steps_errors(client: httpx.Client) -> None:
    assert client.get(f"/api/v1/scorecards/{LADDER}/next-steps").status_code == 400
    unknown = client.get(f"/api/v1/scorecards/{LADDER}/next-steps", params={"entityTag": "nope"})
    assert unknown.status_code == 404
    missing = client.get("/api/v1/scorecards/nope/next-steps", params={"entityTag": "checkout"})
    assert missing.status_code == 404
    out_of_scope = client.get(
        f"/api/v1/scorecards/{LADDER}/next-steps", params={"entityTag": "orders-db"}
    )
    assert out_of_scope.json() == {"nextSteps": []}


def test_badge_is_shields_markdown(client: httpx.Client) -> None:
    response = client.get(f"/api/v1/scorecards/{LADDER}/entity/checkout/badge")
    assert response.status_code == 200
    value = response.json()["value"]
    assert value.startswith("[![Emulator Ladder](https://img.shields.io/badge/Emulator%20Ladder-")
    assert value.endswith(f"(https://app.getcortexapp.com/admin/scorecards/{LADDER})")
    entity = DEFAULT_CATALOG.find("checkout")
    assert entity is not None
    by_id = client.get(f"/api/v1/scorecards/{LADDER}/entity/{entity.id}/badge")
    assert by_id.json() == response.json()
    assert client.get(f"/api/v1/scorecards/{LADDER}/entity/nope/badge").status_code == 404


def test_entity_scores_list_the_scorecards_that_evaluate_it(client: httpx.Client) -> None:
    response = client.get("/api/v1/catalog/checkout/scorecards")
    assert response.status_code == 200
    scores = response.json()
    assert [s["scorecardTag"] for s in scores] == [LADDER, POINTS]
    points = scores[1]
    assert points["totalPossibleScore"] == 4
    assert 0 <= points["scorePercentage"] <= 1
    resource = client.get("/api/v1/catalog/orders-db/scorecards").json()
    assert [s["scorecardTag"] for s in resource] == [POINTS]
    assert client.get("/api/v1/catalog/nope/scorecards").status_code == 404


def test_triggering_an_evaluation(client: httpx.Client) -> None:
    assert client.post(f"/api/v1/scorecards/{LADDER}/entity/checkout/scores").status_code == 200
    assert client.post(f"/api/v1/scorecards/{LADDER}/entity/nope/scores").status_code == 404
    assert client.post("/api/v1/scorecards/nope/entity/checkout/scores").status_code == 404
