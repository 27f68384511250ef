"""The few GitLab REST calls the merge-request flow needs, over httpx.

The transport is the one the GitHub client uses (`host_client.HostClient`): the token
lives in a `Secret`, is sent only to the configured API origin, and is redacted from
every error. A project access token
(`GITLAB_TOKEN`, sent as `PRIVATE-TOKEN`) can read and write merge-request notes; the
job's own `CI_JOB_TOKEN` (sent as `JOB-TOKEN`) cannot write notes, so without a
`GITLAB_TOKEN` the flow reads what it can and says what it could not post. Pages
follow GitLab's `X-Next-Page`; connection failures, 5xx on reads and 429 (with
`Retry-After`) are retried within the retry policy's budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from scorecards_sync.cortex.retry import RetryPolicy
from scorecards_sync.cortex.secret import Secret
from scorecards_sync.errors import ConfigError, GitLabError
from scorecards_sync.host_client import DEFAULT_POLICY, HostClient, Page, error_body

logger = logging.getLogger(__name__)

ENV_API_URL = "CI_API_V4_URL"
ENV_TOKEN = "GITLAB_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_JOB_TOKEN = "CI_JOB_TOKEN"  # noqa: S105 - the name of a variable, not a secret
DEFAULT_API_URL = "https://gitlab.com/api/v4"
_HINTS = {
    401: "the token is missing, expired or wrong",
    403: "the token lacks a permission: notes need a project access token with the api "
    "scope and the Reporter role, in GITLAB_TOKEN",
    404: "check CI_PROJECT_ID and that the token can see the project",
}
# GitLab sorts deployments by `finished_at` only together with a `finished_*` filter and
# the `success` status (its DeploymentsFinder refuses the sort alone with a 400): this
# filter keeps every finished deployment.
_FINISHED_AFTER = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class Note:
    """One note (comment) of a merge request."""

    id: int
    body: str
    author: str
    url: str
    system: bool = False


@dataclass(frozen=True)
class MergeRequest:
    number: int  # the merge request's iid, as people write it (!12)
    state: str
    web_url: str
    merge_commit_sha: str | None
    squash_commit_sha: str | None
    head_sha: str | None = None  # the merge request's head (`sha`)

    @property
    def merged(self) -> bool:
        return self.state == "merged"

    def brought(self, sha: str) -> bool:
        """Whether merging this merge request made commit `sha` (merge, squash or fast-forward).

        A fast-forward merge makes no merge commit: GitLab gives no `merge_commit_sha`, and
        the commit the branch moved to is the merge request's head (`head_sha`)."""
        if not self.merged:
            return False
        if sha in (self.merge_commit_sha, self.squash_commit_sha):
            return True
        fast_forward = self.merge_commit_sha is None and self.squash_commit_sha is None
        return fast_forward and sha == self.head_sha


@dataclass(frozen=True)
class Deployment:
    """One deployment to an environment: the commit deployed and how it ended."""

    id: int
    sha: str
    ref: str
    status: str
    finished_at: str  # when its job finished (when it was last updated, without a job)
    job_url: str = ""


class GitLabClient(HostClient):
    """Merge-request notes of one project. A context manager."""

    host_name = "GitLab"
    env_api_url = ENV_API_URL
    error_type = GitLabError

    def __init__(
        self,
        token: str | Secret,
        *,
        job_token: bool = False,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            token, api_url=api_url, transport=transport, timeout=timeout, policy=policy, sleep=sleep
        )
        self._header = "JOB-TOKEN" if job_token else "PRIVATE-TOKEN"
        self.can_write_notes = not job_token

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **kwargs: Any) -> GitLabClient:
        """`GITLAB_TOKEN` when set, else the job's `CI_JOB_TOKEN`; the API from `CI_API_V4_URL`."""
        api_url = environ.get(ENV_API_URL, "").strip() or DEFAULT_API_URL
        token = environ.get(ENV_TOKEN, "").strip()
        if token:
            return cls(token, api_url=api_url, **kwargs)
        job_token = environ.get(ENV_JOB_TOKEN, "").strip()
        if job_token:
            return cls(job_token, job_token=True, api_url=api_url, **kwargs)
        raise ConfigError(
            f"no GitLab token: set {ENV_TOKEN} to a project access token (api scope) "
            "as a masked CI/CD variable"
        )

    # -- operations ----------------------------------------------------------------------------

    def list_notes(self, project: str, iid: int) -> list[Note]:
        """Every note of a merge request, oldest first, all pages."""
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes"
        return [_note(item) for item in self._paginate(path, {"sort": "asc", "page": "1"})]

    def create_note(self, project: str, iid: int, body: str) -> Note:
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes"
        return _note(self._json("POST", path, json={"body": body}))

    def update_note(self, project: str, iid: int, note_id: int, body: str) -> Note:
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes/{int(note_id)}"
        return _note(self._json("PUT", path, json={"body": body}))

    def current_user(self) -> str:
        """The username the token acts as (a project access token's bot user)."""
        body = self._json("GET", "/user")
        name = body.get("username") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise GitLabError("GitLab answered GET /user without a username")
        return name

    def merge_requests_for_commit(self, project: str, sha: str) -> list[MergeRequest]:
        """The merge requests GitLab associates with a commit."""
        if not sha.isalnum() or not 7 <= len(sha) <= 64:
            raise GitLabError(f"{sha!r} is not a commit SHA")
        path = f"/projects/{_project(project)}/repository/commits/{sha}/merge_requests"
        return [_merge_request(item) for item in self._paginate(path, {"page": "1"})]

    def last_successful_deployment(self, project: str, environment: str) -> Deployment | None:
        """The deployment to `environment` that finished last with status `success`, if any."""
        path = f"/projects/{_project(project)}/deployments"
        query = {
            "environment": environment,
            "status": "success",
            "order_by": "finished_at",
            "sort": "desc",
            "finished_after": _FINISHED_AFTER,
            "per_page": "1",
        }
        items = self._json("GET", path, params=query)
        if not isinstance(items, list):
            raise GitLabError(f"GitLab answered GET {path} with something other than a list")
        return _deployment(items[0]) if items else None

    # -- transport -----------------------------------------------------------------------------

    def _auth_header(self, token: str) -> Mapping[str, str]:
        return {self._header: token}

    def _next_page(
        self, response: httpx.Response, path: str, query: Mapping[str, str] | None
    ) -> Page | None:
        following = (response.headers.get("x-next-page") or "").strip()
        if not following:
            return None
        if not following.isdigit():
            raise GitLabError(f"GitLab answered GET {path} with a bad X-Next-Page")
        return f"{self.api_url}{path}", {**(query or {}), "page": following}

    def _error(
        self, response: httpx.Response, method: str, path: str, *, extra: str = ""
    ) -> GitLabError:
        status = response.status_code
        said = _message(response, self._redact)
        text = f"GitLab answered {status} to {method} {path}"
        if said:
            text += f": {said}"
        hint = extra or _HINTS.get(status, "")
        if hint:
            text += f" ({hint})"
        return GitLabError(self._redact(text), method=method, path=path, status=status)


def _project(project: str) -> str:
    """A project id (`42`) or path (`group/sub/name`), as GitLab wants it in a URL."""
    if not project or any(c.isspace() for c in project):
        raise GitLabError(f"{project!r} is not a GitLab project id or path")
    return quote(project, safe="")


def _message(response: httpx.Response, redact: Callable[[str], str]) -> str:
    """What GitLab said, `redact`ed before it is cut (a cut token would not be redacted)."""
    body = error_body(response, redact)
    if isinstance(body, str):
        return body
    said = body.get("message") or body.get("error") or ""
    return redact(str(said))[:500]


def _note(item: Any) -> Note:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise GitLabError("GitLab returned a note without an id")
    author = item.get("author") or {}
    return Note(
        id=item["id"],
        body=str(item.get("body") or ""),
        author=str(author.get("username") or "") if isinstance(author, dict) else "",
        url="",
        system=bool(item.get("system")),
    )


def _merge_request(item: Any) -> MergeRequest:
    if not isinstance(item, dict) or not isinstance(item.get("iid"), int):
        raise GitLabError("GitLab returned a merge request without an iid")
    return MergeRequest(
        number=item["iid"],
        state=str(item.get("state") or ""),
        web_url=str(item.get("web_url") or ""),
        merge_commit_sha=str(item["merge_commit_sha"]) if item.get("merge_commit_sha") else None,
        squash_commit_sha=str(item["squash_commit_sha"]) if item.get("squash_commit_sha") else None,
        head_sha=str(item["sha"]) if item.get("sha") else None,
    )


def _deployment(item: Any) -> Deployment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise GitLabError("GitLab returned a deployment without an id")
    job = item.get("deployable")
    job = job if isinstance(job, dict) else {}
    finished = job.get("finished_at") or item.get("updated_at") or item.get("created_at")
    return Deployment(
        id=item["id"],
        sha=str(item.get("sha") or ""),
        ref=str(item.get("ref") or ""),
        status=str(item.get("status") or ""),
        finished_at=str(finished or ""),
        job_url=str(job.get("web_url") or ""),
    )
