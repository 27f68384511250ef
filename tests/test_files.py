"""`write_atomically`: one-step replacement, permissions as the user expects them.

A new file gets the mode any program's new file gets under the umask; a file that is
replaced keeps its own mode (once, both were 0600 whatever the umask).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.emulator import Emulator
from scorecards_sync.files import write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Restores the process's umask after a test that changes it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
    ids=["umask-022", "umask-077", "umask-002"],
)
def test_a_new_file_gets_the_mode_the_umask_gives(
    tmp_path: Path, umask: None, mask: int, expected: int
) -> None:
    os.umask(mask)
    target = tmp_path / "sub" / "new.yaml"
    write_atomically(target, "tag: x\n")
    assert target.read_text() == "tag: x\n"
    assert _mode(target) == expected
    assert [p.name for p in target.parent.iterdir()] == ["new.yaml"]  # no temporary left


@pytest.mark.parametrize("existing", [0o644, 0o600, 0o664, 0o755], ids=oct)
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask: None, existing: int) -> None:
    os.umask(0o077 if existing != 0o600 else 0o022)
    target = tmp_path / "kept.yaml"
    target.write_text("old\n")
    target.chmod(existing)
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
    assert _mode(target) == existing
    assert [p.name for p in tmp_path.iterdir()] == ["kept.yaml"]


def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "kept.yaml"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "bad \udcff surrogate")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.yaml"]


CARD = "tag: alpha\nname: Alpha\nrules:\n  - title: Has owner\n    expression: ownership != null\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workdir = enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    Emulator(state_file=workdir / "state.json").put_descriptor(CARD)
    return workdir


def test_pull_and_plan_out_respect_the_umask_and_keep_modes(workdir: Path, umask: None) -> None:
    os.umask(0o022)
    assert run_cli("pull", "--dir", "cards", "--emulator", "state.json").code == 0
    pulled = workdir / "cards" / "alpha.yaml"
    assert _mode(pulled) == 0o644
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--out", "plan.json")
    assert ran.code == 0, ran.err
    assert _mode(workdir / "plan.json") == 0o644

    pulled.write_text(CARD.replace("Alpha", "Local edit"))
    pulled.chmod(0o664)
    forced = run_cli("pull", "--dir", "cards", "--force", "--emulator", "state.json")
    assert forced.code == 0, forced.err
    assert "Alpha" in pulled.read_text()
    assert _mode(pulled) == 0o664
