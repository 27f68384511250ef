"""GitHub side of the pull-request workflow: REST calls, event payloads, the sticky comment."""

from __future__ import annotations

from scorecards_sync.github.client import GitHubClient, IssueComment, PullRequest
from scorecards_sync.github.comments import (
    ACTIONS_BOT,
    Marker,
    ReviewedPlan,
    StickyResult,
    find_sticky,
    merged_pull_request,
    parse_marker,
    path_key,
    reviewed_checksum,
    reviewed_plan,
    upsert_sticky,
)
from scorecards_sync.github.events import GitHubEvent, PullRequestInfo, PushInfo, load_event

__all__ = [
    "ACTIONS_BOT",
    "GitHubClient",
    "GitHubEvent",
    "IssueComment",
    "Marker",
    "PullRequest",
    "PullRequestInfo",
    "PushInfo",
    "ReviewedPlan",
    "StickyResult",
    "find_sticky",
    "load_event",
    "merged_pull_request",
    "parse_marker",
    "path_key",
    "reviewed_checksum",
    "reviewed_plan",
    "upsert_sticky",
]
