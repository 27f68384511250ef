"""Round trip: every valid descriptor, posted and fetched back with GET descriptor, is the
same scorecard once defaults and identifiers are accounted for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scorecards_sync.descriptor import canonical, rule_identifier
from scorecards_sync.emulator import Emulator
from scorecards_sync.loader import parse_document

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "scorecards"
EXAMPLES = REPO_ROOT / "examples" / "scorecards"


def _descriptors() -> list[Path]:
    found = sorted(EXAMPLES.glob("*.yaml"))
    if CORPUS.is_dir():
        found += sorted(p for p in CORPUS.glob("*.yaml") if "__UNVALIDATED" not in p.name)
    return found


def _without_identifiers(data: dict[str, Any]) -> dict[str, Any]:
    """The canonical form minus rule identifiers, which are checked rule by rule."""
    result = canonical(data)
    result["rules"] = [
        {k: v for k, v in rule.items() if k != "identifier"} for rule in result["rules"]
    ]
    return result


@pytest.mark.parametrize("path", _descriptors(), ids=lambda p: p.name)
def test_posted_and_fetched_back_is_the_same_scorecard(path: Path) -> None:
    source, problems = parse_document(path.name, path.read_bytes())
    assert source is not None, problems
    emu = Emulator()
    with httpx.Client(
        transport=emu.transport(),
        base_url="https://cortex.test",
        headers={"Authorization": "Bearer key"},
    ) as client:
        posted = client.post(
            "/api/v1/scorecards/descriptor",
            content=path.read_bytes(),
            headers={"Content-Type": "application/yaml;charset=UTF-8"},
        )
        assert posted.status_code == 200, posted.text
        fetched = client.get(f"/api/v1/scorecards/{source.data['tag']}/descriptor")
    assert fetched.status_code == 200
    served = yaml.safe_load(fetched.text)
    assert _without_identifiers(served) == _without_identifiers(source.data)
    # Served in the posted order: a posted identifier is kept, a missing one assigned.
    for rule, served_rule in zip(source.data["rules"], served["rules"], strict=True):
        expected = rule.get("identifier") or rule_identifier(rule["expression"])
        assert served_rule["identifier"] == expected
