"""The emulator's state: in memory, or in a JSON file that outlives the process.

A state file is shared safely between processes: every access holds an
`fcntl.flock` on the folder that holds the file (shared to read, exclusive to
write), re-reads the file when it changed since this process last saw it, and
writes by renaming a complete temporary file over it, so a reader never sees
half a file and two writers never interleave. A process killed mid-write leaves its
temporary file (`.<name>.<pid>.<thread>.tmp`); the next store to open the file removes
those of processes that no longer exist.

Why the folder: the state file itself cannot carry the lock, since every write
replaces it with a new file; a sidecar `<file>.lock` would be left behind in the
user's folder, and removing it after use lets two processes lock two different
files of one name. The folder is always there while the file is, and locking it
creates nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat as file_mode
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scorecards_sync.emulator.records import state_problems
from scorecards_sync.errors import ConfigError

STATE_FORMAT = 1
# The largest process id Linux hands out (`pid_max` is at most 2**22).
_MAX_PID = 2**22
# A damaged file can have thousands of bad records: the first few say what happened.
_PROBLEMS_SHOWN = 5
# What the emulator writes nests about ten levels; the handlers, the serializer and
# `json` itself recurse, so a hand-made file nested far deeper is refused on reading.
MAX_DEPTH = 100

State = dict[str, Any]


def empty_state() -> State:
    return {"format": STATE_FORMAT, "nextId": 1, "scorecards": {}, "exemptions": []}


class Store:
    def __init__(self, state_file: Path | None = None) -> None:
        self.state_file = state_file
        self._lock = threading.RLock()
        self._state: State = empty_state()
        self._stamp: tuple[int, int, int] | None = None
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
            try:
                yield self._state
            except BaseException:
                if self.state_file is not None:
                    # Forget the half-changed copy; the file still holds the last good state.
                    self._state = empty_state()
                    self._stamp = None
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
                f"cannot open its folder {folder} ({_reason(exc)})"
            ) from None
        try:
            fcntl.flock(descriptor, operation)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _refresh(self) -> None:
        if self.state_file is None:
            return
        try:
            stat = self.state_file.stat()
        except FileNotFoundError:
            if self._stamp is not None:
                self._state = empty_state()
                self._stamp = None
            return
        if file_mode.S_ISDIR(stat.st_mode):
            raise ConfigError(
                f"the state file {self.state_file} is a folder: give the path of a file "
                "in it (it is created on the first write)"
            )
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        self._state = _read_state(self.state_file)
        self._stamp = stamp

    def _save(self) -> None:
        if self.state_file is None:
            return
        temporary = self.state_file.with_name(
            f".{self.state_file.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        )
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(self._state, handle, ensure_ascii=False, separators=(",", ":"))
            temporary.replace(self.state_file)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            self._stamp = None
            raise ConfigError(
                f"cannot write the state file {self.state_file}: {_reason(exc)}"
            ) from None
        stat = self.state_file.stat()
        self._stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_state(path: Path) -> State:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not an emulator state file (not UTF-8 text)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the state file {path}: {_reason(exc)}") from None
    if not text.strip():
        return empty_state()
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not an emulator state file (invalid JSON: {exc})") from None
    except ValueError:
        # Python refuses to convert integers of more than `sys.get_int_max_str_digits()` digits.
        raise ConfigError(
            f"{path} is not an emulator state file (it holds a number too long to read)"
        ) from None
    except RecursionError:
        raise ConfigError(_too_deep(path)) from None
    if _nested_deeper_than(state, MAX_DEPTH):
        raise ConfigError(_too_deep(path))
    if (
        not isinstance(state, dict)
        or state.get("format") != STATE_FORMAT
        or not isinstance(state.get("scorecards"), dict)
        or not isinstance(state.get("exemptions"), list)
    ):
        raise ConfigError(
            f"{path} is not an emulator state file of format {STATE_FORMAT}; "
            "remove it or choose another --state file"
        )
    problems = state_problems(state)
    if problems:
        shown = problems[:_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        listing = "".join(f"\n  {problem}" for problem in shown)
        raise ConfigError(
            f"the emulator state file {path} holds records the emulator cannot use:{listing}\n"
            "fix or remove them, or use another state file"
        )
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


def _too_deep(path: Path) -> str:
    return f"{path} is not an emulator state file (nested deeper than {MAX_DEPTH} levels)"


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """True when lists and mappings in `value` nest more than `limit` levels (iteratively:
    the point is not to recurse on whatever a damaged file holds)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _reason(exc: OSError) -> str:
    """What went wrong, without Python's `[Errno N]` and the path the message already names."""
    return exc.strerror.lower() if exc.strerror else str(exc)
