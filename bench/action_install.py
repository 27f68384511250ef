"""Benchmark: the Action's install step (scripts/action-install.sh), cold and warm.

Cold: a fresh RUNNER_TEMP and no pip cache, as on a new runner: a virtual environment, the
hash-pinned lock installed with --require-hashes, the package built from its folder. Warm:
the same RUNNER_TEMP again, as after `actions/cache` restored the environment: the stamp
matches and nothing is installed. Needs the package index (cold only).

    .venv/bin/python bench/action_install.py

Figures only: no assertion on time (a benchmark is not a test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_install(action: Path, runner_temp: Path) -> float:
    output = runner_temp / "github-output"
    output.touch()
    env = {
        **os.environ,
        "ACTION_PATH": str(action),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "PIP_NO_CACHE_DIR": "1",
        "INPUT_PYTHON": "python3",
    }
    env.pop("SCORECARDS_SYNC_ACTION_PYTHON", None)
    start = time.perf_counter()
    done = subprocess.run(
        ["bash", str(action / "scripts" / "action-install.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"install failed: {done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        action = folder / "action"
        ignore = shutil.ignore_patterns(".git", ".venv*", "*.egg-info", "__pycache__", "tests")
        shutil.copytree(ROOT, action, ignore=ignore)
        runner_temp = folder / "runner-temp"
        runner_temp.mkdir()
        cold = run_install(action, runner_temp)
        warm = run_install(action, runner_temp)
    print(f"cold install (fresh environment, no pip cache): {cold:.1f} s wall")
    print(f"warm install (environment restored):           {warm:.2f} s wall")
    print(f"cold / warm:                                    {cold / warm:.0f}x")


if __name__ == "__main__":
    main()
