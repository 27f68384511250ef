"""Ctrl-C (SIGINT) and SIGTERM during an apply: stop starting changes, finish the ones in
flight, then say what happened to each of them.

A second interrupt stops at once (KeyboardInterrupt), as users expect of a second Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from scorecards_sync.console import Console

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_interrupt(console: Console, on_stop: Callable[[], None]) -> Iterator[threading.Event]:
    """An event set by the first SIGINT or SIGTERM while the block runs (then `on_stop`)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def interrupted(signum: int, _: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        on_stop()
        console.err(
            f"\n{signal.Signals(signum).name}: starting no more changes; the ones in flight "
            "finish first (interrupt again to stop at once)"
        )

    previous = {number: signal.signal(number, interrupted) for number in _SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
