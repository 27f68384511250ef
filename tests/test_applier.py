"""The applier against the in-process emulator: order, failures, dry runs, stale checks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from cli_runner import ladder_card as card

from scorecards_sync.applier import (
    ApplyResult,
    Outcome,
    Status,
    apply_plan,
    check_fresh,
    describe_error,
    touched_tags,
)
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.descriptor import fingerprint
from scorecards_sync.emulator import ALL_PERMISSIONS, VIEW, Emulator, Faults
from scorecards_sync.errors import CortexRejected, PlanError, StalePlan
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.planner import Desired, Removal, make_plan, parse_live
from scorecards_sync.render.results import JsonResults, TextResults, summary_line


def desired(tag: str, text: str, path: str | None = None) -> Desired:
    return Desired(tag, path or f"cards/{tag}.yaml", parse_live(tag, text), text)


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[CortexClient]:
    with CortexClient(
        "https://emulator.invalid",
        "test-key",
        transport=emulator.transport(),
        rate_limit_per_minute=None,
        max_retries=0,
    ) as made:
        yield made


def live_of(emulator: Emulator) -> dict[str, str]:
    return {tag: emulator.descriptor_text(tag) or "" for tag in emulator.tags()}


class Recorder:
    """Passes calls on to the real client, noting their order and how many overlap."""

    def __init__(self, client: CortexClient) -> None:
        self.client = client
        self.calls: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def _enter(self, call: tuple[str, str]) -> None:
        with self._lock:
            self.calls.append(call)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def upsert_descriptor(self, yaml_text: str, *, dry_run: bool = False) -> object:
        tag = str(parse_live("?", yaml_text)["tag"])
        self._enter(("upsert-dry" if dry_run else "upsert", tag))
        try:
            return self.client.upsert_descriptor(yaml_text, dry_run=dry_run)
        finally:
            self._leave()

    def delete_scorecard(self, tag: str) -> None:
        self._enter(("delete", tag))
        try:
            self.client.delete_scorecard(tag)
        finally:
            self._leave()


def test_creates_updates_and_deletes_reach_cortex(emulator: Emulator, client: CortexClient) -> None:
    emulator.put_descriptor(card("keep"))
    emulator.put_descriptor(card("change"))
    emulator.put_descriptor(card("gone"))
    plan = make_plan(
        [
            desired("keep", card("keep")),
            desired("change", card("change", level="Silver")),
            desired("new", card("new")),
        ],
        live_of(emulator),
        removals=[Removal("gone", "cards/gone.yaml")],
    )
    result = apply_plan(plan, client)
    assert [(o.tag, o.action, o.status) for o in result.outcomes] == [
        ("new", Action.CREATE, Status.DONE),
        ("change", Action.UPDATE, Status.DONE),
        ("gone", Action.DELETE, Status.DONE),
    ]
    assert [o.message for o in result.outcomes] == ["created", "updated", "deleted"]
    assert (result.done, result.failed, result.skipped, result.ok) == (3, 0, 0, True)
    assert emulator.tags() == ["change", "keep", "new"]
    again = make_plan(
        [
            desired("keep", card("keep")),
            desired("change", card("change", level="Silver")),
            desired("new", card("new")),
        ],
        live_of(emulator),
    )
    assert not again.has_changes


def test_writes_run_before_deletes(emulator: Emulator, client: CortexClient) -> None:
    for tag in ("old-1", "old-2", "old-3"):
        emulator.put_descriptor(card(tag))
    plan = make_plan(
        [desired(f"new-{i}", card(f"new-{i}")) for i in range(6)],
        live_of(emulator),
        removals=[Removal(tag, f"cards/{tag}.yaml") for tag in ("old-1", "old-2", "old-3")],
    )
    recorder = Recorder(client)
    apply_plan(plan, recorder, concurrency=4)
    kinds = [kind for kind, _ in recorder.calls]
    assert kinds == ["upsert"] * 6 + ["delete"] * 3


def test_concurrency_is_bounded(client: CortexClient, emulator: Emulator) -> None:
    emulator.faults = Faults(latency_ms=20)
    plan = make_plan([desired(f"card-{i}", card(f"card-{i}")) for i in range(12)], {})
    recorder = Recorder(client)
    result = apply_plan(plan, recorder, concurrency=3)
    assert result.done == 12
    assert 1 < recorder.most_in_flight <= 3


def test_one_failure_does_not_hide_the_others(emulator: Emulator, client: CortexClient) -> None:
    emulator.faults = Faults(failing_tags=frozenset({"card-3"}))
    plan = make_plan([desired(f"card-{i}", card(f"card-{i}")) for i in range(6)], {})
    result = apply_plan(plan, client)
    failed = [o for o in result.outcomes if o.status is Status.FAILED]
    assert [o.tag for o in failed] == ["card-3"]
    assert "500" in failed[0].message
    assert result.done == 5 and not result.ok
    assert emulator.tags() == ["card-0", "card-1", "card-2", "card-4", "card-5"]


def test_rejected_descriptor_reports_cortex_message(client: CortexClient) -> None:
    bad = card("bad").replace("level: Bronze", "level: Platinum")
    plan = Plan((Change(Action.CREATE, "bad", desired_yaml=bad),))
    (outcome,) = apply_plan(plan, client).outcomes
    assert outcome.status is Status.FAILED
    assert "Invalid scorecard yaml" in outcome.message
    assert "Platinum" in outcome.message


def test_retag_delete_is_skipped_when_its_replacement_failed(
    emulator: Emulator, client: CortexClient
) -> None:
    emulator.put_descriptor(card("old-name"))
    emulator.faults = Faults(failing_tags=frozenset({"new-name"}))
    plan = make_plan(
        [desired("new-name", card("new-name"), "cards/a.yaml")],
        live_of(emulator),
        removals=[Removal("old-name", "cards/a.yaml", new_tag="new-name")],
    )
    result = apply_plan(plan, client)
    by_tag = {o.tag: o for o in result.outcomes}
    assert by_tag["new-name"].status is Status.FAILED
    assert by_tag["old-name"].status is Status.SKIPPED
    assert "new-name" in by_tag["old-name"].message
    assert emulator.tags() == ["old-name"]  # nothing lost
    emulator.faults = Faults()
    rerun = apply_plan(plan, client)
    assert rerun.ok and emulator.tags() == ["new-name"]


def test_a_tag_removed_and_defined_again_is_one_update_never_a_delete_and_create(
    emulator: Emulator, client: CortexClient
) -> None:
    """The planner gives each tag one change, so the applier never has to order two calls on
    one scorecard: a file removed while another file now holds its tag is an update."""
    emulator.put_descriptor(card("phoenix"))
    plan = make_plan(
        [desired("phoenix", card("phoenix", name="Reborn"), path="cards/new-home.yaml")],
        live_of(emulator),
        removals=[Removal("phoenix", "cards/phoenix.yaml")],
    )
    assert [(c.action, c.tag) for c in plan.changes] == [(Action.UPDATE, "phoenix")]
    recorder = Recorder(client)
    result = apply_plan(plan, recorder)
    assert recorder.calls == [("upsert", "phoenix")]
    assert result.ok and "name: Reborn" in live_of(emulator)["phoenix"]


def test_a_plan_with_two_changes_for_one_tag_is_refused() -> None:
    with pytest.raises(PlanError, match="more than one change for scorecard phoenix"):
        Plan(
            (
                Change(Action.DELETE, "phoenix", live_fingerprint="x"),
                Change(Action.CREATE, "phoenix", desired_yaml=card("phoenix")),
            )
        )


def test_dry_run_validates_writes_and_deletes_nothing(
    emulator: Emulator, client: CortexClient
) -> None:
    emulator.put_descriptor(card("gone"))
    plan = make_plan(
        [desired("new", card("new"))],
        live_of(emulator),
        removals=[Removal("gone", "cards/gone.yaml")],
    )
    recorder = Recorder(client)
    result = apply_plan(plan, recorder, dry_run=True)
    assert recorder.calls == [("upsert-dry", "new")]
    assert [(o.tag, o.status, o.message) for o in result.outcomes] == [
        ("new", Status.DONE, "accepted by Cortex: dry run, nothing written"),
        ("gone", Status.SKIPPED, "would delete (dry run)"),
    ]
    assert emulator.tags() == ["gone"]
    assert summary_line(result) == "Dry run complete: 1 done, 0 failed, 1 skipped."


def test_deleting_an_absent_scorecard_counts_as_done(client: CortexClient) -> None:
    plan = Plan((Change(Action.DELETE, "never-was", live_fingerprint="x"),))
    (outcome,) = apply_plan(plan, client).outcomes
    assert (outcome.status, outcome.message) == (Status.DONE, "already absent")


def test_empty_plan_sends_nothing(client: CortexClient) -> None:
    recorder = Recorder(client)
    result = apply_plan(Plan((Change(Action.UNCHANGED, "same"),)), recorder)
    assert result.outcomes == () and recorder.calls == []


def _saved_plan(emulator: Emulator) -> Plan:
    for tag in ("edited", "deleted", "untouched", "unrelated"):
        emulator.put_descriptor(card(tag))
    return make_plan(
        [
            desired("edited", card("edited", level="Silver")),
            desired("created", card("created")),
            desired("untouched", card("untouched")),
        ],
        live_of(emulator),
        removals=[Removal("deleted", "cards/deleted.yaml")],
    )


def _fingerprints(emulator: Emulator) -> dict[str, str]:
    return {tag: fingerprint(parse_live(tag, text)) for tag, text in live_of(emulator).items()}


def test_check_fresh_passes_when_nothing_it_touches_moved(emulator: Emulator) -> None:
    plan = _saved_plan(emulator)
    assert touched_tags(plan) == ["created", "deleted", "edited"]
    emulator.put_descriptor(card("unrelated", name="Someone else's edit"))
    check_fresh(plan, _fingerprints(emulator))


def test_check_fresh_names_every_scorecard_that_moved(emulator: Emulator) -> None:
    plan = _saved_plan(emulator)
    emulator.put_descriptor(card("edited", name="Edited in the UI"))
    emulator.put_descriptor(card("created"))
    live = _fingerprints(emulator)
    del live["deleted"]
    with pytest.raises(StalePlan) as caught:
        check_fresh(plan, live)
    text = str(caught.value)
    assert "3 scorecard(s)" in text
    assert "edited (edited in Cortex since the plan)" in text
    assert "created (created in Cortex since the plan)" in text
    assert "deleted (deleted from Cortex since the plan)" in text
    assert "untouched" not in text and "unrelated" not in text


def test_describe_error_prefers_cortex_words() -> None:
    exc = CortexRejected(
        "POST /x failed", status=400, cortex_message="Invalid scorecard yaml", details="a\nb"
    )
    assert describe_error(exc) == "Invalid scorecard yaml: a b (HTTP 400)"
    assert describe_error(CortexRejected("plain failure")) == "plain failure"


def test_results_renderers() -> None:
    result = ApplyResult(
        (
            Outcome("a", Action.CREATE, Status.DONE, "created"),
            Outcome("b", Action.UPDATE, Status.FAILED, "Invalid scorecard yaml"),
            Outcome("c", Action.DELETE, Status.SKIPPED, "would delete (dry run)"),
        )
    )
    text = TextResults().render(result)
    assert text.splitlines() == [
        "+ create a: done (created)",
        "~ update b: failed (Invalid scorecard yaml)",
        "- delete c: skipped (would delete (dry run))",
        "",
        "Apply complete: 1 done, 1 failed, 1 skipped.",
    ]
    assert "\033[" not in text
    assert "\033[31mfailed\033[0m" in TextResults(color=True).render(result)
    body = JsonResults().render(result)
    assert '"failed": 1' in body and '"status": "skipped"' in body


@pytest.fixture
def keyed() -> Emulator:
    return Emulator(api_keys={"viewer": frozenset({VIEW}), "editor": ALL_PERMISSIONS})


def keyed_client(emulator: Emulator, key: str) -> CortexClient:
    return CortexClient(
        "https://emulator.invalid",
        key,
        transport=emulator.transport(),
        rate_limit_per_minute=None,
        max_retries=0,
    )


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_key_without_edit_stops_the_apply_at_the_first_refusal(
    keyed: Emulator, dry_run: bool
) -> None:
    with keyed_client(keyed, "editor") as editor:
        apply_plan(make_plan([desired("gone", card("gone"))], {}), editor)
    plan = make_plan(
        [desired(f"card-{i}", card(f"card-{i}")) for i in range(6)],
        live_of(keyed),
        removals=[Removal("gone", "cards/gone.yaml")],
    )
    with keyed_client(keyed, "viewer") as viewer:
        recorder = Recorder(viewer)
        result = apply_plan(plan, recorder, concurrency=4, dry_run=dry_run)
    assert len(recorder.calls) == 1
    first, *rest = result.outcomes
    assert (first.status, first.message) == (
        Status.FAILED,
        "the API key lacks the 'Edit Scorecards' permission (HTTP 403)",
    )
    assert [o.status for o in rest] == [Status.SKIPPED] * 6
    skipped_writes = [o for o in rest if o.action is not Action.DELETE]
    assert {o.message for o in skipped_writes} == {
        "not sent: the API key lacks the 'Edit Scorecards' permission"
    }
    assert (result.failed, result.skipped, result.ok) == (1, 6, False)
    assert keyed.tags() == ["gone"]


def test_a_refused_key_stops_the_apply_naming_the_refusal(keyed: Emulator) -> None:
    plan = make_plan([desired(f"card-{i}", card(f"card-{i}")) for i in range(3)], {})
    with keyed_client(keyed, "nobody") as stranger:
        result = apply_plan(plan, stranger)
    assert [(o.status, o.message) for o in result.outcomes] == [
        (Status.FAILED, "Cortex refused the API key (HTTP 401)"),
        (Status.SKIPPED, "not sent: Cortex refused the API key"),
        (Status.SKIPPED, "not sent: Cortex refused the API key"),
    ]
