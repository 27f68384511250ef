from __future__ import annotations

import threading
from collections.abc import Callable

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


class PauseWhileSleeping(VirtualTime):
    """Virtual time where, during the first sleep, another thread's request meets a 429:
    `pause(retry_after)` is called `after` seconds into that sleep."""

    def __init__(self, after: float, retry_after: float) -> None:
        super().__init__()
        self.after = after
        self.retry_after = retry_after
        self.limiter: RateLimiter | None = None
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) == 1 and self.limiter is not None:
            self.now += self.after
            self.limiter.pause(self.retry_after)
            self.now += seconds - self.after
        else:
            self.now += seconds


def _limiter(time_: PauseWhileSleeping, rate_per_minute: float, burst: int) -> RateLimiter:
    limiter = RateLimiter(rate_per_minute, burst=burst, clock=time_.clock, sleep=time_.sleep)
    time_.limiter = limiter
    return limiter


def test_a_thread_asleep_on_its_slot_when_a_pause_begins_waits_for_the_pause() -> None:
    time_ = PauseWhileSleeping(after=0.5, retry_after=10.0)  # paused from 0.5 to 10.5
    limiter = _limiter(time_, 60, burst=1)
    assert limiter.reserve() == 0.0  # t=0: the slot of another thread
    waited = limiter.acquire()  # slot at t=1, slept on; the 429 arrives at t=0.5
    assert time_.now == pytest.approx(10.5)  # not 1.0: inside the Retry-After window
    assert waited == pytest.approx(10.5)
    assert time_.sleeps == pytest.approx([1.0, 9.5])
    # Later requests keep the steady rate after the pause: no burst.
    assert limiter.reserve() == pytest.approx(1.0)
    assert limiter.acquired == 3  # a new slot after the pause is not a second request


class SteppedTime:
    """Virtual time for real threads: a sleeper blocks until the test moves the clock past
    its wake-up time, so which thread runs when is decided by the test alone."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleep_calls = 0
        self.condition = threading.Condition()

    def clock(self) -> float:
        with self.condition:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.condition:
            wake = self.now + seconds
            self.sleep_calls += 1
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.now >= wake)

    def advance_to(self, moment: float) -> None:
        with self.condition:
            self.now = moment
            self.condition.notify_all()

    def until(self, predicate: Callable[[], bool]) -> None:
        with self.condition:
            assert self.condition.wait_for(predicate, timeout=5), "the threads did not get there"


def test_threads_asleep_through_a_pause_fire_after_it_one_slot_apart() -> None:
    time_ = SteppedTime()
    limiter = RateLimiter(60, burst=1, clock=time_.clock, sleep=time_.sleep)
    limiter.reserve()  # t=0
    fired: list[float] = []

    def send() -> None:
        limiter.acquire()
        with time_.condition:
            fired.append(time_.now)
            time_.condition.notify_all()

    threads = [threading.Thread(target=send, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time_.until(lambda: time_.sleep_calls == 2)  # asleep on their slots at t=1 and t=2
    time_.advance_to(0.5)
    limiter.pause(10.0)  # a 429 elsewhere: nothing may go out before t=10.5
    time_.advance_to(1.0)
    time_.until(lambda: time_.sleep_calls == 3)  # the first woke, saw the pause, slept again
    time_.advance_to(2.0)
    time_.until(lambda: time_.sleep_calls == 4)
    assert fired == []
    time_.advance_to(10.5)
    time_.until(lambda: len(fired) == 1)
    time_.advance_to(11.5)
    time_.until(lambda: len(fired) == 2)
    for thread in threads:
        thread.join()
    assert fired == [10.5, 11.5]
    assert limiter.acquired == 3


def test_a_pause_that_ends_before_the_slot_changes_nothing() -> None:
    time_ = PauseWhileSleeping(after=0.5, retry_after=0.2)  # paused from 0.5 to 0.7
    limiter = _limiter(time_, 60, burst=1)
    limiter.reserve()
    assert limiter.acquire() == pytest.approx(1.0)
    assert time_.now == pytest.approx(1.0)
    assert time_.sleeps == pytest.approx([1.0])
