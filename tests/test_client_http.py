"""Client behaviour against scripted HTTP answers the emulator never gives.

The emulator covers the API as Cortex documents it; these cases need answers it does
not produce on purpose (gateway errors, an HTTP-date Retry-After, a DELETE whose first
attempt was applied but lost), so a scripted `httpx.MockTransport` plays the server.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.cortex.client import CortexClient, encode_segment
from scorecards_sync.errors import (
    ConfigError,
    CortexError,
    CortexNotFound,
    CortexUnavailable,
    UsageError,
)

KEY = "scripted-key-0000"


class Script:
    """Answers requests from a list, in order, and records what was asked."""

    def __init__(self, *answers: httpx.Response | type[Exception]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)  # type: ignore[call-arg]
        return answer


def make_client(
    script: Callable[[httpx.Request], httpx.Response], **kwargs: object
) -> tuple[CortexClient, list[float]]:
    sleeps: list[float] = []
    options: dict[str, object] = {
        "transport": httpx.MockTransport(script),
        "sleep": sleeps.append,
        "rate_limit_per_minute": None,
    }
    options.update(kwargs)
    client = CortexClient("https://cortex.invalid", KEY, **options)  # type: ignore[arg-type]
    return client, sleeps


def ok_json(payload: object) -> httpx.Response:
    return httpx.Response(200, json=payload)


def error(status: int, **headers: str) -> httpx.Response:
    body = {"message": f"status {status}", "type": "UNCATEGORIZED", "httpStatus": status}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def descriptor_ok() -> httpx.Response:
    return httpx.Response(200, text="tag: a\nname: A", headers={"Content-Type": "application/yaml"})


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_on_reads_are_retried(status: int, descriptor_ok: httpx.Response) -> None:
    script = Script(error(status), error(status), descriptor_ok)
    client, sleeps = make_client(script)
    assert client.get_descriptor("a") == "tag: a\nname: A"
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert client.stats.retries == 2
    assert client.stats.by_status == {status: 2, 200: 1}


def test_gateway_errors_give_up_after_max_retries() -> None:
    script = Script(*[error(503) for _ in range(4)])
    client, _ = make_client(script, max_retries=3)
    with pytest.raises(CortexUnavailable) as info:
        client.get_descriptor("a")
    assert info.value.status == 503
    assert "after 3 retries" in str(info.value)
    assert len(script.requests) == 4


def test_a_plain_500_on_a_read_is_not_retried() -> None:
    script = Script(error(500))
    client, _ = make_client(script)
    with pytest.raises(CortexError) as info:
        client.get_descriptor("a")
    assert type(info.value) is CortexError
    assert info.value.status == 500
    assert len(script.requests) == 1


def test_gateway_error_on_an_exemption_decision_is_not_repeated() -> None:
    script = Script(error(502))
    client, _ = make_client(script)
    with pytest.raises(CortexUnavailable):
        client.approve_exemption("sc", "entity", "rule-id")
    assert len(script.requests) == 1


def test_retry_after_as_an_http_date_is_honoured() -> None:
    later = datetime.now(UTC) + timedelta(seconds=20)
    throttled = httpx.Response(429, headers={"Retry-After": format_datetime(later, usegmt=True)})
    script = Script(throttled, ok_json({"value": "badge"}))
    client, sleeps = make_client(script)
    assert client.badge("sc", "entity") == "badge"
    assert len(sleeps) == 1
    assert 15 < sleeps[0] <= 20


def test_retry_after_from_the_problem_body_when_the_header_is_missing() -> None:
    problem = {"type": "about:blank", "title": "Too Many Requests", "status": 429, "retryAfter": 4}
    throttled = httpx.Response(
        429, content=json.dumps(problem), headers={"Content-Type": "application/problem+json"}
    )
    script = Script(throttled, ok_json({"value": "badge"}))
    client, sleeps = make_client(script)
    assert client.badge("sc", "entity") == "badge"
    assert sleeps == [4.0]
    assert client.stats.throttled == 1


def test_a_retry_after_beyond_the_budget_fails_fast() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}))
    client, sleeps = make_client(script, retry_budget_seconds=60)
    with pytest.raises(CortexUnavailable) as info:
        client.get_descriptor("a")
    assert info.value.status == 429
    assert sleeps == []


def test_delete_that_was_applied_before_the_connection_dropped_counts_as_done() -> None:
    script = Script(httpx.RemoteProtocolError, error(404))
    client, _ = make_client(script)
    client.delete_scorecard("gone")
    assert [request.method for request in script.requests] == ["DELETE", "DELETE"]


def test_delete_of_an_absent_scorecard_is_not_found() -> None:
    client, _ = make_client(Script(error(404)))
    with pytest.raises(CortexNotFound):
        client.delete_scorecard("never-was")


def test_an_exemption_request_is_not_resent_after_a_dropped_connection() -> None:
    script = Script(httpx.RemoteProtocolError)
    client, _ = make_client(script)
    with pytest.raises(CortexError) as info:
        client.request_exemption("sc", "entity", "rule-id", "because")
    assert not isinstance(info.value, CortexUnavailable)
    assert len(script.requests) == 1


def test_an_exemption_request_is_resent_when_the_connection_never_opened() -> None:
    definition = {
        "exemptionStatus": {"status": "PENDING"},
        "requestedBy": {"type": "API", "apiKeyLast4": "0000"},
        "requestedDate": "2025-01-01T00:00:00Z",
        "requestingReason": "because",
    }
    script = Script(httpx.ConnectError, ok_json(definition))
    client, _ = make_client(script)
    exemption = client.request_exemption("sc", "entity", "rule-id", "because", days=3)
    assert exemption.status == "PENDING"
    assert exemption.requested_by.api_key_last4 == "0000"
    assert json.loads(script.requests[-1].content) == {
        "ruleIdentifier": "rule-id",
        "reason": "because",
        "days": 3,
    }


def test_descriptor_served_as_a_json_string_is_unwrapped() -> None:
    # The OpenAPI spec types this body as a JSON string; Cortex itself sends raw YAML.
    wrapped = httpx.Response(200, json="tag: a\nname: A\n")
    client, _ = make_client(Script(wrapped))
    assert client.get_descriptor("a") == "tag: a\nname: A\n"


def test_listing_starts_over_when_the_total_moves_between_pages() -> None:
    def page(tags: list[str], number: int, total: int, total_pages: int) -> httpx.Response:
        items = [
            {
                "tag": tag,
                "name": tag.upper(),
                "isDraft": False,
                "lastUpdated": "2025-01-01T00:00:00",
                "notifications": {"enabled": True, "scoreDropNotificationsEnabled": False},
                "exemptions": {"enabled": True, "autoApprove": False},
                "rules": [],
            }
            for tag in tags
        ]
        return ok_json(
            {"scorecards": items, "page": number, "total": total, "totalPages": total_pages}
        )

    script = Script(
        page(["a", "b"], 0, 4, 2),
        page(["d", "e"], 1, 5, 3),  # "c" was created meanwhile: page 1 shifted
        page(["a", "b"], 0, 5, 3),
        page(["c", "d"], 1, 5, 3),
        page(["e"], 2, 5, 3),
        page(["a", "b"], 0, 5, 3),  # the pass that confirms the one before
        page(["c", "d"], 1, 5, 3),
        page(["e"], 2, 5, 3),
    )
    client, _ = make_client(script, page_size=2)
    assert [summary.tag for summary in client.list_scorecards()] == ["a", "b", "c", "d", "e"]
    assert script.answers == []
    params = [dict(request.url.params) for request in script.requests]
    assert all(p["showDrafts"] == "true" and p["pageSize"] == "2" for p in params)
    assert not any({"groups", "entities", "teams"} & set(p) for p in params)


def test_a_body_that_is_not_json_is_a_clear_error() -> None:
    client, _ = make_client(Script(httpx.Response(200, text="<html>proxy login</html>")))
    with pytest.raises(CortexError, match="not JSON"):
        client.get_scorecard("a")


def test_a_body_of_the_wrong_shape_is_a_clear_error() -> None:
    client, _ = make_client(Script(ok_json({"scorecard": {"tag": 3}})))
    with pytest.raises(CortexError, match=r"unexpected shape: scorecard\.tag"):
        client.get_scorecard("a")


def test_a_wrong_shape_names_the_kind_it_got_in_json_words() -> None:
    client, _ = make_client(Script(ok_json({"scorecard": [1, 2]})))
    with pytest.raises(CortexError, match=r"scorecard: expected an object, got a list$"):
        client.get_scorecard("a")


def test_redirects_are_not_followed() -> None:
    moved = httpx.Response(302, headers={"Location": "https://elsewhere.invalid/steal"})
    script = Script(moved)
    client, _ = make_client(script)
    with pytest.raises(CortexError) as info:
        client.get_scorecard("a")
    assert info.value.status == 302
    assert len(script.requests) == 1


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


def test_a_refused_first_connection_fails_at_once_naming_the_base_url(closed_port: int) -> None:
    sleeps: list[float] = []
    client = CortexClient(
        f"http://127.0.0.1:{closed_port}", KEY, sleep=sleeps.append, max_retries=6
    )
    with client, pytest.raises(CortexError) as info:
        client.list_scorecards()
    assert str(info.value) == (
        f"GET /api/v1/scorecards failed: Cortex at http://127.0.0.1:{closed_port} refused the "
        "connection: check CORTEX_BASE_URL or --base-url (or start the emulator it names)"
    )
    assert sleeps == []
    assert client.stats.connection_errors == 1


def test_a_refused_connection_after_an_answer_is_retried(descriptor_ok: httpx.Response) -> None:
    """Once Cortex has answered, a refusal is a passing restart, not a wrong URL."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request) from ConnectionRefusedError(111)

    answers: list[Callable[[httpx.Request], httpx.Response]] = [
        lambda _: descriptor_ok,
        refuse,
        lambda _: descriptor_ok,
    ]
    client, sleeps = make_client(lambda request: answers.pop(0)(request))
    with client:
        client.get_descriptor("a")
        client.get_descriptor("a")
    assert len(sleeps) == 1


def test_the_cli_fails_at_once_on_a_closed_port_naming_it(
    closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    monkeypatch.setenv("CORTEX_API_KEY", "canary-refused-key-7")
    Path("x.yaml").write_text("tag: x\nname: X\nrules:\n- title: R\n  expression: git != null\n")
    ran = run_cli("plan", "x.yaml", "--base-url", f"http://127.0.0.1:{closed_port}")
    assert ran.code == 1
    assert f"Cortex at http://127.0.0.1:{closed_port} refused the connection" in ran.err
    assert "waiting" not in ran.err  # no retry was told, none was made
    assert "canary-refused-key-7" not in ran.out + ran.err


def test_retries_are_told_once_per_wave_at_the_default_verbosity(
    descriptor_ok: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    now = [0.0]
    script = Script(
        error(429, **{"Retry-After": "12"}),
        descriptor_ok,
        error(429, **{"Retry-After": "12"}),  # the same wave: not told again
        descriptor_ok,
        error(503),
        descriptor_ok,
    )
    client, sleeps = make_client(script, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="scorecards_sync"), client:
        client.get_descriptor("a")
        now[0] = 5.0
        client.get_descriptor("a")
        client.get_descriptor("a")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings[0] == "Cortex answered 429 (rate limit): waiting 12 s (retry 1 of 30)"
    assert len(warnings) == 2
    assert warnings[1].startswith("Cortex answered 503 to GET /api/v1/scorecards/a/descriptor: ")
    assert warnings[1].endswith("(retry 1 of 6)")
    assert len(sleeps) == 3


@pytest.mark.parametrize(
    ("tag", "segment"),
    [
        ("../x", "..%2Fx"),
        ("a/b", "a%2Fb"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a?b#c", "a%3Fb%23c"),
        ("100%", "100%25"),
        ("spa ce", "spa%20ce"),
        ("ünï", "%C3%BCn%C3%AF"),
    ],
)
def test_tags_become_a_single_encoded_path_segment(tag: str, segment: str) -> None:
    assert encode_segment(tag) == segment
    script = Script(error(404))
    client, _ = make_client(script)
    with pytest.raises(CortexNotFound):
        client.get_descriptor(tag)
    assert script.requests[0].url.raw_path == f"/api/v1/scorecards/{segment}/descriptor".encode()


def test_an_empty_tag_is_refused_before_sending() -> None:
    script = Script()
    client, _ = make_client(script)
    with pytest.raises(UsageError):
        client.delete_scorecard("")
    assert script.requests == []


@pytest.mark.parametrize(
    "base_url", ["ftp://host", "api.getcortexapp.com", "https://", "https://host/?x=1"]
)
def test_bad_base_urls_are_config_errors(base_url: str) -> None:
    with pytest.raises(ConfigError):
        CortexClient(base_url, KEY)


def test_from_env_reads_key_and_base_url() -> None:
    env = {"CORTEX_API_KEY": KEY, "CORTEX_BASE_URL": "http://127.0.0.1:9/"}
    with CortexClient.from_env(env) as client:
        assert client.base_url == "http://127.0.0.1:9"


def test_from_env_without_a_key_is_an_actionable_error() -> None:
    with pytest.raises(ConfigError, match="CORTEX_API_KEY"):
        CortexClient.from_env({})


def test_requests_carry_the_bearer_key_and_our_user_agent(descriptor_ok: httpx.Response) -> None:
    script = Script(descriptor_ok)
    client, _ = make_client(script)
    client.get_descriptor("a")
    request = script.requests[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["User-Agent"].startswith("scorecards-sync/")


def test_the_real_post_descriptor_answer_parses(corpus_dir: Path) -> None:
    # One real 200 body of POST /api/v1/scorecards/descriptor, nulls and all.
    body = (corpus_dir / "api" / "post-descriptor-response.json").read_bytes()
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    client, _ = make_client(Script(answer))
    result = client.upsert_descriptor("tag: vulnerability-management-metrics\n")
    assert result.tag == "vulnerability-management-metrics"
    scorecard = result.scorecard
    assert scorecard is not None
    assert scorecard.levels == ()
    assert scorecard.notifications_enabled is True
    assert scorecard.score_drop_notifications_enabled is None
    assert scorecard.evaluation_window == 4
    assert scorecard.filter is not None and scorecard.filter.types_include == ("service",)
    (rule,) = scorecard.rules
    assert rule.title == "No Critical Vulnerabilities"
    assert rule.weight == 1
    assert rule.level_name is None and rule.failure_message is None
    assert rule.filter is not None and rule.filter.is_empty


@pytest.fixture
def names_do_not_resolve(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host name lookup fails as it does for a host that does not exist (no network)."""
    asked: list[str] = []

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        asked.append(str(host))
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    return asked


def test_a_host_that_does_not_resolve_fails_at_once_naming_it(
    names_do_not_resolve: list[str],
) -> None:
    sleeps: list[float] = []
    client = CortexClient("https://cortex.invalid", KEY, sleep=sleeps.append, max_retries=6)
    with client, pytest.raises(CortexError) as info:
        client.list_scorecards()
    assert str(info.value) == (
        "GET /api/v1/scorecards failed: cannot resolve cortex.invalid: check CORTEX_BASE_URL"
    )
    assert not isinstance(info.value, CortexUnavailable)
    assert sleeps == []
    assert names_do_not_resolve == ["cortex.invalid"]
    assert client.stats.connection_errors == 1


def test_the_cli_reports_a_host_that_does_not_resolve_once_without_the_key(
    names_do_not_resolve: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    monkeypatch.setenv("CORTEX_API_KEY", "canary-dns-key-41")
    monkeypatch.setenv("CORTEX_BASE_URL", "https://cortex.invalid")
    Path("x.yaml").write_text("tag: x\nname: X\nrules:\n- title: R\n  expression: git != null\n")
    ran = run_cli("plan", "x.yaml")
    assert ran.code == 1
    assert "cannot resolve cortex.invalid: check CORTEX_BASE_URL" in ran.err
    assert "canary-dns-key-41" not in ran.out + ran.err
    assert len(names_do_not_resolve) == 1


@pytest.mark.parametrize(
    "base_url",
    [
        "https://acme.cortex.example/api/v1",
        "https://acme.cortex.example/api/v1/",
        "https://acme.cortex.example/API/V1",
    ],
)
def test_a_base_url_ending_in_the_api_prefix_is_cut_to_the_host_root(
    base_url: str, descriptor_ok: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(descriptor_ok)
    with caplog.at_level("WARNING", logger="scorecards_sync.cortex.http"):
        client = CortexClient(base_url, KEY, transport=httpx.MockTransport(script))
    assert client.base_url == "https://acme.cortex.example"
    client.get_descriptor("a")
    assert script.requests[0].url.path == "/api/v1/scorecards/a/descriptor"
    assert [r.getMessage() for r in caplog.records] == [
        "CORTEX_BASE_URL ends in /api/v1, which the client adds to every call itself: "
        "using https://acme.cortex.example"
    ]


def test_a_base_url_with_another_path_is_kept(descriptor_ok: httpx.Response) -> None:
    script = Script(descriptor_ok)
    client = CortexClient(
        "https://proxy.example/cortex", KEY, transport=httpx.MockTransport(script)
    )
    client.get_descriptor("a")
    assert script.requests[0].url.path == "/cortex/api/v1/scorecards/a/descriptor"


def test_the_cli_refuses_a_key_with_the_bearer_prefix_before_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    monkeypatch.setenv("CORTEX_API_KEY", "Bearer canary-123")
    monkeypatch.setenv("CORTEX_BASE_URL", "https://cortex.invalid")
    Path("x.yaml").write_text("tag: x\nname: X\nrules:\n- title: R\n  expression: git != null\n")
    ran = run_cli("plan", "x.yaml")
    assert ran.code != 0
    assert "CORTEX_API_KEY must be the key alone, without the `Bearer ` prefix" in ran.err
    assert "canary-123" not in ran.out + ran.err


def test_the_client_refuses_a_key_with_the_bearer_prefix() -> None:
    with pytest.raises(ConfigError, match="without the `Bearer ` prefix") as info:
        CortexClient("https://cortex.invalid", "Bearer canary-123")
    assert "canary-123" not in str(info.value)
