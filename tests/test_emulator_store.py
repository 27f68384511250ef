"""State files: persistence, sharing between emulators and processes, seeding."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scorecards_sync.cortex.emulator import Emulator
from scorecards_sync.errors import ConfigError, ValidationFailed

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "emulator"
DESCRIPTOR = "tag: {tag}\nname: {tag}\nrules:\n- title: R\n  expression: git != null\n"


def test_state_survives_into_a_new_emulator(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = Emulator(state_file=state)
    first.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    text = first.descriptor_text("emulator-ladder")
    second = Emulator(state_file=state)
    assert second.tags() == ["emulator-ladder"]
    assert second.descriptor_text("emulator-ladder") == text
    assert json.loads(state.read_text())["format"] == 1


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
    from scorecards_sync.cortex.emulator import Emulator

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
    assert json.loads(state.read_text())["nextId"] == 2 * count + 1
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
