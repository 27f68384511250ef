"""What a Git host gives the review core: the comments of one change request.

GitHub calls them pull requests and issue comments, GitLab merge requests and notes;
the review core sees only these protocols, so the sticky comment and the reviewed
checksum are written once (`github.comments.PullRequestThread`,
`gitlab.pipeline.MergeRequestThread`). An adapter raises `errors.ApiCallError` (with
`status`) when a call fails, as both REST clients do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Comment(Protocol):
    """One comment (GitHub) or note (GitLab) on a change request."""

    @property
    def id(self) -> int: ...

    @property
    def body(self) -> str: ...

    @property
    def author(self) -> str: ...

    @property
    def url(self) -> str: ...


C_co = TypeVar("C_co", bound=Comment, covariant=True)


class CommentThread(Protocol[C_co]):
    """The comments of one change request: list them all, create one, edit one."""

    def list_comments(self) -> Sequence[C_co]: ...

    def create_comment(self, body: str) -> C_co: ...

    def update_comment(self, comment_id: int, body: str) -> C_co: ...
