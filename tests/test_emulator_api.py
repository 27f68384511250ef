"""The emulator's scorecard operations through its in-process transport: shapes and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import EDIT, EXEMPTIONS, VIEW, Emulator
from scorecards_sync.errors import ValidationFailed

DATA = Path(__file__).resolve().parent / "data" / "emulator"
YAML_HEADERS = {"Content-Type": "application/yaml;charset=UTF-8"}


def _client(emu: Emulator, key: str = "test-key") -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with _client(emu) as client:
        yield client


def _post(client: httpx.Client, text: str, **params: str) -> httpx.Response:
    return client.post(
        "/api/v1/scorecards/descriptor",
        content=text.encode(),
        headers=YAML_HEADERS,
        params=params,
    )


def _error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.headers["content-type"].startswith("application/json")
    assert set(body) >= {"message", "type", "httpStatus", "requestId"}
    assert body["httpStatus"] == response.status_code
    return body


def _minimal(tag: str, *, draft: bool = False, title: str = "Has owner") -> str:
    return (
        f"tag: {tag}\nname: {tag.title()}\ndraft: {'true' if draft else 'false'}\n"
        f"rules:\n- title: {title}\n  expression: ownership.allOwners().length > 0\n"
    )


def test_post_creates_and_get_descriptor_serves_cortex_yaml(client: httpx.Client) -> None:
    response = _post(client, (DATA / "valid-ladder.yaml").read_text())
    assert response.status_code == 200
    scorecard = response.json()["scorecard"]
    assert scorecard["tag"] == "emulator-ladder"
    assert scorecard["isDraft"] is False

    descriptor = client.get("/api/v1/scorecards/emulator-ladder/descriptor")
    assert descriptor.status_code == 200
    assert descriptor.headers["content-type"].startswith("application/yaml")
    text = descriptor.text
    assert not text.endswith("\n")
    data = yaml.safe_load(text)
    assert list(data)[:8] == [
        "tag",
        "name",
        "description",
        "draft",
        "notifications",
        "exemptions",
        "evaluation",
        "ladder",
    ]
    assert data["notifications"] == {"enabled": True, "scoreDropNotificationsEnabled": False}
    assert data["evaluation"] == {"window": 4}
    assert data["ladder"]["name"] == "Default Ladder"
    # Case kept as posted; `#` added where it was left out.
    assert [level["color"] for level in data["ladder"]["levels"]] == [
        "#cd7f32",
        "#c0c0c0",
        "#FFD700",
    ]
    assert '  color: "#cd7f32"' in text
    first = data["rules"][0]
    assert list(first) == ["title", "expression", "identifier", "weight", "level"]
    assert first["identifier"] == rule_identifier(first["expression"])
    assert first["weight"] == 1


def test_get_is_lossy_json(client: httpx.Client) -> None:
    _post(client, (DATA / "valid-ladder.yaml").read_text())
    scorecard = client.get("/api/v1/scorecards/emulator-ladder").json()["scorecard"]
    assert scorecard["levels"] == [
        {"level": {"name": "Bronze", "number": 1}},
        {"level": {"name": "Silver", "number": 2}},
        {"level": {"name": "Gold", "number": 3}},
    ]
    assert scorecard["rules"][0]["levelName"] == "Bronze"
    assert "level" not in scorecard["rules"][0]
    assert scorecard["filter"] == {"types": {"include": ["service"]}}
    assert scorecard["lastUpdated"].endswith("Z")
    assert "color" not in json.dumps(scorecard)


def test_update_keeps_identifiers_of_rules_with_the_same_title(client: httpx.Client) -> None:
    _post(client, _minimal("keep-ids"))
    original = rule_identifier("ownership.allOwners().length > 0")
    changed = _minimal("keep-ids").replace("length > 0", "length > 1")
    changed += "- title: New rule\n  expression: git != null\n"
    assert _post(client, changed).status_code == 200
    rules = yaml.safe_load(client.get("/api/v1/scorecards/keep-ids/descriptor").text)["rules"]
    assert rules[0]["expression"] == "ownership.allOwners().length > 1"
    assert rules[0]["identifier"] == original
    assert rules[1]["identifier"] == rule_identifier("git != null")


def test_an_identifier_posted_explicitly_is_kept(client: httpx.Client) -> None:
    explicit = "11111111-2222-3333-4444-555555555555"
    text = _minimal("explicit-id") + f"  identifier: {explicit}\n"
    _post(client, text)
    rules = yaml.safe_load(client.get("/api/v1/scorecards/explicit-id/descriptor").text)["rules"]
    assert rules[0]["identifier"] == explicit


def test_rules_with_one_expression_share_an_identifier_and_post_back(
    client: httpx.Client,
) -> None:
    text = (
        _minimal("twins")
        + "- title: Also has owner\n  expression: ownership.allOwners().length > 0\n"
    )
    assert _post(client, text).status_code == 200
    served = client.get("/api/v1/scorecards/twins/descriptor").text
    rules = yaml.safe_load(served)["rules"]
    shared = rule_identifier("ownership.allOwners().length > 0")
    assert [rule["identifier"] for rule in rules] == [shared, shared]
    # What `pull` would write from that answer is accepted again as it is.
    again = _post(client, served)
    assert again.status_code == 200, again.text
    assert client.get("/api/v1/scorecards/twins/descriptor").text == served


def test_a_shared_identifier_with_another_expression_is_400(client: httpx.Client) -> None:
    shared = rule_identifier("ownership.allOwners().length > 0")
    text = (
        _minimal("twins")
        + f"  identifier: {shared}\n- title: Readme\n  expression: git != null\n"
        + f"  identifier: {shared}\n"
    )
    response = _post(client, text)
    assert response.status_code == 400
    assert "rules[1].identifier: identifier" in _error(response)["details"]
    assert "used twice with different expressions" in _error(response)["details"]


def test_post_replaces_the_whole_definition(client: httpx.Client) -> None:
    _post(client, (DATA / "valid-ladder.yaml").read_text())
    _post(client, _minimal("emulator-ladder"))
    data = yaml.safe_load(client.get("/api/v1/scorecards/emulator-ladder/descriptor").text)
    assert "ladder" not in data
    assert "filter" not in data
    assert len(data["rules"]) == 1
    assert data["exemptions"] == {"enabled": True, "autoApprove": False}


def test_dry_run_validates_without_storing(emu: Emulator, client: httpx.Client) -> None:
    response = _post(client, _minimal("dry"), dryRun="true")
    assert response.status_code == 200
    assert response.json()["scorecard"]["tag"] == "dry"
    assert emu.tags() == []
    invalid = _post(client, (DATA / "level-not-in-ladder.yaml").read_text(), dryRun="true")
    assert invalid.status_code == 400


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("level-not-in-ladder.yaml", "`Gold` is not a level of the ladder"),
        ("no-tag.yaml", "tag: tag is required"),
        ("not-yaml.yaml", "invalid YAML"),
    ],
)
def test_invalid_descriptors_get_400_with_details(
    emu: Emulator, client: httpx.Client, name: str, expected: str
) -> None:
    response = _post(client, (DATA / name).read_text())
    assert response.status_code == 400
    body = _error(response)
    assert body["message"] == "Invalid scorecard yaml"
    assert body["type"] == "BAD_REQUEST"
    assert expected in body["details"]
    assert emu.tags() == []


def test_a_body_over_2_mb_is_refused(client: httpx.Client) -> None:
    text = _minimal("big") + "description: " + "x" * (2 * 1024 * 1024) + "\n"
    response = _post(client, text)
    assert response.status_code == 400
    assert "2 MB" in _error(response)["details"]


def test_delete_then_404(emu: Emulator, client: httpx.Client) -> None:
    _post(client, _minimal("gone"))
    response = client.delete("/api/v1/scorecards/gone")
    assert response.status_code == 200
    assert response.content == b""
    assert emu.tags() == []
    for method, path in [
        ("DELETE", "/api/v1/scorecards/gone"),
        ("GET", "/api/v1/scorecards/gone"),
        ("GET", "/api/v1/scorecards/gone/descriptor"),
    ]:
        missing = client.request(method, path)
        assert missing.status_code == 404
        assert _error(missing)["type"] == "NOT_FOUND"


def test_list_pages_and_hides_drafts(client: httpx.Client) -> None:
    for index in range(7):
        _post(client, _minimal(f"card-{index}", draft=index == 3))
    first = client.get("/api/v1/scorecards", params={"page": 0, "pageSize": 4}).json()
    assert first["total"] == 6
    assert first["totalPages"] == 2
    assert first["page"] == 0
    assert len(first["scorecards"]) == 4
    second = client.get("/api/v1/scorecards", params={"page": 1, "pageSize": 4}).json()
    tags = [s["tag"] for s in first["scorecards"] + second["scorecards"]]
    assert "card-3" not in tags
    assert len(set(tags)) == 6
    everything = client.get("/api/v1/scorecards", params={"showDrafts": "true"}).json()
    assert everything["total"] == 7
    assert {s["tag"]: s["isDraft"] for s in everything["scorecards"]}["card-3"] is True
    beyond = client.get("/api/v1/scorecards", params={"page": 5, "pageSize": 4}).json()
    assert beyond["scorecards"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "0"},
        {"pageSize": "1001"},
        {"page": "-1"},
        {"page": "x"},
        {"showDrafts": "maybe"},
    ],
)
def test_list_refuses_bad_paging(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/api/v1/scorecards", params=params)
    assert response.status_code == 400
    assert _error(response)["type"] == "BAD_REQUEST"


def test_search_parameters_miss_scorecards_never_evaluated(client: httpx.Client) -> None:
    _post(client, (DATA / "valid-ladder.yaml").read_text())
    params = {"groups": "payments"}
    assert client.get("/api/v1/scorecards", params=params).json()["scorecards"] == []
    client.post("/api/v1/scorecards/emulator-ladder/entity/checkout/scores")
    found = client.get("/api/v1/scorecards", params=params).json()["scorecards"]
    assert [s["tag"] for s in found] == ["emulator-ladder"]


def test_missing_or_wrong_key_is_401(emu: Emulator) -> None:
    keyed = Emulator(api_keys={"right-key": frozenset({VIEW})})
    with httpx.Client(transport=keyed.transport(), base_url="https://cortex.test") as anonymous:
        assert anonymous.get("/api/v1/scorecards").status_code == 401
    with _client(keyed, "wrong-key") as wrong:
        response = wrong.get("/api/v1/scorecards")
        assert response.status_code == 401
        assert "wrong-key" not in response.text
    with _client(keyed, "right-key") as right:
        assert right.get("/api/v1/scorecards").status_code == 200
    with httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
    ) as basic:
        assert basic.get("/api/v1/scorecards").status_code == 401


def test_a_key_without_the_permission_is_403() -> None:
    keyed = Emulator(
        api_keys={
            "viewer": frozenset({VIEW}),
            "editor": frozenset({VIEW, EDIT}),
            "approver": frozenset({VIEW, EXEMPTIONS}),
        }
    )
    with _client(keyed, "viewer") as viewer:
        refused = _post(viewer, _minimal("nope"))
        assert refused.status_code == 403
        assert _error(refused)["type"] == "FORBIDDEN"
        assert viewer.delete("/api/v1/scorecards/nope").status_code == 403
    with _client(keyed, "editor") as editor:
        assert _post(editor, _minimal("allowed")).status_code == 200
        approve = editor.put(
            "/api/v1/scorecards/allowed/entity/checkout/exemption/approve",
            json={"ruleIdentifier": "x"},
        )
        assert approve.status_code == 403
    with _client(keyed, "approver") as approver:
        assert approver.get("/api/v1/scorecards/allowed").status_code == 200
        assert _post(approver, _minimal("refused")).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scorecards/..%2Fx",
        "/api/v1/scorecards/..%2F..%2Fapi%2Fv1%2Fscorecards",
        "/api/v1/scorecards/a%2Fb/descriptor",
        "/api/v1/scorecards/descriptor%2F",
    ],
)
def test_encoded_slashes_stay_inside_the_tag(client: httpx.Client, path: str) -> None:
    _post(client, _minimal("x"))
    response = client.get(path)
    assert response.status_code == 404
    assert "Scorecard with tag" in _error(response)["message"]


def test_a_tag_with_a_slash_is_looked_up_decoded(emu: Emulator, client: httpx.Client) -> None:
    emu.put_descriptor(_minimal("plain"))
    assert client.get("/api/v1/scorecards/pl%61in").status_code == 200


def test_unknown_routes_are_404_and_wrong_methods_405(client: httpx.Client) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert _error(missing)["type"] == "NOT_FOUND"
    wrong = client.put("/api/v1/scorecards/x")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, DELETE"


def test_direct_access_matches_http(emu: Emulator, client: httpx.Client) -> None:
    tag = emu.put_descriptor((DATA / "valid-points.yaml").read_text())
    assert tag == "emulator-points"
    assert emu.tags() == ["emulator-points"]
    served = client.get("/api/v1/scorecards/emulator-points/descriptor").text
    assert emu.descriptor_text("emulator-points") == served
    assert emu.descriptor_text("absent") is None
    with pytest.raises(ValidationFailed, match="is not a level of the ladder"):
        emu.put_descriptor((DATA / "level-not-in-ladder.yaml").read_text())


def test_stats_count_statuses_and_operations(emu: Emulator, client: httpx.Client) -> None:
    _post(client, _minimal("counted"))
    client.get("/api/v1/scorecards/counted/descriptor")
    client.get("/api/v1/scorecards/absent/descriptor")
    stats = emu.stats
    assert stats.total == 3
    assert stats.by_status == {200: 2, 404: 1}
    assert stats.by_operation["getScorecardDescriptor"] == 2
    emu.reset_stats()
    assert emu.stats.total == 0


def test_repr_never_shows_keys() -> None:
    keyed = Emulator(api_keys={"canary-secret-key-123": frozenset({VIEW})})
    assert "canary" not in repr(keyed)


def test_a_duplicate_key_is_400_and_nothing_is_stored(client: httpx.Client, emu: Emulator) -> None:
    text = _minimal("twice") + "name: Again\n"
    response = _post(client, text)
    assert response.status_code == 400
    assert "duplicate key `name`" in _error(response)["details"]
    assert "twice" not in emu.tags()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!bool maybe", "`maybe` is not a valid !!bool value"),
        ('!!int ""', "`` is not a valid !!int value"),
        ('!!int "-"', "`-` is not a valid !!int value"),
        ('!!float ""', "`` is not a valid !!float value"),
        ("1" + "0" * 4999, "it has 5,000 digits"),
    ],
)
def test_an_impossible_tagged_value_is_400_not_500(
    client: httpx.Client, emu: Emulator, value: str, expected: str
) -> None:
    text = _minimal("tagged").replace("draft: false", f"draft: {value}")
    response = _post(client, text)
    assert response.status_code == 400
    body = _error(response)
    assert body["type"] == "BAD_REQUEST"
    assert body["details"].startswith("3:8: ")
    assert expected in body["details"]
    assert emu.tags() == []
