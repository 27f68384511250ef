"""Typed results of the Cortex API, and the one place raw response JSON is read.

Each `*_from_json` function takes a decoded body (shapes from Cortex's OpenAPI spec) and
returns frozen dataclasses; a body of the wrong shape raises `ResponseShapeError`, which
the client turns into a `CortexError` naming the call. Unknown extra fields are ignored,
so Cortex can add fields without breaking us.

The values live by subject: `scorecard_models` (scorecards), `score_models` (scores, next
steps, badges, exemptions) and `shapes` (checked reading, levels, pages). The result types
imported here are public and stable, as the values `CortexClient` returns; the parsers are
internal to the client (only those its operations call are imported here). The client's
counters are here too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from scorecards_sync.cortex.score_models import (
    Actor,
    EntityScore,
    Exemption,
    NextStep,
    RuleOutcome,
    RuleRef,
    ScorecardScore,
    badge_from_json,
    exemption_from_json,
    exemptions_from_json,
    next_steps_from_json,
    scorecard_scores_from_json,
    scores_page_from_json,
)
from scorecards_sync.cortex.scorecard_models import (
    Filter,
    Rule,
    ScorecardDetails,
    ScorecardSummary,
    UpsertResult,
    scorecard_envelope_from_json,
    scorecard_page_from_json,
    upsert_result_from_json,
)
from scorecards_sync.cortex.shapes import (
    Level,
    Page,
    ResponseShapeError,
)

__all__ = [
    "Actor",
    "ClientStats",
    "EntityScore",
    "Exemption",
    "Filter",
    "Level",
    "NextStep",
    "Page",
    "ResponseShapeError",
    "Rule",
    "RuleOutcome",
    "RuleRef",
    "ScorecardDetails",
    "ScorecardScore",
    "ScorecardSummary",
    "StatsSnapshot",
    "UpsertResult",
    "badge_from_json",
    "exemption_from_json",
    "exemptions_from_json",
    "next_steps_from_json",
    "scorecard_envelope_from_json",
    "scorecard_page_from_json",
    "scorecard_scores_from_json",
    "scores_page_from_json",
    "upsert_result_from_json",
]


# --------------------------------------------------------------------------- counters


@dataclass(frozen=True)
class StatsSnapshot:
    requests: int
    retries: int
    throttled: int
    connection_errors: int
    by_status: Mapping[int, int]
    limiter_wait_seconds: float


@dataclass
class ClientStats:
    """Live, thread-safe counters of one client (benchmarks and tests read them)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    connection_errors: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    limiter_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_response(self, status: int, waited: float) -> None:
        with self._lock:
            self.requests += 1
            self.by_status[status] += 1
            self.limiter_wait_seconds += waited
            if status == 429:
                self.throttled += 1

    def record_connection_error(self, waited: float) -> None:
        with self._lock:
            self.requests += 1
            self.connection_errors += 1
            self.limiter_wait_seconds += waited

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                requests=self.requests,
                retries=self.retries,
                throttled=self.throttled,
                connection_errors=self.connection_errors,
                by_status=dict(self.by_status),
                limiter_wait_seconds=self.limiter_wait_seconds,
            )
