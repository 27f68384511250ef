"""Reading GitHub Actions event payloads (files under tests/data/github/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorecards_sync.errors import ConfigError
from scorecards_sync.github.events import load_event, parse_event

DATA = Path(__file__).resolve().parent / "data" / "github"


def env_for(name: str, payload: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(DATA / payload),
        "GITHUB_REPOSITORY": "acme/platform",
        **extra,
    }


def test_pull_request_from_a_branch_of_this_repository() -> None:
    event = load_event(env_for("pull_request", "pull_request.json", GITHUB_ACTOR="ada"))

    assert event.kind == "pull_request"
    assert event.secrets_available and event.no_secrets_reason is None
    pull = event.pull_request
    assert pull is not None
    assert (pull.number, pull.base_ref, pull.head_ref) == (42, "main", "raise-readiness")
    assert pull.base_sha == "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
    assert pull.head_repository == "acme/platform"
    assert event.sha == pull.head_sha  # GITHUB_SHA unset: the head is the best guess


def test_pull_request_from_a_fork_has_no_secrets() -> None:
    event = load_event(env_for("pull_request", "pull_request_fork.json", GITHUB_SHA="f" * 40))

    assert event.kind == "fork_pull_request"
    assert event.is_fork
    assert not event.secrets_available
    assert event.no_secrets_reason is not None and "fork" in event.no_secrets_reason
    assert event.sha == "f" * 40
    assert event.pull_request is not None and event.pull_request.head_repository == (
        "outsider/platform"
    )


def test_pull_request_whose_fork_was_deleted_is_a_fork() -> None:
    payload = json.loads((DATA / "pull_request_fork.json").read_text())
    payload["pull_request"]["head"]["repo"] = None
    event = parse_event("pull_request", payload)
    assert event.kind == "fork_pull_request"
    assert event.repository == "acme/platform"


def test_dependabot_gets_no_secrets_even_from_a_branch() -> None:
    event = load_event(env_for("pull_request", "pull_request.json", GITHUB_ACTOR="dependabot[bot]"))
    assert event.kind == "pull_request"
    assert not event.secrets_available
    assert event.no_secrets_reason is not None and "dependabot[bot]" in event.no_secrets_reason


def test_push_to_the_default_branch() -> None:
    event = load_event(env_for("push", "push_main.json"))

    assert event.kind == "push"
    push = event.push
    assert push is not None
    assert push.branch == "main" and push.is_default_branch
    assert push.base == "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
    assert event.sha == "c0ffee00" * 5


def test_push_creating_another_branch() -> None:
    event = load_event(env_for("push", "push_new_branch.json"))
    assert event.push is not None
    assert event.push.branch == "experiment"
    assert not event.push.is_default_branch
    assert event.push.base is None


def test_push_of_a_tag_is_on_no_branch() -> None:
    payload = json.loads((DATA / "push_main.json").read_text())
    payload["ref"] = "refs/tags/v1.0.0"
    event = parse_event("push", payload)
    assert event.push is not None and event.push.branch is None
    assert not event.push.is_default_branch


def test_other_events_are_other() -> None:
    assert parse_event("workflow_dispatch", {}).kind == "other"
    assert parse_event("pull_request_target", {}).kind == "other"  # no pull request in it


def test_pull_request_target_from_a_fork_is_a_fork_and_gets_no_secrets() -> None:
    event = load_event(env_for("pull_request_target", "pull_request_fork.json"))
    assert event.kind == "fork_pull_request" and event.is_fork
    assert not event.secrets_available
    assert event.no_secrets_reason is not None
    assert "pull_request_target" in event.no_secrets_reason and "fork" in event.no_secrets_reason


def test_pull_request_target_from_a_branch_of_this_repository() -> None:
    event = load_event(env_for("pull_request_target", "pull_request.json", GITHUB_ACTOR="ada"))
    assert event.kind == "pull_request"
    assert event.secrets_available and event.no_secrets_reason is None


def test_missing_environment_says_where_this_runs() -> None:
    with pytest.raises(ConfigError, match="GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set"):
        load_event({})


def test_unreadable_or_malformed_payloads(tmp_path: Path) -> None:
    missing = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(tmp_path / "nope.json")}
    with pytest.raises(ConfigError, match="cannot read the event payload"):
        load_event(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_event({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(broken)})
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(ConfigError, match="is not a JSON object"):
        load_event({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(listed)})
    with pytest.raises(ConfigError, match="no pull request number"):
        parse_event("pull_request", {"pull_request": {"number": "42"}})
