"""The client against the emulator's in-process transport: every operation, its errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import EDIT, EXEMPTIONS, VIEW, Emulator, Faults
from scorecards_sync.errors import (
    CortexAuthError,
    CortexError,
    CortexNotFound,
    CortexRejected,
    CortexUnavailable,
)

KEY = "client-test-key-0123456789"
BASE = "https://cortex.invalid"


def descriptor(tag: str, *, name: str | None = None, draft: bool = False, rules: int = 2) -> str:
    rule_text = "".join(
        f"""\
  - title: Rule {i}
    expression: custom("check-{i}") = true
    level: {"Bronze" if i % 2 == 0 else "Silver"}
"""
        for i in range(rules)
    )
    return f"""\
tag: {tag}
name: {name or tag.title()}
draft: {"true" if draft else "false"}
filter:
  kind: GENERIC
  types:
    include: [service]
ladder:
  name: Maturity
  levels:
    - name: Bronze
      rank: 1
      color: "#cd7f32"
    - name: Silver
      rank: 2
      color: "#c0c0c0"
rules:
{rule_text}"""


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[CortexClient]:
    sleeps: list[float] = []
    with CortexClient(
        BASE, KEY, transport=emulator.transport(), sleep=sleeps.append, rate_limit_per_minute=None
    ) as client:
        yield client


def test_list_returns_every_scorecard_with_drafts_across_pages(emulator: Emulator) -> None:
    for i in range(7):
        emulator.put_descriptor(descriptor(f"card-{i}", draft=i % 3 == 0))
    with CortexClient(BASE, KEY, transport=emulator.transport(), page_size=3) as client:
        listed = client.list_scorecards()
    assert sorted(s.tag for s in listed) == sorted(emulator.tags())
    assert {s.tag for s in listed if s.is_draft} == {"card-0", "card-3", "card-6"}
    assert all(s.rule_count == 2 for s in listed)
    # Pages of 3, 3 and 1, read twice: a listing of several pages counts once a pass agrees.
    assert client.stats.requests == 6


def test_list_of_an_empty_tenant(client: CortexClient) -> None:
    assert client.list_scorecards() == []


class ChangedBetweenPages(httpx.BaseTransport):
    """The emulator's transport, with someone else changing scorecards (through the
    emulator's API) after the `n`-th page of the scorecard list was served: `change(n)`."""

    def __init__(self, emulator: Emulator, change: Callable[[int], None]) -> None:
        self._inner = emulator.transport()
        self._change = change
        self.pages = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == "GET" and request.url.path == "/api/v1/scorecards":
            self.pages += 1
            self._change(self.pages)
        return response


def _delete(emulator: Emulator, tag: str) -> None:
    with httpx.Client(transport=emulator.transport(), base_url=BASE) as other:
        other.delete(f"/api/v1/scorecards/{tag}", headers={"Authorization": "Bearer other"})


def _listed(emulator: Emulator, transport: httpx.BaseTransport) -> list[str]:
    with CortexClient(BASE, KEY, transport=transport, page_size=2) as client:
        return sorted(summary.tag for summary in client.list_scorecards())


@pytest.fixture
def six_cards(emulator: Emulator) -> Emulator:
    for i in range(6):
        emulator.put_descriptor(descriptor(f"card-{i}"))
    return emulator


def test_a_scorecard_created_once_while_listing_is_listed(six_cards: Emulator) -> None:
    def create_once(page: int) -> None:
        if page == 1:
            six_cards.put_descriptor(descriptor("card-2a"))

    assert _listed(six_cards, ChangedBetweenPages(six_cards, create_once)) == six_cards.tags()
    assert len(six_cards.tags()) == 7


def test_a_swap_that_keeps_the_total_is_caught_by_the_next_pass(six_cards: Emulator) -> None:
    # After page 0 (card-0, card-1), card-0 goes and card-9 comes: the later pages shift
    # by one and card-2 is never served, yet the total stays 6 and 6 tags come back.
    def swap_once(page: int) -> None:
        if page == 1:
            _delete(six_cards, "card-0")
            six_cards.put_descriptor(descriptor("card-9"))

    transport = ChangedBetweenPages(six_cards, swap_once)
    assert _listed(six_cards, transport) == six_cards.tags()
    assert "card-2" in six_cards.tags() and "card-0" not in six_cards.tags()
    assert transport.pages == 9  # the spoiled pass, then two that agree


@pytest.mark.parametrize("change", ["create", "swap"])
def test_a_list_that_never_holds_still_is_refused_not_returned_partly(
    six_cards: Emulator, change: str
) -> None:
    def keep_changing(page: int) -> None:
        if change == "create":
            six_cards.put_descriptor(descriptor(f"new-{page:03d}"))
        else:
            first, *_ = six_cards.tags()
            _delete(six_cards, first)
            six_cards.put_descriptor(descriptor(f"zz-{page:03d}"))

    transport = ChangedBetweenPages(six_cards, keep_changing)
    with pytest.raises(CortexUnavailable) as info:
        _listed(six_cards, transport)
    assert str(info.value).startswith(
        "GET /api/v1/scorecards: the scorecards kept changing while they were listed"
    )
    assert "stopped rather than work from a partial list" in str(info.value)
    assert info.value.path == "/api/v1/scorecards"
    assert transport.pages <= 4 * 8  # a bounded number of passes


def test_get_scorecard_details(emulator: Emulator, client: CortexClient) -> None:
    emulator.put_descriptor(descriptor("details", name="The Details", rules=3))
    details = client.get_scorecard("details")
    assert details.tag == "details"
    assert details.name == "The Details"
    assert not details.is_draft
    assert [rule.title for rule in details.rules] == ["Rule 0", "Rule 1", "Rule 2"]
    assert all(rule.identifier for rule in details.rules)
    assert [rule.level_name for rule in details.rules] == ["Bronze", "Silver", "Bronze"]
    assert details.filter is not None
    assert details.filter.types_include == ("service",)
    assert details.evaluation_window == 4
    assert details.summary().rule_count == 3


def test_descriptor_is_exactly_what_the_emulator_serves(
    emulator: Emulator, client: CortexClient
) -> None:
    emulator.put_descriptor(descriptor("exact"))
    assert client.get_descriptor("exact") == emulator.descriptor_text("exact")


def test_upsert_creates_then_updates(emulator: Emulator, client: CortexClient) -> None:
    created = client.upsert_descriptor(descriptor("fresh", name="First"))
    assert not created.dry_run
    assert created.tag == "fresh"
    assert created.scorecard is not None and created.scorecard.name == "First"
    updated = client.upsert_descriptor(descriptor("fresh", name="Second", rules=1))
    assert updated.scorecard is not None and len(updated.scorecard.rules) == 1
    assert client.get_scorecard("fresh").name == "Second"
    assert emulator.tags() == ["fresh"]


def test_dry_run_validates_without_storing(emulator: Emulator, client: CortexClient) -> None:
    result = client.upsert_descriptor(descriptor("dry"), dry_run=True)
    assert result.dry_run
    assert emulator.tags() == []
    with pytest.raises(CortexRejected):
        client.upsert_descriptor("tag: dry\nrules: 3\n", dry_run=True)


def test_invalid_descriptor_is_rejected_with_cortex_details(client: CortexClient) -> None:
    with pytest.raises(CortexRejected) as info:
        client.upsert_descriptor("tag: broken\nname: Broken\nrules:\n  - title: no expression\n")
    error = info.value
    assert error.status == 400
    assert error.method == "POST"
    assert error.path == "/api/v1/scorecards/descriptor"
    assert error.cortex_message == "Invalid scorecard yaml"
    assert error.details and "expression" in error.details
    assert error.request_id
    assert "Invalid scorecard yaml" in str(error)
    assert error.request_id in str(error)


def test_oversized_descriptor_is_refused_before_sending(client: CortexClient) -> None:
    huge = descriptor("huge") + "description: " + "x" * (2 * 1024 * 1024) + "\n"
    with pytest.raises(CortexRejected, match="over Cortex's limit"):
        client.upsert_descriptor(huge)
    assert client.stats.requests == 0


def test_delete_then_not_found(emulator: Emulator, client: CortexClient) -> None:
    emulator.put_descriptor(descriptor("doomed"))
    client.delete_scorecard("doomed")
    assert emulator.tags() == []
    with pytest.raises(CortexNotFound) as info:
        client.delete_scorecard("doomed")
    assert info.value.status == 404
    assert info.value.path == "/api/v1/scorecards/doomed"
    with pytest.raises(CortexNotFound):
        client.get_scorecard("doomed")
    with pytest.raises(CortexNotFound):
        client.get_descriptor("doomed")


@pytest.mark.parametrize(
    "hostile",
    ["../x", "..%2Fx", "x/descriptor", "a/b", "..", ".", "x?dryRun=true", "x#frag", "%2e%2e"],
)
def test_hostile_tags_never_reach_another_scorecard_or_endpoint(
    emulator: Emulator, client: CortexClient, hostile: str
) -> None:
    emulator.put_descriptor(descriptor("x"))
    emulator.put_descriptor(descriptor("a"))
    before = {tag: emulator.descriptor_text(tag) for tag in emulator.tags()}
    for call in (
        lambda: client.get_descriptor(hostile),
        lambda: client.get_scorecard(hostile),
        lambda: client.delete_scorecard(hostile),
        lambda: client.scores(hostile),
        lambda: client.badge(hostile, "payments-api"),
    ):
        with pytest.raises(CortexNotFound):
            call()
    # Nothing was deleted or changed, and no other operation answered.
    assert {tag: emulator.descriptor_text(tag) for tag in emulator.tags()} == before
    assert set(emulator.stats.by_status) == {404}


def test_missing_key_permission_names_the_permission() -> None:
    viewer = "viewer-key-0123456789"
    emulator = Emulator(api_keys={viewer: frozenset({VIEW})})
    emulator.put_descriptor(descriptor("guarded"))
    with CortexClient(BASE, viewer, transport=emulator.transport()) as client:
        assert client.get_descriptor("guarded")
        with pytest.raises(CortexAuthError) as info:
            client.upsert_descriptor(descriptor("guarded"))
        assert info.value.status == 403
        assert "'Edit Scorecards'" in str(info.value)
        with pytest.raises(CortexAuthError, match="'Edit Scorecards'"):
            client.delete_scorecard("guarded")
    assert emulator.tags() == ["guarded"]


def test_unknown_key_is_an_auth_error_telling_what_to_check() -> None:
    emulator = Emulator(api_keys={"the-only-key-0123": frozenset({VIEW, EDIT})})
    client = CortexClient(BASE, "not-that-key", transport=emulator.transport())
    with client, pytest.raises(CortexAuthError) as info:
        client.list_scorecards()
    assert info.value.status == 401
    assert "CORTEX_API_KEY" in str(info.value)


# One test per operation of the client's public surface beyond the scorecards themselves
# (README, "The Cortex client as a library"); the exemption operations share one flow below.


@pytest.fixture
def scored(emulator: Emulator) -> Emulator:
    emulator.put_descriptor(descriptor("scored", rules=4))
    return emulator


def test_scores(scored: Emulator, client: CortexClient) -> None:
    scores = client.scores("scored")
    assert scores, "the emulator's catalog has services in scope"
    assert len({score.entity_tag for score in scores}) == len(scores)
    first = scores[0]
    assert len(first.rules) == 4
    assert first.total_possible_score > 0
    # The spec types `percentage` only as a number; Cortex's own Backstage plugin shows
    # `scorePercentage * 100` as the percent, so it is a fraction: score / totalPossibleScore.
    assert all(0 <= score.percentage <= 1 for score in scores)
    assert first.percentage == pytest.approx(first.score / first.total_possible_score, abs=1e-4)
    one = client.scores("scored", entity_tag=first.entity_tag)
    assert [score.entity_tag for score in one] == [first.entity_tag]


def test_next_steps(scored: Emulator, client: CortexClient) -> None:
    entity = client.scores("scored")[0]
    steps = client.next_steps("scored", entity.entity_tag)
    failed = {rule.identifier for rule in entity.rules if not rule.passed}
    listed = {rule.identifier for step in steps for rule in step.rules_to_complete}
    assert listed <= failed
    assert bool(steps) == bool(failed)
    for step in steps:
        assert all(rule.expression for rule in step.rules_to_complete)


def test_badge(scored: Emulator, client: CortexClient) -> None:
    entity = client.scores("scored")[0]
    badge = client.badge("scored", entity.entity_tag)
    assert badge.startswith("[![Scored](https://img.shields.io/badge/Scored-")
    with pytest.raises(CortexNotFound):
        client.badge("scored", "no-such-entity")


def test_entity_scores(scored: Emulator, client: CortexClient) -> None:
    first = client.scores("scored")[0]
    across = client.entity_scores(first.entity_tag)
    assert [score.scorecard_name for score in across] == ["Scored"]
    assert across[0].score_percentage == first.percentage


def test_evaluate_entity(scored: Emulator, client: CortexClient) -> None:
    entity = client.scores("scored")[0].entity_tag
    # Cortex's search finds only scorecards evaluated at least once; an evaluation counts.
    assert _searched(scored, entity) == []
    client.evaluate_entity("scored", entity)
    assert _searched(scored, entity) == ["scored"]
    with pytest.raises(CortexNotFound):
        client.evaluate_entity("no-such-scorecard", entity)


def _searched(emulator: Emulator, entity: str) -> list[str]:
    """Tags Cortex's search (never used by the client) finds for one entity."""
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(transport=emulator.transport(), base_url=BASE, headers=auth) as raw:
        answer = raw.get("/api/v1/scorecards", params={"entities": entity})
    return [card["tag"] for card in answer.json()["scorecards"]]


def test_scores_follow_pages(emulator: Emulator) -> None:
    emulator.put_descriptor(descriptor("paged"))
    with CortexClient(BASE, KEY, transport=emulator.transport()) as whole:
        expected = [score.entity_tag for score in whole.scores("paged")]
    with CortexClient(BASE, KEY, transport=emulator.transport(), page_size=2) as paged:
        assert [score.entity_tag for score in paged.scores("paged")] == expected
    assert len(expected) > 2


def test_exemption_flow_request_approve_revoke_deny(emulator: Emulator) -> None:
    decider = "decider-key-0123456789"
    requester = "requester-key-0123456789"
    emulator = Emulator(
        api_keys={requester: frozenset({VIEW}), decider: frozenset({VIEW, EXEMPTIONS})}
    )
    text = descriptor("exempt").replace(
        "draft: false\n", "draft: false\nexemptions:\n  enabled: true\n"
    )
    emulator.put_descriptor(text)
    with (
        CortexClient(BASE, requester, transport=emulator.transport()) as asking,
        CortexClient(BASE, decider, transport=emulator.transport()) as deciding,
    ):
        rule_id = asking.get_scorecard("exempt").rules[0].identifier
        assert rule_id is not None
        entity = asking.scores("exempt")[0].entity_tag

        requested = asking.request_exemption("exempt", entity, rule_id, "migrating", days=7)
        assert requested.status == "PENDING"
        assert requested.reason == "migrating"
        assert requested.requested_by.type == "API"
        with pytest.raises(CortexAuthError, match="'Configure Scorecard exemptions'"):
            asking.approve_exemption("exempt", entity, rule_id)

        approved = deciding.approve_exemption("exempt", entity, rule_id)
        assert [e.status for e in approved] == ["APPROVED"]
        with pytest.raises(CortexRejected):
            deciding.approve_exemption("exempt", entity, rule_id)  # nothing pending

        revoked = deciding.revoke_exemption("exempt", entity, rule_id, "migration done")
        assert [e.status for e in revoked] == ["REJECTED"]

        asking.request_exemption("exempt", entity, rule_id, "again")
        denied = deciding.deny_exemption("exempt", entity, rule_id, "no")
        assert [e.status for e in denied] == ["REJECTED"]
        listed = asking.scores("exempt", entity_tag=entity)[0].exemptions
        assert len(listed) == 2
        assert {e.rule_identifier for e in listed} == {rule_id}


def test_evaluation_running_500_on_post_is_retried(emulator: Emulator) -> None:
    emulator.faults = Faults(fail_rate=0.5, seed=3)
    sleeps: list[float] = []
    with CortexClient(
        BASE,
        KEY,
        transport=emulator.transport(),
        sleep=sleeps.append,
        rate_limit_per_minute=None,
        max_retries=20,
    ) as client:
        for i in range(20):
            client.upsert_descriptor(descriptor(f"busy-{i}"))
    assert len(emulator.tags()) == 20
    injected = emulator.stats.injected_failures
    assert injected > 0
    assert client.stats.retries == injected == len(sleeps)
    assert client.stats.by_status[500] == injected


def test_permanent_500_on_post_gives_up_after_the_bounded_retries(emulator: Emulator) -> None:
    emulator.faults = Faults(failing_tags=frozenset({"stuck"}))
    sleeps: list[float] = []
    with CortexClient(
        BASE, KEY, transport=emulator.transport(), sleep=sleeps.append, max_retries=4
    ) as client:
        with pytest.raises(CortexUnavailable) as info:
            client.upsert_descriptor(descriptor("stuck"))
        assert info.value.status == 500
        assert "after 4 retries" in str(info.value)
        assert len(sleeps) == 4
        assert all(0 <= delay <= 0.5 * 2**i for i, delay in enumerate(sleeps))
        # A DELETE's 500 is a real failure, not "evaluation running": not retried.
        with pytest.raises(CortexError) as delete_info:
            client.delete_scorecard("stuck")
        assert delete_info.value.status == 500
        assert len(sleeps) == 4


def test_429_waits_exactly_the_retry_after_then_gives_up_at_the_bound(emulator: Emulator) -> None:
    emulator.put_descriptor(descriptor("slow"))
    emulator.faults = Faults(throttle_rate=1.0, retry_after_seconds=7)
    sleeps: list[float] = []
    with (
        CortexClient(
            BASE,
            KEY,
            transport=emulator.transport(),
            sleep=sleeps.append,
            rate_limit_per_minute=None,
            max_throttled_retries=5,
        ) as client,
        pytest.raises(CortexUnavailable) as info,
    ):
        client.get_descriptor("slow")
    assert info.value.status == 429
    assert sleeps == [7.0] * 5
    assert client.stats.throttled == 6


def test_429_pauses_the_shared_limiter_for_every_thread(emulator: Emulator) -> None:
    emulator.put_descriptor(descriptor("slow"))
    emulator.faults = Faults(throttle_rate=1.0, retry_after_seconds=3)
    now = [0.0]
    with CortexClient(
        BASE,
        KEY,
        transport=emulator.transport(),
        sleep=lambda _: None,
        clock=lambda: now[0],
        max_throttled_retries=1,
    ) as client:
        with pytest.raises(CortexUnavailable):
            client.get_descriptor("slow")
        # Any next request, from any thread, must wait out the Retry-After first.
        assert client.limiter.reserve() >= 3.0


def test_dropped_connections_on_reads_are_retried(emulator: Emulator) -> None:
    for i in range(30):
        emulator.put_descriptor(descriptor(f"drop-{i}"))
    emulator.faults = Faults(drop_rate=0.3, seed=11)
    with CortexClient(
        BASE, KEY, transport=emulator.transport(), sleep=lambda _: None, max_retries=20
    ) as client:
        fetched = client.fetch_descriptors(emulator.tags())
    assert fetched == {tag: emulator.descriptor_text(tag) for tag in emulator.tags()}
    assert client.stats.connection_errors == emulator.stats.dropped > 0


def test_fetch_descriptors_keeps_order_and_skips_deleted(
    emulator: Emulator, client: CortexClient
) -> None:
    for tag in ("c", "a", "b"):
        emulator.put_descriptor(descriptor(tag))
    fetched = client.fetch_descriptors(["b", "gone", "a", "b", "c"])
    assert list(fetched) == ["b", "a", "c"]
    assert fetched["a"] == emulator.descriptor_text("a")
    assert client.fetch_descriptors([]) == {}


def test_fetch_descriptors_raises_the_first_real_failure() -> None:
    viewer_less = "no-view-key-0123456789"
    emulator = Emulator(api_keys={viewer_less: frozenset({EDIT})})
    emulator.put_descriptor(descriptor("a"))
    client = CortexClient(BASE, viewer_less, transport=emulator.transport())
    with client, pytest.raises(CortexAuthError, match="'View Scorecards'"):
        client.fetch_descriptors(["a", "b", "c"])
