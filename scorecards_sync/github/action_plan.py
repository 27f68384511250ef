"""The action's `plan` command: validate, plan with server-side dry runs, comment the plan.

On a pull request the plan goes to one sticky comment per path, whose marker
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
from scorecards_sync.github.action_deploy import since_deployment
from scorecards_sync.github.action_report import caution_md, paths_md, warning_md
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.comments import (
    MAX_COMMENT_CHARS,
    find_sticky,
    parse_marker,
    upsert_sticky,
)
from scorecards_sync.plan import Plan
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, escape
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import open_client, unless_forced

# Room in a comment for the marker line and the paragraph breaks around the rendered plan.
_COMMENT_FRAME = 300


def run_plan(run: ActionRun) -> int:
    pull = run.event.pull_request
    try:
        return _plan(run)
    except BaseException:
        # Whatever failed, and wherever (validating included): the comment must not go on
        # showing an earlier plan as the one to apply.
        if pull is not None:
            _mark_comment_failed(run, pull.number)
        raise


def _plan(run: ActionRun) -> int:
    pull = run.event.pull_request
    base = run.inputs.base_ref
    if base is None and pull is not None:
        base = pull.base_sha or None
    elif base is None and run.event.push is not None:
        base = run.event.push.base
    source = run.validate(base)
    if source is None:
        if pull is not None:
            _mark_comment_invalid(run, pull.number)
        run.summary.append("Nothing was sent to Cortex: fix the errors above first.")
        return EXIT_ERROR
    settings = run.settings()
    source, since = since_deployment(run, settings, source, base)
    base = since.base
    with open_client(settings) as client:
        planned = run.make_plan(
            client, settings, source, server_check=True, impact=run.inputs.impact
        )
    plan = planned.plan
    unsafe = unless_forced(planned.unsafe, force=run.force)
    problems = _problems_of(planned.rejected, None if unsafe is None else str(unsafe))
    run.record(plan, base, problems)
    if pull is not None and run.inputs.comment != "false":
        _comment_plan(run, pull.number, plan, base, problems)
    for problem in problems:
        run.annotate("error", problem)
    return EXIT_ERROR if problems else EXIT_OK


def _problems_of(rejected: Sequence[str], unsafe: str | None) -> list[str]:
    problems = []
    if rejected:
        problems.append(f"Cortex rejects {len(rejected)} descriptor(s): {', '.join(rejected)}")
    if unsafe:
        problems.append(unsafe)
    return problems


def _comment_plan(
    run: ActionRun, number: int, plan: Plan, base: str | None, problems: Sequence[str]
) -> None:
    key, repository = run.inputs.key, run.event.repository
    skipped = run.server_check_skipped
    head = [
        f"### Scorecards plan · {paths_md(run.inputs.paths)}",
        *(caution_md(escape(p)) for p in problems),
        *([warning_md(escape(skipped))] if skipped else []),
    ]
    # A plan that failed its checks is shown, but never stands as a reviewed plan.
    checksum = "" if problems else plan.checksum()
    tail = [
        run.footer(plan, base),
        "<sub>On merge, the apply job applies this plan only if it still has this checksum.</sub>"
        if checksum
        else "<sub>This plan failed its checks: it will not be applied on merge.</sub>",
    ]
    room = MAX_COMMENT_CHARS - len("\n\n".join(head + tail)) - _COMMENT_FRAME
    body = "\n\n".join(
        [
            *head,
            MarkdownPlanRenderer(max_chars=room, checksum=False, impacts=run.impacts).render(plan),
            *tail,
        ]
    )
    with run.github() as client:
        if run.inputs.comment == "true" and not plan.has_changes:
            comments = client.list_issue_comments(repository, number)
            if find_sticky(comments, key, author=run.inputs.comment_author) is None:
                run.log.append("No changes, so no plan comment (comment: always posts one).")
                return
        result = upsert_sticky(
            client,
            repository,
            number,
            key,
            checksum,
            body,
            author=run.inputs.comment_author,
        )
    run.outputs["comment-url"] = result.comment.html_url
    # The URL is GitHub's answer: shown, never able to start a line of its own.
    run.log.append(f"Plan comment {result.action}: {one_line(result.comment.html_url)}")
    run.summary.append(f"Plan comment {result.action}: {escape(result.comment.html_url)}")


def _mark_comment_failed(run: ActionRun, number: int) -> None:
    """After a failed plan run: an earlier plan comment keeps its text but loses its checksum."""
    if run.inputs.comment == "false":
        return
    key, repository, author = run.inputs.key, run.event.repository, run.inputs.comment_author
    try:
        with run.github() as client:
            comment = find_sticky(
                client.list_issue_comments(repository, number), key, author=author
            )
            marker = parse_marker(comment.body) if comment is not None else None
            if comment is None or marker is None or not marker.checksum:
                return
            where = (
                f"the [workflow run]({run.context.run_url})" if run.context.run_url else "its log"
            )
            body = (
                f"### Scorecards plan · {paths_md(run.inputs.paths)}\n\n"
                f"❌ **The last plan run failed**, so there is no current plan: see {where}. "
                "Nothing will be applied on merge until a plan run succeeds; this comment "
                "shows the plan again then."
            )
            upsert_sticky(client, repository, number, key, "", body, author=author)
    except ScorecardsSyncError as exc:
        run.annotate("warning", f"could not withdraw the earlier plan comment: {exc}")


def _mark_comment_invalid(run: ActionRun, number: int) -> None:
    """An earlier plan comment must not stand for descriptors that no longer validate."""
    if run.inputs.comment == "false":
        return
    key, repository, author = run.inputs.key, run.event.repository, run.inputs.comment_author
    with run.github() as client:
        if find_sticky(client.list_issue_comments(repository, number), key, author=author):
            body = (
                f"### Scorecards plan · {paths_md(run.inputs.paths)}\n\n"
                "❌ **The descriptors have errors**, so there is no plan: see the annotations "
                "on the pull request's files. This comment shows the plan again once they "
                "validate."
            )
            result = upsert_sticky(client, repository, number, key, "", body, author=author)
            run.outputs["comment-url"] = result.comment.html_url
