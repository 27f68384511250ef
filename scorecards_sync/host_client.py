"""What the Git hosts' REST clients share: one httpx client, the token, retries, pages.

`github.client.GitHubClient` and `gitlab.client.GitLabClient` differ in their calls,
their auth header, how they page and which answers are rate limits; the rest is this
base. The token lives in a `Secret`, is sent only to the configured API origin (a
next-page link elsewhere is refused) and is redacted from every error. Retries are
bounded in count and time (`cortex.retry`): connection failures and 5xx on calls that
may be repeated back off with jitter, 429 waits as long as `Retry-After` says; a POST
that may have reached the host is never repeated (it would post twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import httpx

from scorecards_sync import __version__
from scorecards_sync.cortex.retry import RetryKind, RetryPolicy, RetryState, parse_retry_after
from scorecards_sync.cortex.secret import Secret
from scorecards_sync.errors import ApiCallError, ConfigError, redact

logger = logging.getLogger(__name__)

PER_PAGE = 100
# Far beyond any change request's comment count; stops a server that pages in a loop.
MAX_PAGES = 1000
DEFAULT_POLICY = RetryPolicy(
    max_retries=4, max_throttled_retries=5, budget_seconds=150.0, backoff_base=1.0
)

# The URL of a page and its query (None: the URL has it, as in a next-page link; httpx
# replaces a URL's query with any `params` given, even empty ones).
Page = tuple[str, Mapping[str, str] | None]


def error_body(
    response: httpx.Response, redact: Callable[[str], str] = str
) -> Mapping[str, Any] | str:
    """An error answer's JSON object; its text's start when it is not JSON (`redact`ed
    first, so that the cut never leaves part of a secret); "" for other JSON."""
    try:
        body = response.json()
    except ValueError:
        return redact(response.text.strip())[:200]
    return body if isinstance(body, dict) else ""


class HostClient:
    """A host's REST API under one token. A context manager."""

    host_name: ClassVar[str]  # "GitHub", as messages name it
    env_api_url: ClassVar[str]  # the variable that sets the API URL
    error_type: ClassVar[type[ApiCallError]] = ApiCallError

    def __init__(
        self,
        token: str | Secret,
        *,
        api_url: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._token = token if isinstance(token, Secret) else Secret(token)
        parts = urlsplit(api_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{self.env_api_url} must be an http(s) URL, got {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={**(headers or {}), "User-Agent": f"scorecards-sync/{__version__}"},
            follow_redirects=False,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r})"

    # -- what a host says differently -----------------------------------------------------------

    def _auth_header(self, token: str) -> Mapping[str, str]:
        """The header that carries `token` on every call."""
        raise NotImplementedError

    def _next_page(
        self, response: httpx.Response, path: str, query: Mapping[str, str] | None
    ) -> Page | None:
        """The URL and query of the page after `response`, or None after the last one."""
        raise NotImplementedError

    def _error(
        self, response: httpx.Response, method: str, shown: str, *, extra: str = ""
    ) -> ApiCallError:
        """The error for an answer that is not retried: what the host said, redacted."""
        raise NotImplementedError

    def _retry_delay(
        self,
        response: httpx.Response,
        state: RetryState,
        method: str,
        shown: str,
        *,
        idempotent: bool,
    ) -> float | None:
        """Seconds to wait before asking again, or None to fail: 429 and 5xx by default."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after") or None)
        if status == 429:
            delay = state.next_delay(RetryKind.THROTTLED, retry_after)
        elif status >= 500 and idempotent:
            delay = state.next_delay(RetryKind.TRANSIENT, retry_after)
        else:
            return None
        if delay is not None:
            logger.info("%s %s answered %d; retrying in %.1fs", method, shown, status, delay)
        return delay

    # -- transport ------------------------------------------------------------------------------

    def _paginate(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Every item of a listing, all pages, each page asked for with the token."""
        page: Page | None = (f"{self.api_url}{path}", {**(params or {}), "per_page": str(PER_PAGE)})
        for _ in range(MAX_PAGES):
            if page is None:
                return
            url, query = page
            response = self._request("GET", url, params=query, display_path=path)
            items = self._decoded(response, "GET", path)
            if not isinstance(items, list):
                raise self.error_type(
                    f"{self.host_name} answered GET {path} with something other than a list"
                )
            yield from items
            page = self._next_page(response, path, query)
            if page is not None and not self._same_origin(page[0]):
                raise self.error_type(
                    f"{self.host_name}'s next-page link for GET {path} leaves {self.api_url}; "
                    "refusing to send the token there"
                )
        raise self.error_type(f"GET {path} has more than {MAX_PAGES} pages; giving up")

    def _same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == self._origin

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        display_path: str | None = None,
    ) -> httpx.Response:
        url = path_or_url if "://" in path_or_url else f"{self.api_url}{path_or_url}"
        shown = display_path or path_or_url
        idempotent = method != "POST"
        state = RetryState(self._policy, clock=self._clock)
        while True:
            try:
                response = self._http.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=dict(self._auth_header(self._token.reveal())),
                )
            except httpx.TransportError as exc:
                # A POST that may have reached the host is not repeated: it would post twice.
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                retry = idempotent or not sent
                delay = state.next_delay(RetryKind.TRANSIENT) if retry else None
                reason = self._redact(f"{type(exc).__name__}: {exc}")
                if delay is None:
                    raise self.error_type(
                        f"cannot reach {self.host_name} at {self.api_url} ({method} {shown}): "
                        f"{reason}; gave up after {state.retries + 1} attempts",
                        method=method,
                        path=shown,
                    ) from None
                logger.info("%s %s failed (%s); retrying in %.1fs", method, shown, reason, delay)
                self._sleep(delay)
                continue
            except httpx.RequestError as exc:
                # Not the connection (an answer that does not decode, a redirect loop):
                # asking again would get the same; said with the token redacted.
                raise self.error_type(
                    f"{self.host_name} at {self.api_url} answered {method} {shown} with "
                    f"something unreadable: {self._redact(f'{type(exc).__name__}: {exc}')}",
                    method=method,
                    path=shown,
                ) from None
            if response.is_success:
                return response
            delay = self._retry_delay(response, state, method, shown, idempotent=idempotent)
            if delay is None:
                raise self._error(response, method, shown)
            self._sleep(delay)

    def _json(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """The JSON of a successful answer to the call (`_request`'s arguments)."""
        response = self._request(method, path_or_url, **kwargs)
        return self._decoded(response, method, kwargs.get("display_path") or path_or_url)

    def _decoded(self, response: httpx.Response, method: str, shown: str) -> Any:
        try:
            return response.json()
        except ValueError:
            # A proxy's sign-in page, a truncated answer: the host's error, not a crash.
            kind = response.headers.get("content-type") or "no content type"
            raise self.error_type(
                f"{self.host_name} answered {method} {shown} with something that is not JSON "
                f"(HTTP {response.status_code}, {kind})",
                method=method,
                path=shown,
            ) from None

    def _redact(self, text: str) -> str:
        return redact(text, self._token.reveal())
