"""Precision: each single edit of a realistic descriptor plans exactly its change, nothing else.

The table is `tests/data/edits/edits.yaml`; the live side is what the emulator
serves for the unedited `tests/data/edits/base.yaml` (defaults written out,
identifiers assigned, colors normalized), as Cortex would after an apply.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.emulator import Emulator
from scorecards_sync.plan import Action, DiffKind, FieldChange, RuleChange
from scorecards_sync.planner import Desired, make_plan

EDITS_DIR = Path(__file__).parent / "data" / "edits"
BASE_TEXT = (EDITS_DIR / "base.yaml").read_text(encoding="utf-8")
EDITS: list[dict[str, Any]] = yaml.safe_load((EDITS_DIR / "edits.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def live_text() -> str:
    emulator = Emulator()
    tag = emulator.put_descriptor(BASE_TEXT)
    served = emulator.descriptor_text(tag)
    assert served is not None
    return served


def test_the_table_is_large_and_names_are_unique() -> None:
    names = [edit["name"] for edit in EDITS]
    assert len(names) == len(set(names))
    assert len([e for e in EDITS if e.get("fields") or e.get("rules")]) >= 30


@pytest.mark.parametrize("edit", EDITS, ids=[edit["name"] for edit in EDITS])
def test_single_edit_plans_exactly_its_change(edit: dict[str, Any], live_text: str) -> None:
    data = yaml.safe_load(BASE_TEXT)
    for operation in edit["ops"]:
        apply_operation(data, operation)
    text = yaml.safe_dump(data, sort_keys=False)
    desired = Desired(data["tag"], "sc/production-readiness.yaml", data, text)

    plan = make_plan([desired], {data["tag"]: live_text})

    (change,) = plan.changes
    expected_fields = tuple(field_change(f) for f in edit.get("fields", []))
    expected_rules = tuple(rule_change(r) for r in edit.get("rules", []))
    assert change.fields == expected_fields
    assert change.rules == expected_rules
    changed = bool(expected_fields or expected_rules)
    assert change.action is (Action.UPDATE if changed else Action.UNCHANGED)


@pytest.mark.parametrize("edit", EDITS, ids=[edit["name"] for edit in EDITS])
def test_after_applying_the_edit_the_plan_is_empty(edit: dict[str, Any]) -> None:
    data = yaml.safe_load(BASE_TEXT)
    for operation in edit["ops"]:
        apply_operation(data, operation)
    text = yaml.safe_dump(data, sort_keys=False)
    emulator = Emulator()
    emulator.put_descriptor(BASE_TEXT)
    tag = emulator.put_descriptor(text)
    served = emulator.descriptor_text(tag)
    assert served is not None

    plan = make_plan([Desired(tag, "sc/p.yaml", data, text)], {tag: served})

    assert [c.action for c in plan.changes] == [Action.UNCHANGED]


def field_change(data: dict[str, Any]) -> FieldChange:
    return FieldChange(data["path"], DiffKind(data["kind"]), data.get("old"), data.get("new"))


def rule_change(data: dict[str, Any]) -> RuleChange:
    fields = tuple(field_change(f) for f in data.get("fields", []))
    return RuleChange(data["title"], DiffKind(data["kind"]), fields)


def apply_operation(data: dict[str, Any], operation: dict[str, Any]) -> None:
    if "set" in operation:
        parent, key = locate(data, operation["set"])
        parent[key] = copy.deepcopy(operation["value"])
    elif "remove" in operation:
        parent, key = locate(data, operation["remove"])
        del parent[key]
    elif "append" in operation:
        parent, key = locate(data, operation["append"])
        parent[key].append(copy.deepcopy(operation["value"]))
    elif "swap" in operation:
        (one, first), (other, second) = (locate(data, p) for p in operation["swap"])
        one[first], other[second] = other[second], one[first]
    else:
        raise AssertionError(f"unknown operation {operation}")


def locate(data: Any, path: str) -> tuple[Any, Any]:
    """The container holding `path` (keys and indexes joined by `/`), and the last key."""
    *parents, last = [int(part) if part.isdigit() else part for part in path.split("/")]
    for part in parents:
        data = data[part]
    return data, last
