"""The emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from scorecards_sync.emulator import Emulator, Faults

DESCRIPTOR = "tag: {tag}\nname: {tag}\nrules:\n- title: R\n  expression: git != null\n"
AUTH = {"Authorization": "Bearer key"}


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator()
    emu.put_descriptor(DESCRIPTOR.format(tag="card"))
    return emu


def test_serves_on_loopback_and_stops(emu: Emulator) -> None:
    with emu.serve() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.base_url, headers=AUTH) as client:
            assert client.get("/api/v1/scorecards/card").json()["scorecard"]["tag"] == "card"
            descriptor = client.get("/api/v1/scorecards/card/descriptor")
            assert descriptor.text == emu.descriptor_text("card")
            created = client.post(
                "/api/v1/scorecards/descriptor",
                content=DESCRIPTOR.format(tag="over-http"),
                headers={"Content-Type": "application/yaml;charset=UTF-8"},
            )
            assert created.status_code == 200
            assert client.delete("/api/v1/scorecards/card").status_code == 200
        port = server.port
    assert emu.tags() == ["over-http"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/scorecards", headers=AUTH, timeout=2)


def test_keeps_connections_alive(emu: Emulator) -> None:
    peers: set[tuple[str, int]] = set()
    with emu.serve() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as client:
        for _ in range(5):
            response = client.get("/api/v1/scorecards")
            stream = response.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))
    assert len(peers) == 1


def test_answers_concurrent_clients(emu: Emulator) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def fetch(base_url: str) -> None:
        with httpx.Client(base_url=base_url, headers=AUTH) as client:
            for _ in range(10):
                status = client.get("/api/v1/scorecards/card/descriptor").status_code
                with lock:
                    statuses.append(status)

    with emu.serve() as server:
        threads = [threading.Thread(target=fetch, args=(server.base_url,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 80


def test_a_dropped_connection_gets_no_response(emu: Emulator) -> None:
    emu.faults = Faults(drop_rate=1.0)
    with emu.serve() as server:
        transport = httpx.HTTPTransport(retries=0)
        with httpx.Client(base_url=server.base_url, headers=AUTH, transport=transport) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/api/v1/scorecards/card")
            emu.faults = Faults()
            assert client.get("/api/v1/scorecards/card").status_code == 200
    assert emu.stats.dropped == 1


def test_reads_chunked_bodies(emu: Emulator) -> None:
    def chunks() -> Iterator[bytes]:
        text = DESCRIPTOR.format(tag="chunked").encode()
        yield text[:10]
        yield text[10:]

    with emu.serve() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as client:
        response = client.post("/api/v1/scorecards/descriptor", content=chunks())
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert response.status_code == 200
    assert "chunked" in emu.tags()


def test_refuses_a_huge_body_without_reading_it(emu: Emulator) -> None:
    with emu.serve() as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /api/v1/scorecards/descriptor HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer key\r\nContent-Length: 999999999\r\n\r\n"
        )
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 400")
    assert "Connection: close" in answer


def test_percent_encoded_paths_arrive_undecoded(emu: Emulator) -> None:
    with emu.serve() as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"GET /api/v1/scorecards/..%2F..%2Fapi%2Fv1%2Fscorecards HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer key\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 404")
    assert b"Scorecard with tag" in answer
