"""A small, stateful stand-in for GitLab's REST API (v4) on 127.0.0.1, for tests.

It serves what the merge-request flow calls: merge-request notes (list with
`X-Next-Page` pagination, create, update), the merge requests of a commit, `/user`,
and the deployments of a project (listed with GitLab's filters, sorts and the rules its
DeploymentsFinder enforces on them). A deployment is made as GitLab makes one for a job
that declares `environment:`: `start_job` creates it `running` with the job as its
`deployable`, and `end_job` ends it with the job's exit code (`success` on 0, else
`failed`). It checks the `PRIVATE-TOKEN` (or `JOB-TOKEN`, which may only read), records
every request without its token, on demand answers once with a 5xx or a 429, and
`spoil` makes it carry out a request but answer it with bytes of the test's choosing.
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
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (method, end of the path, answer): see `spoil`.
    spoiled: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(5001)
        self._ticks = itertools.count(1)  # a clock for timestamps that only moves forward
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

    def merged(
        self, project: str, sha: str, iid: int, *, linked_after: int = 0, fast_forward: bool = False
    ) -> None:
        """Merge request `iid` made commit `sha`; the first `linked_after` asks do not say so.

        `fast_forward`: as GitLab answers for a fast-forward merge, no merge commit, and
        `sha` is the merge request's head."""
        self.merge_requests[(project, sha)] = [
            {
                "iid": iid,
                "state": "merged",
                "merge_commit_sha": None if fast_forward else sha,
                "squash_commit_sha": None,
                "sha": sha if fast_forward else "f" * 40,
                "web_url": "",
            }
        ]
        self.unlinked[(project, sha)] = linked_after

    def spoil(self, method: str, path_end: str, answer: bytes) -> None:
        """The next `method` request whose path ends with `path_end` takes effect, and is
        answered with `answer` as its body (a broken proxy, a hostile server)."""
        with self._lock:
            self.spoiled.append((method, path_end, answer))

    def _take_spoiled(self, method: str, path: str) -> bytes | None:
        for index, (verb, end, answer) in enumerate(self.spoiled):
            if verb == method and path.endswith(end):
                del self.spoiled[index]
                return answer
        return None

    def _now(self) -> str:
        seconds = next(self._ticks)
        return f"2026-01-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"

    def start_job(
        self, project: str, environment: str, sha: str, ref: str = "main"
    ) -> dict[str, Any]:
        """The deployment GitLab makes when a job with `environment: NAME` starts."""
        now = self._now()
        job_id = next(self._ids)
        with self._lock:
            deployments = self.deployments.setdefault(project, [])
            deployment = {
                "id": next(self._ids),
                "iid": len(deployments) + 1,
                "ref": ref,
                "sha": sha,
                "created_at": now,
                "updated_at": now,
                "status": "running",
                "user": {"id": 1, "username": "maintainer"},
                "environment": {"id": 9, "name": environment, "external_url": None},
                "deployable": {
                    "id": job_id,
                    "status": "running",
                    "stage": "deploy",
                    "name": "scorecards-apply",
                    "ref": ref,
                    "tag": False,
                    "created_at": now,
                    "started_at": now,
                    "finished_at": None,
                    "web_url": f"https://gitlab.example/group/project/-/jobs/{job_id}",
                    "pipeline": {"id": job_id - 1, "sha": sha, "ref": ref, "status": "running"},
                },
            }
            deployments.append(deployment)
        return deployment

    def end_job(self, deployment: dict[str, Any], exit_code: int) -> None:
        """The job ended: GitLab ends its deployment with the job's status."""
        now = self._now()
        status = "success" if exit_code == 0 else "failed"
        with self._lock:
            deployment["status"] = status
            deployment["updated_at"] = now
            deployment["deployable"].update(status=status, finished_at=now)

    def deployment_states(self, project: str, environment: str) -> list[tuple[str, str]]:
        """(sha, status) of each deployment to `environment`, newest first."""
        return [
            (d["sha"], d["status"])
            for d in reversed(self.deployments.get(project, []))
            if d["environment"]["name"] == environment
        ]

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
            self._spoiled = fake._take_spoiled(method, split.path)
            self._route(method, parts, query, body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        spoiled, self._spoiled = getattr(self, "_spoiled", None), None
        if spoiled is None:
            super().send_json(status, payload, headers)
        else:
            self.send_raw(status, spoiled, headers)

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
        if len(parts) == 3 and parts[0::2] == ["projects", "deployments"] and method == "GET":
            self._list_deployments(parts[1], query)
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

    def _list_deployments(self, project: str, query: dict[str, list[str]]) -> None:
        """`GET /projects/:id/deployments`, with the checks of GitLab's API and finder."""
        one = {name: values[-1] for name, values in query.items()}
        order_by, sort = one.get("order_by", "id"), one.get("sort", "asc")
        status = one.get("status")
        for name, value, allowed in (
            ("order_by", order_by, _ORDER_BY),
            ("sort", sort, ("asc", "desc")),
            ("status", status, _STATUSES),
        ):
            if value is not None and value not in allowed:
                self.send_json(400, {"error": f"{name} does not have a valid value"})
                return
        finished = {k: one[k] for k in ("finished_after", "finished_before") if k in one}
        if bool(finished) != (order_by == "finished_at"):
            self._bad("`finished_at` filter and `finished_at` sorting must be paired")
            return
        if finished and status != "success":
            self._bad("`finished_at` filter must be combined with `success` status filter.")
            return
        found = list(self.gitlab.deployments.get(project, []))
        if "environment" in one:
            found = [d for d in found if d["environment"]["name"] == one["environment"]]
        if status:
            found = [d for d in found if d["status"] == status]
        for name, after in (("finished_after", True), ("finished_before", False)):
            if name in finished:
                found = [
                    d
                    for d in found
                    if (d["deployable"]["finished_at"] or "")
                    and ((d["deployable"]["finished_at"] > finished[name]) == after)
                ]
        found.sort(key=lambda d: _sort_key(d, order_by), reverse=sort == "desc")
        per_page = int(one.get("per_page", "20"))
        page = int(one.get("page", "1"))
        chunk = found[(page - 1) * per_page : page * per_page]
        more = len(found) > page * per_page
        self.send_json(200, chunk, {"X-Next-Page": str(page + 1) if more else ""})

    def _bad(self, message: str) -> None:
        self.send_json(400, {"message": f"400 Bad request - {message}"})


_ORDER_BY = ("id", "iid", "created_at", "updated_at", "ref", "finished_at")
_STATUSES = ("created", "running", "success", "failed", "canceled", "skipped", "blocked")


def _sort_key(deployment: dict[str, Any], order_by: str) -> Any:
    if order_by == "finished_at":
        return deployment["deployable"]["finished_at"] or ""
    if order_by in ("created_at", "iid"):
        return deployment["id"]  # as GitLab does: the same order, by the primary key
    return deployment[order_by]
