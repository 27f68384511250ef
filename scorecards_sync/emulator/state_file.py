"""The state file on disk: a snapshot of the whole state, then a journal of the writes since.

Rewriting the whole state on every write made an apply quadratic in the number of
scorecards (each of 5,000 writes rewrote a file growing to megabytes). So a write appends
one line saying what it changed, and the file is rewritten whole ("compacted") only when
its journal has grown past its snapshot: every byte is rewritten a bounded number of
times, and what one write costs does not grow with the number of scorecards.

    {"format":1,"nextId":3,"scorecards":{...},"exemptions":[...],"generation":"5f0c..."}
    {"g":"5f0c...","nextId":4,"set":{"new-tag":{...record...}},"del":[]}
    {"g":"5f0c...","nextId":4,"set":{},"del":["old-tag"],"exemptions":[...]}

The snapshot is any JSON document (a hand-written, pretty-printed file is one: it has no
journal yet). Each journal entry is one line, tied to its snapshot by `g`, so a file
replaced in place behind a reader's back is never mistaken for a longer journal. A last
line without its newline is an append cut short by a crash: it is ignored, and the next
write compacts it away.

This module only reads and writes bytes; `store.py` decides when, under its locks.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorecards_sync.emulator.records import state_problems
from scorecards_sync.errors import ConfigError

STATE_FORMAT = 1
# A damaged file can have thousands of bad records: the first few say what happened.
_PROBLEMS_SHOWN = 5
# What the emulator writes nests about ten levels; the handlers, the serializer and
# `json` itself recurse, so a hand-made file nested far deeper is refused on reading.
MAX_DEPTH = 100
# Below this, a journal is never worth compacting.
COMPACT_AFTER_BYTES = 256 * 1024

State = dict[str, Any]


def empty_state() -> State:
    return {"format": STATE_FORMAT, "nextId": 1, "scorecards": {}, "exemptions": []}


@dataclass(frozen=True)
class Seen:
    """The state file as this process last read or wrote it."""

    inode: int
    mtime_ns: int
    size: int
    consumed: int
    """Bytes read up to the end of the last complete line; less than `size` after a torn append."""
    generation: str | None
    """None for a file this emulator did not write whole (hand-made, or empty): not appendable."""
    snapshot_bytes: int
    journal_bytes: int

    def unchanged(self, stat: os.stat_result) -> bool:
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size) == (
            self.inode,
            self.mtime_ns,
            self.size,
        )

    def appended_to(self, stat: os.stat_result) -> bool:
        """The same file, only longer: what an append does (and a rewrite in place could)."""
        return (
            self.generation is not None
            and stat.st_ino == self.inode
            and stat.st_size > self.size
            and self.size == self.consumed
        )

    def may_append(self, line_bytes: int) -> bool:
        if self.generation is None or self.size != self.consumed:
            return False
        return self.journal_bytes + line_bytes <= max(self.snapshot_bytes, COMPACT_AFTER_BYTES)


@dataclass(frozen=True)
class Change:
    """What one write changed: the journal entry `store.py` appends."""

    next_id: Any
    set: Mapping[str, Any]
    deleted: tuple[str, ...]
    exemptions: list[Any] | None

    def line(self, generation: str) -> bytes:
        entry: dict[str, Any] = {
            "g": generation,
            "nextId": self.next_id,
            "set": self.set,
            "del": list(self.deleted),
        }
        if self.exemptions is not None:
            entry["exemptions"] = self.exemptions
        return _dump(entry) + b"\n"


# --- reading ---------------------------------------------------------------------------


def read_whole(path: Path) -> tuple[State, Seen]:
    """The state a file holds (its snapshot and journal), checked; `ConfigError` if unusable."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read the state file {path}: {reason(exc)}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not an emulator state file (not UTF-8 text)") from None
    if not text.strip():
        seen = Seen(stat.st_ino, stat.st_mtime_ns, stat.st_size, len(data), None, 0, 0)
        return empty_state(), seen
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    try:
        state, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not an emulator state file (invalid JSON: {exc})") from None
    except ValueError:
        # Python refuses to convert integers of more than `sys.get_int_max_str_digits()` digits.
        raise ConfigError(
            f"{path} is not an emulator state file (it holds a number too long to read)"
        ) from None
    except RecursionError:
        raise ConfigError(_too_deep(path)) from None
    if not isinstance(state, dict):
        raise ConfigError(_foreign(path))
    generation = state.pop("generation", None)
    snapshot_bytes = len(text[:end].encode("utf-8"))
    journal, torn = _split_lines(data[snapshot_bytes:])
    if (journal or torn) and not isinstance(generation, str):
        # Not written by the emulator: nothing may follow the document.
        raise ConfigError(
            f"{path} is not an emulator state file (invalid JSON: extra data after the document)"
        )
    _check_top_level(path, state)
    for number, line in enumerate(journal, start=2):
        entry = _entry(line, generation)
        if entry is None:
            raise ConfigError(
                f"{path} is not an emulator state file (its line {number} is no journal "
                "entry of its snapshot); remove it or choose another --state file"
            )
        apply_entry(state, entry)
    if _nested_deeper_than(state, MAX_DEPTH):
        raise ConfigError(_too_deep(path))
    _check_records(path, state)
    seen = Seen(
        stat.st_ino,
        stat.st_mtime_ns,
        stat.st_size,
        len(data) - torn,
        generation if isinstance(generation, str) else None,
        snapshot_bytes,
        len(data) - torn - snapshot_bytes,
    )
    return state, seen


def read_appended(
    path: Path, seen: Seen, stat: os.stat_result
) -> tuple[list[dict[str, Any]], Seen] | None:
    """The journal entries appended since `seen`, and the file as seen after them; None
    when the file must be read whole (it was not only appended to, or what follows is no
    entry of its snapshot)."""
    try:
        with path.open("rb") as handle:
            handle.seek(seen.consumed - 1)
            data = handle.read(stat.st_size - seen.consumed + 1)
    except OSError:
        return None
    if not data.startswith(b"\n"):
        return None
    lines, torn = _split_lines(data[1:])
    entries = [_entry(line, seen.generation) for line in lines]
    if any(entry is None for entry in entries):
        return None
    appended = len(data) - 1 - torn
    now = Seen(
        stat.st_ino,
        stat.st_mtime_ns,
        stat.st_size,
        seen.consumed + appended,
        seen.generation,
        seen.snapshot_bytes,
        seen.journal_bytes + appended,
    )
    return [entry for entry in entries if entry is not None], now


def apply_entry(state: State, entry: Mapping[str, Any]) -> None:
    state["nextId"] = entry["nextId"]
    scorecards = state["scorecards"]
    for tag, record in entry["set"].items():
        scorecards[tag] = record
    for tag in entry["del"]:
        scorecards.pop(tag, None)
    if "exemptions" in entry:
        state["exemptions"] = entry["exemptions"]


def _split_lines(data: bytes) -> tuple[list[bytes], int]:
    """The complete, non-blank lines of `data`, and how many bytes trail the last newline."""
    *lines, tail = data.split(b"\n")
    torn = len(tail) if tail.strip() else 0
    return [line for line in lines if line.strip()], torn


def _entry(line: bytes, generation: Any) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("g") != generation
        or not isinstance(entry.get("set"), dict)
        or not isinstance(entry.get("del"), list)
        or not all(isinstance(tag, str) for tag in entry["del"])
        or not isinstance(entry.get("exemptions", []), list)
        or "nextId" not in entry
    ):
        return None
    return entry


def _check_top_level(path: Path, state: Mapping[str, Any]) -> None:
    if (
        state.get("format") != STATE_FORMAT
        or not isinstance(state.get("scorecards"), dict)
        or not isinstance(state.get("exemptions"), list)
    ):
        raise ConfigError(_foreign(path))


def _check_records(path: Path, state: State) -> None:
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


def _foreign(path: Path) -> str:
    return (
        f"{path} is not an emulator state file of format {STATE_FORMAT}; "
        "remove it or choose another --state file"
    )


def _too_deep(path: Path) -> str:
    return f"{path} is not an emulator state file (nested deeper than {MAX_DEPTH} levels)"


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """True when lists and mappings in `value` nest more than `limit` levels (iteratively:
    the point is not to recurse on whatever a damaged file holds)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


# --- writing ---------------------------------------------------------------------------


def write_whole(path: Path, state: Mapping[str, Any]) -> Seen:
    """Replace the file with a snapshot of `state` (and no journal), atomically."""
    generation = secrets.token_hex(8)
    data = _dump({**state, "generation": generation}) + b"\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
        stat = path.stat()
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ConfigError(f"cannot write the state file {path}: {reason(exc)}") from None
    return Seen(stat.st_ino, stat.st_mtime_ns, stat.st_size, len(data), generation, len(data), 0)


def append(path: Path, seen: Seen, line: bytes) -> Seen:
    """Append one journal entry to the file `seen` describes."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(descriptor, view) :]
            stat = os.fstat(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        raise ConfigError(f"cannot write the state file {path}: {reason(exc)}") from None
    return Seen(
        stat.st_ino,
        stat.st_mtime_ns,
        stat.st_size,
        stat.st_size,
        seen.generation,
        seen.snapshot_bytes,
        seen.journal_bytes + len(line),
    )


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reason(exc: OSError) -> str:
    """What went wrong, without Python's `[Errno N]` and the path the message already names."""
    return exc.strerror.lower() if exc.strerror else str(exc)
