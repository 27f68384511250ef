"""The command line as a process of its own (`python -m scorecards_sync`), for the tests
that must see it from outside: its exit without a traceback, a signal mid-run, its output
read while it runs, a server that runs until stopped.

Every process runs with this checkout on its import path. `run_command` runs one to its
end; `running_emulator` starts `emulator` and hands back its URL; `write_cards`,
`apply_command` and `apply_env` make an `apply` against a loopback emulator, in an
environment without the settings a developer's shell or CI may have set (the tool's,
Cortex's, GitHub's, `NO_COLOR`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli_runner import ladder_card

ROOT = Path(__file__).resolve().parents[1]


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "scorecards_sync", *argv]


def _with_checkout(environ: dict[str, str]) -> dict[str, str]:
    return {**environ, "PYTHONPATH": str(ROOT)}


def run_command(*argv: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """`scorecards-sync *argv` run to its end (a timeout fails the test), output captured."""
    return subprocess.run(
        _command(*argv),
        cwd=cwd,
        env=_with_checkout(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def running_emulator(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`scorecards-sync emulator *args` running, with the URL it prints first; killed at the
    end if it still runs."""
    process = subprocess.Popen(
        _command("emulator", *args),
        cwd=ROOT,
        env=_with_checkout(dict(os.environ)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def write_cards(folder: Path, count: int) -> list[str]:
    """`count` descriptors (`card-000`, ...) in a new `folder`; their tags."""
    folder.mkdir()
    tags = [f"card-{index:03d}" for index in range(count)]
    for tag in tags:
        (folder / f"{tag}.yaml").write_text(ladder_card(tag))
    return tags


def apply_command(base_url: str, cards: Path, *extra: str) -> list[str]:
    return _command(
        "apply", str(cards), "--base-url", base_url, "--auto-approve", "--concurrency", "2", *extra
    )


def apply_env(key: str) -> dict[str, str]:
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_", "NO_COLOR"))
    }
    return _with_checkout({**keep, "CORTEX_API_KEY": key})
