"""The canonical form: defaults, normalization, rule identity, fingerprints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.descriptor import (
    DEFAULTS,
    canonical,
    comparable,
    fingerprint,
    is_empty_filter,
    normalize_color,
    rule_identifier,
    with_defaults,
)


def test_rule_identifier_is_javas_name_uuid_of_the_expression() -> None:
    # Served by Cortex for this rule in ../shared/corpus (learn-gitops raw GET descriptor).
    expression = 'custom("learn-gitops") == "completed"'
    assert rule_identifier(expression) == "0c27c5f1-1d58-388d-95fc-a26ebc20b5e4"


def test_with_defaults_fills_what_is_missing_and_keeps_what_is_set() -> None:
    data = {
        "tag": "a",
        "notifications": {"enabled": True},
        "evaluation": {"window": None},
        "ladder": {"levels": []},
        "rules": [
            {"title": "r", "expression": "x"},
            {"title": "s", "expression": "y", "weight": 3},
        ],
    }
    result = with_defaults(data)
    assert result["draft"] is False
    assert result["notifications"] == {"enabled": True, "scoreDropNotificationsEnabled": False}
    assert result["exemptions"] == DEFAULTS["exemptions"]
    assert result["evaluation"] == {"window": 4}
    assert result["ladder"]["name"] == "Default Ladder"
    assert [rule["weight"] for rule in result["rules"]] == [1, 3]
    assert "identifier" not in result["rules"][0]
    assert data["notifications"] == {"enabled": True}, "the input is left untouched"


def test_with_defaults_adds_no_ladder_to_point_based_scorecards() -> None:
    assert "ladder" not in with_defaults({"tag": "a", "rules": []})


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        {"kind": "GENERIC"},
        {"kind": "GENERIC", "types": {}},
        {"kind": "GENERIC", "types": {"include": []}, "groups": {"exclude": None}},
        {"query": "  "},
    ],
)
def test_empty_filters(value: object) -> None:
    assert is_empty_filter(value)


@pytest.mark.parametrize(
    "value",
    [
        {"category": "SERVICE"},
        {"kind": "GENERIC", "types": {"include": ["service"]}},
        {"groups": {"exclude": ["sandbox"]}},
        {"query": "entity.tag() == 'x'"},
        "GENERIC",
    ],
)
def test_filters_that_select_something(value: object) -> None:
    assert not is_empty_filter(value)


@pytest.mark.parametrize("spelling", ["7cf376", "#7cf376", "#7CF376", " 7CF376 "])
def test_colors_are_one_regardless_of_case_and_hash(spelling: str) -> None:
    assert normalize_color(spelling) == "#7CF376"


def scorecard(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tag": "a",
        "name": "A",
        "ladder": {
            "levels": [
                {"name": "Gold", "rank": 2, "color": "ffd700"},
                {"name": "Bronze", "rank": 1, "color": "#cd7f32"},
            ]
        },
        "rules": [
            {"title": "Second", "expression": "b", "level": "Gold"},
            {"title": "First", "expression": "a", "level": "Bronze", "filter": {"kind": "GENERIC"}},
        ],
        "filter": {"types": {"include": ["service", "library"]}},
    }
    data.update(overrides)
    return data


def test_canonical_orders_levels_and_rules_and_normalizes_colors() -> None:
    result = canonical(scorecard())
    assert [level["name"] for level in result["ladder"]["levels"]] == ["Bronze", "Gold"]
    assert [level["color"] for level in result["ladder"]["levels"]] == ["#CD7F32", "#FFD700"]
    assert [rule["title"] for rule in result["rules"]] == ["First", "Second"]


def test_canonical_drops_empty_rule_filters_and_implies_generic_kind() -> None:
    result = canonical(scorecard())
    assert "filter" not in result["rules"][0]
    assert result["filter"] == {"kind": "GENERIC", "types": {"include": ["library", "service"]}}


def test_canonical_reads_a_legacy_filter_by_meaning() -> None:
    result = canonical(scorecard(filter={"category": "SERVICE", "query": "x"}))
    assert result["filter"] == {"kind": "GENERIC", "types": {"include": ["service"]}, "query": "x"}
    current = canonical(scorecard(filter={"types": {"include": ["service"]}, "query": "x"}))
    assert current["filter"] == result["filter"]


def test_canonical_keeps_a_resource_category_which_no_types_list_spells() -> None:
    result = canonical(scorecard(filter={"category": "RESOURCE"}))
    assert result["filter"] == {"category": "RESOURCE"}


@pytest.mark.parametrize("empty", [{"kind": "GENERIC"}, {"kind": "GENERIC", "types": {}}, None])
def test_canonical_drops_an_empty_top_level_filter(empty: object) -> None:
    assert "filter" not in canonical(scorecard(filter=empty))


def test_canonical_stores_dates_as_text_and_drops_keys_without_value() -> None:
    rules = [
        {"title": "r", "expression": "x", "effectiveFrom": dt.date(2024, 7, 1)},
        {"title": "s", "expression": "y", "effectiveFrom": dt.datetime(2024, 7, 1, tzinfo=dt.UTC)},
    ]
    result = canonical(scorecard(rules=rules, description=None))
    assert [rule["effectiveFrom"] for rule in result["rules"]] == [
        "2024-07-01",
        "2024-07-01T00:00:00Z",
    ]
    assert "description" not in result


def test_fingerprint_ignores_what_cortex_ignores() -> None:
    data = scorecard()
    reordered = scorecard(
        rules=list(reversed(data["rules"])),
        draft=False,
        evaluation={"window": 4},
        ladder={"name": "Default Ladder", "levels": list(reversed(data["ladder"]["levels"]))},
    )
    assert fingerprint(data) == fingerprint(reordered)
    assert fingerprint(data).startswith("sha256:")
    assert fingerprint(data) != fingerprint(scorecard(name="B"))


def test_comparable_pairs_rules_by_title_and_drops_identifiers_the_repository_lacks() -> None:
    desired = scorecard()
    live = scorecard()
    for rule in live["rules"]:
        rule["identifier"] = rule_identifier(rule["expression"])
    want, have = comparable(desired, live)
    assert want == have
    assert set(want["rules"]) == {"First", "Second"}


def test_comparable_pairs_rules_by_identifier_across_a_retitle() -> None:
    live = scorecard()
    live["rules"][0]["identifier"] = "id-1"
    desired = scorecard()
    desired["rules"][0] = {**desired["rules"][0], "title": "Renamed", "identifier": "id-1"}
    want, have = comparable(desired, live)
    assert have["rules"]["Renamed"]["title"] == "Second"
    assert want["rules"]["Renamed"]["title"] == "Renamed"


def test_comparable_keeps_rules_with_different_identifiers_apart() -> None:
    live = scorecard()
    live["rules"][0]["identifier"] = "id-live"
    desired = scorecard()
    desired["rules"][0] = {**desired["rules"][0], "identifier": "id-other"}
    want, have = comparable(desired, live)
    assert want["rules"]["Second"]["identifier"] == "id-other"
    assert "Second" not in have["rules"]
    assert have["rules"]["Second (2)"]["identifier"] == "id-live"


def test_a_descriptor_equals_cortexs_export_of_it(corpus_dir: Path) -> None:
    """The raw GET body, rewritten the way a person would write it, is the same scorecard."""
    raw_path = (
        corpus_dir / "scorecards" / "learn-cortex__learn-gitops__raw-GET-descriptor-45edda9.yaml"
    )
    served = yaml.safe_load(raw_path.read_text(encoding="utf-8"))
    written = yaml.safe_load(raw_path.read_text(encoding="utf-8"))
    # `notifications`/`exemptions` are written out as `false`, not Cortex's defaults
    # (the spec says both default to true), so only `draft: false` may be left out.
    del written["draft"]
    written["ladder"]["levels"] = [
        {**level, "color": level["color"].lower().lstrip("#")}
        for level in written["ladder"]["levels"]
    ]
    for rule in written["rules"]:
        del rule["identifier"], rule["weight"]
    served["rules"][0]["filter"] = {"kind": "GENERIC", "types": {}}
    want, have = comparable(written, served)
    assert want == have


def test_defaults_follow_cortexs_spec() -> None:
    published = with_defaults({"tag": "a", "name": "A"})
    assert published["notifications"] == {"enabled": True, "scoreDropNotificationsEnabled": False}
    assert published["exemptions"] == {"enabled": True, "autoApprove": False}


def test_a_draft_has_notifications_off_unless_it_says_otherwise() -> None:
    assert with_defaults({"draft": True})["notifications"]["enabled"] is False
    said = with_defaults({"draft": True, "notifications": {"enabled": True}})
    assert said["notifications"] == {"enabled": True, "scoreDropNotificationsEnabled": False}


def test_rules_sharing_an_identifier_pair_by_title() -> None:
    """Cortex gives rules with one expression one identifier (Java's nameUUIDFromBytes)."""
    shared = rule_identifier("ownership != null")
    rules = [
        {"title": "Owned", "expression": "ownership != null", "identifier": shared, "weight": 1},
        {
            "title": "Owned services",
            "expression": "ownership != null",
            "identifier": shared,
            "weight": 3,
            "filter": {"kind": "GENERIC", "types": {"include": ["service"]}},
        },
    ]
    desired = {"tag": "a", "name": "A", "rules": rules}
    live = {"tag": "a", "name": "A", "rules": list(reversed(rules))}
    want, have = comparable(desired, live)
    assert want == have
    assert have["rules"]["Owned services"]["weight"] == 3
    changed = {**desired, "rules": [rules[0], {**rules[1], "weight": 5}]}
    want, have = comparable(changed, live)
    assert set(want["rules"]) == set(have["rules"]) == {"Owned", "Owned services"}
    assert (
        want["rules"]["Owned services"]["weight"],
        have["rules"]["Owned services"]["weight"],
    ) == (
        5,
        3,
    )


def test_identical_live_rules_pair_one_to_one() -> None:
    rule = {"title": "Owned", "expression": "ownership != null", "identifier": "id-1"}
    want, have = comparable(
        {"tag": "a", "name": "A", "rules": [rule]}, {"tag": "a", "name": "A", "rules": [rule, rule]}
    )
    assert list(want["rules"]) == ["Owned"]
    assert sorted(have["rules"]) == ["Owned", "Owned (2)"]


def test_identifiers_are_compared_in_lower_case() -> None:
    rule = {"title": "r", "expression": "x", "identifier": "0C27C5F1-1D58-388D-95FC-A26EBC20B5E4"}
    data = {"tag": "a", "name": "A", "rules": [rule]}
    assert canonical(data)["rules"][0]["identifier"] == "0c27c5f1-1d58-388d-95fc-a26ebc20b5e4"
    assert rule["identifier"] == "0C27C5F1-1D58-388D-95FC-A26EBC20B5E4"  # the input is untouched


def test_a_retitled_rule_pairs_with_the_live_rule_of_its_expression() -> None:
    live_rule = {"title": "Has a README", "expression": "git.fileExists('README.md')"}
    live_rule["identifier"] = rule_identifier(live_rule["expression"])
    desired_rule = {"title": "Has a README file", "expression": live_rule["expression"]}
    want, have = comparable(
        {"tag": "a", "name": "A", "rules": [desired_rule]},
        {"tag": "a", "name": "A", "rules": [live_rule]},
    )
    assert list(want["rules"]) == list(have["rules"]) == ["Has a README file"]
    assert have["rules"]["Has a README file"]["title"] == "Has a README"
    assert "identifier" not in have["rules"]["Has a README file"]


def test_a_retitled_rule_pairs_by_the_identifier_cortex_derived_from_its_expression() -> None:
    # Cortex keeps a rule's identifier when its expression is edited, so the live
    # expression may differ while the identifier still names the desired one.
    desired_rule = {"title": "New title", "expression": "oncall != null"}
    live_rule = {
        "title": "Old title",
        "expression": "oncall.rotation != null",
        "identifier": rule_identifier("oncall != null"),
    }
    want, have = comparable(
        {"tag": "a", "name": "A", "rules": [desired_rule]},
        {"tag": "a", "name": "A", "rules": [live_rule]},
    )
    assert list(want["rules"]) == list(have["rules"]) == ["New title"]
    assert have["rules"]["New title"]["title"] == "Old title"


def test_an_ambiguous_expression_match_pairs_nothing() -> None:
    expression = "oncall != null"
    live_rule = {"title": "Old", "expression": expression}
    desired = [
        {"title": "New one", "expression": expression},
        {"title": "New two", "expression": expression},
    ]
    want, have = comparable(
        {"tag": "a", "name": "A", "rules": desired}, {"tag": "a", "name": "A", "rules": [live_rule]}
    )
    assert sorted(want["rules"]) == ["New one", "New two"]
    assert list(have["rules"]) == ["Old"]


def test_an_expression_match_with_another_identifier_is_not_the_same_rule() -> None:
    expression = "oncall != null"
    want, have = comparable(
        {
            "tag": "a",
            "name": "A",
            "rules": [{"title": "New", "expression": expression, "identifier": "id-a"}],
        },
        {
            "tag": "a",
            "name": "A",
            "rules": [{"title": "Old", "expression": expression, "identifier": "id-b"}],
        },
    )
    assert list(want["rules"]) == ["New"]
    assert list(have["rules"]) == ["Old"]
