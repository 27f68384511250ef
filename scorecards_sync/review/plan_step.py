"""The `plan` step of a change-request run: validate, plan with server-side dry runs,
comment the plan.

On a change request the plan goes to one sticky comment per path, whose marker
carries the plan checksum that the apply on merge checks against. A plan that
fails its checks (Cortex rejects a descriptor, a safety threshold) is shown but
its comment carries no checksum, so it never stands as the reviewed plan; when
the descriptors stop validating, or a plan run fails in any way before its plan is
posted (Cortex unreachable, a bad base ref, a bug), an earlier plan comment is
replaced by a notice without a checksum.
"""

from __future__ import annotations

from collections.abc import Sequence

from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.plan import Plan
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, escape
from scorecards_sync.review.host import ReviewHost
from scorecards_sync.review.run import ReviewRun
from scorecards_sync.review.sticky import find_sticky, parse_marker, upsert_sticky
from scorecards_sync.review.summary import caution_md, paths_md, warning_md
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import open_client, unless_forced

# Room in a comment for the marker line and the paragraph breaks around the rendered plan.
_COMMENT_FRAME = 300


def run_plan(run: ReviewRun) -> int:
    number = run.run_event.number
    try:
        return _plan(run)
    except BaseException:
        # Whatever failed, and wherever (validating included): the comment must not go on
        # showing an earlier plan as the one to apply.
        if number is not None:
            _mark_comment_failed(run, number)
        raise


def _plan(run: ReviewRun) -> int:
    number = run.run_event.number
    base = run.options.base_ref or run.run_event.base
    source = run.validate(base)
    if source is None:
        if number is not None:
            _mark_comment_invalid(run, number)
        run.summary.append("Nothing was sent to Cortex: fix the errors above first.")
        return EXIT_ERROR
    settings = run.settings()
    source, since = run.host.since(run, settings, source, base)
    base = since.base
    with open_client(settings) as client:
        planned = run.make_plan(
            client, settings, source, server_check=True, impact=run.options.impact
        )
    plan = planned.plan
    unsafe = unless_forced(planned.unsafe, force=run.options.force)
    problems = problems_of(planned.rejected, None if unsafe is None else str(unsafe))
    run.record(plan, base, problems)
    if number is not None and run.options.comment != "false":
        _comment_plan(run, number, plan, base, problems)
    for problem in problems:
        run.annotate("error", problem)
    return EXIT_ERROR if problems else EXIT_OK


def problems_of(rejected: Sequence[str], unsafe: str | None) -> list[str]:
    """What makes a plan fail its checks: descriptors Cortex rejects, a safety threshold."""
    problems = []
    if rejected:
        problems.append(f"Cortex rejects {len(rejected)} descriptor(s): {', '.join(rejected)}")
    if unsafe:
        problems.append(unsafe)
    return problems


def _comment_plan(
    run: ReviewRun, number: int, plan: Plan, base: str | None, problems: Sequence[str]
) -> None:
    body = plan_comment(run, plan, base, problems)
    checksum = "" if problems else plan.checksum()
    with run.host.session() as session:
        if session.cannot_comment:
            run.say(f"No plan {run.host.words.comment}: {session.cannot_comment}")
            return
        thread, author = session.thread(number), session.author()
        quiet = run.options.comment == "true" and not plan.has_changes
        if quiet and find_sticky(thread.list_comments(), run.options.key, author=author) is None:
            run.say(f"No changes, so no plan {run.host.words.comment} (comment: always posts one).")
            return
        result = run.upsert(
            thread,
            run.options.key,
            checksum,
            body,
            author=author,
        )
    _said_posted(run, "Plan", result.action, result.comment.url)


def plan_comment(run: ReviewRun, plan: Plan, base: str | None, problems: Sequence[str]) -> str:
    """The plan comment's text (without its marker line), cut to the host's limit."""
    skipped = run.server_check_skipped
    head = [
        f"### Scorecards plan · {paths_md(run.options.paths)}",
        *(caution_md(escape(p)) for p in problems),
        *([warning_md(escape(skipped))] if skipped else []),
    ]
    # A plan that failed its checks is shown, but never stands as a reviewed plan.
    tail = [
        run.footer(plan, base),
        "<sub>On merge, the apply job applies this plan only if it still has this checksum.</sub>"
        if not problems
        else "<sub>This plan failed its checks: it will not be applied on merge.</sub>",
    ]
    room = run.host.comment_limit - len("\n\n".join(head + tail)) - _COMMENT_FRAME
    return "\n\n".join(
        [
            *head,
            MarkdownPlanRenderer(max_chars=room, checksum=False, impacts=run.impacts).render(plan),
            *tail,
        ]
    )


def _said_posted(run: ReviewRun, what: str, action: str, url: str) -> None:
    comment = run.host.words.comment
    if url:
        run.outputs["comment-url"] = url
        # The URL is the host's answer: shown, never able to start a line of its own.
        run.say(f"{what} {comment} {action}: {one_line(url)}")
        run.summary.append(f"{what} {comment} {action}: {escape(url)}")
    else:
        number = run.run_event.number
        on = f" on {run.host.words.prefix}{number}" if number is not None else ""
        run.say(f"{what} {comment} {action}{on}.")


def _mark_comment_failed(run: ReviewRun, number: int) -> None:
    """After a failed plan run: an earlier plan comment keeps its text but loses its checksum."""
    if run.options.comment == "false":
        return
    try:
        with run.host.session() as session:
            if session.cannot_comment:
                return
            thread, author = session.thread(number), session.author()
            comment = find_sticky(thread.list_comments(), run.options.key, author=author)
            marker = parse_marker(comment.body) if comment is not None else None
            if comment is None or marker is None or not marker.checksum:
                return
            where = f"the [{run.host.words.run}]({run.run_url})" if run.run_url else "its log"
            body = (
                f"### Scorecards plan · {paths_md(run.options.paths)}\n\n"
                f"❌ **The last plan run failed**, so there is no current plan: see {where}. "
                f"Nothing will be applied on merge until a plan run succeeds; this "
                f"{run.host.words.comment} shows the plan again then."
            )
            run.upsert(
                thread,
                run.options.key,
                "",
                body,
                author=author,
            )
    except ScorecardsSyncError as exc:
        said = run.host.words.comment
        run.annotate("warning", f"could not withdraw the earlier plan {said}: {exc}")


def withdraw_every_plan(host: ReviewHost, number: int, *, run_url: str | None) -> str | None:
    """After a run that failed before it knew its own comment (the config file it reads its
    paths or workspaces from is broken): every plan comment of the run's author on change
    request `number` that carries a checksum loses it. A warning when that failed."""
    words = host.words
    where = f"the [{words.run}]({run_url})" if run_url else "its log"
    body = (
        "### Scorecards plan\n\n"
        f"❌ **The last plan run failed**, so there is no current plan: see {where}. "
        f"Nothing will be applied on merge until a plan run succeeds; this {words.comment} "
        "shows the plan again then."
    )
    try:
        with host.session() as session:
            if session.cannot_comment:
                return None
            thread, author = session.thread(number), session.author()
            for comment in thread.list_comments():
                marker = parse_marker(comment.body)
                if (author is not None and comment.author != author) or marker is None:
                    continue
                # An applied comment (`…#apply`) records an apply, not a plan to apply.
                if marker.checksum and not marker.path_key.endswith("#apply"):
                    upsert_sticky(
                        thread,
                        marker.path_key,
                        "",
                        body,
                        limit=host.comment_limit,
                        note=host.truncation_note,
                        author=author,
                    )
    except ScorecardsSyncError as exc:
        return f"could not withdraw the earlier plan {words.comment}: {exc}"
    return None


def _mark_comment_invalid(run: ReviewRun, number: int) -> None:
    """An earlier plan comment must not stand for descriptors that no longer validate."""
    if run.options.comment == "false":
        return
    with run.host.session() as session:
        if session.cannot_comment:
            return
        thread, author = session.thread(number), session.author()
        if find_sticky(thread.list_comments(), run.options.key, author=author):
            words = run.host.words
            body = (
                f"### Scorecards plan · {paths_md(run.options.paths)}\n\n"
                f"❌ **The descriptors have errors**, so there is no plan: see "
                f"{words.problems_where}. This {words.comment} shows the plan again once they "
                "validate."
            )
            result = run.upsert(
                thread,
                run.options.key,
                "",
                body,
                author=author,
            )
            if result.comment.url:
                run.outputs["comment-url"] = result.comment.url
