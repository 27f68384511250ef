"""`scorecards-sync github-action`: the GitHub Action's runner (see action.yml).

It reads the action's inputs from `INPUT_*` environment variables and the run from
GitHub's own (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, `GITHUB_REPOSITORY`, ...),
does what the event calls for (see `scorecards_sync.github.action`), prints the
log with its workflow commands, and appends to `$GITHUB_OUTPUT` and
`$GITHUB_STEP_SUMMARY`.

Exit codes: 0 success, 1 invalid descriptors, a refused or failed plan or apply,
64 a bad input or a run outside GitHub Actions.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from scorecards_sync.commands.common import (
    add_prune_option,
    add_settings_options,
    workspace_targets,
)
from scorecards_sync.commands.common import settings_from_args as resolve_from_args
from scorecards_sync.config import Settings
from scorecards_sync.console import Console
from scorecards_sync.errors import ConfigError, OutputError, PlanError, UsageError
from scorecards_sync.github.action import (
    INPUT_GITHUB_TOKEN,
    ActionInputs,
    ActionReport,
    RunContext,
    cortex_environment,
    github_output_text,
    run_action,
    withdraw_after_failure,
)
from scorecards_sync.github.client import GitHubClient

logger = logging.getLogger(__name__)

NAME = "github-action"
HELP = "run as the GitHub Action: plan and comment on pull requests, apply on push"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "inputs come from the environment, as action.yml passes them: INPUT_COMMAND "
        "(validate|plan|apply|drift), INPUT_PATH, INPUT_BASE_REF, INPUT_COMMENT "
        "(true|always|false), INPUT_COMMENT_AUTHOR, INPUT_AUTO_APPROVE, INPUT_IMPACT, "
        "INPUT_ENVIRONMENT, INPUT_HEAL, INPUT_ALL_WORKSPACES, INPUT_ARGS, INPUT_CORTEX_API_KEY, "
        "INPUT_CORTEX_BASE_URL, INPUT_GITHUB_TOKEN. Exit codes: 0 ok, 1 error or refusal, "
        "64 bad input."
    )


def run(args: argparse.Namespace, console: Console) -> int:
    return execute(os.environ, console)


def execute(environ: Mapping[str, str], console: Console) -> int:
    """Run the action against `environ`; the key is read from it only to talk to Cortex."""
    inputs = ActionInputs.from_env(environ)
    extra = parse_extra_args(inputs.args)
    package_logger = logging.getLogger("scorecards_sync")
    if extra.verbose:
        level = logging.INFO if extra.verbose == 1 else logging.DEBUG
        package_logger.setLevel(level)
    for handler in package_logger.handlers:
        handler.addFilter(_no_workflow_commands)
    context = RunContext.from_env(environ)

    def settings_of(given: argparse.Namespace) -> Settings:
        resolved = resolve_from_args(given, environ=cortex_environment(environ))
        if resolved.api_key is None and resolved.workspace and not resolved.emulator:
            try:
                resolved.require_api_key()  # names the variable the workspace reads
            except ConfigError as exc:
                raise (PlanError if inputs.command == "apply" else ConfigError)(
                    f"{exc}; give it in the step's `env:`"
                    + ("; nothing was applied" if inputs.command == "apply" else "")
                ) from None
        if resolved.api_key is None and not resolved.emulator:
            # A missing key is a setup error (64) for a plan; an apply that cannot run
            # fails like any refused apply (1), so the run is never taken for applied.
            error = PlanError if inputs.command == "apply" else ConfigError
            raise error(
                "no Cortex API key: give the action "
                "`cortex-api-key: ${{ secrets.CORTEX_API_KEY }}` and add that secret (for "
                "pull requests a key with 'View Scorecards' only; for apply one with "
                "'Edit Scorecards' too, kept in a GitHub environment limited to the default "
                "branch); pull requests from forks get no secrets and are only validated"
                + ("; nothing was applied" if inputs.command == "apply" else "")
            )
        return resolved

    def settings() -> Settings:
        return settings_of(extra)

    def github() -> GitHubClient:
        token = environ.get(INPUT_GITHUB_TOKEN, "").strip() or None
        return GitHubClient.from_env(environ, token=token)

    try:
        workspaces = (
            workspace_targets(extra, environ, settings=settings_of)
            if inputs.all_workspaces
            else None
        )
    except BaseException:
        # Before the run knows its comment: every earlier plan comment loses its checksum.
        for line in withdraw_after_failure(inputs, context, settings=settings, github=github):
            console.out(line)
        raise
    report = run_action(
        inputs,
        context,
        settings=settings,
        github=github,
        force=extra.force,
        strict=extra.strict,
        workspaces=workspaces,
    )
    write_report(report, environ, console)
    return report.exit_code


def write_report(report: ActionReport, environ: Mapping[str, str], console: Console) -> None:
    """The summary and the outputs first, then the log: a log that cannot be printed in full
    must not cost the record of an apply that already happened. Then the exception that
    stopped the run, if one did, for the CLI to report as any internal error."""
    failure: OutputError | None = None
    for target, text in (
        (environ.get("GITHUB_STEP_SUMMARY"), report.summary),
        (environ.get("GITHUB_OUTPUT"), github_output_text(report.outputs)),
    ):
        try:
            _append(target, text)
        except OutputError as exc:
            failure = failure or exc
    # A Windows runner's pipe may use a code page without `→` or `✓`: print `?` instead.
    for stream in (console.stdout, console.stderr):
        _replace_unencodable(stream)
    for line in report.log:
        console.out(line)
    if report.unexpected is not None:
        raise report.unexpected
    if failure is not None:
        raise failure


def _replace_unencodable(stream: TextIO) -> None:
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure):
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):
            logger.debug("cannot reconfigure %r", stream)


def _append(target: str | None, text: str) -> None:
    if not (target and text):
        return
    try:
        with Path(target).open("a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write to {target}: {exc.strerror or exc}") from None


def _no_workflow_commands(record: logging.LogRecord) -> bool:
    """Log messages can quote descriptors or Cortex: none of their lines may read as a
    workflow command (a line starting with `::` once trimmed, or `##[` anywhere)."""
    message = record.getMessage()
    lines = message.split("\n")
    safe = "\n".join(
        [lines[0], *(f"| {line}" if line.lstrip().startswith("::") else line for line in lines[1:])]
    ).replace("##[", "# #[")
    if safe != message:
        record.msg, record.args = safe, None
    return True


class _ArgsParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"input args: {message}")


def extra_args_parser() -> argparse.ArgumentParser:
    """The parser of the `args` input (docs/configuration.md lists the flags it takes)."""
    parser = _ArgsParser(prog="scorecards-sync github-action", add_help=False)
    add_settings_options(parser)
    add_prune_option(parser)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def parse_extra_args(tokens: Sequence[str]) -> argparse.Namespace:
    """The `args` input: settings and safety options; the action sets everything else."""
    return extra_args_parser().parse_args(list(tokens))
