from __future__ import annotations

import threading

import pytest

from scorecards_sync.cortex.ratelimit import RateLimiter, Unlimited


class VirtualTime:
    """A clock that advances only when someone sleeps: tests run without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_a_fresh_bucket_allows_the_burst_at_once() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(60, burst=5, clock=time_.clock, sleep=time_.sleep)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == [0.0] * 5


def test_beyond_the_burst_requests_are_spaced_at_the_rate() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(120, burst=3, clock=time_.clock, sleep=time_.sleep)
    waits = [limiter.reserve() for _ in range(7)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0])


def test_tokens_refill_over_time_up_to_the_burst() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(60, burst=2, clock=time_.clock, sleep=time_.sleep)
    assert [limiter.reserve() for _ in range(2)] == [0.0, 0.0]
    time_.now += 1.0  # one token back
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(1.0)
    time_.now += 100.0  # long idle: full again, but no more than the burst
    assert [limiter.reserve() for _ in range(2)] == [0.0, 0.0]
    assert limiter.reserve() == pytest.approx(1.0)


def conforms(times: list[float], rate_per_minute: float, capacity: int) -> bool:
    """Would a server-side token bucket (rate, capacity) accept every request at `times`?"""
    tokens = float(capacity)
    last = times[0]
    for moment in sorted(times):
        tokens = min(capacity, tokens + (moment - last) * rate_per_minute / 60.0)
        last = moment
        if tokens < 1.0 - 1e-9:
            return False
        tokens -= 1.0
    return True


def test_any_schedule_it_lets_through_passes_a_server_bucket_of_the_same_rate() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(1000, burst=20, clock=time_.clock, sleep=time_.sleep)
    sent: list[float] = []
    for i in range(600):
        if i % 50 == 0:
            time_.now += 0.7  # idle gaps refill part of the bucket
        sent.append(time_.now + limiter.reserve())
    assert conforms(sent, 1000, 20)
    assert not conforms(sent, 1000, 19)  # the burst is really used


def test_floor_time_for_n_requests_is_requests_beyond_burst_over_rate() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(1000, burst=20, clock=time_.clock, sleep=time_.sleep)
    for _ in range(520):
        limiter.acquire()
    assert time_.now == pytest.approx(500 * 60 / 1000)
    assert limiter.waited_seconds > 0
    assert limiter.acquired == 520


def test_pause_holds_everyone_then_resumes_at_the_steady_rate() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(60, burst=10, clock=time_.clock, sleep=time_.sleep)
    limiter.pause(5.0)
    assert limiter.reserve() == pytest.approx(5.0)
    assert limiter.reserve() == pytest.approx(6.0)
    limiter.pause(0.0)
    limiter.pause(-1.0)
    assert limiter.reserve() == pytest.approx(7.0)


def test_shared_across_threads_without_losing_or_doubling_slots() -> None:
    limiter = RateLimiter(6000, burst=10, clock=lambda: 0.0)  # a slot every 10 ms
    waits: list[float] = []
    lock = threading.Lock()

    def take_five() -> None:
        for _ in range(5):
            wait = limiter.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter.acquired == 40
    assert sorted(round(wait * 1000) for wait in waits) == [0] * 10 + list(range(10, 310, 10))


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(10, burst=0)


def test_unlimited_never_waits() -> None:
    limiter = Unlimited()
    assert [limiter.acquire() for _ in range(100)] == [0.0] * 100
    limiter.pause(10)
    assert limiter.acquire() == 0.0
    assert limiter.acquired == 101
    assert "Unlimited" in repr(limiter)
