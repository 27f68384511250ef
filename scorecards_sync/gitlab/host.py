"""GitLab as a host of the review core (`review.host.ReviewHost`).

Merge requests and their notes (system notes left out), the token's own user as the
only author whose notes count (a project access token's bot: nobody else can plant a
marker), plain `error:`/`warning:` lines and `path:line:column` problems in the job log
(the Code Quality report is written beside it from the same problems), and the record
of the last complete apply: the apply job's own deployments to its environment, which
GitLab ends with the job's exit status (`gitlab.deployments`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from scorecards_sync.config import Settings
from scorecards_sync.gitlab.client import GitLabClient, Note
from scorecards_sync.gitlab.deployments import Environment, record_lines, since_deployment
from scorecards_sync.plan import Plan
from scorecards_sync.problems import Problem
from scorecards_sync.record import Since
from scorecards_sync.render.problems import render_text
from scorecards_sync.review.host import Level, RunLog, Words
from scorecards_sync.review.sticky import TRUNCATION_NOTE
from scorecards_sync.safe_text import one_line
from scorecards_sync.workflow import Source

# GitLab refuses a note longer than this many characters.
MAX_NOTE_CHARS = 1_000_000
WHY_NO_NOTES = (
    "CI_JOB_TOKEN cannot write notes. Set GITLAB_TOKEN to a project access token (api "
    "scope) as a masked variable."
)

WORDS = Words(
    change_request="merge request",
    prefix="!",
    comment="note",
    pipeline="pipeline",
    run="pipeline",
    apply_name="--apply",
    problems_where="the merge request's Code Quality report and the job log",
    summary_where="the job log",
)


@dataclass(frozen=True)
class MergeRequestThread:
    """The notes of one merge request, as the review core's `CommentThread`."""

    client: GitLabClient
    project: str
    iid: int

    def list_comments(self) -> list[Note]:
        return [n for n in self.client.list_notes(self.project, self.iid) if not n.system]

    def create_comment(self, body: str) -> Note:
        return self.client.create_note(self.project, self.iid, body)

    def update_comment(self, comment_id: int, body: str) -> Note:
        return self.client.update_note(self.project, self.iid, comment_id, body)


@dataclass
class GitLabSession:
    client: GitLabClient
    project: str
    _user: list[str] = field(default_factory=list)

    @property
    def cannot_comment(self) -> str | None:
        return None if self.client.can_write_notes else WHY_NO_NOTES

    def thread(self, number: int) -> MergeRequestThread:
        return MergeRequestThread(self.client, self.project, number)

    def author(self) -> str | None:
        if not self._user:
            self._user.append(self.client.current_user())
        return self._user[0]

    def merged_change_requests(self, sha: str) -> Sequence[int]:
        found = self.client.merge_requests_for_commit(self.project, sha)
        return [mr.number for mr in found if mr.brought(sha)]


class GitLabHost:
    words = WORDS
    comment_limit = MAX_NOTE_CHARS
    truncation_note = TRUNCATION_NOTE

    def __init__(
        self,
        gitlab: Callable[[], GitLabClient],
        project: str,
        *,
        sha: str,
        environment: Environment,
        merged_delays: tuple[float, ...],
    ) -> None:
        self.gitlab = gitlab
        self.project = project
        self.sha = sha
        self.environment = environment
        self.merged_delays = merged_delays
        self._said: set[str] = set()  # one job, one deployment: said once for all workspaces

    @contextmanager
    def session(self) -> Iterator[GitLabSession]:
        with self.gitlab() as client:
            yield GitLabSession(client, self.project)

    def annotation(self, level: Level, message: str) -> str:
        return f"{level}: {one_line(message)}"

    def untrusted(self, text: str, token: str) -> list[str]:
        return [text]  # GitLab's runner obeys no command in the job log

    def problem_lines(self, problems: Sequence[Problem], files: int) -> list[str]:
        report = render_text(problems, files)
        return [*report.stdout, *report.stderr]

    def since(
        self, log: RunLog, settings: Settings, source: Source, base: str | None
    ) -> tuple[Source, Since]:
        return since_deployment(self.environment, log, settings, source, base, sha=self.sha)

    def record(
        self, log: RunLog, settings: Settings, since: Since, plan: Plan, failure: str | None
    ) -> None:
        for level, line in record_lines(self.environment, self.sha, failure):
            if line in self._said:
                continue
            self._said.add(line)
            if level:
                log.annotate("warning", line)
            else:
                log.say(line)
