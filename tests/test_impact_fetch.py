"""The impact step: scores fetched for updated scorecards only, 1,000 a request; a key that
may not read scores leaves the plan without impacts and says why."""

from __future__ import annotations

from pathlib import Path

import yaml

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.emulator.catalog import Catalog, Entity, entity_id
from scorecards_sync.impact_fetch import SCORES_REFUSED, compute_impacts
from scorecards_sync.planner import Desired, make_plan

LADDER = (
    Path(__file__).resolve().parent / "data" / "emulator" / "catalog" / "scorecards" / "ladder.yaml"
)


def _catalog(count: int) -> Catalog:
    entities = tuple(
        Entity(f"svc-{n:04d}", f"Service {n}", entity_id(f"svc-{n:04d}"), "service")
        for n in range(count)
    )
    return Catalog(entities, {e.tag: {"ownership != null": True} for e in entities})


def _desired(text: str) -> Desired:
    data = yaml.safe_load(text)
    return Desired(data["tag"], f"cards/{data['tag']}.yaml", data, text)


def _setup(faults: Faults | None = None) -> tuple[Emulator, list[Desired]]:
    emulator = Emulator(catalog=_catalog(2500))
    live = LADDER.read_text()
    emulator.put_descriptor(live)
    emulator.put_descriptor(live.replace("catalog-ladder", "untouched"))
    changed = live.replace("level: Silver", "level: Gold")
    new = live.replace("catalog-ladder", "brand-new")
    if faults is not None:
        emulator.faults = faults
    return emulator, [
        _desired(changed),
        _desired(new),
        _desired(live.replace("catalog-ladder", "untouched")),
    ]


def _client(emulator: Emulator) -> CortexClient:
    return CortexClient("https://emulator.invalid", "k", transport=emulator.transport())


def test_scores_are_read_for_updates_only_in_pages_of_1000() -> None:
    emulator, desired = _setup()
    with _client(emulator) as client:
        live = client.fetch_descriptors(d.tag for d in desired)
        plan = make_plan(desired, live)
        emulator.reset_stats()
        impacts = compute_impacts(plan, client, live=live)
    assert set(impacts.by_tag) == {"catalog-ladder"}
    assert impacts.skipped is None
    assert emulator.stats.by_operation == {"listScorecardScores": 3}  # ceil(2500 / 1000)
    impact = impacts.by_tag["catalog-ladder"]
    assert impact.entities == 2500 and impact.self_check.disagree == 0


def test_without_the_live_texts_the_descriptor_is_read_again() -> None:
    emulator, desired = _setup()
    with _client(emulator) as client:
        plan = make_plan(desired, client.fetch_descriptors(d.tag for d in desired))
        emulator.reset_stats()
        impacts = compute_impacts(plan, client)
    assert set(impacts.by_tag) == {"catalog-ladder"}
    assert emulator.stats.by_operation == {"getScorecardDescriptor": 1, "listScorecardScores": 3}


def test_a_key_that_may_not_read_scores_skips_the_impact() -> None:
    emulator, desired = _setup(Faults(refused_operations=frozenset({"listScorecardScores"})))
    with _client(emulator) as client:
        live = client.fetch_descriptors(d.tag for d in desired)
        impacts = compute_impacts(make_plan(desired, live), client, live=live)
    assert impacts.by_tag == {}
    assert impacts.skipped == SCORES_REFUSED
