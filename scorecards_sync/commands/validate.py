"""`scorecards-sync validate [PATH...]`: check descriptors offline, report every problem.

Without PATH it checks the configured `paths` (relative to the repository root, from any
subfolder), as `plan` does, else `.cortex/scorecards`: the pre-commit hook runs it so.
Exit 0 when there is no error (warnings allowed unless --strict), 1 when there is
any (a PATH that does not exist is such a problem), 64 on a usage error such as an
unknown --format. Never touches the network.
"""

from __future__ import annotations

import argparse

from scorecards_sync.commands.common import (
    add_paths_argument,
    add_workspace_option,
    configured_paths,
)
from scorecards_sync.console import EXIT_ERROR, EXIT_OK, Console
from scorecards_sync.problems import Severity
from scorecards_sync.render.problems import REPORTERS
from scorecards_sync.source import load_source, paths_origin

NAME = "validate"
HELP = "check scorecard descriptors offline: schema and semantic checks, no network"


def configure(parser: argparse.ArgumentParser) -> None:
    add_paths_argument(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file to read instead of .scorecards-sync.yaml / pyproject.toml",
    )
    add_workspace_option(parser)
    parser.add_argument(
        "--format",
        choices=sorted(REPORTERS),
        default="text",
        help="text (default), json (a versioned object), github (Actions annotations)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings as errors (exit 1 on any)"
    )
    parser.epilog = (
        "exit codes: 0 no errors, 1 errors (or warnings with --strict; a missing PATH is "
        "an error), 64 usage error"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    if args.paths:
        loaded = load_source(args.paths)
    else:
        paths, origin = configured_paths(args)
        loaded = load_source(paths, missing_hint=paths_origin(origin))
    problems = loaded.problems
    report = REPORTERS[args.format](problems, loaded.files)
    for line in report.stdout:
        console.out(line)
    for line in report.stderr:
        console.err(line)
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return EXIT_ERROR if any(p.severity in failing for p in problems) else EXIT_OK
