"""GitHub side of the pull-request workflow: REST calls, event payloads, the sticky comment."""

from __future__ import annotations

from scorecards_sync.github.client import GitHubClient, IssueComment, PullRequest
from scorecards_sync.github.comments import (
    Marker,
    StickyResult,
    find_sticky,
    parse_marker,
    path_key,
    reviewed_checksum,
    upsert_sticky,
)
from scorecards_sync.github.events import GitHubEvent, PullRequestInfo, PushInfo, load_event

__all__ = [
    "GitHubClient",
    "GitHubEvent",
    "IssueComment",
    "Marker",
    "PullRequest",
    "PullRequestInfo",
    "PushInfo",
    "StickyResult",
    "find_sticky",
    "load_event",
    "parse_marker",
    "path_key",
    "reviewed_checksum",
    "upsert_sticky",
]
