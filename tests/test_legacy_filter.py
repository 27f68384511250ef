"""Legacy `category` filters compared by meaning, under each way Cortex has served them.

For every export behaviour the emulator can play (`LegacyFilterExport`), a descriptor
in either filter shape converges: applied, then planned again, nothing is left to do.
A real change of scope still plans an update, and the one case meaning cannot settle
(no filter posted, `category: SERVICE` served) is said in one line, not planned forever.
"""

from __future__ import annotations

import logging

import pytest

from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.legacy_filter import LegacyFilterExport
from scorecards_sync.loader import parse_document
from scorecards_sync.plan import Action, Change
from scorecards_sync.planner import UNDECIDABLE_SERVICE_DEFAULT, Desired, make_plan

RULES = "rules:\n  - title: Has a repository\n    expression: git != null\n"
SHAPES = {
    "category-service": 'filter:\n  category: SERVICE\n  query: hasGroup("payments")\n',
    "category-domain": "filter:\n  category: DOMAIN\n",
    "category-team": "filter:\n  category: TEAM\n",
    "category-resource": "filter:\n  category: RESOURCE\n",
    "types-service": "filter:\n  kind: GENERIC\n  types:\n    include: [service]\n",
    "no-filter": "",
}
RULE_FILTERED = (
    "rules:\n  - title: Has a repository\n    expression: git != null\n"
    "    filter:\n      category: SERVICE\n"
)


def _text(shape: str, *, rules: str = RULES) -> str:
    return f"tag: scoped\nname: Scoped\n{rules}{shape}"


def _desired(text: str) -> Desired:
    document, problems = parse_document("scoped.yaml", text.encode())
    assert document is not None, problems
    return Desired.from_document(document)


def _plan_after_apply(mode: LegacyFilterExport, posted: str, repository: str) -> Change:
    emulator = Emulator(legacy_filter=mode)
    tag = emulator.put_descriptor(posted)
    served = emulator.descriptor_text(tag)
    assert served is not None
    [change] = make_plan([_desired(repository)], {tag: served}).changes
    return change


CASES = [
    *((name, _text(shape)) for name, shape in SHAPES.items() if name != "rule-category"),
    ("rule-category", _text("", rules=RULE_FILTERED)),
]


@pytest.mark.parametrize("mode", list(LegacyFilterExport))
@pytest.mark.parametrize(("name", "text"), CASES, ids=[name for name, _ in CASES])
def test_every_filter_shape_converges_under_every_export(
    mode: LegacyFilterExport, name: str, text: str
) -> None:
    change = _plan_after_apply(mode, text, text)
    assert (change.action, change.fields, change.rules) == (Action.UNCHANGED, (), ())


def test_each_export_behaviour_is_what_the_evidence_shows() -> None:
    posted = _text(SHAPES["category-service"])
    served = {}
    for mode in LegacyFilterExport:
        emulator = Emulator(legacy_filter=mode)
        served[mode] = emulator.descriptor_text(emulator.put_descriptor(posted)) or ""
    assert "category: SERVICE" in served[LegacyFilterExport.AS_POSTED]
    assert "types:\n    include:\n    - service" in served[LegacyFilterExport.TYPES]
    assert "category" not in served[LegacyFilterExport.TYPES]
    emulator = Emulator(legacy_filter=LegacyFilterExport.SERVICE_DEFAULT)
    bare = emulator.descriptor_text(emulator.put_descriptor(_text("")))
    assert bare is not None and bare.endswith("filter:\n  category: SERVICE")


@pytest.mark.parametrize("mode", list(LegacyFilterExport))
@pytest.mark.parametrize(
    ("posted", "repository"),
    [
        ("category-service", "category-domain"),
        ("types-service", "category-team"),
        ("category-resource", "category-service"),
        ("category-domain", "no-filter"),
        ("no-filter", "category-team"),
    ],
)
def test_a_real_change_of_scope_still_plans_an_update(
    mode: LegacyFilterExport, posted: str, repository: str
) -> None:
    change = _plan_after_apply(mode, _text(SHAPES[posted]), _text(SHAPES[repository]))
    assert change.action is Action.UPDATE
    assert [field.path.split(".")[0] for field in change.fields] == ["filter"] * len(change.fields)


def test_the_undecidable_case_is_said_in_one_line_and_not_planned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        change = _plan_after_apply(LegacyFilterExport.SERVICE_DEFAULT, _text(""), _text(""))
    assert change.action is Action.UNCHANGED
    assert change.reason == UNDECIDABLE_SERVICE_DEFAULT
    assert [r.getMessage() for r in caplog.records] == [f"scoped: {UNDECIDABLE_SERVICE_DEFAULT}"]


def test_a_rule_filter_in_the_legacy_shape_equals_its_types_form() -> None:
    typed = RULE_FILTERED.replace("category: SERVICE", "types: {include: [service]}")
    change = _plan_after_apply(
        LegacyFilterExport.AS_POSTED, _text("", rules=RULE_FILTERED), _text("", rules=typed)
    )
    assert change.action is Action.UNCHANGED
