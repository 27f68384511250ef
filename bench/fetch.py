"""Fetch every descriptor of N scorecards from the loopback emulator: ours vs the official CLI.

    .venv/bin/python bench/fetch.py [--count 500] [--latency-ms 50] [--cortex-cli PATH]

The emulator serves on 127.0.0.1 from its own process, so neither client shares an
interpreter (or its lock) with the server. Printed, one row per run:

1. No server-side limit, 50 ms latency: our client and `cortex backup export -e scorecards`
   (cortexapps-cli, the official CLI), each with its default client-side limiter (both
   1000/minute) and with that limiter lifted, so the clients themselves are compared.
2. The emulator limited to 1000/minute: our client with its defaults against the floor
   `(requests - burst) / rate`, the 429s on both sides; the official CLI for reference.

Every run is checked: all descriptors fetched, identical to what the emulator serves.
The official CLI is `--cortex-cli`, else `cortex` on PATH, else `.venv-tools/bin/cortex`
in the repository; its rows are skipped when none exists.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scorecards_sync.cortex.client import (  # noqa: E402
    DEFAULT_BURST,
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    CortexClient,
)
from scorecards_sync.emulator import Emulator, Faults, Stats  # noqa: E402
from scorecards_sync.errors import ValidationFailed  # noqa: E402

KEY = "bench-key-0123456789abcdef"
TAG_LINE = re.compile(r"^tag:\s*(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    requests: int
    throttled: int
    fetched: int


def templates() -> list[str]:
    """Realistic descriptors: the repository's examples and, when present, the corpus."""
    folders = [REPO / "examples" / "scorecards", REPO.parent / "shared" / "corpus" / "scorecards"]
    texts: list[str] = []
    for folder in folders:
        if folder.is_dir():
            texts.extend(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml")))
    usable = []
    for text in texts:
        try:
            Emulator().put_descriptor(text)
        except ValidationFailed:
            continue  # the corpus holds deliberately invalid examples too
        usable.append(text)
    if not usable:
        raise SystemExit("no valid descriptor templates under examples/scorecards")
    return usable


def _serve(count: int, commands: Connection) -> None:
    """The emulator process: seed, serve, and answer commands until told to stop."""
    emulator = Emulator(api_keys={KEY: frozenset({"view", "edit", "exemptions"})})
    usable = templates()
    for number in range(count):
        text = usable[number % len(usable)]
        emulator.put_descriptor(TAG_LINE.sub(f"tag: bench-{number:04d}", text, count=1))
    with emulator.serve() as server:
        commands.send(server.base_url)
        while True:
            command, argument = commands.recv()
            if command == "faults":
                emulator.faults = argument  # a fresh Faults value: a full rate-limit bucket
                emulator.reset_stats()
                commands.send(None)
            elif command == "stats":
                commands.send(emulator.stats)
            elif command == "descriptors":
                commands.send({tag: emulator.descriptor_text(tag) for tag in emulator.tags()})
            else:
                commands.send(None)
                return


class EmulatorProcess:
    def __init__(self, count: int) -> None:
        self._commands, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve, args=(count, child), daemon=True)
        self._process.start()
        self.base_url: str = self._commands.recv()

    def ask(self, command: str, argument: Any = None) -> Any:
        self._commands.send((command, argument))
        return self._commands.recv()

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(timeout=10)


def run_ours(
    emulator: EmulatorProcess, faults: Faults, label: str, **options: Any
) -> tuple[Row, CortexClient]:
    emulator.ask("faults", faults)
    with CortexClient(emulator.base_url, KEY, **options) as client:
        started = time.perf_counter()
        tags = [summary.tag for summary in client.list_scorecards()]
        fetched = client.fetch_descriptors(tags)
        seconds = time.perf_counter() - started
    if fetched != emulator.ask("descriptors"):
        raise SystemExit(f"{label}: fetched descriptors differ from the emulator's")
    stats: Stats = emulator.ask("stats")
    return Row(label, seconds, stats.total, stats.throttled, len(fetched)), client


def find_cortex_cli(given: str | None) -> str | None:
    if given:
        return given
    on_path = shutil.which("cortex")
    if on_path:
        return on_path
    local = REPO / ".venv-tools" / "bin" / "cortex"
    return str(local) if local.exists() else None


def run_official(
    cli: str, emulator: EmulatorProcess, faults: Faults, label: str, rate_limit: int | None
) -> Row:
    emulator.ask("faults", faults)
    expected: dict[str, str] = emulator.ask("descriptors")
    with tempfile.TemporaryDirectory() as home:
        command = [cli, "--api-key", KEY, "--url", emulator.base_url]
        if rate_limit is not None:
            command += ["--rate-limit", str(rate_limit)]
        export = Path(home) / "export"
        command += ["backup", "export", "--export-types", "scorecards", "--directory", str(export)]
        # Its config and exports go to a throwaway HOME, never the real one.
        env = {**os.environ, "HOME": home}
        env.pop("CORTEX_API_KEY", None)
        env.pop("CORTEX_BASE_URL", None)
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"{label}: the official CLI failed:\n{result.stdout}{result.stderr}")
        # It writes "<directory>-<tenant alias>/scorecards/<tag>.yaml".
        written = {
            path.stem: path.read_text(encoding="utf-8") for path in Path(home).rglob("*.yaml")
        }
    if set(written) != set(expected):
        raise SystemExit(f"{label}: the official CLI exported {len(written)} of {len(expected)}")
    stats: Stats = emulator.ask("stats")
    return Row(label, seconds, stats.total, stats.throttled, len(written))


def startup_seconds(cli: str) -> float:
    """The official CLI's process start and imports, included in each of its rows."""
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        subprocess.run([cli, "--help"], env={**os.environ, "HOME": home}, capture_output=True)
        return time.perf_counter() - started


def show(rows: Sequence[Row]) -> None:
    print(f"{'run':<56} {'seconds':>8} {'requests':>8} {'429s':>5} {'fetched':>7}")
    for row in rows:
        print(
            f"{row.label:<56} {row.seconds:>8.2f} {row.requests:>8} {row.throttled:>5} "
            f"{row.fetched:>7}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--cortex-cli", help="path of the official `cortex` command")
    parser.add_argument("--skip-limited", action="store_true", help="skip part 2")
    args = parser.parse_args()

    cli = find_cortex_cli(args.cortex_cli)
    emulator = EmulatorProcess(args.count)
    try:
        print(f"{args.count} scorecards, {args.latency_ms:g} ms latency per request", flush=True)
        free = Faults(latency_ms=args.latency_ms)
        print("\n1. no server-side rate limit")
        ours_default, _ = run_ours(emulator, free, "ours, defaults (1000/min burst 50, 8 threads)")
        ours_free, _ = run_ours(
            emulator, free, "ours, limiter off, 8 threads (default)", rate_limit_per_minute=None
        )
        ours_free_16, _ = run_ours(
            emulator,
            free,
            "ours, limiter off, 16 threads",
            rate_limit_per_minute=None,
            concurrency=16,
        )
        ours_free_30, _ = run_ours(
            emulator,
            free,
            "ours, limiter off, 30 threads (the official CLI's)",
            rate_limit_per_minute=None,
            concurrency=30,
        )
        rows = [ours_default, ours_free, ours_free_16, ours_free_30]
        if cli is None:
            print("(official CLI not found: its rows are skipped)")
        else:
            official_default = run_official(
                cli, emulator, free, "official CLI, defaults (1000/min burst 50, 30 threads)", None
            )
            official_free = run_official(
                cli, emulator, free, "official CLI, limiter off (--rate-limit 1000000)", 1_000_000
            )
            rows += [official_default, official_free]
        show(rows)
        if cli is not None:
            print(f"official CLI start-up alone (cortex --help): {startup_seconds(cli):.2f} s")
            for text, theirs, ours in (
                ("both default limiters", official_default, ours_default),
                ("limiters off, our default 8 threads", official_free, ours_free),
                ("limiters off, ours with 16 threads", official_free, ours_free_16),
                ("limiters off, 30 threads each", official_free, ours_free_30),
            ):
                print(f"official / ours, {text}: {theirs.seconds / ours.seconds:.2f}")

        if args.skip_limited:
            return
        print(f"\n2. emulator limited to {DEFAULT_RATE_LIMIT_PER_MINUTE}/minute")
        limited_faults = Faults(
            latency_ms=args.latency_ms, rate_limit_per_minute=DEFAULT_RATE_LIMIT_PER_MINUTE
        )
        limited, client = run_ours(emulator, limited_faults, "ours, defaults")
        limited_rows = [limited]
        if cli is not None:
            limited_rows.append(
                run_official(cli, emulator, limited_faults, "official CLI, defaults", None)
            )
        show(limited_rows)
        requests = client.stats.requests
        floor = max(0, requests - DEFAULT_BURST) * 60.0 / DEFAULT_RATE_LIMIT_PER_MINUTE
        print(
            f"ours: {requests} requests; floor ({requests} - burst {DEFAULT_BURST}) / "
            f"{DEFAULT_RATE_LIMIT_PER_MINUTE} per minute = {floor:.2f} s; took "
            f"{limited.seconds:.2f} s = {limited.seconds / floor:.3f} x floor; "
            f"429s: emulator {limited.throttled}, client {client.stats.throttled}"
        )
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
