"""The action's `impact` input: the score impact in the sticky plan comment (on by default),
left out with `impact: false`, skipped with one warning when scores may not be read, and
kept within the comment limit for 2,000 entities."""

from __future__ import annotations

from pathlib import Path

from test_action import (  # the action's world: a git repository, the fakes, run_action
    DIR,
    World,
    card,
    live_alpha_beta,
    open_pull_request,
    world,
)

from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.emulator.catalog import Catalog, Entity, entity_id
from scorecards_sync.github.comments import MAX_COMMENT_CHARS

__all__ = ["world"]  # the fixture, imported for the tests below


def test_the_plan_comment_shows_the_impact_of_each_update(world: World) -> None:
    reviewed = open_pull_request(world)
    body = world.comments()[0]["body"]
    # alpha's rule moved from Bronze to Silver: services that fail it leave Bronze.
    assert "📊 impact on" in body
    assert "self-check: all" in body and "agree with Cortex" in body
    assert "<details><summary>" in body and "move</summary>" in body
    assert not [a for a in reviewed.run.annotations if "impact" in a.message]


def test_impact_false_leaves_it_out(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "silver")
    world.write("alpha.yaml", card("alpha", level="Silver"))
    head = world.commit("raise alpha")
    ran = world.run("pull_request", world.pull_request(base, head), head, impact="false")
    assert ran.returncode == 0, ran.log
    body = world.comments()[0]["body"]
    assert "update" in body and "📊" not in body


def test_a_key_that_may_not_read_scores_gives_one_warning_and_the_plan_stands(
    world: World,
) -> None:
    world.emulator.faults = Faults(refused_operations=frozenset({"listScorecardScores"}))
    reviewed = open_pull_request(world)
    warnings = [
        a for a in reviewed.run.annotations if a.kind == "warning" and "impact" in a.message
    ]
    assert len(warnings) == 1, reviewed.run.annotations
    assert "may not read scorecard scores" in warnings[0].message
    body = world.comments()[0]["body"]
    assert "📊" not in body
    assert "alpha" in body and "gamma" in body
    assert reviewed.run.outputs["plan-checksum"].startswith("sha256:")


def _catalog(count: int) -> Catalog:
    entities = tuple(
        Entity(f"service-{n:04d}", f"Service {n}", entity_id(f"service-{n:04d}"), "service")
        for n in range(count)
    )
    return Catalog(entities)


def test_an_impact_on_2000_entities_stays_within_the_comment_limit(
    world: World, tmp_path: Path
) -> None:
    state = tmp_path / "cortex state.json"
    Emulator(state_file=state, catalog=_catalog(2000)).put_descriptor(card("alpha"))
    world.write("alpha.yaml", card("alpha"))
    base = world.commit("alpha")
    world.git("switch", "-q", "-c", "silver")
    world.write("alpha.yaml", card("alpha", level="Silver"))
    head = world.commit("raise alpha")
    ran = world.run(
        "pull_request",
        world.pull_request(base, head),
        head,
        cortex_api_key="",
        cortex_base_url="",
        args=f"--emulator '{state}'",
    )
    assert ran.returncode == 0, ran.log[-3000:]
    body = world.comments()[0]["body"]
    assert len(body) < MAX_COMMENT_CHARS
    assert "impact on 2000 entities" in body
    assert "more; the full list is in" in body
    assert (world.repo / DIR / "alpha.yaml").exists()
