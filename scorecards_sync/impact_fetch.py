"""The impact step of `plan --impact`: fetch the scores of the scorecards a plan updates
and run the impact model (`scorecards_sync.impact`) on each.

Only updates get an impact: a created scorecard has no scores yet, a deleted one leaves
nothing to score. Scores are read 1,000 entities per request (the API's maximum), the
scorecards side by side under the client's one rate limiter. A key that may not read
scores leaves the plan without impacts and says so once (`Impacts.skipped`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.cortex.models import EntityScore
from scorecards_sync.errors import CortexAuthError, CortexNotFound
from scorecards_sync.impact import Impact, compute_impact
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.planner import parse_live

logger = logging.getLogger(__name__)

SCORES_REFUSED = (
    "impact preview skipped: the Cortex API key may not read scorecard scores "
    "('View Scorecards' permission); the plan stands without it"
)


@dataclass(frozen=True)
class Impacts:
    """Impact per updated scorecard tag, or why there is none."""

    by_tag: Mapping[str, Impact] = field(default_factory=dict)
    skipped: str | None = None
    missing: Mapping[str, str] = field(default_factory=dict)


def updates_of(plan: Plan) -> list[Change]:
    return [c for c in plan.changes if c.action is Action.UPDATE and c.desired_yaml]


def compute_impacts(
    plan: Plan,
    client: CortexClient,
    *,
    live: Mapping[str, str] | None = None,
    concurrency: int = 4,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Impacts:
    """Impacts of the plan's updates. `live`: the live descriptor texts the plan was
    computed from, by tag (fetched again where absent)."""
    updates = updates_of(plan)
    if not updates:
        return Impacts()
    texts = dict(live or {})
    absent = [c.tag for c in updates if c.tag not in texts]
    refused: list[CortexAuthError] = []
    if absent:
        texts.update(client.fetch_descriptors(absent, concurrency=concurrency))

    def scores(tag: str) -> list[EntityScore] | None:
        try:
            return client.scores(tag)
        except CortexAuthError as exc:
            refused.append(exc)
            return None
        except CortexNotFound:
            return None

    tags = [c.tag for c in updates if c.tag in texts]
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tags) or 1))) as pool:
        fetched = dict(zip(tags, pool.map(scores, tags), strict=True))
    if refused:
        logger.debug("scores refused: %s", refused[0])
        return Impacts(skipped=SCORES_REFUSED)
    moment = now()
    by_tag: dict[str, Impact] = {}
    missing: dict[str, str] = {}
    for change in updates:
        found = fetched.get(change.tag)
        if found is None:
            missing[change.tag] = "the scorecard disappeared from Cortex while planning"
            logger.warning("no impact for %s: %s", change.tag, missing[change.tag])
            continue
        by_tag[change.tag] = compute_impact(
            parse_live(change.tag, texts[change.tag]),
            parse_live(change.tag, change.desired_yaml or ""),
            found,
            moment,
        )
    return Impacts(by_tag, None, missing)
