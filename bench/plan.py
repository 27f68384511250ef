"""Benchmark: planning N scorecards with 10% of them changed.

(a) Against the in-process emulator, at several sizes: CPU seconds (`time.process_time`,
    the emulator's share included, since it runs in this process) and peak memory
    (`tracemalloc`, measured in a separate run because tracing slows everything down),
    per scorecard, with the growth of both relative to the smallest size. The planner's
    own share (`make_plan` on already fetched descriptors) is shown apart.
(b) Against the emulator on loopback with 50 ms latency and a 1000/minute rate limit:
    wall time against the floor the rate limit sets, i.e. (requests needed - the client's
    burst allowance) / (1000/60) seconds.

    .venv/bin/python bench/plan.py                      # (a) at 100, 1000, 5000; (b) at 1000
    .venv/bin/python bench/plan.py --sizes 100,1000 --loopback-size 0    # skip (b)

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workload import cpu_seconds, descriptor, tag_of

from scorecards_sync.config import Settings
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.plan import Plan
from scorecards_sync.planner import Desired, make_plan, parse_live
from scorecards_sync.workflow import build_plan

CHANGED_SHARE = 0.10
# Not "bench": the client redacts its key from answers, and every tag holds that word.
API_KEY = "plan-benchmark-key"


@dataclass(frozen=True)
class Scenario:
    emulator: Emulator
    desired: list[Desired]
    size: int


def scenario(size: int, faults: Faults | None = None) -> Scenario:
    emulator = Emulator(faults=Faults())
    every = round(1 / CHANGED_SHARE)
    desired = []
    for i in range(size):
        emulator.put_descriptor(descriptor(i))
        text = descriptor(i, changed=i % every == 0)
        tag = tag_of(i)
        desired.append(Desired(tag, f"cards/{tag}.yaml", parse_live(tag, text), text))
    if faults is not None:
        emulator.faults = faults
    return Scenario(emulator, desired, size)


def in_process_client(emulator: Emulator) -> CortexClient:
    return CortexClient(
        "https://emulator.invalid",
        API_KEY,
        transport=emulator.transport(),
        rate_limit_per_minute=None,
    )


def plan_in_process(s: Scenario) -> Plan:
    with in_process_client(s.emulator) as client:
        return build_plan(client, Settings(), s.desired)


def peak_bytes(action: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_in_process(sizes: list[int]) -> None:
    print(f"(a) plan against the in-process emulator, {CHANGED_SHARE:.0%} changed")
    print(
        f"{'scorecards':>10} {'cpu s':>8} {'cpu ms/card':>12} {'growth':>7} "
        f"{'planner ms/card':>16} {'peak MiB':>9} {'KiB/card':>9} {'growth':>7}"
    )
    base_cpu = base_mem = 0.0
    for size in sizes:
        s = scenario(size)
        plan_in_process(s)  # warm up imports and caches
        cpu, plan = cpu_seconds(partial(plan_in_process, s))
        counts = plan.counts()
        assert counts["update"] == -(-size // round(1 / CHANGED_SHARE)), counts
        with in_process_client(s.emulator) as client:
            live = client.fetch_descriptors(d.tag for d in s.desired)
        planner_cpu, _ = cpu_seconds(partial(make_plan, s.desired, live))
        peak = peak_bytes(partial(plan_in_process, s))
        per_cpu = cpu / size
        per_mem = peak / size
        base_cpu = base_cpu or per_cpu
        base_mem = base_mem or per_mem
        print(
            f"{size:>10} {cpu:>8.2f} {per_cpu * 1000:>12.3f} {per_cpu / base_cpu:>7.2f} "
            f"{planner_cpu / size * 1000:>16.3f} {peak / 2**20:>9.1f} {per_mem / 1024:>9.1f} "
            f"{per_mem / base_mem:>7.2f}"
        )
    print("growth = cost per scorecard relative to the smallest size (1.00 = linear)")


def bench_loopback(size: int) -> None:
    rate = 1000
    latency_ms = 50
    s = scenario(size, Faults(latency_ms=latency_ms, rate_limit_per_minute=rate))
    with (
        s.emulator.serve() as server,
        CortexClient(server.base_url, API_KEY, rate_limit_per_minute=rate) as client,
    ):
        s.emulator.reset_stats()
        started = time.perf_counter()
        plan = build_plan(client, Settings(), s.desired)
        elapsed = time.perf_counter() - started
        stats = client.stats.snapshot()
    burst = client.limiter.burst
    requests = stats.requests
    floor = max(0, requests - burst) / (rate / 60)
    print()
    print(
        f"(b) plan of {size} scorecards against the loopback emulator, {latency_ms} ms latency, "
        f"{rate}/minute rate limit"
    )
    print(
        f"    requests {requests} (429s received: {stats.throttled}, "
        f"emulator 429s: {s.emulator.stats.throttled}), client burst allowance {burst}"
    )
    print(
        f"    time {elapsed:.1f} s, floor {floor:.1f} s "
        f"(({requests} - {burst}) / {rate / 60:.2f} per s), ratio {elapsed / floor:.3f}"
    )
    print(f"    plan: {plan.counts()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="sizes for (a)")
    parser.add_argument("--loopback-size", type=int, default=1000, help="size for (b); 0 skips")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    if sizes:
        bench_in_process(sizes)
    if args.loopback_size:
        bench_loopback(args.loopback_size)


if __name__ == "__main__":
    main()
