"""A saved plan is refused when a scorecard it touches moved in Cortex since it was made."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cli_runner import Ran, enter_workdir, run_cli
from cli_runner import rule_card as card

from scorecards_sync.emulator import Emulator


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))


@pytest.fixture
def saved(workdir: Path) -> Emulator:
    """Cortex holds `target` and `bystander`; the repository updates `target`, creates `fresh`;
    the plan is saved to plan.json."""
    emulator = Emulator(state_file=workdir / "state.json")
    emulator.put_descriptor(card("target"))
    emulator.put_descriptor(card("bystander"))
    cards = workdir / "cards"
    cards.mkdir()
    (cards / "target.yaml").write_text(card("target", weight=3))
    (cards / "fresh.yaml").write_text(card("fresh"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json")
    assert ran.code == 0, ran.err
    return emulator


def apply_saved() -> Ran:
    return run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")


def test_edit_of_a_planned_scorecard_makes_the_plan_stale(saved: Emulator) -> None:
    saved.put_descriptor(card("target", name="Edited In The UI"))
    edited = saved.descriptor_text("target")
    ran = apply_saved()
    assert ran.code == 1
    assert "the saved plan is stale" in ran.err
    assert "target (edited in Cortex since the plan)" in ran.err
    assert "bystander" not in ran.err and "fresh" not in ran.err.split("stale", 1)[1]
    assert saved.descriptor_text("target") == edited  # nothing was sent
    assert saved.tags() == ["bystander", "target"]


def test_edit_of_an_unrelated_scorecard_does_not_block(saved: Emulator) -> None:
    saved.put_descriptor(card("bystander", name="Someone Else's Edit"))
    saved.put_descriptor(card("newcomer"))
    ran = apply_saved()
    assert ran.code == 0, ran.err
    assert "Apply complete: 2 done, 0 failed, 0 skipped." in ran.out
    assert "weight: 3" in (saved.descriptor_text("target") or "")
    assert saved.tags() == ["bystander", "fresh", "newcomer", "target"]


def test_scorecard_created_or_deleted_meanwhile_makes_the_plan_stale(saved: Emulator) -> None:
    saved.put_descriptor(card("fresh", name="Beaten To It"))
    with Emulator(state_file=Path("state.json")).serve() as server:
        # Delete through the API, as someone in the UI would.
        response = httpx.delete(
            f"{server.base_url}/api/v1/scorecards/target",
            headers={"Authorization": "Bearer someone"},
        )
        assert response.status_code == 200
    ran = apply_saved()
    assert ran.code == 1
    assert "fresh (created in Cortex since the plan)" in ran.err
    assert "target (deleted from Cortex since the plan)" in ran.err
    assert "2 scorecard(s)" in ran.err


def test_a_fresh_plan_after_a_stale_one_applies(saved: Emulator) -> None:
    saved.put_descriptor(card("target", name="Edited In The UI"))
    assert apply_saved().code == 1
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    ran = apply_saved()
    assert ran.code == 0, ran.err
    assert run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode").code == 0
