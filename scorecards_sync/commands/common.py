"""Command-line options shared by the commands that talk to Cortex, and their reading."""

from __future__ import annotations

import argparse
import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorecards_sync.commands.color import use_color as use_color  # re-exported
from scorecards_sync.config import (
    ENV_WORKSPACE,
    Settings,
    resolve_paths,
    resolve_settings,
    workspace_names,
)
from scorecards_sync.console import Console
from scorecards_sync.errors import UsageError
from scorecards_sync.loader import DEFAULT_DIR, PathProblem
from scorecards_sync.problems import Problem
from scorecards_sync.render.problems import REPORTERS

if TYPE_CHECKING:
    # Only the CI commands need it; `validate` must not load the planner and the client.
    from scorecards_sync.review.workspaces_step import Workspace

logger = logging.getLogger(__name__)


def add_paths_argument(parser: argparse.ArgumentParser, *, but: str = "") -> None:
    """The PATH arguments of the commands that read descriptors (`args.paths`, a list);
    `but` adds to the help's default (`none with --all-workspaces`)."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="descriptor files or folders (default: the configured paths, else "
        f"{DEFAULT_DIR}{'; ' + but if but else ''})",
    )


def paths_of(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The PATH arguments, else the configured paths."""
    return list(args.paths) or list(settings.paths)


def configured_paths(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> tuple[tuple[str, ...], str]:
    """The configured paths (as `--config` and `--workspace` choose them) and where they come
    from, resolving no other setting: no key is read (`validate`, a fork's pipeline)."""
    return resolve_paths(
        environ,
        config_file=Path(args.config) if args.config else None,
        workspace_flag=args.workspace,
    )


def add_settings_options(parser: argparse.ArgumentParser, *, concurrency: bool = True) -> None:
    group = parser.add_argument_group("settings (override the environment and the config file)")
    group.add_argument(
        "--config",
        metavar="FILE",
        help="config file to read instead of .scorecards-sync.yaml / pyproject.toml",
    )
    add_workspace_option(group)
    group.add_argument("--base-url", metavar="URL", help="Cortex API base URL")
    group.add_argument(
        "--emulator",
        metavar="STATE_FILE",
        help="run against the built-in Cortex emulator, state kept in STATE_FILE (no key needed)",
    )
    if concurrency:
        group.add_argument(
            "--concurrency", type=int, metavar="N", help="parallel API calls (default 16)"
        )
    group.add_argument(
        "--rate-limit", type=int, metavar="N", help="API requests per minute (default 1000)"
    )
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help="retries of a call that failed on a 5xx or a dropped connection (default 6)",
    )


def add_workspace_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--workspace",
        metavar="NAME",
        help=f"the named Cortex workspace of the config file to use (or {ENV_WORKSPACE})",
    )


def add_prune_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="delete live scorecards matching the configured `managed` patterns that the "
        "repository does not hold (needs the whole repository: no PATH arguments other than "
        "the configured paths)",
    )


def settings_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> Settings:
    flags: dict[str, Any] = {
        "base_url": getattr(args, "base_url", None),
        "emulator": getattr(args, "emulator", None),
        "concurrency": getattr(args, "concurrency", None),
        "rate_limit": getattr(args, "rate_limit", None),
        "retries": getattr(args, "retries", None),
        "prune": getattr(args, "prune", None),
        "workspace": getattr(args, "workspace", None),
    }
    config = getattr(args, "config", None)
    return resolve_settings(
        flags,
        os.environ if environ is None else environ,
        config_file=Path(config) if config else None,
    )


def report_problems(console: Console, problems: Sequence[Problem], files: int) -> None:
    """Problems as `validate` shows them, on stderr (stdout may carry a plan)."""
    if not problems:
        return
    report = REPORTERS["text"](problems, files)
    for line in (*report.stdout, *report.stderr):
        console.err(line)


def report_warnings_briefly(console: Console, problems: Sequence[Problem], files: int) -> None:
    """Warnings (no errors) before a plan: those about the paths given in full, those inside
    descriptors as one line naming their files. `validate` shows them in full; repeating
    each one in every plan and apply of a session only buries the plan."""
    about_paths = [p for p in problems if p.code in (PathProblem.MISSING, PathProblem.NO_FILES)]
    report_problems(console, about_paths, files)
    inside = [p for p in problems if p not in about_paths]
    if inside:
        where = ", ".join(sorted({p.path for p in inside}))
        console.err(
            f"warning: {len(inside)} warning(s) in {where}; `scorecards-sync validate` shows them"
        )


def workspace_targets(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    settings: Callable[[argparse.Namespace], Settings],
) -> list[Workspace]:
    """Every workspace of the config file, for `--all-workspaces` in a change request.

    Each one's paths are resolved now (no key is read); its settings, with its key, only
    when `settings` is called with `args` naming that workspace.
    """
    if getattr(args, "workspace", None):
        raise UsageError("give either --workspace NAME or --all-workspaces, not both")
    config = Path(args.config) if getattr(args, "config", None) else None
    names = workspace_names(environ, config_file=config)
    if not names:
        raise UsageError(
            "--all-workspaces: the config file defines no workspaces (see `workspaces:` in "
            "docs/configuration.md)"
        )
    from scorecards_sync.review.workspaces_step import Workspace

    targets = []
    for name in names:
        paths = resolve_paths(environ, config_file=config, workspace_flag=name)[0]
        one = argparse.Namespace(**{**vars(args), "workspace": name})
        targets.append(Workspace(name, tuple(paths), functools.partial(settings, one)))
    return targets
