"""How often Python's cycle collector runs while a command runs.

A command makes and drops a great many small objects (YAML nodes, parsed descriptors,
requests), while what it keeps (the descriptors, the plan, the embedded emulator's state)
grows with the number of scorecards. At the collector's default pace (a young collection
every 700 new objects, an older one every 10 of those) the collections that also walk
what is kept took a tenth of an apply of 5,000 scorecards to the embedded emulator. While
a command runs, the young generation may grow larger before it is collected; the pace is
put back when the command ends (tests run many commands in one process).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_OBJECTS = 20_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The young generation collected every `YOUNG_OBJECTS` new objects during the block."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG_OBJECTS), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
