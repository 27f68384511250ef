"""One sticky pull-request comment per descriptor path, found again by a hidden marker.

The comment's first line is an HTML comment GitHub does not render:

    <!-- scorecards-sync:<path-key> checksum=<plan checksum> -->

The path key tells apart the comments of two workflows planning different folders
of one repository; the checksum records which plan the reviewers saw, so the
push-to-main run can refuse to apply a plan nobody reviewed. The first run creates
the comment; later runs edit it in place, so a pull request never collects a
comment per push.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from scorecards_sync.errors import GitHubError
from scorecards_sync.github.client import GitHubClient, IssueComment, PullRequest

# Who writes the comment when the workflow's own GITHUB_TOKEN posts it. Reading a reviewed
# checksum only from this author keeps a participant from planting a forged marker.
ACTIONS_BOT = "github-actions[bot]"
# GitHub refuses a comment body longer than this many characters.
MAX_COMMENT_CHARS = 65_536
TRUNCATION_NOTE = (
    "\n\n… *Comment truncated: GitHub allows 65,536 characters. "
    "The full plan is in the job summary of this workflow run.*\n"
)

# Only as the first line: a reply quoting the comment (`> <!-- ...`), or a comment that
# mentions a marker further down, is not the sticky comment.
_MARKER = re.compile(
    r"<!-- scorecards-sync:(?P<key>[^\s>]+) checksum=(?P<checksum>[^\s>]*) -->(?:\r?\n|$)"
)
_KEY_SAFE = "/._-~"


@dataclass(frozen=True)
class Marker:
    path_key: str
    checksum: str

    def render(self) -> str:
        return f"<!-- scorecards-sync:{self.path_key} checksum={self.checksum} -->"


@dataclass(frozen=True)
class ReviewedPlan:
    """The pull request a pushed commit came from, and the plan checksum reviewed there."""

    pull_request: PullRequest | None
    checksum: str | None


@dataclass(frozen=True)
class StickyResult:
    comment: IssueComment
    action: Literal["created", "updated", "unchanged"]


def path_key(paths: Sequence[str] | str) -> str:
    """A marker-safe key naming the descriptor paths one workflow manages."""
    given = [paths] if isinstance(paths, str) else list(paths)
    joined = ",".join(p.strip().rstrip("/") or "." for p in given) or "."
    return quote(joined, safe=_KEY_SAFE + ",")


def parse_marker(body: str) -> Marker | None:
    """The marker opening a comment body, if it has one."""
    match = _MARKER.match(body)
    if match is None:
        return None
    return Marker(match["key"], match["checksum"])


def find_sticky(
    comments: Iterable[IssueComment], key: str, *, author: str | None = None
) -> IssueComment | None:
    """The oldest comment carrying the marker for `key` (by `author`, when given)."""
    for comment in comments:
        if author is not None and comment.user_login != author:
            continue
        marker = parse_marker(comment.body)
        if marker is not None and marker.path_key == key:
            return comment
    return None


def compose(key: str, checksum: str, body: str) -> str:
    """The full comment text: the marker line, then `body`, cut to GitHub's limit if needed."""
    if not re.fullmatch(r"[^\s>]*", checksum):
        raise ValueError(f"checksum {checksum!r} cannot go in a marker")
    text = f"{Marker(key, checksum).render()}\n{body}"
    return truncate(text)


def truncate(text: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """`text` itself when it fits, else cut at a line boundary with a note saying so."""
    if len(text) <= limit:
        return text
    closing_fence = "\n```"
    room = limit - len(TRUNCATION_NOTE) - len(closing_fence)
    cut = text.rfind("\n", 0, room)
    kept = text[: cut if cut > 0 else room]
    # An unclosed code fence would swallow the note into the code block.
    if kept.count("```") % 2 == 1:
        kept += closing_fence
    return kept + TRUNCATION_NOTE


def upsert_sticky(
    client: GitHubClient,
    repository: str,
    number: int,
    key: str,
    checksum: str,
    body: str,
    *,
    author: str | None = None,
) -> StickyResult:
    """Create the sticky comment, or update it in place; no call when it already says this."""
    text = compose(key, checksum, body)
    existing = find_sticky(client.list_issue_comments(repository, number), key, author=author)
    if existing is None:
        try:
            return StickyResult(client.create_issue_comment(repository, number, text), "created")
        except GitHubError as exc:
            # A create that failed on GitHub's side may still have posted: look before giving up,
            # so a retried job does not add a second comment.
            if exc.status is not None and exc.status < 500:
                raise
            comments = client.list_issue_comments(repository, number)
            posted = find_sticky(comments, key, author=author)
            if posted is None or posted.body != text:
                raise
            return StickyResult(posted, "created")
    if existing.body == text:
        return StickyResult(existing, "unchanged")
    return StickyResult(client.update_issue_comment(repository, existing.id, text), "updated")


def reviewed_checksum(
    client: GitHubClient, repository: str, number: int, key: str, *, author: str | None = None
) -> str | None:
    """The plan checksum recorded in a pull request's sticky comment, if it has one."""
    comment = find_sticky(client.list_issue_comments(repository, number), key, author=author)
    if comment is None:
        return None
    marker = parse_marker(comment.body)
    return marker.checksum if marker is not None and marker.checksum else None


def merged_pull_request(client: GitHubClient, repository: str, sha: str) -> PullRequest | None:
    """The pull request whose merge produced commit `sha` (merge, squash or rebase), if any."""
    pulls = [p for p in client.pulls_for_commit(repository, sha) if p.merged]
    exact = [p for p in pulls if p.merge_commit_sha == sha]
    chosen = exact or pulls
    return chosen[0] if chosen else None


def reviewed_plan(
    client: GitHubClient, repository: str, sha: str, key: str, *, author: str | None = ACTIONS_BOT
) -> ReviewedPlan:
    """What was reviewed before commit `sha` reached the branch: None fields when nothing was."""
    pull = merged_pull_request(client, repository, sha)
    if pull is None:
        return ReviewedPlan(None, None)
    return ReviewedPlan(
        pull, reviewed_checksum(client, repository, pull.number, key, author=author)
    )
