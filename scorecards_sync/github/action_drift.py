"""The action's `drift` command, for scheduled workflows: one issue that follows the drift.

Compares the repository with the last successful deployment (the record of the last
complete apply, see `action_deploy`) and Cortex (`scorecards_sync.drift`), writes the
report to the job summary, and keeps **one** GitHub issue (label `scorecards-drift`, found
again by a hidden marker naming the paths, never duplicated) whose body is the Markdown
report: opened when drift appears, updated in place when the report changes, closed with a
comment when Cortex is back in sync, reopened when drift returns. With the `heal` input,
the repository's version of what is pending and drifted is applied first (as `drift
--heal`), and the issue follows what is left.
"""

from __future__ import annotations

from scorecards_sync.applier import apply_plan
from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.drift import DriftReport, applied_at, build_report
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.github.action_deploy import since_deployment
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.client import Issue
from scorecards_sync.record import Since
from scorecards_sync.render.drift import MarkdownDrift, TextDrift
from scorecards_sync.render.results import TextResults, summary_line
from scorecards_sync.workflow import (
    Source,
    open_client,
    plan_repository,
    target_of,
    unless_forced,
    verify_applied,
)

DRIFT_LABEL = "scorecards-drift"
_MARKER = "<!-- scorecards-sync:drift {key} -->"


def run_drift(run: ActionRun) -> int:
    source = run.validate()
    if source is None:
        run.summary.append("Nothing was compared: fix the errors above first.")
        return EXIT_ERROR
    settings = run.settings()
    source, since = since_deployment(run, settings, source, None)
    code = EXIT_OK
    with open_client(settings) as client:
        report = _report(run, source, since, settings, client)
        if run.inputs.heal and not report.in_sync:
            code = _heal(run, source, settings, client)
            report = _report(run, source, since, settings, client)
    body = MarkdownDrift().render(report)
    run.log_untrusted(TextDrift().render(report))
    run.summary.append(body)
    run.outputs["in-sync"] = "true" if report.in_sync else "false"
    try:
        _keep_issue(run, report, body)
    except ScorecardsSyncError as exc:
        run.annotate(
            "warning",
            f"could not keep the drift issue (does the job have `issues: write`?): {exc}",
        )
    return code


def _report(
    run: ActionRun, source: Source, since: Since, settings: Settings, client: CortexClient
) -> DriftReport:
    used = since.record is not None and since.base == since.record.commit
    applied = applied_at(since.base, list(run.inputs.paths)) if used and since.base else None
    return build_report(
        source.desired(),
        applied,
        client,
        managed=settings.managed,
        target=target_of(settings),
        record_commit=since.base if used else None,
        note=since.note,
    )


def _heal(run: ActionRun, source: Source, settings: Settings, client: CortexClient) -> int:
    """Apply the repository's version of what is pending and drifted, as `drift --heal`."""
    planned = plan_repository(source, settings, client=client, prune=settings.prune)
    unsafe = unless_forced(planned.unsafe, force=run.force)
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


def _keep_issue(run: ActionRun, report: DriftReport, report_md: str) -> None:
    repository = run.event.repository
    marker = _MARKER.format(key=run.inputs.key)
    link = f" ([workflow run]({run.context.run_url}))" if run.context.run_url else ""
    body = f"{marker}\n{report_md}\n\n<sub>Kept up to date by scorecards-sync drift{link}.</sub>"
    with run.github() as client:
        issue = _find(client.issues_with_label(repository, DRIFT_LABEL), marker, run)
        if report.in_sync:
            if issue is not None and issue.state == "open":
                client.create_issue_comment(
                    repository, issue.number, f"Cortex is back in sync with the repository{link}."
                )
                client.update_issue(repository, issue.number, state="closed")
                run.log.append(f"Drift issue #{issue.number} closed: back in sync.")
            return
        if issue is None:
            paths = ", ".join(run.inputs.paths)
            title = f"Scorecards drift: Cortex differs from the repository ({paths})"
            created = client.create_issue(repository, title=title, body=body, labels=(DRIFT_LABEL,))
            run.outputs["issue-url"] = created.html_url
            run.log.append(f"Drift issue #{created.number} opened.")
            return
        run.outputs["issue-url"] = issue.html_url
        if issue.state != "open":
            client.update_issue(repository, issue.number, body=body, state="open")
            client.create_issue_comment(repository, issue.number, f"Drift is back{link}.")
            run.log.append(f"Drift issue #{issue.number} reopened.")
        elif issue.body != body:
            client.update_issue(repository, issue.number, body=body)
            run.log.append(f"Drift issue #{issue.number} updated.")
        else:
            run.log.append(f"Drift issue #{issue.number} unchanged.")


def _find(issues: list[Issue], marker: str, run: ActionRun) -> Issue | None:
    """The oldest issue by the action's author that carries the marker on its first line."""
    ours = [
        i
        for i in issues
        if i.user_login == run.inputs.comment_author and i.body.split("\n", 1)[0] == marker
    ]
    return min(ours, key=lambda i: i.number) if ours else None
