"""The plan: what would change in Cortex, as values that can be saved, checked and applied.

A plan holds, per scorecard, the action, the field- and rule-level differences
to show a reviewer, the exact YAML it will send, and the fingerprint of the
live descriptor it was computed against (so that a saved plan can refuse to
apply when Cortex moved in between). It never holds the API key.

JSON form (`Plan.to_json`, what `plan --out` writes), version 1:

    {"format": "scorecards-sync-plan", "version": 1, "tool_version": "...",
     "base_url": "...", "checksum": "sha256:...",
     "summary": {"create": n, "update": n, "delete": n, "unchanged": n},
     "changes": [{"action", "tag", "path", "reason", "renamed_from",
                  "live_fingerprint", "desired_fingerprint", "desired_yaml",
                  "fields": [{"path", "kind", "old", "new"}],
                  "rules": [{"title", "kind", "fields": [...]}],
                  "server_validation": {"ok", "messages"} | null}],
     "unmanaged": ["tag", ...]}

- `changes` come in apply order: creates, updates, deletes, unchanged; by tag within each.
  A tag has at most one change (a plan file with more is refused).
- `action`: "create" | "update" | "delete" | "unchanged".
- `path`: the descriptor file, relative to where `plan` ran; null for a prune delete.
- `reason`: why a delete happens ("descriptor file X removed since base",
  "re-tagged: file X now holds tag Y", "prune: matches pattern P"), or
  "re-tagged from T" on the create that replaces a re-tagged scorecard (whose
  old tag is also in `renamed_from`); "" otherwise.
- `live_fingerprint`: "sha256:<hex>" of the canonical form of the descriptor
  Cortex served (updates, deletes, unchanged; null for creates). `apply --plan`
  refuses to touch a scorecard whose live fingerprint moved since.
- `desired_fingerprint`, `desired_yaml`: for creates and updates, the canonical
  fingerprint and the exact file text that will be sent.
- `fields`: top-level differences. `path` is human-readable
  (`ladder.levels[Gold].color`, `filter.types.include`); `kind` is "added",
  "removed" or "changed"; `old`/`new` are JSON values in canonical form (colors
  upper case with `#`, include lists sorted), null on the side that lacks the field.
  A create lists its `name` as added.
- `rules`: one entry per rule added, removed or changed; `fields` (changed rules
  only) hold paths relative to the rule (`level`, `weight`, `filter.query`).
  A create lists each of its rules as added.
- `server_validation`: null unless the plan was made with `--server-validate`;
  then whether Cortex accepted the descriptor with `dryRun=true`, and what it said.
- `unmanaged`: live tags the repository does not hold and the plan does not
  delete, sorted. They are never touched.

"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from scorecards_sync import __version__
from scorecards_sync.errors import PlanError, UnsafePlan
from scorecards_sync.thresholds import Thresholds as Thresholds  # re-exported: a plan value
from scorecards_sync.value_kinds import kind_of

_E = TypeVar("_E", bound=StrEnum)

PLAN_FORMAT = "scorecards-sync-plan"
PLAN_VERSION = 1


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


# The order changes are shown and applied in: writes before deletes.
ACTION_ORDER: Mapping[Action, int] = {
    Action.CREATE: 0,
    Action.UPDATE: 1,
    Action.DELETE: 2,
    Action.UNCHANGED: 3,
}


class DiffKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class FieldChange:
    """One value that differs: `path` is human-readable, e.g. `ladder.levels[Gold].color`."""

    path: str
    kind: DiffKind
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class RuleChange:
    """A rule added, removed, or changed (then `fields` says how)."""

    title: str
    kind: DiffKind
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ServerVerdict:
    """What Cortex said of the descriptor when sent with `dryRun=true`."""

    ok: bool
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    action: Action
    tag: str
    path: str | None = None
    reason: str = ""
    renamed_from: str | None = None
    live_fingerprint: str | None = None
    desired_fingerprint: str | None = None
    desired_yaml: str | None = None
    fields: tuple[FieldChange, ...] = ()
    rules: tuple[RuleChange, ...] = ()
    server_validation: ServerVerdict | None = None

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ACTION_ORDER[self.action], self.tag)

    def with_verdict(self, verdict: ServerVerdict) -> Change:
        return replace(self, server_validation=verdict)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    unmanaged: tuple[str, ...] = ()
    base_url: str = ""
    # The named workspace of the config file it was made for ("" when none was chosen).
    workspace: str = ""
    tool_version: str = field(default=__version__, compare=False)
    # Filled by the first `checksum()`: the plan is immutable, so the digest is too.
    _checksum: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One order everywhere (display, JSON, apply): creates, updates, deletes, unchanged.
        object.__setattr__(self, "changes", tuple(sorted(self.changes, key=lambda c: c.sort_key)))
        object.__setattr__(self, "unmanaged", tuple(sorted(self.unmanaged)))
        # One change per scorecard: the applier runs changes concurrently, and the
        # staleness check holds one fingerprint per tag.
        seen: set[str] = set()
        for change in self.changes:
            if change.tag in seen:
                raise PlanError(f"the plan holds more than one change for scorecard {change.tag}")
            seen.add(change.tag)

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.UNCHANGED)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def counts(self) -> dict[str, int]:
        counted = Counter(c.action for c in self.changes)
        return {action.value: counted.get(action, 0) for action in Action}

    def by_action(self, action: Action) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is action)

    def checksum(self) -> str:
        """Digest of what applying this plan does, from which live state.

        Left out, because they describe the plan rather than make it up: the
        server-validation verdicts (a plan reviewed with `--server-validate` on a pull
        request has the checksum of the one computed on merge), and the list of live
        scorecards the repository does not manage (another team creating a scorecard
        between review and merge changes nothing this plan does).
        """
        if not self._checksum:
            body = _plan_body(self)
            del body["unmanaged"]
            for change in body["changes"]:
                del change["server_validation"]
            encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            # A file name that is not UTF-8 holds lone surrogates (os.fsdecode): digest
            # them as they are rather than fail.
            raw = encoded.encode("utf-8", "surrogatepass")
            digest = "sha256:" + hashlib.sha256(raw).hexdigest()
            object.__setattr__(self, "_checksum", digest)
        return self._checksum

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "tool_version": self.tool_version,
            "checksum": self.checksum(),
            "summary": self.counts(),
            **_plan_body(self),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """The plan a `to_json` body holds; `PlanError` for anything else, never a crash."""
        if not isinstance(data, Mapping):
            raise PlanError("not a scorecards-sync plan file (not a JSON object)")
        if data.get("format") != PLAN_FORMAT:
            raise PlanError("not a scorecards-sync plan file (missing `format` marker)")
        if data.get("version") != PLAN_VERSION:
            raise PlanError(
                f"plan file version {data.get('version')!r} is not supported "
                f"(this scorecards-sync reads version {PLAN_VERSION}); run `plan` again"
            )
        try:
            plan = cls(
                changes=tuple(
                    _change_from_json(_mapping(c, f"changes[{i}]"), f"changes[{i}]")
                    for i, c in enumerate(_list(data, "changes", "", required=True))
                ),
                unmanaged=tuple(
                    _string(t, f"unmanaged[{i}]")
                    for i, t in enumerate(_list(data, "unmanaged", ""))
                ),
                base_url=_text(data, "base_url", ""),
                workspace=_text(data, "workspace", ""),
                tool_version=_text(data, "tool_version", ""),
            )
        except (_Malformed, PlanError) as exc:
            raise PlanError(f"plan file is malformed: {exc}; run `plan --out` again") from None
        recorded = data.get("checksum")
        if recorded != plan.checksum():
            raise PlanError(
                "plan file checksum does not match its content: it was edited or corrupted; "
                "run `plan --out` again"
            )
        return plan


def managed_count(plan: Plan) -> int:
    """Live scorecards this plan manages: the base of the thresholds' shares."""
    counts = plan.counts()
    return counts["update"] + counts["delete"] + counts["unchanged"]


def check_safety(plan: Plan, thresholds: Thresholds) -> UnsafePlan | None:
    """Why `plan` updates or deletes too much of what is managed to apply unasked, or None.

    The one judge of a plan's size (octoDNS's `Plan.raise_if_unsafe`), as a value: each
    caller decides what to do with a verdict, and what `--force` means there (show the
    plan and fail, refuse before applying, or go ahead and say so).
    """
    managed = managed_count(plan)
    counts = plan.counts()
    updates, deletes = counts["update"], counts["delete"]
    excesses: list[str] = []
    # A re-tagged scorecard lives on under its new tag: its delete is a rename.
    renamed = {c.renamed_from for c in plan.by_action(Action.CREATE) if c.renamed_from}
    renames = sum(1 for c in plan.by_action(Action.DELETE) if c.tag in renamed)
    deletes_all = deletes > renames and managed - deletes + renames <= 0
    if deletes_all:
        # Wiping out everything managed is what a wrong path or an empty checkout looks
        # like, however few scorecards there are: `min_managed` does not excuse it.
        excesses.append(
            f"it deletes every managed scorecard ({deletes} of {managed}), leaving none in Cortex"
        )
    limit = thresholds.max_deletes
    if limit is not None and deletes > limit:
        excesses.append(
            f"it deletes {deletes} scorecards, more than thresholds.max_deletes ({limit})"
        )
    if managed > 0 and managed >= thresholds.min_managed:
        for verb, count, share, setting in (
            ("updates", updates, thresholds.max_update_share, "max_update_share"),
            ("deletes", deletes, thresholds.max_delete_share, "max_delete_share"),
        ):
            if count / managed > share:
                excesses.append(
                    f"it {verb} {count} of {managed} managed scorecards "
                    f"({count / managed:.0%}), more than thresholds.{setting} ({share:.0%})"
                )
    if not excesses:
        return None
    # No threshold allows deleting everything: only --force goes past that one.
    adjustable = len(excesses) > int(deletes_all)
    return UnsafePlan(
        "plan refused as unsafe: "
        + "; ".join(excesses)
        + ". Review the plan; to apply it anyway re-run with --force"
        + (" (or raise the thresholds in the configuration)." if adjustable else "."),
        reasons=tuple(excesses),
    )


def _plan_body(plan: Plan) -> dict[str, Any]:
    # `workspace` only when there is one: a plan made without workspaces keeps the body,
    # and so the checksum, it always had.
    workspace = {"workspace": plan.workspace} if plan.workspace else {}
    return {
        "base_url": plan.base_url,
        **workspace,
        "changes": [_change_to_json(c) for c in plan.changes],
        "unmanaged": list(plan.unmanaged),
    }


def _field_to_json(change: FieldChange) -> dict[str, Any]:
    return {"path": change.path, "kind": change.kind.value, "old": change.old, "new": change.new}


def fields_to_json(fields: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
    """Field changes as a plan's JSON holds them (`[{"path", "kind", "old", "new"}]`)."""
    return [_field_to_json(f) for f in fields]


def rules_to_json(rules: tuple[RuleChange, ...]) -> list[dict[str, Any]]:
    """Rule changes as a plan's JSON holds them (`[{"title", "kind", "fields"}]`)."""
    return [
        {"title": r.title, "kind": r.kind.value, "fields": fields_to_json(r.fields)} for r in rules
    ]


def _change_to_json(change: Change) -> dict[str, Any]:
    verdict = change.server_validation
    return {
        "action": change.action.value,
        "tag": change.tag,
        "path": change.path,
        "reason": change.reason,
        "renamed_from": change.renamed_from,
        "live_fingerprint": change.live_fingerprint,
        "desired_fingerprint": change.desired_fingerprint,
        "desired_yaml": change.desired_yaml,
        "fields": fields_to_json(change.fields),
        "rules": rules_to_json(change.rules),
        "server_validation": (
            None if verdict is None else {"ok": verdict.ok, "messages": list(verdict.messages)}
        ),
    }


class _Malformed(Exception):
    """A value of a plan file that is missing or of the wrong type; says where."""


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Malformed(f"`{where}` must be an object, not {kind_of(value, 'json')}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"`{where}` must be a string, not {kind_of(value, 'json')}")
    return value


def _list(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> list[Any]:
    if key not in data and not required:
        return []
    value = data.get(key)
    if not isinstance(value, list):
        raise _Malformed(f"`{_at(where, key)}` must be a list, not {kind_of(value, 'json')}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    if key not in data and not required:
        return ""
    return _string(data.get(key), _at(where, key))


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    return None if value is None else _string(value, _at(where, key))


def _enum(data: Mapping[str, Any], key: str, where: str, kind: type[_E]) -> _E:
    value: Any = data.get(key)
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(f'"{member.value}"' for member in kind)
        raise _Malformed(f"`{_at(where, key)}` must be one of {known}, not {value!r}") from None


def _field_from_json(value: Any, where: str) -> FieldChange:
    data = _mapping(value, where)
    return FieldChange(
        _text(data, "path", where, required=True),
        _enum(data, "kind", where, DiffKind),
        data.get("old"),
        data.get("new"),
    )


def _fields_from_json(data: Mapping[str, Any], where: str) -> tuple[FieldChange, ...]:
    return tuple(
        _field_from_json(f, f"{_at(where, 'fields')}[{i}]")
        for i, f in enumerate(_list(data, "fields", where))
    )


def _rule_from_json(value: Any, where: str) -> RuleChange:
    data = _mapping(value, where)
    return RuleChange(
        _text(data, "title", where, required=True),
        _enum(data, "kind", where, DiffKind),
        _fields_from_json(data, where),
    )


def _verdict_from_json(value: Any, where: str) -> ServerVerdict | None:
    if value is None:
        return None
    data = _mapping(value, where)
    ok = data.get("ok")
    if not isinstance(ok, bool):
        raise _Malformed(f"`{where}.ok` must be a boolean, not {kind_of(ok, 'json')}")
    messages = _list(data, "messages", where)
    return ServerVerdict(
        ok, tuple(_string(m, f"{where}.messages[{i}]") for i, m in enumerate(messages))
    )


def _change_from_json(data: Mapping[str, Any], where: str) -> Change:
    tag = _text(data, "tag", where, required=True)
    if not tag:
        raise _Malformed(f"`{where}.tag` is empty")
    return Change(
        action=_enum(data, "action", where, Action),
        tag=tag,
        path=_optional_text(data, "path", where),
        reason=_text(data, "reason", where),
        renamed_from=_optional_text(data, "renamed_from", where),
        live_fingerprint=_optional_text(data, "live_fingerprint", where),
        desired_fingerprint=_optional_text(data, "desired_fingerprint", where),
        desired_yaml=_optional_text(data, "desired_yaml", where),
        fields=_fields_from_json(data, where),
        rules=tuple(
            _rule_from_json(r, f"{where}.rules[{i}]")
            for i, r in enumerate(_list(data, "rules", where))
        ),
        server_validation=_verdict_from_json(
            data.get("server_validation"), f"{where}.server_validation"
        ),
    )
