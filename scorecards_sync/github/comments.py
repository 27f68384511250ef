"""The sticky pull-request comment on GitHub: the review core (`review.sticky`) over the
issue comments of one pull request.

GitHub's limits and habits live here: the comment size limit, the bot that posts with
the workflow's token, and the few seconds GitHub takes to link a merge commit to its
pull request. The marker, the checksum and the create-or-update logic are host-neutral
(`review.sticky`), and so is what a merged pull request reviewed (`review.apply_step`,
the apply's own check): `reviewed_plan` and `reviewed_checksum` only put GitHub under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scorecards_sync.github.client import GitHubClient, IssueComment, PullRequest
from scorecards_sync.review import sticky
from scorecards_sync.review.apply_step import review_of, reviewed_in
from scorecards_sync.review.merged import MERGED_DELAYS, merged_change_request
from scorecards_sync.review.sticky import Marker, find_sticky, parse_marker, path_key

# Who writes the comment when the workflow's own GITHUB_TOKEN posts it. Reading a reviewed
# checksum only from this author keeps a participant from planting a forged marker.
ACTIONS_BOT = "github-actions[bot]"
# GitHub refuses a comment body longer than this many characters.
MAX_COMMENT_CHARS = 65_536
TRUNCATION_NOTE = (
    "\n\n… *Comment truncated: GitHub allows 65,536 characters. "
    "The full plan is in the job summary of this workflow run.*\n"
)
# Right after a merge, GitHub's commits/{sha}/pulls often answers empty for a few seconds.
MERGED_PULL_DELAYS = MERGED_DELAYS

StickyResult = sticky.StickyResult

__all__ = [
    "ACTIONS_BOT",
    "MAX_COMMENT_CHARS",
    "MERGED_PULL_DELAYS",
    "TRUNCATION_NOTE",
    "GitHubSession",
    "Marker",
    "PullRequestThread",
    "ReviewedPlan",
    "StickyResult",
    "compose",
    "find_sticky",
    "merged_pull_request",
    "parse_marker",
    "path_key",
    "reviewed_checksum",
    "reviewed_plan",
    "truncate",
    "upsert_sticky",
]


@dataclass(frozen=True)
class PullRequestThread:
    """The issue comments of one pull request, as the review core's `CommentThread`."""

    client: GitHubClient
    repository: str
    number: int

    def list_comments(self) -> list[IssueComment]:
        return self.client.list_issue_comments(self.repository, self.number)

    def create_comment(self, body: str) -> IssueComment:
        return self.client.create_issue_comment(self.repository, self.number, body)

    def update_comment(self, comment_id: int, body: str) -> IssueComment:
        return self.client.update_issue_comment(self.repository, comment_id, body)


@dataclass(frozen=True)
class GitHubSession:
    """The pull requests of one repository, as the review core's `HostSession`; the pull
    requests it found merged are kept by number (`found`)."""

    client: GitHubClient
    repository: str
    comment_author: str | None
    found: dict[int, PullRequest] = field(default_factory=dict)

    @property
    def cannot_comment(self) -> str | None:
        return None

    def thread(self, number: int) -> PullRequestThread:
        return PullRequestThread(self.client, self.repository, number)

    def author(self) -> str | None:
        return self.comment_author

    def merged_change_requests(self, sha: str) -> Sequence[int]:
        pulls = _merged(self.client, self.repository, sha)
        self.found.update((p.number, p) for p in pulls)
        return [p.number for p in pulls]


@dataclass(frozen=True)
class ReviewedPlan:
    """The pull request a pushed commit came from, and the plan checksum reviewed there."""

    pull_request: PullRequest | None
    checksum: str | None


def compose(key: str, checksum: str, body: str) -> str:
    """The full comment text: the marker line, then `body`, cut to GitHub's limit if needed."""
    return sticky.compose(key, checksum, body, limit=MAX_COMMENT_CHARS, note=TRUNCATION_NOTE)


def truncate(text: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """`text` itself when it fits, else cut at a line boundary with a note saying so."""
    return sticky.truncate(text, limit, TRUNCATION_NOTE)


def upsert_sticky(
    client: GitHubClient,
    repository: str,
    number: int,
    key: str,
    checksum: str,
    body: str,
    *,
    author: str | None = None,
) -> sticky.StickyResult[IssueComment]:
    """Create the sticky comment, or update it in place; no call when it already says this."""
    return sticky.upsert_sticky(
        PullRequestThread(client, repository, number),
        key,
        checksum,
        body,
        limit=MAX_COMMENT_CHARS,
        note=TRUNCATION_NOTE,
        author=author,
    )


def reviewed_checksum(
    client: GitHubClient, repository: str, number: int, key: str, *, author: str | None = None
) -> str | None:
    """The plan checksum recorded in a pull request's sticky comment, if it has one: the
    review core's `review_of`."""
    thread = PullRequestThread(client, repository, number)
    return review_of(thread, number, key, author=author).checksum


def _merged(client: GitHubClient, repository: str, sha: str) -> list[PullRequest]:
    """The merged pull requests whose merge made `sha`, asked once: the one that merely
    contains the commit was not what brought it to the branch."""
    return [
        p
        for p in client.pulls_for_commit(repository, sha)
        if p.merged and p.merge_commit_sha == sha
    ]


def merged_pull_request(
    client: GitHubClient,
    repository: str,
    sha: str,
    *,
    delays: Sequence[float] = MERGED_PULL_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> PullRequest | None:
    """The pull request whose merge produced commit `sha` (merge, squash or rebase), if any.

    Only a merged pull request whose `merge_commit_sha` is `sha` counts. Without one,
    GitHub is asked again after each of `delays`: it links a merge a few seconds late.
    """
    return merged_change_request(
        lambda: _merged(client, repository, sha), delays=delays, sleep=sleep
    )


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
    """What was reviewed before commit `sha` reached the branch (the review core's
    `reviewed_in`, the apply's own check): None fields when nothing was."""
    session = GitHubSession(client, repository, author)
    review = reviewed_in(session, sha, key, delays=delays, sleep=sleep)
    pull = None if review.number is None else session.found[review.number]
    return ReviewedPlan(pull, review.checksum)
