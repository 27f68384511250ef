"""Plan values: fixed order, counts, the versioned JSON form, and its checksum."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import scorecards_sync.plan as plan_module
from scorecards_sync.errors import PlanError
from scorecards_sync.plan import (
    PLAN_FORMAT,
    PLAN_VERSION,
    Action,
    Change,
    DiffKind,
    FieldChange,
    Plan,
    RuleChange,
    ServerVerdict,
)


def sample_plan() -> Plan:
    return Plan(
        changes=(
            Change(Action.UNCHANGED, "same", path="sc/same.yaml", live_fingerprint="sha256:0"),
            Change(
                Action.DELETE,
                "gone",
                path="sc/gone.yaml",
                reason="descriptor file sc/gone.yaml removed since base",
                live_fingerprint="sha256:1",
            ),
            Change(
                Action.UPDATE,
                "prod",
                path="sc/prod.yaml",
                live_fingerprint="sha256:2",
                desired_fingerprint="sha256:3",
                desired_yaml="tag: prod\nname: Prod\n",
                fields=(FieldChange("name", DiffKind.CHANGED, "Old", "Prod"),),
                rules=(
                    RuleChange(
                        "Has owner",
                        DiffKind.CHANGED,
                        (FieldChange("level", DiffKind.CHANGED, "Bronze", "Silver"),),
                    ),
                    RuleChange("Uses TLS", DiffKind.ADDED),
                ),
                server_validation=ServerVerdict(False, ("rule 'x': unknown level",)),
            ),
            Change(
                Action.CREATE,
                "new",
                path="sc/new.yaml",
                renamed_from="old",
                reason="re-tagged from old",
                desired_fingerprint="sha256:4",
                desired_yaml="tag: new\nname: New\n",
            ),
        ),
        unmanaged=("zeta", "alpha"),
        base_url="https://api.getcortexapp.com",
    )


def test_changes_are_kept_in_apply_order() -> None:
    plan = sample_plan()
    assert [(c.action, c.tag) for c in plan.changes] == [
        (Action.CREATE, "new"),
        (Action.UPDATE, "prod"),
        (Action.DELETE, "gone"),
        (Action.UNCHANGED, "same"),
    ]
    assert plan.unmanaged == ("alpha", "zeta")
    assert [c.tag for c in plan.actionable] == ["new", "prod", "gone"]


def test_counts_and_has_changes() -> None:
    plan = sample_plan()
    assert plan.counts() == {"create": 1, "update": 1, "delete": 1, "unchanged": 1}
    assert plan.has_changes
    assert not Plan((Change(Action.UNCHANGED, "same"),)).has_changes


def test_json_round_trip_keeps_everything() -> None:
    plan = sample_plan()
    data = json.loads(json.dumps(plan.to_json()))
    assert data["format"] == PLAN_FORMAT
    assert data["version"] == PLAN_VERSION
    assert data["summary"] == plan.counts()
    assert Plan.from_json(data) == plan


def test_checksum_covers_the_yaml_sent_and_the_live_state() -> None:
    plan = sample_plan()
    edited = json.loads(json.dumps(plan.to_json()))
    edited["changes"][0]["desired_yaml"] = "tag: new\nname: Sneaky\n"
    with pytest.raises(PlanError, match="checksum does not match"):
        Plan.from_json(edited)
    other = Plan(plan.changes[:-1], plan.unmanaged, plan.base_url)
    assert other.checksum() != plan.checksum()


def test_checksum_ignores_the_tool_version() -> None:
    plan = sample_plan()
    data = plan.to_json()
    data["tool_version"] = "99.0"
    assert Plan.from_json(data).checksum() == plan.checksum()


def test_wrong_format_or_version_is_refused_with_advice() -> None:
    data = sample_plan().to_json()
    with pytest.raises(PlanError, match="not a scorecards-sync plan"):
        Plan.from_json({**data, "format": "terraform"})
    with pytest.raises(PlanError, match=r"version 2 is not supported.*run `plan` again"):
        Plan.from_json({**data, "version": 2})


def test_malformed_plan_is_a_plan_error() -> None:
    data = sample_plan().to_json()
    data["changes"][0]["action"] = "explode"
    with pytest.raises(PlanError, match="malformed"):
        Plan.from_json(data)


def test_with_verdict_returns_a_new_change() -> None:
    change = Change(Action.CREATE, "a")
    judged = change.with_verdict(ServerVerdict(True))
    assert judged.server_validation == ServerVerdict(True)
    assert change.server_validation is None


def test_module_docstring_documents_every_json_key() -> None:
    """The documented schema (plan.py's docstring) cannot drift from `to_json`."""
    documented = set(re.findall(r'"([a-z_]+)"', plan_module.__doc__ or ""))
    data = sample_plan().to_json()
    keys = set(data) | set(data["summary"]) | set(data["changes"][1])
    keys |= set(data["changes"][1]["fields"][0]) | set(data["changes"][1]["rules"][0])
    keys |= set(data["changes"][1]["server_validation"])
    assert keys <= documented, keys - documented


MALFORMED_PLANS = Path(__file__).parent / "data" / "plans"
# Each malformed plan file and what the refusal names.
MALFORMED: dict[str, str] = {
    "a-list.json": "not a JSON object",
    "base-url-a-number.json": "`base_url` must be a string, not a number",
    "changes-a-string.json": "`changes` must be a list, not a string",
    "changes-missing.json": "`changes` must be a list, not null",
    "changes-not-objects.json": "`changes[0]` must be an object, not a string",
    "desired-yaml-an-object.json": "`changes[0].desired_yaml` must be a string, not an object",
    "fields-a-string.json": "`changes[0].fields` must be a list, not a string",
    "one-tag-twice.json": "more than one change for scorecard a",
    "rule-kind-unknown.json": "`changes[0].rules[0].kind` must be one of",
    "tag-a-list.json": "`changes[0].tag` must be a string, not a list",
    "unmanaged-a-string.json": "`unmanaged` must be a list, not a string",
    "verdict-ok-a-string.json": "`changes[0].server_validation.ok` must be a boolean",
}


def test_every_malformed_plan_file_is_listed() -> None:
    assert sorted(p.name for p in MALFORMED_PLANS.glob("*.json")) == sorted(MALFORMED)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_plan_file_is_a_plan_error_saying_what_is_wrong(name: str) -> None:
    data = json.loads((MALFORMED_PLANS / name).read_text(encoding="utf-8"))
    with pytest.raises(PlanError) as caught:
        Plan.from_json(data)
    assert MALFORMED[name] in str(caught.value)


def test_checksum_is_computed_once_per_plan() -> None:
    plan = sample_plan()
    first = plan.checksum()
    assert plan.checksum() is first  # the same string object: not computed again
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))).checksum() == first
    assert replace(plan, base_url="elsewhere").checksum() != first


def test_config_reads_thresholds_without_importing_the_planner() -> None:
    """DESIGN.md section 3: imports go downward; `config` sits beside the planner."""
    code = "import sys, scorecards_sync.config; print('scorecards_sync.planner' in sys.modules)"
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert ran.stdout.strip() == "False"
