"""`scorecards-sync pull`: write live descriptors into the repository, one file per tag.

Each file holds the YAML exactly as Cortex serves it (plus a final newline), so `plan`
right after `pull` shows no changes. A file is named `<tag>.yaml`, except that a file
already holding the same tag under another name is updated in place (never a second
file for one tag, which validation would refuse as a duplicate).

A file whose content differs from what would be written is never overwritten without
`--force`: it may hold local edits not yet applied. When it describes the same scorecard
as Cortex (only formatting differs), it is left alone and reported as up to date.

Exit codes: 0 every file written or already up to date, 1 some file skipped or a tag
not found in Cortex, 64 usage error.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from scorecards_sync.commands.common import (
    add_settings_options,
    settings_from_args,
)
from scorecards_sync.console import EXIT_ERROR, EXIT_OK, Console
from scorecards_sync.descriptor import identifiers_cortex_cannot_derive
from scorecards_sync.errors import PlanError, UsageError
from scorecards_sync.files import write_atomically
from scorecards_sync.loader import DEFAULT_DIR, Document, display_path, load_paths
from scorecards_sync.plan import Action
from scorecards_sync.planner import Desired, make_plan, parse_live
from scorecards_sync.workflow import open_client

NAME = "pull"
HELP = "write the live descriptors from Cortex into files named after their tags"

# A tag becomes a file name: anything that could leave the folder or hide the file is refused.
_SAFE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class PullResult:
    tag: str
    path: str
    status: str  # written | unchanged (up to date) | skipped
    reason: str = ""
    forceable: bool = False  # skipped, and --force would write it


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="pull only this scorecard (repeatable; default: every scorecard)",
    )
    parser.add_argument(
        "--dir",
        metavar="DIR",
        help=f"folder to write to (default: the first configured path, else {DEFAULT_DIR})",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite files whose content differs"
    )
    add_settings_options(parser)
    parser.epilog = (
        "exit codes: 0 every file written or up to date, 1 a file skipped or a --tag not "
        "found in Cortex (or another error), 64 usage error"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    folder = Path(args.dir or settings.paths[0])
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; pull writes into a folder (use --dir DIR)")
    existing = _existing_by_tag(folder)
    with open_client(settings) as client:
        live_tags = [summary.tag for summary in client.list_scorecards()]
        missing = [tag for tag in args.tag if tag not in set(live_tags)]
        wanted = [tag for tag in live_tags if tag in set(args.tag)] if args.tag else live_tags
        live = client.fetch_descriptors(sorted(wanted))
    results = [
        _pull_one(tag, text, folder, existing.get(tag, []), force=args.force)
        for tag, text in sorted(live.items())
    ]
    for result in results:
        line = f"{result.status:<9} {result.path}"
        console.out(f"{line}: {result.reason}" if result.reason else line)
    for tag in missing:
        console.err(f"error: no scorecard with tag {tag!r} in Cortex")
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("written", "unchanged", "skipped")
    }
    console.out(
        f"Pulled {len(results)} scorecard(s) into {display_path(folder)}: "
        f"{counts['written']} written, {counts['unchanged']} up to date, "
        f"{counts['skipped']} skipped."
    )
    if any(result.forceable for result in results):
        console.err("Skipped files were left as they are; re-run with --force to overwrite them.")
    return EXIT_ERROR if counts["skipped"] or missing else EXIT_OK


def _existing_by_tag(folder: Path) -> dict[str, list[Document]]:
    if not folder.is_dir():
        return {}
    by_tag: dict[str, list[Document]] = {}
    for document in load_paths([folder]).documents:
        if document.tag:
            by_tag.setdefault(document.tag, []).append(document)
    return by_tag


def _pull_one(
    tag: str, text: str, folder: Path, holders: list[Document], *, force: bool
) -> PullResult:
    content = text if text.endswith("\n") else text + "\n"
    if len(holders) > 1:
        names = ", ".join(sorted(d.path for d in holders))
        return PullResult(tag, names, "skipped", f"tag {tag} is held by several files")
    if holders:
        target = Path(holders[0].path)
    elif _SAFE_TAG.fullmatch(tag) and tag not in (".", ".."):
        target = folder / f"{tag}.yaml"
    else:
        shown = display_path(folder / "?")
        return PullResult(tag, shown, "skipped", f"tag {tag!r} cannot be used as a file name")
    shown = display_path(target)
    try:
        # Read under the loader's bounds: what Cortex serves is never written if it could
        # not be read back (an alias bomb would land in the repository).
        parse_live(tag, text)
    except PlanError as exc:
        return PullResult(tag, shown, "skipped", str(exc))
    if target.exists():
        current = target.read_bytes()
        if current == content.encode("utf-8"):
            return PullResult(tag, shown, "unchanged")
        if not force:
            if not _same_scorecard(tag, holders, text):
                return PullResult(tag, shown, "skipped", _why_skipped(holders), forceable=True)
            if not _lacks_identifiers(tag, holders, text):
                return PullResult(
                    tag, shown, "unchanged", "formatted differently; kept yours (--force rewrites)"
                )
            write_atomically(target, content)
            return PullResult(
                tag, shown, "written", "rule identifiers Cortex cannot derive again written in"
            )
    write_atomically(target, content)
    return PullResult(tag, shown, "written")


def _same_scorecard(tag: str, holders: list[Document], live_text: str) -> bool:
    """The file already describes what Cortex holds (only its formatting differs)."""
    if not holders:
        return False
    plan = make_plan([Desired.from_document(holders[0])], {tag: live_text})
    return all(change.action is Action.UNCHANGED for change in plan.changes)


def _lacks_identifiers(tag: str, holders: list[Document], live_text: str) -> bool:
    """The file lacks a rule identifier Cortex could not derive again from its expression.

    Keeping such a file would lose that identifier (and the exemptions recorded against
    it) the next time the rule is retitled, so `pull` writes it even without --force.
    """
    kept = {
        str(rule.get("identifier", "")).strip().lower()
        for rule in holders[0].data.get("rules") or []
        if isinstance(rule, dict)
    }
    return not identifiers_cortex_cannot_derive(parse_live(tag, live_text)) <= kept


def _why_skipped(holders: list[Document]) -> str:
    if not holders:
        return "the file exists and does not hold this scorecard; --force to overwrite"
    return "differs from Cortex (local edits not applied yet?); --force to overwrite"
