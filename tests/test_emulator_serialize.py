"""Descriptors written the way Cortex's `GET .../descriptor` writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator.serialize import (
    descriptor_yaml,
    filter_json,
    prepare,
    scorecard_json,
)
from scorecards_sync.loader import parse_document

RAW_SAMPLE = "learn-cortex__learn-gitops__raw-GET-descriptor-45edda9.yaml"
DATA = Path(__file__).resolve().parent / "data" / "emulator"


def _served(data: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    return descriptor_yaml(prepare(data, previous))


def test_the_raw_cortex_body_is_reproduced_byte_for_byte(corpus_dir: Path) -> None:
    raw = (corpus_dir / "scorecards" / RAW_SAMPLE).read_bytes()
    document, problems = parse_document(RAW_SAMPLE, raw)
    assert document is not None, problems
    assert _served(document.data).encode("utf-8") == raw


def test_a_cortex_export_with_jackson_quoting_is_reproduced_byte_for_byte() -> None:
    # cortexapps/learn-cortex@c389789, data/scorecards/learn-linux-shell-iterm2.yaml: the
    # body of GET .../descriptor, committed by the repository's publishing workflow.
    raw = (DATA / "learn-linux-shell-iterm2.raw.yaml").read_bytes()
    document, problems = parse_document("learn-linux-shell-iterm2.yaml", raw)
    assert document is not None, problems
    assert _served(document.data).encode("utf-8") == raw


@pytest.mark.parametrize(
    ("value", "served"),
    [
        ('hasGroup("a") and x.in(["b"])', 'key: "hasGroup(\\"a\\") and x.in([\\"b\\"])"'),
        ("Blah, blah, blah", 'key: "Blah, blah, blah"'),
        ("a {b} c", 'key: "a {b} c"'),
        ("git != null", "key: git != null"),
        ("see #channel", 'key: "see #channel"'),
        ("issue#4", "key: issue#4"),
        ("line one [x]\nline two\n", "key: |\n  line one [x]\n  line two\n"),
    ],
)
def test_strings_are_quoted_where_jackson_quotes_them(value: str, served: str) -> None:
    text = descriptor_yaml({"key": value})
    assert text == served


def test_a_color_keeps_the_case_it_was_posted_in() -> None:
    # The Terraform provider's acceptance tests post #c38b5f and read back #c38b5f.
    ladder = {
        "levels": [
            {"name": "A", "rank": 1, "color": "#c38b5f"},
            {"name": "B", "rank": 2, "color": "7CF376"},
        ]
    }
    stored = prepare({"tag": "t", "name": "T", "ladder": ladder, "rules": []}, None)
    assert [level["color"] for level in stored["ladder"]["levels"]] == ["#c38b5f", "#7CF376"]


def test_defaults_are_written_out_and_identifiers_added() -> None:
    text = _served(
        {
            "tag": "t",
            "name": "T",
            "ladder": {"levels": [{"name": "Bronze", "rank": 1, "color": "cd7f32"}]},
            "rules": [{"title": "R", "expression": "git != null", "level": "Bronze"}],
        }
    )
    assert text == (
        "tag: t\n"
        "name: T\n"
        "draft: false\n"
        "notifications:\n"
        "  enabled: true\n"
        "  scoreDropNotificationsEnabled: false\n"
        "exemptions:\n"
        "  enabled: true\n"
        "  autoApprove: false\n"
        "evaluation:\n"
        "  window: 4\n"
        "ladder:\n"
        "  name: Default Ladder\n"
        "  levels:\n"
        "  - name: Bronze\n"
        "    rank: 1\n"
        '    color: "#cd7f32"\n'
        "rules:\n"
        "- title: R\n"
        "  expression: git != null\n"
        f"  identifier: {rule_identifier('git != null')}\n"
        "  weight: 1\n"
        "  level: Bronze"
    )


def test_keys_come_out_in_cortex_order_whatever_the_input_order() -> None:
    data = {
        "rules": [{"level": "L", "weight": 2, "expression": "e", "title": "T"}],
        "filter": {"query": "q", "kind": "GENERIC"},
        "name": "N",
        "tag": "t",
        "ladder": {"levels": [{"color": "#FFFFFF", "rank": 1, "name": "L"}]},
    }
    loaded = yaml.safe_load(_served(data))
    assert list(loaded) == [
        "tag",
        "name",
        "draft",
        "notifications",
        "exemptions",
        "evaluation",
        "ladder",
        "rules",
        "filter",
    ]
    assert list(loaded["rules"][0]) == ["title", "expression", "identifier", "weight", "level"]
    assert list(loaded["ladder"]["levels"][0]) == ["name", "rank", "color"]
    assert list(loaded["filter"]) == ["kind", "query"]


def test_long_plain_lines_fold_near_80_columns_and_read_back_the_same() -> None:
    description = " ".join(["Scorecards keep services honest about their basics."] * 5)
    text = _served({"tag": "t", "name": "N", "description": description, "rules": []})
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[2].startswith("description: Scorecards")
    assert lines[3].startswith("  ")
    assert yaml.safe_load(text)["description"] == description


def test_multi_line_strings_are_literal_blocks() -> None:
    data = {
        "tag": "t",
        "name": "N",
        "description": "kept newline\n",
        "rules": [{"title": "R", "expression": "e", "failureMessage": "one\n\ntwo"}],
    }
    text = _served(data)
    assert "description: |\n  kept newline\n" in text
    assert "  failureMessage: |-\n    one\n\n    two" in text
    assert yaml.safe_load(text)["rules"][0]["failureMessage"] == "one\n\ntwo"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("#C0C0C0", '"#C0C0C0"'),
        ("yes", '"yes"'),
        ("123", '"123"'),
        ("a: b", '"a: b"'),
        ("it's", "it's"),
        ("plain words", "plain words"),
    ],
)
def test_scalars_are_quoted_with_double_quotes_only_where_needed(value: str, written: str) -> None:
    text = _served({"tag": "t", "name": value, "rules": []})
    assert f"name: {written}\n" in text
    assert yaml.safe_load(text)["name"] == value


def test_no_trailing_newline_unless_the_last_value_needs_it() -> None:
    assert not _served({"tag": "t", "name": "N", "rules": []}).endswith("\n")
    data = {"tag": "t", "name": "N", "rules": [{"title": "R", "expression": "e\n"}]}
    text = _served(data)
    assert yaml.safe_load(text)["rules"][0]["expression"] == "e\n"


def test_rule_filters_are_served_as_posted_and_absent_ones_stay_absent() -> None:
    data = {
        "tag": "t",
        "name": "N",
        "rules": [
            {"title": "A", "expression": "a"},
            {"title": "B", "expression": "b", "filter": {"kind": "GENERIC"}},
            {"title": "C", "expression": "c", "filter": {"kind": "GENERIC", "types": {}}},
        ],
    }
    rules = yaml.safe_load(_served(data))["rules"]
    assert "filter" not in rules[0]
    assert rules[1]["filter"] == {"kind": "GENERIC"}
    assert rules[2]["filter"] == {"kind": "GENERIC", "types": {}}


def test_timestamps_are_written_unquoted_as_jackson_does() -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    data = {"tag": "t", "name": "N", "rules": [{"expression": "e", "effectiveFrom": moment}]}
    text = _served(data)
    assert "  effectiveFrom: 2024-01-01T00:00:00Z" in text
    assert yaml.safe_load(text)["rules"][0]["effectiveFrom"] == moment
    rule = scorecard_json(prepare(data, None), "2024-01-02T00:00:00.000Z")["rules"][0]
    assert rule["effectiveFrom"] == "2024-01-01T00:00:00Z"


def test_nulls_are_dropped() -> None:
    text = _served({"tag": "t", "name": "N", "description": None, "rules": []})
    assert "description" not in yaml.safe_load(text)


def test_identifiers_survive_a_retitled_expression_but_not_a_retitle() -> None:
    first = prepare({"tag": "t", "name": "N", "rules": [{"title": "A", "expression": "x"}]}, None)
    edited = prepare({"tag": "t", "name": "N", "rules": [{"title": "A", "expression": "y"}]}, first)
    assert edited["rules"][0]["identifier"] == rule_identifier("x")
    retitled = prepare(
        {"tag": "t", "name": "N", "rules": [{"title": "B", "expression": "y"}]}, first
    )
    assert retitled["rules"][0]["identifier"] == rule_identifier("y")


def test_filter_json_follows_the_spec_shape() -> None:
    assert filter_json({"kind": "GENERIC"}) is None
    assert filter_json({"category": "SERVICE", "query": "q"}) == {
        "types": {"include": ["service"]},
        "query": "q",
    }
    assert filter_json({"groups": {"exclude": ["a", "a"]}}) == {"groups": {"exclude": ["a"]}}
