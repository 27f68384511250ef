"""One scorecard failing for good never hides the others, and a re-run converges.

Runs the real command line against the emulator on loopback, with one tag's POST
answering 500 every time (`Faults(failing_tags=...)`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import enter_keyed_workdir, rule_card, run_cli

from scorecards_sync.emulator import Emulator, Faults

KEY = "partial-failure-test-key"
FAILING = "card-07"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    enter_keyed_workdir(tmp_path, monkeypatch, key=KEY)
    # One retry keeps the test quick while still exercising the retry of a 500.
    monkeypatch.setenv("SCORECARDS_SYNC_RETRIES", "1")
    return tmp_path


def test_one_permanent_failure_among_twenty_changes(workdir: Path) -> None:
    emulator = Emulator()
    cards = workdir / "cards"
    cards.mkdir()
    # 20 changes: 14 creates, and 6 updates of scorecards already live (the failing one too).
    live = {f"card-{i:02d}" for i in (0, 1, 2, 3, 4, 7)}
    for i in range(20):
        tag = f"card-{i:02d}"
        if tag in live:
            emulator.put_descriptor(rule_card(tag))
        (cards / f"{tag}.yaml").write_text(rule_card(tag, weight=5 if tag in live else 1))
    emulator.faults = Faults(failing_tags=frozenset({FAILING}))
    with emulator.serve() as server:
        first = run_cli("apply", "cards", "--base-url", server.base_url, "--auto-approve")
        assert first.code == 1, first.err
        assert "Plan: 14 to create, 6 to update, 0 to delete, 0 unchanged." in first.out
        assert "Apply complete: 19 done, 1 failed, 0 skipped." in first.out
        failed = [line for line in first.out.splitlines() if ": failed" in line]
        assert len(failed) == 1
        assert failed[0].startswith(f"~ update {FAILING}: failed (")
        assert "500" in failed[0]
        assert emulator.stats.injected_failures >= 2  # the first try and its one retry

        emulator.faults = Faults()
        second = run_cli("apply", "cards", "--base-url", server.base_url, "--auto-approve")
        assert second.code == 0, second.err
        assert "Plan: 0 to create, 1 to update, 0 to delete, 19 unchanged." in second.out
        assert "Apply complete: 1 done, 0 failed, 0 skipped." in second.out

        final = run_cli("plan", "cards", "--base-url", server.base_url, "--detailed-exitcode")
        assert final.code == 0, final.out
    assert "weight: 5" in (emulator.descriptor_text(FAILING) or "")
    assert len(emulator.tags()) == 20
