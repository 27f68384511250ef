"""`scorecards-sync ci gitlab`: the merge-request flow in a GitLab pipeline.

In a merge-request pipeline: validate, plan with Cortex's dry run, keep one plan note
on the merge request, write the Code Quality report. In a default-branch pipeline
with `--apply`: apply only the plan reviewed in the merged merge request's note. See
`scorecards_sync.gitlab.pipeline` and the README, "GitLab in five minutes".

Exit codes: 0 success, 1 invalid descriptors, a refused or failed plan or apply,
64 a bad argument or a run outside GitLab CI.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scorecards_sync.commands.common import (
    add_prune_option,
    add_settings_options,
    settings_from_args,
)
from scorecards_sync.config import Settings, resolve_paths
from scorecards_sync.console import Console
from scorecards_sync.errors import ConfigError, OutputError
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.gitlab.codequality import REPORT_NAME
from scorecards_sync.gitlab.pipeline import Pipeline, run_pipeline

NAME = "ci"
HELP = "run in a CI pipeline (gitlab): plan on merge requests, apply the reviewed plan on merge"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", choices=["gitlab"], help="the CI host (GitLab CI)")
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", default=None, help="descriptor files or folders"
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
    parser.add_argument("--force", action="store_true", help="override the safety thresholds")
    add_settings_options(parser)
    add_prune_option(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    environ = dict(os.environ)
    pipeline = Pipeline.from_env(environ)

    def settings() -> Settings:
        resolved = settings_from_args(args, environ=environ)
        if resolved.api_key is None and not resolved.emulator:
            raise ConfigError(
                "no Cortex API key: add CORTEX_API_KEY as a masked (and, for the apply job, "
                "protected) CI/CD variable"
            )
        return resolved

    def gitlab() -> GitLabClient:
        return GitLabClient.from_env(environ)

    # The paths without the settings: a fork's pipeline must not read the key.
    paths = list(args.paths) or list(
        resolve_paths(config_file=Path(args.config) if args.config else None)[0]
    )
    report = run_pipeline(
        pipeline, paths, settings, gitlab, apply=args.apply, force=args.force, impact=args.impact
    )
    try:
        Path(args.code_quality).write_text(report.code_quality, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {args.code_quality}: {exc.strerror or exc}") from None
    for line in report.log:
        console.out(line)
    return report.exit_code
