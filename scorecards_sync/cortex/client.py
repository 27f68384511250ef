"""Every Cortex scorecards API operation, over one thread-safe httpx client.

All calls go through `_send`, which applies the shared rate limiter, retries what is safe
to retry (see `retry.py`), logs each attempt at DEBUG without credentials, and turns
failures into the typed errors of `scorecards_sync.errors`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from scorecards_sync import __version__
from scorecards_sync.cortex import models
from scorecards_sync.cortex.models import (
    ClientStats,
    EntityScore,
    Exemption,
    NextStep,
    ResponseShapeError,
    ScorecardDetails,
    ScorecardScore,
    ScorecardSummary,
    UpsertResult,
)
from scorecards_sync.cortex.ratelimit import RateLimiter, Unlimited
from scorecards_sync.cortex.retry import (
    RetryKind,
    RetryPolicy,
    RetryState,
    parse_retry_after,
    retry_after_from_problem,
)
from scorecards_sync.cortex.secret import ApiKey, Secret, api_key_from_env
from scorecards_sync.errors import (
    ConfigError,
    CortexAuthError,
    CortexError,
    CortexNotFound,
    CortexRejected,
    CortexUnavailable,
    UsageError,
    redact,
)

DEFAULT_BASE_URL = "https://api.getcortexapp.com"
ENV_BASE_URL = "CORTEX_BASE_URL"
SCORECARDS = "/api/v1/scorecards"
PAGE_SIZE = 1000  # the API's maximum: one request lists up to 1000 scorecards
MAX_DESCRIPTOR_BYTES = 2 * 1024 * 1024  # Cortex refuses bodies over 2 MB
YAML_CONTENT_TYPE = "application/yaml;charset=UTF-8"
DEFAULT_RATE_LIMIT_PER_MINUTE = 1000  # Cortex's documented limit per client
DEFAULT_BURST = 50  # what Cortex's own CLI allows itself (cortexapps-cli TokenBucket)

VIEW = "View Scorecards"
EDIT = "Edit Scorecards"
EXEMPTIONS = "Configure Scorecard exemptions"

# Failures where the request certainly never reached the server: always safe to resend.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_GATEWAY_STATUSES = frozenset({502, 503, 504})
_MAX_PAGES = 10_000
# Enough for one pass spoiled by a change and two that agree.
_LIST_PASSES = 4

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
class _Call:
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


@dataclass(frozen=True)
class _Listing:
    """One pass over the pages of `GET /api/v1/scorecards`."""

    found: dict[str, ScorecardSummary]
    pages: int
    # Every page announced the same total, and that many distinct scorecards came back.
    consistent: bool


class CortexClient:
    """A client for Cortex's scorecards API. Thread-safe; use as a context manager."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | Secret | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        rate_limit_per_minute: float | None = DEFAULT_RATE_LIMIT_PER_MINUTE,
        burst: int = DEFAULT_BURST,
        concurrency: int = 8,
        max_retries: int = 6,
        max_throttled_retries: int = 30,
        retry_budget_seconds: float = 120.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        user_agent: str = f"scorecards-sync/{__version__}",
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if api_key is None:
            raise ConfigError("no Cortex API key given: set CORTEX_API_KEY")
        self._key: Secret = api_key if isinstance(api_key, Secret) else _key_from_str(api_key)
        self.base_url = _check_base_url(base_url)
        self._shown_base_url = _without_userinfo(self.base_url)
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if timeout <= 0:
            raise ConfigError("timeout must be positive")
        if not 1 <= page_size <= PAGE_SIZE:
            raise ConfigError(f"page_size must be between 1 and {PAGE_SIZE}")
        self.concurrency = concurrency
        self.page_size = page_size
        self.policy = RetryPolicy(
            max_retries=max_retries,
            max_throttled_retries=max_throttled_retries,
            budget_seconds=retry_budget_seconds,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self.limiter: RateLimiter | Unlimited = (
            RateLimiter(rate_limit_per_minute, burst, clock=clock, sleep=sleep)
            if rate_limit_per_minute
            else Unlimited()
        )
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_BearerAuth(self._key),
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(
                connect=min(timeout, 10.0), read=timeout, write=timeout, pool=timeout
            ),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
            follow_redirects=False,  # a redirect must never carry the key elsewhere
            trust_env=transport is None,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> CortexClient:
        """Key from `CORTEX_API_KEY` (or the file `CORTEX_API_KEY_FILE`), URL from
        `CORTEX_BASE_URL`; keyword arguments override both."""
        env = os.environ if environ is None else environ
        if "api_key" not in kwargs:
            kwargs["api_key"] = api_key_from_env(env)
        if "base_url" not in kwargs:
            kwargs["base_url"] = env.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL
        return cls(**kwargs)

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CortexClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CortexClient(base_url={self._shown_base_url!r}, limiter={self.limiter!r}, "
            f"concurrency={self.concurrency})"
        )

    # ----------------------------------------------------------------- scorecards

    def list_scorecards(self) -> list[ScorecardSummary]:
        """Every scorecard, drafts included, across all pages.

        Never passes `groups`/`entities`/`teams`: those switch Cortex to a search that
        misses scorecards not yet evaluated. One page is one consistent answer. Across
        pages, a scorecard created or deleted between two requests shifts the pages, and a
        shift can hide a scorecard without moving the total; so a listing of several pages
        counts once the total held on every page, as many scorecards came back as it
        announced, and the next pass found the same tags. A partial list would plan existing
        scorecards as new and miss ones to prune: when no listing counts after
        `_LIST_PASSES` passes, `CortexUnavailable`.
        """
        previous: set[str] | None = None
        for _pass in range(_LIST_PASSES):
            listing = self._list_once()
            if not listing.consistent:
                previous = None
                logger.info("scorecards changed while listing them; listing again")
                continue
            tags = set(listing.found)
            if listing.pages == 1 or tags == previous:
                return list(listing.found.values())
            previous = tags
        raise CortexUnavailable(
            f"GET {SCORECARDS}: the scorecards kept changing while they were listed "
            f"({_LIST_PASSES} passes over the pages disagreed); stopped rather than work from a "
            "partial list. Try again once no one is creating or deleting scorecards",
            method="GET",
            path=SCORECARDS,
        )

    def _list_once(self) -> _Listing:
        found: dict[str, ScorecardSummary] = {}
        totals: set[int] = set()
        finished = False
        pages = 0
        for page in range(_MAX_PAGES):
            call = _Call(
                "GET",
                SCORECARDS,
                VIEW,
                params={"showDrafts": "true", "page": page, "pageSize": self.page_size},
            )
            items, info = self._parse(call, self._send(call), models.scorecard_page_from_json)
            pages += 1
            for item in items:
                found.setdefault(item.tag, item)
            if info.total is not None:
                totals.add(info.total)
            if not items or len(totals) > 1:
                finished = True
                break
            if info.total_pages is not None:
                if page + 1 >= info.total_pages:
                    finished = True
                    break
            elif len(items) < self.page_size:
                finished = True
                break
        (total,) = totals if len(totals) == 1 else (None,)
        consistent = finished and len(totals) <= 1 and (total is None or len(found) == total)
        return _Listing(found, pages, consistent)

    def get_scorecard(self, tag: str) -> ScorecardDetails:
        call = _Call("GET", f"{SCORECARDS}/{encode_segment(tag)}", VIEW)
        return self._parse(call, self._send(call), models.scorecard_envelope_from_json)

    def get_descriptor(self, tag: str) -> str:
        """The YAML Cortex serves for `tag` (what the planner compares against)."""
        return self._get_descriptor(tag, None)

    def _get_descriptor(self, tag: str, cancel: threading.Event | None) -> str:
        call = _Call("GET", f"{SCORECARDS}/{encode_segment(tag)}/descriptor", VIEW)
        return _descriptor_text(self._send(call, cancel))

    def fetch_descriptors(
        self, tags: Iterable[str], *, concurrency: int | None = None
    ) -> dict[str, str]:
        """Descriptors of many scorecards at once, in the order of `tags`.

        Runs up to `concurrency` requests at a time (at most the client's own
        `concurrency`, the size of its connection pool), all under its one rate limiter.
        A tag deleted meanwhile (404) is left out; any other failure cancels what has
        not started and is raised.
        """
        unique = list(dict.fromkeys(tags))
        if not unique:
            return {}
        workers = max(1, min(concurrency or self.concurrency, self.concurrency, len(unique)))
        cancel = threading.Event()

        def fetch(tag: str) -> str | None:
            try:
                return self._get_descriptor(tag, cancel)
            except CortexNotFound:
                logger.debug("scorecard %r disappeared while fetching descriptors", tag)
                return None

        futures: dict[str, Future[str | None]] = {}
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cortex-fetch")
        try:
            for tag in unique:
                futures[tag] = executor.submit(fetch, tag)
            done, _pending = wait(futures.values(), return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    raise error
        except BaseException:
            cancel.set()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        result: dict[str, str] = {}
        for tag in unique:
            text = futures[tag].result()
            if text is not None:
                result[tag] = text
        return result

    def upsert_descriptor(self, yaml_text: str, *, dry_run: bool = False) -> UpsertResult:
        """Create or update the scorecard the YAML describes (keyed on its `tag`).

        With `dry_run`, Cortex only validates. A refusal raises `CortexRejected` carrying
        Cortex's message and details.
        """
        body = yaml_text.encode("utf-8")
        params: dict[str, str | int] = {"dryRun": "true"} if dry_run else {}
        call = _Call(
            "POST",
            f"{SCORECARDS}/descriptor",
            EDIT,
            params=params,
            content=body,
            headers={"Content-Type": YAML_CONTENT_TYPE, "Accept": "application/json"},
            retry_server_error=True,
        )
        if len(body) > MAX_DESCRIPTOR_BYTES:
            raise CortexRejected(
                f"{call.describe()} not sent: the descriptor is {len(body)} bytes, "
                f"over Cortex's limit of {MAX_DESCRIPTOR_BYTES} bytes",
                method=call.method,
                path=call.path,
            )
        response = self._send(call)
        return self._parse(
            call,
            response,
            lambda data: models.upsert_result_from_json(data, dry_run=dry_run),
            allow_empty=True,
        )

    def delete_scorecard(self, tag: str) -> None:
        """Delete `tag`; `CortexNotFound` if it does not exist."""
        call = _Call("DELETE", f"{SCORECARDS}/{encode_segment(tag)}", EDIT, absent_is_success=True)
        self._send(call)

    # ----------------------------------------------------------------- scores

    def scores(self, tag: str, *, entity_tag: str | None = None) -> list[EntityScore]:
        """Latest per-entity scores of a scorecard, all pages (or one entity's)."""
        found: dict[str, EntityScore] = {}
        for page in range(_MAX_PAGES):
            params: dict[str, str | int] = {"page": page, "pageSize": self.page_size}
            if entity_tag is not None:
                params["entityTag"] = entity_tag
            call = _Call("GET", f"{SCORECARDS}/{encode_segment(tag)}/scores", VIEW, params=params)
            items, info = self._parse(call, self._send(call), models.scores_page_from_json)
            for item in items:
                found.setdefault(item.entity_tag, item)
            if not items:
                break
            if info is not None and info.total_pages is not None:
                if page + 1 >= info.total_pages:
                    break
            elif len(items) < self.page_size:
                break
        return list(found.values())

    def entity_scores(self, tag_or_id: str) -> list[ScorecardScore]:
        """One entity's scores across all scorecards."""
        call = _Call("GET", f"/api/v1/catalog/{encode_segment(tag_or_id)}/scorecards", VIEW)
        return self._parse(call, self._send(call), models.scorecard_scores_from_json)

    def next_steps(self, tag: str, entity_tag: str) -> list[NextStep]:
        """Rules the entity must pass to reach the next level."""
        call = _Call(
            "GET",
            f"{SCORECARDS}/{encode_segment(tag)}/next-steps",
            VIEW,
            params={"entityTag": entity_tag},
        )
        return self._parse(call, self._send(call), models.next_steps_from_json)

    def badge(self, scorecard_tag: str, tag_or_id: str) -> str:
        """The shields.io badge value of an entity in a scorecard."""
        path = (
            f"{SCORECARDS}/{encode_segment(scorecard_tag)}/entity/{encode_segment(tag_or_id)}/badge"
        )
        call = _Call("GET", path, VIEW)
        return self._parse(call, self._send(call), models.badge_from_json)

    def evaluate_entity(self, tag: str, entity_tag: str) -> None:
        """Ask Cortex to evaluate one entity now (409 while an evaluation is running)."""
        path = f"{SCORECARDS}/{encode_segment(tag)}/entity/{encode_segment(entity_tag)}/scores"
        self._send(_Call("POST", path, EDIT, idempotent=False))

    # ----------------------------------------------------------------- exemptions

    def request_exemption(
        self,
        tag: str,
        entity_tag: str,
        rule_identifier: str,
        reason: str,
        *,
        days: int | None = None,
    ) -> Exemption:
        """Ask for an exemption of one rule for one entity (until revoked unless `days`)."""
        body: dict[str, Any] = {"ruleIdentifier": rule_identifier, "reason": reason}
        if days is not None:
            body["days"] = days
        call = self._exemption_call("POST", tag, entity_tag, "", body, VIEW)
        return self._parse(call, self._send(call), models.exemption_from_json)

    def approve_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier}
        call = self._exemption_call("PUT", tag, entity_tag, "/approve", body, EXEMPTIONS)
        return self._parse(call, self._send(call), models.exemptions_from_json)

    def deny_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str, reason: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier, "reason": reason}
        call = self._exemption_call("PUT", tag, entity_tag, "/deny", body, EXEMPTIONS)
        return self._parse(call, self._send(call), models.exemptions_from_json)

    def revoke_exemption(
        self, tag: str, entity_tag: str, rule_identifier: str, reason: str
    ) -> tuple[Exemption, ...]:
        body = {"ruleIdentifier": rule_identifier, "reason": reason}
        call = self._exemption_call("PUT", tag, entity_tag, "/revoke", body, EXEMPTIONS)
        return self._parse(call, self._send(call), models.exemptions_from_json)

    def _exemption_call(
        self,
        method: str,
        tag: str,
        entity_tag: str,
        action: str,
        body: Mapping[str, Any],
        permission: str,
    ) -> _Call:
        path = (
            f"{SCORECARDS}/{encode_segment(tag)}/entity/{encode_segment(entity_tag)}"
            f"/exemption{action}"
        )
        # Repeating a request or a decision is not harmless (a second request, a 400).
        return _Call(method, path, permission, json_body=dict(body), idempotent=False)

    # ----------------------------------------------------------------- transport

    def _send(self, call: _Call, cancel: threading.Event | None = None) -> httpx.Response:
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
                sent = not isinstance(failure, _NOT_SENT)
                if sent and not call.idempotent:
                    raise self._connection_error(call, failure, CortexError, state)
                delay = state.next_delay(RetryKind.TRANSIENT)
                if delay is None:
                    raise self._connection_error(call, failure, CortexUnavailable, state)
                may_have_applied = may_have_applied or sent
                self._before_retry(call, delay, type(failure).__name__)
                continue
            assert response is not None

            status = response.status_code
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
                self._before_retry(call, delay, "429")
                continue
            if (status in _GATEWAY_STATUSES and call.idempotent) or (
                status == 500 and call.retry_server_error
            ):
                delay = state.next_delay(RetryKind.TRANSIENT, _retry_after(response))
                if delay is None:
                    raise self._response_error(call, response, state, exhausted=True)
                may_have_applied = True
                self._before_retry(call, delay, str(status))
                continue
            if status == 404 and call.absent_is_success and may_have_applied:
                logger.debug("%s: already gone after an earlier attempt", call.describe())
                return response
            if status >= 400:
                raise self._response_error(call, response, state, exhausted=False)
            return response

    def _attempt(self, call: _Call) -> tuple[httpx.Response | None, httpx.HTTPError | None]:
        try:
            response = self._http.request(
                call.method,
                call.path,
                params=dict(call.params),
                content=call.content,
                json=call.json_body,
                headers=_headers(call),
            )
        except httpx.HTTPError as exc:
            return None, exc
        return response, None

    def _before_retry(self, call: _Call, delay: float, reason: str) -> None:
        self.stats.record_retry()
        logger.debug("%s: %s, retrying in %.2f s", call.describe(), reason, delay)
        if delay > 0:
            self._sleep(delay)

    def _parse(
        self,
        call: _Call,
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
            return parse(data)
        except ResponseShapeError as exc:
            raise CortexError(
                f"{call.describe()} answered an unexpected shape: {self._redact(str(exc))}",
                method=call.method,
                path=call.path,
                status=response.status_code,
            ) from None

    def _redact(self, text: str) -> str:
        key = self._key.reveal()
        return redact(redact(text, key), f"Bearer {key}")

    def _connection_error(
        self,
        call: _Call,
        exc: httpx.HTTPError,
        kind: type[CortexError],
        state: RetryState,
    ) -> CortexError:
        detail = self._redact(str(exc)) or "no detail"
        retried = f" (after {state.retries} retries)" if state.retries else ""
        return kind(
            f"{call.describe()} failed: cannot reach Cortex at {self._shown_base_url}"
            f"{retried}: {type(exc).__name__}: {detail}",
            method=call.method,
            path=call.path,
        )

    def _response_error(
        self, call: _Call, response: httpx.Response, state: RetryState, *, exhausted: bool
    ) -> CortexError:
        status = response.status_code
        body = _error_body(response)
        cortex_message = _opt_text(body.get("message")) or _opt_text(body.get("title"))
        details = _opt_text(body.get("details")) or _opt_text(body.get("detail"))
        request_id = _opt_text(body.get("requestId"))
        # A server (or a proxy in front of it) may echo the request back: mask the key.
        cortex_message = self._redact(cortex_message) if cortex_message else None
        details = self._redact(details) if details else None
        request_id = self._redact(request_id) if request_id else None

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
                f"{call.describe()}: Cortex refused the API key (HTTP 401); check "
                "CORTEX_API_KEY (or CORTEX_API_KEY_FILE) and CORTEX_BASE_URL"
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
            self._redact("".join(parts)),
            method=call.method,
            path=call.path,
            status=status,
            cortex_message=cortex_message,
            details=details,
            request_id=request_id,
        )


# --------------------------------------------------------------------------- helpers


def _key_from_str(value: str) -> ApiKey:
    try:
        return ApiKey(value.strip())
    except ValueError:
        raise ConfigError(
            "the Cortex API key is empty or contains control characters or line breaks"
        ) from None


def _check_base_url(base_url: str) -> str:
    text = base_url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{ENV_BASE_URL} must be an http(s) URL such as {DEFAULT_BASE_URL}, "
            f"not {_without_userinfo(text)!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_BASE_URL} must not carry a query or fragment")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("the Cortex base URL is plain http: the API key travels unencrypted")
    return text


def _without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def _headers(call: _Call) -> dict[str, str]:
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


def _descriptor_text(response: httpx.Response) -> str:
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
