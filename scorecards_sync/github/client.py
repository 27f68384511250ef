"""The few GitHub REST calls the pull-request workflow needs, over httpx.

Same hygiene as the Cortex client: the token lives in a `Secret`, is sent only to
the configured API origin (pagination links elsewhere are refused), and is
redacted from every error. Retries are bounded in count and time: connection
failures and 5xx back off with jitter; rate limits (403/429 with `Retry-After`,
or an exhausted `x-ratelimit-remaining` with `x-ratelimit-reset`) wait as long as
GitHub says, unless that is longer than the time budget, which fails at once
with a message saying when to come back.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from scorecards_sync.cortex.retry import RetryKind, RetryPolicy, RetryState, parse_retry_after
from scorecards_sync.cortex.secret import Secret
from scorecards_sync.errors import ConfigError, GitHubError
from scorecards_sync.host_client import DEFAULT_POLICY, PER_PAGE, HostClient, Page, error_body

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
ENV_API_URL = "GITHUB_API_URL"
ENV_TOKEN = "GITHUB_TOKEN"  # noqa: S105 - the name of a variable, not a secret
API_VERSION = "2022-11-28"
# GitHub asks clients that hit a secondary rate limit without a Retry-After to wait a minute.
SECONDARY_LIMIT_WAIT = 60.0

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class IssueComment:
    id: int
    body: str
    html_url: str
    user_login: str

    @property
    def author(self) -> str:
        return self.user_login

    @property
    def url(self) -> str:
        return self.html_url


@dataclass(frozen=True)
class PullRequest:
    number: int
    state: str
    title: str
    html_url: str
    base_ref: str
    head_sha: str
    merged_at: str | None
    merge_commit_sha: str | None
    # The base branch's tip as GitHub last recorded it for the pull request; for a merged one,
    # not necessarily the merge commit's first parent (the push event's `before` is that).
    base_sha: str | None = None

    @property
    def merged(self) -> bool:
        return self.merged_at is not None


@dataclass(frozen=True)
class Issue:
    number: int
    state: str
    body: str
    html_url: str
    user_login: str


@dataclass(frozen=True)
class Deployment:
    id: int
    sha: str
    environment: str
    created_at: str
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False)


class GitHubClient(HostClient):
    """Issue comments, pull requests and deployments of one repository. A context manager."""

    host_name = "GitHub"
    env_api_url = ENV_API_URL
    error_type = GitHubError

    def __init__(
        self,
        token: str | Secret,
        *,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            token,
            api_url=api_url,
            transport=transport,
            timeout=timeout,
            policy=policy,
            sleep=sleep,
            clock=clock,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        token: str | Secret | None = None,
        **kwargs: Any,
    ) -> GitHubClient:
        """Token from `token` or `GITHUB_TOKEN`, API URL from `GITHUB_API_URL` (GHES)."""
        env = os.environ if environ is None else environ
        chosen = token if token is not None else env.get(ENV_TOKEN, "").strip()
        if not chosen:
            raise ConfigError(
                f"no GitHub token: set {ENV_TOKEN} (in a workflow: "
                "`env: GITHUB_TOKEN: ${{ github.token }}`)"
            )
        api_url = env.get(ENV_API_URL, "").strip() or DEFAULT_API_URL
        return cls(chosen, api_url=api_url, **kwargs)

    # -- operations ----------------------------------------------------------------------------

    def list_issue_comments(self, repository: str, number: int) -> list[IssueComment]:
        """Every comment of an issue or pull request, oldest first, all pages."""
        path = f"/repos/{_repo_path(repository)}/issues/{int(number)}/comments"
        return [_comment(item) for item in self._paginate(path)]

    def create_issue_comment(self, repository: str, number: int, body: str) -> IssueComment:
        path = f"/repos/{_repo_path(repository)}/issues/{int(number)}/comments"
        return _comment(self._json("POST", path, json={"body": body}))

    def update_issue_comment(self, repository: str, comment_id: int, body: str) -> IssueComment:
        path = f"/repos/{_repo_path(repository)}/issues/comments/{int(comment_id)}"
        return _comment(self._json("PATCH", path, json={"body": body}))

    def pulls_for_commit(self, repository: str, sha: str) -> list[PullRequest]:
        """Pull requests associated with a commit (for a merge commit: the one merged)."""
        if not re.fullmatch(r"[0-9a-fA-F]{7,64}", sha):
            raise GitHubError(f"{sha!r} is not a commit SHA")
        path = f"/repos/{_repo_path(repository)}/commits/{sha}/pulls"
        return [_pull(item) for item in self._paginate(path)]

    def issues_with_label(self, repository: str, label: str) -> list[Issue]:
        """Issues (open and closed, newest first, one page) carrying `label`."""
        path = f"/repos/{_repo_path(repository)}/issues"
        query = urlencode({"labels": label, "state": "all", "per_page": PER_PAGE})
        items = self._json("GET", f"{path}?{query}", display_path=path)
        if not isinstance(items, list):
            raise GitHubError(f"GitHub answered GET {path} with something other than a list")
        return [_issue(item) for item in items if not _is_pull(item)]

    def create_issue(
        self, repository: str, *, title: str, body: str, labels: tuple[str, ...]
    ) -> Issue:
        path = f"/repos/{_repo_path(repository)}/issues"
        body_json = {"title": title, "body": body, "labels": list(labels)}
        return _issue(self._json("POST", path, json=body_json))

    def update_issue(
        self, repository: str, number: int, *, body: str | None = None, state: str | None = None
    ) -> Issue:
        path = f"/repos/{_repo_path(repository)}/issues/{int(number)}"
        changes = {k: v for k, v in (("body", body), ("state", state)) if v is not None}
        return _issue(self._json("PATCH", path, json=changes))

    def list_deployments(self, repository: str, environment: str) -> list[Deployment]:
        """The newest deployments (one page, newest first) to `environment`."""
        path = f"/repos/{_repo_path(repository)}/deployments"
        query = urlencode({"environment": environment, "per_page": PER_PAGE})
        items = self._json("GET", f"{path}?{query}", display_path=path)
        if not isinstance(items, list):
            raise GitHubError(f"GitHub answered GET {path} with something other than a list")
        return [_deployment(item) for item in items]

    def deployment_state(self, repository: str, deployment_id: int) -> str | None:
        """The state of a deployment's newest status (`success`, `failure`, ...), if any."""
        path = f"/repos/{_repo_path(repository)}/deployments/{int(deployment_id)}/statuses"
        items = self._json("GET", f"{path}?per_page=1", display_path=path)
        if not isinstance(items, list):
            raise GitHubError(f"GitHub answered GET {path} with something other than a list")
        first = items[0] if items else None
        return str(first.get("state")) if isinstance(first, dict) else None

    def create_deployment(
        self,
        repository: str,
        *,
        ref: str,
        environment: str,
        description: str,
        payload: Mapping[str, Any],
    ) -> Deployment:
        """A deployment of `ref`, made whatever the commit's checks say (they gate merging)."""
        body = {
            "ref": ref,
            "environment": environment,
            "description": description[:140],
            "payload": dict(payload),
            "auto_merge": False,
            "required_contexts": [],
        }
        path = f"/repos/{_repo_path(repository)}/deployments"
        return _deployment(self._json("POST", path, json=body))

    def create_deployment_status(
        self,
        repository: str,
        deployment_id: int,
        *,
        state: str,
        description: str,
        log_url: str | None = None,
    ) -> None:
        body: dict[str, Any] = {"state": state, "description": description[:140]}
        if log_url:
            body["log_url"] = log_url
        path = f"/repos/{_repo_path(repository)}/deployments/{int(deployment_id)}/statuses"
        self._request("POST", path, json=body)

    # -- transport -----------------------------------------------------------------------------

    def _auth_header(self, token: str) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _next_page(
        self, response: httpx.Response, path: str, query: Mapping[str, str] | None
    ) -> Page | None:
        url = response.links.get("next", {}).get("url")
        return (url, None) if url else None

    def _retry_delay(
        self,
        response: httpx.Response,
        state: RetryState,
        method: str,
        shown: str,
        *,
        idempotent: bool,
    ) -> float | None:
        status = response.status_code
        if status in (403, 429):
            wait = _rate_limit_wait(response)
            if wait is None and status == 403:
                return None  # a missing permission, not a rate limit
            delay = state.next_delay(RetryKind.THROTTLED, wait)
            if delay is None:
                raise self._error(response, method, shown, extra=_throttle_hint(response, wait))
            logger.info("%s %s rate limited (%d); waiting %.1fs", method, shown, status, delay)
            return delay
        return super()._retry_delay(response, state, method, shown, idempotent=idempotent)

    def _error(
        self, response: httpx.Response, method: str, shown: str, *, extra: str = ""
    ) -> GitHubError:
        status = response.status_code
        github_message = _message(response, self._redact)
        hint = extra or _HINTS.get(status, "")
        text = f"GitHub answered {status} to {method} {shown}"
        if github_message:
            text += f": {github_message}"
        if hint:
            text += f" ({hint})"
        request_id = _header(response, "x-github-request-id")
        return GitHubError(
            self._redact(text),
            method=method,
            path=shown,
            status=status,
            github_message=self._redact(github_message) if github_message else None,
            request_id=request_id,
        )


_HINTS = {
    401: "the token is missing, expired or wrong",
    403: "the token lacks a permission: give the workflow `permissions: pull-requests: write`",
    404: "check GITHUB_REPOSITORY and that the token can see the repository",
    422: "GitHub refused the content",
}


def _repo_path(repository: str) -> str:
    if not _REPOSITORY.match(repository):
        raise GitHubError(f"{repository!r} is not an owner/name repository")
    owner, name = repository.split("/")
    return f"{quote(owner, safe='')}/{quote(name, safe='')}"


def _header(response: httpx.Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value if value else None


def _throttle_hint(response: httpx.Response, wait: float | None) -> str:
    reset = _header(response, "x-ratelimit-reset")
    until = f" until {reset_time_text(int(reset))}" if reset and reset.isdigit() else ""
    asked = f"; GitHub asks to wait {wait:.0f}s more" if wait else ""
    return f"rate limited{until}{asked}, longer than this run may wait: re-run the job later"


def _rate_limit_wait(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds GitHub asks us to wait, or None when this 403/429 is not a rate limit."""
    retry_after = parse_retry_after(_header(response, "retry-after"))
    if retry_after is not None:
        return retry_after
    if _header(response, "x-ratelimit-remaining") == "0":
        reset = _header(response, "x-ratelimit-reset")
        if reset is not None and reset.isdigit():
            current = time.time() if now is None else now
            return max(0.0, int(reset) - current) + 1.0
    message = (_message(response) or "").lower()
    if "rate limit" in message:
        return SECONDARY_LIMIT_WAIT
    return None


def _message(response: httpx.Response, redact: Callable[[str], str] = str) -> str:
    """What GitHub said, `redact`ed before it is cut (a cut token would not be redacted)."""
    body = error_body(response, redact)
    if isinstance(body, str):
        return body
    message = str(body.get("message") or "")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        details = "; ".join(
            str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
            for e in errors[:5]
        )
        message = f"{message} ({details})" if message else details
    return redact(message)[:500]


def _comment(item: Any) -> IssueComment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise GitHubError("GitHub returned a comment without an id")
    user = item.get("user") or {}
    return IssueComment(
        id=item["id"],
        body=str(item.get("body") or ""),
        html_url=str(item.get("html_url") or ""),
        user_login=str(user.get("login") or "") if isinstance(user, dict) else "",
    )


def _pull(item: Any) -> PullRequest:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        raise GitHubError("GitHub returned a pull request without a number")
    base = item.get("base") or {}
    head = item.get("head") or {}
    return PullRequest(
        number=item["number"],
        state=str(item.get("state") or ""),
        title=str(item.get("title") or ""),
        html_url=str(item.get("html_url") or ""),
        base_ref=str(base.get("ref") or "") if isinstance(base, dict) else "",
        head_sha=str(head.get("sha") or "") if isinstance(head, dict) else "",
        merged_at=str(item["merged_at"]) if item.get("merged_at") else None,
        merge_commit_sha=str(item["merge_commit_sha"]) if item.get("merge_commit_sha") else None,
        base_sha=str(base["sha"]) if isinstance(base, dict) and base.get("sha") else None,
    )


def _issue(item: Any) -> Issue:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        raise GitHubError("GitHub returned an issue without a number")
    user = item.get("user") or {}
    return Issue(
        number=item["number"],
        state=str(item.get("state") or ""),
        body=str(item.get("body") or ""),
        html_url=str(item.get("html_url") or ""),
        user_login=str(user.get("login") or "") if isinstance(user, dict) else "",
    )


def _is_pull(item: Any) -> bool:
    return isinstance(item, dict) and "pull_request" in item


def _deployment(item: Any) -> Deployment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise GitHubError("GitHub returned a deployment without an id")
    payload = item.get("payload")
    return Deployment(
        id=item["id"],
        sha=str(item.get("sha") or ""),
        environment=str(item.get("environment") or ""),
        created_at=str(item.get("created_at") or ""),
        payload=payload if isinstance(payload, dict) else {},
    )


def reset_time_text(epoch_seconds: int) -> str:
    """A rate-limit reset as people read it in a CI log."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%H:%M:%S UTC")
