"""The exemption flow: requested, approved or denied, revoked; and the 400s the spec lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import Emulator

DATA = Path(__file__).resolve().parent / "data" / "emulator"
TAG = "emulator-ladder"
ENTITY = "checkout"
BASE = f"/api/v1/scorecards/{TAG}/entity/{ENTITY}/exemption"
RULE = rule_identifier("oncall != null")
KEY = "exemption-test-key-7c1d"


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator()
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    return emu


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": f"Bearer {KEY}"},
    ) as client:
        yield client


def _request(client: httpx.Client, **extra: Any) -> httpx.Response:
    return client.post(BASE, json={"ruleIdentifier": RULE, "reason": "migrating", **extra})


def _rule_score(client: httpx.Client) -> dict[str, Any]:
    body = client.get(f"/api/v1/scorecards/{TAG}/scores", params={"entityTag": ENTITY}).json()
    (service,) = body["serviceScores"]
    result: dict[str, Any] = service
    return result


def test_request_approve_revoke(client: httpx.Client) -> None:
    requested = _request(client, days=30)
    assert requested.status_code == 200
    exemption = requested.json()
    assert exemption["exemptionStatus"] == {"status": "PENDING"}
    assert exemption["requestingReason"] == "migrating"
    assert exemption["requestedBy"] == {"type": "API", "apiKeyLast4": KEY[-4:]}
    assert exemption["endDate"] > exemption["requestedDate"]

    approved = client.put(f"{BASE}/approve", json={"ruleIdentifier": RULE})
    assert approved.status_code == 200
    (decided,) = approved.json()["exemptions"]
    assert decided["exemptionStatus"]["status"] == "APPROVED"
    assert decided["exemptionStatus"]["handledBy"]["type"] == "API"

    service = _rule_score(client)
    (listed,) = service["ruleExemptions"]
    assert listed["ruleIdentifier"] == RULE
    assert listed["ruleExpression"] == "oncall != null"
    outcome = next(r for r in service["score"]["rules"] if r["identifier"] == RULE)
    assert outcome["score"] == 1

    revoked = client.put(f"{BASE}/revoke", json={"ruleIdentifier": RULE, "reason": "done"})
    assert revoked.status_code == 200
    assert revoked.json()["exemptions"][0]["exemptionStatus"]["status"] == "REJECTED"
    again = client.put(f"{BASE}/revoke", json={"ruleIdentifier": RULE, "reason": "done"})
    assert again.status_code == 400
    assert again.json()["message"] == "No approved exemptions to revoke found"


def test_request_deny(client: httpx.Client) -> None:
    _request(client)
    denied = client.put(f"{BASE}/deny", json={"ruleIdentifier": RULE, "reason": "no"})
    assert denied.status_code == 200
    assert denied.json()["exemptions"][0]["exemptionStatus"]["status"] == "REJECTED"
    for action, body in [
        ("approve", {"ruleIdentifier": RULE}),
        ("deny", {"ruleIdentifier": RULE, "reason": "no"}),
    ]:
        response = client.put(f"{BASE}/{action}", json=body)
        assert response.status_code == 400
        assert response.json()["message"] == f"No pending exemptions to {action} found"


def test_asking_again_answers_with_the_open_exemption(client: httpx.Client) -> None:
    first = _request(client)
    again = _request(client, reason="other words")
    assert again.status_code == 200
    assert again.json() == first.json()
    client.put(f"{BASE}/approve", json={"ruleIdentifier": RULE})
    approved = _request(client)
    assert approved.json()["exemptionStatus"]["status"] == "APPROVED"
    (listed,) = _rule_score(client)["ruleExemptions"]
    assert listed["requestingReason"] == "migrating"


@pytest.mark.parametrize("days", [None, 0, -3, 10**15])
def test_without_a_usable_number_of_days_the_exemption_has_no_end(
    client: httpx.Client, days: int | None
) -> None:
    response = _request(client, days=days)
    assert response.status_code == 200
    assert "endDate" not in response.json()


def test_auto_approve(emu: Emulator, client: httpx.Client) -> None:
    text = (DATA / "valid-ladder.yaml").read_text()
    emu.put_descriptor(text.replace("  enabled: true", "  enabled: true\n  autoApprove: true"))
    assert _request(client).json()["exemptionStatus"]["status"] == "APPROVED"


def test_exemptions_must_be_enabled(emu: Emulator, client: httpx.Client) -> None:
    emu.put_descriptor(
        (DATA / "valid-ladder.yaml").read_text().replace("enabled: true", "enabled: false")
    )
    response = _request(client)
    assert response.status_code == 400
    assert "not enabled" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (BASE, {"ruleIdentifier": "no-such-rule", "reason": "r"}, 404),
        (BASE.replace(ENTITY, "nobody"), {"ruleIdentifier": RULE, "reason": "r"}, 404),
        (BASE.replace(TAG, "no-such-card"), {"ruleIdentifier": RULE, "reason": "r"}, 404),
        (BASE, {"ruleIdentifier": RULE}, 400),
        (BASE, {"ruleIdentifier": RULE, "reason": "r", "days": "soon"}, 400),
        (BASE, ["not", "an", "object"], 400),
    ],
)
def test_request_errors(client: httpx.Client, path: str, body: Any, status: int) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status
    assert response.json()["httpStatus"] == status


def test_deleting_the_scorecard_drops_its_exemptions(emu: Emulator, client: httpx.Client) -> None:
    _request(client)
    client.delete(f"/api/v1/scorecards/{TAG}")
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    assert _rule_score(client)["ruleExemptions"] == []
