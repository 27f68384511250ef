"""`scorecards-sync emulator`: a real process serving on loopback until a signal."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from cli_process import run_command, running_emulator

from scorecards_sync.cli import main
from scorecards_sync.console import EXIT_USAGE, Console

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "emulator"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_prints_its_url_first_serves_and_exits_0_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "emulator-ladder.yaml").write_text((DATA / "valid-ladder.yaml").read_text())
    state = tmp_path / "state.json"
    with running_emulator("--port", "0", "--seed-dir", str(seeds), "--state", str(state)) as (
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
    with running_emulator("--api-key", key, "--rate-limit", "1000") as (process, base_url):
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
    ("args", "message"),
    [
        (["--port", "70000"], "--port must be between 0 and 65535, not 70000"),
        (["--drop-rate", "2"], "--drop-rate must be between 0 and 1, not 2"),
        (["--fail-rate", "2"], "--fail-rate must be between 0 and 1, not 2"),
        (["--fail-rate", "-1"], "--fail-rate must be between 0 and 1, not -1"),
        (["--latency-ms", "-5"], "--latency-ms must not be negative, not -5"),
        (["--rate-limit", "0"], "--rate-limit must be at least 1, not 0"),
    ],
)
def test_impossible_options_are_usage_errors_naming_the_flag(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", *args], Console()) == EXIT_USAGE
    assert capsys.readouterr().err == f"error: {message}\n"


def test_api_keys_with_limited_permissions() -> None:
    viewer, editor = "canary-viewer-3f1a", "canary-editor-9c2e"
    descriptor = (DATA / "valid-ladder.yaml").read_text()
    with running_emulator("--api-key", f"{viewer}:view", "--api-key", f"{editor}:view,edit") as (
        process,
        base_url,
    ):

        def call(method: str, path: str, key: str, content: str = "") -> int:
            headers = {"Authorization": f"Bearer {key}"}
            url = f"{base_url}{path}"
            return httpx.request(method, url, headers=headers, content=content).status_code

        create = "/api/v1/scorecards/descriptor"
        assert call("GET", "/api/v1/scorecards", viewer) == 200
        assert call("POST", create, viewer, content=descriptor) == 403
        assert call("POST", create, editor, content=descriptor) == 200
        approve = "/api/v1/scorecards/emulator-ladder/entity/svc/exemption/approve"
        assert call("PUT", approve, editor, content="{}") == 403
        assert call("GET", "/api/v1/scorecards", "someone-else") == 401
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "key 1: view; key 2: view, edit" in stderr
    assert viewer not in stdout + stderr and editor not in stdout + stderr


def _refused(*args: str) -> subprocess.CompletedProcess[str]:
    """The command run in a process of its own: were it to serve instead, the timeout fails it."""
    return run_command("emulator", *args, cwd=REPO_ROOT, timeout=30)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("canary-key-77:view,delete", "the text after the last ':' must be a comma list"),
        ("canary-key-77:", "the text after the last ':' must be a comma list"),
        (":view", "has no key"),
    ],
)
def test_a_malformed_api_key_option_is_a_usage_error_that_never_quotes_it(
    value: str, message: str
) -> None:
    ran = _refused("--api-key", value)
    assert ran.returncode == EXIT_USAGE
    assert message in ran.stderr
    assert "canary-key-77" not in ran.stderr and "delete" not in ran.stderr


def test_the_same_api_key_twice_is_a_usage_error() -> None:
    ran = _refused("--api-key", "canary-k:view", "--api-key", "canary-k")
    assert ran.returncode == EXIT_USAGE
    assert ran.stderr == "error: --api-key number 2 repeats an earlier key\n"
