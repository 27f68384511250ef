"""What a Git host gives the review flow: its change requests' comments, and their merges.

GitHub calls them pull requests and issue comments, GitLab merge requests and notes;
the review core sees only these protocols, so the sticky comment and the reviewed-plan
check are written once. An adapter raises `errors.ApiCallError` (with `status`) when a
call fails, as both REST clients do.
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


class ChangeRequest(Protocol):
    """A pull request or merge request: the number the comments hang on."""

    @property
    def number(self) -> int: ...


C_co = TypeVar("C_co", bound=Comment, covariant=True)


class CommentThread(Protocol[C_co]):
    """The comments of one change request: list them all, create one, edit one."""

    def list_comments(self) -> Sequence[C_co]: ...

    def create_comment(self, body: str) -> C_co: ...

    def update_comment(self, comment_id: int, body: str) -> C_co: ...


class ReviewHost(Protocol):
    """A Git host as a CI run sees it."""

    # The most characters one comment may hold on this host.
    max_comment_chars: int

    def thread(self, number: int) -> CommentThread[Comment]:
        """The comments of change request `number`."""
        ...

    def merged_change_request(self, sha: str) -> ChangeRequest | None:
        """The change request whose merge produced commit `sha`, if any."""
        ...

    def annotate(self, level: str, message: str, *, path: str = "", line: int = 0) -> None:
        """A problem shown where the host shows them (an annotation, a log line)."""
        ...

    def add_summary(self, markdown: str) -> None:
        """A section of the run's summary."""
        ...
