"""Benchmark: `validate`, in this process and as whole processes against check-jsonschema.

In this process, over N descriptor files (copies of `examples/scorecards/` with distinct tags):

- baseline: what a naive validator does, `yaml.safe_load` then the bundled schema with
  `jsonschema` per file (no positions, no semantic checks, no cross-file checks);
- ours: `load_paths` (positions, duplicate keys, alias bounds ...) then
  `validate_documents` (schema, messages mapped to lines, semantic and cross-file checks).

As whole processes (what pre-commit pays on every commit), on one file and on N files:
`scorecards-sync validate` against `check-jsonschema --schemafile schemas/scorecard.schema.json`
on the same files (wall time, median of `--runs`). check-jsonschema is not a dependency of this
project: install it apart, e.g. `python3 -m venv /tmp/cjs && /tmp/cjs/bin/pip install
check-jsonschema`, and name it with `--check-jsonschema /tmp/cjs/bin/check-jsonschema` (else
it is looked up on PATH); without it the process comparison is skipped with a note.

    .venv/bin/python bench/validate.py               # 1,000 files
    .venv/bin/python bench/validate.py --files 5000 --check-jsonschema /tmp/cjs/bin/check-jsonschema

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import jsonschema
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorecards_sync.loader import load_paths
from scorecards_sync.problems import has_errors
from scorecards_sync.validation import load_schema, validate_documents

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "scorecard.schema.json"


def write_files(folder: Path, count: int) -> list[Path]:
    examples = sorted((ROOT / "examples" / "scorecards").glob("*.yaml"))
    paths = []
    for i in range(count):
        source = examples[i % len(examples)].read_text(encoding="utf-8")
        tag = f"bench-{i:05d}"
        path = folder / f"{tag}.yaml"
        path.write_text(re.sub(r"(?m)^tag: .*$", f"tag: {tag}", source), encoding="utf-8")
        paths.append(path)
    return paths


def baseline(paths: list[Path]) -> None:
    schema = load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for _ in validator.iter_errors(data):
            pass


def ours(folder: Path) -> None:
    result = load_paths([folder])
    problems = result.problems + validate_documents(result.documents)
    if has_errors(problems):
        raise SystemExit(f"benchmark input is invalid: {problems[0]}")


def best_cpu_seconds(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def our_command() -> list[str]:
    """`scorecards-sync` from this tree (run with the tree as working directory)."""
    return [sys.executable, "-m", "scorecards_sync"]


def find_check_jsonschema(given: str | None) -> str | None:
    if given:
        return given if Path(given).exists() else None
    return shutil.which("check-jsonschema")


def process_seconds(command: Sequence[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare_processes(label: str, ours_cmd: list[str], theirs_cmd: list[str], runs: int) -> None:
    # Alternate the two, so that both see the same machine (other load comes and goes); CPU
    # time is also shown, as it depends less on what else the machine runs.
    theirs_runs, our_runs = [], []
    for _ in range(runs):
        theirs_runs.append(process_seconds(theirs_cmd))
        our_runs.append(process_seconds(ours_cmd))
    print(f"{label} (median of {runs}):")
    for what, index in (("wall", 0), ("CPU", 1)):
        theirs = statistics.median(run[index] for run in theirs_runs)
        mine = statistics.median(run[index] for run in our_runs)
        print(
            f"  {what:4}: check-jsonschema --schemafile {theirs:.3f} s, "
            f"scorecards-sync validate {mine:.3f} s, speed-up {theirs / mine:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="in-process repeats (best of)")
    parser.add_argument("--runs", type=int, default=15, help="whole-process runs (median of)")
    parser.add_argument("--check-jsonschema", metavar="PATH", help="the check-jsonschema script")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        paths = write_files(folder, args.files)
        base = best_cpu_seconds(lambda: baseline(paths), args.repeat)
        mine = best_cpu_seconds(lambda: ours(folder), args.repeat)
        print(f"in this process, {args.files} files:")
        print(f"  baseline (safe_load + jsonschema): {base:.3f} s CPU")
        print(f"  scorecards-sync validate:          {mine:.3f} s CPU")
        print(f"  ratio ours / baseline:             {mine / base:.2f}")
        print(f"  per file:                          {1000 * mine / args.files:.2f} ms")

        check_jsonschema = find_check_jsonschema(args.check_jsonschema)
        if check_jsonschema is None:
            print("whole processes: skipped, check-jsonschema not found (see --help)")
            return
        theirs = [check_jsonschema, "--schemafile", str(SCHEMA)]
        one = paths[0]
        compare_processes(
            "whole process, one file",
            [*our_command(), "validate", str(one)],
            [*theirs, str(one)],
            args.runs,
        )
        compare_processes(
            f"whole process, {args.files} files",
            [*our_command(), "validate", str(folder)],
            [*theirs, *map(str, paths)],
            max(3, args.runs // 5),
        )


if __name__ == "__main__":
    main()
