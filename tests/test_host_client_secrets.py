"""The GitHub and GitLab tokens never reach an error, even in part: a host (or a proxy)
that quotes the token in an error answer gets it redacted before the answer is cut to
the length an error message shows.

In process: a scripted `httpx.MockTransport` plays the host.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from scorecards_sync.errors import ApiCallError
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.gitlab.client import GitLabClient
from scorecards_sync.host_client import DEFAULT_POLICY, HostClient

TOKEN = "glpat-Zq8Xv2Lm9Rt4Wp7Ks3Nd"  # a canary
# Every cut of an error answer falls somewhere in the token for one of these paddings.
PADDINGS = range(170, 520, 7)


def quoting(padding: int, *, as_json: bool) -> Callable[[httpx.Request], httpx.Response]:
    said = "x" * padding + " token " + TOKEN + " was refused"

    def answer(request: httpx.Request) -> httpx.Response:
        if as_json:
            return httpx.Response(403, content=json.dumps({"message": said}).encode())
        return httpx.Response(403, text=said)

    return answer


def _github(transport: httpx.MockTransport) -> HostClient:
    return GitHubClient(
        TOKEN, api_url="https://github.invalid", transport=transport, policy=DEFAULT_POLICY
    )


def _gitlab(transport: httpx.MockTransport) -> HostClient:
    return GitLabClient(TOKEN, api_url="https://gitlab.invalid/api/v4", transport=transport)


def _call(client: HostClient) -> None:
    if isinstance(client, GitHubClient):
        client.list_issue_comments("owner/repo", 4)
    else:
        assert isinstance(client, GitLabClient)
        client.list_notes("42", 4)


def pieces(secret: str, size: int = 8) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


@pytest.mark.parametrize("make", [_github, _gitlab], ids=["github", "gitlab"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_no_piece_of_the_token_survives_the_cut_of_an_error_answer(
    make: Callable[[httpx.MockTransport], HostClient], as_json: bool
) -> None:
    for padding in PADDINGS:
        client = make(httpx.MockTransport(quoting(padding, as_json=as_json)))
        with client, pytest.raises(ApiCallError) as info:
            _call(client)
        error = info.value
        shown = " ".join(
            [str(error), repr(error), *(str(v) for v in vars(error).values() if v is not None)]
        )
        leaked = [piece for piece in pieces(TOKEN) if piece in shown]
        assert not leaked, (padding, shown)


def raising(kind: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        quoted = request.headers.get("Authorization") or request.headers.get("PRIVATE-TOKEN")
        raise kind(f"failed with {quoted}", request=request)  # type: ignore[call-arg]

    return answer


@pytest.mark.parametrize("make", [_github, _gitlab], ids=["github", "gitlab"])
@pytest.mark.parametrize(
    "kind", [httpx.DecodingError, httpx.TooManyRedirects, httpx.ReadError, httpx.ConnectError]
)
def test_an_httpx_error_quoting_the_token_is_the_clients_error_without_it(
    make: Callable[[httpx.MockTransport], HostClient], kind: type[httpx.HTTPError]
) -> None:
    client = make(httpx.MockTransport(raising(kind)))
    client._sleep = lambda _: None  # no waiting between the retries of a read
    with client, pytest.raises(ApiCallError) as info:
        _call(client)
    assert TOKEN not in str(info.value) and "***" in str(info.value)


@pytest.mark.parametrize("make", [_github, _gitlab], ids=["github", "gitlab"])
@pytest.mark.parametrize("call", ["list", "create", "update"])
def test_an_answer_that_is_not_json_is_the_clients_error(
    make: Callable[[httpx.MockTransport], HostClient], call: str
) -> None:
    """A proxy's sign-in page answered with 200: the client's error (which the review core
    handles: it warns, withdraws, fails the run), never an unexpected exception."""

    def sign_in_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="<html>Sign in</html>", headers={"content-type": "text/html"}
        )

    with make(httpx.MockTransport(sign_in_page)) as client, pytest.raises(ApiCallError) as info:
        if isinstance(client, GitHubClient):
            if call == "list":
                client.list_issue_comments("owner/repo", 4)
            elif call == "create":
                client.create_issue_comment("owner/repo", 4, "body")
            else:
                client.update_issue_comment("owner/repo", 5, "body")
        else:
            assert isinstance(client, GitLabClient)
            if call == "list":
                client.list_notes("42", 4)
            elif call == "create":
                client.create_note("42", 4, "body")
            else:
                client.update_note("42", 4, 5, "body")
    assert "not JSON" in str(info.value) and "text/html" in str(info.value)
