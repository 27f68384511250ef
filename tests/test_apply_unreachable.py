"""An apply stops sending once Cortex stops accepting connections.

Found by an adversarial run: with Cortex killed after 30 of 200 writes, `apply` made
1,168 connection attempts and took 348 s to exit. Here a real loopback emulator dies
after its 30th write, as a killed process would: its listening socket closes and the
connections still open are hung up on. Attempts are counted by the client (every
attempt, answered or not) and bounded structurally, never by the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_keyed_workdir, run_cli
from cli_runner import ladder_card as card

from scorecards_sync.applier import UNREACHABLE, Status, apply_plan
from scorecards_sync.cortex.breaker import DEFAULT_THRESHOLD
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.protocol import EmuRequest, EmuResponse
from scorecards_sync.emulator.server import EmulatorServer
from scorecards_sync.planner import Desired, make_plan, parse_live

KEY = "unreachable-test-key"
CHANGES = 200
WRITES_BEFORE_DEATH = 30
CONCURRENCY = 4


class DyingServer:
    """The emulator on loopback, killed right after answering its `after`-th write."""

    def __init__(self, emulator: Emulator, after: int) -> None:
        self.emulator = emulator
        self.after = after
        self.writes = 0
        self.dead = False
        self._lock = threading.Lock()
        self.server = EmulatorServer(self._handle)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def _handle(self, request: EmuRequest) -> EmuResponse | None:
        # One request at a time, so that exactly `after` writes are stored and answered.
        with self._lock:
            if self.dead:
                return None  # a connection opened before the death: hung up on
            response = self.emulator.handle(request)
            if request.method == "POST" and response is not None and response.status == 200:
                self.writes += 1
                if self.writes == self.after:
                    self.dead = True
                    # Closes the listening socket before anyone else is answered: from
                    # here on, a new connection is refused.
                    self.server.stop()
            return response


@pytest.fixture
def dying() -> Iterator[DyingServer]:
    server = DyingServer(Emulator(), WRITES_BEFORE_DEATH)
    server.server.start()
    try:
        yield server
    finally:
        if not server.dead:
            server.server.stop()


def test_apply_stops_sending_when_cortex_dies_mid_apply(dying: DyingServer) -> None:
    tags = [f"card-{index:03d}" for index in range(CHANGES)]
    plan = make_plan(
        [Desired(tag, f"cards/{tag}.yaml", parse_live(tag, card(tag)), card(tag)) for tag in tags],
        {},
    )
    with CortexClient(
        dying.base_url,
        KEY,
        rate_limit_per_minute=None,
        concurrency=CONCURRENCY,
        # Quick retries keep the test short without the fix too (1,000+ attempts then).
        backoff_base=0.01,
        backoff_max=0.05,
    ) as client:
        result = apply_plan(plan, client, concurrency=CONCURRENCY)
        attempts = client.stats.requests
    stored = set(dying.emulator.tags())
    done = {o.tag for o in result.outcomes if o.status is Status.DONE}
    assert len(result.outcomes) == CHANGES
    assert done == stored and len(stored) == WRITES_BEFORE_DEATH
    assert not result.ok
    # After the death, per worker: at most one request hung up on (its kept-alive
    # connection), one attempt in flight when the breaker opens, and the refused
    # connections that open the breaker, across all workers together.
    after_death = attempts - WRITES_BEFORE_DEATH
    assert after_death <= 2 * CONCURRENCY + DEFAULT_THRESHOLD, after_death
    skipped = [o for o in result.outcomes if o.status is Status.SKIPPED]
    assert len(skipped) >= CHANGES - WRITES_BEFORE_DEATH - 2 * CONCURRENCY
    assert {o.message for o in skipped} == {f"not sent: {UNREACHABLE}"}
    failed = [o for o in result.outcomes if o.status is Status.FAILED]
    assert failed and all("stopped accepting connections" in o.message for o in failed)
    assert all(KEY not in o.message for o in result.outcomes)


def test_the_command_line_reports_the_rest_as_not_sent_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dying: DyingServer
) -> None:
    enter_keyed_workdir(tmp_path, monkeypatch, key=KEY)
    monkeypatch.setenv("SCORECARDS_SYNC_CONCURRENCY", str(CONCURRENCY))
    cards = tmp_path / "cards"
    cards.mkdir()
    for index in range(60):
        tag = f"card-{index:03d}"
        (cards / f"{tag}.yaml").write_text(card(tag))
    ran = run_cli("apply", "cards", "--base-url", dying.base_url, "--auto-approve")
    assert ran.code == 1, ran.err
    lines = ran.out.splitlines()
    summary = next(line for line in lines if line.startswith("Apply complete:"))
    assert summary.startswith(f"Apply complete: {WRITES_BEFORE_DEATH} done, ")
    not_sent = [line for line in lines if line.endswith(f"skipped (not sent: {UNREACHABLE})")]
    assert len(not_sent) >= 60 - WRITES_BEFORE_DEATH - 2 * CONCURRENCY
    assert "Traceback" not in ran.out + ran.err
