"""Plan renderers, chosen by name from `RENDERERS`.

Each renderer is a small class with `render(plan) -> str`; the CLI decides where
the text goes (terminal, file, pull-request comment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from scorecards_sync.errors import UsageError
from scorecards_sync.impact import Impact
from scorecards_sync.plan import Plan
from scorecards_sync.render.plan_json import JsonPlanRenderer
from scorecards_sync.render.plan_markdown import GITHUB_COMMENT_LIMIT, MarkdownPlanRenderer
from scorecards_sync.render.plan_text import TextPlanRenderer


class PlanRenderer(Protocol):
    def render(self, plan: Plan) -> str: ...


RENDERERS: Mapping[str, type] = {
    "text": TextPlanRenderer,
    "json": JsonPlanRenderer,
    "markdown": MarkdownPlanRenderer,
}


def plan_renderer(
    name: str,
    *,
    color: bool = False,
    max_chars: int | None = None,
    impacts: Mapping[str, Impact] | None = None,
) -> PlanRenderer:
    """The renderer called `name`.

    `color` applies to text; `max_chars` to markdown (default: GitHub's comment
    limit). Text and JSON are never cut: a truncated JSON plan could not be applied.
    `impacts`: the score impact of updated scorecards, by tag (`plan --impact`).
    """
    if name == "text":
        return TextPlanRenderer(color=color, impacts=impacts)
    if name == "json":
        return JsonPlanRenderer(impacts=impacts)
    if name == "markdown":
        return MarkdownPlanRenderer(max_chars=max_chars or GITHUB_COMMENT_LIMIT, impacts=impacts)
    known = ", ".join(sorted(RENDERERS))
    raise UsageError(f"unknown plan format {name!r}; choose one of: {known}")


__all__ = ["RENDERERS", "PlanRenderer", "plan_renderer"]
