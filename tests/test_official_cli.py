"""A client nobody here wrote: Cortex's official CLI (`cortexapps-cli`, command `cortex`)
runs its scorecard commands against the emulator on loopback.

The CLI lives in `.venv-tools` (installed by `.ci/run`). Without it the test is skipped,
except in CI (`CI=true`), where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import Emulator

REPO_ROOT = Path(__file__).resolve().parents[1]
CORTEX = REPO_ROOT / ".venv-tools" / "bin" / "cortex"
DATA = Path(__file__).resolve().parent / "data" / "emulator"
KEY = "official-cli-key-0f3a"
LADDER = "emulator-ladder"
RULE = rule_identifier("ownership.allOwners().length > 0")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cortex_cli() -> Path:
    if not CORTEX.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CORTEX.relative_to(REPO_ROOT)} is missing; .ci/run installs it")
        pytest.skip("the official Cortex CLI is not installed in .venv-tools")
    return CORTEX


class Cortex:
    def __init__(self, executable: Path, base_url: str, home: Path) -> None:
        self.executable = executable
        self.base_url = base_url
        self.home = home

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.executable), "--url", self.base_url, "--api-key", KEY, *args],
            env={
                "HOME": str(self.home),
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "COLUMNS": "200",
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args))


@pytest.fixture
def emu() -> Emulator:
    return Emulator(api_keys={KEY: frozenset({"view", "edit", "exemptions"})})


@pytest.fixture
def cortex(cortex_cli: Path, emu: Emulator, tmp_path: Path) -> Iterator[Cortex]:
    home = tmp_path / "home"
    home.mkdir()
    with emu.serve() as server:
        yield Cortex(cortex_cli, server.base_url, home)


def test_create_dry_run_list_get_descriptor_delete(cortex: Cortex, emu: Emulator) -> None:
    cortex.ok("scorecards", "create", "--dry-run", "-f", str(DATA / "valid-ladder.yaml"))
    assert emu.tags() == []
    cortex.ok("scorecards", "create", "-f", str(DATA / "valid-ladder.yaml"))
    cortex.ok("scorecards", "create", "-f", str(DATA / "valid-points.yaml"))
    assert emu.tags() == [LADDER, "emulator-points"]

    listed = cortex.json("scorecards", "list")
    assert [s["tag"] for s in listed["scorecards"]] == [LADDER]
    drafts = cortex.json("scorecards", "list", "--show-drafts")
    assert {s["tag"] for s in drafts["scorecards"]} == {LADDER, "emulator-points"}

    got = cortex.json("scorecards", "get", "-s", LADDER)
    assert got["scorecard"]["name"] == "Emulator Ladder"

    descriptor = cortex.ok("scorecards", "descriptor", "-s", LADDER)
    assert descriptor.rstrip("\n") == emu.descriptor_text(LADDER)
    assert yaml.safe_load(descriptor)["rules"][0]["identifier"] == RULE

    cortex.ok("scorecards", "delete", "-s", LADDER)
    assert emu.tags() == ["emulator-points"]
    missing = cortex.run("scorecards", "delete", "-s", LADDER)
    assert missing.returncode != 0
    assert "404" in missing.stdout + missing.stderr


def test_an_invalid_descriptor_is_refused_with_the_reason(cortex: Cortex, emu: Emulator) -> None:
    result = cortex.run("scorecards", "create", "-f", str(DATA / "level-not-in-ladder.yaml"))
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "HTTP Error 400" in output
    assert "Invalid scorecard yaml" in output
    assert emu.tags() == []


def test_scores_next_steps_and_shield(cortex: Cortex, emu: Emulator) -> None:
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    scores = cortex.json("scorecards", "scores", "-s", LADDER)
    assert scores["scorecardTag"] == LADDER
    assert scores["serviceScores"]
    one = cortex.json("scorecards", "scores", "-s", LADDER, "-t", "checkout")
    assert [s["service"]["tag"] for s in one["serviceScores"]] == ["checkout"]
    steps = cortex.json("scorecards", "next-steps", "-s", LADDER, "-t", "checkout")
    assert "nextSteps" in steps
    shield = cortex.json("scorecards", "shield", "-s", LADDER, "-t", "checkout")
    assert shield["value"].startswith("[![Emulator Ladder](https://img.shields.io/badge/")


def test_exemption_commands(cortex: Cortex, emu: Emulator) -> None:
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    target = ("-s", LADDER, "-t", "checkout", "-ri", RULE)
    requested = cortex.json("scorecards", "exemptions", "request", *target, "-r", "migrating")
    assert requested["exemptionStatus"]["status"] == "PENDING"
    approved = cortex.json("scorecards", "exemptions", "approve", *target)
    assert approved["exemptions"][0]["exemptionStatus"]["status"] == "APPROVED"
    revoked = cortex.json("scorecards", "exemptions", "revoke", *target, "-r", "done")
    assert revoked["exemptions"][0]["exemptionStatus"]["status"] == "REJECTED"
    cortex.json("scorecards", "exemptions", "request", *target, "-r", "again")
    denied = cortex.json("scorecards", "exemptions", "deny", *target, "-r", "no")
    assert denied["exemptions"][0]["exemptionStatus"]["status"] == "REJECTED"
    nothing = cortex.run("scorecards", "exemptions", "deny", *target, "-r", "no")
    assert nothing.returncode != 0
    assert "No pending exemptions to deny found" in " ".join(nothing.stdout.split())


def test_backup_export_writes_every_descriptor(
    cortex: Cortex, emu: Emulator, tmp_path: Path
) -> None:
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    emu.put_descriptor((DATA / "valid-points.yaml").read_text())
    target = tmp_path / "export"
    cortex.ok("backup", "export", "-e", "scorecards", "-d", str(target))
    (folder,) = tmp_path.glob("export-*")
    exported = {p.stem: p.read_text() for p in (folder / "scorecards").glob("*.yaml")}
    assert set(exported) == {LADDER, "emulator-points"}
    for tag, text in exported.items():
        assert text.rstrip("\n") == emu.descriptor_text(tag)
