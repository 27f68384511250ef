"""The record of the last complete apply: which commit Cortex was last made to match.

`apply --record FILE` reads it (when it exists) to compute removals from the recorded
commit rather than from the previous one, so that a deletion that did not happen (a
failure, a threshold, a cancelled job) is planned again by the next run; and rewrites it,
in one step, after an apply with no failure. `plan --since-record FILE` and `drift
--since-record FILE` only read it. A CI system can cache or commit the file.

JSON form, version 1:

    {"format": "scorecards-sync-record", "version": 1, "tool_version": "...",
     "target": "https://api.getcortexapp.com", "paths": ["scorecards"],
     "commit": "<40 hex>", "applied_at": "2026-01-31T12:00:00Z", "tags": ["tag", ...]}

- `target`: the Cortex applied to (its base URL; `emulator:<state file>` for the emulator).
- `paths`: the descriptor paths applied, relative to the repository root; with `target`,
  what the record is about: a record for another target is not used.
- `commit`: the commit applied; `applied_at`: when (UTC); `tags`: the scorecards the
  repository held at that commit (what the apply made Cortex match).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorecards_sync import __version__
from scorecards_sync.errors import GitSourceError, RecordError
from scorecards_sync.files import write_atomically

RECORD_FORMAT = "scorecards-sync-record"
RECORD_VERSION = 1
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class Record:
    target: str
    paths: tuple[str, ...]
    commit: str
    applied_at: str
    tags: tuple[str, ...] = ()
    tool_version: str = field(default=__version__, compare=False)

    def is_for(self, target: str, paths: Sequence[str]) -> bool:
        return self.target == target and sorted(self.paths) == sorted(paths)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "version": RECORD_VERSION,
            "tool_version": self.tool_version,
            "target": self.target,
            "paths": list(self.paths),
            "commit": self.commit,
            "applied_at": self.applied_at,
            "tags": sorted(self.tags),
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Record:
        if not isinstance(data, Mapping) or data.get("format") != RECORD_FORMAT:
            raise RecordError(f"{where} is not a scorecards-sync record")
        if data.get("version") != RECORD_VERSION:
            raise RecordError(
                f"{where} is a record of version {data.get('version')!r}; this scorecards-sync "
                f"reads version {RECORD_VERSION}: upgrade it, or remove the file to start over"
            )
        target, commit, applied_at = data.get("target"), data.get("commit"), data.get("applied_at")
        paths, tags = data.get("paths"), data.get("tags", [])
        if not isinstance(target, str) or not target:
            raise RecordError(f"{where}: `target` must be a non-empty string")
        if not isinstance(commit, str) or not _SHA.fullmatch(commit):
            raise RecordError(f"{where}: `commit` must be a full commit SHA")
        if not isinstance(applied_at, str):
            raise RecordError(f"{where}: `applied_at` must be a string")
        if not _strings(paths):
            raise RecordError(f"{where}: `paths` must be a list of strings")
        if not _strings(tags):
            raise RecordError(f"{where}: `tags` must be a list of strings")
        version = data.get("tool_version")
        return cls(
            target,
            tuple(paths or ()),
            commit,
            applied_at,
            tuple(tags),
            version if isinstance(version, str) else "",
        )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def read_record(path: Path) -> Record | None:
    """The record in `path`; None when there is no such file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise RecordError(f"the record {path} is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"cannot read the record {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"the record {path} is not valid JSON (line {exc.lineno}): remove it to start over"
        ) from None
    return Record.from_json(data, f"the record {path}")


def write_record(record: Record, path: Path) -> None:
    """Replace `path` with `record` in one step: a reader never sees half of it."""
    try:
        write_atomically(path, json.dumps(record.to_json(), indent=2) + "\n")
    except OSError as exc:
        raise RecordError(f"cannot write the record {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Since:
    """Where removals are computed from for this run, and what to tell the user about it.

    - `base`: the ref removals are computed from (the recorded commit when the record
      can be used, else the fallback: `--base`, or None for no removals).
    - `note`: one sentence saying which, and why.
    - `head`: the commit checked out (what a complete apply records).
    - `paths`: the descriptor paths, relative to the repository root.
    - `record`: the record used, if it was.
    """

    base: str | None
    note: str
    head: str
    paths: tuple[str, ...]
    record: Record | None = None


def since_record(
    path: Path,
    *,
    target: str,
    paths: Sequence[str],
    fallback: str | None,
    refuse_other_target: bool,
) -> Since:
    """Where removals start for a run with the record file at `path` (see `since_recorded`).

    A record for another target is an error with `refuse_other_target` (an apply would
    overwrite it), else ignored with a note.
    """
    record = read_record(path)
    return since_recorded(
        record,
        target=target,
        paths=paths,
        fallback=fallback,
        where=f"the record at {path}",
        missing=f"no record at {path} yet",
        refuse_other_target=refuse_other_target,
    )


def since_recorded(
    record: Record | None,
    *,
    target: str,
    paths: Sequence[str],
    fallback: str | None,
    where: str,
    missing: str,
    refuse_other_target: bool = False,
) -> Since:
    """Where removals start, given the last record (from a file or a GitHub deployment).

    The record is used when it is for this `target` and `paths` and its commit is an
    ancestor of HEAD. Otherwise the `fallback` base applies (today's behaviour: `--base`,
    or no removals), and the note says why: no record yet (`missing`), a record for
    another target, or a commit no longer in this branch's history (a force-push, a
    shallow clone). `where` names the record in the notes.
    """
    from scorecards_sync.gitsource import GitSource

    instead = (
        f"deletions are computed since {fallback} instead"
        if fallback
        else "no deletions are planned from files removed (only `prune` deletes)"
    )
    with GitSource(".") as git:
        head = git.resolve("HEAD")
        relative = tuple(_repo_relative(p, git.root) for p in paths)
        if record is None:
            note = f"{missing}: {instead}; a complete apply records it"
            return Since(fallback, note, head, relative)
        if not record.is_for(target, relative):
            about = f"{record.target} ({', '.join(record.paths) or 'no paths'})"
            here = f"{target} ({', '.join(relative)})"
            message = f"{where} is for {about}, not for this run's {here}"
            if refuse_other_target:
                raise RecordError(
                    f"{message}: refusing to use or overwrite it. Give each target its own "
                    "record file."
                )
            return Since(fallback, f"{message}: ignored; {instead}", head, relative)
        short = record.commit[:12]
        try:
            in_history = git.merge_base(record.commit, head) == record.commit
        except GitSourceError:
            in_history = False
        if not in_history:
            shallow = " (or this clone is shallow: fetch with `fetch-depth: 0`)"
            note = (
                f"{where} names commit {short}, which is not in this branch's history "
                f"(rewritten by a force-push?){shallow if git.is_shallow else ''}: deletions "
                f"since it cannot be computed; {instead}"
            )
            return Since(fallback, note, head, relative, record)
    note = f"deletions are computed since the recorded commit {short} (applied {record.applied_at})"
    return Since(record.commit, note, head, relative, record)


def repo_relative_paths(paths: Sequence[str]) -> tuple[str, ...]:
    """`paths` relative to the root of the repository around the working directory."""
    from scorecards_sync.gitsource import GitSource

    with GitSource(".") as git:
        return tuple(_repo_relative(p, git.root) for p in paths)


def _repo_relative(path: str, root: Path) -> str:
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return absolute.as_posix()
