"""A Cortex-compatible scorecards API: in-process for tests and the demo, on loopback for
end-to-end tests, benchmarks and `scorecards-sync emulator`.

    emu = Emulator()                       # in memory; Emulator(state_file=...) persists
    client = httpx.Client(transport=emu.transport(), base_url="https://cortex.invalid")
    with emu.serve() as server:            # http://127.0.0.1:<port>
        ...
"""

from __future__ import annotations

from scorecards_sync.emulator.catalog import ENTITIES, Entity
from scorecards_sync.emulator.core import Emulator, Stats
from scorecards_sync.emulator.faults import Faults
from scorecards_sync.emulator.routes import ADMIN, ALL_PERMISSIONS, EDIT, EXEMPTIONS, VIEW

__all__ = [
    "ADMIN",
    "ALL_PERMISSIONS",
    "EDIT",
    "ENTITIES",
    "EXEMPTIONS",
    "VIEW",
    "Emulator",
    "Entity",
    "Faults",
    "Stats",
]
