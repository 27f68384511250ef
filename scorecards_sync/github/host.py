"""GitHub as a host of the review core (`review.host.ReviewHost`).

Pull requests and their issue comments, the bot whose comments count, workflow
commands in the step log (`::error file=…::`, `::stop-commands::` around untrusted
text), and the record of the last complete apply kept as deployments
(`action_deploy`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from scorecards_sync.config import Settings
from scorecards_sync.github.action_deploy import Deployments, record_deployment, since_deployment
from scorecards_sync.github.action_report import workflow_command
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.github.comments import MAX_COMMENT_CHARS, TRUNCATION_NOTE, GitHubSession
from scorecards_sync.github.events import GitHubEvent
from scorecards_sync.plan import Plan
from scorecards_sync.problems import Problem
from scorecards_sync.record import Since
from scorecards_sync.render.problems import render_github
from scorecards_sync.review.host import Level, RunEvent, RunLog, Words
from scorecards_sync.workflow import Source

WORDS = Words(
    change_request="pull request",
    prefix="#",
    comment="comment",
    pipeline="workflow",
    run="workflow run",
    apply_name="command apply",
    problems_where="the annotations on the pull request's files",
    summary_where="this summary",
    bypass=" Set auto-approve: true only where pushes do not come through pull requests.",
    approve_hint=" Set auto-approve: true to apply without that check.",
    up_to_date_hint=" (requiring branches to be up to date before merging avoids most of these)",
    saved_output=" (output plan-json)",
)


def run_event(event: GitHubEvent) -> RunEvent:
    """The event as the review core sees it."""
    pull, push = event.pull_request, event.push
    if pull is not None:
        return RunEvent(
            event.name,
            "change_request",
            event.sha,
            number=pull.number,
            head_sha=pull.head_sha or None,
            base=pull.base_sha or None,
        )
    if push is not None and event.kind == "push":
        return RunEvent(
            event.name,
            "default_push" if push.is_default_branch else "push",
            event.sha,
            base=push.base,
            branch=push.branch,
        )
    return RunEvent(event.name, "other", event.sha)


class GitHubHost:
    words = WORDS
    comment_limit = MAX_COMMENT_CHARS
    truncation_note = TRUNCATION_NOTE

    def __init__(
        self,
        github: Callable[[], GitHubClient],
        repository: str,
        *,
        comment_author: str,
        deployments: Deployments,
        merged_delays: tuple[float, ...],
    ) -> None:
        self.github = github
        self.repository = repository
        self.comment_author = comment_author
        self.deployments = deployments
        self.merged_delays = merged_delays

    @contextmanager
    def session(self) -> Iterator[GitHubSession]:
        with self.github() as client:
            yield GitHubSession(client, self.repository, self.comment_author)

    def annotation(self, level: Level, message: str) -> str:
        return workflow_command(level, message, title="scorecards-sync")

    def untrusted(self, text: str, token: str) -> list[str]:
        # Between `::stop-commands::TOKEN` and `::TOKEN::` the runner obeys no command.
        return [f"::stop-commands::{token}", text, f"::{token}::"]

    def problem_lines(self, problems: Sequence[Problem], files: int) -> list[str]:
        report = render_github(problems, files)
        return [*report.stdout, *report.stderr]

    def since(
        self, log: RunLog, settings: Settings, source: Source, base: str | None
    ) -> tuple[Source, Since]:
        return since_deployment(self.deployments, log, settings, source, base)

    def record(
        self, log: RunLog, settings: Settings, since: Since, plan: Plan, failure: str | None
    ) -> None:
        record_deployment(self.deployments, log, settings, since, plan, failure)
