"""`scorecards-sync plan`: show what would change in Cortex; optionally save the plan.

Exit codes: 0 success (with --detailed-exitcode: and no changes), 2 changes present
(--detailed-exitcode only), 1 any error: invalid descriptors (nothing is sent to
Cortex), an unsafe plan without --force, a descriptor Cortex rejects (--server-validate),
a failed API call. 64 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scorecards_sync.commands.common import (
    add_paths_argument,
    add_prune_option,
    add_settings_options,
    paths_of,
    report_problems,
    report_warnings_briefly,
    settings_from_args,
    use_color,
)
from scorecards_sync.config import FLAG_SOURCE, Settings, workspace_names
from scorecards_sync.console import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Console
from scorecards_sync.errors import PlanError, ScorecardsSyncError, UsageError
from scorecards_sync.planfile import write_plan
from scorecards_sync.record import Since, since_record
from scorecards_sync.render import RENDERERS, plan_renderer
from scorecards_sync.render.plan_json import JsonPlanRenderer
from scorecards_sync.source import paths_origin
from scorecards_sync.workflow import (
    RepositoryPlan,
    load_source,
    plan_repository,
    target_of,
    unless_forced,
    write_github_output,
)

logger = logging.getLogger(__name__)

NAME = "plan"
HELP = "show what would change in Cortex to match the repository (never writes to Cortex)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_plan_options(parser)
    parser.add_argument(
        "--since-record",
        metavar="FILE",
        dest="record",
        help="compute deletions since the commit recorded in FILE by `apply --record` (only read)",
    )
    parser.add_argument("--out", metavar="FILE", help="save the plan (JSON) for `apply --plan`")
    parser.add_argument(
        "--format",
        choices=sorted(RENDERERS),
        default="text",
        help="text (default; colored on a terminal), json, markdown (pull-request comments)",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on errors",
    )
    parser.add_argument(
        "--server-validate",
        action="store_true",
        help="send every create and update to Cortex with dryRun=true and report its verdict",
    )
    parser.add_argument(
        "--impact",
        action="store_true",
        help="show what each update does to the levels and scores of the entities it scores "
        "(reads their latest scores from Cortex)",
    )
    parser.add_argument(
        "--all-workspaces",
        action="store_true",
        help="plan every workspace of the config file in turn (text or json; json keyed by "
        "workspace); exit 1 if any failed, else 2 if any has changes (--detailed-exitcode)",
    )
    add_settings_options(parser)
    parser.epilog = (
        "exit codes: 0 ok (no changes, with --detailed-exitcode), 1 error, "
        "2 changes present (--detailed-exitcode), 64 usage error; with --all-workspaces: "
        "1 when any workspace failed, else 2 when any has changes (--detailed-exitcode)"
    )


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """Arguments `plan` and `apply` share."""
    add_paths_argument(parser)
    parser.add_argument(
        "--base",
        metavar="REF",
        help="git ref to compare with: scorecards whose descriptor files were removed since "
        "then are deleted",
    )
    add_prune_option(parser)
    parser.add_argument(
        "--force", action="store_true", help="go ahead even when the plan exceeds the thresholds"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    if args.all_workspaces:
        return _run_all_workspaces(args, console)
    settings = settings_from_args(args)
    if args.out:
        _check_out_folder(Path(args.out))
    since = read_since(args, settings, console, for_apply=False)
    planned = make_checked_plan(
        args,
        settings,
        console,
        server_check=args.server_validate,
        impact=args.impact,
        since=since,
    )
    if planned is None:
        return EXIT_ERROR
    plan, rejected = planned.plan, planned.rejected
    unsafe = unless_forced(planned.unsafe, force=args.force)
    renderer = plan_renderer(args.format, color=use_color(console.stdout), impacts=planned.impacts)
    console.out(renderer.render(plan))
    checksum = plan.checksum()
    if unsafe is None and args.out:
        write_plan(plan, Path(args.out))
        console.err(f"Saved the plan to {args.out}; apply it with `{_apply_command(args)}`.")
    if unsafe is None and not rejected:
        # A plan that cannot be applied gets no checksum: there is nothing to approve.
        checksum_line = f"Plan checksum: {checksum}"
        # Only a text plan shares stdout with the checksum line: JSON and Markdown parse.
        (console.out if args.format == "text" else console.err)(checksum_line)
    write_github_output(
        {"plan-checksum": checksum, "has-changes": "true" if plan.has_changes else "false"}
    )
    if rejected:
        console.err(f"error: Cortex rejected {len(rejected)} descriptor(s): " + ", ".join(rejected))
        return EXIT_ERROR
    if unsafe is not None:
        console.err(f"error: {unsafe}")
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _run_all_workspaces(args: argparse.Namespace, console: Console) -> int:
    """Plan each workspace of the config file in turn; one failing does not stop the others.

    Exit 1 when any workspace failed (invalid descriptors, a missing key, an unsafe or
    rejected plan, a failed call), else 2 when any has changes (--detailed-exitcode), else 0.
    """
    if args.workspace:
        raise UsageError("give either --workspace NAME or --all-workspaces, not both")
    if args.out:
        raise UsageError(
            "--out saves one plan: with --all-workspaces, plan each workspace with "
            "--workspace NAME --out FILE"
        )
    if args.format not in ("text", "json"):
        raise UsageError("--all-workspaces writes text or json (--format text|json)")
    names = workspace_names(config_file=Path(args.config) if args.config else None)
    if not names:
        raise UsageError(
            "--all-workspaces: the config file defines no workspaces (see `workspaces:` in "
            "docs/configuration.md)"
        )
    results: dict[str, Any] = {}
    failed = changed = False
    for name in names:
        one = argparse.Namespace(**{**vars(args), "workspace": name})
        if args.format == "text":
            console.out(f"=== workspace {name} ===")
        try:
            outcome = _plan_one_workspace(one, console)
        except ScorecardsSyncError as exc:
            console.err(f"error: workspace {name}: {exc}")
            outcome = {"error": str(exc)}
        failed = failed or "error" in outcome
        changed = changed or bool(outcome.get("has_changes"))
        results[name] = outcome
    if args.format == "json":
        console.out(json.dumps({"workspaces": results}, indent=2, ensure_ascii=False))
    if failed:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and changed else EXIT_OK


def _plan_one_workspace(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """One workspace's plan, shown as text (stdout) or returned as its JSON object."""
    settings = settings_from_args(args)
    planned = make_checked_plan(
        args, settings, console, server_check=args.server_validate, impact=args.impact
    )
    if planned is None:
        return {"error": "the descriptors have errors; nothing was sent to Cortex"}
    plan = planned.plan
    unsafe = unless_forced(planned.unsafe, force=args.force)
    problem = (
        f"Cortex rejected {len(planned.rejected)} descriptor(s): " + ", ".join(planned.rejected)
        if planned.rejected
        else str(unsafe)
        if unsafe is not None
        else None
    )
    if args.format == "json":
        body = json.loads(JsonPlanRenderer(impacts=planned.impacts).render(plan))
    else:
        renderer = plan_renderer("text", color=use_color(console.stdout), impacts=planned.impacts)
        console.out(renderer.render(plan))
        if problem is None:
            console.out(f"Plan checksum: {plan.checksum()}")
        body = {}
    if problem is not None:
        console.err(f"error: workspace {args.workspace}: {problem}")
        return {**body, "error": problem}
    return {**body, "has_changes": plan.has_changes}


def _apply_command(args: argparse.Namespace) -> str:
    """The `apply` that applies the plan saved by this run: against the same Cortex (the
    flags that chose it; variables and the config file apply to both runs alike)."""
    words = ["scorecards-sync", "apply", "--plan", args.out]
    for flag, value in (
        ("--emulator", args.emulator),
        ("--base-url", args.base_url),
        ("--config", args.config),
        ("--workspace", args.workspace),
    ):
        if value:
            words += [flag, value]
    return shlex.join(words)


def make_checked_plan(
    args: argparse.Namespace,
    settings: Settings,
    console: Console,
    *,
    server_check: bool,
    impact: bool = False,
    since: Since | None = None,
) -> RepositoryPlan | None:
    """Validate, then plan against Cortex; None (problems printed) when descriptors are invalid.

    Deletions are computed since `since.base` when given (a record), else since `--base`.
    """
    paths = paths_of(args, settings)
    # As `validate` says it: a configured folder that does not exist is named with its origin.
    hint = "" if args.paths else paths_origin(settings.source("paths"))
    base = since.base if since is not None else args.base
    source = load_source(paths, base, missing_hint=hint)
    if source.ok:
        report_warnings_briefly(console, source.problems, source.files)
    else:
        report_problems(console, source.problems, source.files)
    if not source.ok:
        console.err("error: the descriptors have errors; nothing was sent to Cortex")
        return None
    prune = settings.prune and _may_prune(args.paths, settings)
    planned = plan_repository(
        source, settings, prune=prune, server_check=server_check, impact=impact
    )
    if planned.server_check_skipped:
        logger.warning("%s", planned.server_check_skipped)
    if planned.impact_skipped:
        logger.warning("%s", planned.impact_skipped)
    return planned


def read_since(
    args: argparse.Namespace, settings: Settings, console: Console, *, for_apply: bool
) -> Since | None:
    """Where deletions start when a record file was given (said on stderr), else None."""
    if not args.record:
        return None
    since = since_record(
        Path(args.record),
        target=target_of(settings),
        paths=paths_of(args, settings),
        fallback=args.base,
        refuse_other_target=for_apply,
    )
    console.err(since.note)
    return since


def _check_out_folder(out: Path) -> None:
    """Refuse, before planning, a plan file whose folder does not exist: a typo in the
    folder should not create a tree of folders."""
    folder = out.parent
    if not folder.is_dir():
        if folder.exists():
            raise PlanError(f"cannot write the plan to {out}: {folder} is not a folder")
        raise PlanError(
            f"cannot write the plan to {out}: the folder {folder} does not exist; create it first"
        )


def _may_prune(given: Sequence[str], settings: Settings) -> bool:
    """Whether this run sees all the repository holds, which pruning needs.

    PATH arguments other than the configured paths are a partial view: any managed
    scorecard outside them would look absent and be pruned. Asked for with `--prune`,
    that is refused; from the configuration, prune is only left off for this run.
    """
    if not given or _same_paths(given, settings.paths):
        return True
    configured = ", ".join(settings.paths)
    if settings.source("prune") == FLAG_SOURCE:
        raise UsageError(
            f"--prune needs every descriptor the repository holds, and the PATH arguments "
            f"({', '.join(given)}) are not the configured paths ({configured}): scorecards "
            "outside them would be deleted. Run without PATH arguments to prune."
        )
    logger.warning(
        "prune is off for this run: the PATH arguments are not the configured paths (%s), "
        "and pruning needs them all",
        configured,
    )
    return False


def _same_paths(given: Sequence[str], configured: Sequence[str]) -> bool:
    return {Path(p).resolve() for p in given} == {Path(p).resolve() for p in configured}
