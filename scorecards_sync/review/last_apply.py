"""Where removals start in a CI run: from the host's record of the last complete apply.

Both hosts keep that record as deployments to an environment (GitHub: a deployment and
its status, written by `github.action_deploy`; GitLab: the deployment GitLab makes of
the apply job, see `gitlab.deployments`). What a run does with it is the same on both
and is written here once: read the newest successful deployment for this target, check
that its commit is in the history of the commit checked out (`record.since_recorded`),
and compute removals from it; with none, or when it cannot be read or used, fall back
to the base the run had and say why in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scorecards_sync.config import Settings
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.record import Record, Since, repo_relative_paths, since_recorded
from scorecards_sync.review.host import RunLog
from scorecards_sync.workflow import Source, load_source, target_of

# Reads the newest successful deployment for a target (Cortex's base URL or emulator
# state) and descriptor paths relative to the repository root, as a record; None when
# there is none yet. Raises `ScorecardsSyncError` when the host cannot be asked.
ReadLastDeployment = Callable[[str, tuple[str, ...]], Record | None]


def since_last_deployment(
    log: RunLog,
    settings: Settings,
    source: Source,
    base: str | None,
    *,
    environment: str,
    paths: Sequence[str],
    read: ReadLastDeployment,
    permission: str,
) -> tuple[Source, Since]:
    """`source` loaded again from where the last successful deployment to `environment`
    says removals start (unchanged when that is `base`), and that starting point.

    `paths` are the run's descriptor paths (a workspace's own, in `source`, win);
    `permission` says in a warning what the job needs to read the deployments.
    """
    target = target_of(settings)
    given = tuple(source.paths or paths)
    where = f"the last successful deployment to environment {environment}"
    missing = f"no successful deployment to environment {environment} for {target} yet"
    relative = repo_relative_paths(given)
    try:
        record = read(target, relative)
    except ScorecardsSyncError as exc:  # the host refused, or no token to ask with
        log.annotate(
            "warning",
            f"cannot read the deployments of environment {environment} ({permission}): {exc}",
        )
        record = None
        missing = f"the deployments of environment {environment} could not be read"
    since = since_recorded(
        record, target=target, paths=given, fallback=base, where=where, missing=missing
    )
    log.say(since.note[:1].upper() + since.note[1:] + ".")
    if since.base == base:
        return source, since
    return load_source(list(given), since.base), since
