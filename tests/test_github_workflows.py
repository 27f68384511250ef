"""The example workflows in examples/github/: least privilege, full history, no overlap."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "github"
PLAN = EXAMPLES / "scorecards-plan.yml"
APPLY = EXAMPLES / "scorecards-apply.yml"
ACTION = re.compile(r"^[^/@\s]+/scorecards-sync@\S+$")
INPUTS = {"command", "path", "cortex-api-key", "base-ref", "comment", "auto-approve"}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    jobs = workflow["jobs"]
    assert len(jobs) == 1
    job = next(iter(jobs.values()))
    assert job["runs-on"] == "ubuntu-latest"
    assert isinstance(job.get("timeout-minutes"), int)
    found = job["steps"]
    assert isinstance(found, list)
    return found


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    matching = [s for s in steps(workflow) if ACTION.match(str(s.get("uses", "")))]
    assert len(matching) == 1
    return matching[0]


@pytest.mark.parametrize("path", [PLAN, APPLY], ids=["plan", "apply"])
def test_checkout_fetches_full_history_before_the_action(path: Path) -> None:
    all_steps = steps(load(path))
    checkout = [
        i for i, s in enumerate(all_steps) if str(s.get("uses", "")).startswith("actions/checkout@")
    ]
    action = [i for i, s in enumerate(all_steps) if ACTION.match(str(s.get("uses", "")))]
    assert len(checkout) == 1 and len(action) == 1 and checkout[0] < action[0]
    assert all_steps[checkout[0]]["with"]["fetch-depth"] == 0


@pytest.mark.parametrize("path", [PLAN, APPLY], ids=["plan", "apply"])
def test_action_inputs_and_the_key_from_secrets(path: Path) -> None:
    workflow = load(path)
    inputs = action_step(workflow)["with"]
    assert set(inputs) == INPUTS
    assert all(isinstance(value, str) for value in inputs.values())
    # Pull requests get a View-only key; the Edit key is for the apply job's environment.
    secret = "CORTEX_API_KEY_READ" if path == PLAN else "CORTEX_API_KEY"
    assert inputs["cortex-api-key"] == "${{ secrets." + secret + " }}"
    assert inputs["command"] == ("plan" if path == PLAN else "apply")
    assert inputs["path"] == ".cortex/scorecards"
    assert inputs["auto-approve"] == "false"
    # The secret appears once, as the action's input: never in env, names or scripts.
    assert path.read_text().count("secrets.") == 1


@pytest.mark.parametrize("path", [PLAN, APPLY], ids=["plan", "apply"])
def test_users_are_told_to_pin_the_action_to_a_sha(path: Path) -> None:
    lines = path.read_text().splitlines()
    index = next(
        i
        for i, line in enumerate(lines)
        if re.search(r"uses: \S+/scorecards-sync@<commit-sha>$", line)
    )
    above = " ".join(lines[max(0, index - 3) : index]).lower()
    assert "pin" in above and "sha" in above


NAMING_A_VERSION = [
    PLAN,
    APPLY,
    EXAMPLES / "drift.yml",
    ROOT / "examples" / "gitlab" / ".gitlab-ci.yml",
    ROOT / "examples" / ".pre-commit-config.yaml",
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


@pytest.mark.parametrize("path", NAMING_A_VERSION, ids=lambda p: p.name)
def test_no_example_names_a_version_that_was_never_tagged(path: Path) -> None:
    """Until a release is tagged, `@v1` or `rev: v0.1.0` fail for whoever copies them."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"scorecards-sync@v\d", text)
    assert not re.search(r"rev: v\d", text)


@pytest.mark.parametrize("path", [PLAN, APPLY], ids=["plan", "apply"])
def test_no_expressions_inside_scripts(path: Path) -> None:
    for step in steps(load(path)):
        assert "${{" not in str(step.get("run", "")), "pass values through env:, not ${{ }}"


def test_plan_runs_on_pull_requests_with_least_privilege() -> None:
    workflow = load(PLAN)
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "deployments": "read",
    }
    inputs = action_step(workflow)["with"]
    assert inputs["comment"] == "true"
    assert "github.base_ref" in inputs["base-ref"]
    concurrency = workflow["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_apply_runs_on_push_to_the_default_branch_one_at_a_time() -> None:
    workflow = load(APPLY)
    assert set(workflow["on"]) == {"push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    permissions = workflow["permissions"]
    assert permissions["contents"] == "read"
    assert set(permissions) == {"contents", "pull-requests", "deployments"}
    assert permissions["deployments"] == "write"  # the record of each apply
    assert permissions["pull-requests"] in ("read", "write")
    concurrency = workflow["concurrency"]
    # One group for every run of the workflow: nothing per run, commit or ref in its name.
    assert "${{" not in concurrency["group"]
    assert concurrency["cancel-in-progress"] is False
    inputs = action_step(workflow)["with"]
    assert inputs["base-ref"] == "${{ github.event.before }}"


def test_the_write_key_lives_in_an_environment_only_the_apply_job_enters() -> None:
    apply_job = next(iter(load(APPLY)["jobs"].values()))
    assert apply_job["environment"] == "cortex-production"
    plan_job = next(iter(load(PLAN)["jobs"].values()))
    assert "environment" not in plan_job
    text = PLAN.read_text()
    assert "View Scorecards" in text and "ONLY" in text


def test_inputs_exist_in_the_action_when_it_is_there() -> None:
    action_file = ROOT / "action.yml"
    if not action_file.exists():
        pytest.skip("action.yml is not written yet")
    declared = set(yaml.safe_load(action_file.read_text())["inputs"])
    for path in (PLAN, APPLY):
        assert set(action_step(load(path))["with"]) <= declared


@pytest.mark.parametrize("path", [PLAN, APPLY], ids=["plan", "apply"])
def test_the_action_environment_is_cached_before_the_action_runs(path: Path) -> None:
    all_steps = steps(load(path))
    cache = [
        i for i, s in enumerate(all_steps) if str(s.get("uses", "")).startswith("actions/cache@")
    ]
    action = [i for i, s in enumerate(all_steps) if ACTION.match(str(s.get("uses", "")))]
    assert len(cache) == 1 and cache[0] < action[0]
    settings = all_steps[cache[0]]["with"]
    # Where scripts/action-install.sh keeps the environment.
    assert settings["path"] == "${{ runner.temp }}/scorecards-sync-venv"
    script = (ROOT / "scripts" / "action-install.sh").read_text(encoding="utf-8")
    assert 'venv="$temp/scorecards-sync-venv"' in script
    assert f"hashFiles('.github/workflows/{path.name}')" in settings["key"]


DRIFT = EXAMPLES / "drift.yml"


def test_drift_runs_on_a_schedule_with_a_view_only_key_and_one_issue() -> None:
    workflow = load(DRIFT)
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {
        "contents": "read",
        "issues": "write",
        "deployments": "read",
    }
    all_steps = steps(workflow)
    assert all_steps[0]["with"]["fetch-depth"] == 0
    inputs = action_step(workflow)["with"]
    assert inputs["command"] == "drift"
    assert inputs["heal"] == "false"
    assert inputs["cortex-api-key"] == "${{ secrets.CORTEX_API_KEY_READ }}"
    assert DRIFT.read_text().count("secrets.") == 1
    assert workflow["concurrency"]["cancel-in-progress"] is False
