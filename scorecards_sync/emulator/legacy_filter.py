"""How the emulator serves a legacy `category` filter: what Cortex has been seen to do.

Cortex's reading back of `filter.category` is not one fixed behaviour in the evidence
(cortexapps/terraform-provider-cortex history): a scorecard posted with no filter read
back with `category: SERVICE` (October 2024); later Cortex called `category` deprecated
and the provider's tests moved to `kind: GENERIC` + `types`. The emulator can play each:

- `as-posted` (the default): the filter is stored and served as it was posted;
- `types`: a category naming one entity type (SERVICE, DOMAIN, TEAM) is served as
  `kind: GENERIC` + `types: {include: [that type]}`, at the top level and on rules;
  `RESOURCE` (every resource type, which no `types` list spells) stays as posted;
- `service-default`: a scorecard posted without a filter is served with
  `filter: {category: SERVICE}`.

The mapping is written here again, not taken from `descriptor`, so that the planner's
reading of the two shapes is checked against the emulator's rather than against itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class LegacyFilterExport(StrEnum):
    AS_POSTED = "as-posted"
    TYPES = "types"
    SERVICE_DEFAULT = "service-default"


_ONE_TYPE = {"SERVICE": "service", "DOMAIN": "domain", "TEAM": "team"}


def exported(stored: dict[str, Any], mode: LegacyFilterExport) -> dict[str, Any]:
    """`stored` as Cortex would hold it under `mode` (a new mapping; keys stay in order)."""
    if mode is LegacyFilterExport.AS_POSTED:
        return stored
    result = dict(stored)
    if mode is LegacyFilterExport.SERVICE_DEFAULT:
        if result.get("filter") is None:
            result["filter"] = {"category": "SERVICE"}
        return result
    if "filter" in result:
        result["filter"] = _as_types(result["filter"])
    rules = result.get("rules")
    if isinstance(rules, list):
        result["rules"] = [
            {**rule, "filter": _as_types(rule["filter"])}
            if isinstance(rule, Mapping) and "filter" in rule
            else rule
            for rule in rules
        ]
    return result


def _as_types(scope: Any) -> Any:
    if not isinstance(scope, Mapping) or scope.get("category") not in _ONE_TYPE:
        return scope
    converted: dict[str, Any] = {
        "kind": "GENERIC",
        "types": {"include": [_ONE_TYPE[scope["category"]]]},
    }
    if scope.get("query") is not None:
        converted["query"] = scope["query"]
    return converted
