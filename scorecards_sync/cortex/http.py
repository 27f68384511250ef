"""One Cortex API call over httpx: the key, the shared rate limiter, retries, typed errors.

`CortexHttp.send` applies the rate limiter, retries what is safe to retry (see `retry.py`),
logs each attempt at DEBUG without credentials, and turns failures into the typed errors of
`scorecards_sync.errors`; `CortexHttp.parse` reads a body with one of the `models` parsers.

Everything read back is untrusted: a body is read up to `MAX_RESPONSE_BYTES`, a redirect
is an error (never followed: the key goes nowhere but the base URL), and the key, which a
server or a proxy may echo, is taken out of every body before anyone reads it, so it can
reach no plan, comment or file.
The operations themselves are `client.py`'s.
"""

from __future__ import annotations

import errno
import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from scorecards_sync.cortex.breaker import ConnectionBreaker
from scorecards_sync.cortex.endpoint import DEFAULT_BASE_URL as DEFAULT_BASE_URL  # re-exported
from scorecards_sync.cortex.endpoint import DEFAULT_KEY_HINT
from scorecards_sync.cortex.endpoint import ENV_BASE_URL as ENV_BASE_URL  # re-exported
from scorecards_sync.cortex.models import ClientStats, ResponseShapeError
from scorecards_sync.cortex.ratelimit import RateLimiter, Unlimited
from scorecards_sync.cortex.retry import (
    RetryKind,
    RetryPolicy,
    RetryState,
    parse_retry_after,
    retry_after_from_problem,
)
from scorecards_sync.cortex.secret import ApiKey, Secret
from scorecards_sync.errors import (
    ConfigError,
    CortexAuthError,
    CortexError,
    CortexNotFound,
    CortexRejected,
    CortexUnavailable,
    CortexUnreachable,
    UsageError,
    redact,
)
from scorecards_sync.safe_text import one_line

YAML_CONTENT_TYPE = "application/yaml;charset=UTF-8"
DEFAULT_RATE_LIMIT_PER_MINUTE = 1000  # Cortex's documented limit per client
DEFAULT_BURST = 50  # what Cortex's own CLI allows itself (cortexapps-cli TokenBucket)

SCORECARDS = "/api/v1/scorecards"
# A bound on paging, should a server keep announcing more pages.
MAX_PAGES = 10_000
# A bound on one answer: a page of 1000 scorecards is a few MB; descriptors are under 2 MB.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

# The permissions named in a 403's message.
VIEW = "View Scorecards"
EDIT = "Edit Scorecards"
EXEMPTIONS = "Configure Scorecard exemptions"

# Failures where the request certainly never reached the server: always safe to resend.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Of those, the ones that say the server is not there (a full local pool says nothing).
_NOT_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout)
_GATEWAY_STATUSES = frozenset({502, 503, 504})

logger = logging.getLogger(__name__)

T = TypeVar("T")


def encode_segment(value: str) -> str:
    """One path segment, percent-encoded so it can never address another endpoint."""
    if not value:
        raise UsageError("a scorecard or entity tag must not be empty")
    encoded = quote(value, safe="")
    # httpx (like browsers) collapses "." and ".." segments; encoded they stay one segment.
    if set(encoded) == {"."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


class _BearerAuth(httpx.Auth):
    """Adds the key per request, so it never sits in the client's default headers."""

    def __init__(self, key: Secret) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str  # already percent-encoded
    permission: str  # named in the 403 message
    params: Mapping[str, str | int] = field(default_factory=dict)
    content: bytes | None = None
    json_body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Safe to send again after an attempt that may have reached the server.
    idempotent: bool = True
    # POST descriptor answers 500 while an evaluation of that scorecard runs.
    retry_server_error: bool = False
    # DELETE: a 404 after an attempt that may have reached the server means it worked.
    absent_is_success: bool = False

    def describe(self) -> str:
        return f"{self.method} {self.path}"


class CortexHttp:
    """The HTTP side of one `CortexClient`: its httpx client (with the key as bearer auth),
    its rate limiter and retry policy, and the translation of failures into our errors."""

    def __init__(
        self,
        base_url: str,
        key: Secret,
        *,
        transport: httpx.BaseTransport | None,
        timeout: float,
        concurrency: int,
        user_agent: str,
        limiter: RateLimiter | Unlimited,
        policy: RetryPolicy,
        stats: ClientStats,
        breaker: ConnectionBreaker,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
        key_hint: str = DEFAULT_KEY_HINT,
    ) -> None:
        self._key = key
        self.key_hint = key_hint
        self._key_token_re: re.Pattern[str] | None = None
        self.breaker = breaker
        self._answered = False  # any answer from the server, whatever its status
        self._notices = _RetryNotices(clock)
        self.interrupted = threading.Event()  # set by CortexClient.interrupt
        self.shown_base_url = without_userinfo(base_url)
        self.limiter = limiter
        self.policy = policy
        self.stats = stats
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._rng_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url,
            auth=_BearerAuth(key),
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(
                connect=min(timeout, 10.0), read=timeout, write=timeout, pool=timeout
            ),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
            follow_redirects=False,  # a redirect must never carry the key elsewhere
            trust_env=transport is None,
        )

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"CortexHttp(base_url={self.shown_base_url!r})"

    def send(self, call: ApiCall, cancel: threading.Event | None = None) -> httpx.Response:
        with self._rng_lock:
            rng = random.Random(self._rng.random())
        state = RetryState(self.policy, clock=self._clock, rng=rng)
        may_have_applied = False
        attempt = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise CortexError(
                    f"{call.describe()} cancelled", method=call.method, path=call.path
                )
            if self.interrupted.is_set():
                raise CortexError(
                    f"{call.describe()} cancelled by the interrupt"
                    + (" while retrying" if attempt else ""),
                    method=call.method,
                    path=call.path,
                )
            if self.breaker.is_open:
                raise self._unreachable(call, None, attempted=attempt > 0)
            attempt += 1
            waited = self.limiter.acquire()
            started = self._clock()
            response, failure = self._attempt(call)
            if failure is not None:
                # Raised outside any `except`: the httpx exception (whose text may hold a
                # URL or worse) is not chained to ours as __context__.
                logger.debug(
                    "%s -> %s after %.1f ms (attempt %d)",
                    call.describe(),
                    type(failure).__name__,
                    (self._clock() - started) * 1000,
                    attempt,
                )
                if not isinstance(failure, httpx.TransportError):
                    raise self._connection_error(call, failure, CortexError, state)
                self.stats.record_connection_error(waited)
                if _is_name_resolution_failure(failure):
                    # A host that does not resolve is a wrong URL far more often than a
                    # passing hiccup: retrying only delays the answer.
                    raise self._unresolved_host(call)
                if not self._answered and _is_refused_or_unreachable(failure):
                    # Nothing ever answered at this address: a wrong URL or port, or a
                    # server that is not running. Retrying would only delay saying so.
                    self.breaker.record_connection_failure()
                    raise self._refused(call, failure)
                if isinstance(failure, _NOT_CONNECTED) and (
                    self.breaker.record_connection_failure()
                ):
                    raise self._unreachable(call, failure, attempted=True)
                sent = not isinstance(failure, _NOT_SENT)
                if sent and not call.idempotent:
                    raise self._connection_error(call, failure, CortexError, state)
                delay = state.next_delay(RetryKind.TRANSIENT)
                if delay is None:
                    raise self._connection_error(call, failure, CortexUnavailable, state)
                may_have_applied = may_have_applied or sent
                told = "could not connect" if not sent else "the connection dropped"
                self._before_retry(
                    call,
                    delay,
                    f"{told} ({type(failure).__name__}) on {call.describe()}",
                    f"retry {state.transient} of {self.policy.max_retries}",
                    wave="connection",
                )
                continue
            assert response is not None

            status = response.status_code
            self._answered = True
            self.breaker.record_answer()
            self.stats.record_response(status, waited)
            logger.debug(
                "%s -> %d in %.1f ms (attempt %d)",
                call.describe(),
                status,
                (self._clock() - started) * 1000,
                attempt,
            )
            if status == 429:
                retry_after = _retry_after(response)
                delay = state.next_delay(RetryKind.THROTTLED, retry_after)
                if delay is None:
                    raise self._response_error(call, response, state, exhausted=True)
                if retry_after:
                    # The limit is per key: every thread waits, not just this one.
                    self.limiter.pause(retry_after)
                self._before_retry(
                    call,
                    delay,
                    "Cortex answered 429 (rate limit)",
                    f"retry {state.throttled} of {self.policy.max_throttled_retries}",
                    wave="429",
                )
                continue
            if (status in _GATEWAY_STATUSES and call.idempotent) or (
                status == 500 and call.retry_server_error
            ):
                delay = state.next_delay(RetryKind.TRANSIENT, _retry_after(response))
                if delay is None:
                    raise self._response_error(call, response, state, exhausted=True)
                may_have_applied = True
                self._before_retry(
                    call,
                    delay,
                    f"Cortex answered {status} to {call.describe()}",
                    f"retry {state.transient} of {self.policy.max_retries}",
                    wave=str(status),
                )
                continue
            if status == 404 and call.absent_is_success and may_have_applied:
                logger.debug("%s: already gone after an earlier attempt", call.describe())
                return self._without_key(call, response)
            if status >= 400:
                raise self._response_error(call, response, state, exhausted=False)
            if status >= 300:
                raise self._redirect_error(call, response)
            return self._without_key(call, response)

    def _attempt(self, call: ApiCall) -> tuple[httpx.Response | None, httpx.HTTPError | None]:
        request = self._http.build_request(
            call.method,
            call.path,
            params=dict(call.params),
            content=call.content,
            json=call.json_body,
            headers=_headers(call),
        )
        try:
            streamed = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            return None, exc
        try:
            body = _read_bounded(streamed)
        except httpx.HTTPError as exc:
            return None, exc
        finally:
            streamed.close()
        if body is None:
            raise CortexError(
                f"{call.describe()} answered more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB: "
                "not read (no Cortex answer is that big; is CORTEX_BASE_URL right?)",
                method=call.method,
                path=call.path,
                status=streamed.status_code,
            )
        return _with_body(streamed, body), None

    def _before_retry(
        self, call: ApiCall, delay: float, reason: str, count: str, *, wave: str
    ) -> None:
        self.stats.record_retry()
        logger.debug("%s: %s, retrying in %.2f s (%s)", call.describe(), reason, delay, count)
        if self._notices.first_of_wave(wave, delay):
            # At the default verbosity: a run that goes quiet for a while says why.
            logger.warning("%s: waiting %s (%s)", reason, _seconds(delay), count)
        if delay > 0 and self._sleep is time.sleep:
            self.interrupted.wait(delay)  # an interrupt ends the wait at once
        elif delay > 0:
            self._sleep(delay)

    def parse(
        self,
        call: ApiCall,
        response: httpx.Response,
        parse: Callable[[Any], T],
        *,
        allow_empty: bool = False,
    ) -> T:
        if allow_empty and not response.content.strip():
            return parse(None)
        try:
            data = json.loads(response.content)
        except ValueError:
            raise CortexError(
                f"{call.describe()} answered HTTP {response.status_code} with a body that is "
                "not JSON",
                method=call.method,
                path=call.path,
                status=response.status_code,
            ) from None
        try:
            return parse(self.redact_data(data))
        except ResponseShapeError as exc:
            raise CortexError(
                f"{call.describe()} answered an unexpected shape: {self.redact(str(exc))}",
                method=call.method,
                path=call.path,
                status=response.status_code,
            ) from None

    def redact(self, text: str) -> str:
        key = self._key.reveal()
        return redact(redact(text, key), f"Bearer {key}")

    def redact_answer(self, text: str) -> str:
        """`text` read from an answer, every copy of the key in it replaced by `***`.

        Unlike `redact` (for our own messages), the key counts only as a whole token, not
        inside a longer run of letters and digits: a real key is a long random token, and a
        short test key ("k") must not rewrite every word that holds its letters.
        """
        return self._key_token().sub("***", text)

    def redact_data(self, data: Any) -> Any:
        """Decoded JSON with the key taken out of every string (keys of objects too): the
        body may have held it written with JSON escapes."""
        if isinstance(data, str):
            return self.redact_answer(data)
        if isinstance(data, list):
            return [self.redact_data(item) for item in data]
        if isinstance(data, dict):
            return {self.redact_answer(str(k)): self.redact_data(v) for k, v in data.items()}
        return data

    def _key_token(self) -> re.Pattern[str]:
        if self._key_token_re is None:
            key = self._key.reveal()
            forms = dict.fromkeys((key, json.dumps(key)[1:-1]))
            either = "|".join(re.escape(form) for form in forms)
            self._key_token_re = re.compile(f"(?<![A-Za-z0-9])(?:{either})(?![A-Za-z0-9])")
        return self._key_token_re

    def _without_key(self, call: ApiCall, response: httpx.Response) -> httpx.Response:
        """`response` with every copy of the key (as sent, or as a JSON string holds it) in
        its body replaced by `***`, before anything reads it."""
        token = self._key_token()
        body = response.content
        pattern = re.compile(token.pattern.encode("utf-8"))
        clean = pattern.sub(b"***", body)
        if clean == body:
            return response
        logger.warning(
            "%s: the answer held the API key (a proxy echoing the Authorization header?); "
            "it was replaced by ***",
            call.describe(),
        )
        return _with_body(response, clean)

    def _redirect_error(self, call: ApiCall, response: httpx.Response) -> CortexError:
        location = self.redact(response.headers.get("Location", ""))
        where = f" to {one_line(without_userinfo(location))[:200]}" if location else ""
        return CortexError(
            f"{call.describe()} answered HTTP {response.status_code}, a redirect{where}: not "
            f"followed, so the API key is sent only to {self.shown_base_url}; set "
            f"{ENV_BASE_URL} to the address that answers (https:// rather than http://?)",
            method=call.method,
            path=call.path,
            status=response.status_code,
        )

    def _unresolved_host(self, call: ApiCall) -> CortexError:
        host = urlsplit(self.shown_base_url).hostname or self.shown_base_url
        return CortexError(
            f"{call.describe()} failed: cannot resolve {host}: check {ENV_BASE_URL}",
            method=call.method,
            path=call.path,
        )

    def _connection_error(
        self,
        call: ApiCall,
        exc: httpx.HTTPError,
        kind: type[CortexError],
        state: RetryState,
    ) -> CortexError:
        detail = self.redact(str(exc)) or "no detail"
        retried = f" (after {state.retries} retries)" if state.retries else ""
        return kind(
            f"{call.describe()} failed: cannot reach Cortex at {self.shown_base_url}"
            f"{retried}: {type(exc).__name__}: {detail}",
            method=call.method,
            path=call.path,
        )

    def _refused(self, call: ApiCall, exc: httpx.HTTPError) -> CortexError:
        what = "refused the connection" if _is_refused(exc) else "cannot be reached"
        return CortexError(
            f"{call.describe()} failed: Cortex at {self.shown_base_url} {what}: check "
            f"{ENV_BASE_URL} or --base-url (or start the emulator it names)",
            method=call.method,
            path=call.path,
        )

    def _unreachable(
        self, call: ApiCall, exc: httpx.HTTPError | None, *, attempted: bool
    ) -> CortexUnreachable:
        streak = (
            f"Cortex at {self.shown_base_url} stopped accepting connections "
            f"({self.breaker.threshold} connection attempts in a row failed)"
        )
        if exc is None:
            verdict = "failed, not retried" if attempted else "not sent"
            message = f"{call.describe()} {verdict}: {streak}"
        else:
            detail = self.redact(str(exc)) or "no detail"
            message = f"{call.describe()} failed: {streak}: {type(exc).__name__}: {detail}"
        return CortexUnreachable(message, attempted=attempted, method=call.method, path=call.path)

    def _response_error(
        self, call: ApiCall, response: httpx.Response, state: RetryState, *, exhausted: bool
    ) -> CortexError:
        status = response.status_code
        body = _error_body(response)
        cortex_message = _opt_text(body.get("message")) or _opt_text(body.get("title"))
        details = _opt_text(body.get("details")) or _opt_text(body.get("detail"))
        request_id = _opt_text(body.get("requestId"))
        # A server (or a proxy in front of it) may echo the request back: mask the key.
        cortex_message = self.redact(cortex_message) if cortex_message else None
        details = self.redact(details) if details else None
        request_id = self.redact(request_id) if request_id else None

        kind: type[CortexError]
        if exhausted:
            kind = CortexUnavailable
            headline = (
                f"{call.describe()} still failing with HTTP {status} after {state.retries} "
                f"retries over {state.elapsed():.1f} s"
            )
        elif status == 401:
            kind = CortexAuthError
            headline = (
                f"{call.describe()}: Cortex refused the API key (HTTP 401); check {self.key_hint}"
            )
        elif status == 403:
            kind = CortexAuthError
            headline = (
                f"{call.describe()}: the API key lacks the '{call.permission}' permission "
                "(HTTP 403)"
            )
        elif status == 404:
            kind = CortexNotFound
            headline = f"{call.describe()}: not found (HTTP 404)"
        elif status == 400:
            kind = CortexRejected
            headline = f"{call.describe()}: Cortex rejected the request (HTTP 400)"
        elif status in _GATEWAY_STATUSES:
            kind = CortexUnavailable
            headline = f"{call.describe()}: Cortex is unavailable (HTTP {status})"
        else:
            kind = CortexError
            headline = f"{call.describe()} failed with HTTP {status}"
        parts = [headline]
        if cortex_message:
            parts.append(f": {cortex_message}")
        if details and details != cortex_message:
            parts.append(f" — {details}")
        if request_id:
            parts.append(f" (request id {request_id})")
        return kind(
            self.redact("".join(parts)),
            method=call.method,
            path=call.path,
            status=status,
            cortex_message=cortex_message,
            details=details,
            request_id=request_id,
        )


# --------------------------------------------------------------------------- helpers


def key_from_str(value: str) -> ApiKey:
    try:
        return ApiKey(value.strip())
    except ValueError:
        raise ConfigError(
            "the Cortex API key is empty or contains control characters or line breaks"
        ) from None


def check_base_url(base_url: str) -> str:
    """`base_url` checked, without a trailing `/` and without the API's own `/api/v1`.

    Every call's path starts with `/api/v1`, so a base URL copied with that suffix
    (as Cortex's API docs show it) would address `/api/v1/api/v1/...`; it is cut off
    with a warning rather than refused, since what was meant is plain.
    """
    text = base_url.strip().rstrip("/")
    if text.lower().endswith(_API_PREFIX):
        root = text[: -len(_API_PREFIX)].rstrip("/")
        logger.warning(
            "%s ends in %s, which the client adds to every call itself: using %s",
            ENV_BASE_URL,
            _API_PREFIX,
            without_userinfo(root),
        )
        text = root
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{ENV_BASE_URL} must be an http(s) URL such as {DEFAULT_BASE_URL}, "
            f"not {without_userinfo(text)!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_BASE_URL} must not carry a query or fragment")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("the Cortex base URL is plain http: the API key travels unencrypted")
    return text


_API_PREFIX = "/api/v1"


def _is_name_resolution_failure(exc: BaseException) -> bool:
    """True when `exc` was caused, at any depth, by a failed host name lookup."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, socket.gaierror):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def _is_refused(exc: BaseException) -> bool:
    return any(isinstance(cause, ConnectionRefusedError) for cause in _causes(exc))


def _is_refused_or_unreachable(exc: BaseException) -> bool:
    """True for a connection refused, or a network or host the system has no route to."""
    return any(
        isinstance(cause, ConnectionRefusedError)
        or (isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS)
        for cause in _causes(exc)
    )


_UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 10 else f"{delay:.1f} s"


class _RetryNotices:
    """One warning per wave of retries: the first retry of a kind is told, and the others
    of that kind while its wait lasts (every worker hitting the same 429) are not."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._quiet_until: dict[str, float] = {}

    def first_of_wave(self, wave: str, delay: float) -> bool:
        now = self._clock()
        with self._lock:
            if now < self._quiet_until.get(wave, float("-inf")):
                return False
            self._quiet_until[wave] = now + max(delay, 1.0)
            return True


def without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def _headers(call: ApiCall) -> dict[str, str]:
    headers = dict(call.headers)
    headers.setdefault("Accept", "application/json")
    return headers


def _retry_after(response: httpx.Response) -> float | None:
    seconds = parse_retry_after(response.headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    return retry_after_from_problem(_error_body(response))


def _error_body(response: httpx.Response) -> Mapping[str, Any]:
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type:
        return {}
    try:
        data = json.loads(response.content)
    except ValueError:
        return {}
    return data if isinstance(data, Mapping) else {}


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _read_bounded(response: httpx.Response) -> bytes | None:
    """The (decoded) body of a streamed response; None past `MAX_RESPONSE_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read response carrying `body` (already decoded: no Content-Encoding any more)."""
    dropped = {"content-length", "content-encoding", "transfer-encoding"}
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def descriptor_text(response: httpx.Response) -> str:
    """The YAML text; the spec types this body as a JSON string, Cortex sends raw YAML."""
    content_type = response.headers.get("Content-Type", "")
    text = response.content.decode(response.charset_encoding or "utf-8", errors="replace")
    if "json" in content_type:
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text
