"""`scorecards-sync ci gitlab`: the merge-request flow in a GitLab pipeline.

In a merge-request pipeline: validate, plan with Cortex's dry run, keep one plan note
on the merge request, write the Code Quality report. In a default-branch pipeline
with `--apply`: apply only the plan reviewed in the merged merge request's note, and
post the outcome there. Both compute deletions from the last successful deployment of
the apply job to `--environment` (default `cortex`), GitLab's record of the last
complete apply (`scorecards_sync.gitlab.deployments`). See `scorecards_sync.gitlab.pipeline`
and the README, "GitLab in five minutes".

Exit codes: 0 success, 1 invalid descriptors, a refused or failed plan or apply,
64 a bad argument or a run outside GitLab CI.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from scorecards_sync.commands.common import (
    add_paths_argument,
    add_prune_option,
    add_settings_options,
    configured_paths,
    settings_from_args,
    workspace_targets,
)
from scorecards_sync.config import Settings
from scorecards_sync.console import Console
from scorecards_sync.errors import ConfigError, OutputError, UsageError
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.gitlab.codequality import REPORT_NAME
from scorecards_sync.gitlab.deployments import (
    DEFAULT_ENVIRONMENT,
    ENV_ENVIRONMENT,
    environment_name,
)
from scorecards_sync.gitlab.pipeline import Pipeline, run_pipeline, withdraw_after_failure
from scorecards_sync.review.merged import delays_from_env
from scorecards_sync.review.run import ReviewOptions

NAME = "ci"
HELP = "run in a CI pipeline (gitlab): plan on merge requests, apply the reviewed plan on merge"
COMMENT_MODES = ("true", "always", "false")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", choices=["gitlab"], help="the CI host (GitLab CI)")
    add_paths_argument(parser, but="none with --all-workspaces")
    parser.epilog = (
        "exit codes: 0 success, 1 invalid descriptors or a refused or failed plan or apply, "
        "64 usage error (a run outside GitLab CI, --apply outside the default branch)"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="on the default branch: apply the plan reviewed in the merged merge request",
    )
    parser.add_argument(
        "--code-quality",
        metavar="FILE",
        default=REPORT_NAME,
        help=f"where to write the Code Quality report (default {REPORT_NAME})",
    )
    parser.add_argument(
        "--impact",
        action="store_true",
        help="add each update's score impact to the merge-request note (needs 'View Scorecards')",
    )
    parser.add_argument(
        "--note",
        choices=COMMENT_MODES,
        default="true",
        help="the plan note: true (when the plan changes something, or to update an earlier "
        "one; the default), always, or false (no plan note and no applied note)",
    )
    parser.add_argument(
        "--all-workspaces",
        action="store_true",
        help="every workspace of the config file: one note with a section per workspace; on "
        "merge each reviewed section is applied to its own workspace with its own key",
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        default=None,
        help="the GitLab environment the apply job declares (`environment:`), whose last "
        "successful deployment is the last complete apply that deletions are computed from "
        f"(default ${ENV_ENVIRONMENT}, else {DEFAULT_ENVIRONMENT})",
    )
    parser.add_argument("--force", action="store_true", help="override the safety thresholds")
    add_settings_options(parser)
    add_prune_option(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    environ = dict(os.environ)
    pipeline = Pipeline.from_env(environ)
    environment = environment_name(args.environment, environ)
    delays = delays_from_env(environ)

    def settings_of(given: argparse.Namespace) -> Settings:
        resolved = settings_from_args(given, environ=environ)
        if resolved.api_key is None and not resolved.emulator:
            if resolved.workspace:
                resolved.require_api_key()  # names the workspace's own variable
            raise ConfigError(
                "no Cortex API key: add CORTEX_API_KEY as a masked (and, for the apply job, "
                "protected) CI/CD variable"
            )
        return resolved

    def settings() -> Settings:
        return settings_of(args)

    def gitlab() -> GitLabClient:
        return GitLabClient.from_env(environ)

    run_url = environ.get("CI_PIPELINE_URL") or None
    try:
        # The paths without the settings: a fork's pipeline must not read the key.
        workspaces = (
            workspace_targets(args, environ, settings=settings_of) if args.all_workspaces else None
        )
        if workspaces is not None and args.paths:
            raise UsageError("--all-workspaces plans each workspace's own paths: give no PATH")
        paths = (
            [p for w in workspaces for p in w.paths]
            if workspaces
            else list(args.paths) or list(configured_paths(args, environ)[0])
        )
    except BaseException:
        # Before the run knows its note: every earlier plan note loses its checksum.
        for line in withdraw_after_failure(
            pipeline, gitlab, note=args.note, run_url=run_url, environment=environment
        ):
            console.err(line)
        raise
    options = ReviewOptions(
        command="apply" if args.apply else "plan",
        paths=tuple(dict.fromkeys(paths)),
        comment=args.note,
        impact=args.impact,
        force=args.force,
    )
    with tempfile.TemporaryDirectory(prefix="scorecards-sync-") as temp:
        report = run_pipeline(
            pipeline,
            options,
            settings,
            gitlab,
            apply=args.apply,
            temp_dir=Path(temp),
            run_url=run_url,
            merged_delays=delays,
            workspaces=workspaces,
            environment=environment,
        )
    # The log whatever else fails: it is the record of what an apply wrote.
    failure: OutputError | None = None
    try:
        Path(args.code_quality).write_text(report.code_quality, encoding="utf-8")
    except OSError as exc:
        failure = OutputError(f"cannot write {args.code_quality}: {exc.strerror or exc}")
    for line in report.log:
        console.out(line)
    if report.unexpected is not None:
        raise report.unexpected  # reported by the CLI as any internal error
    if failure is not None:
        raise failure
    return report.exit_code
