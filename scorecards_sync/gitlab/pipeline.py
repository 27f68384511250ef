"""`scorecards-sync ci gitlab`: the merge-request flow in a GitLab pipeline.

- Merge-request pipeline: validate (problems as `path:line` lines in the job log and
  as a Code Quality report), plan with Cortex's dry run, and keep one merge-request
  note up to date (`review.sticky`); its marker carries the plan checksum, or none
  when the plan failed its checks. A merge request from a fork is validated offline
  only: no key is read, no note is posted.
- Default-branch pipeline: validate and plan, find the merged merge request of the
  commit, and apply only when the plan has the checksum reviewed in its note (posted
  by the token's own user, so nobody else can plant a marker); refuse otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scorecards_sync.applier import apply_plan, check_fresh, touched_tags
from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError, UsageError
from scorecards_sync.gitlab.client import GitLabClient, Note
from scorecards_sync.gitlab.codequality import report_json
from scorecards_sync.plan import Plan
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, code, escape
from scorecards_sync.render.plan_text import TextPlanRenderer
from scorecards_sync.render.problems import render_text
from scorecards_sync.render.results import TextResults, summary_line
from scorecards_sync.review.sticky import find_sticky, parse_marker, path_key, upsert_sticky
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import (
    Source,
    live_fingerprints,
    load_source,
    open_client,
    plan_repository,
    unless_forced,
)

# GitLab refuses a note longer than this many characters.
MAX_NOTE_CHARS = 1_000_000
_NO_BASE = "0" * 40


@dataclass(frozen=True)
class Pipeline:
    """What GitLab's predefined variables say about this pipeline."""

    project: str
    sha: str
    merge_request: int | None
    base: str | None
    fork: bool
    default_branch_push: bool
    branch: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Pipeline:
        if environ.get("GITLAB_CI") != "true":
            raise UsageError("ci gitlab runs inside a GitLab pipeline (GITLAB_CI is not set)")
        source = environ.get("CI_PIPELINE_SOURCE", "")
        project = environ.get("CI_PROJECT_ID", "")
        iid = environ.get("CI_MERGE_REQUEST_IID", "")
        in_mr = source == "merge_request_event" and iid.isdigit()
        source_project = environ.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "")
        target_project = environ.get("CI_MERGE_REQUEST_PROJECT_ID", project)
        branch = environ.get("CI_COMMIT_BRANCH", "")
        before = environ.get("CI_COMMIT_BEFORE_SHA", "")
        base = (
            environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or None
            if in_mr
            else (before if before and before != _NO_BASE else None)
        )
        return cls(
            project=target_project if in_mr else project,
            sha=environ.get("CI_COMMIT_SHA", ""),
            merge_request=int(iid) if in_mr else None,
            base=base,
            fork=in_mr and bool(source_project) and source_project != target_project,
            default_branch_push=(
                not in_mr and bool(branch) and branch == environ.get("CI_DEFAULT_BRANCH")
            ),
            branch=branch,
        )


@dataclass
class PipelineReport:
    """What the run has to say: the job log, the Code Quality report, the exit code."""

    log: list[str] = field(default_factory=list)
    code_quality: str = "[]\n"
    exit_code: int = EXIT_OK


@dataclass(frozen=True)
class MergeRequestThread:
    """The notes of one merge request, as the review core's `CommentThread`."""

    client: GitLabClient
    project: str
    iid: int

    def list_comments(self) -> list[Note]:
        return [n for n in self.client.list_notes(self.project, self.iid) if not n.system]

    def create_comment(self, body: str) -> Note:
        return self.client.create_note(self.project, self.iid, body)

    def update_comment(self, comment_id: int, body: str) -> Note:
        return self.client.update_note(self.project, self.iid, comment_id, body)


def run_pipeline(
    pipeline: Pipeline,
    paths: Sequence[str],
    settings: Callable[[], Settings],
    gitlab: Callable[[], GitLabClient],
    *,
    apply: bool,
    force: bool = False,
    impact: bool = False,
) -> PipelineReport:
    report = PipelineReport()
    source = load_source(list(paths), pipeline.base)
    problems = render_text(source.problems, source.files)
    report.log += [*problems.stdout, *problems.stderr]
    report.code_quality = report_json(source.problems)
    if not source.ok:
        report.log.append("Nothing was sent to Cortex: fix the errors above first.")
        report.exit_code = EXIT_ERROR
        if pipeline.merge_request is not None and not pipeline.fork:
            _withdraw_note(pipeline, paths, gitlab, report, "the descriptors have errors")
        return report
    if pipeline.fork:
        report.log.append(
            "Merge request from a fork: validated offline only. No Cortex key is read and "
            "no note is posted; a maintainer re-runs the plan from a branch of this project."
        )
        return report
    if pipeline.merge_request is not None:
        return _plan_merge_request(
            pipeline, paths, source, settings(), gitlab, report, force, impact
        )
    if apply and pipeline.default_branch_push:
        return _apply_reviewed(pipeline, paths, source, settings(), gitlab, report, force)
    if apply:
        raise UsageError(
            "--apply runs on a push to the default branch, where the merged merge "
            f"request's reviewed plan can be checked; this pipeline is on {pipeline.branch!r}"
        )
    with open_client(resolved := settings()) as client:
        planned = plan_repository(source, resolved, client=client, prune=resolved.prune)
    _log_plan(report, planned.plan)
    return report


def _plan_merge_request(
    pipeline: Pipeline,
    paths: Sequence[str],
    source: Source,
    settings: Settings,
    gitlab: Callable[[], GitLabClient],
    report: PipelineReport,
    force: bool,
    impact: bool,
) -> PipelineReport:
    assert pipeline.merge_request is not None
    try:
        with open_client(settings) as client:
            planned = plan_repository(
                source,
                settings,
                client=client,
                prune=settings.prune,
                server_check=True,
                impact=impact,
            )
    except BaseException:
        # The note must not go on showing an earlier plan as the one to apply.
        _withdraw_note(pipeline, paths, gitlab, report, "the last plan run failed")
        raise
    plan = planned.plan
    _log_plan(report, plan)
    problems = []
    if planned.rejected:
        problems.append(
            f"Cortex rejects {len(planned.rejected)} descriptor(s): {', '.join(planned.rejected)}"
        )
    unsafe = unless_forced(planned.unsafe, force=force)
    if unsafe is not None:
        problems.append(str(unsafe))
    for skipped in (planned.server_check_skipped, planned.impact_skipped):
        if skipped:
            report.log.append(f"warning: {one_line(skipped)}")
    report.log += [f"error: {one_line(p)}" for p in problems]
    # A plan that failed its checks is shown, but never stands as the reviewed plan.
    checksum = "" if problems else plan.checksum()
    head = [f"### Scorecards plan · {_paths_md(paths)}"]
    head += [f"> ❌ {escape(p)}" for p in problems]
    if planned.server_check_skipped:
        head.append(f"> ⚠️ {escape(planned.server_check_skipped)}")
    tail = [
        f"<sub>Plan checksum {code(plan.checksum())} · commit {code(pipeline.sha[:12])}</sub>",
        "<sub>On merge, the default-branch pipeline applies this plan only if it still has "
        "this checksum.</sub>"
        if checksum
        else "<sub>This plan failed its checks: it will not be applied on merge.</sub>",
    ]
    room = MAX_NOTE_CHARS - len("\n\n".join(head + tail)) - 300
    body = "\n\n".join(
        [
            *head,
            MarkdownPlanRenderer(max_chars=room, checksum=False, impacts=planned.impacts).render(
                plan
            ),
            *tail,
        ]
    )
    with gitlab() as client:
        if not client.can_write_notes:
            report.log.append(
                "No merge-request note: CI_JOB_TOKEN cannot write notes. Set GITLAB_TOKEN to a "
                "project access token (api scope) as a masked variable."
            )
        else:
            thread = MergeRequestThread(client, pipeline.project, pipeline.merge_request)
            result = upsert_sticky(
                thread,
                path_key(paths),
                checksum,
                body,
                limit=MAX_NOTE_CHARS,
                author=client.current_user(),
            )
            report.log.append(f"Plan note {result.action} on !{pipeline.merge_request}.")
    report.exit_code = EXIT_ERROR if problems else EXIT_OK
    return report


def _apply_reviewed(
    pipeline: Pipeline,
    paths: Sequence[str],
    source: Source,
    settings: Settings,
    gitlab: Callable[[], GitLabClient],
    report: PipelineReport,
    force: bool,
) -> PipelineReport:
    with open_client(settings) as client:
        planned = plan_repository(source, settings, client=client, prune=settings.prune)
        plan = planned.plan
        _log_plan(report, plan)
        if not plan.has_changes:
            report.log.append("Nothing to apply: Cortex matches the repository.")
            return report
        unsafe = unless_forced(planned.unsafe, force=force)
        if unsafe is not None:
            raise unsafe
        refusal = _refusal(pipeline, paths, plan, gitlab)
        if refusal is not None:
            report.log.append(f"error: Not applied. {refusal}")
            report.exit_code = EXIT_ERROR
            return report
        check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
        result = apply_plan(plan, client, concurrency=settings.concurrency)
    report.log += ["", TextResults(color=False).render(result), summary_line(result)]
    report.exit_code = EXIT_OK if result.ok else EXIT_ERROR
    return report


def _refusal(
    pipeline: Pipeline, paths: Sequence[str], plan: Plan, gitlab: Callable[[], GitLabClient]
) -> str | None:
    """Why this plan must not be applied, or None when it is the one reviewed."""
    sha = pipeline.sha[:12]
    with gitlab() as client:
        if not client.can_write_notes:
            return (
                "reading the reviewed plan needs GITLAB_TOKEN (a project access token with the "
                "api scope); CI_JOB_TOKEN cannot read merge-request notes."
            )
        merged = [
            mr
            for mr in client.merge_requests_for_commit(pipeline.project, pipeline.sha)
            if mr.brought(pipeline.sha)
        ]
        if not merged:
            return (
                f"no merged merge request made commit {sha}, so there is no reviewed plan "
                "to check this one against. Merge changes through a merge request."
            )
        iid = merged[0].number
        thread = MergeRequestThread(client, pipeline.project, iid)
        note = find_sticky(thread.list_comments(), path_key(paths), author=client.current_user())
    marker = parse_marker(note.body) if note is not None else None
    if marker is None or not marker.checksum:
        return (
            f"merge request !{iid} has no plan note with a checksum for {', '.join(paths)} "
            "(did its last plan pipeline succeed?). Nothing reviewed, nothing applied."
        )
    if marker.checksum != plan.checksum():
        return (
            f"the plan to apply (checksum {plan.checksum()}) is not the plan reviewed in "
            f"merge request !{iid} (checksum {marker.checksum}): Cortex or the repository "
            "changed since. Nothing was applied; re-plan in a merge request."
        )
    return None


def _withdraw_note(
    pipeline: Pipeline,
    paths: Sequence[str],
    gitlab: Callable[[], GitLabClient],
    report: PipelineReport,
    why: str,
) -> None:
    """An earlier plan note loses its checksum: nothing stands as reviewed until a new plan."""
    assert pipeline.merge_request is not None
    try:
        with gitlab() as client:
            if not client.can_write_notes:
                return
            thread = MergeRequestThread(client, pipeline.project, pipeline.merge_request)
            author = client.current_user()
            note = find_sticky(thread.list_comments(), path_key(paths), author=author)
            marker = parse_marker(note.body) if note is not None else None
            if marker is None or not marker.checksum:
                return
            body = (
                f"### Scorecards plan · {_paths_md(paths)}\n\n❌ **No current plan**: {why}; "
                "see the pipeline's job log. Nothing will be applied on merge until a plan "
                "pipeline succeeds."
            )
            upsert_sticky(thread, path_key(paths), "", body, limit=MAX_NOTE_CHARS, author=author)
    except ScorecardsSyncError as exc:
        report.log.append(f"warning: could not withdraw the earlier plan note: {exc}")


def _paths_md(paths: Sequence[str]) -> str:
    return ", ".join(code(p) for p in paths)


def _log_plan(report: PipelineReport, plan: Plan) -> None:
    report.log.append("")
    report.log.append(TextPlanRenderer(color=False).render(plan))
    report.log.append(f"Plan checksum: {plan.checksum()}")
