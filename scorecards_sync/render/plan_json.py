"""The plan as JSON: `Plan.to_json()` (schema documented in `scorecards_sync/plan.py`)."""

from __future__ import annotations

import json

from scorecards_sync.plan import Plan


class JsonPlanRenderer:
    """Pretty-printed, keys in a stable order; what `plan --out` writes and `apply --plan` reads."""

    def render(self, plan: Plan) -> str:
        return json.dumps(plan.to_json(), indent=2, ensure_ascii=False)
