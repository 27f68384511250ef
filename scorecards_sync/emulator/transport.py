"""The in-process front: an httpx transport that hands requests to the emulator's core."""

from __future__ import annotations

import httpx

from scorecards_sync.emulator.protocol import EmuRequest, RequestHandler


class EmulatorTransport(httpx.BaseTransport):
    """Answers httpx requests in the calling thread; a dropped connection raises
    `httpx.RemoteProtocolError`, as a server closing the socket would."""

    def __init__(self, handle: RequestHandler) -> None:
        self._handle = handle

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        url = request.url
        emu_request = EmuRequest(
            method=request.method,
            path=url.raw_path.split(b"?", 1)[0].decode("ascii"),
            query=url.query.decode("ascii"),
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
        )
        response = self._handle(emu_request)
        if response is None:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        headers = list(response.headers)
        headers.append(("Content-Length", str(len(response.body))))
        return httpx.Response(
            response.status, headers=headers, content=response.body, request=request
        )
