"""A hostile Cortex on 127.0.0.1, for tests: the emulator behind a layer that lies.

`HostileCortex` serves the emulator's answers through the same loopback front
(`EmulatorServer`), then spoils them the way a broken proxy or a compromised server
would, one `Scenario` at a time:

- `echo-key`: the `Authorization` header it received, echoed into 200 bodies: the
  scorecard list (a name), every descriptor (its name and description) and the dry-run
  warnings;
- `malformed-yaml`, `huge-descriptor`: descriptor bodies that are not YAML, or bigger
  than any Cortex answer;
- `hostile-tags`: extra scorecards in the list (and their descriptors) whose tags try to
  leave the folder (`../x`), carry control characters, Markdown or a forged checksum
  marker;
- `redirect-loopback`, `redirect-remote`: every call answered 302 towards another loopback
  port (a `Sink` that records what reaches it) or a non-loopback address (TEST-NET-3,
  which nothing here ever contacts);
- `wrong-shapes`: JSON of the wrong shape for the list and for the dry run, a JSON
  object where the YAML text belongs.

Nothing ever leaves loopback: the server binds 127.0.0.1, and the remote address in a
redirect is only text.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.protocol import EmuRequest, EmuResponse
from scorecards_sync.emulator.server import EmulatorServer

REMOTE = "http://203.0.113.7"  # TEST-NET-3: documentation only, never contacted
YAML = "application/yaml;charset=UTF-8"
JSON = "application/json"
# A few tags meant to escape the target folder, the terminal line or the Markdown.
HOSTILE_TAGS = (
    "../escaped",
    "..",
    "a/b",
    "/etc/passwd",
    "tag\n::warning::forged",
    "red\x1b[31m\x1b]0;title\x07",
    "bidi\u202eevil",
    "<!-- scorecards-sync:x checksum=sha256:forged -->",
    "md|`x`**[link](https://evil.example)**\r- forged",
)
HUGE_BYTES = 40 * 1024 * 1024


# A spoiled answer, or None to leave the emulator's as it is.
Spoiled = EmuResponse | None


class Scenario(StrEnum):
    ECHO_KEY = "echo-key"
    MALFORMED_YAML = "malformed-yaml"
    HUGE_DESCRIPTOR = "huge-descriptor"
    HOSTILE_TAGS = "hostile-tags"
    REDIRECT_LOOPBACK = "redirect-loopback"
    REDIRECT_REMOTE = "redirect-remote"
    WRONG_SHAPES = "wrong-shapes"


@dataclass
class Sink:
    """A loopback server that answers 200 to everything and records what it was sent."""

    received: list[dict[str, str]] = field(default_factory=list)

    @contextmanager
    def serve(self) -> Iterator[str]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                sink.received.append({k.lower(): v for k, v in self.headers.items()})
                body = b'{"scorecards": [], "page": 0, "total": 0, "totalPages": 0}'
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


@dataclass
class HostileCortex:
    """The emulator, spoiled by `scenario`; `redirect_to` is where redirects point."""

    emulator: Emulator
    scenario: Scenario
    redirect_to: str = REMOTE
    requests: list[EmuRequest] = field(default_factory=list)

    @contextmanager
    def serve(self) -> Iterator[str]:
        server = EmulatorServer(self.handle)
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()

    def handle(self, request: EmuRequest) -> EmuResponse | None:
        self.requests.append(request)
        scenario = self.scenario
        if scenario in (Scenario.REDIRECT_LOOPBACK, Scenario.REDIRECT_REMOTE):
            query = f"?{request.query}" if request.query else ""
            return EmuResponse(302, b"", (("Location", self.redirect_to + request.path + query),))
        operation, tag = _operation(request)
        if scenario is Scenario.HOSTILE_TAGS and operation == "descriptor" and tag in HOSTILE_TAGS:
            text = f"tag: {json.dumps(tag)}\nname: {json.dumps(tag)}\nrules: []\n"
            return EmuResponse(200, text.encode("utf-8"), (("Content-Type", YAML),))
        answer = self.emulator.handle(request)
        if answer is None or answer.status >= 300:
            return answer
        spoil = _SPOILERS[scenario]
        return spoil(request, operation, answer) or answer


def _echo_key(request: EmuRequest, operation: str, answer: EmuResponse) -> Spoiled:
    header = request.headers.get("authorization", "")
    bare = header.removeprefix("Bearer ")
    if operation == "list":
        data = json.loads(answer.body)
        for item in data["scorecards"]:
            item["name"] = f"{item['name']} {header}"
            item["description"] = f"seen {json.dumps(bare)}"
        return _json(data)
    if operation == "descriptor":
        text = re.sub(
            "^name: .*$", lambda m: f"{m.group()} {header}", answer.body.decode(), flags=re.M
        )
        return EmuResponse(200, text.encode("utf-8"), (("Content-Type", YAML),))
    if operation == "upsert":
        data = json.loads(answer.body) if answer.body else {}
        data["warnings"] = [f"request carried {header}", f"key {json.dumps(bare)}"]
        return _json(data)
    return None


def _malformed_yaml(request: EmuRequest, operation: str, answer: EmuResponse) -> Spoiled:
    if operation == "descriptor":
        return EmuResponse(200, b"tag: [unclosed\nname: {\n\t- :", (("Content-Type", YAML),))
    return None


def _huge_descriptor(request: EmuRequest, operation: str, answer: EmuResponse) -> Spoiled:
    if operation == "descriptor":
        body = answer.body + b"\n# " + b"x" * HUGE_BYTES
        return EmuResponse(200, body, (("Content-Type", YAML),))
    return None


def _hostile_tags(request: EmuRequest, operation: str, answer: EmuResponse) -> Spoiled:
    if operation == "list":
        data = json.loads(answer.body)
        data["scorecards"] += [
            {"tag": tag, "name": tag, "id": 9000 + i} for i, tag in enumerate(HOSTILE_TAGS)
        ]
        data["total"] = len(data["scorecards"])
        return _json(data)
    return None


def _wrong_shapes(request: EmuRequest, operation: str, answer: EmuResponse) -> Spoiled:
    if operation == "list":
        return _json({"scorecards": {"tag": "not-a-list"}, "page": "zero"})
    if operation == "descriptor":
        return _json({"descriptor": ["not", "yaml", "text"]})
    if operation == "upsert":
        return _json([1, 2, 3])
    return None


_SPOILERS = {
    Scenario.ECHO_KEY: _echo_key,
    Scenario.MALFORMED_YAML: _malformed_yaml,
    Scenario.HUGE_DESCRIPTOR: _huge_descriptor,
    Scenario.HOSTILE_TAGS: _hostile_tags,
    Scenario.WRONG_SHAPES: _wrong_shapes,
}


def _operation(request: EmuRequest) -> tuple[str, str | None]:
    """What the request asks for, and the tag it names (decoded), if any."""
    parts = request.path.rstrip("/").split("/")
    if request.method == "GET" and request.path.rstrip("/") == "/api/v1/scorecards":
        return "list", None
    if request.method == "GET" and len(parts) == 6 and parts[-1] == "descriptor":
        return "descriptor", unquote(parts[4])
    if request.method == "POST" and request.path == "/api/v1/scorecards/descriptor":
        return "upsert", None
    return "other", None


def _json(data: Any) -> EmuResponse:
    return EmuResponse(200, json.dumps(data).encode("utf-8"), (("Content-Type", JSON),))
