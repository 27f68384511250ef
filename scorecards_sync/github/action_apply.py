"""The action's `apply` command: apply on merge only the plan reviewed in the pull request.

On a push to the default branch: validate and plan, refuse unless the plan has
the checksum reviewed in the merged pull request's plan comment (or the
`auto-approve` input is on), save the plan, then apply that file after checking
that Cortex did not move. The outcome goes to the summary and, as a second
sticky comment, to the merged pull request.
"""

from __future__ import annotations

from dataclasses import dataclass

from scorecards_sync.applier import ApplyResult, Status, apply_plan, check_fresh, touched_tags
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError, UsageError
from scorecards_sync.github.action_deploy import record_deployment, since_deployment
from scorecards_sync.github.action_report import caution_md, paths_md, result_section
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.client import IssueComment, PullRequest
from scorecards_sync.github.comments import (
    find_sticky,
    merged_pull_request,
    parse_marker,
    upsert_sticky,
)
from scorecards_sync.plan import Plan
from scorecards_sync.planfile import read_plan
from scorecards_sync.render.plan_markdown import escape
from scorecards_sync.render.results import TextResults, remaining_lines, summary_line
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import (
    live_fingerprints,
    open_client,
    unless_forced,
    verify_applied,
)

_APPLY_KEY_SUFFIX = "#apply"  # `#` never occurs in a path key: no clash with a plan comment


@dataclass(frozen=True)
class _Review:
    """The merged pull request of the pushed commit, its plan comment and reviewed checksum."""

    pull: PullRequest | None
    comment: IssueComment | None
    checksum: str | None


def run_apply(run: ActionRun) -> int:
    push = run.event.push if run.event.kind == "push" else None
    if not run.inputs.auto_approve and (push is None or not push.is_default_branch):
        where = f"a push to {push.branch}" if push and push.branch else f"a {run.event.name} event"
        raise UsageError(
            f"command apply checks the plan reviewed in the merged pull request, which "
            f"needs a push to the default branch; this run is {where}. Set auto-approve: "
            "true to apply without that check."
        )
    base = run.inputs.base_ref or (push.base if push else None)
    source = run.validate(base)
    if source is None:
        run.summary.append("Nothing was sent to Cortex: fix the errors above first.")
        return EXIT_ERROR
    settings = run.settings()
    source, since = since_deployment(run, settings, source, base)
    base = since.base
    with open_client(settings) as client:
        planned = run.make_plan(client, settings, source, server_check=False)
        plan = planned.plan
        saved = run.record(plan, base, ())
        if not plan.has_changes:
            run.log.append("Nothing to apply: Cortex matches the repository.")
            record_deployment(run, settings, since, plan, None)
            return EXIT_OK
        unsafe = unless_forced(planned.unsafe, force=run.force)
        if unsafe is not None:
            raise unsafe
        review = None if run.inputs.auto_approve else _reviewed(run)
        if review is not None:
            refusal = _refusal(run, plan, review)
            if refusal is not None:
                run.annotate("error", refusal)
                run.summary.append(caution_md(f"**Not applied.** {escape(refusal)}"))
                record_deployment(run, settings, since, plan, "not applied: " + refusal)
                return EXIT_ERROR
        # Apply the saved file, as `apply --plan` does: exactly what was checked.
        plan = read_plan(saved)
        check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
        result = verify_applied(
            plan, apply_plan(plan, client, concurrency=settings.concurrency), client
        )
    record_deployment(run, settings, since, plan, None if result.ok else summary_line(result))
    table = _record_result(run, result)
    if run.inputs.comment != "false":
        _comment_result(run, plan, result, table, review)
    return EXIT_OK if result.ok else EXIT_ERROR


def _reviewed(run: ActionRun) -> _Review:
    """What the merged pull request of the pushed commit reviewed for the run's paths."""
    repository, author = run.event.repository, run.inputs.comment_author
    with run.github() as client:
        pull = merged_pull_request(
            client, repository, run.event.sha, delays=run.context.merged_pull_delays
        )
        if pull is None:
            return _Review(None, None, None)
        comments = client.list_issue_comments(repository, pull.number)
    comment = find_sticky(comments, run.inputs.key, author=author)
    marker = parse_marker(comment.body) if comment is not None else None
    return _Review(pull, comment, marker.checksum if marker and marker.checksum else None)


def _refusal(run: ActionRun, plan: Plan, review: _Review) -> str | None:
    """Why this plan must not be applied, or None when it is the one reviewed."""
    sha = run.event.sha[:12]
    bypass = "Set auto-approve: true only where pushes do not come through pull requests."
    if review.pull is None:
        return (
            f"no merged pull request found for commit {sha}, so no reviewed plan to check "
            f"this one against. Merge changes through a pull request whose plan comment "
            f"is the review. {bypass}"
        )
    if review.comment is not None:
        run.outputs["comment-url"] = review.comment.html_url
    number = review.pull.number
    if review.checksum is None:
        return (
            f"pull request #{number} has no plan comment by {run.inputs.comment_author} for "
            f"{', '.join(run.inputs.paths)} with a plan checksum (did the plan workflow run "
            "on it with comments on, and did its last run succeed? A pull request from a "
            "fork is never planned: merge its branch through a pull request from this "
            "repository). Nothing reviewed, nothing applied."
        )
    if review.checksum != plan.checksum():
        return (
            f"the plan to apply (checksum {plan.checksum()}) is not the plan reviewed in "
            f"pull request #{number} (checksum {review.checksum}): Cortex or the repository "
            "changed since that plan was made (a scorecard edited in Cortex, another merge, "
            "an edited comment). Nothing was applied. Review the plan in this summary and "
            "re-plan in a pull request (requiring branches to be up to date before merging "
            "avoids most of these)."
        )
    run.log.append(f"The plan matches the one reviewed in pull request #{number}.")
    run.summary.append(f"✅ This is the plan reviewed in pull request #{number}.")
    return None


def _record_result(run: ActionRun, result: ApplyResult) -> str:
    run.log.append("")
    run.log_untrusted(TextResults(color=False).render(result))
    section = result_section(result)
    run.summary += [f"### {escape(summary_line(result))}", section]
    for outcome in result.outcomes:
        if outcome.status is Status.FAILED:
            run.annotate("error", f"{outcome.action.value} {outcome.tag} failed: {outcome.message}")
        elif outcome.verified is False:
            differences = "; ".join(remaining_lines(outcome))
            run.annotate(
                "error", f"{outcome.action.value} {outcome.tag} did not converge: {differences}"
            )
    return section.full


def _comment_result(
    run: ActionRun, plan: Plan, result: ApplyResult, table: str, review: _Review | None
) -> None:
    """The outcome on the merged pull request; a failure here only warns: it is applied."""
    repository = run.event.repository
    try:
        with run.github() as client:
            pull = (
                review.pull
                if review
                else merged_pull_request(
                    client, repository, run.event.sha, delays=run.context.merged_pull_delays
                )
            )
            if pull is None:
                return
            icon = "✅" if result.ok else "❌"
            body = "\n\n".join(
                [
                    f"### {icon} Scorecards applied · {paths_md(run.inputs.paths)}",
                    f"**{escape(summary_line(result))}**",
                    table,
                    run.footer(plan, None),
                ]
            )
            posted = upsert_sticky(
                client,
                repository,
                pull.number,
                run.inputs.key + _APPLY_KEY_SUFFIX,
                plan.checksum(),
                body,
                author=run.inputs.comment_author,
            )
    except ScorecardsSyncError as exc:
        run.annotate("warning", f"could not comment the result on the pull request: {exc}")
        return
    run.outputs["comment-url"] = posted.comment.html_url
    run.log.append(f"Result comment {posted.action}: {one_line(posted.comment.html_url)}")
