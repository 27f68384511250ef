"""The `drift` step of a scheduled run: compare the repository, the record of the last
complete apply and Cortex, heal when asked, and report.

With `heal`, the repository's version of what is pending and drifted is applied first
(as `drift --heal`), and the report says what is left. Following the report somewhere
people see it (GitHub: one issue kept up to date) is the host's part.
"""

from __future__ import annotations

from dataclasses import dataclass

from scorecards_sync.applier import apply_plan
from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.drift import DriftReport, applied_at, build_report
from scorecards_sync.record import Since
from scorecards_sync.render.drift import MarkdownDrift, TextDrift
from scorecards_sync.render.results import TextResults, summary_line
from scorecards_sync.review.run import ReviewRun
from scorecards_sync.workflow import (
    Source,
    open_client,
    plan_repository,
    target_of,
    unless_forced,
    verify_applied,
)


@dataclass(frozen=True)
class Drift:
    """The outcome of a drift step: its exit code, the report and its Markdown."""

    code: int
    report: DriftReport | None
    markdown: str


def run_drift(run: ReviewRun) -> Drift:
    source = run.validate()
    if source is None:
        run.summary.append("Nothing was compared: fix the errors above first.")
        return Drift(EXIT_ERROR, None, "")
    settings = run.settings()
    source, since = run.host.since(run, settings, source, None)
    code = EXIT_OK
    with open_client(settings) as client:
        report = _report(run, source, since, settings, client)
        if run.options.heal and not report.in_sync:
            code = _heal(run, source, settings, client)
            report = _report(run, source, since, settings, client)
    body = MarkdownDrift().render(report)
    run.log_untrusted(TextDrift().render(report))
    run.summary.append(body)
    run.outputs["in-sync"] = "true" if report.in_sync else "false"
    return Drift(code, report, body)


def _report(
    run: ReviewRun, source: Source, since: Since, settings: Settings, client: CortexClient
) -> DriftReport:
    used = since.record is not None and since.base == since.record.commit
    applied = applied_at(since.base, list(run.options.paths)) if used and since.base else None
    return build_report(
        source.desired(),
        applied,
        client,
        managed=settings.managed,
        target=target_of(settings),
        record_commit=since.base if used else None,
        note=since.note,
    )


def _heal(run: ReviewRun, source: Source, settings: Settings, client: CortexClient) -> int:
    """Apply the repository's version of what is pending and drifted, as `drift --heal`."""
    planned = plan_repository(source, settings, client=client, prune=settings.prune)
    unsafe = unless_forced(planned.unsafe, force=run.options.force)
    if unsafe is not None:
        raise unsafe
    plan = planned.plan
    if not plan.has_changes:
        return EXIT_OK
    result = verify_applied(
        plan, apply_plan(plan, client, concurrency=settings.concurrency), client
    )
    run.log_untrusted(TextResults(color=False).render(result))
    run.summary.append(f"Healed: {summary_line(result)}")
    return EXIT_OK if result.ok else EXIT_ERROR
