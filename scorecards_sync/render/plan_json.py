"""The plan as JSON: `Plan.to_json()` (schema documented in `scorecards_sync/plan.py`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from scorecards_sync.impact import Impact
from scorecards_sync.plan import Plan
from scorecards_sync.safe_text import json_text


class JsonPlanRenderer:
    """Pretty-printed, keys in a stable order; what `plan --out` writes and `apply --plan` reads.

    With `impacts` (`plan --impact`), each update they cover carries an `impact` object
    (`Impact.to_json`); `apply --plan` ignores it.

    Control, bidi and invisible characters (and the bytes of a file name that is not
    UTF-8) are written as `\\u` escapes: the text is safe to show and decodes to the plan.
    """

    def __init__(self, *, impacts: Mapping[str, Impact] | None = None) -> None:
        self.impacts = impacts or {}

    def render(self, plan: Plan) -> str:
        data = plan.to_json()
        for change in data.get("changes", []):
            impact = (
                self.impacts.get(change.get("tag")) if change.get("action") == "update" else None
            )
            if impact is not None:
                change["impact"] = impact.to_json()
        return json_text(json.dumps(data, indent=2, ensure_ascii=False))
