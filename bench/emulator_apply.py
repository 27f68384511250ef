"""Benchmark: `apply` of N new scorecards against the embedded emulator (`--emulator FILE`).

Runs the real command line in this process (`scorecards-sync apply DIR --emulator STATE
--auto-approve`) on N descriptor files and an empty state file, at several sizes, and
prints the wall time and the CPU time (`time.process_time`: the emulator runs in this
process, so its share is included; on a busy machine it varies less than the wall
time) of each apply, the wall time per scorecard, and that figure relative to the
smallest size: a ratio near 1 means the apply is linear in the number of
scorecards; it grows with N when each write costs more as the state grows (as it did
when every write rewrote the whole state file).

    .venv/bin/python bench/emulator_apply.py                  # 250, 1000, 5000
    .venv/bin/python bench/emulator_apply.py --sizes 250,1000

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorecards_sync.cli import main


def descriptor(i: int) -> str:
    """A realistic scorecard: a three-level ladder, three rules, a filter."""
    tag = f"bench-{i:05d}"
    return f"""tag: {tag}
name: Service maturity {i}
description: Maturity of services owned by team {i % 37}.
ladder:
  name: Maturity
  levels:
    - name: Bronze
      rank: 1
      color: "#CD7F32"
    - name: Silver
      rank: 2
      color: "#C0C0C0"
    - name: Gold
      rank: 3
      color: "#FFD700"
rules:
  - title: Has owner
    expression: ownership.allOwners().length > 0
    level: Bronze
  - title: Has on-call
    expression: oncall.numOfEscalations() > 0
    level: Silver
  - title: Has a runbook
    expression: links("runbook").length > 0
    level: Gold
filter:
  kind: GENERIC
  types:
    include:
      - service
"""


def apply_seconds(size: int) -> tuple[float, float]:
    """Wall and CPU seconds of one apply of `size` new scorecards."""
    with tempfile.TemporaryDirectory(prefix="bench-emulator-apply-") as folder:
        root = Path(folder)
        cards = root / "cards"
        cards.mkdir()
        for i in range(size):
            (cards / f"bench-{i:05d}.yaml").write_text(descriptor(i), encoding="utf-8")
        state = root / "state.json"
        out, err = io.StringIO(), io.StringIO()
        started, cpu_started = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["apply", str(cards), "--emulator", str(state), "--auto-approve"])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        summary = [line for line in out.getvalue().splitlines() if "Apply complete" in line]
        if code != 0 or summary != [f"Apply complete: {size} done, 0 failed, 0 skipped."]:
            raise SystemExit(f"apply of {size} failed (exit {code}):\n{err.getvalue()[-2000:]}")
        return seconds, cpu


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000,5000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    header = f"{'scorecards':>10}  {'wall s':>8}  {'CPU s':>8}  {'ms/scorecard':>12}"
    print(f"{header}  {'vs smallest':>11}")
    baseline: float | None = None
    for size in sizes:
        seconds, cpu = apply_seconds(size)
        per_card = seconds / size
        baseline = baseline or per_card
        print(
            f"{size:>10}  {seconds:>8.2f}  {cpu:>8.2f}  {per_card * 1000:>12.2f}"
            f"  {per_card / baseline:>10.2f}x"
        )


if __name__ == "__main__":
    main_bench()
