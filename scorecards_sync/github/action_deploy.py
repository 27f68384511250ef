"""The record of the last complete apply, kept as GitHub deployments.

Every apply of the action ends with a deployment of the pushed commit to the `environment`
input (default `cortex`), whose payload names the target (Cortex's base URL and the
descriptor paths), and a status: `success` after an apply with no failure, `failure` with
the reason otherwise. The Deployments page then shows what is live in Cortex and since when.

The plan and apply runs read it back: removals are computed from the newest deployment with
a `success` status for the same target, rather than from the commit before, so a deletion
that did not happen is planned again. Without one (or when GitHub cannot be asked), they
fall back to the base they had, and say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scorecards_sync.config import Settings
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.plan import Action, Plan
from scorecards_sync.record import Record, Since
from scorecards_sync.review.host import RunLog
from scorecards_sync.review.last_apply import since_last_deployment
from scorecards_sync.workflow import Source, target_of

# How many of the newest matching deployments are asked for their status, at most.
_DEPLOYMENTS_CHECKED = 10


@dataclass(frozen=True)
class Deployments:
    """The deployments of one repository to one environment, for descriptor `paths`."""

    github: Callable[[], GitHubClient]
    repository: str
    environment: str
    paths: tuple[str, ...]
    run_url: str | None = None


def since_deployment(
    place: Deployments, run: RunLog, settings: Settings, source: Source, base: str | None
) -> tuple[Source, Since]:
    """`source` loaded again from where the last successful deployment says removals start
    (unchanged when that is `base`), and that starting point (`review.last_apply`)."""

    def read(target: str, paths: tuple[str, ...]) -> Record | None:
        with place.github() as client:
            return _last_success(client, place.repository, place.environment, target, paths)

    return since_last_deployment(
        run,
        settings,
        source,
        base,
        environment=place.environment,
        paths=place.paths,
        read=read,
        permission="does the job have `deployments: read`?",
    )


def _last_success(
    client: GitHubClient, repository: str, environment: str, target: str, paths: tuple[str, ...]
) -> Record | None:
    matching = [
        d
        for d in client.list_deployments(repository, environment)
        if d.payload.get("target") == target and _paths_of(d.payload) == sorted(paths)
    ]
    for deployment in matching[:_DEPLOYMENTS_CHECKED]:
        if client.deployment_state(repository, deployment.id) == "success":
            tags = deployment.payload.get("tags")
            return Record(
                target,
                paths,
                deployment.sha,
                deployment.created_at,
                tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            )
    return None


def _paths_of(payload: object) -> list[str]:
    paths = payload.get("paths") if isinstance(payload, dict) else None
    return sorted(str(p) for p in paths) if isinstance(paths, list) else []


def record_deployment(
    place: Deployments,
    run: RunLog,
    settings: Settings,
    since: Since,
    plan: Plan,
    failure: str | None,
) -> None:
    """A deployment of the applied commit, with `success`, or `failure` and `failure`'s text.

    Only warns when GitHub refuses: what was applied stands, and the next run falls back to
    the base it has.
    """
    environment = place.environment
    tags = sorted(c.tag for c in plan.changes if c.action is not Action.DELETE)
    payload = {"target": target_of(settings), "paths": list(since.paths), "tags": tags}
    state = "failure" if failure else "success"
    description = failure or f"Cortex matches this commit ({len(tags)} scorecards)"
    try:
        with place.github() as client:
            deployment = client.create_deployment(
                place.repository,
                ref=since.head,
                environment=environment,
                description=f"scorecards-sync apply to {target_of(settings)}",
                payload=payload,
            )
            client.create_deployment_status(
                place.repository,
                deployment.id,
                state=state,
                description=description,
                log_url=place.run_url,
            )
    except ScorecardsSyncError as exc:  # GitHub refused, or no token to ask with
        run.annotate(
            "warning",
            f"could not record the apply as a deployment to environment {environment} (does "
            f"the job have `deployments: write`?): {exc}",
        )
        return
    run.say(f"Recorded deployment {deployment.id} to {environment}: {state}.")
