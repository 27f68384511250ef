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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BOT = "project_42_bot_scorecards"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeGitLab:
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
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeGitLab:
        fake = self

        class Handler(_Handler):
            gitlab = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def api_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v4"

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


class _Handler(BaseHTTPRequestHandler):
    gitlab: FakeGitLab

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake = self.gitlab
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        private = self.headers.get("PRIVATE-TOKEN")
        job = self.headers.get("JOB-TOKEN")
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("private-token", "job-token")
        }
        with fake._lock:
            fake.requests.append(Recorded(method, split.path, headers))
            if fake.failures:
                status = fake.failures.pop(0)
                self._send(status, {"message": "injected"}, {"Retry-After": "0"})
                return
        if private != fake.token and job != fake.job_token:
            self._send(401, {"message": "401 Unauthorized"})
            return
        if job == fake.job_token and private is None and method != "GET":
            self._send(403, {"message": "403 Forbidden"})
            return
        parts = [unquote(p) for p in split.path.removeprefix("/api/v4/").split("/")]
        with fake._lock:
            self._route(method, parts, query, body)

    def _route(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> None:
        fake = self.gitlab
        if parts == ["user"] and method == "GET":
            self._send(200, {"username": fake.username})
            return
        if len(parts) >= 5 and parts[0] == "projects" and parts[2] == "merge_requests":
            key = (parts[1], int(parts[3]))
            notes = fake.notes.setdefault(key, [])
            if len(parts) == 5 and method == "GET":
                per_page = int(query.get("per_page", ["20"])[0])
                page = int(query.get("page", ["1"])[0])
                chunk = notes[(page - 1) * per_page : page * per_page]
                more = len(notes) > page * per_page
                self._send(200, chunk, {"X-Next-Page": str(page + 1) if more else ""})
                return
            if len(parts) == 5 and method == "POST":
                note = fake.add_note(parts[1], key[1], body["body"], fake.username)
                self._send(201, note)
                return
            if len(parts) == 6 and method == "PUT":
                for note in notes:
                    if note["id"] == int(parts[5]):
                        note["body"] = body["body"]
                        self._send(200, note)
                        return
                self._send(404, {"message": "404 Not found"})
                return
        if (
            len(parts) == 6
            and parts[2:4] == ["repository", "commits"]
            and parts[5] == ("merge_requests")
        ):
            key = (parts[1], parts[4])
            if fake.unlinked.get(key, 0) > 0:
                fake.unlinked[key] -= 1
                self._send(200, [])
                return
            self._send(200, fake.merge_requests.get(key, []))
            return
        self._send(404, {"message": "404 Not found"})
