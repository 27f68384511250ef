from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from scorecards_sync.cortex.retry import (
    RetryKind,
    RetryPolicy,
    RetryState,
    parse_retry_after,
    retry_after_from_problem,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        ("Sat, 01 Mar 2025 12:00:45 GMT", 45.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("Sat, 99 Foo 2025", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_parse_retry_after_date_defaults_to_the_current_time() -> None:
    future = datetime.now(UTC) + timedelta(seconds=100)
    seconds = parse_retry_after(format_datetime(future, usegmt=True))
    assert seconds is not None
    assert 90 < seconds <= 100


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "about:blank", "status": 429, "retryAfter": 3}, 3.0),
        ({"retryAfter": 0}, 0.0),
        ({"retryAfter": -1}, None),
        ({"retryAfter": "3"}, None),
        ({"retryAfter": True}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_from_problem_body(
    body: dict[str, object] | None, expected: float | None
) -> None:
    assert retry_after_from_problem(body) == expected


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=30.0)
    rng = random.Random(1)
    for retry_number, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (500, 30.0)]:
        samples = [policy.backoff(retry_number, rng) for _ in range(2000)]
        assert all(0.0 <= sample <= ceiling for sample in samples)
        # Full jitter spreads over the whole interval, not just near its top.
        assert min(samples) < ceiling * 0.05
        assert max(samples) > ceiling * 0.95


def test_transient_retries_are_bounded_in_count() -> None:
    state = RetryState(RetryPolicy(max_retries=3), clock=FakeClock(), rng=random.Random(0))
    delays = [state.next_delay(RetryKind.TRANSIENT) for _ in range(5)]
    assert [delay is not None for delay in delays] == [True, True, True, False, False]
    assert state.transient == 3


def test_throttled_retries_honour_retry_after_and_have_their_own_bound() -> None:
    policy = RetryPolicy(max_retries=1, max_throttled_retries=4)
    state = RetryState(policy, clock=FakeClock(), rng=random.Random(0))
    assert state.next_delay(RetryKind.TRANSIENT) is not None
    assert [state.next_delay(RetryKind.THROTTLED, 2.0) for _ in range(5)] == [
        2.0,
        2.0,
        2.0,
        2.0,
        None,
    ]
    # A 429 never used up the transient allowance, nor the other way round.
    assert state.next_delay(RetryKind.TRANSIENT) is None
    assert state.retries == 5


def test_throttled_without_retry_after_backs_off() -> None:
    state = RetryState(RetryPolicy(backoff_base=1.0), clock=FakeClock(), rng=random.Random(3))
    delay = state.next_delay(RetryKind.THROTTLED, None)
    assert delay is not None
    assert 0.0 <= delay <= 1.0


def test_transient_retry_waits_at_least_the_servers_retry_after() -> None:
    state = RetryState(RetryPolicy(backoff_base=0.1), clock=FakeClock(), rng=random.Random(0))
    assert state.next_delay(RetryKind.TRANSIENT, 5.0) == 5.0


def test_retries_stop_when_the_time_budget_would_be_exceeded() -> None:
    clock = FakeClock()
    state = RetryState(RetryPolicy(budget_seconds=10.0), clock=clock, rng=random.Random(0))
    assert state.next_delay(RetryKind.THROTTLED, 4.0) == 4.0
    clock.now += 4.0
    assert state.next_delay(RetryKind.THROTTLED, 6.0) == 6.0
    clock.now += 6.0
    assert state.next_delay(RetryKind.THROTTLED, 0.5) is None
    assert state.elapsed() == 10.0


def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    state = RetryState(RetryPolicy(budget_seconds=60.0), clock=FakeClock(), rng=random.Random(0))
    assert state.next_delay(RetryKind.THROTTLED, 3600.0) is None


def test_policy_rejects_negative_bounds() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(budget_seconds=-1.0)
