"""`scorecards-sync apply`: make Cortex match the repository, or apply a saved plan exactly.

Without `--plan`, it plans, shows the plan and asks for confirmation on a terminal (in
CI, where no one can answer, it refuses unless `--auto-approve`). With `--plan FILE`,
the file is the approval: its checksum is verified, every scorecard it touches must
still have the live fingerprint recorded in it (else it is stale and refused, naming
the scorecards that moved), and then exactly its changes are sent.

After the writes, every scorecard created or updated is read back and compared with what
was sent, as a plan compares them: each says `verified` or `not converged` with what still
differs (`--no-verify` skips this).

Exit codes: 0 everything applied (or nothing to do), 1 anything failed, was refused or did
not converge, 64 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from scorecards_sync.applier import ApplyResult, apply_plan, check_fresh, touched_tags
from scorecards_sync.commands.common import add_settings_options, settings_from_args, use_color
from scorecards_sync.commands.interrupt import stop_on_interrupt
from scorecards_sync.commands.plan import add_plan_options, make_checked_plan, read_since
from scorecards_sync.config import ENV_WORKSPACE, Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, Console
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.errors import PlanError, StalePlan, UsageError
from scorecards_sync.plan import Action, Plan, check_safety
from scorecards_sync.planfile import read_plan
from scorecards_sync.planner import Desired
from scorecards_sync.record import Record, Since, write_record
from scorecards_sync.render import plan_renderer
from scorecards_sync.render.results import JsonResults, TextResults
from scorecards_sync.workflow import (
    already_applied,
    is_interactive,
    live_fingerprints,
    open_client,
    target_of,
    unless_forced,
    verify_applied,
    write_github_output,
)

NAME = "apply"
HELP = "make Cortex match the repository (or apply a saved plan), after confirmation"

PROMPT = "Apply these changes? Only 'yes' will be accepted: "


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan",
        metavar="FILE",
        help="apply exactly this saved plan (from `plan --out`), if Cortex has not moved since",
    )
    parser.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="send creates and updates with dryRun=true (Cortex validates only); delete nothing",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="compute deletions since the commit recorded in FILE, and record the commit "
        "applied there after an apply with no failure (FILE is created when absent)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="do not read back each created or updated scorecard after the writes to check "
        "that Cortex serves what was sent",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="format of the per-change results; with json, stdout holds only them (the plan "
        "is shown as text on stderr)",
    )
    add_plan_options(parser)
    add_settings_options(parser)
    parser.epilog = (
        "exit codes: 0 applied (and verified), 1 something failed, was refused or did not "
        "converge, 64 usage error"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    if args.plan and args.paths:
        raise UsageError("give either PATH arguments or --plan FILE, not both")
    if args.plan and (args.base or args.prune is not None):
        raise UsageError("--base and --prune shape a new plan; a saved plan is applied as it is")
    if args.plan and args.record:
        raise UsageError(
            "--record needs PATH arguments (or the configured paths), not --plan: a saved "
            "plan does not say which commit it was made from"
        )
    if args.plan:
        return _apply_saved(Path(args.plan), settings, args, console)
    since = read_since(args, settings, console, for_apply=True)
    planned = make_checked_plan(args, settings, console, server_check=False, since=since)
    if planned is None:
        return EXIT_ERROR
    plan = planned.plan
    _show(plan, settings, args, console)
    if not plan.has_changes:
        _record(since, plan, settings, args, console)
        return _nothing_to_do(args, console)
    if not args.auto_approve and not args.dry_run and not _confirmed(console):
        return EXIT_ERROR
    with open_client(settings) as client:
        code = _apply(plan, client, settings, args, console, parsed=planned.desired)
    if code == EXIT_OK:
        _record(since, plan, settings, args, console)
    return code


def _record(
    since: Since | None,
    plan: Plan,
    settings: Settings,
    args: argparse.Namespace,
    console: Console,
) -> None:
    """After a complete apply (not a dry run), the commit applied goes to the record file."""
    if since is None or args.dry_run:
        return
    tags = tuple(c.tag for c in plan.changes if c.action is not Action.DELETE)
    applied_at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_record(
        Record(target_of(settings), since.paths, since.head, applied_at, tags), Path(args.record)
    )
    console.err(f"Recorded commit {since.head[:12]} as applied in {args.record}.")


def _apply_saved(path: Path, settings: Settings, args: argparse.Namespace, console: Console) -> int:
    plan = read_plan(path)
    if plan.workspace != (settings.workspace or ""):
        raise PlanError(_other_workspace(path, plan, settings, args))
    if plan.base_url != target_of(settings):
        raise PlanError(
            f"the plan was made against {plan.base_url or '(unknown)'}, but this run "
            f"targets {target_of(settings)}; run `plan` against the right Cortex"
        )
    with open_client(settings) as client:
        if plan.has_changes:
            # Before the plan is shown: what a stale plan says it will do no longer holds.
            try:
                check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
            except StalePlan:
                if not already_applied(plan, client):
                    raise
                console.err(
                    f"already applied: Cortex already matches the plan in {path}; nothing was sent."
                )
                return _nothing_to_do(args, console)
        _show(plan, settings, args, console)
        if not plan.has_changes:
            return _nothing_to_do(args, console)
        return _apply(plan, client, settings, args, console)


def _other_workspace(path: Path, plan: Plan, settings: Settings, args: argparse.Namespace) -> str:
    """Why a plan made for one workspace is not applied to another, and the command that
    applies it where it belongs."""
    made = (
        f"workspace {plan.workspace!r} ({plan.base_url})"
        if plan.workspace
        else f"no workspace ({plan.base_url})"
    )
    runs = (
        f"workspace {settings.workspace!r} ({target_of(settings)})"
        if settings.workspace
        else "no workspace"
    )
    command = ["scorecards-sync", "apply", "--plan", str(path)]
    if args.config:
        command += ["--config", args.config]
    if plan.workspace:
        command += ["--workspace", plan.workspace]
    elif settings.source("workspace") == f"env {ENV_WORKSPACE}":
        command = ["env", "-u", ENV_WORKSPACE, *command]
    return (
        f"the plan {path} was made for {made}, but this run targets {runs}: a plan is "
        f"applied only to the workspace it was made for. Run: {shlex.join(command)}"
    )


def _show(plan: Plan, settings: Settings, args: argparse.Namespace, console: Console) -> None:
    """The plan, then the thresholds' verdict on it (`UnsafePlan` unless --force)."""
    # With JSON results, stdout carries only them; the plan goes to stderr for the log.
    show = console.err if args.format == "json" else console.out
    show(plan_renderer("text", color=use_color(console.stdout)).render(plan))
    unsafe = unless_forced(check_safety(plan, settings.thresholds), force=args.force)
    if unsafe is not None:
        raise unsafe


def _nothing_to_do(args: argparse.Namespace, console: Console) -> int:
    if args.format == "json":
        # The usual object, with no outcomes: a script reading stdout gets JSON either way.
        console.out(JsonResults().render(ApplyResult((), dry_run=args.dry_run)))
    write_github_output({"applied": "0", "failed": "0"})
    return EXIT_OK


def _apply(
    plan: Plan,
    client: CortexClient,
    settings: Settings,
    args: argparse.Namespace,
    console: Console,
    *,
    parsed: Mapping[str, Desired] | None = None,
) -> int:
    with stop_on_interrupt(console, client.interrupt) as stop:
        result = apply_plan(
            plan, client, dry_run=args.dry_run, concurrency=settings.concurrency, stop=stop
        )
    if not args.no_verify and not result.interrupted:
        result = verify_applied(plan, result, client, parsed)
    if args.format == "json":
        console.out(JsonResults().render(result))
    else:
        console.out("")
        console.out(TextResults(color=use_color(console.stdout)).render(result))
    write_github_output({"applied": str(result.done), "failed": str(result.failed)})
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_ERROR


def _confirmed(console: Console) -> bool:
    if not is_interactive(sys.stdin, console.stdout):
        console.err(
            "error: refusing to apply without confirmation: there is no terminal to ask on. "
            "Review the plan above, then re-run with --auto-approve (or apply a saved plan "
            "with --plan FILE)."
        )
        return False
    console.stdout.write(PROMPT)
    console.stdout.flush()
    answer = sys.stdin.readline().strip()
    if answer != "yes":
        console.err("Apply cancelled: nothing was changed.")
        return False
    return True
