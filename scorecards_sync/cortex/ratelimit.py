"""A token bucket shared by every thread of one client, so a sync never causes a 429 itself.

Implemented as GCRA (the "virtual scheduling" form of a token bucket): each `acquire`
reserves the next free slot under a lock and then sleeps outside it until the slot comes.
Waiters are served in the order they arrived, and a slow thread never holds the others up.

`rate_per_minute` tokens are added per minute, up to `burst` tokens; a fresh bucket is full.
Any schedule this bucket lets through also passes a server-side bucket with the same rate
and at least the same capacity, however the requests are delayed on the way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        rate_per_minute: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate_per_minute > 0:
            raise ValueError("rate_per_minute must be > 0")
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self.rate_per_minute = float(rate_per_minute)
        self.burst = burst
        self._interval = 60.0 / self.rate_per_minute
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Theoretical arrival time of the next request; <= now means the bucket is full.
        self._tat = clock() - self._interval
        # The end of the latest 429 pause, and how many pauses there were: a slot reserved
        # before a pause began may fall inside it.
        self._paused_until = float("-inf")
        self._pauses = 0
        self.waited_seconds = 0.0
        self.acquired = 0

    def reserve(self) -> float:
        """Take the next slot; return how long the caller must wait before using it.

        The caller sleeps on its own: a pause that begins meanwhile is not seen. `acquire`
        sees it.
        """
        with self._lock:
            self.acquired += 1
            return self._reserve()

    def _reserve(self) -> float:
        now = self._clock()
        tat = max(self._tat, now)
        wait = max(0.0, tat - self._tolerance - now)
        self._tat = tat + self._interval
        self.waited_seconds += wait
        return wait

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited.

        A thread that reserved its slot before a 429 pause began, and slept through part of
        it, does not fire inside the pause: on waking it takes a new slot, after the pause,
        at the steady rate (going at the pause's end would be a burst of every such thread).
        """
        with self._lock:
            self.acquired += 1
            wait = self._reserve()
            pauses = self._pauses
        waited = 0.0
        while True:
            if wait > 0:
                self._sleep(wait)
            waited += wait
            with self._lock:
                if self._pauses == pauses or self._clock() >= self._paused_until:
                    return waited
                wait = self._reserve()
                pauses = self._pauses

    def pause(self, seconds: float) -> None:
        """Hold every thread for `seconds` from now (the server answered 429).

        After the pause the bucket starts empty: requests resume at the steady rate, not in
        a burst that would hit the limit again.
        """
        if seconds <= 0:
            return
        with self._lock:
            resume = self._clock() + seconds
            self._paused_until = max(self._paused_until, resume)
            self._pauses += 1
            self._tat = max(self._tat, resume + self._tolerance)

    def __repr__(self) -> str:
        return f"RateLimiter(rate_per_minute={self.rate_per_minute:g}, burst={self.burst})"


class Unlimited:
    """Stands in for a limiter when limiting is switched off (benchmarks, private servers)."""

    rate_per_minute = float("inf")
    burst = 0
    waited_seconds = 0.0

    def __init__(self) -> None:
        self.acquired = 0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            self.acquired += 1
        return 0.0

    def acquire(self) -> float:
        return self.reserve()

    def pause(self, seconds: float) -> None:
        """No limiter, no shared pause: each retry still waits its own Retry-After."""

    def __repr__(self) -> str:
        return "Unlimited()"
