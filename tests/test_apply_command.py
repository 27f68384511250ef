"""`scorecards-sync apply`: confirmation, --auto-approve, --dry-run, saved plans, secrets."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_workdir, rule_card, run_cli

from scorecards_sync.emulator import Emulator

CANARY = "canary-key-0b9e55aa-must-never-show"
ENV_NAMES = ("CORTEX_API_KEY", "CORTEX_API_KEY_FILE", "CORTEX_BASE_URL", "GITHUB_OUTPUT")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stdin and stdout are when a person types."""

    def isatty(self) -> bool:
        return True


def card(tag: str, *, name: str | None = None) -> str:
    return rule_card(tag, name=name, weight=2)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_",), names=ENV_NAMES)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    cards = tmp_path / "cards"
    cards.mkdir()
    for tag in ("alpha", "beta", "gamma"):
        (cards / f"{tag}.yaml").write_text(card(tag), encoding="utf-8")
    yield tmp_path


def state(workdir: Path) -> Emulator:
    return Emulator(state_file=workdir / "state.json")


def test_refuses_without_a_terminal_or_auto_approve(workdir: Path) -> None:
    ran = run_cli("apply", "cards", "--emulator", "state.json")
    assert ran.code == 1
    assert "+ create alpha" in ran.out  # the plan is shown first
    assert "refusing to apply without confirmation" in ran.err
    assert "--auto-approve" in ran.err
    assert state(workdir).tags() == []


def test_asks_on_a_terminal_and_applies_on_yes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    ran = run_cli("apply", "cards", "--emulator", "state.json", stdout=Terminal())
    assert ran.code == 0, ran.err
    assert "Apply these changes? Only 'yes' will be accepted:" in ran.out
    assert "Apply complete: 3 done, 0 failed, 0 skipped." in ran.out
    assert state(workdir).tags() == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("answer", ["no\n", "y\n", "YES please\n", ""])
def test_anything_but_yes_cancels(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    ran = run_cli("apply", "cards", "--emulator", "state.json", stdout=Terminal())
    assert ran.code == 1
    assert "Apply cancelled" in ran.err
    assert state(workdir).tags() == []


def test_auto_approve_applies_and_rerun_converges(workdir: Path) -> None:
    first = run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve")
    assert first.code == 0, first.err
    assert "+ create alpha: done (created)" in first.out
    assert first.out.rstrip().endswith("Apply complete: 3 done, 0 failed, 0 skipped.")
    again = run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve")
    assert again.code == 0
    assert "No changes. Cortex matches the repository." in again.out
    assert "Apply complete" not in again.out


def test_dry_run_changes_nothing_and_needs_no_confirmation(workdir: Path) -> None:
    ran = run_cli("apply", "cards", "--emulator", "state.json", "--dry-run")
    assert ran.code == 0, ran.err
    assert "Dry run complete: 3 done, 0 failed, 0 skipped." in ran.out
    assert "accepted by Cortex: dry run, nothing written" in ran.out
    assert state(workdir).tags() == []


def test_json_results(workdir: Path) -> None:
    ran = run_cli(
        "apply", "cards", "--emulator", "state.json", "--auto-approve", "--format", "json"
    )
    assert ran.code == 0
    results = json.loads(ran.out)
    assert "+ create alpha" in ran.err
    assert results["summary"] == {"done": 3, "failed": 0, "skipped": 0, "not_converged": 0}
    assert [o["verified"] for o in results["outcomes"]] == [True, True, True]
    assert results["interrupted"] is False


def test_json_results_with_nothing_to_do_are_the_usual_object(workdir: Path) -> None:
    args = ("apply", "cards", "--emulator", "state.json", "--auto-approve", "--format", "json")
    assert run_cli(*args).code == 0
    again = run_cli(*args)
    assert again.code == 0
    assert json.loads(again.out) == {
        "dry_run": False,
        "interrupted": False,
        "summary": {"done": 0, "failed": 0, "skipped": 0, "not_converged": 0},
        "outcomes": [],
    }


def test_a_saved_plan_applied_twice_is_already_applied(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    assert run_cli("apply", "--plan", "plan.json", "--emulator", "state.json").code == 0
    again = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert again.code == 0, again.err
    assert "already applied: Cortex already matches the plan in plan.json" in again.err
    assert "since the plan" not in again.err
    # Moved elsewhere than the plan's desired state: still refused as stale.
    emulator = state(workdir)
    emulator.put_descriptor(card("alpha", name="Edited In The UI"))  # kept in the file
    stale = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert stale.code == 1 and "alpha (created in Cortex since the plan)" in stale.err


def test_saved_plan_is_applied_exactly(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    # The repository moves on after the plan was reviewed: the saved plan still rules.
    (workdir / "cards" / "alpha.yaml").write_text(card("alpha", name="Changed Later"))
    (workdir / "cards" / "delta.yaml").write_text(card("delta"))
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 0, ran.err
    assert "Apply complete: 3 done, 0 failed, 0 skipped." in ran.out
    emulator = state(workdir)
    assert emulator.tags() == ["alpha", "beta", "gamma"]
    assert "name: Alpha" in (emulator.descriptor_text("alpha") or "")


def test_a_stale_saved_plan_is_refused_before_it_is_shown(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    state(workdir).put_descriptor(card("beta", name="Made In The UI Meanwhile"))
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 1
    assert "the saved plan is stale" in ran.err
    assert "beta (created in Cortex since the plan)" in ran.err
    assert "will perform the following actions" not in ran.out + ran.err
    assert "+ create" not in ran.out + ran.err
    assert state(workdir).tags() == ["beta"]


def test_a_fresh_saved_plan_is_shown_then_applied(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 0, ran.err
    shown = ran.out.index("+ create alpha")
    assert shown < ran.out.index("Apply complete: 3 done, 0 failed, 0 skipped.")


def test_saved_plan_cannot_be_mixed_with_paths(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    ran = run_cli("apply", "cards", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 64
    assert "not both" in ran.err


def test_edited_plan_file_is_refused(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    plan_file = workdir / "plan.json"
    plan_file.write_text(plan_file.read_text().replace("name: Beta", "name: Sneaky"))
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 1
    assert "checksum does not match" in ran.err
    assert state(workdir).tags() == []


def test_plan_made_against_another_cortex_is_refused(workdir: Path) -> None:
    assert run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json").code == 0
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "other.json")
    assert ran.code == 1
    assert "emulator:state.json" in ran.err and "emulator:other.json" in ran.err
    assert state(workdir).tags() == []


def test_missing_plan_file(workdir: Path) -> None:
    ran = run_cli("apply", "--plan", "nope.json", "--emulator", "state.json")
    assert ran.code == 1
    assert "cannot read plan file nope.json" in ran.err


def test_key_never_shows_in_output_logs_or_plan(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)
    emulator = Emulator(api_keys={CANARY: frozenset({"view", "edit"})})
    with emulator.serve() as server:
        planned = run_cli("-vv", "plan", "cards", "--base-url", server.base_url, "--out", "p.json")
        applied = run_cli("-vv", "apply", "--plan", "p.json", "--base-url", server.base_url)
        direct = run_cli("-vv", "apply", "cards", "--base-url", server.base_url, "--auto-approve")
    assert planned.code == 0 and applied.code == 0 and direct.code == 0, applied.err
    assert emulator.tags() == ["alpha", "beta", "gamma"]
    everything = "".join(
        [planned.out, planned.err, applied.out, applied.err, direct.out, direct.err]
    )
    assert "DEBUG" in everything
    assert CANARY not in everything
    assert CANARY not in (workdir / "p.json").read_text()


def test_wrong_key_is_reported_without_echoing_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)
    emulator = Emulator(api_keys={"the-right-key": frozenset({"view", "edit"})})
    with emulator.serve() as server:
        ran = run_cli("apply", "cards", "--base-url", server.base_url, "--auto-approve")
    assert ran.code == 1
    assert "Cortex refused the API key (HTTP 401); check CORTEX_API_KEY" in ran.err
    assert emulator.tags() == []
    assert CANARY not in ran.out + ran.err


@pytest.mark.parametrize("name", ["changes-a-string.json", "changes-not-objects.json"])
def test_a_malformed_plan_file_is_refused_without_a_traceback(workdir: Path, name: str) -> None:
    source = Path(__file__).parent / "data" / "plans" / name
    (workdir / "plan.json").write_bytes(source.read_bytes())
    ran = run_cli("apply", "--plan", "plan.json", "--emulator", "state.json")
    assert ran.code == 1
    assert ran.err.startswith("error: plan file is malformed: `changes")
    assert "run `plan --out` again" in ran.err
    assert "Traceback" not in ran.err
    assert state(workdir).tags() == []
