"""The emulator's own request and response values, shared by both fronts.

The in-process transport and the loopback server each translate to and from
these, so that routing, faults and statistics exist once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# GET .../descriptor serves the YAML text itself (the corpus holds one such body, byte for
# byte), although the spec declares it a JSON string: clients read it as text either way.
YAML_TEXT = "application/yaml;charset=UTF-8"


@dataclass(frozen=True)
class EmuRequest:
    """One HTTP request as the emulator sees it.

    `path` is the raw (still percent-encoded) path without the query string:
    routing splits it on `/` before decoding, so an encoded slash in a tag can
    never reach another route. Header names are lower-case.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class EmuResponse:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


# What both fronts call to answer one request: None drops the connection without a response.
RequestHandler = Callable[["EmuRequest"], "EmuResponse | None"]


def new_request_id() -> str:
    return str(uuid.uuid4())


def json_response(status: int, payload: Any, *, content_type: str = JSON) -> EmuResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return EmuResponse(status, body, (("Content-Type", content_type),))


def text_response(status: int, text: str, content_type: str) -> EmuResponse:
    return EmuResponse(status, text.encode("utf-8"), (("Content-Type", content_type),))


def empty_response(status: int = 200) -> EmuResponse:
    return EmuResponse(status)


# ErrorResponse.type for each status the emulator answers with an error body.
_ERROR_TYPES: Mapping[int, str] = {
    400: "BAD_REQUEST",
    401: "FORBIDDEN",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "CONFLICT",
    500: "UNHANDLED_EXCEPTION",
}


def error_response(
    status: int,
    message: str,
    *,
    details: str | None = None,
    error_type: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> EmuResponse:
    """Cortex's `ErrorResponse {message, type, details, httpStatus, requestId}`."""
    payload: dict[str, Any] = {
        "message": message,
        "type": error_type or _ERROR_TYPES.get(status, "UNCATEGORIZED"),
        "httpStatus": status,
        "requestId": new_request_id(),
    }
    if details is not None:
        payload["details"] = details
    response = json_response(status, payload)
    return EmuResponse(response.status, response.body, response.headers + headers)


def too_many_requests(retry_after: int, instance: str, detail: str) -> EmuResponse:
    """The spec's `TooManyRequests` response: problem+json and a `Retry-After` header."""
    payload = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": detail,
        "instance": instance,
        "retryAfter": retry_after,
    }
    response = json_response(429, payload, content_type=PROBLEM_JSON)
    return EmuResponse(429, response.body, (*response.headers, ("Retry-After", str(retry_after))))
