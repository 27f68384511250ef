"""The record of the last complete apply on GitLab: the apply job's own deployments.

The apply job of the pipeline declares `environment: cortex` (the name `ci gitlab
--environment` reads, `cortex` by default, as the GitHub Action's `environment` input).
GitLab then makes a deployment of the job's commit to that environment when the job is
created, and ends it with the job: `success` when the job succeeds, `failed` when it
fails, `canceled` when it is cancelled. `ci gitlab` only reads them: on a merge-request
and a default-branch pipeline alike, removals are computed from the commit of the
deployment that finished last with `success` (`GET /projects/:id/deployments?environment=
…&status=success&order_by=finished_at&finished_after=…&sort=desc`; GitLab sorts by
`finished_at` only with a `finished_*` filter and the `success` status), rather than
from the pipeline's base, so a deletion that did not happen is planned again. With no
such deployment, or one whose commit is not in this branch's history (a force-push, a
shallow clone: `GIT_DEPTH: 0`), or when GitLab cannot be asked, the run falls back to
the pipeline's base and says so (`review.last_apply`, shared with GitHub).

Why the job's deployment, and not one made through the API as on GitHub:

- It is the right "last complete apply". `ci gitlab --apply` exits 0 only when the apply
  had no failure (or there was nothing to apply); a refused plan, a failed or partial
  apply, an error before it, exit non-zero, and a cancelled or timed-out job never
  exits 0. So a `success` deployment is exactly a complete apply of its commit, and a
  failed one is left behind as GitLab's record of the attempt, linked to the job whose
  log says why. A deployment made through the API instead would sit beside the job's
  own (a job with `environment:` always gets one, marked failed when the job fails),
  and it could not say why either: GitLab's deployments carry no description.
- GitLab does not let the API change a job's deployment ("Deployments created using
  GitLab CI can not be updated using the API"), so the job's exit status is the only
  honest way to end it, and reading needs no write permission: the token that reads the
  merge-request notes (or `CI_JOB_TOKEN`, where GitLab lets it read deployments) will do.
- The Environments page then shows what is live in Cortex, since when, and from which
  pipeline; `resource_group` keeps two applies from overlapping.

GitLab's deployments carry no payload to name the Cortex and the descriptor paths they
were for, as the GitHub record does: here the environment is the target. Give each
Cortex (each workspace applied by its own job) its own environment; one job that applies
`--all-workspaces` is one deployment, a success only when every workspace's apply was.

The apply run checks that its job declares the environment (GitLab sets
`CI_ENVIRONMENT_NAME` and `CI_ENVIRONMENT_ACTION` in such a job) and warns when it does
not: GitLab would record nothing, and every pipeline would fall back to its base.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scorecards_sync.config import Settings
from scorecards_sync.errors import GitSourceError, UsageError
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.record import Record, Since, repo_relative_paths
from scorecards_sync.review.host import RunLog
from scorecards_sync.review.last_apply import since_last_deployment
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import Source

DEFAULT_ENVIRONMENT = "cortex"
ENV_ENVIRONMENT = "SCORECARDS_SYNC_ENVIRONMENT"
# The actions of `environment:` that make a deployment; `prepare`, `verify`, `access` and
# `stop` do not.
_DEPLOYING_ACTIONS = ("", "start")
PERMISSION = (
    "GITLAB_TOKEN needs the read_api or api scope and the Reporter role; CI_JOB_TOKEN may "
    "not be allowed to read deployments"
)


def environment_name(flag: str | None, environ: Mapping[str, str]) -> str:
    """The environment the record is read from: `--environment`, else
    `SCORECARDS_SYNC_ENVIRONMENT`, else `cortex`. A usage error when it is no name."""
    name = (flag if flag is not None else environ.get(ENV_ENVIRONMENT, "")).strip()
    name = name or DEFAULT_ENVIRONMENT
    if len(name) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UsageError(
            "--environment: expected a GitLab environment name (at most 255 characters, "
            f"one line), got {name[:60]!r}"
        )
    return name


@dataclass(frozen=True)
class JobEnvironment:
    """What the job declares as its `environment:` (GitLab's predefined variables)."""

    name: str = ""  # CI_ENVIRONMENT_NAME: empty when the job declares none
    action: str = ""  # CI_ENVIRONMENT_ACTION: start (the default), prepare, stop, ...

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> JobEnvironment:
        return cls(
            environ.get("CI_ENVIRONMENT_NAME", "").strip(),
            environ.get("CI_ENVIRONMENT_ACTION", "").strip(),
        )

    @property
    def deploys(self) -> bool:
        return bool(self.name) and self.action in _DEPLOYING_ACTIONS


@dataclass(frozen=True)
class Environment:
    """The deployments of one project to one environment, and the job's own declaration."""

    gitlab: Callable[[], GitLabClient]
    project: str
    name: str
    paths: tuple[str, ...]
    job: JobEnvironment = field(default_factory=JobEnvironment)
    merge_request: bool = False  # a merge-request pipeline: it runs on the branch's head


def since_deployment(
    place: Environment,
    log: RunLog,
    settings: Settings,
    source: Source,
    base: str | None,
    *,
    sha: str,
) -> tuple[Source, Since]:
    """`source` again from where the last successful deployment to the environment says
    removals start (unchanged when that is `base`), and that starting point.

    Without a git checkout (`GIT_STRATEGY: none`) no recorded commit can be checked: the
    run keeps `base` and warns. GitLab, not this run, records the job's commit `sha`.
    """
    paths = tuple(source.paths or place.paths)
    try:
        repo_relative_paths(paths)
    except GitSourceError as exc:
        log.annotate(
            "warning",
            f"the deployments of environment {place.name} cannot be used without a git "
            f"checkout ({exc})",
        )
        note = (
            f"Deletions are computed since {base}."
            if base
            else "No deletions are planned from files removed (only `prune` deletes)."
        )
        log.say(note)
        return source, Since(base, note, sha, paths)

    def read(target: str, paths: tuple[str, ...]) -> Record | None:
        with place.gitlab() as client:
            found = client.last_successful_deployment(place.project, place.name)
        if found is None:
            return None
        # The environment is the target: its deployments are this target's applies.
        return Record(target, paths, found.sha, found.finished_at)

    source, since = since_last_deployment(
        log,
        settings,
        source,
        base,
        environment=place.name,
        paths=place.paths,
        read=read,
        permission=PERMISSION,
    )
    if place.merge_request and since.record is not None and since.base != since.record.commit:
        # A merge-request pipeline runs on the branch's head, not on a merge with the
        # default branch (unless merged results pipelines are on): a branch that is behind
        # does not contain the last applied commit.
        log.say(
            f"This merge request's branch does not contain {since.record.commit[:12]}, the "
            "last applied commit: rebase it on the default branch (or turn on merged results "
            "pipelines) so that its plan also holds what is still pending since then; "
            "otherwise the apply on merge may find another plan and refuse it."
        )
    return source, since


def record_lines(place: Environment, sha: str, failure: str | None) -> list[tuple[str, str]]:
    """What the apply says about its record, as (level, line): level "" for a plain log
    line, "warning" for an annotation. GitLab writes the record itself, from the job's
    exit status; this only tells whether it will, and what it will say."""
    job, name, short = place.job, place.name, sha[:12]
    if not job.name:
        return [
            (
                "warning",
                f"this job declares no `environment: {name}`, so GitLab records no deployment "
                "of this apply: the next pipeline cannot find it and computes deletions from "
                f"its own base. Add `environment: {name}` to the apply job.",
            )
        ]
    if job.name != name:
        return [
            (
                "warning",
                f"this job deploys to environment {job.name}, but the record is read from "
                f"environment {name}: declare `environment: {name}` in the apply job, or "
                f"pass --environment {job.name} to every `ci gitlab` job.",
            )
        ]
    if not job.deploys:
        return [
            (
                "warning",
                f"this job declares environment {name} with `action: {job.action}`, which "
                "makes no deployment: GitLab records nothing of this apply. Use the default "
                "action (start) in the apply job.",
            )
        ]
    if failure:
        why = one_line(failure).rstrip(".")
        return [
            (
                "",
                f"Not a complete apply ({why}): this job fails, so GitLab marks its "
                f"deployment of {short} to environment {name} failed, and the next pipeline "
                "computes deletions from the last successful one again.",
            )
        ]
    return [
        (
            "",
            f"GitLab records this job as a deployment of {short} to environment {name}: "
            "a success, the new last complete apply, when the job succeeds.",
        )
    ]
