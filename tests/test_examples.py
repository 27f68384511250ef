"""examples/scorecards: realistic descriptors, the demo's input; all of them must validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.loader import Document, load_paths
from scorecards_sync.problems import Severity
from scorecards_sync.validation import validate_documents

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scorecards"
# The one warning the examples carry on purpose: the legacy filter shape, shown as a warning.
DELIBERATE_WARNINGS = {("legacy-service-ownership.yaml", "legacy-filter")}


@pytest.fixture(scope="module")
def examples() -> list[Document]:
    result = load_paths([EXAMPLES])
    assert result.problems == []
    return result.documents


def _rules(document: Document) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = document.data["rules"]
    return rules


def test_there_are_at_least_six_and_each_is_named_after_its_tag(
    examples: list[Document],
) -> None:
    assert len(examples) >= 6
    for document in examples:
        assert Path(document.path).name == f"{document.tag}.yaml"


def test_examples_have_no_errors_and_only_the_deliberate_warning(
    examples: list[Document],
) -> None:
    problems = validate_documents(examples)
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    warnings = {(Path(p.path).name, p.code) for p in problems}
    assert warnings == DELIBERATE_WARNINGS


def test_examples_show_what_a_platform_team_writes(examples: list[Document]) -> None:
    by_tag = {d.tag: d for d in examples}
    ladders = [d for d in examples if "ladder" in d.data]
    assert any(
        [lvl["name"] for lvl in d.data["ladder"]["levels"]] == ["Bronze", "Silver", "Gold"]
        for d in ladders
    ), "a Bronze/Silver/Gold ladder"
    point_based = [d for d in examples if "ladder" not in d.data]
    assert point_based and all("weight" in r for d in point_based for r in _rules(d))
    assert any(d.data.get("draft") is True for d in examples), "a draft"
    assert any("category" in d.data.get("filter", {}) for d in examples), "the legacy filter"
    assert any("filter" in r for d in examples for r in _rules(d)), "rule-level filters"
    assert any(d.data.get("exemptions", {}).get("autoApprove") for d in examples)
    assert any(
        d.data.get("notifications", {}).get("scoreDropNotificationsEnabled") for d in examples
    )
    assert any("\n" in d.data.get("description", "") for d in examples), "markdown description"
    assert any("\n" in r.get("failureMessage", "") for d in examples for r in _rules(d))
    assert "production-readiness" in by_tag


def test_identifiers_in_the_examples_are_the_ones_cortex_would_assign(
    examples: list[Document],
) -> None:
    identified = [r for d in examples for r in _rules(d) if "identifier" in r]
    assert identified
    for rule in identified:
        assert rule["identifier"] == rule_identifier(rule["expression"])
