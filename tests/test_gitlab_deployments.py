"""`ci gitlab` and the record of the last complete apply: the apply job's deployments.

A real git repository, the real entry point, a Cortex emulator on loopback (so that a
delete can be made to fail) and a fake GitLab that makes a deployment for a job that
declares `environment:` and ends it with the job's exit code, as GitLab does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import Ran, enter_workdir, ladder_card, run_cli
from git_repo import commit, git, init_repo
from gitlab_fake import FakeGitLab

from scorecards_sync.config import Settings
from scorecards_sync.emulator import ALL_PERMISSIONS, Emulator
from scorecards_sync.emulator.faults import Faults
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.gitlab.deployments import Environment, JobEnvironment
from scorecards_sync.gitlab.host import GitLabHost
from scorecards_sync.plan import Plan
from scorecards_sync.record import Since

PROJECT = "42"
KEY = "cortex-key-5d1b-never-shown"
TOKEN = "glpat-deploy-reader-0d9e-never-shown"


@dataclass
class World:
    repo: Path
    gitlab: FakeGitLab
    cortex: Emulator
    url: str
    monkeypatch: pytest.MonkeyPatch
    iid: int = 0
    what: tuple[str, ...] = ("cards",)  # what each `ci gitlab` run is given

    def write(self, tag: str, name: str | None = None) -> None:
        text = ladder_card(tag) if name is None else ladder_card(tag, name=name)
        (self.repo / "cards").mkdir(exist_ok=True)
        (self.repo / "cards" / f"{tag}.yaml").write_text(text, encoding="utf-8")

    def merge_request(self, sha: str, base: str) -> Ran:
        """The merge-request pipeline of a merge request whose head is `sha`."""
        self.iid += 1
        self._pipeline(
            sha,
            CI_PIPELINE_SOURCE="merge_request_event",
            CI_MERGE_REQUEST_IID=str(self.iid),
            CI_MERGE_REQUEST_PROJECT_ID=PROJECT,
            CI_MERGE_REQUEST_SOURCE_PROJECT_ID=PROJECT,
            CI_MERGE_REQUEST_DIFF_BASE_SHA=base,
        )
        return run_cli("ci", "gitlab", *self.what, "--retries", "0")

    def apply(self, sha: str, before: str, *extra: str, environment: str | None = "cortex") -> Ran:
        """The default-branch pipeline's apply job, after merging the last merge request
        fast-forward (its head is the pushed commit `sha`). With `environment`, the job
        declares it, and GitLab makes a deployment of it that ends with the job."""
        self.gitlab.merged(PROJECT, sha, self.iid)
        job = {"CI_ENVIRONMENT_NAME": environment or "", "CI_ENVIRONMENT_ACTION": "start"}
        self._pipeline(
            sha,
            CI_PIPELINE_SOURCE="push",
            CI_COMMIT_BRANCH="main",
            CI_COMMIT_BEFORE_SHA=before,
            **(job if environment else {}),
        )
        deployment = self.gitlab.start_job(PROJECT, environment, sha) if environment else None
        ran = run_cli("ci", "gitlab", *self.what, "--apply", "--retries", "0", *extra)
        if deployment is not None:
            self.gitlab.end_job(deployment, ran.code)
        return ran

    def _pipeline(self, sha: str, **variables: str) -> None:
        for name in (
            "CI_PIPELINE_SOURCE",
            "CI_MERGE_REQUEST_IID",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA",
            "CI_COMMIT_BRANCH",
            "CI_COMMIT_BEFORE_SHA",
            "CI_ENVIRONMENT_NAME",
            "CI_ENVIRONMENT_ACTION",
        ):
            self.monkeypatch.delenv(name, raising=False)
        self.monkeypatch.setenv("CI_COMMIT_SHA", sha)
        for name, value in variables.items():
            self.monkeypatch.setenv(name, value)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    enter_workdir(tmp_path, monkeypatch, prefixes=("CI_", "GITLAB", "CORTEX_", "SCORECARDS_SYNC_"))
    init_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("gl-code-quality-report.json\n", encoding="utf-8")
    (tmp_path / "cards").mkdir()
    cortex = Emulator(api_keys={KEY: ALL_PERMISSIONS})
    with FakeGitLab(token=TOKEN) as gitlab, cortex.serve() as server:
        for name, value in {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_ID": PROJECT,
            "CI_DEFAULT_BRANCH": "main",
            "GITLAB_TOKEN": TOKEN,
            "SCORECARDS_SYNC_MERGED_PR_DELAYS": "0",
            "CORTEX_BASE_URL": server.base_url,
            "CORTEX_API_KEY": KEY,
        }.items():
            monkeypatch.setenv(name, value)
        yield World(tmp_path, gitlab, cortex, server.base_url, monkeypatch)


def alpha_and_beta_applied(world: World) -> str:
    """A first merge that adds alpha and beta, planned and applied: the first record."""
    empty = commit(world.repo, "start")
    world.write("alpha")
    world.write("beta")
    added = commit(world.repo, "add alpha and beta")
    planned = world.merge_request(added, empty)
    assert planned.code == 0, planned.out + planned.err
    applied = world.apply(added, empty)
    assert applied.code == 0, applied.out + applied.err
    assert world.cortex.tags() == ["alpha", "beta"]
    return added


def test_the_first_run_falls_back_to_the_base_says_so_and_its_job_is_the_record(
    world: World,
) -> None:
    empty = commit(world.repo, "start")
    world.write("alpha")
    added = commit(world.repo, "add alpha")
    planned = world.merge_request(added, empty)
    assert planned.code == 0, planned.out + planned.err
    fallback = (
        f"No successful deployment to environment cortex for {world.url} yet: deletions "
        f"are computed since {empty} instead; a complete apply records it."
    )
    assert fallback in planned.out
    applied = world.apply(added, empty)
    assert applied.code == 0, applied.out + applied.err
    assert fallback in applied.out
    assert (
        f"GitLab records this job as a deployment of {added[:12]} to environment cortex"
        in applied.out
    )
    assert world.gitlab.deployment_states(PROJECT, "cortex") == [(added, "success")]
    # The next pipeline starts from it.
    world.write("alpha", name="Renamed")
    renamed = commit(world.repo, "rename alpha")
    again = world.merge_request(renamed, added)
    assert f"Deletions are computed since the recorded commit {added[:12]}" in again.out


def test_a_deletion_whose_apply_failed_is_planned_again_by_the_next_pipeline(
    world: World,
) -> None:
    added = alpha_and_beta_applied(world)
    (world.repo / "cards" / "beta.yaml").unlink()
    retired = commit(world.repo, "retire beta")
    planned = world.merge_request(retired, added)
    assert planned.code == 0 and "1 to delete" in planned.out
    world.cortex.faults = Faults(failing_tags=frozenset({"beta"}))
    failed = world.apply(retired, added)
    assert failed.code == 1
    assert world.cortex.tags() == ["alpha", "beta"]
    assert "Not a complete apply" in failed.out and "marks its deployment" in failed.out
    assert world.gitlab.deployment_states(PROJECT, "cortex") == [
        (retired, "failed"),
        (added, "success"),
    ]
    # The next merge request only touches alpha; its pipeline's base is the retiring
    # commit, which removed nothing since. The record still says: beta goes.
    world.cortex.faults = Faults()
    world.write("alpha", name="Renamed")
    renamed = commit(world.repo, "rename alpha")
    replanned = world.merge_request(renamed, retired)
    assert replanned.code == 0, replanned.out + replanned.err
    assert f"since the recorded commit {added[:12]}" in replanned.out
    assert "0 to create, 1 to update, 1 to delete" in replanned.out
    [note] = [n for n in world.gitlab.notes[(PROJECT, world.iid)] if "beta" in n["body"]]
    applied = world.apply(renamed, retired)
    assert applied.code == 0, applied.out + applied.err
    assert "The plan matches the one reviewed in merge request" in applied.out
    assert world.cortex.tags() == ["alpha"]
    assert world.gitlab.deployment_states(PROJECT, "cortex")[0] == (renamed, "success")
    everything = "".join(r.out + r.err for r in (planned, failed, replanned, applied))
    everything += note["body"] + str([r.headers for r in world.gitlab.requests])
    assert TOKEN not in everything and KEY not in everything


def test_a_refused_apply_leaves_the_record_where_it_was(world: World) -> None:
    added = alpha_and_beta_applied(world)
    (world.repo / "cards" / "beta.yaml").unlink()
    retired = commit(world.repo, "retire beta")
    assert world.merge_request(retired, added).code == 0
    world.cortex.put_descriptor(ladder_card("alpha", name="Edited in Cortex"))
    refused = world.apply(retired, added)
    assert refused.code == 1 and "is not the plan reviewed in merge request" in refused.out
    assert world.gitlab.deployment_states(PROJECT, "cortex")[0] == (retired, "failed")
    # Planned again from the record, with the edit made in Cortex undone.
    world.write("alpha", name="Renamed")
    renamed = commit(world.repo, "rename alpha")
    assert "1 to delete" in world.merge_request(renamed, retired).out
    assert world.apply(renamed, retired).code == 0
    assert world.cortex.tags() == ["alpha"]


def test_a_recorded_commit_that_left_the_history_falls_back_and_says_why(
    world: World,
) -> None:
    added = alpha_and_beta_applied(world)
    gone = "f" * 40  # a commit a force-push took away
    world.gitlab.end_job(world.gitlab.start_job(PROJECT, "cortex", gone), 0)
    (world.repo / "cards" / "beta.yaml").unlink()
    retired = commit(world.repo, "retire beta")
    planned = world.merge_request(retired, added)
    assert planned.code == 0, planned.out + planned.err
    assert f"names commit {gone[:12]}, which is not in this branch's history" in planned.out
    assert f"deletions since it cannot be computed; deletions are computed since {added}" in (
        planned.out
    )
    assert "1 to delete" in planned.out  # from the pipeline's base, as before


def test_an_apply_job_without_the_environment_is_warned_that_nothing_records_it(
    world: World,
) -> None:
    empty = commit(world.repo, "start")
    world.write("alpha")
    added = commit(world.repo, "add alpha")
    assert world.merge_request(added, empty).code == 0
    applied = world.apply(added, empty, environment=None)
    assert applied.code == 0, applied.out + applied.err
    assert "warning: this job declares no `environment: cortex`" in applied.out
    assert world.gitlab.deployments == {}
    world.write("alpha", name="Renamed")
    renamed = commit(world.repo, "rename alpha")
    assert world.merge_request(renamed, added).code == 0
    other = world.apply(renamed, added, environment="production")
    assert other.code == 0
    assert "this job deploys to environment production, but the record is read" in other.out


def test_the_environment_flag_and_variable_choose_where_the_record_is_read(
    world: World,
) -> None:
    added = alpha_and_beta_applied(world)  # recorded in environment cortex
    (world.repo / "cards" / "beta.yaml").unlink()
    retired = commit(world.repo, "retire beta")
    world.monkeypatch.setenv("SCORECARDS_SYNC_ENVIRONMENT", "cortex-eu")
    planned = world.merge_request(retired, added)
    assert "No successful deployment to environment cortex-eu" in planned.out
    ran = world.apply(retired, added, "--environment", "cortex", environment="cortex")
    assert ran.code == 0, ran.out + ran.err
    assert f"since the recorded commit {added[:12]}" in ran.out
    bad = world.apply(retired, added, "--environment", "two\nlines")
    assert bad.code == 64 and "--environment" in bad.err


def test_unreadable_deployments_warn_and_fall_back_without_showing_the_token(
    world: World,
) -> None:
    empty = commit(world.repo, "start")
    world.write("alpha")
    added = commit(world.repo, "add alpha")
    world.gitlab.failures.append(403)  # the first call: the deployments
    planned = world.merge_request(added, empty)
    assert planned.code == 0, planned.out + planned.err
    assert "warning: cannot read the deployments of environment cortex" in planned.out
    assert "read_api" in planned.out
    assert "The deployments of environment cortex could not be read: deletions" in planned.out
    world.monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrong-token-that-must-not-show")
    wrong = world.apply(added, empty)
    assert wrong.code == 1 and "401" in wrong.out
    assert "glpat-wrong-token" not in wrong.out + wrong.err
    assert TOKEN not in planned.out + planned.err


def test_the_last_successful_deployment_is_the_one_that_finished_last(
    world: World,
) -> None:
    fake = world.gitlab
    first = fake.start_job(PROJECT, "cortex", "1" * 40)
    second = fake.start_job(PROJECT, "cortex", "2" * 40)
    fake.end_job(second, 0)
    fake.end_job(first, 0)  # started first, finished last: Cortex matches it
    fake.end_job(fake.start_job(PROJECT, "cortex", "3" * 40), 1)
    fake.start_job(PROJECT, "cortex", "4" * 40)  # still running
    fake.end_job(fake.start_job(PROJECT, "elsewhere", "5" * 40), 0)
    with GitLabClient(TOKEN, api_url=fake.api_url) as client:
        found = client.last_successful_deployment(PROJECT, "cortex")
        assert found is not None and found.sha == "1" * 40 and found.status == "success"
        assert found.finished_at == first["deployable"]["finished_at"]
        assert client.last_successful_deployment(PROJECT, "nowhere") is None
        # GitLab refuses the sort without its filter; the client always pairs them.
        with pytest.raises(Exception, match="must be paired"):
            client._request(
                "GET",
                f"/projects/{PROJECT}/deployments",
                params={"status": "success", "order_by": "finished_at"},
            )


def test_without_a_git_checkout_the_record_is_not_used_and_the_log_says_why(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bare = tmp_path_factory.mktemp("no-checkout")  # GIT_STRATEGY: none
    (bare / "cards").mkdir()
    (bare / "cards" / "alpha.yaml").write_text(ladder_card("alpha"), encoding="utf-8")
    world.gitlab.end_job(world.gitlab.start_job(PROJECT, "cortex", "1" * 40), 0)
    world.monkeypatch.chdir(bare)
    ran = world.merge_request("2" * 40, "")  # no base either: nothing to read it at
    assert ran.code == 0, ran.out + ran.err
    assert "warning: the deployments of environment cortex cannot be used without a git" in (
        ran.out
    )
    assert "No deletions are planned from files removed (only `prune` deletes)." in ran.out
    assert "1 to create" in ran.out


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def annotate(self, level: str, message: str) -> None:
        self.lines.append(f"{level}: {message}")

    def say(self, line: str) -> None:
        self.lines.append(line)


@pytest.mark.parametrize(
    ("job", "says"),
    [
        (JobEnvironment("cortex", "prepare"), "with `action: prepare`, which makes no deployment"),
        (JobEnvironment("cortex", "start"), "GitLab records this job as a deployment of 999"),
        (JobEnvironment("cortex", ""), "GitLab records this job as a deployment of 999"),
        (JobEnvironment("eu", "start"), "warning: this job deploys to environment eu, but"),
        (JobEnvironment(), "warning: this job declares no `environment: cortex`"),
    ],
)
def test_the_apply_says_once_per_job_what_gitlab_will_record(
    job: JobEnvironment, says: str
) -> None:
    def gitlab() -> GitLabClient:
        raise AssertionError("recording asks GitLab nothing: the job's status is the record")

    place = Environment(gitlab, PROJECT, "cortex", ("cards",), job)
    host = GitLabHost(gitlab, PROJECT, sha="9" * 40, environment=place, merged_delays=())
    log = _Log()
    since = Since(None, "", "9" * 40, ("cards",))
    for _workspace in ("staging", "production"):  # one job, one deployment: said once
        host.record(log, Settings(), since, Plan(changes=()), None)
    assert len(log.lines) == 1 and says in log.lines[0]


def test_a_merge_request_branch_behind_the_last_applied_commit_is_told_to_rebase(
    world: World,
) -> None:
    added = alpha_and_beta_applied(world)
    start = git(world.repo, "rev-parse", f"{added}^")
    git(world.repo, "checkout", "-q", "-b", "behind", start)
    world.write("gamma")
    head = commit(world.repo, "add gamma on an old branch")
    ran = world.merge_request(head, start)
    assert ran.code == 0, ran.out + ran.err
    assert f"names commit {added[:12]}, which is not in this branch's history" in ran.out
    assert f"This merge request's branch does not contain {added[:12]}" in ran.out
    # Once rebased, the branch contains it and no such line is said.
    git(world.repo, "checkout", "-q", "main")
    world.write("gamma")
    rebased = commit(world.repo, "add gamma")
    again = world.merge_request(rebased, added)
    assert f"since the recorded commit {added[:12]}" in again.out
    assert "does not contain" not in again.out


@pytest.mark.slow
def test_one_job_applying_every_workspace_is_one_deployment_of_them_all(world: World) -> None:
    production = Emulator(api_keys={"production-key-never-shown": ALL_PERMISSIONS})
    with production.serve() as server:
        (world.repo / ".scorecards-sync.yaml").write_text(
            "workspaces:\n"
            f"  staging: {{base_url: '{world.url}', api_key_env: CORTEX_API_KEY, "
            "paths: [cards]}\n"
            f"  production: {{base_url: '{server.base_url}', api_key_env: CORTEX_KEY_PROD, "
            "paths: [prod]}\n",
            encoding="utf-8",
        )
        world.monkeypatch.setenv("CORTEX_KEY_PROD", "production-key-never-shown")
        world.monkeypatch.delenv("CORTEX_BASE_URL")  # it would win over each workspace's
        world.what = ("--all-workspaces",)
        empty = commit(world.repo, "start")
        world.write("alpha")
        (world.repo / "prod").mkdir()
        for tag in ("beta", "keep"):  # deleting every scorecard would need --force
            (world.repo / "prod" / f"{tag}.yaml").write_text(ladder_card(tag), encoding="utf-8")
        added = commit(world.repo, "alpha to staging, beta to production")
        assert world.merge_request(added, empty).code == 0
        first = world.apply(added, empty)
        assert first.code == 0, first.out + first.err
        assert first.out.count("GitLab records this job as a deployment") == 1
        assert production.tags() == ["beta", "keep"] and world.cortex.tags() == ["alpha"]
        # Production's delete fails: the job fails, and so does its one deployment.
        (world.repo / "prod" / "beta.yaml").unlink()
        retired = commit(world.repo, "retire beta")
        assert world.merge_request(retired, added).code == 0
        production.faults = Faults(failing_tags=frozenset({"beta"}))
        assert world.apply(retired, added).code == 1
        assert world.gitlab.deployment_states(PROJECT, "cortex")[0] == (retired, "failed")
        # The next merge request touches staging only; production's delete is planned again.
        production.faults = Faults()
        world.write("alpha", name="Renamed")
        renamed = commit(world.repo, "rename alpha")
        planned = world.merge_request(renamed, retired)
        assert planned.code == 0 and planned.out.count(f"commit {added[:12]}") == 2
        assert "delete beta" in planned.out
        assert world.apply(renamed, retired).code == 0
        assert production.tags() == ["keep"] and "Renamed" in (
            world.cortex.descriptor_text("alpha") or ""
        )
