"""One run of the GitHub Action in progress: the review core's run (`review.run`) on
GitHub.

`ActionRun` is a `ReviewRun` whose host is GitHub (`github.host.GitHubHost`), made
from the action's inputs and the run's context; it keeps them (`inputs`, `event`,
`context`, `github`) for the steps only GitHub has (the drift issue).
"""

from __future__ import annotations

from collections.abc import Callable

from scorecards_sync.config import Settings
from scorecards_sync.github.action_deploy import Deployments
from scorecards_sync.github.action_inputs import ActionInputs, RunContext
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.github.host import GitHubHost, run_event
from scorecards_sync.review.run import ReviewOptions, ReviewRun


class ActionRun(ReviewRun):
    def __init__(
        self,
        inputs: ActionInputs,
        context: RunContext,
        settings: Callable[[], Settings],
        github: Callable[[], GitHubClient],
        *,
        force: bool,
        strict: bool,
    ) -> None:
        event = context.event
        host = GitHubHost(
            github,
            event.repository,
            comment_author=inputs.comment_author,
            deployments=Deployments(
                github, event.repository, inputs.environment, inputs.paths, context.run_url
            ),
            merged_delays=context.merged_pull_delays,
        )
        options = ReviewOptions(
            command=inputs.command,
            paths=inputs.paths,
            base_ref=inputs.base_ref,
            comment=inputs.comment,
            auto_approve=inputs.auto_approve,
            impact=inputs.impact,
            heal=inputs.heal,
            force=force,
            strict=strict,
        )
        super().__init__(
            host,
            run_event(event),
            options,
            settings,
            temp_dir=context.temp_dir,
            run_url=context.run_url,
        )
        self.inputs = inputs
        self.event = event
        self.context = context
        self.github = github
