"""Differences beyond the single edits of the precision table: whole sections, creates, values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from scorecards_sync.descriptor_diff import describe_new, diff_descriptors, jsonable
from scorecards_sync.plan import DiffKind, FieldChange, RuleChange

POINTS: dict[str, Any] = {
    "tag": "a",
    "name": "A",
    "rules": [{"title": "r", "expression": "x", "weight": 2}],
}
LEVELS: dict[str, Any] = {
    "tag": "a",
    "name": "A",
    "ladder": {"levels": [{"name": "B", "rank": 1, "color": "fff000"}]},
    "rules": [{"title": "r", "expression": "x", "level": "B"}],
}
LADDER = {"name": "Default Ladder", "levels": [{"name": "B", "rank": 1, "color": "#FFF000"}]}


def test_point_based_scorecard_given_a_ladder() -> None:
    fields, rules = diff_descriptors(LEVELS, POINTS)
    assert fields == (FieldChange("ladder", DiffKind.ADDED, None, LADDER),)
    assert rules == (
        RuleChange(
            "r",
            DiffKind.CHANGED,
            (
                FieldChange("weight", DiffKind.CHANGED, 2, 1),
                FieldChange("level", DiffKind.ADDED, None, "B"),
            ),
        ),
    )


def test_ladder_scorecard_made_point_based() -> None:
    fields, _ = diff_descriptors(POINTS, LEVELS)
    assert fields == (FieldChange("ladder", DiffKind.REMOVED, LADDER, None),)


def test_all_rules_removed_reads_one_removal_per_rule() -> None:
    live = {**POINTS, "rules": [*POINTS["rules"], {"title": "s", "expression": "y"}]}
    fields, rules = diff_descriptors({"tag": "a", "name": "A"}, live)
    assert fields == ()
    assert rules == (RuleChange("r", DiffKind.REMOVED), RuleChange("s", DiffKind.REMOVED))


def test_several_changes_come_in_descriptor_order() -> None:
    desired = {
        **LEVELS,
        "name": "B",
        "draft": True,
        "filter": {"query": "q"},
        "evaluation": {"window": 8},
    }
    fields, _ = diff_descriptors(desired, LEVELS)
    assert [f.path for f in fields] == [
        "name",
        "draft",
        # A draft's notifications default to off: toggling draft changes them too.
        "notifications.enabled",
        "evaluation.window",
        "filter",
    ]


def test_rule_changes_come_by_title_and_fields_in_rule_key_order() -> None:
    live = {
        "tag": "a",
        "name": "A",
        "rules": [
            {"title": "b", "expression": "x", "failureMessage": "m", "weight": 1},
            {"title": "a", "expression": "y"},
        ],
    }
    desired = {
        "tag": "a",
        "name": "A",
        "rules": [
            {"title": "b", "expression": "x2", "failureMessage": "m2", "weight": 3},
            {"title": "c", "expression": "z"},
        ],
    }
    _, rules = diff_descriptors(desired, live)
    assert [(r.title, r.kind) for r in rules] == [
        ("a", DiffKind.REMOVED),
        ("b", DiffKind.CHANGED),
        ("c", DiffKind.ADDED),
    ]
    assert [f.path for f in rules[1].fields] == ["expression", "weight", "failureMessage"]


def test_describe_new_lists_name_draft_and_rules() -> None:
    fields, rules = describe_new(
        {**POINTS, "draft": True, "rules": [{"title": "z"}, {"title": "y"}]}
    )
    assert fields == (
        FieldChange("name", DiffKind.ADDED, None, "A"),
        FieldChange("draft", DiffKind.ADDED, None, True),
    )
    assert rules == (RuleChange("y", DiffKind.ADDED), RuleChange("z", DiffKind.ADDED))
    assert describe_new(POINTS)[0] == (FieldChange("name", DiffKind.ADDED, None, "A"),)


def test_values_are_made_json_safe() -> None:
    assert jsonable({1: dt.date(2024, 7, 1), "x": (1, None), "y": {1.5}}) == {
        "1": "2024-07-01",
        "x": [1, None],
        "y": "{1.5}",
    }


def test_a_rule_rewritten_entirely_still_lists_each_field() -> None:
    live = {
        "tag": "a",
        "name": "A",
        "rules": [{"title": "r", "expression": "x", "level": "B", "failureMessage": "m"}],
    }
    desired = {
        "tag": "a",
        "name": "A",
        "rules": [{"title": "r", "expression": "y", "weight": 5, "description": "d"}],
    }
    _, rules = diff_descriptors(desired, live)
    assert rules == (
        RuleChange(
            "r",
            DiffKind.CHANGED,
            (
                FieldChange("description", DiffKind.ADDED, None, "d"),
                FieldChange("expression", DiffKind.CHANGED, "x", "y"),
                FieldChange("weight", DiffKind.CHANGED, 1, 5),
                FieldChange("level", DiffKind.REMOVED, "B", None),
                FieldChange("failureMessage", DiffKind.REMOVED, "m", None),
            ),
        ),
    )


def test_every_rule_replaced_reads_as_removals_and_additions() -> None:
    live = {"tag": "a", "name": "A", "rules": [{"title": "p", "expression": "1"}]}
    desired = {"tag": "a", "name": "A", "rules": [{"title": "q", "expression": "2"}]}
    assert diff_descriptors(desired, live) == (
        (),
        (RuleChange("p", DiffKind.REMOVED), RuleChange("q", DiffKind.ADDED)),
    )
