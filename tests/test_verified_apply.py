"""Verified apply: after its writes, `apply` reads back every scorecard it created or
updated and compares it with what it sent, as a plan compares them.

Runs the real command line against the emulator on loopback, with one tag stored under a
name other than the one posted (`Faults(diverging_tags=...)`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import enter_keyed_workdir, rule_card, run_cli

from scorecards_sync.applier import apply_plan
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.emulator.faults import DIVERGED_SUFFIX
from scorecards_sync.planner import Desired, make_plan, parse_live
from scorecards_sync.workflow import verify_applied

KEY = "verified-apply-test-key"
DIVERGING = "card-b"
NAME = DIVERGING.title()  # the name `rule_card` gives it


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    enter_keyed_workdir(tmp_path, monkeypatch, key=KEY)
    cards = tmp_path / "cards"
    cards.mkdir()
    for tag in ("card-a", "card-b", "card-c"):
        (cards / f"{tag}.yaml").write_text(rule_card(tag), encoding="utf-8")
    return tmp_path


@pytest.fixture
def emulator() -> Emulator:
    emulator = Emulator()
    emulator.put_descriptor(rule_card("card-c", weight=3))  # so that one change is an update
    emulator.faults = Faults(diverging_tags=frozenset({DIVERGING}))
    return emulator


def test_the_diverging_tag_is_not_converged_and_every_other_write_is_verified(
    workdir: Path, emulator: Emulator
) -> None:
    with emulator.serve() as server:
        ran = run_cli("apply", "cards", "--base-url", server.base_url, "--auto-approve")
    assert ran.code == 1, ran.err
    assert "+ create card-a: done (created), verified" in ran.out
    assert f"+ create {DIVERGING}: done (created), not converged" in ran.out
    assert "~ update card-c: done (updated), verified" in ran.out
    assert f'    name: Cortex serves "{NAME}{DIVERGED_SUFFIX}", sent {NAME}\n' in ran.out
    assert "Apply complete: 3 done, 0 failed, 0 skipped. 1 not converged" in ran.out
    assert ran.out.count("not converged") == 2  # the outcome and the summary: one tag only


def test_json_says_verified_on_every_write_and_what_remains(
    workdir: Path, emulator: Emulator
) -> None:
    with emulator.serve() as server:
        ran = run_cli(
            "apply", "cards", "--base-url", server.base_url, "--auto-approve", "--format", "json"
        )
    assert ran.code == 1, ran.err
    body = json.loads(ran.out)
    verified = {o["tag"]: o["verified"] for o in body["outcomes"]}
    assert verified == {"card-a": True, DIVERGING: False, "card-c": True}
    assert body["summary"]["not_converged"] == 1
    (outcome,) = [o for o in body["outcomes"] if o["tag"] == DIVERGING]
    assert outcome["remaining"] == {
        "fields": [
            {
                "path": "name",
                "kind": "changed",
                "old": f"{NAME}{DIVERGED_SUFFIX}",
                "new": NAME,
            }
        ],
        "rules": [],
    }
    assert all("remaining" not in o for o in body["outcomes"] if o["tag"] != DIVERGING)


def test_no_verify_reads_nothing_back_and_exits_0(workdir: Path, emulator: Emulator) -> None:
    with emulator.serve() as server:
        ran = run_cli(
            "apply",
            "cards",
            "--base-url",
            server.base_url,
            "--auto-approve",
            "--no-verify",
            "--format",
            "json",
        )
    assert ran.code == 0, ran.err
    body = json.loads(ran.out)
    assert [o["verified"] for o in body["outcomes"]] == [None, None, None]


def test_without_the_fault_every_write_is_verified(workdir: Path) -> None:
    emulator = Emulator()
    with emulator.serve() as server:
        ran = run_cli("apply", "cards", "--base-url", server.base_url, "--auto-approve")
    assert ran.code == 0, ran.err
    assert ran.out.count(", verified") == 3
    assert "not converged" not in ran.out


def _client(emulator: Emulator) -> CortexClient:
    return CortexClient("https://cortex.invalid", KEY, transport=emulator.transport())


def test_a_dry_run_and_a_delete_are_not_read_back(emulator: Emulator) -> None:
    emulator.put_descriptor(rule_card("old"))
    desired = [Desired("card-a", "card-a.yaml", {}, rule_card("card-a"))]
    live = {"old": emulator.descriptor_text("old") or ""}
    plan = make_plan(desired, live, prune=True, prune_patterns=["old"])
    with _client(emulator) as client:
        dry = verify_applied(plan, apply_plan(plan, client, dry_run=True), client)
        assert [o.verified for o in dry.outcomes] == [None, None]
        real = verify_applied(plan, apply_plan(plan, client), client)
    assert [(o.tag, o.verified) for o in real.outcomes] == [("card-a", True), ("old", None)]
    assert real.ok


def test_a_scorecard_gone_when_read_back_is_not_converged(emulator: Emulator) -> None:
    desired = [Desired("card-a", "card-a.yaml", {}, rule_card("card-a"))]
    plan = make_plan(desired, {})
    with _client(emulator) as client:
        result = apply_plan(plan, client)
        client.delete_scorecard("card-a")  # as if someone deleted it at once in the UI
        checked = verify_applied(plan, result, client)
    (outcome,) = checked.outcomes
    assert outcome.verified is False and not checked.ok


def test_what_is_compared_is_the_parsed_descriptor_when_its_text_is_the_one_sent(
    emulator: Emulator,
) -> None:
    # `apply` hands verification the descriptors it parsed while planning, so as not to
    # parse each again: used only when its text is the text sent.
    text = rule_card("card-a")
    plan = make_plan([Desired("card-a", "card-a.yaml", parse_live("card-a", text), text)], {})
    other = parse_live("card-a", text) | {"name": "Not what was sent"}
    with _client(emulator) as client:
        result = apply_plan(plan, client)
        same_text = {"card-a": Desired("card-a", "card-a.yaml", other, text)}
        edited = {"card-a": Desired("card-a", "card-a.yaml", other, text + "# edited\n")}
        compared_with_parsed = verify_applied(plan, result, client, same_text)
        compared_with_sent = verify_applied(plan, result, client, edited)
    assert [o.verified for o in compared_with_parsed.outcomes] == [False]
    assert [o.verified for o in compared_with_sent.outcomes] == [True]
