"""The few GitLab REST calls the merge-request flow needs, over httpx.

Same hygiene as the GitHub client: the token lives in a `Secret`, is sent only to the
configured API origin, and is redacted from every error. A project access token
(`GITLAB_TOKEN`, sent as `PRIVATE-TOKEN`) can read and write merge-request notes; the
job's own `CI_JOB_TOKEN` (sent as `JOB-TOKEN`) cannot write notes, so without a
`GITLAB_TOKEN` the flow reads what it can and says what it could not post. Pages
follow GitLab's `X-Next-Page`; connection failures, 5xx on reads and 429 (with
`Retry-After`) are retried within the retry policy's budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from scorecards_sync import __version__
from scorecards_sync.cortex.retry import RetryKind, RetryPolicy, RetryState, parse_retry_after
from scorecards_sync.cortex.secret import Secret
from scorecards_sync.errors import ConfigError, GitLabError, redact

logger = logging.getLogger(__name__)

ENV_API_URL = "CI_API_V4_URL"
ENV_TOKEN = "GITLAB_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_JOB_TOKEN = "CI_JOB_TOKEN"  # noqa: S105 - the name of a variable, not a secret
DEFAULT_API_URL = "https://gitlab.com/api/v4"
PER_PAGE = 100
# Far beyond any merge request's note count; stops a server that pages in a loop.
MAX_PAGES = 1000
DEFAULT_POLICY = RetryPolicy(
    max_retries=4, max_throttled_retries=5, budget_seconds=150.0, backoff_base=1.0
)
_HINTS = {
    401: "the token is missing, expired or wrong",
    403: "the token lacks a permission: notes need a project access token with the api "
    "scope and the Reporter role, in GITLAB_TOKEN",
    404: "check CI_PROJECT_ID and that the token can see the project",
}


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

    @property
    def merged(self) -> bool:
        return self.state == "merged"

    def brought(self, sha: str) -> bool:
        """Whether merging this merge request made commit `sha` (merge, squash or fast-forward)."""
        return self.merged and sha in (self.merge_commit_sha, self.squash_commit_sha)


class GitLabClient:
    """Merge-request notes of one project. A context manager."""

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
        self._token = token if isinstance(token, Secret) else Secret(token)
        self._header = "JOB-TOKEN" if job_token else "PRIVATE-TOKEN"
        self.can_write_notes = not job_token
        parts = urlsplit(api_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{ENV_API_URL} must be an http(s) URL, got {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self._policy = policy
        self._sleep = sleep
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": f"scorecards-sync/{__version__}"},
            follow_redirects=False,
        )

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

    def __enter__(self) -> GitLabClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"GitLabClient(api_url={self.api_url!r})"

    # -- operations ----------------------------------------------------------------------------

    def list_notes(self, project: str, iid: int) -> list[Note]:
        """Every note of a merge request, oldest first, all pages."""
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes"
        return [_note(item) for item in self._paginate(path, {"sort": "asc"})]

    def create_note(self, project: str, iid: int, body: str) -> Note:
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes"
        return _note(self._request("POST", path, json={"body": body}).json())

    def update_note(self, project: str, iid: int, note_id: int, body: str) -> Note:
        path = f"/projects/{_project(project)}/merge_requests/{int(iid)}/notes/{int(note_id)}"
        return _note(self._request("PUT", path, json={"body": body}).json())

    def current_user(self) -> str:
        """The username the token acts as (a project access token's bot user)."""
        body = self._request("GET", "/user").json()
        name = body.get("username") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise GitLabError("GitLab answered GET /user without a username")
        return name

    def merge_requests_for_commit(self, project: str, sha: str) -> list[MergeRequest]:
        """The merge requests GitLab associates with a commit."""
        if not sha.isalnum() or not 7 <= len(sha) <= 64:
            raise GitLabError(f"{sha!r} is not a commit SHA")
        path = f"/projects/{_project(project)}/repository/commits/{sha}/merge_requests"
        return [_merge_request(item) for item in self._paginate(path, {})]

    # -- transport -----------------------------------------------------------------------------

    def _paginate(self, path: str, params: Mapping[str, str]) -> Iterator[Mapping[str, Any]]:
        page = "1"
        for _ in range(MAX_PAGES):
            query = {**params, "per_page": str(PER_PAGE), "page": page}
            items = self._request("GET", path, params=query)
            body = items.json()
            if not isinstance(body, list):
                raise GitLabError(f"GitLab answered GET {path} with something other than a list")
            yield from body
            following = (items.headers.get("x-next-page") or "").strip()
            if not following:
                return
            if not following.isdigit():
                raise GitLabError(f"GitLab answered GET {path} with a bad X-Next-Page")
            page = following
        raise GitLabError(f"GET {path} has more than {MAX_PAGES} pages; giving up")

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        state = RetryState(self._policy)
        idempotent = method != "POST"
        while True:
            try:
                response = self._http.request(
                    method,
                    f"{self.api_url}{path}",
                    json=json,
                    params=params,
                    headers={self._header: self._token.reveal()},
                )
            except httpx.TransportError as exc:
                # A POST that may have reached GitLab is not repeated: it would post twice.
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                delay = state.next_delay(RetryKind.TRANSIENT) if idempotent or not sent else None
                reason = self._redact(f"{type(exc).__name__}: {exc}")
                if delay is None:
                    raise GitLabError(
                        f"cannot reach GitLab at {self.api_url} ({method} {path}): {reason}",
                        method=method,
                        path=path,
                    ) from None
                logger.info("%s %s failed (%s); retrying in %.1fs", method, path, reason, delay)
                self._sleep(delay)
                continue
            if response.is_success:
                return response
            delay = self._retry_delay(response, state, idempotent=idempotent)
            if delay is None:
                raise self._error(response, method, path)
            logger.info(
                "%s %s answered %d; retrying in %.1fs", method, path, response.status_code, delay
            )
            self._sleep(delay)

    def _retry_delay(
        self, response: httpx.Response, state: RetryState, *, idempotent: bool
    ) -> float | None:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429:
            return state.next_delay(RetryKind.THROTTLED, retry_after)
        if status >= 500 and idempotent:
            return state.next_delay(RetryKind.TRANSIENT, retry_after)
        return None

    def _error(self, response: httpx.Response, method: str, path: str) -> GitLabError:
        status = response.status_code
        said = _message(response)
        text = f"GitLab answered {status} to {method} {path}"
        if said:
            text += f": {said}"
        if status in _HINTS:
            text += f" ({_HINTS[status]})"
        return GitLabError(self._redact(text), method=method, path=path, status=status)

    def _redact(self, text: str) -> str:
        return redact(text, self._token.reveal())


def _project(project: str) -> str:
    """A project id (`42`) or path (`group/sub/name`), as GitLab wants it in a URL."""
    if not project or any(c.isspace() for c in project):
        raise GitLabError(f"{project!r} is not a GitLab project id or path")
    return quote(project, safe="")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if not isinstance(body, dict):
        return ""
    said = body.get("message") or body.get("error") or ""
    return str(said)[:500]


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
    )
