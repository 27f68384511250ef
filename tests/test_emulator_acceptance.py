"""The emulator judges descriptors on its own rules; here the two judges are compared.

`scorecards_sync.emulator.acceptance` is written from Cortex's API reference and behaviour,
`scorecards_sync.validation` from the project's schema. Both run on every bad input under
tests/data/bad/ and on every real descriptor of the corpus. A descriptor `validate` passes
and the emulator refuses is a bug in `validate` (a user would learn it only from Cortex's
400): there must be none. A descriptor `validate` refuses and the emulator accepts is a
deliberate strictness: each is listed below with the heading of
docs/descriptor-reference.md that explains it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scorecards_sync.emulator import acceptance
from scorecards_sync.loader import parse_document
from scorecards_sync.problems import Severity
from scorecards_sync.validation import validate_document

REPO_ROOT = Path(__file__).resolve().parents[1]
BAD_DIR = REPO_ROOT / "tests" / "data" / "bad"
REFERENCE = REPO_ROOT / "docs" / "descriptor-reference.md"
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "scorecards"

# Bad inputs `validate` refuses that Cortex (by what is known of it) accepts: each a
# deliberate strictness, named by the phrase that documents it in the reference.
DELIBERATE: dict[str, str] = {
    "schema/tag-number.yaml": "a whole number is not a tag",
    "schema/tag-too-long.yaml": "at most 100 characters",
    "schema/tag-uppercase.yaml": "Tags are lowercase",
    "schema/rule-missing-title.yaml": "Every rule has a unique `title`",
    "semantic/duplicate-rule-title.yaml": "Every rule has a unique `title`",
    "schema/empty-rules.yaml": "At least one rule",
    "schema/missing-rules.yaml": "At least one rule",
    "schema/ladder-without-levels.yaml": "a ladder has levels",
    "schema/bad-color.yaml": "Colors are six hex digits",
    "schema/three-digit-color.yaml": "Colors are six hex digits",
    "schema/unquoted-hash-color.yaml": "an empty one (an unquoted `#` starts a YAML comment)",
    "schema/rank-zero.yaml": "Ranks start at 1",
    "schema/negative-weight.yaml": "weights are not negative",
    "schema/types-listed-twice.yaml": "A list of types names each type once",
}


def _bad_files() -> list[Path]:
    return sorted(p for p in BAD_DIR.rglob("*") if p.suffix in (".yaml", ".yml"))


def _validate_refuses(raw: bytes) -> bool:
    document, problems = parse_document("x", raw)
    if document is None or any(p.severity is Severity.ERROR for p in problems):
        return True
    return any(p.severity is Severity.ERROR for p in validate_document(document))


def _emulator_refuses(raw: bytes) -> bool:
    data, _ = acceptance.check_descriptor(raw)
    return data is None


def _disagreements(files: list[Path], base: Path) -> dict[str, str]:
    found = {}
    for path in files:
        raw = path.read_bytes()
        ours, cortex = _validate_refuses(raw), _emulator_refuses(raw)
        if ours != cortex:
            found[path.relative_to(base).as_posix()] = "validate" if ours else "emulator"
    return found


def test_validate_never_passes_what_the_emulator_refuses_and_every_strictness_is_documented() -> (
    None
):
    found = _disagreements(_bad_files(), BAD_DIR)
    bugs = sorted(case for case, stricter in found.items() if stricter == "emulator")
    assert bugs == [], "validate passes what Cortex refuses"
    assert {case for case, stricter in found.items() if stricter == "validate"} == set(DELIBERATE)


def test_each_deliberate_strictness_is_explained_in_the_reference() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    section = reference.split("## Deliberate strictness", 1)[1].split("\n## ", 1)[0]
    for case, phrase in DELIBERATE.items():
        assert phrase in section, f"{case}: `{phrase}` is not explained"


def test_the_judges_agree_on_every_real_descriptor(corpus_dir: Path) -> None:
    files = sorted((corpus_dir / "scorecards").glob("*.yaml"))
    assert _disagreements(files, corpus_dir / "scorecards") == {}


def test_nothing_in_the_emulator_imports_the_validator() -> None:
    for module in sorted((REPO_ROOT / "scorecards_sync" / "emulator").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            assert "scorecards_sync.validation" not in names, module.name


# --- the emulator's own rules ------------------------------------------------------------


def _refusal(text: str) -> list[str]:
    data, problems = acceptance.check_descriptor(text.encode())
    assert data is None
    return [f"{p.line}:{p.column}: {p.message}" for p in problems]


MINIMAL = "tag: t\nname: T\nrules:\n  - title: A\n    expression: git != null\n"


def test_scalars_are_bound_as_jackson_binds_them() -> None:
    text = (
        "tag: t\nname: 2024\ndraft: 'true'\nevaluation: {window: '6'}\n"
        "rules:\n  - title: A\n    expression: git != null\n    weight: '2'\n"
        "    description:\n"
    )
    data, problems = acceptance.check_descriptor(text.encode())
    assert problems == []
    assert data == {
        "tag": "t",
        "name": "2024",
        "draft": True,
        "evaluation": {"window": 6},
        "rules": [{"title": "A", "expression": "git != null", "weight": 2}],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL + "filter: {entityType: service}\n",
            '6:10: filter.entityType: unrecognized field "entityType"',
        ),
        (MINIMAL + "draft: yes please\n", "6:8: draft: cannot bind text `yes please` to a boolean"),
        (
            MINIMAL + "filter: {kind: generic}\n",
            "6:16: filter.kind: cannot bind text `generic` to one of GENERIC",
        ),
        (
            MINIMAL + "filter: {groups: {include: payments}}\n",
            "6:28: filter.groups.include: cannot bind text `payments` to a list",
        ),
        (
            MINIMAL + "evaluation: {window: 2}\n",
            "6:22: evaluation.window: evaluation window must be at least 4",
        ),
        (MINIMAL.replace("tag: t", "tag: a/b"), "1:6: tag: tag `a/b` cannot be used in a URL path"),
        (
            MINIMAL.replace("git != null", "'  '"),
            "5:17: rules[0].expression: rule expression is required",
        ),
        (
            MINIMAL + "    level: Gold\n",
            "6:12: rules[0].level: level `Gold` but the scorecard has no ladder",
        ),
    ],
)
def test_what_cortex_refuses_is_told_at_its_place(text: str, expected: str) -> None:
    assert expected in _refusal(text)


def test_a_stored_descriptor_is_judged_without_positions() -> None:
    assert acceptance.descriptor_violations({"tag": "t", "name": "T", "rules": "x"}) == [
        "rules: cannot bind text `x` to a list"
    ]
