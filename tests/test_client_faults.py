"""Done-when checks of issue 3 for the client, over real HTTP on 127.0.0.1.

- Under faults (30% 429, 10% 500 on POST, 5% dropped connections) 500 descriptors are all
  fetched, byte-for-byte right, with no error surfaced.
- Against the emulator's rate limit, the client's own limiter keeps the 429s at zero
  (scaled down from 1000/minute, on a virtual clock shared by both sides so that the
  count of tokens does not depend on the machine's speed; `bench/ratelimit.py` runs the
  real figures in real time).
"""

from __future__ import annotations

import threading

import pytest

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator, Faults

KEY = "faults-test-key-0123456789"


def descriptor(number: int) -> str:
    rules = "".join(
        f"""\
  - title: Check {number}-{i}
    expression: custom("key-{number}-{i}") = {i}
    level: {("Bronze", "Silver", "Gold")[i % 3]}
"""
        for i in range(1 + number % 5)
    )
    return f"""\
tag: card-{number:03d}
name: Card number {number}
description: Scorecard {number} of the fault test.
draft: {"true" if number % 7 == 0 else "false"}
ladder:
  levels:
    - name: Bronze
      rank: 1
      color: "#cd7f32"
    - name: Silver
      rank: 2
      color: "#c0c0c0"
    - name: Gold
      rank: 3
      color: "#ffd700"
rules:
{rules}"""


def seeded(count: int, faults: Faults | None = None) -> Emulator:
    emulator = Emulator()
    for number in range(count):
        emulator.put_descriptor(descriptor(number))
    emulator.faults = faults or Faults()
    emulator.reset_stats()
    return emulator


FAULTS = Faults(throttle_rate=0.3, retry_after_seconds=0, fail_rate=0.1, drop_rate=0.05, seed=7)


@pytest.mark.slow
def test_fetching_500_descriptors_under_faults_returns_all_of_them_correct() -> None:
    emulator = seeded(500, FAULTS)
    with (
        emulator.serve() as server,
        CortexClient(server.base_url, KEY, rate_limit_per_minute=None) as client,
    ):
        tags = [summary.tag for summary in client.list_scorecards()]
        fetched = client.fetch_descriptors(tags)
    assert len(tags) == 500
    assert fetched == {tag: emulator.descriptor_text(tag) for tag in emulator.tags()}
    emulated = emulator.stats
    # The faults really happened, and the client saw (and absorbed) every one of them.
    assert emulated.throttled > 100
    assert emulated.dropped > 10
    assert client.stats.throttled == emulated.throttled
    assert client.stats.connection_errors == emulated.dropped
    assert client.stats.retries == emulated.throttled + emulated.dropped
    assert client.stats.by_status[200] == 500 + 1


@pytest.mark.slow
def test_upserting_under_faults_stores_every_descriptor() -> None:
    emulator = seeded(0, FAULTS)
    texts = [descriptor(number) for number in range(60)]
    with (
        emulator.serve() as server,
        CortexClient(server.base_url, KEY, rate_limit_per_minute=None, backoff_base=0.05) as client,
    ):
        for text in texts:
            client.upsert_descriptor(text)
    stats = emulator.stats
    assert len(emulator.tags()) == 60
    assert stats.injected_failures > 0  # "evaluation running" 500s, retried
    assert client.stats.by_status[500] == stats.injected_failures
    with CortexClient(server.base_url, KEY, transport=emulator.transport()) as reader:
        assert reader.fetch_descriptors(emulator.tags()) == {
            tag: emulator.descriptor_text(tag) for tag in emulator.tags()
        }


def test_retry_after_of_random_429s_is_honoured_over_http() -> None:
    emulator = seeded(40, Faults(throttle_rate=0.3, retry_after_seconds=1, seed=5))
    sleeps: list[float] = []
    with (
        emulator.serve() as server,
        CortexClient(
            server.base_url, KEY, rate_limit_per_minute=None, sleep=sleeps.append
        ) as client,
    ):
        fetched = client.fetch_descriptors(emulator.tags())
    assert len(fetched) == 40
    assert client.stats.throttled == emulator.stats.throttled > 0
    assert sleeps == [1.0] * client.stats.throttled


class VirtualClock:
    """Time that passes only when someone sleeps, shared by the client and the emulator's
    rate limit: the two tests below then count tokens exactly, however loaded the machine.
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)


# Scaled from 1000/minute: the emulator's bucket holds 600 and refills 10 per second; ours
# has a smaller burst at the same rate. 601 requests must therefore wait.
SCALED_LIMIT = 600
SCALED_BURST = 570


def limited(count: int, clock: VirtualClock) -> Emulator:
    emulator = Emulator(rate_clock=clock.now)
    for number in range(count):
        emulator.put_descriptor(descriptor(number))
    emulator.faults = Faults(rate_limit_per_minute=SCALED_LIMIT)
    emulator.reset_stats()
    return emulator


def test_own_limiter_keeps_429s_at_zero_against_the_emulators_limit() -> None:
    clock = VirtualClock()
    emulator = limited(SCALED_LIMIT + 300, clock)
    with (
        emulator.serve() as server,
        CortexClient(
            server.base_url,
            KEY,
            rate_limit_per_minute=SCALED_LIMIT,
            burst=SCALED_BURST,
            clock=clock.now,
            sleep=clock.sleep,
        ) as client,
    ):
        fetched = client.fetch_descriptors(s.tag for s in client.list_scorecards())
    assert len(fetched) == SCALED_LIMIT + 300
    assert emulator.stats.throttled == 0
    assert dict(emulator.stats.by_status) == {200: SCALED_LIMIT + 301}
    assert client.stats.throttled == 0
    # The limiter held back the requests past its burst, 0.1 s apart (sleeps of threads
    # that overlap can add up to more virtual time, never less).
    assert client.limiter.waited_seconds > 0
    assert clock.now() >= (SCALED_LIMIT + 301 - SCALED_BURST) * 0.1 - 1e-6


def test_without_its_limiter_the_same_fetch_does_hit_the_limit() -> None:
    # The control for the test above: the load really exceeds the emulator's limit.
    clock = VirtualClock()
    emulator = limited(SCALED_LIMIT + 20, clock)
    with (
        emulator.serve() as server,
        CortexClient(
            server.base_url, KEY, rate_limit_per_minute=None, clock=clock.now, sleep=clock.sleep
        ) as client,
    ):
        fetched = client.fetch_descriptors(emulator.tags())
    assert len(fetched) == SCALED_LIMIT + 20  # 429s are retried after their Retry-After
    assert emulator.stats.throttled > 0
    assert client.stats.throttled == emulator.stats.throttled


@pytest.mark.parametrize("concurrency", [1, 4, 16])
def test_concurrency_never_exceeds_the_pool(concurrency: int) -> None:
    emulator = seeded(30)
    with (
        emulator.serve() as server,
        CortexClient(server.base_url, KEY, rate_limit_per_minute=None, concurrency=4) as client,
    ):
        fetched = client.fetch_descriptors(emulator.tags(), concurrency=concurrency)
    assert len(fetched) == 30
    assert client.stats.requests == 30
