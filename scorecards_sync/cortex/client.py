"""Every Cortex scorecards API operation, over one thread-safe client: a library API.

Public and stable (README, "The Cortex client as a library"): `CortexClient`, its
constructor keywords, `from_env`, its public methods (the scorecard operations here, the
scores, next steps, badges, evaluations and exemptions of `entity_operations`), the names
in `__all__` below, the result types of `models`, and the exceptions of
`scorecards_sync.errors` it raises. The product calls the scorecard operations and, for
the impact preview (`impact_fetch`), `scores`; the others are there on purpose, to cover
Cortex's Scorecards API for users' scripts and the features to come, and each has a test
against the emulator in `tests/test_client.py`. Every other module of
`scorecards_sync.cortex` (`http`, `retry`, `ratelimit`, `shapes`) is internal.

Each operation builds an `ApiCall` and hands it to `CortexHttp` (`http.py`), which sends it
under the shared rate limiter, retries what is safe to retry and raises the typed errors
of `scorecards_sync.errors`; the answer is read by a `models` parser. Settings and paging
(the scorecard list, scores) are decided here.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from scorecards_sync import __version__, progress
from scorecards_sync.cortex import models
from scorecards_sync.cortex.breaker import DEFAULT_THRESHOLD, ConnectionBreaker
from scorecards_sync.cortex.endpoint import DEFAULT_KEY_HINT
from scorecards_sync.cortex.entity_operations import EntityOperations
from scorecards_sync.cortex.http import (
    DEFAULT_BASE_URL,
    DEFAULT_BURST,
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    EDIT,
    ENV_BASE_URL,
    EXEMPTIONS,
    MAX_PAGES,
    SCORECARDS,
    VIEW,
    YAML_CONTENT_TYPE,
    ApiCall,
    CortexHttp,
    check_base_url,
    descriptor_text,
    encode_segment,
    key_from_str,
)
from scorecards_sync.cortex.models import (
    ClientStats,
    EntityScore,
    Exemption,
    NextStep,
    ScorecardDetails,
    ScorecardScore,
    ScorecardSummary,
    UpsertResult,
)
from scorecards_sync.cortex.ratelimit import RateLimiter, Unlimited
from scorecards_sync.cortex.retry import RetryPolicy
from scorecards_sync.cortex.secret import Secret, api_key_from_env
from scorecards_sync.errors import (
    ConfigError,
    CortexNotFound,
    CortexRejected,
    CortexUnavailable,
)
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_BURST",
    "DEFAULT_RATE_LIMIT_PER_MINUTE",
    "EDIT",
    "ENV_BASE_URL",
    "EXEMPTIONS",
    "MAX_DESCRIPTOR_BYTES",
    "PAGE_SIZE",
    "SCORECARDS",
    "VIEW",
    "YAML_CONTENT_TYPE",
    "ClientStats",
    "CortexClient",
    "EntityScore",
    "Exemption",
    "NextStep",
    "ScorecardDetails",
    "ScorecardScore",
    "ScorecardSummary",
    "UpsertResult",
    "encode_segment",
]

PAGE_SIZE = 1000  # the API's maximum: one request lists up to 1000 scorecards
# Enough for one pass spoiled by a change and two that agree.
_LIST_PASSES = 4

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Listing:
    """One pass over the pages of `GET /api/v1/scorecards`."""

    found: dict[str, ScorecardSummary]
    pages: int
    # Every page announced the same total, and that many distinct scorecards came back.
    consistent: bool


class CortexClient(EntityOperations):
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
        unreachable_after: int = DEFAULT_THRESHOLD,
        max_throttled_retries: int = 30,
        retry_budget_seconds: float = 120.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        user_agent: str = f"scorecards-sync/{__version__}",
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        key_hint: str = DEFAULT_KEY_HINT,
    ) -> None:
        """`key_hint` says where the key and base URL came from, for a refused key."""
        if api_key is None:
            raise ConfigError("no Cortex API key given: set CORTEX_API_KEY")
        self._key: Secret = api_key if isinstance(api_key, Secret) else key_from_str(api_key)
        self.base_url = check_base_url(base_url)
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if timeout <= 0:
            raise ConfigError("timeout must be positive")
        if unreachable_after < 1:
            raise ConfigError("unreachable_after must be at least 1")
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
        self._api = CortexHttp(
            self.base_url,
            self._key,
            transport=transport,
            timeout=timeout,
            concurrency=concurrency,
            user_agent=user_agent,
            limiter=self.limiter,
            policy=self.policy,
            stats=self.stats,
            breaker=ConnectionBreaker(unreachable_after),
            sleep=sleep,
            clock=clock,
            key_hint=key_hint,
            rng=rng if rng is not None else random.Random(),
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
        self._api.close()

    def interrupt(self) -> None:
        """From any thread: calls waiting to retry give up (`cancelled`), and no new
        attempt is sent; an attempt on the wire finishes. For an interrupted apply."""
        self._api.interrupted.set()

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
            f"CortexClient(base_url={self._api.shown_base_url!r}, limiter={self.limiter!r}, "
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
        for page in range(MAX_PAGES):
            call = ApiCall(
                "GET",
                SCORECARDS,
                VIEW,
                params={"showDrafts": "true", "page": page, "pageSize": self.page_size},
            )
            items, info = self._api.parse(
                call, self._api.send(call), models.scorecard_page_from_json
            )
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
        call = ApiCall("GET", f"{SCORECARDS}/{encode_segment(tag)}", VIEW)
        return self._api.parse(call, self._api.send(call), models.scorecard_envelope_from_json)

    def get_descriptor(self, tag: str) -> str:
        """The YAML Cortex serves for `tag` (what the planner compares against)."""
        return self._get_descriptor(tag, None)

    def _get_descriptor(self, tag: str, cancel: threading.Event | None) -> str:
        call = ApiCall("GET", f"{SCORECARDS}/{encode_segment(tag)}/descriptor", VIEW)
        # The JSON-string form may hold the key written with escapes: redact once decoded.
        return self._api.redact_answer(descriptor_text(self._api.send(call, cancel)))

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
            finally:
                fetching.advance()

        with progress.phase("fetching descriptors", len(unique)) as fetching:
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
        call = ApiCall(
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
        response = self._api.send(call)
        return self._api.parse(
            call,
            response,
            lambda data: models.upsert_result_from_json(data, dry_run=dry_run),
            allow_empty=True,
        )

    def delete_scorecard(self, tag: str) -> None:
        """Delete `tag`; `CortexNotFound` if it does not exist."""
        call = ApiCall(
            "DELETE", f"{SCORECARDS}/{encode_segment(tag)}", EDIT, absent_is_success=True
        )
        self._api.send(call)
