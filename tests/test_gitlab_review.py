"""`ci gitlab` on the review core: what the GitHub flow does, GitLab now does too.

The real entry point, a fake GitLab API on loopback, the in-process Cortex emulator
(`--emulator STATE_FILE`) and, where removals matter, a real temporary git repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_runner import enter_workdir, ladder_card, run_cli
from git_repo import commit, init_repo
from gitlab_fake import FakeGitLab

from scorecards_sync.emulator import Emulator
from scorecards_sync.review.sticky import parse_marker, path_key

PROJECT = "42"
SHA = "a" * 40


@pytest.fixture
def gitlab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    enter_workdir(tmp_path, monkeypatch, prefixes=("CI_", "GITLAB", "CORTEX_", "SCORECARDS_SYNC_"))
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "svc.yaml").write_text(ladder_card("svc"), encoding="utf-8")
    with FakeGitLab() as fake:
        for name, value in {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": fake.api_url,
            "CI_PROJECT_ID": PROJECT,
            "CI_COMMIT_SHA": SHA,
            "CI_DEFAULT_BRANCH": "main",
            "GITLAB_TOKEN": fake.token,
            "SCORECARDS_SYNC_MERGED_PR_DELAYS": "0,0",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def merge_request(monkeypatch: pytest.MonkeyPatch, base: str | None = None) -> None:
    for name in ("CI_COMMIT_BRANCH", "CI_COMMIT_BEFORE_SHA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "merge_request_event")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("CI_MERGE_REQUEST_PROJECT_ID", PROJECT)
    monkeypatch.setenv("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", PROJECT)
    if base:
        monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)


def default_branch(monkeypatch: pytest.MonkeyPatch, sha: str = SHA, before: str = "") -> None:
    for name in ("CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "push")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "main")
    monkeypatch.setenv("CI_COMMIT_SHA", sha)
    if before:
        monkeypatch.setenv("CI_COMMIT_BEFORE_SHA", before)


def notes(fake: FakeGitLab) -> list[dict[str, Any]]:
    return [n for n in fake.notes.get((PROJECT, 7), []) if parse_marker(n["body"])]


def in_sync(*paths: str) -> bool:
    return run_cli("plan", *paths, "--emulator", "state.json", "--detailed-exitcode").code == 0


def test_a_complete_apply_posts_an_applied_note_on_the_merged_merge_request(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    assert run_cli("ci", "gitlab", "cards", "--emulator", "state.json").code == 0
    default_branch(monkeypatch)
    # GitLab links the merge commit to its merge request only on the third ask.
    gitlab.merged(PROJECT, SHA, 7, linked_after=2)
    applied = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert applied.code == 0, applied.out + applied.err
    assert "The plan matches the one reviewed in merge request !7." in applied.out
    assert "Result note created on !7." in applied.out
    _plan_note, result_note = notes(gitlab)
    assert "Scorecards applied" in result_note["body"] and "1 done" in result_note["body"]
    marker = parse_marker(result_note["body"])
    assert marker is not None and marker.path_key == path_key("cards") + "#apply"
    assert in_sync("cards")


def test_a_merge_request_gitlab_never_links_is_no_reviewed_plan(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    assert run_cli("ci", "gitlab", "cards", "--emulator", "state.json").code == 0
    default_branch(monkeypatch)
    gitlab.merged(PROJECT, SHA, 7, linked_after=3)  # one more than the two waits
    ran = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert ran.code == 1 and "no merged merge request found for commit" in ran.out
    asked = [r for r in gitlab.requests if r.path.endswith("/merge_requests")]
    assert len(asked) == 3
    assert not in_sync("cards")


def test_the_job_token_cannot_read_the_reviewed_plan_so_nothing_is_applied(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_branch(monkeypatch)
    gitlab.merged(PROJECT, SHA, 7)
    monkeypatch.delenv("GITLAB_TOKEN")
    monkeypatch.setenv("CI_JOB_TOKEN", gitlab.job_token)
    ran = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert ran.code == 1 and "CI_JOB_TOKEN cannot write notes" in ran.out
    assert gitlab.writes() == [] and not in_sync("cards")


@pytest.fixture
def repo(gitlab: FakeGitLab, tmp_path: Path) -> Path:
    init_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("state.json\ngl-code-quality-report.json\n", "utf-8")
    (tmp_path / "cards" / "gone.yaml").write_text(ladder_card("gone"), encoding="utf-8")
    return tmp_path


def test_a_descriptor_deleted_since_the_bases_gitlab_names_is_deleted(
    gitlab: FakeGitLab, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = commit(repo, "svc and gone")
    cortex = Emulator(state_file=repo / "state.json")
    cortex.put_descriptor(ladder_card("svc"))
    cortex.put_descriptor(ladder_card("gone"))
    (repo / "cards" / "gone.yaml").unlink()
    head = commit(repo, "remove gone")
    # The merge request plans the deletion from CI_MERGE_REQUEST_DIFF_BASE_SHA.
    merge_request(monkeypatch, base=base)
    monkeypatch.setenv("CI_COMMIT_SHA", head)
    planned = run_cli("ci", "gitlab", "cards", "--emulator", "state.json")
    assert planned.code == 0, planned.out + planned.err
    assert "0 to create, 0 to update, 1 to delete" in planned.out
    [note] = notes(gitlab)
    assert "gone" in note["body"] and "removed since base" in note["body"]
    # The push pipeline applies it from CI_COMMIT_BEFORE_SHA.
    default_branch(monkeypatch, sha=head, before=base)
    gitlab.merged(PROJECT, head, 7)
    applied = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert applied.code == 0, applied.out + applied.err
    assert Emulator(state_file=repo / "state.json").tags() == ["svc"]


def test_a_workspace_brings_its_own_paths_and_names_its_own_key_variable(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "bad.yaml").write_text("tag: bad\nrules: 3\n", encoding="utf-8")
    (tmp_path / ".scorecards-sync.yaml").write_text(
        "paths: [cards]\nworkspaces:\n"
        "  staging:\n    base_url: http://127.0.0.1:9\n    api_key_env: CORTEX_KEY_STAGING\n"
        "    paths: [staging]\n",
        encoding="utf-8",
    )
    merge_request(monkeypatch)
    monkeypatch.setenv("CORTEX_API_KEY", "a-key-of-another-workspace")
    # The workspace's paths: its bad descriptor is what is validated.
    invalid = run_cli("ci", "gitlab", "--workspace", "staging")
    assert invalid.code == 1 and "staging/bad.yaml:" in invalid.out
    (tmp_path / "staging" / "bad.yaml").write_text(ladder_card("stage"), encoding="utf-8")
    monkeypatch.setenv("SCORECARDS_SYNC_WORKSPACE", "staging")
    keyless = run_cli("ci", "gitlab")
    assert keyless.code != 0
    assert "CORTEX_KEY_STAGING" in keyless.out + keyless.err
    assert "a-key-of-another-workspace" not in keyless.out + keyless.err
    assert gitlab.writes() == []


def test_a_config_file_broken_after_review_withdraws_the_earlier_checksum(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The paths come from the config file: when it no longer reads, the run fails before
    it knows its note, and must still not leave an earlier plan standing as reviewed."""
    (tmp_path / ".scorecards-sync.yaml").write_text("paths: [cards]\n", encoding="utf-8")
    merge_request(monkeypatch)
    assert run_cli("ci", "gitlab", "--emulator", "state.json").code == 0
    [note] = notes(gitlab)
    marker = parse_marker(note["body"])
    assert marker is not None and marker.checksum
    (tmp_path / ".scorecards-sync.yaml").write_text("paths: [cards\n", encoding="utf-8")
    failed = run_cli("ci", "gitlab", "--emulator", "state.json")
    assert failed.code == 64, failed.out + failed.err
    [note] = notes(gitlab)
    marker = parse_marker(note["body"])
    assert marker is not None and marker.path_key == path_key("cards") and marker.checksum == ""
    assert "The last plan run failed" in note["body"]


def test_a_fast_forward_merge_applies_the_plan_reviewed_in_its_note(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast-forward merge makes no merge commit: GitLab answers the merge request with no
    `merge_commit_sha`, and the pushed commit is its head (`sha`)."""
    merge_request(monkeypatch)
    assert run_cli("ci", "gitlab", "cards", "--emulator", "state.json").code == 0
    default_branch(monkeypatch)
    gitlab.merged(PROJECT, SHA, 7, fast_forward=True)
    applied = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert applied.code == 0, applied.out + applied.err
    assert "The plan matches the one reviewed in merge request !7." in applied.out
    assert in_sync("cards")


# JSON nested deeper than Python's recursion limit: decoding it raises RecursionError, an
# exception that is not the tool's own, as a hostile server or a broken proxy can cause.
TOO_DEEP = b"[" * 100_000 + b"]" * 100_000


def test_an_unexpected_error_after_the_apply_still_prints_what_was_applied(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_request(monkeypatch)
    assert run_cli("ci", "gitlab", "cards", "--emulator", "state.json").code == 0
    default_branch(monkeypatch)
    gitlab.merged(PROJECT, SHA, 7)
    # The result note is posted after the writes; GitLab's answer to it is what breaks.
    gitlab.spoil("POST", "/merge_requests/7/notes", TOO_DEEP)
    applied = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert in_sync("cards")  # the writes were made...
    assert applied.code == 1
    # ... and the job log says so, then says the run stopped, as any internal error.
    assert "Apply complete: 1 done, 0 failed, 0 skipped." in applied.out, applied.out
    assert "error: The run stopped: internal error (RecursionError)." in applied.out
    assert applied.err.startswith("error: internal error: RecursionError:")
    assert "Traceback" not in applied.out + applied.err
    assert gitlab.token not in applied.out + applied.err
    assert Path("gl-code-quality-report.json").read_text(encoding="utf-8") == "[]\n"


def test_bad_delays_for_the_merged_merge_request_are_a_usage_error(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_branch(monkeypatch)
    monkeypatch.setenv("SCORECARDS_SYNC_MERGED_PR_DELAYS", "1,soon")
    ran = run_cli("ci", "gitlab", "cards", "--emulator", "state.json", "--apply")
    assert ran.code == 64
    assert "SCORECARDS_SYNC_MERGED_PR_DELAYS: expected seconds between 0 and 60" in ran.err
    assert gitlab.requests == []
