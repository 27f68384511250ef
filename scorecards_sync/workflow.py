"""The steps `plan`, `apply` and `pull` share: load and validate, connect, fetch, plan, check.

Each step is a plain function so the commands read as the sequence they run, and tests
and benchmarks can run the same steps without the command line. Every entry point plans
from a repository the same way: `load_source` (load and validate; the caller reports the
problems in its own format and stops on errors), then `plan_repository` (removals since
the base, fetch, plan, server-side check, safety verdict).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import yaml

from scorecards_sync.applier import ApplyResult, Outcome, Status, describe_error
from scorecards_sync.config import Settings, find_root
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.descriptor import canonical, fingerprint
from scorecards_sync.descriptor_diff import diff_canonical
from scorecards_sync.errors import (
    CortexAuthError,
    CortexError,
    CortexRejected,
    OutputError,
    UnsafePlan,
    UsageError,
    ValidationFailed,
)
from scorecards_sync.impact import Impact
from scorecards_sync.impact_fetch import Impacts, compute_impacts
from scorecards_sync.loader import Document
from scorecards_sync.plan import Action, Change, Plan, ServerVerdict, check_safety
from scorecards_sync.planner import (
    Desired,
    Removal,
    make_plan,
    parse_live,
    remaining_differences,
    removals_between,
    tags_to_fetch,
)
from scorecards_sync.source import Source as Source  # re-exported
from scorecards_sync.source import load_source as load_source  # re-exported

logger = logging.getLogger(__name__)

# Any URL the in-process transport answers: it never reaches a network.
EMULATOR_BASE_URL = "https://emulator.invalid"
EMULATOR_KEY = "emulator"


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
            key_hint=settings.key_hint(),
            concurrency=settings.concurrency,
            max_retries=settings.retries,
        )
    with client:
        yield client


def removals_since(
    base_ref: str,
    documents: Sequence[Document],
    paths: Sequence[str],
    *,
    merge_base: str | None = None,
) -> list[Removal]:
    """Descriptors removed (or re-tagged) between the merge base of `base_ref` and HEAD, and
    the working tree.

    Comparing from the merge base (like `git diff base...`) keeps a scorecard added on the
    base branch after this branch forked from counting as "removed" here. `merge_base`,
    when the caller already has it, spares asking git for it again.
    """
    from scorecards_sync.gitsource import GitSource

    with GitSource(".") as source:
        start = merge_base or source.merge_base(base_ref, "HEAD")
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
    return _build_plan(client, settings, desired, removals=removals, prune=prune)[0]


def _build_plan(
    client: CortexClient,
    settings: Settings,
    desired: Sequence[Desired],
    *,
    removals: Sequence[Removal] = (),
    prune: bool = False,
) -> tuple[Plan, dict[str, str]]:
    """`build_plan`, and the live descriptor texts it fetched (the impact step reuses them)."""
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
    plan = make_plan(
        desired,
        live,
        removals=removals,
        prune_patterns=settings.managed,
        prune=prune,
        base_url=target_of(settings),
        live_tags=live_tags,
    )
    if settings.workspace:
        plan = replace(plan, workspace=settings.workspace)
    return plan, live


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
            workspace=plan.workspace,
        ),
        SERVER_CHECK_SKIPPED if refused else None,
    )


@dataclass(frozen=True)
class RepositoryPlan:
    """A plan made from the repository, and what stands against applying it.

    - `unsafe`: the thresholds' verdict (`check_safety`), whatever `--force` says: the
      caller decides what forcing means (see `unless_forced`).
    - `server_check_skipped`: why Cortex did not dry-run the plan's writes when asked to
      (a key without 'Edit Scorecards'), for the caller to say in its own way.
    - `rejected`: the tags of the descriptors Cortex's dry run rejected.
    - `impacts`: with `impact`, the score impact of each update, by tag;
      `impact_skipped` says why there is none (a key that may not read scores).
    - `desired`: the repository's descriptors the plan was made from, already parsed,
      by tag (an apply's verification compares with them rather than parse them again).
    """

    plan: Plan
    unsafe: UnsafePlan | None = None
    server_check_skipped: str | None = None
    impacts: Mapping[str, Impact] = field(default_factory=dict)
    impact_skipped: str | None = None
    desired: Mapping[str, Desired] = field(default_factory=dict, repr=False)

    @property
    def rejected(self) -> tuple[str, ...]:
        return tuple(
            c.tag for c in self.plan.changes if c.server_validation and not c.server_validation.ok
        )


def plan_repository(
    source: Source,
    settings: Settings,
    *,
    client: CortexClient | None = None,
    prune: bool,
    server_check: bool = False,
    impact: bool = False,
) -> RepositoryPlan:
    """Plan what would make Cortex match `source`: the one way every entry point plans.

    The steps, in order: the descriptors removed since `source.base` (from the merge
    base `load_source` found, if it had to find one: git is asked once), then Cortex's
    list and the descriptors that matter (`build_plan`), the plan, with `server_check`
    a dry run of every create and update (`check_on_server`), and the safety verdict of
    `settings.thresholds`. Nothing is written to Cortex.

    - `source`: from `load_source`, its problems already reported by the caller; it
      must hold no error (`ValidationFailed` otherwise: nothing invalid reaches Cortex).
      What warnings mean (`--strict`) is the caller's to decide before calling.
    - `settings`: the target, the `managed` patterns, the thresholds, the concurrency.
    - `client`: the Cortex to plan against; without one, a client is opened from
      `settings` once the git work is done, and closed before returning.
    - `prune`: whether live scorecards matching `managed` that `source` lacks are
      deleted; the caller's decision (the configured `prune`, or narrower).
    - `impact`: also compute the score impact of every update (`compute_impacts`), from
      Cortex's latest scores and the live descriptors the plan was made from.

    Raises `UsageError` for a prune that cannot be done safely, `GitSourceError` for a
    base that git cannot compare with, and the client's errors.
    """
    if not source.ok:
        raise ValidationFailed("the descriptors have errors; nothing was sent to Cortex")
    removals = (
        removals_since(source.base, source.documents, source.paths, merge_base=source.merge_base)
        if source.base
        else []
    )
    desired = source.desired()
    with _client_for(settings, client) as connected:
        plan, live = _build_plan(connected, settings, desired, removals=removals, prune=prune)
        skipped = None
        if server_check:
            checked = check_on_server(plan, connected, concurrency=settings.concurrency)
            plan, skipped = checked.plan, checked.skipped
        impacts = (
            compute_impacts(plan, connected, live=live, concurrency=settings.concurrency)
            if impact
            else Impacts()
        )
    return RepositoryPlan(
        plan,
        check_safety(plan, settings.thresholds),
        skipped,
        impacts.by_tag,
        impacts.skipped,
        {want.tag: want for want in desired},
    )


@contextmanager
def _client_for(settings: Settings, client: CortexClient | None) -> Iterator[CortexClient]:
    if client is not None:
        yield client
        return
    with open_client(settings) as opened:
        yield opened


def unless_forced(unsafe: UnsafePlan | None, *, force: bool) -> UnsafePlan | None:
    """`unsafe`, or None when `--force` overrides it: then a warning says so."""
    if unsafe is not None and force:
        # What is forced, once: not the refusal's own advice to re-run with --force.
        forced = "; ".join(unsafe.reasons) or str(unsafe)
        logger.warning("--force: going ahead with a plan past the safety thresholds: %s", forced)
        return None
    return unsafe


def live_fingerprints(client: CortexClient, tags: Sequence[str]) -> dict[str, str]:
    """Fingerprints of the live descriptors of `tags`; a tag absent from Cortex is left out."""
    present = {summary.tag for summary in client.list_scorecards()}
    fetched = client.fetch_descriptors([tag for tag in tags if tag in present])
    return {tag: fingerprint(parse_live(tag, text)) for tag, text in fetched.items()}


def already_applied(plan: Plan, client: CortexClient) -> bool:
    """Cortex already holds what `plan` would make it hold: every scorecard it creates or
    updates reads back equal in meaning to the YAML it would send, and every one it
    deletes is gone. A saved plan applied a second time is so."""
    present = {summary.tag for summary in client.list_scorecards()}
    writes = [c for c in plan.actionable if c.action is not Action.DELETE]
    fetched = client.fetch_descriptors([c.tag for c in writes if c.tag in present])
    for change in plan.actionable:
        if change.action is Action.DELETE:
            if change.tag in present:
                return False
            continue
        live = fetched.get(change.tag)
        if live is None or change.desired_yaml is None:
            return False
        desired = yaml.safe_load(change.desired_yaml)
        if not isinstance(desired, dict):
            return False
        fields, rules = diff_canonical(canonical(desired), canonical(parse_live(change.tag, live)))
        if fields or rules:
            return False
    return True


NOT_CONVERGED = "not converged"


def verify_applied(
    plan: Plan,
    result: ApplyResult,
    client: CortexClient,
    parsed: Mapping[str, Desired] | None = None,
) -> ApplyResult:
    """`result`, each create and update written re-read from Cortex and compared with the
    descriptor sent, as a plan compares them: `verified`, or not and what still differs.

    A dry run wrote nothing, and a change that failed or was skipped has nothing to
    check: their outcomes are returned as they were. `parsed` holds descriptors already
    parsed, by tag (`RepositoryPlan.desired`): one whose text is the text sent is not
    parsed again.
    """
    parsed = parsed or {}
    sent = {c.tag: c.desired_yaml for c in plan.actionable if c.desired_yaml is not None}
    written = [
        o for o in result.outcomes if o.is_write and o.status is Status.DONE and o.tag in sent
    ]
    if result.dry_run or not written:
        return result
    try:
        live = client.fetch_descriptors([o.tag for o in written])
    except CortexError as exc:
        # What was done stands and must still be reported: it is only not verified.
        logger.warning("could not read back the scorecards written to verify them: %s", exc)
        note = f"not verified: reading it back failed ({describe_error(exc)})"
        unverified = {o.tag: replace(o, message=f"{o.message}; {note}") for o in written}
        return replace(result, outcomes=tuple(unverified.get(o.tag, o) for o in result.outcomes))
    checked: dict[str, Outcome] = {}
    for outcome in written:
        text = live.get(outcome.tag)
        if text is None:
            checked[outcome.tag] = outcome.checked(False)
            logger.warning("%s: %s, absent from Cortex after the write", outcome.tag, NOT_CONVERGED)
            continue
        known = parsed.get(outcome.tag)
        data = known.data if known is not None and known.yaml_text == sent[outcome.tag] else None
        fields, rules = remaining_differences(outcome.tag, sent[outcome.tag] or "", text, data)
        converged = not fields and not rules
        checked[outcome.tag] = outcome.checked(converged, fields, rules)
        if not converged:
            logger.warning(
                "%s: %s: Cortex serves something other than what was sent",
                outcome.tag,
                NOT_CONVERGED,
            )
    return replace(result, outcomes=tuple(checked.get(o.tag, o) for o in result.outcomes))


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
