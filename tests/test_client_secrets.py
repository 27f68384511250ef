"""A canary API key never shows up in exception text, DEBUG logs, or any repr."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.cortex.secret import ApiKey
from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.errors import CortexError, ScorecardsSyncError

CANARY = "canary-7b3e91d4-do-not-leak"
OTHER = "other-key-with-view-only"

VALID = """\
tag: canary-card
name: Canary card
ladder:
  levels:
    - name: Bronze
      rank: 1
      color: "#cd7f32"
rules:
  - title: Has owner
    expression: ownership != null
    level: Bronze
"""


def every_text_of(error: BaseException) -> str:
    """All text an error can show: message, repr, attributes, the whole chain."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.append(str(current))
        texts.append(repr(current))
        texts.extend(repr(arg) for arg in current.args)
        texts.extend(repr(value) for value in vars(current).values())
        current = current.__cause__ or current.__context__
    texts.extend(traceback.format_exception(error))
    return "\n".join(texts)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in ("", "scorecards_sync", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    records = caplog.get_records("call")
    assert records, "DEBUG logging captured nothing: the check would be empty"
    handler = logging.StreamHandler()  # format as a real log would, exceptions included
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    for record in records:
        assert CANARY not in handler.format(record)
        assert CANARY not in repr(record.args)


def echo_key(status: int) -> Callable[[httpx.Request], httpx.Response]:
    """A server that quotes the Authorization header back in its error body."""

    def answer(request: httpx.Request) -> httpx.Response:
        header = request.headers["Authorization"]
        body = {
            "message": f"bad auth {header}",
            "details": f"you sent {header}",
            "type": "BAD_REQUEST",
            "requestId": f"req-{header}",
        }
        return httpx.Response(status, json=body)

    return answer


def raise_with_key(kind: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise kind(f"failed with {request.headers['Authorization']}", request=request)  # type: ignore[call-arg]

    return answer


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 502, 503])
def test_error_bodies_quoting_the_key_are_redacted(
    status: int, debug_logs: pytest.LogCaptureFixture
) -> None:
    client = CortexClient(
        "https://cortex.invalid",
        CANARY,
        transport=httpx.MockTransport(echo_key(status)),
        sleep=lambda _: None,
        max_retries=1,
        max_throttled_retries=1,
    )
    with pytest.raises(CortexError) as info:
        client.upsert_descriptor(VALID)
    text = every_text_of(info.value)
    assert CANARY not in text
    assert "***" in str(info.value)  # the echo was there, and it was masked


@pytest.mark.parametrize(
    "kind",
    [
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.DecodingError,
        httpx.TooManyRedirects,
    ],
)
def test_httpx_exceptions_quoting_the_key_are_redacted(
    kind: type[httpx.HTTPError], debug_logs: pytest.LogCaptureFixture
) -> None:
    client = CortexClient(
        "https://cortex.invalid",
        ApiKey(CANARY),
        transport=httpx.MockTransport(raise_with_key(kind)),
        sleep=lambda _: None,
        max_retries=1,
    )
    for call in (
        lambda: client.get_descriptor("x"),
        lambda: client.delete_scorecard("x"),
        lambda: client.request_exemption("x", "e", "r", "why"),
    ):
        with pytest.raises(CortexError) as info:
            call()
        assert CANARY not in every_text_of(info.value)
        assert kind.__name__ in str(info.value)


def test_connection_refused_on_loopback(debug_logs: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = CortexClient(f"http://127.0.0.1:{port}", CANARY, sleep=lambda _: None)
    with client, pytest.raises(CortexError) as info:
        client.list_scorecards()
    assert CANARY not in every_text_of(info.value)


def test_credentials_in_the_base_url_are_not_shown() -> None:
    client = CortexClient(f"https://user:{CANARY}@cortex.invalid", "key")
    assert CANARY not in repr(client)


def test_every_error_from_the_emulator(debug_logs: pytest.LogCaptureFixture) -> None:
    emulator = Emulator(
        api_keys={CANARY: frozenset({"view"}), OTHER: frozenset({"view"})},
        faults=Faults(failing_tags=frozenset({"canary-card"})),
    )
    errors: list[ScorecardsSyncError] = []
    with emulator.serve() as server:
        with CortexClient(server.base_url, CANARY, sleep=lambda _: None, max_retries=1) as client:
            attempts: list[Callable[[], object]] = [
                lambda: client.get_descriptor("../missing"),  # 404
                lambda: client.upsert_descriptor(VALID),  # 403: view only
                lambda: client.delete_scorecard("missing"),  # 403
                lambda: client.badge("missing", "nobody"),  # 404
            ]
            for attempt in attempts:
                with pytest.raises(ScorecardsSyncError) as info:
                    attempt()
                errors.append(info.value)
        with CortexClient(server.base_url, CANARY + "-wrong") as wrong:
            with pytest.raises(ScorecardsSyncError) as info:
                wrong.list_scorecards()  # 401
            errors.append(info.value)
            assert CANARY not in repr(wrong)
    assert {getattr(error, "status", None) for error in errors} >= {401, 403, 404}
    for error in errors:
        assert CANARY not in every_text_of(error)


def test_reprs_of_everything_the_client_holds() -> None:
    emulator = Emulator()
    emulator.put_descriptor(VALID)
    with CortexClient("http://127.0.0.1:1", CANARY, transport=emulator.transport()) as client:
        results: list[object] = [
            client,
            client.limiter,
            client.stats,
            client.stats.snapshot(),
            client.policy,
            client.list_scorecards(),
            client.get_scorecard("canary-card"),
            client.upsert_descriptor(VALID, dry_run=True),
            client.upsert_descriptor(VALID),
            vars(client),
        ]
        for value in results:
            assert CANARY not in repr(value)
            assert CANARY not in str(value)
