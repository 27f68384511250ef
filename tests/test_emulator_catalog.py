"""A catalog given to the emulator: declared outcomes, paging, state files, the command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_process import running_emulator

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.catalog import Catalog, Entity, entity_id, passes
from scorecards_sync.emulator.catalog_file import catalog_from_data, catalog_json, load_catalog
from scorecards_sync.errors import ConfigError

DATA = Path(__file__).resolve().parent / "data" / "emulator"
BAD = sorted((DATA / "catalog-bad").glob("*.yaml"))
TAG = "catalog-ladder"


def _client(emu: Emulator) -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Bearer key"},
    )


def _scores(emu: Emulator, **params: Any) -> dict[str, Any]:
    with _client(emu) as client:
        response = client.get(f"/api/v1/scorecards/{TAG}/scores", params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator(catalog=load_catalog(DATA / "catalog" / "small.yaml"))
    emu.put_descriptor((DATA / "catalog" / "scorecards" / "ladder.yaml").read_text())
    return emu


def test_declared_outcomes_decide_rules_and_levels(emu: Emulator) -> None:
    body = _scores(emu)
    by_tag = {s["service"]["tag"]: s for s in body["serviceScores"]}
    assert list(by_tag) == ["alpha", "beta", "gamma-db"]
    alpha = by_tag["alpha"]
    assert [r["score"] for r in alpha["score"]["rules"]] == [1, 1, 1]
    assert alpha["score"]["ladderLevels"] == [{"level": {"name": "Gold", "number": 3}}]
    assert alpha["service"]["owners"]["individuals"] == [{"email": "ana@example.com"}]
    beta = {r["expression"]: r for r in by_tag["beta"]["score"]["rules"]}
    assert beta["links.runbook != null"] == {
        "expression": "links.runbook != null",
        "identifier": beta["links.runbook != null"]["identifier"],
        "score": 0,
        "error": "PagerDuty is not configured",
        "title": "Has runbook",
    }
    assert by_tag["beta"]["score"]["ladderLevels"] == [{"level": {"name": "Bronze", "number": 1}}]
    gamma = by_tag["gamma-db"]
    assert gamma["score"]["ladderLevels"] == []
    assert gamma["score"]["summary"]["score"] == sum(r["score"] for r in gamma["score"]["rules"])
    for score in body["serviceScores"]:
        assert score["lastEvaluated"]
        assert score["ruleExemptions"] == []


def test_an_undeclared_expression_keeps_the_hash(emu: Emulator) -> None:
    beta = next(s for s in _scores(emu)["serviceScores"] if s["service"]["tag"] == "beta")
    oncall = next(r for r in beta["score"]["rules"] if r["expression"] == "oncall != null")
    entity = emu.catalog.find("beta")
    assert entity is not None
    assert (oncall["score"] > 0) == passes(entity, oncall["identifier"])


def test_an_approved_exemption_passes_a_declared_failure(emu: Emulator) -> None:
    with _client(emu) as client:
        rules = client.get(f"/api/v1/scorecards/{TAG}").json()["scorecard"]["rules"]
        owner = next(r for r in rules if r["expression"] == "ownership != null")
        path = f"/api/v1/scorecards/{TAG}/entity/gamma-db/exemption"
        body = {"ruleIdentifier": owner["identifier"], "reason": "decommissioning"}
        assert client.post(path, json=body).status_code == 200
        approve = client.put(path + "/approve", json={"ruleIdentifier": owner["identifier"]})
        assert approve.status_code == 200
    gamma = _scores(emu, entityTag="gamma-db")["serviceScores"][0]
    assert gamma["ruleExemptions"][0]["exemptionStatus"]["status"] == "APPROVED"
    outcome = next(r for r in gamma["score"]["rules"] if r["identifier"] == owner["identifier"])
    assert outcome["score"] == 1


def _big_catalog(count: int) -> Catalog:
    entities = tuple(
        Entity(f"svc-{n:05d}", f"Service {n}", entity_id(f"svc-{n:05d}"), "service")
        for n in range(count)
    )
    return Catalog(
        entities, {e.tag: {"ownership != null": n % 3 != 0} for n, e in enumerate(entities)}
    )


def test_scores_page_by_1000_and_the_client_reads_every_page() -> None:
    emu = Emulator(catalog=_big_catalog(2500))
    emu.put_descriptor((DATA / "catalog" / "scorecards" / "ladder.yaml").read_text())
    first = _scores(emu, page=0, pageSize=1000)
    last = _scores(emu, page=2, pageSize=1000)
    assert (first["total"], first["totalPages"]) == (2500, 3)
    assert len(first["serviceScores"]) == 1000
    assert len(last["serviceScores"]) == 500
    emu.reset_stats()
    with CortexClient(
        base_url="https://cortex.test", api_key="key", transport=emu.transport()
    ) as client:
        scores = client.scores(TAG)
    assert len(scores) == 2500
    assert emu.stats.by_operation["listScorecardScores"] == 3
    no_owner = [s for s in scores if not s.rules[0].passed]
    assert len(no_owner) == 834  # every third of 2,500, from 0
    assert all(s.level is None for s in no_owner)


def test_a_state_file_carries_the_catalog(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    catalog = load_catalog(DATA / "catalog" / "small.yaml")
    Emulator(state_file=state, catalog=catalog).put_descriptor(
        (DATA / "catalog" / "scorecards" / "ladder.yaml").read_text()
    )
    later = Emulator(state_file=state)
    assert later.catalog == catalog
    tags = [s["service"]["tag"] for s in _scores(later)["serviceScores"]]
    assert tags == ["alpha", "beta", "gamma-db"]


def test_catalog_json_reads_back_as_the_same_catalog() -> None:
    catalog = load_catalog(DATA / "catalog" / "small.yaml")
    assert catalog_from_data(catalog_json(catalog), "state") == catalog


def test_without_a_catalog_the_default_one_is_used(tmp_path: Path) -> None:
    emu = Emulator(state_file=tmp_path / "state.json")
    assert emu.catalog.find("checkout") is not None
    assert not emu.catalog.outcomes


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_a_bad_catalog_is_a_config_error_naming_the_problem(path: Path) -> None:
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.fixture
def running() -> Iterator[str]:
    catalog, seeds = DATA / "catalog" / "small.yaml", DATA / "catalog" / "scorecards"
    with running_emulator("--catalog", str(catalog), "--seed-dir", str(seeds)) as (_, base_url):
        yield base_url


def test_the_command_serves_the_catalog(running: str) -> None:
    response = httpx.get(
        f"{running}/api/v1/scorecards/{TAG}/scores",
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 200
    assert [s["service"]["tag"] for s in response.json()["serviceScores"]] == [
        "alpha",
        "beta",
        "gamma-db",
    ]
