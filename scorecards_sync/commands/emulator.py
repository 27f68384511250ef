"""`scorecards-sync emulator`: a Cortex-compatible scorecards API on 127.0.0.1.

For rehearsing a pipeline offline: point `CORTEX_BASE_URL` (or the official
`cortex` CLI's `--url`) at the printed address. The first line of standard
output is the base URL, so a script can start it in the background and read
where it is. Runs until interrupted (SIGINT or SIGTERM), then exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path
from types import FrameType

from scorecards_sync.console import EXIT_OK, Console
from scorecards_sync.emulator import (
    ADMIN,
    ALL_PERMISSIONS,
    EDIT,
    EXEMPTIONS,
    VIEW,
    Emulator,
    Faults,
)
from scorecards_sync.emulator.catalog_file import load_catalog
from scorecards_sync.errors import ScorecardsSyncError, UsageError

NAME = "emulator"
HELP = "serve a Cortex-compatible scorecards API on 127.0.0.1 (offline rehearsals, tests)"
PERMISSION_NAMES = (VIEW, EDIT, EXEMPTIONS, ADMIN)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="port to listen on (default: any free)"
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep scorecards in this JSON file, shared with other processes (default: memory)",
    )
    parser.add_argument(
        "--seed-dir",
        type=Path,
        metavar="DIR",
        help="start holding the descriptors of DIR, as if created earlier (empty state only)",
    )
    parser.add_argument(
        "--catalog",
        type=Path,
        metavar="FILE",
        help=(
            "score the entities of this YAML file, with the rule outcomes it declares "
            "(kept in the --state file for later runs; default: a small built-in catalog)"
        ),
    )
    parser.add_argument(
        "--api-key",
        action="append",
        metavar="KEY[:PERMS]",
        help=(
            "accept only this bearer token (repeatable); PERMS is a comma list of "
            f"{', '.join(PERMISSION_NAMES)} (default: view, edit, exemptions; admin grants "
            "them all, and the key's exemption requests are approved at once). "
            "Without --api-key any token is accepted with every permission"
        ),
    )
    faults = parser.add_argument_group("faults (for rehearsing failures)")
    faults.add_argument(
        "--latency-ms", type=float, default=0, metavar="N", help="added to every request"
    )
    faults.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="requests per minute per key; beyond, 429 with Retry-After",
    )
    faults.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share (0..1) of POST .../descriptor answered 500 (evaluation running)",
    )
    faults.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share (0..1) of connections dropped without a response",
    )
    faults.add_argument(
        "--diverge-tag",
        action="append",
        default=[],
        metavar="TAG",
        help="store another name than the one posted for this scorecard (repeatable): "
        "what a verified apply reports as not converged",
    )
    faults.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    parser.epilog = (
        "prints the base URL as the first line of standard output; exit 0 on SIGINT/SIGTERM"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    faults = _faults(args)
    api_keys = _api_keys(args.api_key) if args.api_key else None
    catalog = load_catalog(args.catalog) if args.catalog is not None else None
    emulator = Emulator(
        state_file=args.state,
        api_keys=api_keys,
        faults=faults,
        seed_dir=args.seed_dir,
        catalog=catalog,
    )
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(emulator.serve(args.port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ScorecardsSyncError(f"cannot listen on 127.0.0.1:{args.port}: {reason}") from None
        console.out(server.base_url)
        console.stdout.flush()
        if api_keys is None:
            console.err("accepting any bearer token (give --api-key to require one)")
        else:
            console.err(_describe_keys(list(api_keys.values())))
        held = len(emulator.tags())
        scored = len(emulator.catalog.entities)
        console.err(
            f"serving {held} scorecard{'s' * (held != 1)} over {scored} "
            f"entit{'ies' if scored != 1 else 'y'}; stop with Ctrl-C or SIGTERM"
        )
        _wait_for_signal()
    return EXIT_OK


def _faults(args: argparse.Namespace) -> Faults:
    for flag, value in (("--fail-rate", args.fail_rate), ("--drop-rate", args.drop_rate)):
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"{flag} must be between 0 and 1, not {value:g}")
    if args.latency_ms < 0:
        raise UsageError(f"--latency-ms must not be negative, not {args.latency_ms:g}")
    if args.rate_limit is not None and args.rate_limit < 1:
        raise UsageError(f"--rate-limit must be at least 1, not {args.rate_limit}")
    return Faults(
        latency_ms=args.latency_ms,
        rate_limit_per_minute=args.rate_limit,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        diverging_tags=frozenset(args.diverge_tag),
        seed=args.seed,
    )


def _api_keys(values: list[str]) -> dict[str, frozenset[str]]:
    """`KEY[:PERMS]` options as the emulator's key table.

    No message quotes the option: any part of it may be the key.
    """
    keys: dict[str, frozenset[str]] = {}
    for position, value in enumerate(values, start=1):
        key, colon, listed = value.rpartition(":")
        if not colon:
            key, permissions = value, ALL_PERMISSIONS
        else:
            names = [name.strip().lower() for name in listed.split(",")]
            if not all(name in PERMISSION_NAMES for name in names):
                raise UsageError(
                    f"--api-key number {position}: the text after the last ':' must be a "
                    f"comma list of {', '.join(PERMISSION_NAMES)}"
                )
            permissions = frozenset(names)
        if not key.strip():
            raise UsageError(f"--api-key number {position} has no key")
        if key in keys:
            raise UsageError(f"--api-key number {position} repeats an earlier key")
        keys[key] = permissions
    return keys


def _describe_keys(grants: list[frozenset[str]]) -> str:
    listed = "; ".join(
        f"key {n}: {', '.join(p for p in PERMISSION_NAMES if p in granted)}"
        for n, granted in enumerate(grants, start=1)
    )
    return f"accepting only the API keys given with --api-key ({listed})"


def _wait_for_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        stop.wait()
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
