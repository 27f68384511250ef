"""The state file's journal: a write appends what it changed instead of rewriting the file.

Found by an adversarial run: every write rewrote the whole state file, so an apply of
N scorecards to the embedded emulator was quadratic (1,000 files 28 s, 5,000 files
610 s). What is bounded here is structural, never a time: the bytes the process writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from cli_runner import run_cli

from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.store import read_state_file
from scorecards_sync.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
DESCRIPTOR = "tag: {tag}\nname: {tag}\nrules:\n- title: R\n  expression: git != null\n"
PROC_IO = Path("/proc/self/io")


def _bytes_written() -> int:
    """Bytes this process has passed to write(2) so far (Linux)."""
    fields = dict(line.split(": ") for line in PROC_IO.read_text().splitlines())
    return int(fields["wchar"])


@pytest.mark.skipif(not PROC_IO.exists(), reason="needs Linux's /proc/self/io")
def test_what_n_writes_cost_grows_linearly_with_n(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    before = _bytes_written()
    for index in range(600):
        emu.put_descriptor(DESCRIPTOR.format(tag=f"card-{index:04d}"))
    written = _bytes_written() - before
    size = state.stat().st_size
    # Rewriting the file on every write costs about 300 times its final size here.
    assert written <= 6 * size, (written, size)
    assert len(Emulator(state_file=state).tags()) == 600


def test_two_emulators_follow_each_others_appends_and_compactions(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    one, two = Emulator(state_file=state), Emulator(state_file=state)
    expected: set[str] = set()
    inodes = set()
    for index in range(500):
        writer = one if index % 2 else two
        tag = f"card-{index:04d}"
        writer.put_descriptor(DESCRIPTOR.format(tag=tag))
        expected.add(tag)
        if index % 7 == 6:
            # An HTTP delete through the other emulator.
            gone = sorted(expected)[index % len(expected)]
            _delete(two if writer is one else one, gone)
            expected.discard(gone)
        inodes.add(state.stat().st_ino)
        assert set(one.tags()) == expected == set(two.tags())
    assert len(inodes) > 1, "the journal was never compacted"
    assert set(read_state_file(state)["scorecards"]) == expected
    assert set(Emulator(state_file=state).tags()) == expected


def _delete(emu: Emulator, tag: str) -> None:
    with httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Bearer journal-test-key"},
    ) as client:
        assert client.delete(f"/api/v1/scorecards/{tag}").status_code == 200


_KILLED_MID_APPEND = textwrap.dedent(
    """
    import os, pathlib, signal, sys
    from scorecards_sync.emulator import Emulator

    emu = Emulator(state_file=pathlib.Path(sys.argv[1]))
    real_write = os.write

    def half_then_die(descriptor, data):
        real_write(descriptor, bytes(data)[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of the append

    os.write = half_then_die
    emu.put_descriptor(sys.argv[2])
    """
)


def test_an_append_cut_short_by_kill_9_loses_that_write_only(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    for tag in ("a", "b"):
        emu.put_descriptor(DESCRIPTOR.format(tag=tag))
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_APPEND, str(state), DESCRIPTOR.format(tag="torn")],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert killed.returncode == -9
    assert not state.read_bytes().endswith(b"\n")  # the torn line is there
    assert emu.tags() == ["a", "b"] == Emulator(state_file=state).tags()
    emu.put_descriptor(DESCRIPTOR.format(tag="c"))
    assert Emulator(state_file=state).tags() == ["a", "b", "c"]
    assert all(json.loads(line) for line in state.read_text().splitlines())


def test_a_damaged_journal_line_is_refused_naming_the_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = Emulator(state_file=state)
    for tag in ("a", "b", "c"):
        emu.put_descriptor(DESCRIPTOR.format(tag=tag))
    lines = state.read_text().splitlines(keepends=True)
    assert len(lines) == 3  # the snapshot, then one entry per later write
    lines[1] = lines[1].replace('"g":"', '"g":"x', 1)
    state.write_text("".join(lines))
    with pytest.raises(ConfigError) as raised:
        Emulator(state_file=state)
    assert str(raised.value) == (
        f"{state} is not an emulator state file (its line 2 is no journal entry of its "
        "snapshot); remove it or choose another --state file"
    )


def test_text_after_a_hand_written_state_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": 1, "nextId": 1, "scorecards": {}, "exemptions": []}\nmore')
    with pytest.raises(ConfigError, match="extra data after the document"):
        Emulator(state_file=state)


@pytest.mark.skipif(not PROC_IO.exists(), reason="needs Linux's /proc/self/io")
def test_bytes_an_apply_writes_per_scorecard_do_not_grow_with_the_number_of_scorecards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The whole command line, as a user runs it against the embedded emulator: the bytes
    # written per scorecard (state file, journal and all) stay the same from 50 to 200.
    monkeypatch.chdir(tmp_path)
    per_scorecard = []
    for count in (50, 200):
        cards = tmp_path / f"cards-{count}"
        cards.mkdir()
        for index in range(count):
            tag = f"card-{index:04d}"
            (cards / f"{tag}.yaml").write_text(DESCRIPTOR.format(tag=tag), encoding="utf-8")
        state = tmp_path / f"state-{count}.json"
        before = _bytes_written()
        ran = run_cli("apply", str(cards), "--emulator", str(state), "--auto-approve")
        written = _bytes_written() - before
        assert ran.code == 0, ran.err
        assert len(read_state_file(state)["scorecards"]) == count
        per_scorecard.append(written / count)
    # Rewriting the state file on every write makes the second figure about 4 times the first.
    assert per_scorecard[1] <= 1.5 * per_scorecard[0], per_scorecard
