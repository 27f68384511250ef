"""The action's `drift` command, for scheduled workflows: one issue that follows the drift.

The review core's drift step (`review.drift_step`) compares the repository with the
last successful deployment (the record of the last complete apply, see `action_deploy`)
and Cortex, and writes the report to the job summary; this module keeps **one** GitHub
issue (label `scorecards-drift`, found again by a hidden marker naming the paths, never
duplicated) whose body is the Markdown report: opened when drift appears, updated in
place when the report changes, closed with a comment when Cortex is back in sync,
reopened when drift returns. With the `heal` input,
the repository's version of what is pending and drifted is applied first (as `drift
--heal`), and the issue follows what is left.
"""

from __future__ import annotations

from scorecards_sync.drift import DriftReport
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.client import Issue
from scorecards_sync.review import drift_step

DRIFT_LABEL = "scorecards-drift"
_MARKER = "<!-- scorecards-sync:drift {key} -->"


def run_drift(run: ActionRun) -> int:
    drift = drift_step.run_drift(run)
    if drift.report is None:
        return drift.code
    try:
        _keep_issue(run, drift.report, drift.markdown)
    except ScorecardsSyncError as exc:
        run.annotate(
            "warning",
            f"could not keep the drift issue (does the job have `issues: write`?): {exc}",
        )
    return drift.code


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
