"""One change-request run in progress, on any host, and the steps every command shares.

`ReviewRun` carries what the run was given (its host, its event, its options, the
factory that reaches Cortex) and what it has to say so far: the job log, the summary
and the outputs. Its steps (validate, plan, save and show the plan) are what the
plan, apply and drift flows (`review.plan_step`, `review.apply_step`,
`review.drift_step`) are built from. It prints nothing: the host's command writes the
log, the summary and the outputs where its CI reads them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_INTERRUPTED
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.impact import Impact
from scorecards_sync.loader import DEFAULT_DIR
from scorecards_sync.plan import Plan
from scorecards_sync.planfile import write_plan
from scorecards_sync.problems import Problem
from scorecards_sync.render.plan_markdown import code, escape
from scorecards_sync.render.plan_text import TextPlanRenderer
from scorecards_sync.review.host import Comment, CommentThread, Level, ReviewHost, RunEvent
from scorecards_sync.review.sticky import StickyResult, path_key, upsert_sticky
from scorecards_sync.review.summary import (
    Shrinkable,
    assemble_summary,
    caution_md,
    paths_md,
    plan_section,
    problems_md,
    warning_md,
)
from scorecards_sync.workflow import RepositoryPlan, Source, load_source, plan_repository


@dataclass(frozen=True)
class ReviewOptions:
    """What the run was asked to do; never a secret.

    `comment`: `true` posts the plan comment when the plan changes something (or updates
    an earlier one), `always` posts it always, `false` never.
    """

    command: str = "plan"
    paths: tuple[str, ...] = (DEFAULT_DIR,)
    base_ref: str | None = None
    comment: str = "true"
    auto_approve: bool = False
    impact: bool = False
    heal: bool = False
    force: bool = False
    strict: bool = False

    @property
    def key(self) -> str:
        """The sticky comment's key: the descriptor paths this run manages."""
        return path_key(self.paths)


class ReviewRun:
    def __init__(
        self,
        host: ReviewHost,
        event: RunEvent,
        options: ReviewOptions,
        settings: Callable[[], Settings],
        *,
        temp_dir: Path,
        run_url: str | None = None,
    ) -> None:
        self.host = host
        self.run_event = event
        self.options = options
        self.settings = settings
        self.temp_dir = temp_dir
        self.run_url = run_url
        self.log: list[str] = []
        self.summary: list[str | Shrinkable] = [
            f"## Scorecards {options.command} · {paths_md(options.paths)}"
        ]
        self.outputs: dict[str, str] = {}
        # The problems of the last validation, for reports beside the log (Code Quality).
        self.problems: tuple[Problem, ...] = ()
        # Why Cortex did not dry-run the plan's writes, when it did not (a View-only key).
        self.server_check_skipped: str | None = None
        # The score impact of each update, for the plan comment (option `impact`).
        self.impacts: Mapping[str, Impact] = {}
        self._stop_token = secrets.token_hex(16)

    def annotate(self, level: Level, message: str) -> None:
        """An error, warning or notice in the log, as the host shows it."""
        self.log.append(self.host.annotation(level, message))

    def say(self, line: str) -> None:
        self.log.append(line)

    def log_untrusted(self, text: str) -> None:
        """Text holding descriptor or Cortex content, which the runner must not obey.

        GitHub's runner reads any line that starts with `::` (after spaces) as a workflow
        command: a diff line of a description could add a mask or forge an annotation.
        The host fences such text; the token it may fence with is random per run, so the
        text cannot end the block early.
        """
        while self._stop_token in text:
            self._stop_token = secrets.token_hex(16)
        self.log += self.host.untrusted(text, self._stop_token)

    def validate(
        self, base: str | None = None, paths: Sequence[str] | None = None
    ) -> Source | None:
        """Check every descriptor offline; problems in the log. None when it fails.

        With `base`, a descriptor folder removed since then counts as empty (see
        `load_source`). `paths` default to the run's.
        """
        source = load_source(list(self.options.paths if paths is None else paths), base)
        self.problems += tuple(source.problems)
        self.log += self.host.problem_lines(source.problems, source.files)
        self.summary.append(problems_md(source.problems, source.files))
        failing = not source.ok or (self.options.strict and bool(source.problems))
        return None if failing else source

    def make_plan(
        self,
        client: CortexClient,
        settings: Settings,
        source: Source,
        *,
        server_check: bool,
        impact: bool = False,
    ) -> RepositoryPlan:
        """Plan `source` (from `validate`, with its base) as every entry point does; a
        skipped server check or impact is said in the log and the summary."""
        planned = plan_repository(
            source,
            settings,
            client=client,
            prune=settings.prune,
            server_check=server_check,
            impact=impact,
        )
        self.server_check_skipped = planned.server_check_skipped
        self.impacts = planned.impacts
        for skipped in (planned.server_check_skipped, planned.impact_skipped):
            if skipped:
                self.annotate("warning", skipped)
                self.summary.append(warning_md(escape(skipped)))
        return planned

    def record(
        self, plan: Plan, base: str | None, problems: Sequence[str], *, label: str = ""
    ) -> Path:
        """Save the plan; show it in the log and the summary; set the outputs.

        `label` tells apart the plans of one run (one per workspace).
        """
        path = self.save(plan, label=label)
        self.log.append("")
        self.log_untrusted(TextPlanRenderer(color=False).render(plan))
        self.log.append(f"Plan checksum: {plan.checksum()}")
        self.summary += [*(caution_md(escape(p)) for p in problems), plan_section(plan)]
        self.summary.append(self.footer(plan, base, saved=path))
        self.outputs.update(
            {
                "has-changes": "true" if plan.has_changes else "false",
                "plan-checksum": plan.checksum(),
                "plan-json": str(path),
            }
        )
        return path

    def save(self, plan: Plan, *, label: str = "") -> Path:
        named = self.options.key + (f"\0{label}" if label else "")
        digest = hashlib.sha256(named.encode()).hexdigest()[:12]
        target = self.temp_dir / "scorecards-sync" / f"plan-{digest}.json"
        write_plan(plan, target)
        return target

    def footer(self, plan: Plan, base: str | None, *, saved: Path | None = None) -> str:
        parts = [f"Plan checksum {code(plan.checksum())}"]
        event = self.run_event
        if event.head_sha:
            # What the reviewers see; a pull request's GITHUB_SHA is a test merge commit.
            parts.append(f"head {code(event.head_sha[:12])}")
        if event.sha and (event.number is None or event.sha != event.head_sha):
            parts.append(f"commit {code(event.sha[:12])}")
        if base:
            parts.append(f"compared with base {code(base[:12])}")
        if saved is not None:
            parts.append(f"saved as {code(saved.name)}{self.host.words.saved_output}")
        if self.run_url:
            parts.append(f"[{self.host.words.run}]({self.run_url})")
        return "<sub>" + " · ".join(parts) + "</sub>"

    def upsert(
        self,
        thread: CommentThread[Comment],
        key: str,
        checksum: str,
        body: str,
        *,
        author: str | None,
    ) -> StickyResult[Comment]:
        """Create or update the sticky comment `key` in `thread`, cut to the host's limit."""
        return upsert_sticky(
            thread,
            key,
            checksum,
            body,
            limit=self.host.comment_limit,
            note=self.host.truncation_note,
            author=author,
        )

    def fail(self, exc: ScorecardsSyncError) -> int:
        message = str(exc)
        self.annotate("error", message)
        self.summary.append(caution_md(f"**Error:** {escape(message)}"))
        return exc.exit_code

    def stopped(self, exc: BaseException) -> int:
        """An exception that is not the tool's own stopped the run: said after what was done
        (an apply's results included), by its type only. Its text may quote a secret: the
        command raises it again once the log is written, and the CLI reports it, scrubbed,
        as it reports any internal error."""
        what = (
            "interrupted"
            if isinstance(exc, KeyboardInterrupt)
            else f"internal error ({type(exc).__name__})"
        )
        message = f"The run stopped: {what}. What this log says was done was done."
        self.annotate("error", message)
        self.summary.append(caution_md(f"**Error:** {escape(message)}"))
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_ERROR

    def summary_text(self) -> str:
        """The summary, under the 1 MiB limit: the only place the limit is enforced."""
        return assemble_summary(self.summary)
