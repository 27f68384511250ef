"""`scorecards-sync drift`: compare the repository, the last record and Cortex.

Sorts every difference into pending (the repository changed, not applied yet), drifted
(Cortex changed outside the repository) and unmanaged (live scorecards nothing claims);
see `scorecards_sync/drift.py`. With `--heal`, applies the repository's version of what is
pending and drifted, as `apply` would (thresholds, `--force`, confirmation).

Exit codes: 0 in sync (or healed), 1 error, 2 with --detailed-exitcode when anything is
pending or drifted, 64 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorecards_sync.applier import apply_plan
from scorecards_sync.commands.common import (
    add_paths_argument,
    add_settings_options,
    paths_of,
    report_problems,
    settings_from_args,
    use_color,
)
from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Console
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.drift import applied_at, build_report
from scorecards_sync.record import Since, since_record
from scorecards_sync.render import plan_renderer
from scorecards_sync.render.drift import JsonDrift, MarkdownDrift, TextDrift
from scorecards_sync.render.results import TextResults
from scorecards_sync.workflow import (
    Source,
    is_interactive,
    load_source,
    open_client,
    plan_repository,
    target_of,
    unless_forced,
    verify_applied,
)

NAME = "drift"
HELP = "compare the repository, the last record and Cortex: pending, drifted, unmanaged"

_RENDERERS: dict[str, type[TextDrift | JsonDrift | MarkdownDrift]] = {
    "text": TextDrift,
    "json": JsonDrift,
    "markdown": MarkdownDrift,
}
NO_RECORD = (
    "no record given (--since-record FILE): the repository stands for what was applied, "
    "so every difference is reported as drifted and nothing can be told pending"
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_paths_argument(parser)
    parser.add_argument(
        "--format",
        choices=sorted(_RENDERERS),
        default="text",
        help="text (default), json (pending, drifted, unmanaged), markdown (for an issue "
        "or a job summary)",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when in sync, 2 when anything is pending or drifted, 1 on errors",
    )
    parser.add_argument(
        "--since-record",
        metavar="FILE",
        dest="record",
        help="the record `apply --record` keeps: what was last applied (only read)",
    )
    parser.add_argument(
        "--heal",
        action="store_true",
        help="apply the repository's version of what is pending and drifted (deletes only "
        "what the record or `prune` says, as apply does)",
    )
    parser.add_argument("--auto-approve", action="store_true", help="heal without asking")
    parser.add_argument(
        "--force", action="store_true", help="heal even when the plan exceeds the thresholds"
    )
    add_settings_options(parser)
    parser.epilog = (
        "exit codes: 0 in sync (or healed), 1 error, 2 drift present (--detailed-exitcode), "
        "64 usage error"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    paths = paths_of(args, settings)
    since = _since(args, settings, paths)
    source = load_source(paths, since.base if since else None)
    report_problems(console, source.problems, source.files)
    if not source.ok:
        console.err("error: the descriptors have errors; nothing was compared")
        return EXIT_ERROR
    note = since.note if since else NO_RECORD
    console.err(note)
    used = since is not None and since.record is not None and since.base == since.record.commit
    applied = applied_at(since.base, paths) if used and since and since.base else None
    with open_client(settings) as client:
        report = build_report(
            source.desired(),
            applied,
            client,
            managed=settings.managed,
            target=target_of(settings),
            record_commit=since.base if used and since else None,
            note=note,
        )
        console.out(_RENDERERS[args.format]().render(report))
        if args.heal and not report.in_sync:
            return _heal(source, settings, args, console, client)
    if args.detailed_exitcode and not report.in_sync:
        return EXIT_CHANGES
    return EXIT_OK


def _since(args: argparse.Namespace, settings: Settings, paths: list[str]) -> Since | None:
    if not args.record:
        return None
    return since_record(
        Path(args.record),
        target=target_of(settings),
        paths=paths,
        fallback=None,
        refuse_other_target=False,
    )


def _heal(
    source: Source,
    settings: Settings,
    args: argparse.Namespace,
    console: Console,
    client: CortexClient,
) -> int:
    """Plan from the record (as `apply --record` would) and apply it: the plan's changes are
    exactly what is pending or drifted."""
    planned = plan_repository(source, settings, client=client, prune=settings.prune)
    plan = planned.plan
    console.out("")
    console.out(plan_renderer("text", color=use_color(console.stdout)).render(plan))
    unsafe = unless_forced(planned.unsafe, force=args.force)
    if unsafe is not None:
        raise unsafe
    if not plan.has_changes:
        return EXIT_OK
    if not args.auto_approve and not _confirmed(console):
        return EXIT_ERROR
    result = verify_applied(
        plan, apply_plan(plan, client, concurrency=settings.concurrency), client
    )
    console.out("")
    console.out(TextResults(color=use_color(console.stdout)).render(result))
    return EXIT_OK if result.ok else EXIT_ERROR


def _confirmed(console: Console) -> bool:
    if not is_interactive(sys.stdin, console.stdout):
        console.err(
            "error: refusing to heal without confirmation: there is no terminal to ask on. "
            "Review the plan above, then re-run with --auto-approve."
        )
        return False
    console.stdout.write("Heal: apply these changes? Only 'yes' will be accepted: ")
    console.stdout.flush()
    if sys.stdin.readline().strip() != "yes":
        console.err("Heal cancelled: nothing was changed.")
        return False
    return True
