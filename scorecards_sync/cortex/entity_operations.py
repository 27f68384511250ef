"""The operations about entities in a scorecard: scores, next steps, badges, evaluations,
and rule exemptions. A part of `CortexClient`, kept apart to keep each module small.

These methods are public and stable as methods of `CortexClient` (import the client, not
this mixin). The impact preview reads `scores` (`impact_fetch`); the others have no caller
in the product yet: they complete the client's cover of Cortex's Scorecards API, for users'
scripts and the features to come. Each has a test against the emulator in
`tests/test_client.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scorecards_sync.cortex import models
from scorecards_sync.cortex.http import (
    EDIT,
    EXEMPTIONS,
    MAX_PAGES,
    SCORECARDS,
    VIEW,
    ApiCall,
    CortexHttp,
    encode_segment,
)
from scorecards_sync.cortex.models import EntityScore, Exemption, NextStep, ScorecardScore


class EntityOperations:
    """Mixed into `CortexClient`, whose `_api` and `page_size` these use."""

    _api: CortexHttp
    page_size: int

    # ----------------------------------------------------------------- scores

    def scores(self, tag: str, *, entity_tag: str | None = None) -> list[EntityScore]:
        """Latest per-entity scores of a scorecard, all pages (or one entity's)."""
        found: dict[str, EntityScore] = {}
        for page in range(MAX_PAGES):
            params: dict[str, str | int] = {"page": page, "pageSize": self.page_size}
            if entity_tag is not None:
                params["entityTag"] = entity_tag
            call = ApiCall("GET", f"{SCORECARDS}/{encode_segment(tag)}/scores", VIEW, params=params)
            items, info = self._api.parse(call, self._api.send(call), models.scores_page_from_json)
            for item in items:
                found.setdefault(item.entity_tag, item)
            if not items:
                break
            if info is not None and info.total_pages is not None:
                if page + 1 >= info.total_pages:
                    break
            elif len(items) < self.page_size:
                break
        return list(found.values())

    def entity_scores(self, tag_or_id: str) -> list[ScorecardScore]:
        """One entity's scores across all scorecards."""
        call = ApiCall("GET", f"/api/v1/catalog/{encode_segment(tag_or_id)}/scorecards", VIEW)
        return self._api.parse(call, self._api.send(call), models.scorecard_scores_from_json)

    def next_steps(self, tag: str, entity_tag: str) -> list[NextStep]:
        """Rules the entity must pass to reach the next level."""
        call = ApiCall(
            "GET",
            f"{SCORECARDS}/{encode_segment(tag)}/next-steps",
            VIEW,
            params={"entityTag": entity_tag},
        )
        return self._api.parse(call, self._api.send(call), models.next_steps_from_json)

    def badge(self, scorecard_tag: str, tag_or_id: str) -> str:
        """The shields.io badge value of an entity in a scorecard."""
        path = (
            f"{SCORECARDS}/{encode_segment(scorecard_tag)}/entity/{encode_segment(tag_or_id)}/badge"
        )
        call = ApiCall("GET", path, VIEW)
        return self._api.parse(call, self._api.send(call), models.badge_from_json)

    def evaluate_entity(self, tag: str, entity_tag: str) -> None:
        """Ask Cortex to evaluate one entity now (409 while an evaluation is running)."""
        path = f"{SCORECARDS}/{encode_segment(tag)}/entity/{encode_segment(entity_tag)}/scores"
        self._api.send(ApiCall("POST", path, EDIT, idempotent=False))

    # ----------------------------------------------------------------- exemptions

    def request_exemption(
        self,
        tag: str,
        entity_tag: str,
        rule_identifier: str,
        reason: str,
        *,
        days: int | None = None,
    ) -> Exemption:
        """Ask for an exemption of one rule for one entity (until revoked unless `days`)."""
        body: dict[str, Any] = {"ruleIdentifier": rule_identifier, "reason": reason}
        if days is not None:
            body["days"] = days
        call = self._exemption_call("POST", tag, entity_tag, "", body, VIEW)
        return self._api.parse(call, self._api.send(call), models.exemption_from_json)

    def approve_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier}
        call = self._exemption_call("PUT", tag, entity_tag, "/approve", body, EXEMPTIONS)
        return self._api.parse(call, self._api.send(call), models.exemptions_from_json)

    def deny_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str, reason: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier, "reason": reason}
        call = self._exemption_call("PUT", tag, entity_tag, "/deny", body, EXEMPTIONS)
        return self._api.parse(call, self._api.send(call), models.exemptions_from_json)

    def revoke_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str, reason: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier, "reason": reason}
        call = self._exemption_call("PUT", tag, entity_tag, "/revoke", body, EXEMPTIONS)
        return self._api.parse(call, self._api.send(call), models.exemptions_from_json)

    def _exemption_call(
        self,
        method: str,
        tag: str,
        entity_tag: str,
        action: str,
        body: Mapping[str, Any],
        permission: str,
    ) -> ApiCall:
        path = (
            f"{SCORECARDS}/{encode_segment(tag)}/entity/{encode_segment(entity_tag)}"
            f"/exemption{action}"
        )
        # Repeating a request or a decision is not harmless (a second request, a 400).
        return ApiCall(method, path, permission, json_body=dict(body), idempotent=False)
