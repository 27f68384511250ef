"""Field- and rule-level differences between a desired and a live descriptor.

Both sides are first brought to their `descriptor.comparable` forms (canonical,
rules keyed alike), levels are keyed by name (a level renamed in place, same
rank, stays paired), and deepdiff finds what differs. Its findings are then
turned into what a reviewer reads: `FieldChange`s with human paths such as
`ladder.levels[Gold].color` or `filter.types.include`, and one `RuleChange`
per rule. A list is reported whole (`[a] → [a, b]`), never item by item, and a
filter whose shape changed (legacy `category` ↔ `kind: GENERIC`) is reported as
one change of `filter`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from scorecards_sync.descriptor import (
    LEVEL_KEY_ORDER,
    RULE_KEY_ORDER,
    TOP_KEY_ORDER,
    canonical,
    pair_rules,
)
from scorecards_sync.plan import DiffKind, FieldChange, RuleChange

Path = tuple[str | int, ...]


class _Absent:
    """Marks a value present on one side only."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()


def diff_descriptors(
    desired: Mapping[str, Any], live: Mapping[str, Any]
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """What would change in `live` if `desired` were sent: `((), ())` when nothing."""
    return diff_canonical(canonical(desired), canonical(live))


def diff_canonical(
    want: dict[str, Any], have: dict[str, Any]
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """`diff_descriptors` of two canonical forms, which it takes over (and rearranges)."""
    want, have = pair_rules(want, have)
    if want == have:
        return (), ()
    _key_levels(want, have)
    if "rules" in want or "rules" in have:
        # Rules added or removed all at once still read as one change per rule.
        want.setdefault("rules", {})
        have.setdefault("rules", {})
    # Always descend: by default deepdiff reports a mapping whose keys mostly differ
    # as one replaced value, which would hide which rule or level field changed.
    tree = DeepDiff(have, want, view="tree", threshold_to_diff_deeper=0)
    paths: set[Path] = set()
    for findings in tree.values():
        for finding in findings:
            path: Path = tuple(finding.path(output_format="list"))
            paths.add(_reported_path(path, have, want))
    return _field_changes(paths, have, want), _rule_changes(paths, have, want)


def describe_new(
    desired: Mapping[str, Any],
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """What a create shows: the scorecard's name, whether it is a draft, and each rule."""
    return describe_canonical(canonical(desired))


def describe_canonical(
    data: Mapping[str, Any],
) -> tuple[tuple[FieldChange, ...], tuple[RuleChange, ...]]:
    """`describe_new` of a form `canonical` already produced (it is only read)."""
    fields: tuple[FieldChange, ...] = (
        FieldChange("name", DiffKind.ADDED, None, jsonable(data.get("name"))),
    )
    if data.get("draft") is True:
        fields += (FieldChange("draft", DiffKind.ADDED, None, True),)
    rules = data.get("rules")
    titles = [_rule_title(rule, "") for rule in rules] if isinstance(rules, list) else []
    return fields, tuple(RuleChange(title, DiffKind.ADDED) for title in sorted(titles))


def jsonable(value: Any) -> Any:
    """`value` with what YAML may produce but JSON cannot hold (dates) made strings."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _key_levels(want: dict[str, Any], have: dict[str, Any]) -> None:
    """Turn both sides' `ladder.levels` lists into mappings keyed by the desired names.

    Levels pair by name; a level left over on each side with the same rank is
    the same level renamed, keyed by its new name so that the rename reads as a
    change of its `name`.
    """
    want_levels = _levels_of(want)
    have_levels = _levels_of(have)
    want_keyed: dict[str, Any] = {}
    for index, level in enumerate(want_levels or []):
        want_keyed[_unique(_level_name(level, index), want_keyed)] = level
    have_keyed: dict[str, Any] = {}
    leftovers: list[tuple[int, Any]] = []
    for index, level in enumerate(have_levels or []):
        name = _level_name(level, index)
        if name in want_keyed and name not in have_keyed:
            have_keyed[name] = level
        else:
            leftovers.append((index, level))
    unpaired_wanted = {
        _rank(level): key for key, level in want_keyed.items() if key not in have_keyed
    }
    for index, level in leftovers:
        key = unpaired_wanted.pop(_rank(level), None) if _rank(level) is not None else None
        if key is None:
            key = _unique(_level_name(level, index), {**want_keyed, **have_keyed})
        have_keyed[key] = level
    if want_levels is not None:
        want["ladder"]["levels"] = want_keyed
    if have_levels is not None:
        have["ladder"]["levels"] = have_keyed


def _levels_of(data: Mapping[str, Any]) -> list[Any] | None:
    ladder = data.get("ladder")
    if isinstance(ladder, dict) and isinstance(ladder.get("levels"), list):
        return list(ladder["levels"])
    return None


def _level_name(level: Any, index: int) -> str:
    if isinstance(level, Mapping) and isinstance(level.get("name"), str):
        return str(level["name"])
    return f"#{index + 1}"


def _rank(level: Any) -> int | None:
    rank = level.get("rank") if isinstance(level, Mapping) else None
    return rank if isinstance(rank, int) else None


def _unique(key: str, taken: Mapping[str, Any]) -> str:
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key} ({n})", n + 1
    return candidate


def _reported_path(path: Path, have: Any, want: Any) -> Path:
    """Where a finding is reported: lists whole, reshaped filters whole."""
    for position, key in enumerate(path):
        if isinstance(key, int):
            path = path[:position]
            break
    for position in _filter_positions(path):
        prefix = path[: position + 1]
        if _filter_shape(_lookup(have, prefix)) != _filter_shape(_lookup(want, prefix)):
            return prefix
        # `types: {include: [...]}` → `types: {exclude: [...]}` reads best as one change.
        part = path[: position + 2]
        if len(path) > position + 2 and path[-1] != part[-1] and part[-1] in ("types", "groups"):
            old, new = _lookup(have, part), _lookup(want, part)
            if isinstance(old, Mapping) and isinstance(new, Mapping) and set(old).isdisjoint(new):
                return part
    return path


def _filter_positions(path: Path) -> list[int]:
    positions = []
    if path[:1] == ("filter",):
        positions.append(0)
    if len(path) > 2 and path[0] == "rules" and path[2] == "filter":
        positions.append(2)
    return positions


def _filter_shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return "legacy" if "category" in value else "current"
    return "none"


def _lookup(data: Any, path: Path) -> Any:
    for key in path:
        in_mapping = isinstance(data, Mapping) and key in data
        in_list = isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)
        if not (in_mapping or in_list):
            return ABSENT
        data = data[key]
    return data


def _field_change(label: str, old: Any, new: Any) -> FieldChange:
    if old is ABSENT:
        return FieldChange(label, DiffKind.ADDED, None, jsonable(new))
    if new is ABSENT:
        return FieldChange(label, DiffKind.REMOVED, jsonable(old), None)
    return FieldChange(label, DiffKind.CHANGED, jsonable(old), jsonable(new))


def _field_changes(paths: set[Path], have: Any, want: Any) -> tuple[FieldChange, ...]:
    top = sorted((p for p in paths if p and p[0] != "rules"), key=_top_sort_key)
    return tuple(
        _field_change(_human_path(p), _as_written(_lookup(have, p)), _as_written(_lookup(want, p)))
        if p == ("ladder",)
        else _field_change(_human_path(p), _lookup(have, p), _lookup(want, p))
        for p in top
    )


def _as_written(ladder: Any) -> Any:
    """A whole ladder with its levels listed again (they were keyed by name for diffing)."""
    if isinstance(ladder, dict) and isinstance(ladder.get("levels"), dict):
        return {**ladder, "levels": list(ladder["levels"].values())}
    return ladder


def _rule_changes(paths: set[Path], have: Any, want: Any) -> tuple[RuleChange, ...]:
    by_rule: dict[str, list[Path]] = {}
    for path in paths:
        if len(path) >= 2 and path[0] == "rules":
            by_rule.setdefault(str(path[1]), []).append(path)
    changes = []
    for key, rule_paths in by_rule.items():
        old_rule = _lookup(have, ("rules", key))
        new_rule = _lookup(want, ("rules", key))
        if old_rule is ABSENT:
            changes.append(RuleChange(_rule_title(new_rule, key), DiffKind.ADDED))
        elif new_rule is ABSENT:
            changes.append(RuleChange(_rule_title(old_rule, key), DiffKind.REMOVED))
        else:
            inner = sorted((p[2:] for p in rule_paths if len(p) > 2), key=_rule_sort_key)
            fields = tuple(
                _field_change(_human_path(p), _lookup(old_rule, p), _lookup(new_rule, p))
                for p in inner
            )
            changes.append(RuleChange(_rule_title(new_rule, key), DiffKind.CHANGED, fields))
    return tuple(sorted(changes, key=lambda c: (c.title, c.kind.value)))


def _rule_title(rule: Any, fallback: str) -> str:
    if isinstance(rule, Mapping):
        for key in ("title", "expression"):
            if isinstance(rule.get(key), str) and rule[key]:
                return str(rule[key])
    return fallback


def _human_path(path: Path) -> str:
    """`("ladder", "levels", "Gold", "color")` → `ladder.levels[Gold].color`."""
    text = ""
    inside_levels = False
    for key in path:
        if inside_levels:
            text += f"[{key}]"
            inside_levels = False
            continue
        text += f".{key}" if text else str(key)
        inside_levels = text == "ladder.levels"
    return text


def _order(key: str | int, order: tuple[str, ...]) -> tuple[int, str]:
    return (order.index(key), "") if key in order else (len(order), str(key))


def _top_sort_key(path: Path) -> tuple[tuple[int, str], ...]:
    keys = [_order(path[0], TOP_KEY_ORDER)]
    if path[:2] == ("ladder", "levels"):
        keys += [(0, ""), (0, str(path[2]) if len(path) > 2 else "")]
        keys += [_order(k, LEVEL_KEY_ORDER) for k in path[3:]]
    else:
        keys += [(0, str(k)) for k in path[1:]]
    return tuple(keys)


def _rule_sort_key(path: Path) -> tuple[tuple[int, str], ...]:
    return (_order(path[0], RULE_KEY_ORDER), *((0, str(k)) for k in path[1:]))
