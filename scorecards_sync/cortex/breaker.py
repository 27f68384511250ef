"""Stop calling a Cortex that has stopped accepting connections.

Each call retries its own connection failures (see `retry.py`), which is right for a
passing hiccup and wrong when the server is gone: an apply of 200 changes would spend
seven attempts and minutes of backoff on every one of them. So the connection failures
of all the calls of one client are counted together: `threshold` in a row, with no
answer from the server in between, open the breaker for the rest of the client's life,
and every call from then on fails at once without being sent (`CortexUnreachable`).

Only failures to connect count (refused, unreachable, connect timeout): a connection the
server accepted and then dropped says the server is there. Any answer, whatever its
status, ends the streak.
"""

from __future__ import annotations

import threading

DEFAULT_THRESHOLD = 8
"""More than one call's own attempts (1 + 6 retries): one unlucky call alone never trips it."""


class ConnectionBreaker:
    """Consecutive connection failures across threads; open once `threshold` is reached."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        if threshold < 1:
            raise ValueError("the breaker's threshold must be at least 1")
        self.threshold = threshold
        self._lock = threading.Lock()
        self._streak = 0
        self._open = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open

    def record_answer(self) -> None:
        """The server answered: the streak is over (an open breaker stays open)."""
        with self._lock:
            self._streak = 0

    def record_connection_failure(self) -> bool:
        """Count one failure to connect; True when the breaker is open afterwards."""
        with self._lock:
            self._streak += 1
            if self._streak >= self.threshold:
                self._open = True
            return self._open
