"""Benchmark: the impact preview of 50 updated scorecards × 2,000 entities.

The emulator runs as its own process (`scorecards-sync emulator --catalog`, on loopback,
with latency and a 1000/minute rate limit) over a catalog of 2,000 entities; 50 scorecards
are each updated (a rule moved down a level), and the impact step (`compute_impacts`, as
`plan --impact` runs it, with the live descriptors the plan fetched) reads their scores and
runs the model. Printed:

- requests for scores against the minimum, `ceil(entities / 1000)` per updated scorecard;
- wall time of the step against its floors: the rate limit's `(requests - the client's
  burst allowance) / (rate / 60)`, and the latency's `pages × latency / concurrency`;
- CPU seconds of this process during the step (parsing the scores, the model), and of the
  model alone (`compute_impact` on the fetched scores), per entity. The emulator computes
  every score on each request (Cortex serves stored ones), so on a small machine its CPU,
  not the rate limit, sets the wall time.

    .venv/bin/python bench/impact.py [--scorecards 50] [--entities 2000] [--latency-ms 50]

Figures only: no assertion on time (a benchmark is not a test). Every run is checked:
each scorecard's impact covers every entity, and the self-check agrees for all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scorecards_sync.cortex.client import DEFAULT_BURST, CortexClient  # noqa: E402
from scorecards_sync.impact import compute_impact  # noqa: E402
from scorecards_sync.impact_fetch import compute_impacts  # noqa: E402
from scorecards_sync.planner import Desired, make_plan, parse_live  # noqa: E402

RATE = 1000
KEY = "bench-impact-key"
EXPRESSIONS = (
    "ownership.allOwners().length > 0",
    "oncall.numOfEscalations() > 0",
    'links("runbook").length > 0',
    'custom("tls") == true',
    'deploys(lookback=duration("P7D")).length > 3',
)


def descriptor(i: int, *, changed: bool = False) -> str:
    runbook = "Bronze" if changed else "Silver"
    rules = [
        ("Has owner", 0, "Bronze"),
        ("Has on-call", 1, "Bronze"),
        ("Has runbook", 2, runbook),
        ("Uses TLS", 3, "Silver"),
        ("Fast deploys", 4, "Gold"),
    ]
    data = {
        "tag": f"impact-{i:03d}",
        "name": f"Service maturity {i}",
        "ladder": {
            "name": "Maturity",
            "levels": [
                {"name": name, "rank": rank}
                for rank, name in enumerate(("Bronze", "Silver", "Gold"), 1)
            ],
        },
        "rules": [
            {"title": title, "expression": EXPRESSIONS[n], "level": level}
            for title, n, level in rules
        ],
    }
    return yaml.safe_dump(data, sort_keys=False)


def catalog(size: int) -> list[dict[str, object]]:
    """Entities declaring outcomes for two expressions (the rest hashed by the emulator)."""
    return [
        {
            "tag": f"svc-{n:05d}",
            "type": "service",
            "groups": [f"g{n % 7}"],
            "outcomes": {
                EXPRESSIONS[0]: "pass" if n % 5 else "fail",
                EXPRESSIONS[2]: "pass" if n % 3 else "fail",
            },
        }
        for n in range(size)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scorecards", type=int, default=50)
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog(args.entities)))
        seeds = folder / "seeds"
        seeds.mkdir()
        for i in range(args.scorecards):
            (seeds / f"impact-{i:03d}.yaml").write_text(descriptor(i))
        command = [
            sys.executable,
            "-m",
            "scorecards_sync",
            "emulator",
            "--catalog",
            str(folder / "catalog.yaml"),
            "--seed-dir",
            str(seeds),
            "--api-key",
            KEY,
            "--latency-ms",
            str(args.latency_ms),
            "--rate-limit",
            str(RATE),
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        ) as server:
            try:
                assert server.stdout is not None
                base_url = server.stdout.readline().strip()
                return measure(args, base_url)
            finally:
                server.terminate()


def measure(args: argparse.Namespace, base_url: str) -> int:
    desired = []
    for i in range(args.scorecards):
        tag, text = f"impact-{i:03d}", descriptor(i, changed=True)
        desired.append(Desired(tag, f"cards/{tag}.yaml", parse_live(tag, text), text))
    pages = math.ceil(args.entities / 1000)
    minimum = args.scorecards * pages
    with CortexClient(base_url, KEY) as client:
        live = client.fetch_descriptors(d.tag for d in desired)
        plan = make_plan(desired, live)
        before = client.stats.requests
        started, cpu_at_start = time.perf_counter(), time.process_time()
        impacts = compute_impacts(plan, client, live=live, concurrency=client.concurrency)
        wall = time.perf_counter() - started
        step_cpu = time.process_time() - cpu_at_start
        requests = client.stats.requests - before
        throttled = client.stats.throttled
        scores = {tag: client.scores(tag) for tag in impacts.by_tag}
        total = client.stats.requests
        concurrency = client.concurrency
    assert len(impacts.by_tag) == args.scorecards, impacts
    for impact in impacts.by_tag.values():
        assert impact.entities == args.entities, impact.entities
        assert impact.self_check.disagree == 0, impact.self_check
    # Everything this client sent counts against the emulator's bucket, the last 50 reads
    # of scores (for the CPU figure below) excepted: they came after the measured step.
    sent_before_step_ends = total - len(scores) * pages
    rate_floor = max(0, sent_before_step_ends - DEFAULT_BURST) / (RATE / 60)
    latency_floor = math.ceil(args.scorecards / concurrency) * pages * args.latency_ms / 1000
    now = dt.datetime.now(dt.UTC)
    gc.collect()
    cpu_started = time.process_time()
    for change in plan.changes:
        compute_impact(
            parse_live(change.tag, live[change.tag]),
            parse_live(change.tag, change.desired_yaml or ""),
            scores[change.tag],
            now,
        )
    cpu = time.process_time() - cpu_started
    scored = args.scorecards * args.entities
    print(
        f"impact of {args.scorecards} updated scorecards × {args.entities} entities "
        f"(emulator in its own process, {args.latency_ms:g} ms latency, {RATE}/minute)"
    )
    print(
        f"requests for scores: {requests} (minimum {minimum}: {pages} per scorecard; "
        f"ratio {requests / minimum:.2f}); 429s: {throttled}"
    )
    floors = f"latency floor {latency_floor:.2f} s (ratio {wall / latency_floor:.2f})"
    if rate_floor:
        floors += f"; rate-limit floor {rate_floor:.2f} s (ratio {wall / rate_floor:.2f})"
    else:
        floors += f"; no rate-limit floor: {sent_before_step_ends} requests fit the burst"
    print(f"wall time of the impact step: {wall:.2f} s; {floors}")
    print(
        f"CPU of this process during the step (reading {scored} scores, the model): "
        f"{step_cpu:.2f} s; the rest of the wall time is the emulator computing and "
        "serving the scores in its own process"
    )
    print(
        f"model CPU: {cpu:.2f} s for {scored} entity scores "
        f"({cpu / scored * 1e6:.1f} µs per entity and scorecard)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
