"""One run of the GitHub Action in progress, and the steps every command shares.

`ActionRun` carries what the run was given (inputs, context, the factories that
reach Cortex and GitHub) and what it has to say so far: the step log, the job
summary and the step outputs. Its steps (validate, plan, save and show the plan)
are what the plan and apply flows (`action_plan`, `action_apply`) are built from.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from scorecards_sync.config import Settings
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.github.action_inputs import ActionInputs, RunContext
from scorecards_sync.github.action_report import (
    Shrinkable,
    assemble_summary,
    caution_md,
    paths_md,
    plan_section,
    problems_md,
    warning_md,
    workflow_command,
)
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.impact import Impact
from scorecards_sync.plan import Plan
from scorecards_sync.planfile import write_plan
from scorecards_sync.render.plan_markdown import code, escape
from scorecards_sync.render.plan_text import TextPlanRenderer
from scorecards_sync.render.problems import render_github
from scorecards_sync.workflow import RepositoryPlan, Source, load_source, plan_repository


class ActionRun:
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
        self.summary: list[str | Shrinkable] = [
            f"## Scorecards {inputs.command} · {paths_md(inputs.paths)}"
        ]
        self.outputs: dict[str, str] = {}
        # Why Cortex did not dry-run the plan's writes, when it did not (a View-only key).
        self.server_check_skipped: str | None = None
        # The score impact of each update, for the plan comment (input `impact`).
        self.impacts: Mapping[str, Impact] = {}
        self._stop_token = secrets.token_hex(16)

    def annotate(self, level: str, message: str) -> None:
        """An `::error::`, `::warning::` or `::notice::` in the log, shown on the run's page."""
        self.log.append(workflow_command(level, message, title="scorecards-sync"))

    def log_untrusted(self, text: str) -> None:
        """Text holding descriptor or Cortex content, which the runner must not obey.

        The runner reads any line that starts with `::` (after spaces) as a workflow
        command: a diff line of a description could add a mask or forge an annotation.
        Between `::stop-commands::TOKEN` and `::TOKEN::` it reads none; the token is
        random per run, so the text cannot end the block early.
        """
        while self._stop_token in text:
            self._stop_token = secrets.token_hex(16)
        token = self._stop_token
        self.log += [f"::stop-commands::{token}", text, f"::{token}::"]

    def validate(self, base: str | None = None) -> Source | None:
        """Check every descriptor offline; annotations in the log. None when it fails.

        With `base`, a descriptor folder removed since then counts as empty (see
        `load_source`).
        """
        source = load_source(list(self.inputs.paths), base)
        report = render_github(source.problems, source.files)
        self.log += [*report.stdout, *report.stderr]
        self.summary.append(problems_md(source.problems, source.files))
        failing = not source.ok or (self.strict and bool(source.problems))
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

    def record(self, plan: Plan, base: str | None, problems: Sequence[str]) -> Path:
        """Save the plan; show it in the log and the summary; set the outputs."""
        path = self.save(plan)
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

    def save(self, plan: Plan) -> Path:
        digest = hashlib.sha256(self.inputs.key.encode()).hexdigest()[:12]
        target = self.context.temp_dir / "scorecards-sync" / f"plan-{digest}.json"
        write_plan(plan, target)
        return target

    def footer(self, plan: Plan, base: str | None, *, saved: Path | None = None) -> str:
        parts = [f"Plan checksum {code(plan.checksum())}"]
        pull = self.event.pull_request
        if pull is not None and pull.head_sha:
            # What the reviewers see in the pull request; GITHUB_SHA is a test merge commit.
            parts.append(f"head {code(pull.head_sha[:12])}")
        if self.event.sha and (pull is None or self.event.sha != pull.head_sha):
            parts.append(f"commit {code(self.event.sha[:12])}")
        if base:
            parts.append(f"compared with base {code(base[:12])}")
        if saved is not None:
            parts.append(f"saved as {code(saved.name)} (output plan-json)")
        if self.context.run_url:
            parts.append(f"[workflow run]({self.context.run_url})")
        return "<sub>" + " · ".join(parts) + "</sub>"

    def fail(self, exc: ScorecardsSyncError) -> int:
        message = str(exc)
        self.annotate("error", message)
        self.summary.append(caution_md(f"**Error:** {escape(message)}"))
        return exc.exit_code

    def summary_text(self) -> str:
        """The job summary, under GitHub's limit: the only place the limit is enforced."""
        return assemble_summary(self.summary)
