"""Benchmark: the impact preview of 50 updated scorecards × 2,000 entities.

The emulator serves on loopback with latency and a 1000/minute rate limit, from a catalog
of 2,000 entities; 50 scorecards are each updated (a rule moved up a level), and the
impact step (`compute_impacts`) fetches their scores and runs the model. Printed:

- requests for scores against the minimum, `ceil(entities / 1000)` per updated scorecard;
- wall time of the step against its floors: the rate limit's `(requests - the client's
  burst allowance) / (rate / 60)` and the latency's `pages per scorecard × latency`
  (pages of one scorecard are read one after the other);
- CPU seconds of the model alone (`compute_impact` on the fetched scores), per entity.

    .venv/bin/python bench/impact.py [--scorecards 50] [--entities 2000] [--latency-ms 50]

Figures only: no assertion on time (a benchmark is not a test). Every run is checked:
each scorecard's impact covers every entity, and the self-check agrees for all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorecards_sync.cortex.client import DEFAULT_BURST, CortexClient
from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.emulator.catalog import Catalog, Entity, entity_id
from scorecards_sync.impact import compute_impact
from scorecards_sync.impact_fetch import compute_impacts
from scorecards_sync.planner import Desired, make_plan, parse_live

RATE = 1000
EXPRESSIONS = (
    "ownership.allOwners().length > 0",
    "oncall.numOfEscalations() > 0",
    'links("runbook").length > 0',
    'custom("tls") == true',
    'deploys(lookback=duration("P7D")).length > 3',
)


def descriptor(i: int, *, changed: bool = False) -> str:
    tag = f"impact-{i:03d}"
    runbook = "Bronze" if changed else "Silver"
    return f"""tag: {tag}
name: Service maturity {i}
ladder:
  name: Maturity
  levels:
    - {{name: Bronze, rank: 1}}
    - {{name: Silver, rank: 2}}
    - {{name: Gold, rank: 3}}
rules:
  - {{title: Has owner, expression: '{EXPRESSIONS[0]}', level: Bronze}}
  - {{title: Has on-call, expression: '{EXPRESSIONS[1]}', level: Bronze}}
  - {{title: Has runbook, expression: '{EXPRESSIONS[2]}', level: {runbook}}}
  - {{title: Uses TLS, expression: '{EXPRESSIONS[3]}', level: Silver}}
  - {{title: Fast deploys, expression: '{EXPRESSIONS[4]}', level: Gold}}
"""


def catalog(size: int) -> Catalog:
    """Entities with declared outcomes for some expressions (the rest hashed)."""
    entities = tuple(
        Entity(f"svc-{n:05d}", f"Service {n}", entity_id(f"svc-{n:05d}"), "service", (f"g{n % 7}",))
        for n in range(size)
    )
    outcomes = {
        e.tag: {EXPRESSIONS[0]: n % 5 != 0, EXPRESSIONS[2]: n % 3 != 0}
        for n, e in enumerate(entities)
    }
    return Catalog(entities, outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorecards", type=int, default=50)
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args(argv)
    emulator = Emulator(catalog=catalog(args.entities))
    desired = []
    for i in range(args.scorecards):
        emulator.put_descriptor(descriptor(i))
        tag = f"impact-{i:03d}"
        text = descriptor(i, changed=True)
        desired.append(Desired(tag, f"cards/{tag}.yaml", parse_live(tag, text), text))
    emulator.faults = Faults(latency_ms=args.latency_ms, rate_limit_per_minute=RATE)
    pages = math.ceil(args.entities / 1000)
    minimum = args.scorecards * pages
    with emulator.serve() as server, CortexClient(server.base_url, "bench") as client:
        live = client.fetch_descriptors(d.tag for d in desired)
        plan = make_plan(desired, live)
        emulator.reset_stats()
        started = time.perf_counter()
        impacts = compute_impacts(plan, client, live=live, concurrency=client.concurrency)
        wall = time.perf_counter() - started
        stats = emulator.stats
        scores = {tag: client.scores(tag) for tag in impacts.by_tag}
    requests = stats.by_operation["listScorecardScores"]
    assert len(impacts.by_tag) == args.scorecards, impacts
    for impact in impacts.by_tag.values():
        assert impact.entities == args.entities, impact.entities
        assert impact.self_check.disagree == 0, impact.self_check
    rate_floor = max(0, stats.total - DEFAULT_BURST) / (RATE / 60)
    latency_floor = pages * args.latency_ms / 1000
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
        f"({args.latency_ms:g} ms latency, {RATE}/minute)"
    )
    print(
        f"requests for scores: {requests} (minimum {minimum}: {pages} per scorecard; "
        f"ratio {requests / minimum:.2f}); all requests: {stats.total}; 429s: {stats.throttled}"
    )
    print(
        f"wall time: {wall:.2f} s; rate-limit floor {rate_floor:.2f} s "
        f"(ratio {wall / rate_floor if rate_floor else float('nan'):.2f}); "
        f"latency floor {latency_floor:.2f} s"
        + (f" (ratio {wall / latency_floor:.2f})" if latency_floor else "")
    )
    print(
        f"model CPU: {cpu:.2f} s for {scored} entity scores "
        f"({cpu / scored * 1e6:.1f} µs per entity and scorecard)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
