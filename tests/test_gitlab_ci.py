"""`scorecards-sync ci gitlab` end to end: the real entry point, a fake GitLab API on
loopback, and the in-process Cortex emulator (`--emulator STATE_FILE`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_runner import Ran, enter_workdir, ladder_card, run_cli
from gitlab_fake import BOT, FakeGitLab

from scorecards_sync.cortex.retry import RetryPolicy
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.review.sticky import parse_marker, path_key

PROJECT = "42"
SHA = "a" * 40
SCHEMA = Path(__file__).parent / "data" / "gitlab-code-quality.schema.json"
KEY = path_key("cards")


@pytest.fixture
def gitlab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    enter_workdir(tmp_path, monkeypatch, prefixes=("CI_", "GITLAB", "CORTEX_", "SCORECARDS_SYNC_"))
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "svc.yaml").write_text(ladder_card("svc"), encoding="utf-8")
    with FakeGitLab() as fake:
        monkeypatch.setenv("GITLAB_CI", "true")
        monkeypatch.setenv("CI_API_V4_URL", fake.api_url)
        monkeypatch.setenv("CI_PROJECT_ID", PROJECT)
        monkeypatch.setenv("CI_COMMIT_SHA", SHA)
        monkeypatch.setenv("CI_DEFAULT_BRANCH", "main")
        monkeypatch.setenv("GITLAB_TOKEN", fake.token)
        # Ask GitLab once more, at once, for the merged merge request (not after 1+2+4 s).
        monkeypatch.setenv("SCORECARDS_SYNC_MERGED_PR_DELAYS", "0")
        yield fake


def merge_request(monkeypatch: pytest.MonkeyPatch, *, fork: bool = False) -> None:
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "merge_request_event")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("CI_MERGE_REQUEST_PROJECT_ID", PROJECT)
    monkeypatch.setenv("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "99" if fork else PROJECT)


def default_branch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "push")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "main")


def ci(*extra: str) -> Ran:
    return run_cli("ci", "gitlab", "cards", "--emulator", "state.json", *extra)


def sticky_notes(fake: FakeGitLab) -> list[dict[str, Any]]:
    return [n for n in fake.notes.get((PROJECT, 7), []) if parse_marker(n["body"])]


def test_first_run_creates_the_note_and_the_second_updates_it(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    merge_request(monkeypatch)
    first = ci()
    assert first.code == 0, first.out + first.err
    assert "Plan note created on !7." in first.out
    [note] = sticky_notes(gitlab)
    marker = parse_marker(note["body"])
    assert marker is not None and marker.path_key == KEY
    assert f"Plan checksum: {marker.checksum}" in first.out
    assert "svc" in note["body"]
    (tmp_path / "cards" / "svc.yaml").write_text(ladder_card("svc", name="Renamed"), "utf-8")
    second = ci()
    assert second.code == 0
    assert "Plan note updated on !7." in second.out
    [updated] = sticky_notes(gitlab)
    assert updated["id"] == note["id"] and "Renamed" in updated["body"]
    assert ci().out.count("Plan note unchanged") == 1
    assert ci("--impact").code == 0
    assert json.loads((tmp_path / "gl-code-quality-report.json").read_text("utf-8")) == []


def test_a_deleted_note_is_created_again(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    assert ci().code == 0
    gitlab.notes[(PROJECT, 7)].clear()
    again = ci()
    assert "Plan note created" in again.out
    assert len(sticky_notes(gitlab)) == 1


def test_a_marker_planted_by_someone_else_is_not_the_note(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    planted = gitlab.add_note(PROJECT, 7, f"<!-- scorecards-sync:{KEY} checksum=x -->\n", "eve")
    assert ci().code == 0
    assert planted["body"].endswith("checksum=x -->\n")
    assert [n["author"]["username"] for n in sticky_notes(gitlab)] == ["eve", BOT]


def test_a_fork_is_validated_offline_reads_no_key_and_posts_nothing(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    merge_request(monkeypatch, fork=True)
    # Reading this key file would fail the run: it does not exist.
    monkeypatch.setenv("CORTEX_API_KEY_FILE", str(tmp_path / "no-such-key"))
    ran = run_cli("ci", "gitlab", "cards")
    assert ran.code == 0, ran.out + ran.err
    assert "fork" in ran.out and "validated offline only" in ran.out
    assert gitlab.requests == []


def test_problems_become_log_lines_and_a_code_quality_report(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    merge_request(monkeypatch)
    (tmp_path / "cards" / "bad.yaml").write_text("tag: bad\nrules: 3\n", encoding="utf-8")
    ran = ci()
    assert ran.code == 1
    assert "cards/bad.yaml:" in ran.out
    report = json.loads((tmp_path / "gl-code-quality-report.json").read_text("utf-8"))
    jsonschema.validate(report, json.loads(SCHEMA.read_text("utf-8")))
    assert report and {i["location"]["path"] for i in report} == {"cards/bad.yaml"}
    assert len({i["fingerprint"] for i in report}) == len(report)
    assert gitlab.writes() == []  # no earlier note to withdraw, none created


def test_a_failing_plan_withdraws_the_earlier_checksum(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    merge_request(monkeypatch)
    assert ci().code == 0
    (tmp_path / "cards" / "bad.yaml").write_text("tag: bad\nrules: 3\n", encoding="utf-8")
    assert ci().code == 1
    [note] = sticky_notes(gitlab)
    marker = parse_marker(note["body"])
    assert marker is not None and marker.checksum == ""
    assert "The descriptors have errors" in note["body"]


def test_the_default_branch_applies_only_the_reviewed_plan(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    merge_request(monkeypatch)
    assert ci().code == 0
    for name in ("CI_MERGE_REQUEST_IID", "CI_PIPELINE_SOURCE"):
        monkeypatch.delenv(name)
    default_branch(monkeypatch)
    gitlab.merged(PROJECT, SHA, 7)
    # The repository changed after the review: a different plan, refused.
    (tmp_path / "cards" / "svc.yaml").write_text(ladder_card("svc", name="Other"), "utf-8")
    refused = ci("--apply")
    assert refused.code == 1
    assert "is not the plan reviewed in merge request !7" in refused.out
    assert run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode").code == 2
    (tmp_path / "cards" / "svc.yaml").write_text(ladder_card("svc"), "utf-8")
    applied = ci("--apply")
    assert applied.code == 0, applied.out + applied.err
    assert run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode").code == 0


def test_no_merged_merge_request_means_no_apply(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_branch(monkeypatch)
    ran = ci("--apply")
    assert ran.code == 1 and "no merged merge request found for commit" in ran.out
    assert run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode").code == 2


def test_apply_outside_the_default_branch_is_a_usage_error(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "push")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "feature")
    assert ci("--apply").code == 64


def test_outside_gitlab_ci_is_a_usage_error(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITLAB_CI")
    assert ci().code == 64


def test_the_token_is_never_printed(gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    merge_request(monkeypatch)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrong-token-that-must-not-show")
    ran = ci()
    assert ran.code == 1
    assert "401" in ran.out + ran.err
    assert "glpat-wrong-token" not in ran.out + ran.err
    assert all("glpat" not in str(r.headers) for r in gitlab.requests)


def test_client_pages_through_notes_and_retries_a_5xx(gitlab: FakeGitLab) -> None:
    for index in range(230):
        gitlab.add_note(PROJECT, 7, f"note {index}", "someone")
    gitlab.failures.append(502)
    policy = RetryPolicy(max_retries=2, backoff_base=0.0)
    with GitLabClient(
        gitlab.token, api_url=gitlab.api_url, policy=policy, sleep=lambda _: None
    ) as c:
        notes = c.list_notes(PROJECT, 7)
    assert [n.body for n in notes] == [f"note {i}" for i in range(230)]
    pages = [r for r in gitlab.requests if r.path.endswith("/notes")]
    assert len(pages) == 4  # the 502, then three pages of 100


def test_the_job_token_reads_but_does_not_post(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    monkeypatch.delenv("GITLAB_TOKEN")
    monkeypatch.setenv("CI_JOB_TOKEN", gitlab.job_token)
    ran = ci()
    assert ran.code == 0
    assert "CI_JOB_TOKEN cannot write notes" in ran.out
    assert gitlab.writes() == []
