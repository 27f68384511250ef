"""A small, stateful stand-in for GitLab's REST API (v4) on 127.0.0.1, for tests.

It serves what the merge-request flow calls: merge-request notes (list with
`X-Next-Page` pagination, create, update), the merge requests of a commit, and
`/user`. It checks the `PRIVATE-TOKEN` (or `JOB-TOKEN`, which may only read), records
every request without its token, and on demand answers once with a 5xx or a 429.
Standard library only.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_http import JsonHandler, Loopback, LoopbackFake

BOT = "project_42_bot_scorecards"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeGitLab(LoopbackFake):
    token: str = "glpat-fake-token-0123456789"
    job_token: str = "glcbt-fake-job-token"
    username: str = BOT
    notes: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    merge_requests: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    # How many more times a commit's merge requests are answered empty (GitLab links late).
    unlinked: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(5001)
        self._loopback = Loopback()

    def _served_by(self) -> tuple[type[JsonHandler], str]:
        return _Handler, "gitlab"

    @property
    def api_url(self) -> str:
        return f"{self._loopback.origin}/api/v4"

    def add_note(self, project: str, iid: int, body: str, author: str) -> dict[str, Any]:
        note = {"id": next(self._ids), "body": body, "author": {"username": author}}
        note["system"] = False
        self.notes.setdefault((project, iid), []).append(note)
        return note

    def merged(self, project: str, sha: str, iid: int, *, linked_after: int = 0) -> None:
        """Merge request `iid` made commit `sha`; the first `linked_after` asks do not say so."""
        self.merge_requests[(project, sha)] = [
            {"iid": iid, "state": "merged", "merge_commit_sha": sha, "web_url": ""}
        ]
        self.unlinked[(project, sha)] = linked_after

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PUT")]


class _Handler(JsonHandler):
    gitlab: FakeGitLab

    def handle_method(self, method: str) -> None:
        fake = self.gitlab
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        raw = self.read_body()
        body = json.loads(raw) if raw else None
        private = self.headers.get("PRIVATE-TOKEN")
        job = self.headers.get("JOB-TOKEN")
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("private-token", "job-token")
        }
        with fake._lock:
            fake.requests.append(Recorded(method, split.path, headers))
            if fake.failures:
                status = fake.failures.pop(0)
                self.send_json(status, {"message": "injected"}, {"Retry-After": "0"})
                return
        if private != fake.token and job != fake.job_token:
            self.send_json(401, {"message": "401 Unauthorized"})
            return
        if job == fake.job_token and private is None and method != "GET":
            self.send_json(403, {"message": "403 Forbidden"})
            return
        parts = [unquote(p) for p in split.path.removeprefix("/api/v4/").split("/")]
        with fake._lock:
            self._route(method, parts, query, body)

    def _route(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> None:
        fake = self.gitlab
        if parts == ["user"] and method == "GET":
            self.send_json(200, {"username": fake.username})
            return
        if len(parts) >= 5 and parts[0] == "projects" and parts[2] == "merge_requests":
            key = (parts[1], int(parts[3]))
            notes = fake.notes.setdefault(key, [])
            if len(parts) == 5 and method == "GET":
                per_page = int(query.get("per_page", ["20"])[0])
                page = int(query.get("page", ["1"])[0])
                chunk = notes[(page - 1) * per_page : page * per_page]
                more = len(notes) > page * per_page
                self.send_json(200, chunk, {"X-Next-Page": str(page + 1) if more else ""})
                return
            if len(parts) == 5 and method == "POST":
                note = fake.add_note(parts[1], key[1], body["body"], fake.username)
                self.send_json(201, note)
                return
            if len(parts) == 6 and method == "PUT":
                for note in notes:
                    if note["id"] == int(parts[5]):
                        note["body"] = body["body"]
                        self.send_json(200, note)
                        return
                self.send_json(404, {"message": "404 Not found"})
                return
        if (
            len(parts) == 6
            and parts[2:4] == ["repository", "commits"]
            and parts[5] == ("merge_requests")
        ):
            commit = (parts[1], parts[4])
            if fake.unlinked.get(commit, 0) > 0:
                fake.unlinked[commit] -= 1
                self.send_json(200, [])
                return
            self.send_json(200, fake.merge_requests.get(commit, []))
            return
        self.send_json(404, {"message": "404 Not found"})
