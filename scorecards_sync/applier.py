"""Plan → Cortex: send each change, report what happened to every one of them.

Order: creates and updates run first, deletes after them, so that a scorecard being
replaced (a file re-tagged: delete the old tag, create the new one) exists under its
new tag before the old one goes; and the delete of a re-tagged scorecard is skipped
when the create of its replacement failed, so a failure never loses a scorecard
outright. A plan holds at most one change per tag (`Plan` refuses more), so no two
calls of one apply touch the same scorecard. Within a phase, changes run concurrently
(bounded), all under the client's one shared rate limiter.

A failure of one change never hides the others: every change gets an `Outcome`.
Two failures are not about one change: a refused key (HTTP 401 or 403) refuses every
write alike, and a Cortex that stopped accepting connections (the client's breaker
opened, `CortexUnreachable`) takes none. After either, nothing more is sent and the
remaining changes are `skipped` with the reason. The first write goes alone, so a key
that may not write costs one refused call, not one per concurrent worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from scorecards_sync import progress
from scorecards_sync.cortex.http import EDIT
from scorecards_sync.errors import (
    CortexAuthError,
    CortexError,
    CortexNotFound,
    CortexUnreachable,
    StalePlan,
)
from scorecards_sync.plan import Action, Change, FieldChange, Plan, RuleChange

logger = logging.getLogger(__name__)


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    """What happened to one change.

    `verified`: for a create or update that was written, whether Cortex read back as
    planned (`True`), or still differs from the desired descriptor (`False`: the
    differences left are in `remaining` and `remaining_rules`, in the plan's shape, live
    side as `old`); None when nothing was read back (a delete, a failure, a dry run,
    `--no-verify`).
    """

    tag: str
    action: Action
    status: Status
    message: str = ""
    verified: bool | None = None
    remaining: tuple[FieldChange, ...] = ()
    remaining_rules: tuple[RuleChange, ...] = ()

    @property
    def is_write(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE)

    def checked(
        self,
        verified: bool,
        remaining: tuple[FieldChange, ...] = (),
        remaining_rules: tuple[RuleChange, ...] = (),
    ) -> Outcome:
        return replace(
            self, verified=verified, remaining=remaining, remaining_rules=remaining_rules
        )


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    dry_run: bool = False
    # Stopped by the user (Ctrl-C, SIGTERM): the changes not started are `skipped`.
    interrupted: bool = False

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    @property
    def done(self) -> int:
        return self.count(Status.DONE)

    @property
    def failed(self) -> int:
        return self.count(Status.FAILED)

    @property
    def skipped(self) -> int:
        return self.count(Status.SKIPPED)

    @property
    def not_converged(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.verified is False)

    @property
    def verified(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.verified is True)

    @property
    def ok(self) -> bool:
        """Nothing failed, and every write that was read back matches what was sent."""
        return self.failed == 0 and self.not_converged == 0


class WritingClient(Protocol):
    """The part of `CortexClient` the applier needs."""

    def upsert_descriptor(self, yaml_text: str, *, dry_run: bool = False) -> object: ...

    def delete_scorecard(self, tag: str) -> None: ...


def apply_plan(
    plan: Plan,
    client: WritingClient,
    *,
    dry_run: bool = False,
    concurrency: int = 4,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: threading.Event | None = None,
) -> ApplyResult:
    """Apply every actionable change of `plan`; with `dry_run`, only validate the writes
    (`dryRun=true`) and delete nothing.

    Once `stop` is set (an interrupt), no change is started any more: those left are
    `skipped` (`NOT_STARTED`), and the ones in flight finish and are reported as usual.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    changes = plan.actionable
    outcomes: dict[str, Outcome] = {}

    def record(outcome: Outcome) -> None:
        outcomes[outcome.tag] = outcome
        logger.info(
            "%s %s: %s %s", outcome.action.value, outcome.tag, outcome.status.value, outcome.message
        )
        if on_outcome is not None:
            on_outcome(outcome)

    writes = [c for c in changes if c.action is not Action.DELETE]
    deletes = [c for c in changes if c.action is Action.DELETE]
    gate = _Gate()

    def run(change: Change) -> Outcome:
        outcome = attempt(change)
        applying.advance(failed=outcome.status is Status.FAILED, item=outcome)
        return outcome

    def attempt(change: Change) -> Outcome:
        if stop is not None and stop.is_set():
            return Outcome(change.tag, change.action, Status.SKIPPED, NOT_STARTED)
        return gate.run(change, lambda: _run_change(change, client, dry_run))

    with (
        progress.phase("dry-running" if dry_run else "applying", len(changes)) as applying,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="apply") as pool,
    ):
        if writes:
            record(run(writes[0]))
        for outcome in pool.map(run, writes[1:]):
            record(outcome)
        failed_creates = {
            change.renamed_from
            for change in writes
            if change.renamed_from and outcomes[change.tag].status is not Status.DONE
        }
        runnable = []
        for change in deletes:
            if change.tag in failed_creates:
                replacement = next(c.tag for c in writes if c.renamed_from == change.tag)
                kept = Outcome(
                    change.tag,
                    change.action,
                    Status.SKIPPED,
                    f"not deleted: creating its replacement {replacement!r} failed",
                )
                applying.advance(item=kept)
                record(kept)
            else:
                runnable.append(change)
        for outcome in pool.map(run, runnable):
            record(outcome)
    ordered = tuple(outcomes[c.tag] for c in changes if c.tag in outcomes)
    interrupted = stop is not None and stop.is_set()
    return ApplyResult(ordered, dry_run=dry_run, interrupted=interrupted)


NOT_STARTED = "not started: interrupted"


KEY_LACKS_EDIT = f"the API key lacks the '{EDIT}' permission"
KEY_REFUSED = "Cortex refused the API key"
UNREACHABLE = "Cortex stopped accepting connections"


class _Gate:
    """Once Cortex refuses the key or stops accepting connections, the changes not yet
    sent are skipped, not sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refusal: str | None = None

    def run(self, change: Change, send: Callable[[], Outcome]) -> Outcome:
        with self._lock:
            refusal = self._refusal
        if refusal is not None:
            return Outcome(change.tag, change.action, Status.SKIPPED, f"not sent: {refusal}")
        try:
            return send()
        except CortexAuthError as exc:
            refusal = KEY_LACKS_EDIT if exc.status == 403 else KEY_REFUSED
            self._close(refusal)
            status = f" (HTTP {exc.status})" if exc.status is not None else ""
            return Outcome(change.tag, change.action, Status.FAILED, refusal + status)
        except CortexUnreachable as exc:
            self._close(UNREACHABLE)
            if not exc.attempted:
                # Refused by the client before a single attempt: nothing was sent.
                return Outcome(
                    change.tag, change.action, Status.SKIPPED, f"not sent: {UNREACHABLE}"
                )
            return Outcome(change.tag, change.action, Status.FAILED, describe_error(exc))

    def _close(self, refusal: str) -> None:
        with self._lock:
            self._refusal = self._refusal or refusal


def _run_change(change: Change, client: WritingClient, dry_run: bool) -> Outcome:
    """The outcome of one change; a refused key or an unreachable Cortex is left to `_Gate`."""
    try:
        if change.action is Action.DELETE:
            if dry_run:
                return Outcome(change.tag, change.action, Status.SKIPPED, "would delete (dry run)")
            try:
                client.delete_scorecard(change.tag)
            except CortexNotFound:
                return Outcome(change.tag, change.action, Status.DONE, "already absent")
            return Outcome(change.tag, change.action, Status.DONE, "deleted")
        if change.desired_yaml is None:
            return Outcome(
                change.tag, change.action, Status.FAILED, "the plan holds no descriptor to send"
            )
        client.upsert_descriptor(change.desired_yaml, dry_run=dry_run)
    except (CortexAuthError, CortexUnreachable):
        raise
    except CortexError as exc:
        return Outcome(change.tag, change.action, Status.FAILED, describe_error(exc))
    except Exception as exc:
        # Unexpected, but one change going wrong must not hide what happened to the others.
        logger.debug("unexpected failure applying %s", change.tag, exc_info=True)
        return Outcome(change.tag, change.action, Status.FAILED, f"{type(exc).__name__}: {exc}")
    if dry_run:
        verdict = "accepted by Cortex: dry run, nothing written"
        return Outcome(change.tag, change.action, Status.DONE, verdict)
    done = {Action.CREATE: "created", Action.UPDATE: "updated"}
    return Outcome(change.tag, change.action, Status.DONE, done.get(change.action, "sent"))


def describe_error(exc: CortexError) -> str:
    """Cortex's own words when it gave any, else our message."""
    parts = [part for part in (exc.cortex_message, exc.details) if part]
    text = ": ".join(parts) if parts else str(exc)
    if exc.status is not None and str(exc.status) not in text:
        text = f"{text} (HTTP {exc.status})"
    return " ".join(text.split())


def touched_tags(plan: Plan) -> list[str]:
    """The tags whose live state a saved plan depends on."""
    return sorted({change.tag for change in plan.actionable})


def check_fresh(plan: Plan, live_fingerprints: Mapping[str, str]) -> None:
    """Refuse a saved plan when a scorecard it touches moved in Cortex since it was made.

    `live_fingerprints` maps each tag that exists live now to its fingerprint; a tag
    missing from it is absent from Cortex. Scorecards the plan does not touch are ignored.
    """
    moved: list[str] = []
    for change in plan.actionable:
        now = live_fingerprints.get(change.tag)
        then = change.live_fingerprint
        if now == then:
            continue
        if then is None:
            moved.append(f"{change.tag} (created in Cortex since the plan)")
        elif now is None:
            moved.append(f"{change.tag} (deleted from Cortex since the plan)")
        else:
            moved.append(f"{change.tag} (edited in Cortex since the plan)")
    if moved:
        listing = "\n".join(f"  - {item}" for item in sorted(set(moved)))
        raise StalePlan(
            f"the saved plan is stale: {len(set(moved))} scorecard(s) it touches moved in "
            f"Cortex since it was made:\n{listing}\nRun `plan` again and review the new plan."
        )
