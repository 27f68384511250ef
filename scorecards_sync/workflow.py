"""The steps `plan`, `apply` and `pull` share: load and validate, connect, fetch, plan, check.

Each step is a plain function so the commands read as the sequence they run, and tests
and benchmarks can run the same steps without the command line.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from scorecards_sync.config import Settings, find_root
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.descriptor import fingerprint
from scorecards_sync.errors import (
    CortexAuthError,
    CortexRejected,
    OutputError,
    UnsafePlan,
    UsageError,
)
from scorecards_sync.loader import Document, display_path, load_paths
from scorecards_sync.plan import Action, Change, Plan, ServerVerdict
from scorecards_sync.planner import (
    Desired,
    Removal,
    check_thresholds,
    make_plan,
    managed_count,
    parse_live,
    removals_between,
    tags_to_fetch,
)
from scorecards_sync.problems import Problem, has_errors, sort_problems
from scorecards_sync.validation import validate_documents

logger = logging.getLogger(__name__)

# Any URL the in-process transport answers: it never reaches a network.
EMULATOR_BASE_URL = "https://emulator.invalid"
EMULATOR_KEY = "emulator"


@dataclass(frozen=True)
class Source:
    """The repository side: parsed descriptors and every problem found in them."""

    documents: list[Document]
    problems: list[Problem]
    files: int

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    def desired(self) -> list[Desired]:
        return [Desired.from_document(document) for document in self.documents]


def load_source(paths: Sequence[str], base: str | None = None) -> Source:
    """Load and validate every descriptor under `paths`, all problems at once.

    With `base`, a path that does not exist but did at (the merge base of) `base` counts
    as empty rather than as an error: git keeps no empty folder, so deleting every
    descriptor removes the folder too, and that deletion is what `--base` is there to plan.
    """
    loaded = load_paths(paths)
    problems = [*loaded.problems, *validate_documents(loaded.documents)]
    if base:
        problems = _forgive_removed_paths(problems, base, paths)
    files = len(
        {d.path for d in loaded.documents}
        | {p.path for p in loaded.problems if p.code not in ("missing", "no-files")}
    )
    return Source(loaded.documents, sort_problems(problems), files)


def _forgive_removed_paths(
    problems: list[Problem], base: str, paths: Sequence[str]
) -> list[Problem]:
    missing = {p.path for p in problems if p.code == "missing"}
    if not missing:
        return problems
    from scorecards_sync.gitsource import GitSource

    gone: set[str] = set()
    with GitSource(".") as git:
        start = git.merge_base(base, "HEAD")
        for path in paths:
            shown = display_path(Path(path))
            if shown in missing and git.exists_at(start, path):
                gone.add(shown)
                logger.warning(
                    "%s no longer exists (it did at %s): planned as empty, so the scorecards "
                    "it held are deleted",
                    shown,
                    base,
                )
    return [p for p in problems if not (p.code == "missing" and p.path in gone)]


def target_of(settings: Settings) -> str:
    """What a plan records as the Cortex it was made against (never a key).

    An emulator is named by its state file, resolved (`./st.json` and `st.json` are one
    file) and relative to the repository root when inside it, so that the name does not
    depend on the folder `plan` and `apply` ran in, nor on where the repository is.
    """
    if settings.emulator:
        state = Path(settings.emulator).resolve()
        try:
            name = state.relative_to(find_root()).as_posix()
        except ValueError:
            name = state.as_posix()
        return f"emulator:{name}"
    return settings.base_url


@contextmanager
def open_client(settings: Settings) -> Iterator[CortexClient]:
    """A client for the configured Cortex, or for the in-process emulator (no key needed)."""
    if settings.emulator:
        from scorecards_sync.emulator import Emulator

        emulator = Emulator(state_file=Path(settings.emulator))
        client = CortexClient(
            EMULATOR_BASE_URL,
            EMULATOR_KEY,
            transport=emulator.transport(),
            rate_limit_per_minute=None,  # nothing to protect: no server, no quota
            concurrency=settings.concurrency,
            max_retries=settings.retries,
        )
    else:
        client = CortexClient(
            settings.base_url,
            settings.require_api_key(),
            rate_limit_per_minute=settings.rate_limit,
            concurrency=settings.concurrency,
            max_retries=settings.retries,
        )
    with client:
        yield client


def removals_since(
    base_ref: str, documents: Sequence[Document], paths: Sequence[str]
) -> list[Removal]:
    """Descriptors removed (or re-tagged) between the merge base of `base_ref` and HEAD, and
    the working tree.

    Comparing from the merge base (like `git diff base...`) keeps a scorecard added on the
    base branch after this branch forked from counting as "removed" here.
    """
    from scorecards_sync.gitsource import GitSource

    with GitSource(".") as source:
        start = source.merge_base(base_ref, "HEAD")
        at_base = source.load_at_ref(start, paths)
        for problem in at_base.problems:
            logger.warning(
                "at %s: %s (its scorecard cannot be considered for deletion)", base_ref, problem
            )
        root = source.root.resolve()
        head = [_relative_to_root(document, root) for document in documents]
    return removals_between(at_base.documents, head)


def _relative_to_root(document: Document, root: Path) -> Document:
    """The document with its path relative to the repository root, as git names files."""
    absolute = (Path.cwd() / document.path).resolve()
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        return document
    return Document(
        relative, document.text, document.data, document.positions, document.key_positions
    )


def build_plan(
    client: CortexClient,
    settings: Settings,
    desired: Sequence[Desired],
    *,
    removals: Sequence[Removal] = (),
    prune: bool = False,
) -> Plan:
    """List Cortex, fetch only the descriptors that matter, and compare."""
    if prune and not settings.managed:
        raise UsageError(
            "prune is on but no `managed` tag patterns are configured, so nothing could be "
            'pruned: set `managed` (e.g. ["platform-*"]) in .scorecards-sync.yaml'
        )
    if prune and not desired:
        # An empty set is what a wrong path or a broken checkout looks like: pruning
        # against it would delete every managed scorecard.
        raise UsageError(
            "refusing to prune: no descriptors were loaded, so every live scorecard matching "
            "`managed` would be deleted. Check the paths, or pass --no-prune; to delete "
            "scorecards on purpose, remove their files and plan with --base REF"
        )
    live_tags = [summary.tag for summary in client.list_scorecards()]
    wanted = tags_to_fetch(desired, live_tags, removals, settings.managed, prune)
    live = client.fetch_descriptors(wanted)
    return make_plan(
        desired,
        live,
        removals=removals,
        prune_patterns=settings.managed,
        prune=prune,
        base_url=target_of(settings),
        live_tags=live_tags,
    )


def enforce_thresholds(plan: Plan, settings: Settings, *, force: bool) -> None:
    """Refuse an unsafe plan (`UnsafePlan`), unless forced: then only say so."""
    try:
        check_thresholds(plan, managed_count(plan), settings.thresholds)
    except UnsafePlan as exc:
        if not force:
            raise
        logger.warning("going ahead because --force was given, despite: %s", exc)


def threshold_problem(plan: Plan, settings: Settings, *, force: bool) -> UnsafePlan | None:
    """What `enforce_thresholds` would raise, as a value: for showing an unsafe plan."""
    try:
        enforce_thresholds(plan, settings, force=force)
    except UnsafePlan as exc:
        return exc
    return None


# Cortex answers a dry run only for a key that may write: a View-only key, the right one
# for pull requests, gets 401/403 there.
SERVER_CHECK_SKIPPED = (
    "server-side validation skipped: the Cortex API key lacks 'Edit Scorecards', which "
    "Cortex requires even for a dry run (a View-only key is the right one for pull "
    "requests); the descriptors were validated offline only"
)


@dataclass(frozen=True)
class ServerCheck:
    """A plan with Cortex's verdict per create and update, or why there are none."""

    plan: Plan
    skipped: str | None = None


def check_on_server(plan: Plan, client: CortexClient, *, concurrency: int) -> ServerCheck:
    """Send every create and update with `dryRun=true`; record Cortex's verdict per change.

    A key without the permission to write (401/403 on the dry run) leaves the plan
    without verdicts and says so in `skipped`; the plan itself stands.
    """
    writes = [c for c in plan.changes if c.action in (Action.CREATE, Action.UPDATE)]
    refused: list[CortexAuthError] = []

    def verdict(change: Change) -> Change:
        try:
            result = client.upsert_descriptor(change.desired_yaml or "", dry_run=True)
        except CortexRejected as exc:
            messages = [m for m in (exc.cortex_message, exc.details) if m]
            return change.with_verdict(ServerVerdict(False, tuple(messages) or (str(exc),)))
        except CortexAuthError as exc:
            refused.append(exc)
            return change
        return change.with_verdict(ServerVerdict(True, tuple(result.warnings)))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        checked = {(c.tag, c.action): c for c in pool.map(verdict, writes)}
    if refused:
        logger.debug("dry run refused: %s", refused[0])
        # All or nothing: a plan checked in part would read as checked.
        checked = {}
    return ServerCheck(
        Plan(
            changes=tuple(checked.get((c.tag, c.action), c) for c in plan.changes),
            unmanaged=plan.unmanaged,
            base_url=plan.base_url,
        ),
        SERVER_CHECK_SKIPPED if refused else None,
    )


def server_validate(plan: Plan, client: CortexClient, *, concurrency: int) -> Plan:
    """`check_on_server`, with one warning when the key cannot run dry runs."""
    checked = check_on_server(plan, client, concurrency=concurrency)
    if checked.skipped:
        logger.warning("%s", checked.skipped)
    return checked.plan


def live_fingerprints(client: CortexClient, tags: Sequence[str]) -> dict[str, str]:
    """Fingerprints of the live descriptors of `tags`; a tag absent from Cortex is left out."""
    present = {summary.tag for summary in client.list_scorecards()}
    fetched = client.fetch_descriptors([tag for tag in tags if tag in present])
    return {tag: fingerprint(parse_live(tag, text)) for tag, text in fetched.items()}


def is_interactive(stdin: TextIO, stdout: TextIO) -> bool:
    """Both ends are a terminal: a person is there to answer a question."""
    return stdin.isatty() and stdout.isatty()


def github_output_text(values: Mapping[str, str]) -> str:
    """`values` in `$GITHUB_OUTPUT` syntax, each in the multi-line form (`name<<DELIMITER`,
    the value, `DELIMITER`) with a random delimiter the value does not hold: any value,
    a newline included, reads back as itself and cannot forge another output.
    """
    lines: list[str] = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
        lines += [f"{name}<<{delimiter}", value, delimiter]
    return "".join(f"{line}\n" for line in lines)


def write_github_output(values: Mapping[str, str]) -> None:
    """Append `values` to `$GITHUB_OUTPUT` when running in GitHub Actions."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    try:
        with Path(target).open("a", encoding="utf-8") as stream:
            stream.write(github_output_text(values))
    except OSError as exc:
        raise OutputError(
            f"cannot write the step outputs to GITHUB_OUTPUT ({target}): {exc.strerror or exc}"
        ) from None
