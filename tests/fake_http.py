"""What the fake Git hosts (tests/github_fake.py, tests/gitlab_fake.py) share: a JSON
server on 127.0.0.1 in a thread, and a request handler that answers JSON.

Standard library only.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self


class Loopback:
    """Serves one handler class on 127.0.0.1 (a free port) until `stop`."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, handler: type[BaseHTTPRequestHandler], **bound: object) -> None:
        """Serve `handler`, with `bound` set as class attributes (the fake it answers for)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (handler,), bound))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        assert self._server is not None, "use the fake as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"


class LoopbackFake:
    """A fake host as a context manager: serving its handler while inside `with`.

    A subclass sets `self._loopback = Loopback()` and says which handler serves it and
    under which class attribute the handler finds the fake (`_served_by`).
    """

    _loopback: Loopback

    def _served_by(self) -> tuple[type[BaseHTTPRequestHandler], str]:
        raise NotImplementedError

    def __enter__(self) -> Self:
        handler, attribute = self._served_by()
        self._loopback.start(handler, **{attribute: self})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._loopback.stop()


class JsonHandler(BaseHTTPRequestHandler):
    """Every method goes to `handle_method`; `send_json` answers."""

    content_type: ClassVar[str] = "application/json"
    extra_headers: ClassVar[dict[str, str]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.handle_method("GET")

    def do_POST(self) -> None:
        self.handle_method("POST")

    def do_PUT(self) -> None:
        self.handle_method("PUT")

    def do_PATCH(self) -> None:
        self.handle_method("PATCH")

    def handle_method(self, method: str) -> None:
        raise NotImplementedError

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(payload).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        """`data` as it is, under the JSON content type (an answer a broken server may give)."""
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self.extra_headers, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
