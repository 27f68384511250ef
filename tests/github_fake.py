"""A small, stateful stand-in for GitHub's REST API on 127.0.0.1, for tests.

It serves what the pull-request workflow calls: issue comments (list with
`Link` pagination, create, update), the pull requests of a commit, and deployments
with their statuses (list newest first, create). It checks
the token, records every request (without the Authorization header), refuses
comments over GitHub's 65,536 characters, and on demand answers with a
secondary rate limit (403 + Retry-After), a primary one (x-ratelimit-reset) or
a 5xx, answers `commits/{sha}/pulls` empty for a while after a merge (as GitHub
does), deletes a comment right after listing it, or carries out a request but answers
it with bytes of the test's choosing (`spoil`). Standard library only.

    with FakeGitHub(token="t") as github:
        github.api_url  # "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from fake_http import JsonHandler, Loopback, LoopbackFake

MAX_COMMENT_CHARS = 65_536
BOT_LOGIN = "github-actions[bot]"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class _Injected:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    # Carry the request out, then answer with the failure anyway (a lost response).
    after_effect: bool = False


@dataclass
class FakeGitHub(LoopbackFake):
    token: str = "ghs_fake-token-0123456789"
    read_only: bool = False
    max_per_page: int = 100
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    # How many more `commits/{sha}/pulls` calls answer empty, as GitHub does right after a merge.
    pulls_lag: int = 0
    # Per repository, newest first; statuses per deployment id, newest first.
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # (method, end of the path, answer): see `spoil`.
    spoiled: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)
        self._injected: deque[_Injected] = deque()
        self._delete_after_listing: set[int] = set()
        self._loopback = Loopback()

    # -- lifecycle -------------------------------------------------------------------------

    def _served_by(self) -> tuple[type[JsonHandler], str]:
        return _Handler, "github"

    @property
    def api_url(self) -> str:
        return self._loopback.origin

    # -- state set-up ----------------------------------------------------------------------

    def add_comment(
        self, repository: str, number: int, body: str, *, user: str = "octocat"
    ) -> dict[str, Any]:
        with self._lock:
            return self._new_comment(repository, number, body, user)

    def deployment_states(self, repository: str, environment: str) -> list[tuple[str, str]]:
        """`(sha, newest status state)` of each deployment to `environment`, newest first."""
        with self._lock:
            return [
                (d["sha"], (self.statuses.get(d["id"]) or [{"state": ""}])[0]["state"])
                for d in self.deployments.get(repository, [])
                if d["environment"] == environment
            ]

    def add_pull(
        self,
        repository: str,
        sha: str,
        number: int,
        *,
        merged: bool = True,
        base_ref: str = "main",
        base_sha: str = "0" * 40,
        title: str = "Change scorecards",
        merge_commit_sha: str | None = None,
    ) -> dict[str, Any]:
        """A pull request listed for commit `sha`; merged by default, into that very commit.

        `merge_commit_sha` names another merge commit: a pull request that merely contains
        `sha` (a branch merged again later, a base branch's commit).
        """
        pull = {
            "number": number,
            "state": "closed" if merged else "open",
            "title": title,
            "html_url": f"https://github.example/{repository}/pull/{number}",
            "base": {"ref": base_ref, "sha": base_sha},
            "head": {"ref": f"feature-{number}", "sha": f"{number:040x}"},
            "merged_at": "2024-01-02T03:04:05Z" if merged else None,
            "merge_commit_sha": (merge_commit_sha or sha) if merged else None,
        }
        with self._lock:
            self.pulls.setdefault((repository, sha), []).append(pull)
        return pull

    def comments_of(self, repository: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.comments.get((repository, number), [])]

    # -- faults ----------------------------------------------------------------------------

    def delete_after_next_listing(self, comment_id: int) -> None:
        """Someone deletes the comment right after the next listing of comments is answered."""
        with self._lock:
            self._delete_after_listing.add(comment_id)

    def throttle_next(
        self,
        count: int = 1,
        *,
        status: int = 403,
        retry_after: int | None = 0,
        reset_in: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next `count` requests hit a rate limit.

        `retry_after` sets `Retry-After` (a secondary limit); `reset_in` instead exhausts the
        primary limit until that many seconds from now; with neither, only the message says so.
        `message=""` sends no message at all (a bare 429).
        """
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset_in is not None:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(time.time()) + reset_in)
        default = (
            "API rate limit exceeded for installation."
            if reset_in is not None
            else "You have exceeded a secondary rate limit. Please wait a few minutes before "
            "you try again."
        )
        with self._lock:
            for _ in range(count):
                body = {"message": default if message is None else message} if message != "" else {}
                self._injected.append(_Injected(status, headers, body))

    def fail_next(self, count: int = 1, *, status: int = 502, after_effect: bool = False) -> None:
        """The next `count` requests fail; with `after_effect`, only after taking effect."""
        with self._lock:
            for _ in range(count):
                self._injected.append(
                    _Injected(status, {}, {"message": "Server Error"}, after_effect)
                )

    def spoil(self, method: str, path_end: str, answer: bytes) -> None:
        """The next `method` request whose path ends with `path_end` takes effect, and is
        answered with `answer` as its body (a broken proxy, a hostile server)."""
        with self._lock:
            self.spoiled.append((method, path_end, answer))

    # -- internals -------------------------------------------------------------------------

    def _take_spoiled(self, method: str, path: str) -> bytes | None:
        with self._lock:
            for index, (verb, end, answer) in enumerate(self.spoiled):
                if verb == method and path.endswith(end):
                    del self.spoiled[index]
                    return answer
        return None

    def _new_comment(self, repository: str, number: int, body: str, user: str) -> dict[str, Any]:
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": body,
            "html_url": f"https://github.example/{repository}/pull/{number}#issuecomment-{comment_id}",
            "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }
        self.comments.setdefault((repository, number), []).append(comment)
        return comment

    def _delete_listed(self, repository: str, number: int) -> None:
        with self._lock:
            items = self.comments.get((repository, number), [])
            items[:] = [c for c in items if c["id"] not in self._delete_after_listing]
            self._delete_after_listing.clear()

    def _next_injected(self) -> _Injected | None:
        with self._lock:
            return self._injected.popleft() if self._injected else None


class _Handler(JsonHandler):
    github: FakeGitHub
    protocol_version = "HTTP/1.1"
    content_type = "application/json; charset=utf-8"
    extra_headers: ClassVar[dict[str, str]] = {"X-GitHub-Request-Id": "FAKE:0001"}

    def handle_method(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, {"message": "Problems parsing JSON"})
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        fake = self.github
        with fake._lock:
            fake.requests.append(RecordedRequest(method, parts.path, query, headers, body))
        if self.headers.get("Authorization") not in (
            f"Bearer {fake.token}",
            f"token {fake.token}",
        ):
            self._send(401, {"message": "Bad credentials"})
            return
        injected = fake._next_injected()
        if injected is not None and not injected.after_effect:
            self._send(injected.status, injected.body, injected.headers)
            return
        self._lost = injected
        self._spoiled = None if injected is not None else fake._take_spoiled(method, parts.path)
        segments = parts.path.strip("/").split("/")
        match (method, segments):
            case ("GET", ["repos", owner, name, "issues", number, "comments"]):
                items = fake.comments_of(f"{owner}/{name}", int(number))
                self._send_page(items, query)
                fake._delete_listed(f"{owner}/{name}", int(number))
            case ("POST", ["repos", owner, name, "issues", number, "comments"]):
                self._create(f"{owner}/{name}", int(number), body)
            case ("PATCH", ["repos", owner, name, "issues", "comments", comment_id]):
                self._update(f"{owner}/{name}", int(comment_id), body)
            case ("GET", ["repos", owner, name, "commits", sha, "pulls"]):
                with fake._lock:
                    pulls = list(fake.pulls.get((f"{owner}/{name}", sha), []))
                    if fake.pulls_lag > 0:
                        fake.pulls_lag -= 1
                        pulls = []
                self._send_page(pulls, query)
            case ("GET", ["repos", owner, name, "issues"]):
                label = query.get("labels", [None])[0]
                state = query.get("state", ["open"])[0]
                with fake._lock:
                    items = [
                        dict(i)
                        for i in reversed(fake.issues.get(f"{owner}/{name}", []))
                        if (label is None or label in [x["name"] for x in i["labels"]])
                        and (state == "all" or i["state"] == state)
                    ]
                self._send_page(items, query)
            case ("POST", ["repos", owner, name, "issues"]):
                self._create_issue(f"{owner}/{name}", body)
            case ("PATCH", ["repos", owner, name, "issues", number]):
                self._update_issue(f"{owner}/{name}", int(number), body)
            case ("GET", ["repos", owner, name, "deployments"]):
                environment = query.get("environment", [None])[0]
                with fake._lock:
                    items = [
                        dict(d)
                        for d in fake.deployments.get(f"{owner}/{name}", [])
                        if environment is None or d["environment"] == environment
                    ]
                self._send_page(items, query)
            case ("POST", ["repos", owner, name, "deployments"]):
                self._create_deployment(f"{owner}/{name}", body)
            case ("GET", ["repos", owner, name, "deployments", number, "statuses"]):
                with fake._lock:
                    items = list(fake.statuses.get(int(number), []))
                self._send_page(items, query)
            case ("POST", ["repos", owner, name, "deployments", number, "statuses"]):
                self._create_status(int(number), body)
            case _:
                self._send(404, {"message": "Not Found"})

    def _create_issue(self, repository: str, body: Any) -> None:
        if not self._writable():
            return
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            self._send(422, {"message": "Invalid request.", "errors": ["title is missing"]})
            return
        with self.github._lock:
            issues = self.github.issues.setdefault(repository, [])
            number = 500 + len(issues)
            issue = {
                "number": number,
                "state": "open",
                "title": body["title"],
                "body": body.get("body") or "",
                "labels": [{"name": n} for n in body.get("labels") or []],
                "user": {"login": BOT_LOGIN},
                "html_url": f"https://github.example/{repository}/issues/{number}",
            }
            issues.append(issue)
        self._send(201, issue)

    def _update_issue(self, repository: str, number: int, body: Any) -> None:
        if not self._writable():
            return
        with self.github._lock:
            found = next(
                (i for i in self.github.issues.get(repository, []) if i["number"] == number),
                None,
            )
            if found is not None and isinstance(body, dict):
                for key in ("body", "state", "title"):
                    if key in body:
                        found[key] = body[key]
                found = dict(found)
        if found is None:
            self._send(404, {"message": "Not Found"})
        else:
            self._send(200, found)

    def _create_deployment(self, repository: str, body: Any) -> None:
        if not self._writable():
            return
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            self._send(422, {"message": "Invalid request.", "errors": ["ref is missing"]})
            return
        with self.github._lock:
            deployment = {
                "id": next(self.github._ids),
                "sha": body["ref"],
                "ref": body["ref"],
                "environment": body.get("environment") or "production",
                "description": body.get("description"),
                "payload": body.get("payload") or {},
                "created_at": "2024-01-01T00:00:00Z",
            }
            self.github.deployments.setdefault(repository, []).insert(0, deployment)
        self._send(201, deployment)

    def _create_status(self, deployment_id: int, body: Any) -> None:
        if not self._writable():
            return
        states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
        if not isinstance(body, dict) or body.get("state") not in states:
            self._send(422, {"message": "Invalid request.", "errors": ["state is invalid"]})
            return
        if len(str(body.get("description") or "")) > 140:
            self._send(422, {"message": "Validation Failed", "errors": ["description too long"]})
            return
        with self.github._lock:
            status = {
                "id": next(self.github._ids),
                "state": body["state"],
                "description": body.get("description") or "",
            }
            self.github.statuses.setdefault(deployment_id, []).insert(0, status)
        self._send(201, status)

    def _create(self, repository: str, number: int, body: Any) -> None:
        if not self._writable() or not self._valid_body(body):
            return
        with self.github._lock:
            comment = self.github._new_comment(repository, number, body["body"], BOT_LOGIN)
        self._send(201, comment)

    def _update(self, repository: str, comment_id: int, body: Any) -> None:
        if not self._writable() or not self._valid_body(body):
            return
        with self.github._lock:
            for comment in _all(self.github, repository):
                if comment["id"] == comment_id:
                    comment["body"] = body["body"]
                    comment["updated_at"] = "2024-01-01T00:00:01Z"
                    found = dict(comment)
                    break
            else:
                found = None
        if found is None:
            self._send(404, {"message": "Not Found"})
        else:
            self._send(200, found)

    def _writable(self) -> bool:
        if self.github.read_only:
            self._send(403, {"message": "Resource not accessible by integration"})
            return False
        return True

    def _valid_body(self, body: Any) -> bool:
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            self._send(422, {"message": "Invalid request.", "errors": ["body is missing"]})
            return False
        if len(body["body"]) > MAX_COMMENT_CHARS:
            error = {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)",
            }
            self._send(422, {"message": "Validation Failed", "errors": [error]})
            return False
        return True

    def _send_page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> None:
        per_page = min(int(query.get("per_page", ["30"])[0]), self.github.max_per_page)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        base = f"{self.github.api_url}{urlsplit(self.path).path}"
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}?per_page={per_page}&page={page - 1}>; rel="prev"')
            links.append(f'<{base}?per_page={per_page}&page=1>; rel="first"')
        self._send(200, chunk, {"Link": ", ".join(links)} if links else {})

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        lost: _Injected | None = getattr(self, "_lost", None)
        if lost is not None:
            self._lost = None
            status, payload, headers = lost.status, lost.body, lost.headers
        spoiled, self._spoiled = getattr(self, "_spoiled", None), None
        if spoiled is None:
            self.send_json(status, payload, headers)
        else:
            self.send_raw(status, spoiled, headers)


def _all(fake: FakeGitHub, repository: str) -> list[dict[str, Any]]:
    return [c for (repo, _), items in fake.comments.items() if repo == repository for c in items]
