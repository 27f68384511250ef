"""The `apply` step of a change-request run: apply on merge only the plan reviewed in the
merged change request.

On a push to the default branch: validate and plan, refuse unless the plan has the
checksum reviewed in the merged change request's plan comment (or `auto_approve` is
on), save the plan, then apply that file after checking that Cortex did not move.
The outcome goes to the summary and, as a second sticky comment, to the merged
change request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scorecards_sync.applier import ApplyResult, Status, apply_plan, check_fresh, touched_tags
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError, UsageError
from scorecards_sync.plan import Plan
from scorecards_sync.planfile import read_plan
from scorecards_sync.render.plan_markdown import escape
from scorecards_sync.render.results import TextResults, remaining_lines, summary_line
from scorecards_sync.review.host import Comment, CommentThread, HostSession
from scorecards_sync.review.merged import merged_change_request
from scorecards_sync.review.run import ReviewRun
from scorecards_sync.review.sticky import find_sticky, parse_marker
from scorecards_sync.review.summary import caution_md, paths_md, result_section
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import live_fingerprints, open_client, unless_forced, verify_applied

APPLY_KEY_SUFFIX = "#apply"  # `#` never occurs in a path key: no clash with a plan comment


@dataclass(frozen=True)
class Review:
    """The merged change request of the pushed commit, its plan comment and checksum."""

    number: int | None
    comment: Comment | None
    checksum: str | None
    author: str | None = None
    cannot_read: str | None = None


def run_apply(run: ReviewRun) -> int:
    check_event(run)
    event = run.run_event
    base = run.options.base_ref or (event.base if event.kind != "change_request" else None)
    source = run.validate(base)
    if source is None:
        run.summary.append(NOT_SENT)
        return EXIT_ERROR
    settings = run.settings()
    source, since = run.host.since(run, settings, source, base)
    base = since.base
    with open_client(settings) as client:
        planned = run.make_plan(client, settings, source, server_check=False)
        plan = planned.plan
        saved = run.record(plan, base, ())
        if not plan.has_changes:
            run.say("Nothing to apply: Cortex matches the repository.")
            run.host.record(run, settings, since, plan, None)
            return EXIT_OK
        unsafe = unless_forced(planned.unsafe, force=run.options.force)
        if unsafe is not None:
            raise unsafe
        review = None if run.options.auto_approve else reviewed(run, run.options.key)
        if review is not None:
            refusal = unreviewed(run, review) or _mismatch(run, plan, review)
            if refusal is not None:
                refuse(run, refusal)
                run.host.record(run, settings, since, plan, "not applied: " + refusal)
                return EXIT_ERROR
        # Apply the saved file, as `apply --plan` does: exactly what was checked.
        plan = read_plan(saved)
        check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
        result = verify_applied(
            plan, apply_plan(plan, client, concurrency=settings.concurrency), client
        )
    # The results in the log first: whatever fails next, they are what was written.
    table = record_result(run, result)
    run.host.record(run, settings, since, plan, None if result.ok else summary_line(result))
    if run.options.comment != "false":
        icon = "✅" if result.ok else "❌"
        parts = [
            f"### {icon} Scorecards applied · {paths_md(run.options.paths)}",
            f"**{escape(summary_line(result))}**",
            table,
            run.footer(plan, None),
        ]
        comment_result(run, run.options.key, plan.checksum(), parts, review)
    return EXIT_OK if result.ok else EXIT_ERROR


NOT_SENT = "Nothing was sent to Cortex: fix the errors above first."


def check_event(run: ReviewRun) -> None:
    """A usage error unless the event lets the reviewed plan be checked (or auto-approve)."""
    event, words = run.run_event, run.host.words
    if not run.options.auto_approve and event.kind != "default_push":
        where = (
            f"a push to {event.branch}"
            if event.kind in ("push", "default_push") and event.branch
            else f"a {event.name} event"
        )
        raise UsageError(
            f"{words.apply_name} checks the plan reviewed in the merged {words.change_request}, "
            f"which needs a push to the default branch; this run is {where}.{words.approve_hint}"
        )


def refuse(run: ReviewRun, refusal: str) -> None:
    run.annotate("error", refusal)
    run.summary.append(caution_md(f"**Not applied.** {escape(refusal)}"))


def reviewed(run: ReviewRun, key: str) -> Review:
    """What the merged change request of the pushed commit reviewed under `key`."""
    with run.host.session() as session:
        return reviewed_in(session, run.run_event.sha, key, delays=run.host.merged_delays)


def reviewed_in(
    session: HostSession,
    sha: str,
    key: str,
    *,
    delays: Sequence[float],
    sleep: Callable[[float], None] = time.sleep,
) -> Review:
    """What the change request whose merge made commit `sha` reviewed under `key`; the host
    is asked again after each of `delays` while it has not linked the merge yet."""
    if session.cannot_comment:
        return Review(None, None, None, cannot_read=session.cannot_comment)
    number = merged_change_request(
        lambda: session.merged_change_requests(sha), delays=delays, sleep=sleep
    )
    if number is None:
        return Review(None, None, None)
    return review_of(session.thread(number), number, key, author=session.author())


def review_of(
    thread: CommentThread[Comment], number: int, key: str, *, author: str | None
) -> Review:
    """What change request `number` reviewed under `key`: its sticky comment by `author`
    (anybody's when None), and the plan checksum in that comment's marker, if any."""
    comment = find_sticky(thread.list_comments(), key, author=author)
    marker = parse_marker(comment.body) if comment is not None else None
    checksum = marker.checksum if marker and marker.checksum else None
    return Review(number, comment, checksum, author)


def unreviewed(run: ReviewRun, review: Review) -> str | None:
    """Why there is no reviewed plan to check against, or None when there is one."""
    words = run.host.words
    if review.cannot_read is not None:
        return f"the reviewed plan cannot be read: {review.cannot_read}"
    sha = run.run_event.sha[:12]
    if review.number is None:
        return (
            f"no merged {words.change_request} found for commit {sha}, so no reviewed plan to "
            f"check this one against. Merge changes through a {words.change_request} whose "
            f"plan {words.comment} is the review.{words.bypass}"
        )
    if review.comment is not None and review.comment.url:
        run.outputs["comment-url"] = review.comment.url
    ref = words.ref(review.number)
    if review.checksum is None:
        by = f" by {review.author}" if review.author else ""
        return (
            f"{ref} has no plan {words.comment}{by} for {', '.join(run.options.paths)} with a "
            f"plan checksum (did the plan {words.pipeline} run on it with {words.comment}s on, "
            f"and did its last run succeed? A {words.change_request} from a fork is never "
            f"planned: merge its branch through a {words.change_request} from this "
            "repository). Nothing reviewed, nothing applied."
        )
    return None


def _mismatch(run: ReviewRun, plan: Plan, review: Review) -> str | None:
    """Why this plan is not the one reviewed, or None (said in the log) when it is."""
    assert review.number is not None
    words, ref = run.host.words, run.host.words.ref(review.number)
    if review.checksum != plan.checksum():
        return (
            f"the plan to apply (checksum {plan.checksum()}) is not the plan reviewed in "
            f"{ref} (checksum {review.checksum}): Cortex or the repository changed since that "
            "plan was made (a scorecard edited in Cortex, another merge, an edited "
            f"{words.comment}). Nothing was applied. Review the plan in {words.summary_where} "
            f"and re-plan in a {words.change_request}{words.up_to_date_hint}."
        )
    run.say(f"The plan matches the one reviewed in {ref}.")
    run.summary.append(f"✅ This is the plan reviewed in {ref}.")
    return None


def record_result(run: ReviewRun, result: ApplyResult) -> str:
    """The results in the log, the summary and the annotations; the result table."""
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


def comment_result(
    run: ReviewRun, key: str, checksum: str, parts: list[str], review: Review | None
) -> None:
    """The outcome (`parts`, joined) on the merged change request, as the sticky comment
    `key` + `#apply`; a failure here only warns: it is applied."""
    comment = run.host.words.comment
    try:
        with run.host.session() as session:
            if session.cannot_comment:
                run.say(f"No result {comment}: {session.cannot_comment}")
                return
            number = (
                review.number
                if review
                else merged_change_request(
                    lambda: session.merged_change_requests(run.run_event.sha),
                    delays=run.host.merged_delays,
                )
            )
            if number is None:
                return
            posted = run.upsert(
                session.thread(number),
                key + APPLY_KEY_SUFFIX,
                checksum,
                "\n\n".join(parts),
                author=session.author(),
            )
    except ScorecardsSyncError as exc:
        run.annotate(
            "warning", f"could not comment the result on the {run.host.words.change_request}: {exc}"
        )
        return
    if posted.comment.url:
        run.outputs["comment-url"] = posted.comment.url
        run.say(f"Result {comment} {posted.action}: {one_line(posted.comment.url)}")
    else:
        run.say(f"Result {comment} {posted.action} on {run.host.words.prefix}{number}.")
