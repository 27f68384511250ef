"""Progress on stderr: an updating line on a terminal, sparse lines in a CI log.

- terminal: one line per phase, redrawn in place (`applying 45/120 · 2 failed · 12.3 s`),
  and each apply result printed above it as it finishes; a phase that took a second or
  more leaves its last state behind, a shorter one leaves nothing.
- not a terminal: a line when a phase starts, then at most one line every 5 s or 10 %,
  whichever is rarer (both must have passed), and one when it ends: never one per request.

stdout is never touched: its formats stay what scripts read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TextIO

REDRAW_SECONDS = 0.1
LOG_EVERY_SECONDS = 5.0
LOG_EVERY_SHARE = 0.10
KEEP_AFTER_SECONDS = 1.0


def _counts(done: int, total: int, failed: int) -> str:
    return f"{done}/{total}" + (f" · {failed} failed" if failed else "")


class TerminalProgress:
    def __init__(
        self,
        stream: TextIO,
        *,
        describe: Callable[[object], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._describe = describe
        self._clock = clock
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._drawn = 0.0

    def started(self, name: str, total: int) -> None:
        with self._lock:
            self._started[name] = self._clock()
            self._draw(name, 0, total, 0)

    def advanced(self, name: str, done: int, total: int, failed: int, item: object) -> None:
        line = self._describe(item) if self._describe is not None and item is not None else None
        with self._lock:
            if line:
                self._stream.write(f"\r\033[K{line}\n")
            now = self._clock()
            if line or now - self._drawn >= REDRAW_SECONDS or done == total:
                self._draw(name, done, total, failed)

    def finished(self, name: str, done: int, total: int, failed: int) -> None:
        with self._lock:
            elapsed = self._clock() - self._started.pop(name, self._clock())
            if elapsed >= KEEP_AFTER_SECONDS:
                self._stream.write(
                    f"\r\033[K{name} {_counts(done, total, failed)} · {elapsed:.1f} s\n"
                )
            else:
                self._stream.write("\r\033[K")
            self._stream.flush()

    def clear_line(self) -> None:
        """Before another line goes to the same terminal (a log message): the status line
        is wiped, and drawn again with the next update."""
        with self._lock:
            if self._started:
                self._stream.write("\r\033[K")
                self._stream.flush()

    def _draw(self, name: str, done: int, total: int, failed: int) -> None:
        elapsed = self._clock() - self._started.get(name, self._clock())
        self._stream.write(f"\r\033[K{name} {_counts(done, total, failed)} · {elapsed:.1f} s")
        self._stream.flush()
        self._drawn = self._clock()


class LogProgress:
    def __init__(self, stream: TextIO, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._last: dict[str, tuple[float, int]] = {}

    def started(self, name: str, total: int) -> None:
        with self._lock:
            now = self._clock()
            self._started[name] = now
            self._last[name] = (now, 0)
            self._write(f"{name}: {total} to do")

    def advanced(self, name: str, done: int, total: int, failed: int, item: object) -> None:
        with self._lock:
            now = self._clock()
            when, at = self._last.get(name, (now, 0))
            if now - when >= LOG_EVERY_SECONDS and done - at >= max(1, LOG_EVERY_SHARE * total):
                self._last[name] = (now, done)
                elapsed = now - self._started.get(name, now)
                self._write(f"{name}: {_counts(done, total, failed)} · {elapsed:.0f} s")

    def finished(self, name: str, done: int, total: int, failed: int) -> None:
        with self._lock:
            now = self._clock()
            elapsed = now - self._started.pop(name, now)
            self._last.pop(name, None)
            self._write(f"{name}: {_counts(done, total, failed)}, finished in {elapsed:.1f} s")

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


class ClearBeforeLogging(logging.Filter):
    """A filter for the stderr log handler: wipes the terminal's status line first."""

    def __init__(self, view: TerminalProgress) -> None:
        super().__init__()
        self._view = view

    def filter(self, record: logging.LogRecord) -> bool:
        self._view.clear_line()
        return True
