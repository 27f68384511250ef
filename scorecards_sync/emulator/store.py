"""The emulator's state: in memory, or in a JSON file that outlives the process.

A state file is shared safely between processes: every access holds an
`fcntl.flock` on the folder that holds the file (shared to read, exclusive to
write) and first catches up with what other processes wrote since. A write
appends one journal line to the file, or, now and then, replaces the whole file by
renaming a complete temporary file over it (`state_file.py` has the format), so a
reader never sees half a write and two writers never interleave.

Why the folder: the state file itself cannot carry the lock, since a compaction
replaces it with a new file; a sidecar `<file>.lock` would be left behind in the
user's folder, and removing it after use lets two processes lock two different
files of one name. The folder is always there while the file is, and locking it
creates nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat as file_mode
import threading
from collections.abc import Iterator
from pathlib import Path

from scorecards_sync.emulator import state_file
from scorecards_sync.emulator.state_file import (
    MAX_DEPTH,
    STATE_FORMAT,
    Seen,
    State,
    apply_entry,
    empty_state,
    reason,
)
from scorecards_sync.emulator.tracked import change_since_forgotten, forget_touches, tracked
from scorecards_sync.errors import ConfigError

__all__ = ["MAX_DEPTH", "STATE_FORMAT", "State", "Store", "empty_state", "read_state_file"]

# The largest process id Linux hands out (`pid_max` is at most 2**22).
_MAX_PID = 2**22


class Store:
    def __init__(self, state_file: Path | None = None) -> None:
        self.state_file = state_file
        self._lock = threading.RLock()
        self._state: State = tracked(empty_state())
        self._seen: Seen | None = None
        if state_file is not None:
            with self._lock, self._file_lock(fcntl.LOCK_EX):
                # No write is under way while we hold the lock: a temporary file left
                # by a process that no longer exists was left by a crash.
                _remove_stale_temporaries(state_file)
                self._refresh()

    @contextlib.contextmanager
    def reading(self) -> Iterator[State]:
        """The current state, not to be modified."""
        with self._lock, self._file_lock(fcntl.LOCK_SH):
            self._refresh()
            yield self._state

    @contextlib.contextmanager
    def writing(self) -> Iterator[State]:
        """The current state to modify in place; saved when the block ends without error.

        Callers check everything before they change anything: a block that raises
        leaves a state file untouched, but in memory there is no copy to roll back
        to (copying the whole state on every write would cost more than it saves).
        """
        with self._lock, self._file_lock(fcntl.LOCK_EX):
            self._refresh()
            forget_touches(self._state)
            try:
                yield self._state
            except BaseException:
                if self.state_file is not None:
                    # Forget the half-changed copy; the file still holds the last good state.
                    self._state = tracked(empty_state())
                    self._seen = None
                raise
            self._save()

    @contextlib.contextmanager
    def _file_lock(self, operation: int) -> Iterator[None]:
        if self.state_file is None:
            yield
            return
        folder = self.state_file.parent
        try:
            descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            raise ConfigError(
                f"the folder of the state file {self.state_file} does not exist: "
                f"create {folder} first or choose another state file"
            ) from None
        except NotADirectoryError:
            raise ConfigError(
                f"cannot use the state file {self.state_file}: {folder} is not a folder"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot use the state file {self.state_file}: "
                f"cannot open its folder {folder} ({reason(exc)})"
            ) from None
        try:
            fcntl.flock(descriptor, operation)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _refresh(self) -> None:
        path = self.state_file
        if path is None:
            return
        try:
            stat = path.stat()
        except FileNotFoundError:
            if self._seen is not None:
                self._state = tracked(empty_state())
                self._seen = None
            return
        if file_mode.S_ISDIR(stat.st_mode):
            raise ConfigError(
                f"the state file {path} is a folder: give the path of a file "
                "in it (it is created on the first write)"
            )
        seen = self._seen
        if seen is not None and seen.unchanged(stat):
            return
        if seen is not None and seen.appended_to(stat):
            caught_up = state_file.read_appended(path, seen, stat)
            if caught_up is not None:
                entries, self._seen = caught_up
                for entry in entries:
                    apply_entry(self._state, entry)
                return
        state, self._seen = state_file.read_whole(path)
        self._state = tracked(state)

    def _save(self) -> None:
        path = self.state_file
        if path is None:
            return
        change = change_since_forgotten(self._state)
        seen = self._seen
        try:
            if change is not None and seen is not None and seen.generation is not None:
                line = change.line(seen.generation)
                if seen.may_append(len(line)):
                    self._seen = state_file.append(path, seen, line)
                    return
            self._seen = state_file.write_whole(path, self._state)
        except ConfigError:
            # Read the file again next time: it, not memory, holds the last good state.
            self._seen = None
            raise
        if change is None:
            # The write may have replaced what was tracked: track what is there now.
            self._state = tracked(self._state)


def read_state_file(path: Path) -> State:
    """What a state file holds, snapshot and journal together (tests, tools)."""
    state, _ = state_file.read_whole(path)
    return state


def _remove_stale_temporaries(path: Path) -> None:
    """Remove `.<name>.<pid>.<thread>.tmp` files of this state file whose process is gone.

    Only names of exactly that pattern, for this state file: nothing else in the folder
    is ours to remove. A live process keeps its files, even one that cannot be writing
    now (its process id may have been reused; the file is small; leaving it is safe).
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([0-9]{{1,7}})\.[0-9]+\.tmp")
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or _process_exists(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            entry.unlink()


def _process_exists(pid: int) -> bool:
    if not 0 < pid <= _MAX_PID or pid == os.getpid():
        return True  # ours, or not a process id at all: never remove
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, but belongs to someone else
    return True
