"""Benchmark: `apply` of N new scorecards against the embedded emulator (`--emulator FILE`).

Runs the real command line (`scorecards-sync apply DIR --emulator STATE --auto-approve`)
on N descriptor files and an empty state file, at several sizes, each apply in a fresh
process (after an apply of one scorecard there, so that imports are not measured), and
prints the wall time and the CPU time of each (the emulator runs in the applying
process, so its share is included; on a busy machine CPU time varies less than wall
time), the CPU time per scorecard, and that figure relative to the smallest size: a
ratio near 1 means the apply is linear in the number of scorecards; it grows with N
when each write costs more as the state grows (as it did when every write rewrote the
whole state file).

With `--baseline REF`, the package as it is at git ref REF is measured too, in the same
run, each size old then new, and the table gives new/old: a figure that does not depend
on what else the machine is doing.

    .venv/bin/python bench/emulator_apply.py                       # 250, 1000, 5000
    .venv/bin/python bench/emulator_apply.py --sizes 250,5000 --baseline main~3

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from workload import REPO, write_descriptors


def apply_seconds(size: int) -> tuple[float, float]:
    """Wall and CPU seconds of one apply of `size` new scorecards, in this process."""
    from scorecards_sync.cli import main

    with tempfile.TemporaryDirectory(prefix="bench-emulator-apply-") as folder:
        root = Path(folder)
        cards = root / "cards"
        write_descriptors(cards, size)
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


def measured_in_a_process(size: int, package_root: Path) -> tuple[float, float]:
    """`apply_seconds(size)` in a fresh Python importing `scorecards_sync` from `package_root`."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(size), "--package-root", str(package_root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the apply of {size} at {package_root} failed:\n{done.stderr[-2000:]}")
    wall, cpu = json.loads(done.stdout.splitlines()[-1])
    return float(wall), float(cpu)


def extract_package(ref: str, into: Path) -> Path:
    """The `scorecards_sync` package as it is at git ref `ref`, extracted under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "scorecards_sync"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"cannot read {ref}: {archive.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="250,1000,5000")
    parser.add_argument("--baseline", metavar="REF", help="also measure the package at REF")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--package-root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.package_root or REPO))
    if args.one is not None:
        apply_seconds(1)  # imports and first-use caches are not what is measured
        print(json.dumps(apply_seconds(args.one)))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        old_root = extract_package(args.baseline, Path(folder)) if args.baseline else None
        header = f"{'scorecards':>10}  {'wall s':>8}  {'CPU s':>8}  {'CPU ms/card':>11}"
        header += f"  {'vs smallest':>11}"
        if old_root is not None:
            header += f"  {'old wall s':>10}  {'old CPU s':>9}  {'old ms/card':>11}"
            header += f"  {'CPU new/old':>11}"
        print(header)
        smallest: float | None = None
        for size in sizes:
            old = measured_in_a_process(size, old_root) if old_root is not None else None
            seconds, cpu = measured_in_a_process(size, REPO)
            per_card = cpu / size
            smallest = smallest or per_card
            row = f"{size:>10}  {seconds:>8.2f}  {cpu:>8.2f}  {per_card * 1000:>11.2f}"
            row += f"  {per_card / smallest:>10.2f}x"
            if old is not None:
                old_seconds, old_cpu = old
                row += f"  {old_seconds:>10.2f}  {old_cpu:>9.2f}  {old_cpu / size * 1000:>11.2f}"
                row += f"  {cpu / old_cpu:>11.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main_bench()
