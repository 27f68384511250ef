"""What the current Cortex API does beyond the seed's page, in the client and the emulator.

`dateCreated` in the list and get JSON (required by the current API reference); exemption
requests made with an admin key approved at once (cortexapps/cli tests: an admin's request
is auto-approved, a viewer's stays PENDING); and `cortex scorecards trigger-evaluation`,
`POST /api/v1/scorecards/{tag}/entity/{entityTag}/scores`: 200, 404 for an unknown entity
or scorecard, 409 while that entity is already being evaluated.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import ADMIN, VIEW, Emulator
from scorecards_sync.errors import CortexError, CortexNotFound

DATA = Path(__file__).resolve().parent / "data" / "emulator"
TAG = "emulator-ladder"
ENTITY = "checkout"
BASE = "https://cortex.test"
ADMIN_KEY = "admin-key-0123456789abcdef"
VIEWER_KEY = "viewer-key-0123456789abcdef"


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator(api_keys={ADMIN_KEY: frozenset({ADMIN}), VIEWER_KEY: frozenset({VIEW})})
    emu.put_descriptor((DATA / "valid-ladder.yaml").read_text())
    return emu


def _http(emu: Emulator, key: str) -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(), base_url=BASE, headers={"Authorization": f"Bearer {key}"}
    )


def test_list_and_get_carry_date_created_which_an_update_keeps(emu: Emulator) -> None:
    with _http(emu, ADMIN_KEY) as http:
        created = http.get(f"/api/v1/scorecards/{TAG}").json()["scorecard"]["dateCreated"]
        text = (DATA / "valid-ladder.yaml").read_text().replace("name: ", "name: Renamed ", 1)
        posted = http.post(
            "/api/v1/scorecards/descriptor",
            content=text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        assert posted.json()["scorecard"]["dateCreated"] == created
        [listed] = http.get("/api/v1/scorecards").json()["scorecards"]
        assert listed["dateCreated"] == created
        assert listed["lastUpdated"] >= created
    with CortexClient(BASE, ADMIN_KEY, transport=emu.transport()) as client:
        assert client.get_scorecard(TAG).date_created == created


@pytest.mark.parametrize(("key", "status"), [(ADMIN_KEY, "APPROVED"), (VIEWER_KEY, "PENDING")])
def test_an_admin_keys_exemption_request_is_approved_at_once(
    emu: Emulator, key: str, status: str
) -> None:
    with _http(emu, key) as http:
        response = http.post(
            f"/api/v1/scorecards/{TAG}/entity/{ENTITY}/exemption",
            json={"ruleIdentifier": rule_identifier("oncall != null"), "reason": "migrating"},
        )
    assert response.status_code == 200
    assert response.json()["exemptionStatus"]["status"] == status


def test_an_admin_key_may_do_everything(emu: Emulator) -> None:
    with _http(emu, ADMIN_KEY) as http:
        assert http.delete(f"/api/v1/scorecards/{TAG}").status_code == 200


def test_trigger_evaluation_in_the_emulator(emu: Emulator) -> None:
    path = f"/api/v1/scorecards/{TAG}/entity/{ENTITY}/scores"
    with _http(emu, ADMIN_KEY) as http:
        assert http.post(path).status_code == 200
        running = http.post(path)
        assert running.status_code == 409
        assert running.json()["type"] == "CONFLICT"
        assert "already being evaluated" in running.json()["message"]
        # Another entity is not held up by it.
        assert http.post(f"/api/v1/scorecards/{TAG}/entity/ledger/scores").status_code == 200
        assert http.post(f"/api/v1/scorecards/{TAG}/entity/nope/scores").status_code == 404
        assert http.post("/api/v1/scorecards/nope/entity/checkout/scores").status_code == 404
        # Evaluations that take no time never overlap.
        emu.evaluation_seconds = 0
        again = f"/api/v1/scorecards/{TAG}/entity/search/scores"
        assert [http.post(again).status_code for _ in range(2)] == [200, 200]
    with _http(emu, VIEWER_KEY) as http:
        assert http.post(path).status_code == 403


def test_trigger_evaluation_through_the_client(emu: Emulator) -> None:
    with CortexClient(BASE, ADMIN_KEY, transport=emu.transport()) as client:
        client.evaluate_entity(TAG, ENTITY)
        with pytest.raises(CortexError) as running:
            client.evaluate_entity(TAG, ENTITY)
        assert running.value.status == 409
        with pytest.raises(CortexNotFound):
            client.evaluate_entity(TAG, "nope")
