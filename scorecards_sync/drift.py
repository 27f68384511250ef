"""Repository × record × Cortex → what is pending, what drifted, what is unmanaged.

Three states of each scorecard are compared: the repository now (R), what the last
complete apply made Cortex match (A: the descriptors at the recorded commit), and what
Cortex serves (L).

- *pending*: the repository changed since the record (R ≠ A) and Cortex does not hold
  that change yet (R ≠ L): an apply that has not run, or failed.
- *drifted*: Cortex changed since the record (A ≠ L) into something the repository does
  not hold (L ≠ R): edited, created (under a `managed` pattern) or deleted outside the
  repository, e.g. in Cortex's UI. A scorecard changed on both sides is both.
- *unmanaged*: live scorecards that no descriptor, no record and no `managed` pattern claims.

Without a record, the repository stands for what was applied (A = R): every difference
is then reported as drifted, and nothing can be told pending.

Each pending and drifted entry carries the field and rule changes in the shape of a plan
(`old`: what Cortex serves, `new`: the repository's), i.e. what an apply (or a heal)
would change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.descriptor_diff import describe_new, diff_descriptors
from scorecards_sync.plan import Action, FieldChange, RuleChange, fields_to_json, rules_to_json
from scorecards_sync.planner import Desired, compare, parse_live

logger = logging.getLogger(__name__)

DRIFT_FORMAT = "scorecards-sync-drift"
DRIFT_VERSION = 1


class DriftKind(StrEnum):
    EDITED = "edited"
    CREATED = "created"
    DELETED = "deleted"


@dataclass(frozen=True)
class Pending:
    """A repository change not in Cortex yet: `action` is what an apply would do."""

    tag: str
    action: Action
    path: str | None
    fields: tuple[FieldChange, ...] = ()
    rules: tuple[RuleChange, ...] = ()


@dataclass(frozen=True)
class Drifted:
    """A change made in Cortex outside the repository since the last record."""

    tag: str
    kind: DriftKind
    last_updated: str | None
    path: str | None
    fields: tuple[FieldChange, ...] = ()
    rules: tuple[RuleChange, ...] = ()


@dataclass(frozen=True)
class Unmanaged:
    tag: str
    last_updated: str | None


@dataclass(frozen=True)
class DriftReport:
    pending: tuple[Pending, ...]
    drifted: tuple[Drifted, ...]
    unmanaged: tuple[Unmanaged, ...]
    target: str = ""
    record_commit: str | None = None
    note: str = ""

    @property
    def in_sync(self) -> bool:
        """Nothing pending, nothing drifted (unmanaged scorecards are not a difference)."""
        return not self.pending and not self.drifted

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DRIFT_FORMAT,
            "version": DRIFT_VERSION,
            "target": self.target,
            "record": self.record_commit,
            "note": self.note,
            "in_sync": self.in_sync,
            "pending": [
                {
                    "tag": p.tag,
                    "action": p.action.value,
                    "path": p.path,
                    "fields": fields_to_json(p.fields),
                    "rules": rules_to_json(p.rules),
                }
                for p in self.pending
            ],
            "drifted": [
                {
                    "tag": d.tag,
                    "kind": d.kind.value,
                    "last_updated": d.last_updated,
                    "path": d.path,
                    "fields": fields_to_json(d.fields),
                    "rules": rules_to_json(d.rules),
                }
                for d in self.drifted
            ],
            "unmanaged": [{"tag": u.tag, "last_updated": u.last_updated} for u in self.unmanaged],
        }


def classify(
    repository: Sequence[Desired],
    applied: Sequence[Desired] | None,
    live: Mapping[str, str],
    *,
    last_updated: Mapping[str, str | None],
    managed: Sequence[str] = (),
) -> tuple[tuple[Pending, ...], tuple[Drifted, ...], tuple[Unmanaged, ...]]:
    """Sort every difference; see the module's docstring. Pure: no I/O.

    `live` maps tags to the descriptor text Cortex serves; `last_updated` holds every
    live tag (from the list call), fetched or not.
    """
    wanted = {d.tag: d for d in repository}
    recorded = {d.tag: d for d in applied} if applied is not None else dict(wanted)
    claimed = set(wanted) | set(recorded)
    pending: list[Pending] = []
    drifted: list[Drifted] = []
    unmanaged: list[Unmanaged] = []
    for tag in sorted(set(last_updated) - claimed):
        if tag in live and _matches(tag, managed):
            claimed.add(tag)
        elif not _matches(tag, managed):
            unmanaged.append(Unmanaged(tag, last_updated.get(tag)))
    for tag in sorted(claimed):
        r, a, text = wanted.get(tag), recorded.get(tag), live.get(tag)
        if _same_descriptor(r, text):
            continue  # Cortex holds what the repository says: in sync, whatever the record
        changes = _changes(r, text)
        path = r.path if r is not None else (a.path if a is not None else None)
        if not _same_desired(r, a):
            pending.append(Pending(tag, _action(r, text), path, *changes))
        if not _same_descriptor(a, text):
            kind = (
                DriftKind.CREATED
                if a is None
                else DriftKind.DELETED
                if text is None
                else DriftKind.EDITED
            )
            drifted.append(Drifted(tag, kind, last_updated.get(tag), path, *changes))
    return tuple(pending), tuple(drifted), tuple(unmanaged)


def _matches(tag: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(tag, pattern) for pattern in patterns)


def _same_descriptor(want: Desired | None, text: str | None) -> bool:
    if want is None or text is None:
        return want is None and text is None
    return compare(want, text).action is Action.UNCHANGED


def _same_desired(one: Desired | None, other: Desired | None) -> bool:
    if one is None or other is None:
        return one is None and other is None
    return diff_descriptors(one.data, other.data) == ((), ())


def _action(want: Desired | None, text: str | None) -> Action:
    if want is None:
        return Action.DELETE
    return Action.CREATE if text is None else Action.UPDATE


def _changes(
    want: Desired | None, text: str | None
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """What applying the repository's version would change (nothing shown for a delete)."""
    if want is None:
        return (), ()
    if text is None:
        return describe_new(want.data)
    change = compare(want, text)
    return change.fields, change.rules


def applied_at(commit: str, paths: Sequence[str]) -> list[Desired]:
    """The descriptors under `paths` as they were at `commit` (what was applied then).

    A file that does not parse there cannot say what was applied: it is left out, with a
    warning, and its scorecard compares as if the record did not hold it.
    """
    from scorecards_sync.gitsource import GitSource

    with GitSource(".") as git:
        loaded = git.load_at_ref(commit, paths)
    for problem in loaded.problems:
        logger.warning("at the recorded commit %s: %s", commit[:12], problem)
    return [Desired.from_document(d) for d in loaded.documents if d.tag]


def build_report(
    repository: Sequence[Desired],
    applied: Sequence[Desired] | None,
    client: CortexClient,
    *,
    managed: Sequence[str],
    target: str,
    record_commit: str | None,
    note: str,
) -> DriftReport:
    """List Cortex, fetch the descriptors that matter, and classify."""
    summaries = client.list_scorecards()
    last_updated = {s.tag: s.last_updated for s in summaries}
    wanted = {d.tag for d in repository} | {d.tag for d in applied or ()}
    fetch = [t for t in last_updated if t in wanted or _matches(t, managed)]
    live = client.fetch_descriptors(fetch)
    for tag, text in live.items():
        parse_live(tag, text)  # a descriptor that is not YAML fails here, named
    pending, drifted, unmanaged = classify(
        repository, applied, live, last_updated=last_updated, managed=managed
    )
    return DriftReport(pending, drifted, unmanaged, target, record_commit, note)
