"""Reading requests (query parameters, JSON bodies) and refusing them.

A handler refuses a request by raising `Answer` (an exception private to the emulator,
caught by the core), so that a helper deep down can refuse it in one line.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from scorecards_sync.emulator.protocol import EmuRequest, EmuResponse, error_response

_INT32_MAX = 2**31 - 1
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class Answer(Exception):
    """Answer the request with `response` at once (control flow within the emulator)."""

    def __init__(self, response: EmuResponse, *, injected: bool = False) -> None:
        super().__init__(response.status)
        self.response = response
        self.injected = injected


def bad_request(message: str, details: str | None = None) -> Answer:
    return Answer(error_response(400, message, details=details))


def not_found(message: str) -> Answer:
    return Answer(error_response(404, message))


def str_param(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"Parameter '{name}' is given {len(values)} times; give it once")
    return values[0]


def int_param(
    query: Mapping[str, list[str]],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int = _INT32_MAX,
) -> int:
    text = str_param(query, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"Parameter '{name}' must be an integer, not {text!r}") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"Parameter '{name}' must be between {minimum} and {maximum}")
    return value


def bool_param(query: Mapping[str, list[str]], name: str, *, default: bool) -> bool:
    text = str_param(query, name)
    if text is None:
        return default
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise bad_request(f"Parameter '{name}' must be true or false, not {text!r}")


def list_param(query: Mapping[str, list[str]], name: str) -> list[str]:
    return [item for value in query.get(name, []) for item in value.split(",") if item]


def json_body(request: EmuRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("Request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def body_str(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise bad_request(f"`{name}` is required and must be a string")
    return value


def parse_query(query: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(query, keep_blank_values=True)
