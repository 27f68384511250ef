"""The operations of Cortex's scorecards API, matched against raw request paths.

A path is split on `/` before its segments are percent-decoded, so a tag such
as `..%2Fx` or `a%2Fb` stays one segment: it names a scorecard (that does not
exist) and never reaches another route.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

VIEW = "view"
EDIT = "edit"
EXEMPTIONS = "exemptions"
ALL_PERMISSIONS = frozenset({VIEW, EDIT, EXEMPTIONS})
# An admin key may do everything, and its exemption requests are approved at once
# (cortexapps/cli tests: an admin's request is auto-approved, a viewer's stays PENDING).
ADMIN = "admin"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    operation: str
    permission: str


_SCORECARD = ("api", "v1", "scorecards", "{tag}")
_ENTITY = (*_SCORECARD, "entity", "{entityTag}")

ROUTES: tuple[Route, ...] = (
    Route("GET", ("api", "v1", "scorecards"), "listScorecards", VIEW),
    Route("POST", ("api", "v1", "scorecards", "descriptor"), "createOrUpdateScorecard", EDIT),
    Route("GET", _SCORECARD, "getScorecard", VIEW),
    Route("DELETE", _SCORECARD, "deleteScorecard", EDIT),
    Route("GET", (*_SCORECARD, "descriptor"), "getScorecardDescriptor", VIEW),
    Route("GET", (*_SCORECARD, "scores"), "listScorecardScores", VIEW),
    Route("GET", (*_SCORECARD, "next-steps"), "getScorecardNextStepsForEntity", VIEW),
    Route(
        "GET",
        ("api", "v1", "scorecards", "{tag}", "entity", "{entityTag}", "badge"),
        "getBadgeMarkdown",
        VIEW,
    ),
    Route("POST", (*_ENTITY, "scores"), "refreshScorecardScoreForEntity", EDIT),
    # Anyone who may see a scorecard may ask for an exemption; deciding needs the permission.
    Route("POST", (*_ENTITY, "exemption"), "requestScorecardRuleExemption", VIEW),
    Route("PUT", (*_ENTITY, "exemption", "approve"), "approveScorecardRuleExemption", EXEMPTIONS),
    Route("PUT", (*_ENTITY, "exemption", "deny"), "denyScorecardRuleExemption", EXEMPTIONS),
    Route("PUT", (*_ENTITY, "exemption", "revoke"), "revokeScorecardRuleExemption", EXEMPTIONS),
    Route(
        "GET",
        ("api", "v1", "catalog", "{tagOrId}", "scorecards"),
        "listScorecardScoresForEntity",
        VIEW,
    ),
    # Not a scorecards operation: `cortex backup export -e scorecards` asks for the entity
    # types first, so the official CLI's export fails without it.
    Route("GET", ("api", "v1", "catalog", "definitions"), "listEntityTypes", VIEW),
)


@dataclass(frozen=True)
class Match:
    route: Route | None
    params: Mapping[str, str]
    allowed: tuple[str, ...]
    """Methods some route accepts on this path: non-empty with no `route` means 405."""


def match(method: str, raw_path: str) -> Match:
    """The route for `method` on `raw_path`.

    As OpenAPI says, a concrete path wins over a templated one: `/api/v1/scorecards/descriptor`
    is the POST route only, never `GET /api/v1/scorecards/{tag}` of a scorecard tagged
    "descriptor".
    """
    segments = raw_path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    candidates: list[tuple[int, Route, dict[str, str]]] = []
    for route in ROUTES:
        params = _match_pattern(route.pattern, segments)
        if params is not None:
            candidates.append((len(params), route, params))
    if not candidates:
        return Match(None, {}, ())
    fewest = min(count for count, _, _ in candidates)
    best = [(route, params) for count, route, params in candidates if count == fewest]
    allowed = tuple(dict.fromkeys(route.method for route, _ in best))
    for route, params in best:
        if route.method == method:
            return Match(route, params, allowed)
    return Match(None, {}, allowed)


def _match_pattern(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, raw in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            try:
                value = urllib.parse.unquote(raw, errors="strict")
            except UnicodeDecodeError:
                return None
            if not value:
                return None
            params[expected[1:-1]] = value
        elif raw != expected:
            return None
    return params
