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

import posixpath
import re
import time
from collections.abc import Callable, Iterable, Sequence
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
# Right after a merge, GitHub's commits/{sha}/pulls often answers empty for a few seconds.
MERGED_PULL_DELAYS = (1.0, 2.0, 4.0)


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
    """A marker-safe key naming the descriptor paths one workflow manages.

    Each path is normalized and the set sorted, so the plan run and the apply run find
    one comment however their workflows spell the paths (`./cards/` is `cards`).
    """
    given = [paths] if isinstance(paths, str) else list(paths)
    normalized = sorted({posixpath.normpath(p.strip() or ".") for p in given})
    joined = ",".join(normalized) or "."
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
    for attempt in range(2):
        existing = find_sticky(client.list_issue_comments(repository, number), key, author=author)
        if existing is None:
            return _create(client, repository, number, key, text, author)
        if existing.body == text:
            return StickyResult(existing, "unchanged")
        try:
            return StickyResult(
                client.update_issue_comment(repository, existing.id, text), "updated"
            )
        except GitHubError as exc:
            # Deleted between the listing and the update: look again, then create one.
            if exc.status != 404 or attempt:
                raise
    raise AssertionError("unreachable: the second attempt returns or raises")


def _create(
    client: GitHubClient, repository: str, number: int, key: str, text: str, author: str | None
) -> StickyResult:
    try:
        return StickyResult(client.create_issue_comment(repository, number, text), "created")
    except GitHubError as exc:
        # A create that failed on GitHub's side may still have posted: look before giving up,
        # so a retried job does not add a second comment.
        if exc.status is not None and exc.status < 500:
            raise
        posted = find_sticky(client.list_issue_comments(repository, number), key, author=author)
        if posted is None or posted.body != text:
            raise
        return StickyResult(posted, "created")


def reviewed_checksum(
    client: GitHubClient, repository: str, number: int, key: str, *, author: str | None = None
) -> str | None:
    """The plan checksum recorded in a pull request's sticky comment, if it has one."""
    comment = find_sticky(client.list_issue_comments(repository, number), key, author=author)
    if comment is None:
        return None
    marker = parse_marker(comment.body)
    return marker.checksum if marker is not None and marker.checksum else None


def merged_pull_request(
    client: GitHubClient,
    repository: str,
    sha: str,
    *,
    delays: Sequence[float] = MERGED_PULL_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> PullRequest | None:
    """The pull request whose merge produced commit `sha` (merge, squash or rebase), if any.

    Only a merged pull request whose `merge_commit_sha` is `sha` counts: any other one
    that merely contains the commit was not what brought it to the branch. Without one,
    GitHub is asked again after each of `delays`: it links a merge a few seconds late.
    """
    for delay in (*delays, None):
        pulls = client.pulls_for_commit(repository, sha)
        exact = [p for p in pulls if p.merged and p.merge_commit_sha == sha]
        if exact:
            return exact[0]
        if delay is None:
            break
        sleep(delay)
    return None


def reviewed_plan(
    client: GitHubClient,
    repository: str,
    sha: str,
    key: str,
    *,
    author: str | None = ACTIONS_BOT,
    delays: Sequence[float] = MERGED_PULL_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> ReviewedPlan:
    """What was reviewed before commit `sha` reached the branch: None fields when nothing was."""
    pull = merged_pull_request(client, repository, sha, delays=delays, sleep=sleep)
    if pull is None:
        return ReviewedPlan(None, None)
    return ReviewedPlan(
        pull, reviewed_checksum(client, repository, pull.number, key, author=author)
    )
