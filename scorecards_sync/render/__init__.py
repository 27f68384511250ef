"""Output formats: plans (`plans`: `RENDERERS`, `plan_renderer`), problems (`problems`),
apply results (`results`).

The plan renderers are loaded on first use, so that `validate`, which only reports
problems, does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scorecards_sync.render.plans import RENDERERS, PlanRenderer, plan_renderer

__all__ = ["RENDERERS", "PlanRenderer", "plan_renderer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from scorecards_sync.render import plans

        return getattr(plans, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
