"""The loopback front: a standard-library HTTP/1.1 server on 127.0.0.1.

Each connection is served by its own thread (keep-alive, so clients reuse
connections); a dropped connection is closed without a byte of response.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from typing import Any

from scorecards_sync.emulator.protocol import EmuRequest, RequestHandler, error_response
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# Bodies past this are not read at all: the connection is answered 400 and closed.
_MAX_READ_BYTES = 8 * MAX_DESCRIPTOR_BYTES
_IDLE_TIMEOUT_SECONDS = 30


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Joining handler threads on close would wait for idle keep-alive clients.
    block_on_close = False
    answer: RequestHandler


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cortex-emulator"
    sys_version = ""
    timeout = _IDLE_TIMEOUT_SECONDS
    # Headers and body go out in separate writes; with Nagle on, the body waits for
    # the client's delayed ACK (~40 ms a response).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        raw_path, _, query = self.path.partition("?")
        request = EmuRequest(
            method=self.command,
            path=raw_path,
            query=query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        response = self.server.answer(request)
        if response is None:
            self.close_connection = True
            # No response at all: the client sees the server hang up.
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self._refuse("Invalid Content-Length header")
            return None
        if length < 0 or length > _MAX_READ_BYTES:
            self._refuse("Request body is too large")
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._refuse("Invalid chunked body")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > _MAX_READ_BYTES:
                self._refuse("Request body is too large")
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _refuse(self, message: str) -> None:
        response = error_response(400, message)
        self.close_connection = True
        self.send_response(400)
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        # Every method, even one we never heard of, reaches the core: it answers 405 with
        # `Allow` where the path exists (the stdlib would answer 501 without a `do_` method).
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class EmulatorServer:
    """The emulator on a loopback port, served by a background thread."""

    def __init__(self, handle: RequestHandler, port: int = 0) -> None:
        self._server = _Server((HOST, port), _Handler)
        self._server.answer = handle
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="cortex-emulator",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
