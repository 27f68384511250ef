"""Benchmark: `validate` over N descriptor files, against a plain JSON Schema check.

Both runs read the same N files (copies of `examples/scorecards/` with distinct tags)
in this process:

- baseline: what a naive validator does, `yaml.safe_load` then the bundled schema with
  `jsonschema.validate` per file (no positions, no semantic checks, no cross-file checks);
- ours: `load_paths` (positions, duplicate keys, alias bounds ...) then
  `validate_documents` (schema, messages mapped to lines, semantic and cross-file checks).

Prints seconds for each and the ratio ours / baseline (CPU time, best of `--repeat`).

    .venv/bin/python bench/validate.py               # 1,000 files
    .venv/bin/python bench/validate.py --files 5000

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorecards_sync.loader import load_paths
from scorecards_sync.problems import has_errors
from scorecards_sync.validation import load_schema, validate_documents

ROOT = Path(__file__).resolve().parents[1]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        paths = write_files(folder, args.files)
        base = best_cpu_seconds(lambda: baseline(paths), args.repeat)
        mine = best_cpu_seconds(lambda: ours(folder), args.repeat)
    print(f"files: {args.files}")
    print(f"baseline (safe_load + jsonschema): {base:.3f} s CPU")
    print(f"scorecards-sync validate:          {mine:.3f} s CPU")
    print(f"ratio ours / baseline:             {mine / base:.2f}")
    print(f"per file:                          {1000 * mine / args.files:.2f} ms")


if __name__ == "__main__":
    main()
