"""When to retry a call, and how long to wait first.

Two kinds of retry, bounded separately:

- *throttled* (429): the server says exactly when to come back (`Retry-After`), and the
  request was not processed. Bounded by `max_throttled_retries` and the time budget.
- *transient* (connection failures, 502/503/504, the "evaluation running" 500 on
  POST descriptor): exponential backoff with full jitter, bounded by `max_retries`.

Every retry of one call also fits in `budget_seconds`, counted from the first attempt.
"""

from __future__ import annotations

import enum
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class RetryKind(enum.Enum):
    THROTTLED = "throttled"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    max_throttled_retries: int = 30
    budget_seconds: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.max_throttled_retries < 0:
            raise ValueError("retry counts must be >= 0")
        if self.budget_seconds < 0 or self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("retry times must be >= 0")

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(n-1))] for the n-th retry (n >= 1)."""
        exponent = min(max(retry_number - 1, 0), 62)
        ceiling = min(self.backoff_max, self.backoff_base * math.ldexp(1.0, exponent))
        return rng.uniform(0.0, ceiling)


class RetryState:
    """The retries of one call: counts, deadline, and the next delay (or None: give up)."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._started = clock()
        self.transient = 0
        self.throttled = 0

    @property
    def retries(self) -> int:
        return self.transient + self.throttled

    def elapsed(self) -> float:
        return self._clock() - self._started

    def next_delay(self, kind: RetryKind, retry_after: float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None when a bound is reached."""
        if kind is RetryKind.THROTTLED:
            if self.throttled >= self.policy.max_throttled_retries:
                return None
            self.throttled += 1
            delay = (
                retry_after
                if retry_after is not None
                else self.policy.backoff(self.throttled, self._rng)
            )
        else:
            if self.transient >= self.policy.max_retries:
                return None
            self.transient += 1
            delay = self.policy.backoff(self.transient, self._rng)
            if retry_after is not None:
                delay = max(delay, retry_after)
        if self.elapsed() + delay > self.policy.budget_seconds:
            return None
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.

    A date in the past gives 0; anything unparseable gives None (the caller backs off).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # Not RFC 9110, but seen in the wild; reject NaN, infinities and negatives.
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are always GMT
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def retry_after_from_problem(body: Mapping[str, Any] | None) -> float | None:
    """`retryAfter` (seconds) from an RFC 9457 problem+json body, as Cortex sends with 429."""
    if not body:
        return None
    value = body.get("retryAfter")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)
