"""What one run of the GitHub Action does for its event, returned as values.

`run_action` validates, plans, comments and applies according to the event and
the action's inputs, and returns an `ActionReport`: the lines for the step log
(workflow commands such as `::error file=…` included), the job summary, the step
outputs and the exit code. It prints nothing: the `github-action` command writes
the report where GitHub Actions reads it.

- pull request: validate, plan against the base with server-side dry runs, keep one
  sticky comment per path up to date (its marker carries the plan checksum):
  `review.plan_step`.
- pull request without secrets (a fork, Dependabot, a fork's `pull_request_target`):
  validate offline and say why nothing was planned. The Cortex key is reached only
  through the `settings` factory, which this path never calls. `command: apply` in
  such a run fails (exit 1): nothing can be applied, and a green run would say otherwise.
- push to the default branch: plan, refuse unless the plan has the checksum
  reviewed in the merged pull request's comment (or `auto-approve`), save the plan,
  then apply that file after checking Cortex did not move: `review.apply_step`.

The steps are the review core's (`review/`), with GitHub as their host
(`github.host`); the inputs and context are read in `action_inputs`; the workflow
commands GitHub reads are written by `action_report`; `action_run` makes the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError, UsageError
from scorecards_sync.github.action_drift import run_drift
from scorecards_sync.github.action_inputs import (
    COMMANDS,
    COMMENT_MODES,
    INPUT_ARGS,
    INPUT_AUTO_APPROVE,
    INPUT_BASE_REF,
    INPUT_COMMAND,
    INPUT_COMMENT,
    INPUT_COMMENT_AUTHOR,
    INPUT_CORTEX_API_KEY,
    INPUT_CORTEX_BASE_URL,
    INPUT_GITHUB_TOKEN,
    INPUT_PATH,
    ActionInputs,
    RunContext,
    cortex_environment,
)
from scorecards_sync.github.action_report import ActionReport, workflow_command
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.render.plan_markdown import escape
from scorecards_sync.review.apply_step import run_apply
from scorecards_sync.review.plan_step import run_plan, withdraw_every_plan
from scorecards_sync.review.summary import SUMMARY_LIMIT_BYTES, caution_md
from scorecards_sync.review.workspaces_step import Workspace, run_apply_all, run_plan_all
from scorecards_sync.workflow import github_output_text


def run_action(
    inputs: ActionInputs,
    context: RunContext,
    *,
    settings: Callable[[], Settings],
    github: Callable[[], GitHubClient],
    force: bool = False,
    strict: bool = False,
    workspaces: Sequence[Workspace] | None = None,
) -> ActionReport:
    """Do what the event calls for; errors become an `::error::`, a summary line and an exit.

    With `workspaces` (input `all-workspaces`), plan and apply go through every one of
    them (`review.workspaces_step`); validating checks all their paths.

    Any other exception ends the run too, with what it did so far, and comes back as the
    report's `unexpected`: the log, the summary and the outputs are never lost, whatever
    the apply wrote.
    """
    if workspaces is not None:
        every = tuple(dict.fromkeys(p for w in workspaces for p in w.paths))
        inputs = dataclasses.replace(inputs, paths=every)
    run = ActionRun(inputs, context, settings, github, force=force, strict=strict)
    unexpected: BaseException | None = None
    try:
        code = _dispatch(run, workspaces)
    except ScorecardsSyncError as exc:
        code = run.fail(exc)
    except BaseException as exc:
        code, unexpected = run.stopped(exc), exc
    return ActionReport(
        code, tuple(run.log), run.summary_text(), dict(run.outputs), unexpected=unexpected
    )


def withdraw_after_failure(
    inputs: ActionInputs,
    context: RunContext,
    *,
    settings: Callable[[], Settings],
    github: Callable[[], GitHubClient],
) -> list[str]:
    """For a plan run on a pull request that failed before it began (its config file does
    not read): no earlier plan comment may stand as reviewed. The step log's warning lines."""
    event = context.event
    number = event.pull_request.number if event.pull_request is not None else None
    if (
        number is None
        or inputs.command != "plan"
        or inputs.comment == "false"
        or event.kind != "pull_request"
        or not event.secrets_available
    ):
        return []
    run = ActionRun(inputs, context, settings, github, force=False, strict=False)
    warning = withdraw_every_plan(run.host, number, run_url=context.run_url)
    return [] if warning is None else [run.host.annotation("warning", warning)]


def _dispatch(run: ActionRun, workspaces: Sequence[Workspace] | None) -> int:
    command, event = run.inputs.command, run.event
    if command == "validate":
        return EXIT_OK if run.validate() is not None else EXIT_ERROR
    if not event.secrets_available:
        reason = event.no_secrets_reason or "no secrets in this run"
        if command == "apply":
            return _cannot_apply(run, reason)
        return _offline(run, reason)
    if command == "plan":
        return run_plan(run) if workspaces is None else run_plan_all(run, workspaces)
    if command == "drift":
        return run_drift(run)
    if event.kind in ("pull_request", "fork_pull_request"):
        raise UsageError(
            "command apply runs on a push to the default branch, after the merge; "
            "on pull requests use command: plan"
        )
    return run_apply(run) if workspaces is None else run_apply_all(run, workspaces)


def _cannot_apply(run: ActionRun, reason: str) -> int:
    """An apply that cannot reach Cortex fails the job: a green check would claim it applied."""
    run.validate()
    message = f"Not applied: command apply needs the Cortex API key, and {reason}"
    run.annotate("error", message)
    run.summary.append(caution_md(f"**Not applied.** {escape(reason)}"))
    return EXIT_ERROR


def _offline(run: ActionRun, reason: str) -> int:
    source = run.validate()
    run.annotate("notice", f"Not planned: {reason}")
    run.summary.append(f"> [!NOTE]\n> **Not planned.** {escape(reason)}")
    return EXIT_OK if source is not None else EXIT_ERROR


__all__ = [
    "COMMANDS",
    "COMMENT_MODES",
    "EXIT_ERROR",
    "EXIT_OK",
    "INPUT_ARGS",
    "INPUT_AUTO_APPROVE",
    "INPUT_BASE_REF",
    "INPUT_COMMAND",
    "INPUT_COMMENT",
    "INPUT_COMMENT_AUTHOR",
    "INPUT_CORTEX_API_KEY",
    "INPUT_CORTEX_BASE_URL",
    "INPUT_GITHUB_TOKEN",
    "INPUT_PATH",
    "SUMMARY_LIMIT_BYTES",
    "ActionInputs",
    "ActionReport",
    "RunContext",
    "cortex_environment",
    "github_output_text",
    "run_action",
    "workflow_command",
]
