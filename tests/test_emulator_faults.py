"""Injected faults: seeded, at the configured rates, with the documented shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.emulator.faults import DIVERGED_SUFFIX, RateLimiter

DESCRIPTOR = "tag: {tag}\nname: {tag}\nrules:\n- title: R\n  expression: git != null\n"


def _client(emu: Emulator, key: str = "key") -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emu = Emulator()
    emu.put_descriptor(DESCRIPTOR.format(tag="card"))
    yield emu


def _statuses(client: httpx.Client, count: int, path: str = "/api/v1/scorecards/card") -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_random_throttling_answers_the_configured_share(emu: Emulator) -> None:
    emu.faults = Faults(throttle_rate=0.3, retry_after_seconds=2, seed=7)
    with _client(emu) as client:
        statuses = _statuses(client, 1000)
        response = next(
            r
            for r in (client.get("/api/v1/scorecards/card") for _ in range(50))
            if r.status_code == 429
        )
    throttled = statuses.count(429)
    assert 250 <= throttled <= 350
    assert statuses.count(200) == 1000 - throttled
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert body["retryAfter"] == 2
    assert set(body) == {"type", "title", "status", "detail", "instance", "retryAfter"}
    assert body["instance"] == "/api/v1/scorecards/card"
    assert emu.stats.throttled == throttled + 1


def test_the_same_seed_gives_the_same_faults() -> None:
    def run(seed: int) -> list[int]:
        emu = Emulator(faults=Faults(throttle_rate=0.5, seed=seed))
        with _client(emu) as client:
            return _statuses(client, 40, "/api/v1/scorecards")

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_the_rate_limit_refuses_past_the_bucket_per_key(emu: Emulator) -> None:
    emu.faults = Faults(rate_limit_per_minute=5)
    with _client(emu, "first") as first, _client(emu, "second") as second:
        assert _statuses(first, 5) == [200] * 5
        refused = first.get("/api/v1/scorecards/card")
        assert refused.status_code == 429
        # One request comes back every 60 / 5 = 12 seconds.
        assert 1 <= int(refused.headers["retry-after"]) <= 12
        assert refused.json()["retryAfter"] == int(refused.headers["retry-after"])
        assert second.get("/api/v1/scorecards/card").status_code == 200


def test_the_rate_limiter_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.acquire("k") is None for _ in range(60))
    assert limiter.acquire("k") == 1
    now[0] += 1.0
    assert limiter.acquire("k") is None
    assert limiter.acquire("k") is not None
    now[0] += 120.0
    assert sum(limiter.acquire("k") is None for _ in range(100)) == 60


def test_fail_rate_answers_500_on_post_descriptor_only(emu: Emulator) -> None:
    emu.faults = Faults(fail_rate=1.0)
    with _client(emu) as client:
        failed = client.post("/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag="new"))
        assert failed.status_code == 500
        body = failed.json()
        assert "evaluation is running" in body["message"]
        assert body["httpStatus"] == 500
        dry_run = client.post(
            "/api/v1/scorecards/descriptor",
            content=DESCRIPTOR.format(tag="new"),
            params={"dryRun": "true"},
        )
        assert dry_run.status_code == 200
        assert client.get("/api/v1/scorecards/card").status_code == 200
    assert emu.tags() == ["card"]
    assert emu.stats.injected_failures == 1


def test_fail_rate_is_a_share(emu: Emulator) -> None:
    emu.faults = Faults(fail_rate=0.2, seed=3)
    with _client(emu) as client:
        statuses = [
            client.post(
                "/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag=f"c{i}")
            ).status_code
            for i in range(500)
        ]
    assert 70 <= statuses.count(500) <= 130
    assert len(emu.tags()) == 1 + statuses.count(200)


def test_failing_tags_fail_until_the_faults_are_lifted(emu: Emulator) -> None:
    emu.faults = Faults(failing_tags=frozenset({"card", "doomed"}))
    with _client(emu) as client:
        post = client.post("/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag="doomed"))
        assert post.status_code == 500
        assert client.delete("/api/v1/scorecards/card").status_code == 500
        ok = client.post("/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag="fine"))
        assert ok.status_code == 200
        emu.faults = Faults()
        post = client.post("/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag="doomed"))
        assert post.status_code == 200
        assert client.delete("/api/v1/scorecards/card").status_code == 200
    assert emu.tags() == ["doomed", "fine"]


def test_diverging_tags_store_another_name_than_the_one_posted(emu: Emulator) -> None:
    emu.faults = Faults(diverging_tags=frozenset({"odd"}))
    with _client(emu) as client:
        for tag in ("odd", "even"):
            posted = client.post(
                "/api/v1/scorecards/descriptor", content=DESCRIPTOR.format(tag=tag)
            )
            assert posted.status_code == 200
        dry = client.post(
            "/api/v1/scorecards/descriptor",
            params={"dryRun": "true"},
            content=DESCRIPTOR.format(tag="dry"),
        )
        assert dry.status_code == 200
    assert f"name: odd{DIVERGED_SUFFIX}" in (emu.descriptor_text("odd") or "")
    assert "name: even\n" in (emu.descriptor_text("even") or "")
    assert "dry" not in emu.tags()


def test_dropped_connections_raise_a_protocol_error_in_process(emu: Emulator) -> None:
    emu.faults = Faults(drop_rate=0.1, seed=11)
    dropped = 0
    with _client(emu) as client:
        for _ in range(400):
            try:
                client.get("/api/v1/scorecards/card")
            except httpx.RemoteProtocolError:
                dropped += 1
    assert 20 <= dropped <= 60
    assert emu.stats.dropped == dropped
    assert emu.stats.total == 400


def test_latency_is_added_to_every_request(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    emu.faults = Faults(latency_ms=50)
    with _client(emu) as client:
        _statuses(client, 3)
    assert slept == [0.05, 0.05, 0.05]


@pytest.mark.parametrize(
    "faults",
    [
        {"throttle_rate": 1.5},
        {"drop_rate": -0.1},
        {"latency_ms": -1},
        {"rate_limit_per_minute": 0},
        {"retry_after_seconds": -1},
    ],
)
def test_impossible_faults_are_refused(faults: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Faults(**faults)  # type: ignore[arg-type]
