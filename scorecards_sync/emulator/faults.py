"""Faults the emulator injects on demand, reproducibly.

Every random choice comes from one `random.Random(seed)`, so a test that sends
the same requests in the same order sees the same faults.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DIVERGED_SUFFIX = " (as stored)"


@dataclass(frozen=True)
class Faults:
    """What to inject. The default injects nothing.

    - `latency_ms`: added to every answered request.
    - `rate_limit_per_minute`: per API key, as a token bucket holding that many
      requests and refilling at that rate (see `RateLimiter`).
    - `throttle_rate`: share of requests answered 429 at random.
    - `retry_after_seconds`: the `Retry-After` of those random 429s.
    - `fail_rate`: share of `POST .../descriptor` answered 500 "evaluation running" (not
      dry runs: they touch no scorecard, so no evaluation is in their way).
    - `drop_rate`: share of requests whose connection is dropped without a response, before
      the request has any effect.
    - `failing_tags`: scorecards whose POST (dry runs too) and DELETE always answer 500.
    - `refused_operations`: operations (by the spec's operationId, e.g.
      `listScorecardScores`) answered 403, as for a key whose role lacks the permission.
    - `diverging_tags`: scorecards whose POST (not dry runs) answers 200 but stores a
      `name` other than the one posted (`DIVERGED_SUFFIX` appended), as a server-side
      normalization this tool does not know would: what a verified apply must catch.
    - `seed`: seeds the random choices.
    """

    latency_ms: float = 0
    rate_limit_per_minute: int | None = None
    throttle_rate: float = 0.0
    retry_after_seconds: int = 1
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    failing_tags: frozenset[str] = field(default_factory=frozenset)
    refused_operations: frozenset[str] = field(default_factory=frozenset)
    diverging_tags: frozenset[str] = field(default_factory=frozenset)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "fail_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {self.latency_ms}")
        if self.retry_after_seconds < 0:
            raise ValueError("retry_after_seconds must not be negative")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")


class RateLimiter:
    """A token bucket per API key: `limit` requests at once, refilled at `limit` per minute.

    Cortex documents "1000 requests per minute". A bucket rather than a fixed
    window means a client that keeps its own bucket of at most that size at
    the same rate can never be refused, while any client that bursts past it
    is, wherever the burst falls in the minute.
    """

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(limit)
        self._per_second = limit / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int | None:
        """Take one token for `key`; None if allowed, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self._per_second))


class FaultDice:
    """The seeded random source behind one `Faults` value."""

    def __init__(self, faults: Faults, clock: Callable[[], float] = time.monotonic) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        self.limiter = (
            RateLimiter(faults.rate_limit_per_minute, clock)
            if faults.rate_limit_per_minute is not None
            else None
        )

    def roll(self, rate: float) -> bool:
        """True with probability `rate`; draws nothing when the rate is 0 or 1."""
        if rate <= 0.0:
            return False
        if rate >= 1.0:
            return True
        with self._lock:
            return self._random.random() < rate
