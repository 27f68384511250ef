"""State files: persistence, sharing between emulators and processes, seeding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.store import read_state_file
from scorecards_sync.errors import ConfigError, ValidationFailed

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "emulator"
AUTH = {"Authorization": "Bearer state-test-key"}
DESCRIPTOR = "tag: {tag}\nname: {tag}\nrules:\n- title: R\n  expression: git != null\n"


def test_state_survives_into_a_new_emulator(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = Emulator(state_file=state)
    first.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    text = first.descriptor_text("emulator-ladder")
    second = Emulator(state_file=state)
    assert second.tags() == ["emulator-ladder"]
    assert second.descriptor_text("emulator-ladder") == text
    assert read_state_file(state)["format"] == 1


def test_emulators_sharing_a_file_see_each_others_writes(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    one, two = Emulator(state_file=state), Emulator(state_file=state)
    one.put_descriptor(DESCRIPTOR.format(tag="from-one"))
    assert two.tags() == ["from-one"]
    two.put_descriptor(DESCRIPTOR.format(tag="from-two"))
    assert one.tags() == ["from-one", "from-two"]


def test_a_deleted_state_file_means_an_empty_store(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    emu.put_descriptor(DESCRIPTOR.format(tag="x"))
    state.unlink()
    assert emu.tags() == []


@pytest.mark.parametrize(
    "content", ["{not json", '{"format": 99, "scorecards": {}, "exemptions": []}', "[1, 2]"]
)
def test_a_foreign_state_file_is_refused(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(ConfigError, match="state file"):
        Emulator(state_file=state)


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from scorecards_sync.emulator import Emulator

    state, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    emu = Emulator(state_file=state)
    for index in range(count):
        tag = f"{prefix}-{index}"
        text = f"tag: {tag}\\nname: {tag}\\nrules:\\n- title: R\\n  expression: git != null\\n"
        emu.put_descriptor(text)
        emu.tags()
    """
)


def test_concurrent_writers_in_two_processes_never_lose_or_corrupt(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    count = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(state), prefix, str(count)],
            cwd=REPO_ROOT,
            env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        )
        for prefix in ("left", "right")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    tags = Emulator(state_file=state).tags()
    assert len(tags) == 2 * count
    assert read_state_file(state)["nextId"] == 2 * count + 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_seed_dir_fills_an_empty_store_only(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "emulator-ladder.yaml").write_text((DATA / "valid-ladder.yaml").read_text())
    (seeds / "emulator-points.yaml").write_text((DATA / "valid-points.yaml").read_text())
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state, seed_dir=seeds)
    assert emu.tags() == ["emulator-ladder", "emulator-points"]
    emu.put_descriptor(DESCRIPTOR.format(tag="later"))
    (seeds / "emulator-points.yaml").unlink()
    again = Emulator(state_file=state, seed_dir=seeds)
    assert again.tags() == ["emulator-ladder", "emulator-points", "later"]


def test_seed_dir_with_an_invalid_descriptor_is_refused(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bad.yaml").write_text((DATA / "level-not-in-ladder.yaml").read_text())
    with pytest.raises(ValidationFailed, match="is not a level of the ladder"):
        Emulator(seed_dir=seeds)


# --- state files whose records are wrong --------------------------------------------------

STATES = DATA / "state"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("record-not-a-mapping.json", "scorecards.x: expected a scorecard record (a mapping)"),
        ("record-without-data.json", "scorecards.x: data: expected the stored descriptor"),
        ("descriptor-not-valid.json", "scorecards.x: data.rules: cannot bind text `git != null`"),
        ("tag-differs-from-key.json", "scorecards.x: data.tag: `y` differs from the record's key"),
        ("exemption-without-status.json", "exemptions[0]: exemptionStatus: expected a mapping"),
        ("exemption-end-without-zone.json", "exemptions[0]: endDate: expected a date and time"),
        ("next-id-missing.json", "missing `nextId`"),
    ],
)
def test_a_state_file_with_a_wrong_record_is_refused_naming_it(
    tmp_path: Path, name: str, problem: str
) -> None:
    state = tmp_path / name
    state.write_bytes((STATES / name).read_bytes())
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=state)
    message = str(raised.value)
    assert message.startswith(f"the emulator state file {state} holds records")
    listed = [line.strip() for line in message.splitlines() if line.startswith("  ")]
    assert len(listed) == 1 and listed[0].startswith(problem), message


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("next-id-huge.json", "it holds a number too long to read"),
        ("nested-too-deep.json", "nested deeper than 100 levels"),
        ("nested-deep-but-parseable.json", "nested deeper than 100 levels"),
    ],
)
def test_a_state_file_python_cannot_read_is_refused_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reason: str
) -> None:
    state = tmp_path / name
    state.write_bytes((STATES / name).read_bytes())
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=state)
    assert str(raised.value) == f"{state} is not an emulator state file ({reason})"
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    Path("x.yaml").write_text(DESCRIPTOR.format(tag="x"))
    ran = run_cli("plan", "--emulator", name, "x.yaml")
    assert ran.code == 64
    assert ran.err == f"error: {name} is not an emulator state file ({reason})\n"


def test_the_valid_state_those_files_come_from_is_read(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_bytes((STATES / "valid.json").read_bytes())
    assert Emulator(state_file=state).tags() == ["x"]


def test_a_state_file_with_many_wrong_records_lists_the_first_few(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    records = {f"t{index}": index for index in range(12)}
    state.write_text(
        json.dumps({"format": 1, "nextId": 1, "scorecards": records, "exemptions": []})
    )
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=state)
    lines = str(raised.value).splitlines()
    assert [line for line in lines if line.startswith("  ")][-1] == "  ... and 7 more"


def test_a_state_with_exemptions_written_by_the_emulator_is_read_back(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    base = "/api/v1/scorecards/emulator-ladder/entity/checkout/exemption"
    rule = {"ruleIdentifier": rule_identifier("oncall != null")}
    with httpx.Client(
        transport=emu.transport(), base_url="https://cortex.test", headers=AUTH
    ) as client:
        calls = [
            client.post(base, json={**rule, "reason": "migrating", "days": 30}),
            client.put(f"{base}/approve", json=rule),
            client.put(f"{base}/revoke", json={**rule, "reason": "done"}),
            client.post(base, json={**rule, "reason": "again"}),
        ]
    assert [call.status_code for call in calls] == [200] * 4
    assert len(read_state_file(state)["exemptions"]) == 2
    assert Emulator(state_file=state).tags() == ["emulator-ladder"]


def test_the_command_line_reports_a_wrong_state_file_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    Path("st.json").write_bytes((STATES / "record-without-data.json").read_bytes())
    Path("x.yaml").write_text(DESCRIPTOR.format(tag="x"))
    ran = run_cli("plan", "--emulator", "st.json", "x.yaml")
    assert ran.code != 0
    assert ran.err.startswith("error: the emulator state file st.json holds records"), ran.err
    assert "scorecards.x: data: expected the stored descriptor" in ran.err
    assert "Traceback" not in ran.out + ran.err


def _break_behind_its_back(state: Path) -> None:
    """Another process leaves a damaged file (as a hand edit or an old version would)."""
    state.write_bytes((STATES / "record-without-data.json").read_bytes())


def test_a_state_file_damaged_while_serving_is_a_500_not_a_crash(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    emu.put_descriptor(DESCRIPTOR.format(tag="x"))
    _break_behind_its_back(state)
    with httpx.Client(
        transport=emu.transport(), base_url="https://cortex.test", headers=AUTH
    ) as client:
        response = client.get("/api/v1/scorecards", params={"showDrafts": "true"})
    assert response.status_code == 500
    body = response.json()
    assert body["httpStatus"] == 500 and body["type"] == "UNHANDLED_EXCEPTION"
    assert body["message"] == "Internal server error"
    assert f"the emulator state file {state} holds records" in body["details"]
    assert emu.stats.by_status[500] == 1


def test_the_loopback_server_answers_500_for_a_damaged_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    emu.put_descriptor(DESCRIPTOR.format(tag="x"))
    _break_behind_its_back(state)
    with emu.serve() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as client:
        broken = client.get("/api/v1/scorecards/x/descriptor")
        state.write_bytes((STATES / "valid.json").read_bytes())
        healed = client.get("/api/v1/scorecards/x/descriptor")
    assert broken.status_code == 500
    assert "holds records the emulator cannot use" in broken.json()["details"]
    assert healed.status_code == 200


def test_an_unforeseen_failure_in_a_handler_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    emu = Emulator()
    emu.put_descriptor(DESCRIPTOR.format(tag="x"))
    # A record no check foresaw: only reachable by reaching into the store.
    with emu._store.writing() as state:
        state["scorecards"]["x"]["data"] = None
    with httpx.Client(
        transport=emu.transport(), base_url="https://cortex.test", headers=AUTH
    ) as client:
        response = client.get("/api/v1/scorecards/x")
        listing = client.get("/api/v1/scorecards/x/descriptor")
    assert response.status_code == 500
    assert response.json()["details"].startswith("the emulator failed: AttributeError: ")
    assert listing.status_code == 200  # one broken answer does not take the rest down
    assert any("getScorecard answered 500" in r.getMessage() for r in caplog.records)


def test_a_state_file_leaves_nothing_else_behind(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    Emulator(state_file=state).tags()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    Emulator(state_file=state).put_descriptor(DESCRIPTOR.format(tag="x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_plan_against_a_new_state_file_leaves_no_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    Path("x.yaml").write_text(DESCRIPTOR.format(tag="x"))
    ran = run_cli("plan", "--emulator", "new.json", "x.yaml")
    assert ran.code == 0, ran.err
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".lock")]


def test_a_folder_given_as_the_state_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=tmp_path)
    assert str(raised.value) == (
        f"the state file {tmp_path} is a folder: give the path of a file in it "
        "(it is created on the first write)"
    )


def test_a_state_file_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    state = tmp_path / "nonexistent" / "dir" / "s.json"
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=state)
    assert str(raised.value) == (
        f"the folder of the state file {state} does not exist: "
        f"create {state.parent} first or choose another state file"
    )


def test_the_command_line_names_a_folder_given_as_state_without_python_internals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    Path("st").mkdir()
    Path("x.yaml").write_text(DESCRIPTOR.format(tag="x"))
    ran = run_cli("plan", "--emulator", "st", "x.yaml")
    assert ran.code != 0
    assert ran.err == (
        "error: the state file st is a folder: give the path of a file in it "
        "(it is created on the first write)\n"
    )


# --- temporary files left by a killed process ---------------------------------------------

_KILLED_MID_WRITE = textwrap.dedent(
    """
    import os, pathlib, signal, sys
    from scorecards_sync.emulator import Emulator

    def die(self, target):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9, after the temporary file is written

    pathlib.Path.replace = die
    Emulator(state_file=pathlib.Path(sys.argv[1])).put_descriptor(sys.argv[2])
    """
)


def test_a_temporary_file_left_by_kill_9_is_removed_on_the_next_open(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    # A file the emulator did not write: its first write replaces it whole.
    state.write_bytes((STATES / "valid.json").read_bytes())
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_WRITE, str(state), DESCRIPTOR.format(tag="y")],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert killed.returncode == -9
    left = [p.name for p in tmp_path.iterdir() if p.name != "state.json"]
    assert len(left) == 1 and left[0].startswith(".state.json.") and left[0].endswith(".tmp")
    assert Emulator(state_file=state).tags() == ["x"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_this_state_files_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    dead, alive = _dead_pid(), os.getppid()
    stale = [f".state.json.{dead}.140234.tmp", f".state.json.{dead}.1.tmp"]
    kept = [
        f".state.json.{alive}.140234.tmp",  # its process still runs
        f".other.json.{dead}.140234.tmp",  # another state file's
        f".state.json.{dead}.140234.tmp.bak",  # not the pattern
        f"state.json.{dead}.140234.tmp",
        f".state.json.{dead}.tmp",
        f".state.json.x{dead}.1.tmp",
        ".state.json.0.1.tmp",  # not a process id
        f".state.json.{2**40}.1.tmp",
    ]
    for name in stale + kept:
        (tmp_path / name).write_text("{")
    Emulator(state_file=state)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
