"""`ci gitlab --all-workspaces`: one merge-request note with a section per workspace, and
on the merge each reviewed section applied to its own Cortex with its own key (two
loopback emulators, two keys, a fake GitLab on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_runner import enter_workdir, ladder_card, run_cli
from gitlab_fake import FakeGitLab

from scorecards_sync.emulator import ALL_PERMISSIONS, Emulator
from scorecards_sync.review.sticky import parse_marker
from scorecards_sync.review.workspaces_step import combined_checksum, reviewed_sections

PROJECT = "42"
SHA = "b" * 40
STAGING_KEY = "staging-key-7f1e-never-shown"
PRODUCTION_KEY = "production-key-2c9a-never-shown"
CONFIG = """\
workspaces:
  staging: {{base_url: "{staging}", api_key_env: CORTEX_KEY_STAGING, paths: [staging]}}
  production: {{base_url: "{production}", api_key_env: CORTEX_KEY_PRODUCTION, paths: [prod]}}
"""


@dataclass
class World:
    repo: Path
    gitlab: FakeGitLab
    staging: Emulator
    production: Emulator
    urls: dict[str, str]

    def notes(self) -> list[dict[str, Any]]:
        return [n for n in self.gitlab.notes.get((PROJECT, 7), []) if parse_marker(n["body"])]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    enter_workdir(tmp_path, monkeypatch, prefixes=("CI_", "GITLAB", "CORTEX_", "SCORECARDS_SYNC_"))
    for folder, tag in (("staging", "alpha"), ("prod", "beta")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{tag}.yaml").write_text(ladder_card(tag), encoding="utf-8")
    staging = Emulator(api_keys={STAGING_KEY: ALL_PERMISSIONS})
    production = Emulator(api_keys={PRODUCTION_KEY: ALL_PERMISSIONS})
    with (
        FakeGitLab() as gitlab,
        staging.serve() as staging_server,
        production.serve() as production_server,
    ):
        (tmp_path / ".scorecards-sync.yaml").write_text(
            CONFIG.format(staging=staging_server.base_url, production=production_server.base_url),
            encoding="utf-8",
        )
        for name, value in {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_ID": PROJECT,
            "CI_COMMIT_SHA": SHA,
            "CI_DEFAULT_BRANCH": "main",
            "GITLAB_TOKEN": gitlab.token,
            "SCORECARDS_SYNC_MERGED_PR_DELAYS": "0",
            "CORTEX_KEY_STAGING": STAGING_KEY,
            "CORTEX_KEY_PRODUCTION": PRODUCTION_KEY,
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_MERGE_REQUEST_PROJECT_ID": PROJECT,
            "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": PROJECT,
        }.items():
            monkeypatch.setenv(name, value)
        urls = {"staging": staging_server.base_url, "production": production_server.base_url}
        yield World(tmp_path, gitlab, staging, production, urls)


def merged(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI_MERGE_REQUEST_IID", "CI_PIPELINE_SOURCE"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "push")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "main")
    world.gitlab.merged(PROJECT, SHA, 7)


def test_a_two_workspace_plan_in_one_note_is_applied_to_both(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = run_cli("ci", "gitlab", "--all-workspaces")
    assert planned.code == 0, planned.out + planned.err
    [note] = world.notes()
    sections = reviewed_sections(note["body"])
    assert set(sections) == {"staging", "production"} and all(sections.values())
    marker = parse_marker(note["body"])
    assert marker is not None and marker.checksum == combined_checksum(sections)
    body = note["body"]
    assert body.index("Workspace <code>staging</code>") < body.index("alpha")
    assert body.index("Workspace <code>production</code>") < body.index("beta")
    assert world.staging.tags() == [] and world.production.tags() == []  # dry runs only

    merged(world, monkeypatch)
    applied = run_cli("ci", "gitlab", "--all-workspaces", "--apply")
    assert applied.code == 0, applied.out + applied.err
    assert "Every workspace's plan matches the one reviewed in merge request !7." in applied.out
    # Each section went to its own Cortex, with its own key.
    assert world.staging.tags() == ["alpha"] and world.production.tags() == ["beta"]
    result = world.notes()[-1]
    assert "Scorecards applied · every workspace" in result["body"]
    everything = planned.out + planned.err + applied.out + applied.err
    everything += "".join(n["body"] for n in world.gitlab.notes[(PROJECT, 7)])
    assert STAGING_KEY not in everything and PRODUCTION_KEY not in everything


def test_one_workspace_that_moved_means_nothing_is_applied_anywhere(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("ci", "gitlab", "--all-workspaces").code == 0
    world.production.put_descriptor(ladder_card("beta", name="Edited in Cortex"))
    merged(world, monkeypatch)
    refused = run_cli("ci", "gitlab", "--all-workspaces", "--apply")
    assert refused.code == 1
    assert "not the plans reviewed in merge request !7 for workspace(s) production" in refused.out
    assert world.staging.tags() == []  # staging's plan matched, but nothing is applied


def test_a_missing_key_variable_is_named_and_the_note_is_no_reviewed_plan(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORTEX_KEY_PRODUCTION")
    ran = run_cli("ci", "gitlab", "--all-workspaces")
    assert ran.code == 1
    assert "workspace production" in ran.out and "CORTEX_KEY_PRODUCTION" in ran.out
    [note] = world.notes()
    marker = parse_marker(note["body"])
    assert marker is not None and marker.checksum == ""
    assert reviewed_sections(note["body"])["production"] == ""
    assert reviewed_sections(note["body"])["staging"].startswith("sha256:")
    assert "CORTEX&#95;KEY&#95;PRODUCTION" in note["body"]  # Markdown-escaped
    merged(world, monkeypatch)
    monkeypatch.setenv("CORTEX_KEY_PRODUCTION", PRODUCTION_KEY)
    refused = run_cli("ci", "gitlab", "--all-workspaces", "--apply")
    assert refused.code == 1 and world.staging.tags() == [] and world.production.tags() == []


def test_a_fork_validates_every_workspace_offline_and_reads_no_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "99")
    (world.repo / "prod" / "bad.yaml").write_text("tag: bad\nrules: 3\n", encoding="utf-8")
    ran = run_cli("ci", "gitlab", "--all-workspaces")
    assert ran.code == 1 and "prod/bad.yaml:" in ran.out
    (world.repo / "prod" / "bad.yaml").unlink()
    for name in ("CORTEX_KEY_STAGING", "CORTEX_KEY_PRODUCTION"):
        monkeypatch.delenv(name)
    fine = run_cli("ci", "gitlab", "--all-workspaces")
    assert fine.code == 0 and "validated offline only" in fine.out
    assert world.gitlab.requests == []


@pytest.mark.parametrize(
    "extra",
    [("staging",), ("--workspace", "staging")],
    ids=["a path", "a workspace"],
)
def test_all_workspaces_takes_no_path_and_no_workspace(
    world: World, extra: tuple[str, ...]
) -> None:
    ran = run_cli("ci", "gitlab", "--all-workspaces", *extra)
    assert ran.code == 64, ran.out + ran.err
    # Nothing is posted (an earlier plan note would only lose its checksum).
    assert world.gitlab.writes() == []


SHARED = """\
workspaces:
  staging: {{base_url: "{staging}", api_key_env: CORTEX_KEY_STAGING, paths: [staging]}}
  production: {{base_url: "{production}", api_key_env: CORTEX_KEY_PRODUCTION, paths: [staging]}}
"""


def _config(world: World, template: str, *, drop: str | None = None) -> None:
    text = template.format(**world.urls)
    if drop is not None:
        text = "".join(line for line in text.splitlines(True) if not line.startswith(f"  {drop}:"))
    (world.repo / ".scorecards-sync.yaml").write_text(text, encoding="utf-8")


def test_a_workspace_dropped_from_the_config_after_review_means_nothing_is_applied(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both workspaces plan the same folder: the comment's key does not change when one goes.
    _config(world, SHARED)
    assert run_cli("ci", "gitlab", "--all-workspaces").code == 0
    sections = reviewed_sections(world.notes()[0]["body"])
    assert set(sections) == {"staging", "production"}
    # The same changes to two workspaces are two plans: a section's checksum names its
    # workspace, so one cannot stand for the other.
    assert sections["staging"] != sections["production"]
    _config(world, SHARED, drop="production")
    merged(world, monkeypatch)
    refused = run_cli("ci", "gitlab", "--all-workspaces", "--apply")
    assert refused.code == 1, refused.out
    assert "production" in refused.out and "not in the config" in refused.out
    assert world.staging.tags() == [] and world.production.tags() == []


def test_a_section_marker_edited_to_the_plan_of_the_merge_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sections must hash to the comment's own checksum: an edited section (here one
    made to match what the merge plans now) is no reviewed plan."""
    assert run_cli("ci", "gitlab", "--all-workspaces").code == 0
    [note] = world.notes()
    reviewed = reviewed_sections(note["body"])
    (world.repo / "prod" / "beta.yaml").write_text(
        ladder_card("beta", name="Never reviewed"), encoding="utf-8"
    )
    replanned = run_cli("ci", "gitlab", "--all-workspaces", "--note", "false")
    assert replanned.code == 0
    [new] = [
        line.removeprefix("Plan checksum: ")
        for line in replanned.out.splitlines()
        if line.startswith("Plan checksum: ")
        and line.removeprefix("Plan checksum: ") not in reviewed.values()
    ]
    note["body"] = note["body"].replace(reviewed["production"], new)
    assert reviewed_sections(note["body"])["production"] == new
    merged(world, monkeypatch)
    refused = run_cli("ci", "gitlab", "--all-workspaces", "--apply")
    assert refused.code == 1, refused.out
    assert world.staging.tags() == [] and world.production.tags() == []


def test_a_config_file_broken_after_review_withdraws_every_checksum(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("ci", "gitlab", "--all-workspaces").code == 0
    [note] = world.notes()
    assert parse_marker(note["body"]).checksum  # type: ignore[union-attr]
    (world.repo / ".scorecards-sync.yaml").write_text("workspaces: [\n", encoding="utf-8")
    failed = run_cli("ci", "gitlab", "--all-workspaces")
    assert failed.code == 64, failed.out + failed.err
    [note] = world.notes()
    marker = parse_marker(note["body"])
    assert marker is not None and marker.checksum == ""
    assert not any(reviewed_sections(note["body"]).values())


def test_without_notes_the_apply_still_logs_each_workspaces_results(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("ci", "gitlab", "--all-workspaces").code == 0
    merged(world, monkeypatch)
    applied = run_cli("ci", "gitlab", "--all-workspaces", "--apply", "--note", "false")
    assert applied.code == 0, applied.out + applied.err
    assert world.staging.tags() == ["alpha"] and world.production.tags() == ["beta"]
    assert applied.out.count("Apply complete: 1 done, 0 failed, 0 skipped.") == 2
    assert "+ create alpha: done" in applied.out and "+ create beta: done" in applied.out
