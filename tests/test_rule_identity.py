"""Rule identifiers across retitles: how Cortex pairs posted rules, and what the plan says.

Decided from the evidence (see `descriptor.identifier_changes`): Cortex pairs a posted
rule without an identifier with the stored rule of the same title, and otherwise mints
one from the expression. A rule whose expression was edited keeps an identifier derived
from its earlier expression; retitled without its identifier, it gets a new one, and an
exemption recorded against the old one no longer applies. The plan says so, and `pull`
writes such identifiers into the file so that it never loses one.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from cli_runner import enter_workdir, run_cli

from scorecards_sync.descriptor import identifier_changes, rule_identifier
from scorecards_sync.emulator import Emulator
from scorecards_sync.loader import parse_document
from scorecards_sync.plan import Action, Change
from scorecards_sync.planner import Desired, make_plan

TAG = "retitled"
ENTITY = "checkout"
FIRST = 'git.fileExists("README.md")'
EDITED = 'git.fileExists("README.md") and git.fileExists("docs")'


def card(title: str, expression: str, identifier: str | None = None) -> str:
    text = (
        f"tag: {TAG}\nname: Retitled\nrules:\n  - title: {title}\n    expression: '{expression}'\n"
    )
    if identifier:
        text += f"    identifier: {identifier}\n"
    return text


def _history(emulator: Emulator) -> str:
    """A rule created, then its expression edited: its identifier is no longer derived."""
    emulator.put_descriptor(card("Has docs", FIRST))
    emulator.put_descriptor(card("Has docs", EDITED))
    [rule] = _served_rules(emulator)
    assert rule["identifier"] == rule_identifier(FIRST) != rule_identifier(EDITED)
    return str(rule["identifier"])


def _http(emulator: Emulator) -> httpx.Client:
    return httpx.Client(
        transport=emulator.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Bearer retitle-test-key-0123"},
    )


def _served_rules(emulator: Emulator) -> list[dict[str, object]]:
    served = emulator.descriptor_text(TAG)
    assert served is not None
    rules: list[dict[str, object]] = yaml.safe_load(served)["rules"]
    return rules


def _plan(emulator: Emulator, text: str) -> Change:
    document, problems = parse_document(f"{TAG}.yaml", text.encode())
    assert document is not None, problems
    served = emulator.descriptor_text(TAG)
    assert served is not None
    [change] = make_plan([Desired.from_document(document)], {TAG: served}).changes
    return change


def test_the_emulator_pairs_rules_without_identifiers_by_title() -> None:
    emulator = Emulator()
    kept = _history(emulator)
    emulator.put_descriptor(card("Has documentation", EDITED))
    [rule] = _served_rules(emulator)
    assert rule["identifier"] == rule_identifier(EDITED) != kept


def test_a_retitle_that_loses_a_non_derived_identifier_is_warned() -> None:
    emulator = Emulator()
    kept = _history(emulator)
    change = _plan(emulator, card("Has documentation", EDITED))
    assert change.action is Action.UPDATE
    assert [(r.title, [f.path for f in r.fields]) for r in change.rules] == [
        ("Has documentation", ["title"])
    ]
    assert change.reason == (
        f"rule 'Has documentation': identifier will change ({kept} → "
        f"{rule_identifier(EDITED)}): exemptions on it will no longer apply; "
        f"keep it with `identifier: {kept}`"
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (card("Has docs", EDITED), "same title: Cortex keeps the identifier"),
        (card("Has documentation", EDITED, "KEPT"), "the identifier is written out"),
    ],
)
def test_no_warning_where_cortex_keeps_the_identifier(text: str, why: str) -> None:
    emulator = Emulator()
    kept = _history(emulator)
    change = _plan(emulator, text.replace("KEPT", kept))
    assert "identifier will change" not in change.reason, why


def test_a_retitle_of_a_rule_with_a_derived_identifier_is_not_warned() -> None:
    emulator = Emulator()
    emulator.put_descriptor(card("Has docs", FIRST))
    change = _plan(emulator, card("Has documentation", FIRST))
    assert change.action is Action.UPDATE
    assert change.reason == ""


def test_identifier_changes_are_computed_from_the_two_descriptors() -> None:
    live = yaml.safe_load(card("Old", EDITED, rule_identifier(FIRST)))
    assert identifier_changes(yaml.safe_load(card("New", EDITED)), live)[0].old == (
        rule_identifier(FIRST)
    )
    assert identifier_changes(yaml.safe_load(card("Old", EDITED)), live) == []


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))


def test_pull_writes_the_identifier_then_a_retitle_keeps_it_and_its_exemption(
    workdir: Path,
) -> None:
    emulator = Emulator(state_file=workdir / "state.json")
    kept = _history(emulator)
    with _http(emulator) as http:
        base = f"/api/v1/scorecards/{TAG}/entity/{ENTITY}/exemption"
        assert http.post(base, json={"ruleIdentifier": kept, "reason": "x"}).status_code == 200
        assert http.put(f"{base}/approve", json={"ruleIdentifier": kept}).status_code == 200
    folder = workdir / "cards"
    folder.mkdir()
    # The repository's file: the edited rule, no identifier (a plan sees no difference).
    (folder / f"{TAG}.yaml").write_text(card("Has docs", EDITED))

    pulled = run_cli("pull", "--dir", "cards", "--emulator", "state.json")
    assert pulled.code == 0, pulled.out + pulled.err
    assert f"identifier: {kept}" in (folder / f"{TAG}.yaml").read_text()

    # Retitled in the file that now holds the identifier: Cortex keeps it.
    text = (
        (folder / f"{TAG}.yaml").read_text().replace("title: Has docs", "title: Has documentation")
    )
    (folder / f"{TAG}.yaml").write_text(text)
    plan = run_cli("plan", "cards", "--emulator", "state.json")
    assert "identifier will change" not in plan.out + plan.err
    applied = run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    reloaded = Emulator(state_file=workdir / "state.json")
    [rule] = _served_rules(reloaded)
    assert (rule["title"], rule["identifier"]) == ("Has documentation", kept)
    with _http(reloaded) as http:
        scores = http.get(f"/api/v1/scorecards/{TAG}/scores", params={"entityTag": ENTITY})
    [service] = scores.json()["serviceScores"]
    assert [e["ruleIdentifier"] for e in service["ruleExemptions"]] == [kept]

    again = run_cli("pull", "--dir", "cards", "--emulator", "state.json", "--force")
    assert again.code == 0
    empty = run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode")
    assert empty.code == 0, empty.out + empty.err
