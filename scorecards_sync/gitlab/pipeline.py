"""`scorecards-sync ci gitlab`: the review core's flow in a GitLab pipeline.

- Merge-request pipeline: validate (problems as `path:line` lines in the job log and
  as a Code Quality report), plan with Cortex's dry run, and keep one merge-request
  note up to date (`review.plan_step`); its marker carries the plan checksum, or none
  when the plan failed its checks. A merge request from a fork is validated offline
  only: no key is read, no note is posted.
- Default-branch pipeline with `--apply`: validate and plan, find the merged merge
  request of the commit (asked again for a few seconds while GitLab links it), and
  apply the saved plan only when it has the checksum reviewed in its note (posted by
  the token's own user, so nobody else can plant a marker); refuse otherwise. The
  outcome goes to an "applied" note on that merge request (`review.apply_step`).
- Both compute deletions from the commit of the apply job's last successful deployment
  to its environment, GitLab's record of the last complete apply (`gitlab.deployments`),
  so that a deletion that failed or was refused is planned again.

The steps are the review core's, with GitLab as their host (`gitlab.host`); this
module reads the pipeline's predefined variables and dispatches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError, UsageError
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.gitlab.codequality import report_json
from scorecards_sync.gitlab.deployments import DEFAULT_ENVIRONMENT, Environment, JobEnvironment
from scorecards_sync.gitlab.host import GitLabHost
from scorecards_sync.review.apply_step import run_apply
from scorecards_sync.review.host import RunEvent
from scorecards_sync.review.merged import MERGED_DELAYS
from scorecards_sync.review.plan_step import run_plan, withdraw_every_plan
from scorecards_sync.review.run import ReviewOptions, ReviewRun
from scorecards_sync.review.workspaces_step import Workspace, run_apply_all, run_plan_all

_NO_BASE = "0" * 40


@dataclass(frozen=True)
class Pipeline:
    """What GitLab's predefined variables say about this pipeline."""

    project: str
    sha: str
    merge_request: int | None
    base: str | None
    fork: bool
    default_branch_push: bool
    branch: str
    job_environment: JobEnvironment = field(default_factory=JobEnvironment)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Pipeline:
        if environ.get("GITLAB_CI") != "true":
            raise UsageError("ci gitlab runs inside a GitLab pipeline (GITLAB_CI is not set)")
        source = environ.get("CI_PIPELINE_SOURCE", "")
        project = environ.get("CI_PROJECT_ID", "")
        iid = environ.get("CI_MERGE_REQUEST_IID", "")
        in_mr = source == "merge_request_event" and iid.isdigit()
        source_project = environ.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "")
        target_project = environ.get("CI_MERGE_REQUEST_PROJECT_ID", project)
        branch = environ.get("CI_COMMIT_BRANCH", "")
        before = environ.get("CI_COMMIT_BEFORE_SHA", "")
        base = (
            environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or None
            if in_mr
            else (before if before and before != _NO_BASE else None)
        )
        return cls(
            project=target_project if in_mr else project,
            sha=environ.get("CI_COMMIT_SHA", ""),
            merge_request=int(iid) if in_mr else None,
            base=base,
            fork=in_mr and bool(source_project) and source_project != target_project,
            default_branch_push=(
                not in_mr and bool(branch) and branch == environ.get("CI_DEFAULT_BRANCH")
            ),
            branch=branch,
            job_environment=JobEnvironment.from_env(environ),
        )

    def event(self) -> RunEvent:
        """The pipeline as the review core sees it."""
        name = "merge request pipeline" if self.merge_request is not None else "push pipeline"
        if self.merge_request is not None:
            return RunEvent(
                name,
                "change_request",
                self.sha,
                number=self.merge_request,
                head_sha=self.sha or None,
                base=self.base,
            )
        if self.default_branch_push:
            return RunEvent(name, "default_push", self.sha, base=self.base, branch=self.branch)
        if self.branch:
            return RunEvent(name, "push", self.sha, base=self.base, branch=self.branch)
        return RunEvent(name, "other", self.sha, base=self.base)


@dataclass
class PipelineReport:
    """What the run has to say: the job log, the Code Quality report, the exit code.

    `unexpected`: the exception that is not the tool's own and stopped the run, for the
    command to raise again once it has written the rest (an apply's results included)."""

    log: list[str] = field(default_factory=list)
    code_quality: str = "[]\n"
    exit_code: int = EXIT_OK
    unexpected: BaseException | None = None


def run_pipeline(
    pipeline: Pipeline,
    options: ReviewOptions,
    settings: Callable[[], Settings],
    gitlab: Callable[[], GitLabClient],
    *,
    apply: bool,
    temp_dir: Path,
    run_url: str | None = None,
    merged_delays: tuple[float, ...] = MERGED_DELAYS,
    workspaces: Sequence[Workspace] | None = None,
    environment: str = DEFAULT_ENVIRONMENT,
) -> PipelineReport:
    """Do what the pipeline calls for; errors become an `error:` line and an exit code.

    Any other exception ends the run too, with what it did so far, and comes back as the
    report's `unexpected`: a job log is never lost, whatever the apply wrote.

    `environment`: where the record of the last complete apply is read from (the apply
    job's deployments, `gitlab.deployments`)."""
    place = Environment(
        gitlab,
        pipeline.project,
        environment,
        options.paths,
        pipeline.job_environment,
        merge_request=pipeline.merge_request is not None,
    )
    host = GitLabHost(
        gitlab,
        pipeline.project,
        sha=pipeline.sha,
        environment=place,
        merged_delays=merged_delays,
    )
    run = ReviewRun(host, pipeline.event(), options, settings, temp_dir=temp_dir, run_url=run_url)
    unexpected: BaseException | None = None
    try:
        code = _dispatch(run, pipeline, apply=apply, workspaces=workspaces)
    except ScorecardsSyncError as exc:
        code = run.fail(exc)
    except BaseException as exc:
        code, unexpected = run.stopped(exc), exc
    return PipelineReport(run.log, report_json(run.problems), code, unexpected)


def withdraw_after_failure(
    pipeline: Pipeline,
    gitlab: Callable[[], GitLabClient],
    *,
    note: str,
    run_url: str | None,
    environment: str,
) -> list[str]:
    """For a merge-request pipeline that failed before its run began (its config file does
    not read): no earlier plan note may stand as reviewed. The job log's warning lines."""
    if pipeline.merge_request is None or pipeline.fork or note == "false":
        return []
    # No deployment is read or recorded here: the paths are unknown.
    place = Environment(gitlab, pipeline.project, environment, ())
    host = GitLabHost(
        gitlab, pipeline.project, sha=pipeline.sha, environment=place, merged_delays=()
    )
    warning = withdraw_every_plan(host, pipeline.merge_request, run_url=run_url)
    return [] if warning is None else [host.annotation("warning", warning)]


def _dispatch(
    run: ReviewRun, pipeline: Pipeline, *, apply: bool, workspaces: Sequence[Workspace] | None
) -> int:
    if pipeline.fork:
        source = run.validate(pipeline.base)
        if source is None:
            run.say("Nothing was sent to Cortex: fix the errors above first.")
            return EXIT_ERROR
        run.say(
            "Merge request from a fork: validated offline only. No Cortex key is read and "
            "no note is posted; a maintainer re-runs the plan from a branch of this project."
        )
        return EXIT_OK
    if apply and pipeline.merge_request is None:
        return run_apply(run) if workspaces is None else run_apply_all(run, workspaces)
    return run_plan(run) if workspaces is None else run_plan_all(run, workspaces)
