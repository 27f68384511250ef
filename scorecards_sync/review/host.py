"""What a Git host gives the review core, and what the core asks of it.

GitHub calls them pull requests and issue comments, GitLab merge requests and notes;
the review core sees only these protocols and values, so the sticky comment, the
reviewed checksum and the plan, apply and drift steps of a CI run are written once
(`review.run`, `review.plan_step`, `review.apply_step`, `review.drift_step`). A host
(`github.host.GitHubHost`, `gitlab.host.GitLabHost`) implements `ReviewHost`:

- the event, as a `RunEvent` (which change request, which commit, which base);
- an open `HostSession`: the comments of one change request (`CommentThread`), whose
  comments count (the author), and the merged change request of a commit;
- how the job log says an annotation, a validation problem and untrusted text;
- where the last complete apply is recorded, if the host records it (GitHub
  deployments), and the words a message uses (`Words`: "pull request #4" or "merge
  request !4").

An adapter raises `errors.ApiCallError` (with `status`) when a call fails, as both REST
clients do. The core imports no host: a new host adds a package and changes nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from scorecards_sync.problems import Problem

if TYPE_CHECKING:
    from scorecards_sync.config import Settings
    from scorecards_sync.plan import Plan
    from scorecards_sync.record import Since
    from scorecards_sync.workflow import Source


Level = Literal["error", "warning", "notice"]


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


@dataclass(frozen=True)
class Words:
    """How a host's people name things, for the messages the core writes."""

    change_request: str  # "pull request"
    prefix: str  # "#", as in "#42"
    comment: str  # "comment"
    pipeline: str  # "workflow": what runs the plan
    run: str  # "workflow run": what the run's link is called
    apply_name: str  # "command apply": how the apply is asked for
    problems_where: str  # where a reviewer sees validation problems
    summary_where: str  # where this run shows its plan
    bypass: str = ""  # " Set auto-approve: …": applying without a review, when allowed
    approve_hint: str = ""  # the same, said where the event does not allow the check
    up_to_date_hint: str = ""  # " (…)": how to keep plans from going stale before merge
    saved_output: str = ""  # how a later step finds the saved plan, e.g. " (output plan-json)"

    def ref(self, number: int) -> str:
        return f"{self.change_request} {self.prefix}{number}"


@dataclass(frozen=True)
class RunEvent:
    """What triggered the run, in the core's words.

    - `kind`: `change_request` (a pull or merge request from this repository),
      `default_push` (a push to the default branch), `push` (to another branch), `other`.
    - `number`: the change request, for `change_request`.
    - `head_sha`: the change request's head, what its reviewers see.
    - `base`: where removals start by default (the change request's base, the commit
      before a push), or None.
    """

    name: str
    kind: Literal["change_request", "default_push", "push", "other"]
    sha: str
    number: int | None = None
    head_sha: str | None = None
    base: str | None = None
    branch: str | None = None


class HostSession(Protocol):
    """An open connection to the host, for the length of one `with`."""

    @property
    def cannot_comment(self) -> str | None:
        """Why this run cannot read or write change-request comments, or None when it can."""
        ...

    def thread(self, number: int) -> CommentThread[Comment]: ...

    def author(self) -> str | None:
        """Whose sticky comments count (None: anybody's)."""
        ...

    def merged_change_requests(self, sha: str) -> Sequence[int]:
        """The merged change requests whose merge made commit `sha` (may lag the merge)."""
        ...


class RunLog(Protocol):
    """Where a host's hook reports: the run's log (`say`) and its annotations."""

    def annotate(self, level: Level, message: str) -> None: ...

    def say(self, line: str) -> None: ...


class ReviewHost(Protocol):
    words: Words
    comment_limit: int
    truncation_note: str
    merged_delays: tuple[float, ...]

    def session(self) -> AbstractContextManager[HostSession]: ...

    def annotation(self, level: Level, message: str) -> str:
        """One log line the host shows as an error, warning or notice."""
        ...

    def untrusted(self, text: str, token: str) -> list[str]:
        """Log lines showing `text` (descriptor or Cortex content) as inert data; `token`
        is random per run and not in `text`, for hosts that fence such text."""
        ...

    def problem_lines(self, problems: Sequence[Problem], files: int) -> list[str]:
        """The validation problems as the job log shows them, one per line."""
        ...

    def since(
        self, log: RunLog, settings: Settings, source: Source, base: str | None
    ) -> tuple[Source, Since]:
        """`source` again from where the last recorded complete apply says removals
        start (unchanged when the host records none), and that starting point."""
        ...

    def record(
        self, log: RunLog, settings: Settings, since: Since, plan: Plan, failure: str | None
    ) -> None:
        """Record an apply of `since.head` (complete when `failure` is None), if the host can."""
        ...
