"""Benchmark: parsing a descriptor full of duplicate keys grows linearly with its size.

Each file repeats the same keys over and over (at the top level and inside a nested
mapping), the shape that once made the loader quadratic: every duplicate searched every
position recorded so far. Prints, per size, the parse time (CPU, best of `--repeat`) and
the time per KB, for the loader and for PyYAML's composer alone (the baseline: the loader
builds on it), then the ratio of time per KB at the largest size to the smallest: near 1
when parsing is linear, near the size ratio (4 for the default sizes) when quadratic.
Garbage collection is paused while a parse is timed, as `timeit` does: its passes grow
with the number of live objects and would blur the figure for both.

    .venv/bin/python bench/duplicate_keys.py                 # 50, 100, 200 KB
    .venv/bin/python bench/duplicate_keys.py --kb 100 400 1600

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorecards_sync.loader import parse_document


def duplicate_key_text(kb: int) -> bytes:
    """A descriptor of about `kb` KB: many distinct keys, each written twice, each time
    with a small mapping that itself repeats a key (every position recorded stays live,
    so a search per duplicate would grow with the file)."""
    head = "tag: duplicates\nname: Duplicates\n"
    lines = [head]
    size, index = len(head), 0
    while size < kb * 1024:
        block = f"key{index}:\n  window: 4\n  window: 8\n  note: a value to record\n" * 2
        lines.append(block)
        size += len(block)
        index += 1
    return "".join(lines).encode("utf-8")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(raw: bytes) -> None:
    document, problems = parse_document("bench.yaml", raw)
    assert document is not None and problems  # the duplicates are reported


def compose(raw: bytes) -> None:
    list(yaml.compose_all(raw.decode("utf-8"), Loader=_Loader))


def best_cpu_seconds(run: Callable[[bytes], None], raw: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            run(raw)
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(args.kb)
    per_kb: dict[str, dict[int, float]] = {"loader": {}, "compose": {}}
    print(f"{'KB':>6} {'bytes':>9} {'loader s':>9} {'ms/KB':>7} {'compose s':>10} {'ms/KB':>7}")
    for kb in sizes:
        raw = duplicate_key_text(kb)
        row = f"{kb:>6} {len(raw):>9,}"
        for name, run, width in (("loader", load, 9), ("compose", compose, 10)):
            seconds = best_cpu_seconds(run, raw, args.repeat)
            per_kb[name][kb] = seconds / (len(raw) / 1024)
            row += f" {seconds:>{width}.3f} {per_kb[name][kb] * 1000:>7.3f}"
        print(row)
    first, last = sizes[0], sizes[-1]
    for name, figures in per_kb.items():
        ratio = figures[last] / figures[first]
        print(
            f"{name}: time per KB at {last} KB / at {first} KB: {ratio:.2f} "
            f"(linear ~1, quadratic ~{last / first:g})"
        )


if __name__ == "__main__":
    main()
