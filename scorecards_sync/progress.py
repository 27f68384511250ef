"""Progress of long work (fetching descriptors, applying changes), told to whoever listens.

Library code never prints: it reports phases here (`phase(name, total)`, then `advance`
per item), and the command line installs a listener (`listening(...)`) that shows them on
stderr, or nothing. Workers of a phase run in threads, so the listener is one for the
process, not per context; `advance` is cheap and thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Listener(Protocol):
    def started(self, name: str, total: int) -> None: ...

    def advanced(self, name: str, done: int, total: int, failed: int, item: object) -> None:
        """`item`: what was just done (an apply `Outcome`), or None."""

    def finished(self, name: str, done: int, total: int, failed: int) -> None: ...


class Phase:
    """One phase's counters; `advance` from any thread."""

    def __init__(self, name: str, total: int, listener: Listener | None) -> None:
        self.name = name
        self.total = total
        self.done = 0
        self.failed = 0
        self._listener = listener
        self._lock = threading.Lock()

    def advance(self, *, failed: bool = False, item: object = None) -> None:
        with self._lock:
            self.done += 1
            self.failed += int(failed)
            done, errors = self.done, self.failed
        if self._listener is not None:
            self._listener.advanced(self.name, done, self.total, errors, item)


_lock = threading.Lock()
_listener: Listener | None = None


@contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Send the phases started while the block runs to `listener` (None: to no one)."""
    global _listener
    with _lock:
        previous, _listener = _listener, listener
    try:
        yield
    finally:
        with _lock:
            _listener = previous


@contextmanager
def phase(name: str, total: int) -> Iterator[Phase]:
    with _lock:
        listener = _listener
    current = Phase(name, total, listener)
    if listener is not None:
        listener.started(name, total)
    try:
        yield current
    finally:
        if listener is not None:
            listener.finished(name, current.done, total, current.failed)
