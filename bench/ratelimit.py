"""The client's own limiter against the emulator's 1000 requests/minute, at full scale.

    .venv/bin/python bench/ratelimit.py [--count 1200] [--latency-ms 0]

Fetches the descriptors of `--count` scorecards (more than one minute's allowance, so a
client without a limiter must be refused) from the loopback emulator limited to
1000/minute, twice:

1. our client with its defaults (1000/minute, burst 50): prints the 429 counts on both
   sides (expected: zero) and the time against the floor `(requests - burst) / rate`;
2. our client with its limiter off, as the control: the server's 429s it then receives,
   and the time its Retry-After handling costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scorecards_sync.cortex.client import (  # noqa: E402
    DEFAULT_BURST,
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    CortexClient,
)
from scorecards_sync.emulator import Emulator, Faults  # noqa: E402

KEY = "bench-key-0123456789abcdef"
DESCRIPTOR = """\
tag: limit-{number:05d}
name: Rate limit bench {number}
ladder:
  levels:
    - name: Bronze
      rank: 1
      color: "#cd7f32"
rules:
  - title: Has an owner
    expression: ownership.allOwners().length > 0
    level: Bronze
"""


def run(emulator: Emulator, latency_ms: float, **options: object) -> tuple[float, CortexClient]:
    # A new Faults value gives the emulator a fresh, full rate-limit bucket.
    emulator.faults = Faults(
        latency_ms=latency_ms, rate_limit_per_minute=DEFAULT_RATE_LIMIT_PER_MINUTE
    )
    emulator.reset_stats()
    with emulator.serve() as server:
        client = CortexClient(server.base_url, KEY, **options)  # type: ignore[arg-type]
        with client:
            started = time.perf_counter()
            tags = [summary.tag for summary in client.list_scorecards()]
            fetched = client.fetch_descriptors(tags)
            seconds = time.perf_counter() - started
    if fetched != {tag: emulator.descriptor_text(tag) for tag in emulator.tags()}:
        raise SystemExit("fetched descriptors differ from the emulator's")
    return seconds, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--skip-control", action="store_true")
    args = parser.parse_args()

    emulator = Emulator()
    for number in range(args.count):
        emulator.put_descriptor(DESCRIPTOR.format(number=number))
    print(
        f"{args.count} scorecards; emulator limited to {DEFAULT_RATE_LIMIT_PER_MINUTE}/minute "
        f"(bucket of {DEFAULT_RATE_LIMIT_PER_MINUTE}); latency {args.latency_ms:g} ms"
    )

    seconds, client = run(emulator, args.latency_ms)
    stats = emulator.stats
    requests = client.stats.requests
    floor = max(0, requests - DEFAULT_BURST) * 60.0 / DEFAULT_RATE_LIMIT_PER_MINUTE
    print(
        f"with our limiter ({DEFAULT_RATE_LIMIT_PER_MINUTE}/min, burst {DEFAULT_BURST}): "
        f"{requests} requests in {seconds:.2f} s; floor {floor:.2f} s; "
        f"{seconds / floor:.3f} x floor; 429s: emulator {stats.throttled}, "
        f"client {client.stats.throttled}; statuses {dict(stats.by_status)}"
    )

    if args.skip_control:
        return
    seconds, client = run(emulator, args.latency_ms, rate_limit_per_minute=None)
    stats = emulator.stats
    print(
        f"control, limiter off: {client.stats.requests} requests in {seconds:.2f} s; "
        f"429s: emulator {stats.throttled}, client {client.stats.throttled}; "
        f"retries {client.stats.retries}"
    )


if __name__ == "__main__":
    main()
