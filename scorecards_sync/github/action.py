"""What one run of the GitHub Action does for its event, returned as values.

`run_action` validates, plans, comments and applies according to the event and
the action's inputs, and returns an `ActionReport`: the lines for the step log
(workflow commands such as `::error file=…` included), the job summary, the step
outputs and the exit code. It prints nothing: the `github-action` command writes
the report where GitHub Actions reads it.

- pull request: validate, plan against the base with server-side dry runs, keep one
  sticky comment per path up to date (its marker carries the plan checksum).
- pull request without secrets (a fork, Dependabot): validate offline and say why
  nothing was planned. The Cortex key is reached only through the `settings`
  factory, which this path never calls.
- push to the default branch: plan, refuse unless the plan has the checksum
  reviewed in the merged pull request's comment (or `auto-approve`), save the plan,
  then apply that file after checking Cortex did not move.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scorecards_sync.applier import ApplyResult, Status, apply_plan, check_fresh, touched_tags
from scorecards_sync.config import Settings
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.cortex.secret import ENV_API_KEY
from scorecards_sync.errors import ScorecardsSyncError, UnsafePlan, UsageError
from scorecards_sync.github.client import GitHubClient, IssueComment, PullRequest
from scorecards_sync.github.comments import (
    ACTIONS_BOT,
    MAX_COMMENT_CHARS,
    find_sticky,
    merged_pull_request,
    parse_marker,
    path_key,
    upsert_sticky,
)
from scorecards_sync.github.events import GitHubEvent, load_event
from scorecards_sync.loader import DEFAULT_DIR
from scorecards_sync.plan import Plan
from scorecards_sync.problems import Problem, Severity
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, code, escape
from scorecards_sync.render.plan_text import TextPlanRenderer
from scorecards_sync.render.problems import render_github, summary
from scorecards_sync.render.results import TextResults, summary_line
from scorecards_sync.workflow import (
    Source,
    build_plan,
    enforce_thresholds,
    live_fingerprints,
    load_source,
    open_client,
    removals_since,
    server_validate,
)

logger = logging.getLogger(__name__)

COMMANDS = ("validate", "plan", "apply")
COMMENT_MODES = ("true", "always", "false")
EXIT_OK, EXIT_ERROR = 0, 1
# GitHub drops a step's summary larger than 1 MiB (and says so in an annotation).
SUMMARY_LIMIT_BYTES = 1024 * 1024
# Room in a comment for the marker line and the paragraph breaks around the rendered plan.
_COMMENT_FRAME = 300
_APPLY_KEY_SUFFIX = "#apply"  # `#` never occurs in a path key: no clash with a plan comment
_MAX_PROBLEMS_IN_SUMMARY = 200
_ENV_BASE_URL = "CORTEX_BASE_URL"
# The inputs the action passes as environment variables (see action.yml).
INPUT_COMMAND = "INPUT_COMMAND"
INPUT_PATH = "INPUT_PATH"
INPUT_BASE_REF = "INPUT_BASE_REF"
INPUT_COMMENT = "INPUT_COMMENT"
INPUT_AUTO_APPROVE = "INPUT_AUTO_APPROVE"
INPUT_ARGS = "INPUT_ARGS"
INPUT_COMMENT_AUTHOR = "INPUT_COMMENT_AUTHOR"
INPUT_CORTEX_API_KEY = "INPUT_CORTEX_API_KEY"
INPUT_CORTEX_BASE_URL = "INPUT_CORTEX_BASE_URL"
INPUT_GITHUB_TOKEN = "INPUT_GITHUB_TOKEN"  # noqa: S105 - the name of a variable


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, checked. Never holds a secret."""

    command: str = "plan"
    paths: tuple[str, ...] = (DEFAULT_DIR,)
    base_ref: str | None = None
    comment: str = "true"
    auto_approve: bool = False
    args: tuple[str, ...] = ()
    comment_author: str = ACTIONS_BOT

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Read the `INPUT_*` variables; the key and the token are not among them."""

        def get(name: str) -> str:
            return environ.get(name, "").strip()

        command = get(INPUT_COMMAND).lower() or "plan"
        if command not in COMMANDS:
            raise UsageError(
                f"input command: expected one of {', '.join(COMMANDS)}, got {command!r}"
            )
        paths = tuple(p.strip() for p in get(INPUT_PATH).splitlines() if p.strip())
        comment = get(INPUT_COMMENT).lower() or "true"
        if comment not in COMMENT_MODES:
            raise UsageError(
                f"input comment: expected true (when the plan changes something, or to update "
                f"an earlier comment), always, or false; got {comment!r}"
            )
        approve = get(INPUT_AUTO_APPROVE).lower() or "false"
        if approve not in ("true", "false"):
            raise UsageError(f"input auto-approve: expected true or false, got {approve!r}")
        try:
            args = tuple(shlex.split(get(INPUT_ARGS)))
        except ValueError as exc:
            raise UsageError(f"input args: cannot split {get(INPUT_ARGS)!r}: {exc}") from None
        return cls(
            command=command,
            paths=paths or (DEFAULT_DIR,),
            base_ref=get(INPUT_BASE_REF) or None,
            comment=comment,
            auto_approve=approve == "true",
            args=args,
            comment_author=get(INPUT_COMMENT_AUTHOR) or ACTIONS_BOT,
        )

    @property
    def key(self) -> str:
        return path_key(self.paths)


@dataclass(frozen=True)
class RunContext:
    """Where the run happens: its event, its scratch folder, the link to the run."""

    event: GitHubEvent
    temp_dir: Path
    run_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RunContext:
        server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
        repository, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else None
        temp = environ.get("RUNNER_TEMP", "").strip() or tempfile.gettempdir()
        return cls(load_event(environ), Path(temp), run_url)


@dataclass(frozen=True)
class ActionReport:
    exit_code: int
    log: tuple[str, ...]
    summary: str
    outputs: Mapping[str, str] = field(default_factory=dict)


def cortex_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for Cortex settings: the action's key and URL inputs win when given.

    Reads the key: call it only on a path that talks to Cortex.
    """
    env = dict(environ)
    for variable, name in (
        (INPUT_CORTEX_API_KEY, ENV_API_KEY),
        (INPUT_CORTEX_BASE_URL, _ENV_BASE_URL),
    ):
        value = environ.get(variable, "").strip()
        if value:
            env[name] = value
    return env


def github_output_text(outputs: Mapping[str, str]) -> str:
    """Outputs in `$GITHUB_OUTPUT` syntax; the multi-line form makes any value safe."""
    lines = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        lines += [f"{name}<<{delimiter}", value, delimiter]
    return "".join(line + "\n" for line in lines)


def workflow_command(name: str, message: str, **properties: str) -> str:
    """`::name key=value::message`, escaped the way actions/toolkit escapes."""
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{_escape_data(message)}"


def run_action(
    inputs: ActionInputs,
    context: RunContext,
    *,
    settings: Callable[[], Settings],
    github: Callable[[], GitHubClient],
    force: bool = False,
    strict: bool = False,
) -> ActionReport:
    """Do what the event calls for; errors become an `::error::`, a summary line and an exit."""
    run = _Run(inputs, context, settings, github, force=force, strict=strict)
    try:
        code = run.dispatch()
    except ScorecardsSyncError as exc:
        code = run.fail(exc)
    return ActionReport(code, tuple(run.log), run.summary_text(), dict(run.outputs))


@dataclass(frozen=True)
class _Review:
    pull: PullRequest | None
    comment: IssueComment | None
    checksum: str | None


class _Run:
    def __init__(
        self,
        inputs: ActionInputs,
        context: RunContext,
        settings: Callable[[], Settings],
        github: Callable[[], GitHubClient],
        *,
        force: bool,
        strict: bool,
    ) -> None:
        self.inputs = inputs
        self.event = context.event
        self.context = context
        self.settings = settings
        self.github = github
        self.force = force
        self.strict = strict
        self.log: list[str] = []
        self.summary: list[str] = [f"## Scorecards {inputs.command} · {_paths_md(inputs.paths)}"]
        self.outputs: dict[str, str] = {}

    # -- what to do --------------------------------------------------------------------------

    def dispatch(self) -> int:
        command, kind = self.inputs.command, self.event.kind
        if command == "validate":
            return EXIT_OK if self.validate() is not None else EXIT_ERROR
        if not self.event.secrets_available:
            return self.offline(self.event.no_secrets_reason or "no secrets in this run")
        if command == "plan":
            return self.plan()
        if kind in ("pull_request", "fork_pull_request"):
            raise UsageError(
                "command apply runs on a push to the default branch, after the merge; "
                "on pull requests use command: plan"
            )
        return self.apply()

    def offline(self, reason: str) -> int:
        source = self.validate()
        self.log.append(
            workflow_command("notice", f"Not planned: {reason}", title="scorecards-sync")
        )
        self.summary.append(f"> [!NOTE]\n> **Not planned.** {escape(reason)}")
        return EXIT_OK if source is not None else EXIT_ERROR

    def validate(self) -> Source | None:
        """Check every descriptor offline; annotations in the log. None when it fails."""
        source = load_source(list(self.inputs.paths))
        report = render_github(source.problems, source.files)
        self.log += [*report.stdout, *report.stderr]
        self.summary.append(_problems_md(source.problems, source.files))
        failing = not source.ok or (self.strict and bool(source.problems))
        return None if failing else source

    # -- plan --------------------------------------------------------------------------------

    def plan(self) -> int:
        pull = self.event.pull_request
        source = self.validate()
        if source is None:
            if pull is not None:
                self.mark_comment_invalid(pull.number)
            self.summary.append("Nothing was sent to Cortex: fix the errors above first.")
            return EXIT_ERROR
        base = self.inputs.base_ref
        if base is None and pull is not None:
            base = pull.base_sha or None
        elif base is None and self.event.push is not None:
            base = self.event.push.base
        settings = self.settings()
        with open_client(settings) as client:
            plan = self.make_plan(client, settings, source, base, server_check=True)
        problems = _problems_of(plan, self.unsafe(plan, settings))
        self.record(plan, base, problems)
        if pull is not None and self.inputs.comment != "false":
            self.comment_plan(pull.number, plan, base, problems)
        for problem in problems:
            self.log.append(workflow_command("error", problem, title="scorecards-sync"))
        return EXIT_ERROR if problems else EXIT_OK

    def make_plan(
        self,
        client: CortexClient,
        settings: Settings,
        source: Source,
        base: str | None,
        *,
        server_check: bool,
    ) -> Plan:
        paths = list(self.inputs.paths)
        removals = removals_since(base, source.documents, paths) if base else []
        plan = build_plan(
            client, settings, source.desired(), removals=removals, prune=settings.prune
        )
        if server_check:
            plan = server_validate(plan, client, concurrency=settings.concurrency)
        return plan

    def unsafe(self, plan: Plan, settings: Settings) -> str | None:
        try:
            enforce_thresholds(plan, settings, force=self.force)
        except UnsafePlan as exc:
            return str(exc)
        return None

    def record(self, plan: Plan, base: str | None, problems: Sequence[str]) -> Path:
        """Save the plan; show it in the log and the summary; set the outputs."""
        path = self.save(plan)
        self.log += [
            "",
            TextPlanRenderer(color=False).render(plan),
            f"Plan checksum: {plan.checksum()}",
        ]
        self.summary += [*(f"> [!CAUTION]\n> {escape(p)}" for p in problems), self.plan_md(plan)]
        self.summary.append(self.footer(plan, base, saved=path))
        self.outputs.update(
            {
                "has-changes": "true" if plan.has_changes else "false",
                "plan-checksum": plan.checksum(),
                "plan-json": str(path),
            }
        )
        return path

    def save(self, plan: Plan) -> Path:
        digest = hashlib.sha256(self.inputs.key.encode()).hexdigest()[:12]
        folder = self.context.temp_dir / "scorecards-sync"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"plan-{digest}.json"
        partial = target.with_suffix(".partial")
        text = json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        return target

    def plan_md(self, plan: Plan) -> str:
        """The whole plan when the summary has room for it (it nearly always does)."""
        used = sum(len(part.encode()) for part in self.summary) + 2_000
        full = MarkdownPlanRenderer(max_chars=10**9).render(plan)
        if used + len(full.encode()) <= SUMMARY_LIMIT_BYTES:
            return full
        # Emoji and accents take up to 4 bytes: a quarter of the room is always safe.
        return MarkdownPlanRenderer(max_chars=(SUMMARY_LIMIT_BYTES - used) // 4).render(plan)

    def footer(self, plan: Plan, base: str | None, *, saved: Path | None = None) -> str:
        parts = [f"Plan checksum {code(plan.checksum())}"]
        if self.event.sha:
            parts.append(f"commit {code(self.event.sha[:12])}")
        if base:
            parts.append(f"compared with base {code(base[:12])}")
        if saved is not None:
            parts.append(f"saved as {code(saved.name)} (output plan-json)")
        if self.context.run_url:
            parts.append(f"[workflow run]({self.context.run_url})")
        return "<sub>" + " · ".join(parts) + "</sub>"

    # -- the pull-request comment ------------------------------------------------------------

    def comment_plan(
        self, number: int, plan: Plan, base: str | None, problems: Sequence[str]
    ) -> None:
        key, repository = self.inputs.key, self.event.repository
        head = [
            f"### Scorecards plan · {_paths_md(self.inputs.paths)}",
            *(f"> [!CAUTION]\n> {escape(p)}" for p in problems),
        ]
        # A plan that failed its checks is shown, but never stands as a reviewed plan.
        checksum = "" if problems else plan.checksum()
        tail = [
            self.footer(plan, base),
            "<sub>On merge, the apply job applies this plan only if it still has this checksum."
            "</sub>"
            if checksum
            else "<sub>This plan failed its checks: it will not be applied on merge.</sub>",
        ]
        room = MAX_COMMENT_CHARS - len("\n\n".join(head + tail)) - _COMMENT_FRAME
        body = "\n\n".join([*head, MarkdownPlanRenderer(max_chars=room).render(plan), *tail])
        with self.github() as client:
            if self.inputs.comment == "true" and not plan.has_changes:
                comments = client.list_issue_comments(repository, number)
                if find_sticky(comments, key, author=self.inputs.comment_author) is None:
                    self.log.append("No changes, so no plan comment (comment: always posts one).")
                    return
            result = upsert_sticky(
                client,
                repository,
                number,
                key,
                checksum,
                body,
                author=self.inputs.comment_author,
            )
        self.outputs["comment-url"] = result.comment.html_url
        self.log.append(f"Plan comment {result.action}: {result.comment.html_url}")
        self.summary.append(f"Plan comment {result.action}: {result.comment.html_url}")

    def mark_comment_invalid(self, number: int) -> None:
        """An earlier plan comment must not stand for descriptors that no longer validate."""
        if self.inputs.comment == "false":
            return
        key, repository, author = self.inputs.key, self.event.repository, self.inputs.comment_author
        with self.github() as client:
            if find_sticky(client.list_issue_comments(repository, number), key, author=author):
                body = (
                    f"### Scorecards plan · {_paths_md(self.inputs.paths)}\n\n"
                    "❌ **The descriptors have errors**, so there is no plan: see the annotations "
                    "on the pull request's files. This comment shows the plan again once they "
                    "validate."
                )
                result = upsert_sticky(client, repository, number, key, "", body, author=author)
                self.outputs["comment-url"] = result.comment.html_url

    # -- apply -------------------------------------------------------------------------------

    def apply(self) -> int:
        push = self.event.push if self.event.kind == "push" else None
        if not self.inputs.auto_approve and (push is None or not push.is_default_branch):
            where = (
                f"a push to {push.branch}" if push and push.branch else f"a {self.event.name} event"
            )
            raise UsageError(
                f"command apply checks the plan reviewed in the merged pull request, which "
                f"needs a push to the default branch; this run is {where}. Set auto-approve: "
                "true to apply without that check."
            )
        source = self.validate()
        if source is None:
            self.summary.append("Nothing was sent to Cortex: fix the errors above first.")
            return EXIT_ERROR
        base = self.inputs.base_ref or (push.base if push else None)
        settings = self.settings()
        with open_client(settings) as client:
            plan = self.make_plan(client, settings, source, base, server_check=False)
            saved = self.record(plan, base, ())
            if not plan.has_changes:
                self.log.append("Nothing to apply: Cortex matches the repository.")
                return EXIT_OK
            enforce_thresholds(plan, settings, force=self.force)
            review = None if self.inputs.auto_approve else self.reviewed()
            if review is not None:
                refusal = self.refusal(plan, review)
                if refusal is not None:
                    self.log.append(workflow_command("error", refusal, title="scorecards-sync"))
                    self.summary.append(f"> [!CAUTION]\n> **Not applied.** {escape(refusal)}")
                    return EXIT_ERROR
            # Apply the saved file, as `apply --plan` does: exactly what was checked.
            plan = Plan.from_json(json.loads(saved.read_text(encoding="utf-8")))
            check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
            result = apply_plan(plan, client, concurrency=settings.concurrency)
        table = self.record_result(result)
        if self.inputs.comment != "false":
            self.comment_result(plan, result, table, review)
        return EXIT_OK if result.ok else EXIT_ERROR

    def reviewed(self) -> _Review:
        repository, author = self.event.repository, self.inputs.comment_author
        with self.github() as client:
            pull = merged_pull_request(client, repository, self.event.sha)
            if pull is None:
                return _Review(None, None, None)
            comments = client.list_issue_comments(repository, pull.number)
        comment = find_sticky(comments, self.inputs.key, author=author)
        marker = parse_marker(comment.body) if comment is not None else None
        return _Review(pull, comment, marker.checksum if marker and marker.checksum else None)

    def refusal(self, plan: Plan, review: _Review) -> str | None:
        """Why this plan must not be applied, or None when it is the one reviewed."""
        sha = self.event.sha[:12]
        bypass = "Set auto-approve: true only where pushes do not come through pull requests."
        if review.pull is None:
            return (
                f"no merged pull request found for commit {sha}, so no reviewed plan to check "
                f"this one against. Merge changes through a pull request whose plan comment "
                f"is the review. {bypass}"
            )
        if review.comment is not None:
            self.outputs["comment-url"] = review.comment.html_url
        number = review.pull.number
        if review.checksum is None:
            return (
                f"pull request #{number} has no plan comment by {self.inputs.comment_author} for "
                f"{', '.join(self.inputs.paths)} with a plan checksum (did the plan workflow run "
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
        self.log.append(f"The plan matches the one reviewed in pull request #{number}.")
        self.summary.append(f"✅ This is the plan reviewed in pull request #{number}.")
        return None

    def record_result(self, result: ApplyResult) -> str:
        self.log += ["", TextResults(color=False).render(result)]
        rows = [
            f"| {_STATUS_MD[o.status]} | {o.action.value} | {code(o.tag)} | {escape(o.message)} |"
            for o in result.outcomes
        ]
        table = "\n".join(
            ["| Result | Action | Scorecard | Detail |", "| --- | --- | --- | --- |", *rows]
        )
        self.summary += [f"### {escape(summary_line(result))}", table]
        for outcome in result.outcomes:
            if outcome.status is Status.FAILED:
                message = f"{outcome.action.value} {outcome.tag} failed: {outcome.message}"
                self.log.append(workflow_command("error", message, title="scorecards-sync"))
        return table

    def comment_result(
        self, plan: Plan, result: ApplyResult, table: str, review: _Review | None
    ) -> None:
        """The outcome on the merged pull request; a failure here only warns: it is applied."""
        repository = self.event.repository
        try:
            with self.github() as client:
                pull = (
                    review.pull
                    if review
                    else merged_pull_request(client, repository, self.event.sha)
                )
                if pull is None:
                    return
                icon = "✅" if result.ok else "❌"
                body = "\n\n".join(
                    [
                        f"### {icon} Scorecards applied · {_paths_md(self.inputs.paths)}",
                        f"**{escape(summary_line(result))}**",
                        table,
                        self.footer(plan, None),
                    ]
                )
                posted = upsert_sticky(
                    client,
                    repository,
                    pull.number,
                    self.inputs.key + _APPLY_KEY_SUFFIX,
                    plan.checksum(),
                    body,
                    author=self.inputs.comment_author,
                )
        except ScorecardsSyncError as exc:
            message = f"could not comment the result on the pull request: {exc}"
            self.log.append(workflow_command("warning", message, title="scorecards-sync"))
            return
        self.outputs["comment-url"] = posted.comment.html_url
        self.log.append(f"Result comment {posted.action}: {posted.comment.html_url}")

    # -- failure -----------------------------------------------------------------------------

    def fail(self, exc: ScorecardsSyncError) -> int:
        message = str(exc)
        self.log.append(workflow_command("error", message, title="scorecards-sync"))
        self.summary.append(f"> [!CAUTION]\n> **Error:** {escape(message)}")
        return exc.exit_code

    def summary_text(self) -> str:
        return "\n\n".join(self.summary) + "\n"


_STATUS_MD = {Status.DONE: "✅ done", Status.FAILED: "❌ failed", Status.SKIPPED: "⏭️ skipped"}


def _problems_of(plan: Plan, unsafe: str | None) -> list[str]:
    rejected = [c.tag for c in plan.changes if c.server_validation and not c.server_validation.ok]
    problems = []
    if rejected:
        problems.append(f"Cortex rejects {len(rejected)} descriptor(s): {', '.join(rejected)}")
    if unsafe:
        problems.append(unsafe)
    return problems


def _paths_md(paths: Sequence[str]) -> str:
    return ", ".join(code(p) for p in paths)


def _problems_md(problems: Sequence[Problem], files: int) -> str:
    errors = any(p.severity is Severity.ERROR for p in problems)
    icon = "❌" if errors else "⚠️" if problems else "✅"
    head = f"{icon} **Validation:** {summary(problems, files)}"
    if not problems:
        return head
    rows = [
        f"| {code(f'{p.path}:{p.line}:{p.column}')} | {p.severity.value} | {escape(p.message)} |"
        for p in problems[:_MAX_PROBLEMS_IN_SUMMARY]
    ]
    more = len(problems) - len(rows)
    table = ["| Where | Severity | Problem |", "| --- | --- | --- |", *rows]
    tail = [f"… and {more} more: see the annotations in the log."] if more else []
    return "\n".join([head, "", *table, *tail])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


__all__ = [
    "COMMANDS",
    "COMMENT_MODES",
    "ActionInputs",
    "ActionReport",
    "RunContext",
    "cortex_environment",
    "github_output_text",
    "run_action",
    "workflow_command",
]
