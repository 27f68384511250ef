"""Desired descriptors × live descriptors → a `Plan`. The planner never writes.

Deletion is explicit only: a live scorecard is deleted when its descriptor file
was removed (or re-tagged) between a base ref and the head, or when `prune` is
on and its tag matches a managed pattern. Every other live scorecard the
repository does not hold is listed as unmanaged and left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from scorecards_sync.descriptor import (
    LEGACY_SERVICE_DEFAULT,
    IdentifierChange,
    canonical,
    canonical_fingerprint,
    fingerprint,
    identifier_changes,
    plain_values,
)
from scorecards_sync.descriptor_diff import describe_canonical, diff_canonical
from scorecards_sync.errors import PlanError
from scorecards_sync.loader import Document, parse_document
from scorecards_sync.plan import Action, Change, FieldChange, Plan, RuleChange

__all__ = [
    "Desired",
    "Removal",
    "compare",
    "make_plan",
    "parse_live",
    "remaining_differences",
    "removals_between",
    "tags_to_fetch",
]

log = logging.getLogger(__name__)

# Names a descriptor read from Cortex where the loader would name a file.
LIVE_NAME = "descriptor served by Cortex"


@dataclass(frozen=True)
class Desired:
    """One scorecard the repository wants; `yaml_text` is sent to Cortex as-is."""

    tag: str
    path: str
    data: dict[str, Any] = field(repr=False)
    yaml_text: str = field(repr=False)

    @classmethod
    def from_document(cls, document: Document) -> Desired:
        tag = document.tag
        if not tag:
            raise PlanError(
                f"{document.path}: the descriptor has no `tag`; "
                "run `scorecards-sync validate` to see every problem"
            )
        return cls(tag, document.path, document.data, document.text)


@dataclass(frozen=True)
class Removal:
    """A descriptor file removed (or re-tagged) between a base ref and the head.

    `new_tag` is set when the same file now carries another tag.
    """

    tag: str
    path: str
    new_tag: str | None = None


def removals_between(base: Sequence[Document], head: Sequence[Document]) -> list[Removal]:
    """Tags held at `base` and held by no file at `head`.

    A file moved or renamed that keeps its tag is not a removal; a file whose
    tag changed gives `Removal(old_tag, path, new_tag)`.
    """
    head_tags = {document.tag for document in head if document.tag}
    head_by_path = {_same_path(document.path): document.tag for document in head}
    removals: dict[str, Removal] = {}
    for document in base:
        tag = document.tag
        if not tag or tag in head_tags or tag in removals:
            continue
        new_tag = head_by_path.get(_same_path(document.path))
        removals[tag] = Removal(tag, document.path, new_tag if new_tag != tag else None)
    return sorted(removals.values(), key=lambda removal: removal.tag)


def _same_path(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix()


def tags_to_fetch(
    desired: Sequence[Desired],
    live_tags: Iterable[str],
    removals: Sequence[Removal] = (),
    prune_patterns: Sequence[str] = (),
    prune: bool = False,
) -> list[str]:
    """The live tags whose descriptors a plan needs: desired, removed, or prunable."""
    existing = set(live_tags)
    needed = {d.tag for d in desired} | {r.tag for r in removals}
    if prune:
        needed |= {tag for tag in existing if _matching_pattern(tag, prune_patterns)}
    return sorted(needed & existing)


def make_plan(
    desired: Sequence[Desired],
    live: Mapping[str, str],
    *,
    removals: Sequence[Removal] = (),
    prune_patterns: Sequence[str] = (),
    prune: bool = False,
    base_url: str = "",
    live_tags: Iterable[str] = (),
) -> Plan:
    """Compare what the repository wants with what Cortex holds.

    `live` maps tags to the descriptor YAML Cortex served. `live_tags` may name
    further live scorecards whose descriptors were not fetched (see
    `tags_to_fetch`): they can only be listed as unmanaged.
    """
    wanted = _index_desired(desired)
    changes = [_compare(want, live.get(tag)) for tag, want in wanted.items()]
    renamed_from = {r.new_tag: r.tag for r in removals if r.new_tag}
    changes = [
        _with_rename(change, renamed_from.get(change.tag))
        if change.action is Action.CREATE
        else change
        for change in changes
    ]
    deleted: dict[str, Change] = {}
    for removal in removals:
        if removal.tag in wanted or removal.tag in deleted:
            continue
        if removal.tag not in live:
            log.info(
                "%s: removed since base, and absent from Cortex; nothing to delete", removal.tag
            )
            continue
        # The path is shown beside the reason already. The base is not named: on a pull
        # request and on merge it is a different ref for the same change, and the reason
        # is part of the plan's checksum.
        reason = (
            f"re-tagged: the file now holds tag {removal.new_tag}"
            if removal.new_tag
            else "descriptor file removed since base"
        )
        deleted[removal.tag] = _deletion(removal.tag, live[removal.tag], reason, removal.path)
    if prune:
        if not prune_patterns:
            log.warning("prune is on but no managed tag patterns are configured: nothing is pruned")
        for tag in sorted(live):
            pattern = _matching_pattern(tag, prune_patterns)
            if pattern is None or tag in wanted or tag in deleted:
                continue
            deleted[tag] = _deletion(tag, live[tag], f"prune: matches pattern {pattern}", None)
    unmanaged = (set(live) | set(live_tags)) - set(wanted) - set(deleted)
    return Plan(
        changes=(*changes, *deleted.values()),
        unmanaged=tuple(unmanaged),
        base_url=base_url,
    )


def _index_desired(desired: Sequence[Desired]) -> dict[str, Desired]:
    wanted: dict[str, Desired] = {}
    for want in desired:
        if want.tag in wanted:
            raise PlanError(
                f"tag {want.tag} is defined twice: in {wanted[want.tag].path} and in {want.path}"
            )
        wanted[want.tag] = want
    return wanted


def compare(want: Desired, live_text: str | None) -> Change:
    """One desired scorecard against the descriptor Cortex serves (None: absent), as a
    plan compares them: a create, an update with its differences, or unchanged."""
    return _compare(want, live_text)


def _compare(want: Desired, live_text: str | None) -> Change:
    if live_text is None:
        form = canonical(want.data)
        fields, rules = describe_canonical(form)
        return Change(
            Action.CREATE,
            want.tag,
            path=want.path,
            desired_fingerprint=canonical_fingerprint(form),
            desired_yaml=want.yaml_text,
            fields=fields,
            rules=rules,
        )
    live = parse_live(want.tag, live_text)
    have = canonical(live)
    wanted = canonical(want.data)
    live_fingerprint = canonical_fingerprint(have)
    notes = [_identifier_note(change) for change in identifier_changes(want.data, live)]
    if _undecidable_service_default(wanted, live):
        # The fingerprint stays that of what Cortex serves (a saved plan checks it).
        have = {key: value for key, value in have.items() if key != "filter"}
        notes.append(UNDECIDABLE_SERVICE_DEFAULT)
    for line in notes:
        log.warning("%s: %s", want.tag, line)
    note = "; ".join(notes)
    desired_fingerprint = canonical_fingerprint(wanted)
    # Equal fingerprints need no pairing and no deepdiff; otherwise only rule
    # identifiers Cortex added may differ, and the diff says whether anything else does.
    if desired_fingerprint != live_fingerprint:
        fields, rules = diff_canonical(wanted, have)
    else:
        fields, rules = (), ()
    if not fields and not rules:
        return Change(
            Action.UNCHANGED,
            want.tag,
            path=want.path,
            reason=note,
            live_fingerprint=live_fingerprint,
        )
    return Change(
        Action.UPDATE,
        want.tag,
        path=want.path,
        reason=note,
        live_fingerprint=live_fingerprint,
        desired_fingerprint=desired_fingerprint,
        desired_yaml=want.yaml_text,
        fields=fields,
        rules=rules,
    )


UNDECIDABLE_SERVICE_DEFAULT = (
    "Cortex serves `filter: {category: SERVICE}` and the repository has no filter; "
    "Cortex has been seen adding that filter itself, so it is not planned as a change "
    "(write the filter out to make the scope certain)"
)


def _identifier_note(change: IdentifierChange) -> str:
    return (
        f"rule '{change.title}': identifier will change ({change.old} → {change.new}): "
        f"exemptions on it will no longer apply; keep it with `identifier: {change.old}`"
    )


def _undecidable_service_default(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """The one filter difference meaning cannot settle (see `descriptor`'s docstring).

    A scorecard posted without a filter has been read back with `category: SERVICE`;
    planning the removal of that filter would then be planned again after every apply.
    """
    return "filter" not in wanted and plain_values(live.get("filter")) == LEGACY_SERVICE_DEFAULT


def remaining_differences(
    tag: str, desired_yaml: str, live_text: str, desired_data: dict[str, Any] | None = None
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """What still differs between a descriptor that was sent and what Cortex serves now,
    compared as a plan compares them (`((), ())` when it converged).

    This is how an apply verifies its writes: a difference here is a phantom diff (the
    next plan would show it again) or a normalization Cortex does that this tool does
    not know yet. `desired_data` is `desired_yaml` already parsed, if the caller has it.
    """
    data = parse_live(tag, desired_yaml) if desired_data is None else desired_data
    change = _compare(Desired(tag, "", data, desired_yaml), live_text)
    return change.fields, change.rules


def _with_rename(change: Change, old_tag: str | None) -> Change:
    if old_tag is None:
        return change
    return Change(
        change.action,
        change.tag,
        path=change.path,
        reason=f"re-tagged from {old_tag}",
        renamed_from=old_tag,
        desired_fingerprint=change.desired_fingerprint,
        desired_yaml=change.desired_yaml,
        fields=change.fields,
        rules=change.rules,
    )


def _deletion(tag: str, live_text: str, reason: str, path: str | None) -> Change:
    return Change(
        Action.DELETE,
        tag,
        path=path,
        reason=reason,
        live_fingerprint=fingerprint(parse_live(tag, live_text)),
    )


def parse_live(tag: str, text: str) -> dict[str, Any]:
    """The data of a descriptor Cortex served; `PlanError` naming the tag if it cannot be read.

    What comes over the network is read like a local file, under the same size, alias
    and depth bounds: an alias bomb or a recursive alias served by the API is refused.
    """
    document, problems = parse_document(LIVE_NAME, text.encode("utf-8", errors="replace"))
    if document is None:
        problem = problems[0]
        raise PlanError(
            f"Cortex served a descriptor for {tag!r} that cannot be read: "
            f"{problem.line}:{problem.column}: {problem.message}"
        )
    if problems:
        # Cortex does not serve duplicate keys; if it did, YAML keeps the last value.
        log.debug("descriptor for %r served by Cortex: %s", tag, problems[0].message)
    return document.data


def _matching_pattern(tag: str, patterns: Sequence[str]) -> str | None:
    return next((pattern for pattern in patterns if fnmatchcase(tag, pattern)), None)
