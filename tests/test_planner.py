"""The planner: creates, updates, deletes (explicit only), unmanaged scorecards, thresholds."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from scorecards_sync.errors import ConfigError, PlanError, UnsafePlan
from scorecards_sync.loader import Document, parse_document
from scorecards_sync.plan import (
    Action,
    Change,
    DiffKind,
    FieldChange,
    Plan,
    RuleChange,
    Thresholds,
    check_safety,
    managed_count,
)
from scorecards_sync.planner import (
    Desired,
    Removal,
    make_plan,
    removals_between,
    tags_to_fetch,
)


def descriptor(tag: str, name: str = "", rules: str = "") -> str:
    rule_text = rules or "- title: Has owner\n  expression: ownership != null\n"
    return f"tag: {tag}\nname: {name or tag.title()}\nrules:\n{textwrap.indent(rule_text, '')}"


def document(path: str, text: str) -> Document:
    parsed, problems = parse_document(path, text.encode())
    assert parsed is not None, problems
    return parsed


def desired(tag: str, path: str | None = None, **kwargs: str) -> Desired:
    return Desired.from_document(document(path or f"sc/{tag}.yaml", descriptor(tag, **kwargs)))


def test_desired_keeps_the_exact_file_text() -> None:
    text = "# a comment\ntag: a\nname: A  # trailing\nrules: []\n"
    want = Desired.from_document(document("sc/a.yaml", text))
    assert (want.tag, want.path, want.yaml_text) == ("a", "sc/a.yaml", text)
    assert want.data["name"] == "A"
    assert "name" not in repr(want)


def test_desired_without_a_tag_is_refused_naming_the_file() -> None:
    with pytest.raises(PlanError, match=r"sc/x\.yaml: the descriptor has no `tag`"):
        Desired.from_document(document("sc/x.yaml", "name: X\n"))


def test_new_tag_is_a_create_carrying_the_yaml_and_its_rules() -> None:
    want = desired("a")
    plan = make_plan([want], {})
    (change,) = plan.changes
    assert change.action is Action.CREATE
    assert change.desired_yaml == want.yaml_text
    assert change.desired_fingerprint is not None and change.desired_fingerprint.startswith(
        "sha256:"
    )
    assert change.live_fingerprint is None
    assert change.rules == (RuleChange("Has owner", DiffKind.ADDED),)
    assert change.fields == (FieldChange("name", DiffKind.ADDED, None, "A"),)


def test_same_descriptor_live_is_unchanged_with_its_fingerprint() -> None:
    want = desired("a")
    plan = make_plan([want], {"a": want.yaml_text})
    (change,) = plan.changes
    assert change.action is Action.UNCHANGED
    assert change.live_fingerprint is not None
    assert not plan.has_changes


def test_changed_descriptor_is_an_update_with_field_changes() -> None:
    want = desired("a", name="New name")
    plan = make_plan([want], {"a": descriptor("a", name="Old name")})
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert change.fields == (FieldChange("name", DiffKind.CHANGED, "Old name", "New name"),)
    assert change.rules == ()
    assert change.desired_yaml == want.yaml_text
    assert change.live_fingerprint != change.desired_fingerprint


def test_live_scorecards_not_in_the_repository_are_unmanaged_never_deleted() -> None:
    plan = make_plan([desired("a")], {"b": descriptor("b"), "c": descriptor("c")}, live_tags=["d"])
    assert [c.action for c in plan.changes] == [Action.CREATE]
    assert plan.unmanaged == ("b", "c", "d")


def test_removed_file_deletes_its_live_scorecard_with_a_reason() -> None:
    plan = make_plan(
        [desired("a")],
        {"a": descriptor("a"), "gone": descriptor("gone")},
        removals=[Removal("gone", "sc/gone.yaml")],
    )
    deletes = plan.by_action(Action.DELETE)
    assert [(c.tag, c.reason) for c in deletes] == [("gone", "descriptor file removed since base")]
    assert deletes[0].live_fingerprint is not None
    assert plan.unmanaged == ()


def test_removal_of_a_tag_absent_from_cortex_plans_nothing() -> None:
    plan = make_plan([], {}, removals=[Removal("gone", "sc/gone.yaml")])
    assert plan.changes == ()


def test_retagged_file_is_a_delete_of_the_old_tag_and_a_flagged_create() -> None:
    plan = make_plan(
        [desired("new", path="sc/x.yaml")],
        {"old": descriptor("old")},
        removals=[Removal("old", "sc/x.yaml", new_tag="new")],
    )
    create, delete = plan.changes
    assert (create.action, create.tag, create.renamed_from) == (Action.CREATE, "new", "old")
    assert create.reason == "re-tagged from old"
    assert (delete.action, delete.tag) == (Action.DELETE, "old")
    assert delete.reason == "re-tagged: the file now holds tag new"


def test_prune_deletes_only_matching_tags_absent_from_the_repository() -> None:
    live = {tag: descriptor(tag) for tag in ("team-a", "team-b", "other", "kept")}
    plan = make_plan(
        [desired("team-a"), desired("kept")],
        live,
        prune=True,
        prune_patterns=["team-*", "kep?"],
    )
    deletes = plan.by_action(Action.DELETE)
    assert [(c.tag, c.reason) for c in deletes] == [("team-b", "prune: matches pattern team-*")]
    assert plan.unmanaged == ("other",)


def test_prune_off_never_deletes_even_matching_tags() -> None:
    plan = make_plan([], {"team-b": descriptor("team-b")}, prune_patterns=["team-*"])
    assert plan.changes == ()
    assert plan.unmanaged == ("team-b",)


def test_prune_patterns_are_case_sensitive_globs() -> None:
    plan = make_plan([], {"Team-b": descriptor("Team-b")}, prune=True, prune_patterns=["team-*"])
    assert plan.changes == ()


def test_duplicate_desired_tags_are_refused_naming_both_files() -> None:
    with pytest.raises(PlanError, match=r"sc/one\.yaml and in sc/two\.yaml"):
        make_plan([desired("a", path="sc/one.yaml"), desired("a", path="sc/two.yaml")], {})


def test_live_descriptor_that_is_not_yaml_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="for 'a' that cannot be read: 2:1: invalid YAML"):
        make_plan([desired("a")], {"a": "tag: [unclosed"})
    with pytest.raises(PlanError, match="the top level is a list"):
        make_plan([desired("a")], {"a": "- just a list"})


def test_removals_between_ignores_moved_files_and_flags_retags() -> None:
    base = [
        document("sc/moved.yaml", descriptor("moved")),
        document("sc/deleted.yaml", descriptor("deleted")),
        document("sc/retagged.yaml", descriptor("before")),
        document("sc/same.yaml", descriptor("same")),
    ]
    head = [
        document("sc/elsewhere/moved-now.yaml", descriptor("moved")),
        document("sc/retagged.yaml", descriptor("after")),
        document("sc/same.yaml", descriptor("same", name="Edited")),
    ]
    assert removals_between(base, head) == [
        Removal("before", "sc/retagged.yaml", new_tag="after"),
        Removal("deleted", "sc/deleted.yaml"),
    ]


def test_removals_between_a_tag_moving_to_another_file_is_not_a_removal() -> None:
    base = [document("sc/a.yaml", descriptor("a")), document("sc/b.yaml", descriptor("b"))]
    head = [document("sc/a.yaml", descriptor("b"))]
    assert removals_between(base, head) == [Removal("a", "sc/a.yaml", new_tag="b")]


def test_tags_to_fetch_only_what_the_plan_needs() -> None:
    live = ["a", "gone", "team-x", "other"]
    wanted = [desired("a"), desired("new")]
    removals = [Removal("gone", "sc/gone.yaml"), Removal("never-live", "sc/n.yaml")]
    assert tags_to_fetch(wanted, live, removals) == ["a", "gone"]
    assert tags_to_fetch(wanted, live, removals, ["team-*"], prune=True) == ["a", "gone", "team-x"]
    assert tags_to_fetch(wanted, live, removals, ["team-*"], prune=False) == ["a", "gone"]


def plan_of(creates: int = 0, updates: int = 0, deletes: int = 0, unchanged: int = 0) -> Plan:
    changes = []
    for action, count in (
        (Action.CREATE, creates),
        (Action.UPDATE, updates),
        (Action.DELETE, deletes),
        (Action.UNCHANGED, unchanged),
    ):
        changes += [Change(action, f"{action.value}-{i}") for i in range(count)]
    return Plan(tuple(changes))


def refusal(plan: Plan, thresholds: Thresholds) -> str:
    """What `check_safety` says against `plan`; the test fails when it finds it safe."""
    unsafe = check_safety(plan, thresholds)
    assert isinstance(unsafe, UnsafePlan)
    return str(unsafe)


def test_deleting_8_of_20_managed_is_refused_with_counts_and_the_override() -> None:
    plan = plan_of(deletes=8, unchanged=12)
    assert managed_count(plan) == 20
    message = refusal(plan, Thresholds())
    assert "deletes 8 of 20 managed scorecards (40%)" in message
    assert "thresholds.max_delete_share (30%)" in message
    assert "--force" in message


def test_deleting_2_of_20_managed_is_fine() -> None:
    assert check_safety(plan_of(deletes=2, unchanged=18), Thresholds()) is None


def test_updates_over_the_share_are_refused() -> None:
    assert "updates 7 of 20 managed scorecards (35%)" in refusal(
        plan_of(updates=7, unchanged=13), Thresholds()
    )
    assert check_safety(plan_of(updates=6, unchanged=14), Thresholds()) is None


def test_exactly_the_share_is_allowed() -> None:
    assert check_safety(plan_of(deletes=3, unchanged=7), Thresholds()) is None


def test_below_min_managed_any_share_is_fine() -> None:
    assert check_safety(plan_of(deletes=5, updates=4), Thresholds()) is None


def test_creates_never_count_against_thresholds() -> None:
    assert check_safety(plan_of(creates=500, unchanged=10), Thresholds()) is None


def test_max_deletes_applies_whatever_the_managed_count() -> None:
    assert "deletes 3 scorecards, more than thresholds.max_deletes (2)" in refusal(
        plan_of(deletes=3), Thresholds(max_deletes=2)
    )
    assert check_safety(plan_of(deletes=2, unchanged=1), Thresholds(max_deletes=2)) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_update_share": 1.5},
        {"max_delete_share": -0.1},
        {"min_managed": -1},
        {"max_deletes": -2},
    ],
)
def test_thresholds_out_of_range_are_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        Thresholds(**kwargs)  # type: ignore[arg-type]


def test_equal_scorecards_cost_no_deepdiff(monkeypatch: pytest.MonkeyPatch) -> None:
    import deepdiff

    import scorecards_sync.descriptor_diff as descriptor_diff

    calls: list[object] = []

    def counting(*args: Any, **kwargs: Any) -> deepdiff.DeepDiff:
        calls.append(args)
        return deepdiff.DeepDiff(*args, **kwargs)

    monkeypatch.setattr(descriptor_diff, "DeepDiff", counting)
    wanted = [desired(f"sc-{i}") for i in range(20)]
    live = {w.tag: w.yaml_text.replace("rules:", "draft: false\nrules:") for w in wanted}
    live["sc-3"] = descriptor("sc-3", name="Renamed")
    plan = make_plan(wanted, live)
    assert plan.counts()["unchanged"] == 19
    assert len(calls) == 1


def test_deleting_every_managed_scorecard_is_refused_below_min_managed() -> None:
    plan = plan_of(deletes=3)
    assert "deletes every managed scorecard (3 of 3)" in refusal(plan, Thresholds(min_managed=10))
    assert "every managed scorecard (1 of 1)" in refusal(plan_of(deletes=1), Thresholds())
    # Creates do not stand in for the scorecards deleted.
    assert "every managed scorecard" in refusal(plan_of(creates=1, deletes=2), Thresholds())
    assert check_safety(plan_of(deletes=2, unchanged=1), Thresholds()) is None


def test_retagging_the_only_scorecard_is_a_rename_not_a_wipe_out() -> None:
    live = {"old": descriptor("old", name="Card")}
    plan = make_plan(
        [desired("new", name="Card")], live, removals=[Removal("old", "sc/c.yaml", "new")]
    )
    assert plan.counts() == {"create": 1, "update": 0, "delete": 1, "unchanged": 0}
    assert check_safety(plan, Thresholds()) is None


def test_a_create_is_normalized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import scorecards_sync.descriptor as descriptor_module
    import scorecards_sync.descriptor_diff as descriptor_diff
    import scorecards_sync.planner as planner

    real = descriptor_module.canonical
    calls: list[object] = []

    def counting(data: Any) -> dict[str, Any]:
        calls.append(data)
        return real(data)

    for module in (descriptor_module, descriptor_diff, planner):
        monkeypatch.setattr(module, "canonical", counting)
    plan = make_plan([desired("a"), desired("b")], {})
    assert plan.counts()["create"] == 2
    assert len(calls) == 2


def test_identifiers_differing_only_in_case_are_one_rule() -> None:
    upper = "- title: Has owner\n  expression: ownership != null\n"
    upper += "  identifier: 6F1A3C2E-9C1D-3B4A-8E2F-0A1B2C3D4E5F\n"
    lower = upper.replace("6F1A3C2E-9C1D-3B4A-8E2F-0A1B2C3D4E5F", upper.split()[-1].lower())
    plan = make_plan([desired("a", rules=upper)], {"a": descriptor("a", rules=lower)})
    assert [c.action for c in plan.changes] == [Action.UNCHANGED]
