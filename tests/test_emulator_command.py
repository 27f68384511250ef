"""`scorecards-sync emulator`: a real process serving on loopback until a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from scorecards_sync.cli import EXIT_USAGE, Console, main

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "emulator"


@contextmanager
def _running(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scorecards_sync", "emulator", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_prints_its_url_first_serves_and_exits_0_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "emulator-ladder.yaml").write_text((DATA / "valid-ladder.yaml").read_text())
    state = tmp_path / "state.json"
    with _running("--port", "0", "--seed-dir", str(seeds), "--state", str(state)) as (
        process,
        base_url,
    ):
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(
            f"{base_url}/api/v1/scorecards/emulator-ladder/descriptor",
            headers={"Authorization": "Bearer anything"},
        )
        assert response.status_code == 200
        assert response.text.startswith("tag: emulator-ladder\n")
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        assert "accepting any bearer token" in process.stderr.read()
    assert state.is_file()


def test_api_key_restricts_access_and_is_never_printed() -> None:
    key = "canary-emulator-key-5be1"
    with _running("--api-key", key, "--rate-limit", "1000") as (process, base_url):
        assert httpx.get(f"{base_url}/api/v1/scorecards").status_code == 401
        wrong = httpx.get(f"{base_url}/api/v1/scorecards", headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        right = httpx.get(
            f"{base_url}/api/v1/scorecards", headers={"Authorization": f"Bearer {key}"}
        )
        assert right.status_code == 200
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert key not in stdout + stderr + base_url


@pytest.mark.parametrize(
    "args",
    [["--port", "70000"], ["--drop-rate", "2"], ["--fail-rate", "-1"], ["--rate-limit", "0"]],
)
def test_impossible_options_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", *args], Console()) == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_a_bad_seed_dir_fails_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text((DATA / "level-not-in-ladder.yaml").read_text())
    assert main(["emulator", "--seed-dir", str(tmp_path)], Console()) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is not a level of the ladder" in captured.err
