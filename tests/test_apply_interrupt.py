"""An interrupted apply says exactly what it did, and the next run finishes the job.

A real `scorecards-sync apply` process against the loopback emulator (with latency, so the
apply takes a while) gets SIGINT, as from Ctrl-C, once a few writes are stored. It must
start no more writes, let the ones in flight finish, print the account (JSON here) and
exit 130; the account's `done` tags are exactly what the emulator stored.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cli_process import apply_command, apply_env, write_cards

from scorecards_sync.applier import NOT_STARTED
from scorecards_sync.emulator import Emulator, Faults

KEY = "interrupt-test-key"
CARDS = 40

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")


def _wait_for(condition: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_apply_accounts_for_every_tag_and_a_rerun_converges(
    tmp_path: Path, sig: signal.Signals
) -> None:
    cards = tmp_path / "cards"
    tags = write_cards(cards, CARDS)
    emulator = Emulator()
    emulator.faults = Faults(latency_ms=100)
    with emulator.serve() as server:
        process = subprocess.Popen(
            apply_command(server.base_url, cards, "--format", "json"),
            cwd=tmp_path,
            env=apply_env(KEY),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(lambda: len(emulator.tags()) >= 4, "the first writes")
            process.send_signal(sig)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 130, err
        account: dict[str, Any] = json.loads(out)
        stored = set(emulator.tags())
        done = {o["tag"] for o in account["outcomes"] if o["status"] == "done"}
        not_started = {o["tag"] for o in account["outcomes"] if o["message"] == NOT_STARTED}
        assert account["interrupted"] is True
        assert done == stored
        assert not_started and not_started.isdisjoint(stored)
        assert done | not_started == set(tags)  # every tag accounted for, nothing failed
        assert f"{sig.name}: starting no more changes" in err
        assert "Traceback" not in err

        rerun = subprocess.run(
            apply_command(server.base_url, cards),
            cwd=tmp_path,
            env=apply_env(KEY),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert f"Apply complete: {len(not_started)} done, 0 failed, 0 skipped." in rerun.stdout
        assert set(emulator.tags()) == set(tags)
