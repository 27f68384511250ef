"""examples/gitlab/.gitlab-ci.yml: the ready pipeline the README's GitLab section points to."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

PIPELINE = Path(__file__).resolve().parents[1] / "examples" / "gitlab" / ".gitlab-ci.yml"


def _jobs() -> dict[str, Any]:
    data = yaml.safe_load(PIPELINE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict) and "script" in v}


def test_plan_runs_on_merge_requests_and_reports_code_quality() -> None:
    plan = _jobs()["scorecards-plan"]
    assert 'merge_request_event"' in plan["rules"][0]["if"]
    assert plan["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert plan["artifacts"]["when"] == "always"
    [command] = plan["script"]
    assert shlex.split(command)[:3] == ["scorecards-sync", "ci", "gitlab"]
    assert "--apply" not in command


def test_apply_runs_on_the_default_branch_one_at_a_time() -> None:
    apply = _jobs()["scorecards-apply"]
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in apply["rules"][0]["if"]
    assert apply["resource_group"]
    assert shlex.split(apply["script"][0])[-1] == "--apply"


def test_the_key_is_a_variable_never_written_in_the_file() -> None:
    text = PIPELINE.read_text(encoding="utf-8")
    assert "CORTEX_API_KEY:" not in text.split("stages:")[1]
    assert "masked and protected" in text


def test_only_the_apply_job_records_applies_in_the_environment_every_job_reads() -> None:
    data = yaml.safe_load(PIPELINE.read_text(encoding="utf-8"))
    jobs = _jobs()
    assert data["variables"]["SCORECARDS_SYNC_ENVIRONMENT"] == "cortex"
    assert jobs["scorecards-apply"]["environment"]["name"] == "$SCORECARDS_SYNC_ENVIRONMENT"
    assert "action" not in jobs["scorecards-apply"]["environment"]  # start: a deployment
    # A plan job that declared it would record, as applied, commits that never were.
    assert "environment" not in jobs["scorecards-plan"]
    assert data[".scorecards-sync"]["variables"]["GIT_DEPTH"] == "0"
