"""The emulator: one request-handling core behind two fronts (see DESIGN.md section 4).

`Emulator.handle` takes an `EmuRequest` and gives an `EmuResponse`, or None
when the connection is to be dropped; `transport()` (in-process, for httpx)
and `serve()` (HTTP on 127.0.0.1) only translate. Order of checks, as a
gateway in front of a service would do them: dropped connection, latency,
rate limit and random throttling, authentication, routing, permission, then
the operation.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorecards_sync.emulator import routes
from scorecards_sync.emulator.catalog import DEFAULT_CATALOG, Catalog
from scorecards_sync.emulator.catalog_file import catalog_from_data, catalog_json
from scorecards_sync.emulator.faults import FaultDice, Faults
from scorecards_sync.emulator.handlers import Call, Handlers
from scorecards_sync.emulator.legacy_filter import LegacyFilterExport
from scorecards_sync.emulator.params import Answer, parse_query
from scorecards_sync.emulator.protocol import (
    EmuRequest,
    EmuResponse,
    error_response,
    too_many_requests,
)
from scorecards_sync.emulator.store import Store
from scorecards_sync.errors import ScorecardsSyncError, ValidationFailed

if TYPE_CHECKING:
    import httpx

    from scorecards_sync.emulator.server import EmulatorServer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stats:
    """Counters since the emulator started or `reset_stats()` was called."""

    total: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    by_operation: collections.Counter[str] = field(default_factory=collections.Counter)
    dropped: int = 0
    throttled: int = 0
    """Requests answered 429, by the rate limit or at random."""
    injected_failures: int = 0
    """Requests answered 500 by `fail_rate` or `failing_tags`."""


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.by_status: collections.Counter[int] = collections.Counter()
        self.by_operation: collections.Counter[str] = collections.Counter()
        self.dropped = 0
        self.throttled = 0
        self.injected_failures = 0

    def snapshot(self) -> Stats:
        with self.lock:
            return Stats(
                self.total,
                collections.Counter(self.by_status),
                collections.Counter(self.by_operation),
                self.dropped,
                self.throttled,
                self.injected_failures,
            )


class Emulator:
    """A stateful stand-in for Cortex's scorecards API."""

    def __init__(
        self,
        state_file: Path | None = None,
        api_keys: Mapping[str, frozenset[str]] | None = None,
        faults: Faults | None = None,
        seed_dir: Path | None = None,
        catalog: Catalog | None = None,
        legacy_filter: LegacyFilterExport = LegacyFilterExport.AS_POSTED,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate_clock` is the time of the rate limit's token bucket (tests pass a virtual one)."""
        self._store = Store(state_file)
        self._api_keys = dict(api_keys) if api_keys is not None else None
        self._rate_clock = rate_clock
        self._dice = FaultDice(faults or Faults(), rate_clock)
        self._counters = _Counters()
        self.catalog = self._catalog(catalog)
        self._handlers = Handlers(self._store, _utc_now, self.catalog, legacy_filter)
        if seed_dir is not None:
            self._seed(seed_dir)

    def __repr__(self) -> str:
        # Never the keys: only how many there are.
        keys = "any" if self._api_keys is None else f"{len(self._api_keys)} keys"
        return f"Emulator(state_file={self._store.state_file!r}, api_keys={keys})"

    # --- configuration ------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._dice.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._dice = FaultDice(faults, self._rate_clock)

    @property
    def legacy_filter(self) -> LegacyFilterExport:
        """How a legacy `category` filter is served (see `emulator/legacy_filter.py`)."""
        return self._handlers.legacy_filter

    @legacy_filter.setter
    def legacy_filter(self, mode: LegacyFilterExport) -> None:
        self._handlers.legacy_filter = mode

    @property
    def evaluation_seconds(self) -> float:
        """How long an evaluation triggered on demand runs (a trigger meanwhile is a 409)."""
        return self._handlers.evaluation_seconds

    @evaluation_seconds.setter
    def evaluation_seconds(self, seconds: float) -> None:
        self._handlers.evaluation_seconds = seconds

    @property
    def stats(self) -> Stats:
        return self._counters.snapshot()

    def reset_stats(self) -> None:
        self._counters = _Counters()

    # --- direct access (tests, benchmarks) ----------------------------------------------

    def put_descriptor(self, yaml_text: str) -> str:
        """Create or update a scorecard as `POST .../descriptor` would; returns its tag."""
        try:
            tag, _ = self._handlers.upsert(yaml_text.encode("utf-8"), dry_run=False)
        except Answer as answer:
            raise ValidationFailed(_rejection_text(answer.response)) from None
        return tag

    def descriptor_text(self, tag: str) -> str | None:
        with self._store.reading() as state:
            record = state["scorecards"].get(tag)
            return None if record is None else str(record["text"])

    def tags(self) -> list[str]:
        with self._store.reading() as state:
            return sorted(state["scorecards"])

    def _catalog(self, given: Catalog | None) -> Catalog:
        """The catalog given (kept in the state file, if any), else the state file's one."""
        if given is not None:
            if self._store.state_file is not None:
                with self._store.writing() as state:
                    state["catalog"] = catalog_json(given)
            return given
        with self._store.reading() as state:
            kept = state.get("catalog")
        if kept is None:
            return DEFAULT_CATALOG
        return catalog_from_data(kept, f"{self._store.state_file} (catalog)")

    def _seed(self, seed_dir: Path) -> None:
        from scorecards_sync.loader import load_paths

        with self._store.reading() as state:
            if state["scorecards"]:
                return
        loaded = load_paths([seed_dir])
        if loaded.problems:
            listing = "\n".join(str(p) for p in loaded.problems)
            raise ValidationFailed(f"cannot seed the emulator from {seed_dir}:\n{listing}")
        for document in loaded.documents:
            try:
                tag, _ = self._handlers.upsert(document.text.encode("utf-8"), dry_run=False)
            except Answer as answer:
                raise ValidationFailed(
                    f"cannot seed the emulator with {document.path}: "
                    + _rejection_text(answer.response)
                ) from None
            # Seeded scorecards were "created earlier": evaluated, found by search.
            with self._store.writing() as state:
                state["scorecards"][tag]["evaluated"] = True

    # --- fronts -------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        from scorecards_sync.emulator.transport import EmulatorTransport

        return EmulatorTransport(self.handle)

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[EmulatorServer]:
        """Serve on 127.0.0.1 in a background thread for the duration of the block."""
        from scorecards_sync.emulator.server import EmulatorServer

        server = EmulatorServer(self.handle, port)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    # --- the core -----------------------------------------------------------------------

    def handle(self, request: EmuRequest) -> EmuResponse | None:
        """The answer to one request, or None to drop the connection without one."""
        dice = self._dice
        counters = self._counters
        with counters.lock:
            counters.total += 1
        faults = dice.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000.0)
        if dice.roll(faults.drop_rate):
            with counters.lock:
                counters.dropped += 1
            return None
        operation, response, injected = self._answer(request, dice)
        with counters.lock:
            counters.by_status[response.status] += 1
            if operation:
                counters.by_operation[operation] += 1
            if response.status == 429:
                counters.throttled += 1
            if injected:
                counters.injected_failures += 1
        logger.debug("%s %s -> %d", request.method, request.path, response.status)
        return response

    def _answer(self, request: EmuRequest, dice: FaultDice) -> tuple[str, EmuResponse, bool]:
        """(operationId or "", the response, whether it is an injected failure)."""
        token = _bearer_token(request.headers.get("authorization", ""))
        caller = hashlib.sha256((token or "").encode()).hexdigest()
        instance = urllib.parse.quote(request.path, safe="/%:@!$&'()*+,;=-._~")
        if dice.limiter is not None:
            wait = dice.limiter.acquire(caller)
            if wait is not None:
                limit = dice.faults.rate_limit_per_minute
                detail = f"Rate limit of {limit} requests per minute exceeded"
                return "", too_many_requests(wait, instance, detail), False
        if dice.roll(dice.faults.throttle_rate):
            retry = dice.faults.retry_after_seconds
            return "", too_many_requests(retry, instance, "Too many requests; slow down"), False
        permissions = self._permissions(token)
        if permissions is None:
            message = "Missing or invalid API key (Authorization: Bearer)"
            return "", error_response(401, "Unauthorized", details=message), False
        found = routes.match(request.method, request.path)
        if found.route is None:
            if found.allowed:
                allow = ", ".join(found.allowed)
                message = f"Method {request.method} is not supported here"
                return "", error_response(405, message, headers=(("Allow", allow),)), False
            return "", error_response(404, f"No endpoint {request.method} {instance}"), False
        route = found.route
        if route.permission not in permissions:
            message = f"This API key lacks the permission to {_DESCRIBE[route.permission]}"
            return route.operation, error_response(403, message), False
        if route.operation in dice.faults.refused_operations:
            message = "This API key's role lacks the permission for this operation"
            return route.operation, error_response(403, message), False
        call = Call(
            request,
            found.params,
            parse_query(request.query),
            _actor(token or ""),
            dice,
            permissions,
        )
        try:
            return route.operation, self._handlers.dispatch(route.operation, call), False
        except Answer as answer:
            return route.operation, answer.response, answer.injected
        except Exception as exc:
            # The last resort (a state file damaged while serving, a bug): a server answers
            # 500, it does not take its client down with it, in process or on loopback.
            return route.operation, _internal_error(route.operation, exc), False

    def _permissions(self, token: str | None) -> frozenset[str] | None:
        if not token:
            return None
        if self._api_keys is None:
            return routes.ALL_PERMISSIONS
        granted = self._api_keys.get(token)
        if granted is not None and routes.ADMIN in granted:
            return granted | routes.ALL_PERMISSIONS
        return granted


_DESCRIBE: Mapping[str, str] = {
    routes.VIEW: "view scorecards",
    routes.EDIT: "edit scorecards",
    routes.EXEMPTIONS: "configure scorecard exemptions",
}


def _bearer_token(header: str) -> str | None:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _actor(token: str) -> dict[str, Any]:
    # Cortex shows the last four characters of the key; too short a key shows nothing of it.
    last4 = token[-4:] if len(token) >= 16 else "****"
    return {"type": "API", "apiKeyLast4": last4}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _internal_error(operation: str, exc: Exception) -> EmuResponse:
    if isinstance(exc, ScorecardsSyncError):
        details = str(exc)
    else:
        details = f"the emulator failed: {type(exc).__name__}: {exc}"
    logger.error("%s answered 500: %s", operation, details)
    logger.debug("%s failed", operation, exc_info=exc)
    return error_response(500, "Internal server error", details=details)


def _rejection_text(response: EmuResponse) -> str:
    payload = json.loads(response.body)
    details = payload.get("details")
    return str(payload["message"]) + (f":\n{details}" if details else "")
