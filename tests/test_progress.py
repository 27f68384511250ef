"""Live progress on stderr: sparse lines in a CI log, an updating line on a terminal.

The display classes are checked with a fake clock; a real `apply` process is checked with
stderr as a pipe (lines arrive while it runs, and they are few) and as a pseudo-terminal.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cli_process import apply_command, apply_env, write_cards

from scorecards_sync.commands.progress_view import LogProgress, TerminalProgress
from scorecards_sync.emulator import Emulator, Faults

KEY = "progress-test-key"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_ci_log_gets_a_line_at_start_and_end_and_at_most_one_per_5_s_and_10_percent() -> None:
    clock, stream = Clock(), io.StringIO()
    view = LogProgress(stream, clock=clock)
    view.started("applying", 1000)
    for done in range(1, 1001):
        clock.now = done / 100  # 10 s in all: 5 s passes twice, 10 % passes ten times
        view.advanced("applying", done, 1000, done // 100, None)
    view.finished("applying", 1000, 1000, 10)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "applying: 1000 to do"
    assert lines[1:-1] == [
        "applying: 500/1000 · 5 failed · 5 s",
        "applying: 1000/1000 · 10 failed · 10 s",
    ]
    assert lines[-1] == "applying: 1000/1000 · 10 failed, finished in 10.0 s"


def test_a_terminal_gets_one_redrawn_line_and_each_result_above_it() -> None:
    clock, stream = Clock(), io.StringIO()
    view = TerminalProgress(stream, describe=lambda item: f"+ create {item}: done", clock=clock)
    view.started("applying", 2)
    clock.now = 0.5
    view.advanced("applying", 1, 2, 0, "alpha")
    clock.now = 1.5
    view.advanced("applying", 2, 2, 1, "beta")
    view.finished("applying", 2, 2, 1)
    text = stream.getvalue()
    assert "\n" not in text.split("+ create alpha: done\n")[0]  # redrawn in place before it
    assert "\r\033[K+ create beta: done\n" in text
    assert "\r\033[Kapplying 1/2 · 0.5 s" in text
    assert text.endswith("\r\033[Kapplying 2/2 · 1 failed · 1.5 s\n")  # a long phase stays


def test_a_short_phase_leaves_nothing_on_the_terminal() -> None:
    clock, stream = Clock(), io.StringIO()
    view = TerminalProgress(stream, clock=clock)
    view.started("fetching descriptors", 3)
    view.finished("fetching descriptors", 3, 3, 0)
    assert stream.getvalue().endswith("\r\033[K")


def test_progress_lines_reach_a_pipe_while_the_apply_runs_and_stay_few(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    write_cards(cards, 30)
    emulator = Emulator()
    emulator.faults = Faults(latency_ms=60)
    with emulator.serve() as server:
        process = subprocess.Popen(
            apply_command(server.base_url, cards),
            cwd=tmp_path,
            env=apply_env(KEY),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen_while_running: list[str] = []
        lines: list[str] = []

        def read_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                lines.append(line.rstrip("\n"))
                if process.poll() is None:
                    seen_while_running.append(line)

        reader = threading.Thread(target=read_stderr)
        reader.start()
        out = process.stdout.read() if process.stdout else ""
        process.wait(timeout=300)
        reader.join(timeout=60)
    assert process.returncode == 0, "\n".join(lines)
    assert any(line.startswith("applying: 30 to do") for line in seen_while_running)
    applying = [line for line in lines if line.startswith("applying:")]
    assert len(applying) <= 2 + 10  # start, end, and at most one per 10 %
    assert applying[-1].startswith("applying: 30/30, finished in ")
    assert "Apply complete: 30 done, 0 failed, 0 skipped." in out  # stdout as before
    assert "applying" not in out


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_on_a_terminal_the_line_is_redrawn_and_results_appear_as_they_finish(
    tmp_path: Path,
) -> None:
    import pty

    cards = tmp_path / "cards"
    write_cards(cards, 6)
    emulator = Emulator()
    emulator.faults = Faults(latency_ms=200)
    primary, secondary = pty.openpty()
    with emulator.serve() as server:
        process = subprocess.Popen(
            apply_command(server.base_url, cards),
            cwd=tmp_path,
            env=apply_env(KEY),
            stdout=subprocess.PIPE,
            stderr=secondary,
            stdin=subprocess.DEVNULL,
        )
        os.close(secondary)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(primary)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, shown
    assert "\r\033[Kapplying 0/6" in shown
    assert "\r\033[Kfetching descriptors" in shown or "\r\033[Kapplying" in shown
    for index in range(6):
        assert f"+ create card-{index:03d}: " in shown
    assert "applying 6/6 · " in shown


def test_a_log_line_wipes_the_status_line_first() -> None:
    import logging

    from scorecards_sync.commands.progress_view import ClearBeforeLogging

    clock, stream = Clock(), io.StringIO()
    view = TerminalProgress(stream, clock=clock)
    handler = logging.StreamHandler(stream)
    handler.addFilter(ClearBeforeLogging(view))
    logger = logging.getLogger("test_progress.wipe")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        view.started("applying", 3)
        logger.warning("Cortex answered 429 (rate limit): waiting 12 s (retry 1 of 30)")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().endswith(
        "applying 0/3 · 0.0 s\r\033[K"
        "Cortex answered 429 (rate limit): waiting 12 s (retry 1 of 30)\n"
    )
