"""Validation against Cortex's own descriptors, and the contract other modules rely on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scorecards_sync.cli import main
from scorecards_sync.console import Console
from scorecards_sync.loader import Document, parse_document
from scorecards_sync.problems import Severity, sort_problems
from scorecards_sync.validation import load_schema, validate_document, validate_documents

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_SCORECARDS = REPO_ROOT.parent / "shared" / "corpus" / "scorecards"
CORPUS_FILES = sorted(CORPUS_SCORECARDS.glob("*.yaml")) if CORPUS_SCORECARDS.is_dir() else []
# The two files SOURCES.md marks [UNVALIDATED], and the key Cortex refuses in each.
UNVALIDATED_KEYS = {
    "cortexapps-cli__am-i-vulnerable__UNVALIDATED.yaml": "entityType",
    "cortexapps-cli__no-vulnerabilities__UNVALIDATED.yaml": "entityTypes",
}


def _document(text: str, path: str = "descriptor") -> Document:
    document, problems = parse_document(path, text.encode())
    assert problems == [] and document is not None
    return document


def _errors(text: str) -> list[str]:
    return [p.message for p in validate_document(_document(text)) if p.severity is Severity.ERROR]


BASE = """\
tag: base
name: Base
ladder:
  levels:
    - {name: Bronze, rank: 1}
    - {name: Silver, rank: 2}
rules:
  - title: Has a repository
    expression: git != null
    level: Bronze
"""


# --- the corpus of real descriptors ------------------------------------------------------


def test_the_corpus_has_the_files_this_test_expects(corpus_dir: Path) -> None:
    names = {p.name for p in (corpus_dir / "scorecards").glob("*.yaml")}
    assert set(UNVALIDATED_KEYS) <= names
    assert len(names) >= 20


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_each_corpus_file_is_judged_like_cortex_does(
    path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One file per run: several corpus files share a tag on purpose (fixtures of the same test).
    code = main(["validate", "--format", "json", str(path)], Console())
    out = capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    if path.name not in UNVALIDATED_KEYS:
        assert code == 0, out
        assert '"errors": 0' in out
        return
    key = UNVALIDATED_KEYS[path.name]
    assert code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip().startswith(f"{key}:"))
    document, _ = parse_document(path.name, path.read_bytes())
    assert document is not None
    errors = [p for p in validate_document(document) if p.severity is Severity.ERROR]
    assert [(p.line, p.column, p.code) for p in errors] == [(line, 3, "unknown-key")]
    assert f"unknown key `{key}` in filter; did you mean `types`?" in errors[0].message


def test_the_placeholder_expressions_of_the_library_are_warnings(corpus_dir: Path) -> None:
    path = corpus_dir / "scorecards" / "cortexapps-scorecard-library__incident-preparedness.yaml"
    document, _ = parse_document(path.name, path.read_bytes())
    assert document is not None
    codes = [p.code for p in validate_document(document)]
    assert codes.count("placeholder") == 4
    assert all(p.severity is Severity.WARNING for p in validate_document(document))


def test_what_cortex_serves_validates_cleanly(corpus_dir: Path) -> None:
    raw = corpus_dir / "scorecards" / "learn-cortex__learn-gitops__raw-GET-descriptor-45edda9.yaml"
    document, _ = parse_document("descriptor", raw.read_bytes())
    assert document is not None
    assert validate_document(document) == []


# --- the contract: validate_document / validate_documents / load_schema -----------------


def test_messages_make_sense_without_a_file_name() -> None:
    problems = validate_document(_document(BASE.replace("level: Bronze", "level: Gold")))
    [problem] = problems
    assert problem.path == "descriptor"
    assert problem.message.startswith("rules[0].level: `Gold` is not a level of the ladder")
    assert "descriptor" not in problem.message


def test_a_valid_descriptor_has_no_problems() -> None:
    assert validate_document(_document(BASE)) == []


def test_load_schema_is_cached_and_is_the_bundled_file() -> None:
    assert load_schema() is load_schema()
    assert load_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_problems_are_sorted_and_cross_file_duplicates_name_both_places() -> None:
    first = _document(BASE, "a/first.yaml")
    second = _document("# second\n" + BASE.replace("title: Has", "titel: Has"), "b/base.yaml")
    problems = validate_documents([second, first])
    assert problems == sort_problems(problems)
    duplicates = [p for p in problems if p.code == "duplicate-tag"]
    assert [(p.path, p.line, p.message) for p in duplicates] == [
        (
            "a/first.yaml",
            1,
            "tag `base` is also used by b/base.yaml:2; each scorecard needs its own tag "
            "(Cortex would keep only one of them)",
        ),
        (
            "b/base.yaml",
            2,
            "tag `base` is also used by a/first.yaml:1; each scorecard needs its own tag "
            "(Cortex would keep only one of them)",
        ),
    ]
    assert any(p.code == "unknown-key" and p.path == "b/base.yaml" for p in problems)


def test_the_file_name_warning_appears_only_for_yaml_files() -> None:
    assert validate_document(_document(BASE, "descriptor")) == []
    assert validate_document(_document(BASE, "base.yml")) == []
    [warning] = validate_document(_document(BASE, "dir/other.yaml"))
    assert warning.severity is Severity.WARNING
    assert warning.code == "file-name"
    assert (warning.line, warning.column) == (1, 6)


# --- decisions worth pinning down --------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    ["a", "production-readiness", "team_a.v2", "0-day", "x" * 100, "a.b.c", "trailing-"],
)
def test_tags_that_are_accepted(tag: str) -> None:
    assert _errors(BASE.replace("tag: base", f"tag: '{tag}'")) == []


@pytest.mark.parametrize(
    "tag",
    ["", "-lead", ".lead", "_lead", "a..b", "a.", "a/b", "../x", "A", "with space", "é", "x" * 101],
)
def test_tags_that_are_refused(tag: str) -> None:
    [error] = _errors(BASE.replace("tag: base", f"tag: '{tag}'"))
    assert error.startswith("tag: ")


@pytest.mark.parametrize("color", ["'#CD7F32'", "'#cd7f32'", "7cf376", "'ABCDEF'"])
def test_color_spellings_cortex_uses_are_accepted(color: str) -> None:
    text = BASE.replace("{name: Bronze, rank: 1}", f"{{name: Bronze, rank: 1, color: {color}}}")
    assert _errors(text) == []


@pytest.mark.parametrize("color", ["'#fff'", "'#CD7F3'", "'CD7F32FF'", "'##CD7F32'", "red"])
def test_other_colors_are_refused(color: str) -> None:
    text = BASE.replace("{name: Bronze, rank: 1}", f"{{name: Bronze, rank: 1, color: {color}}}")
    [error] = _errors(text)
    assert "is not a color" in error


def test_the_legacy_filter_shape_is_a_warning_at_the_category_key() -> None:
    text = BASE + 'filter:\n  query: hasGroup("x")\n  category: DOMAIN\n'
    [warning] = validate_document(_document(text))
    assert warning.severity is Severity.WARNING
    assert (warning.line, warning.column, warning.code) == (13, 3, "legacy-filter")
    assert "prefer `types: {include: [domain]}`" in warning.message


def test_a_rule_filter_takes_both_shapes() -> None:
    text = BASE.replace(
        "    level: Bronze\n",
        "    level: Bronze\n    filter:\n      kind: GENERIC\n      types: {include: [service]}\n"
        "      groups: {include: [a], exclude: [b]}\n      query: x\n",
    )
    assert validate_document(_document(text)) == []


def test_each_missing_required_key_is_one_problem() -> None:
    problems = validate_document(_document("tag: a\n"))
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 1, "missing required key `name`"),
        (1, 1, "missing required key `rules`"),
    ]
    rule_problems = _errors("tag: a\nname: A\nrules:\n  - weight: 1\n")
    assert rule_problems == [
        "rules[0]: missing required key `expression`",
        "rules[0]: missing required key `title`",
    ]


RULES_SHARING_AN_IDENTIFIER = """\
tag: p
name: P
rules:
  - {title: A, expression: git != null, identifier: 1c8dd6a3-4ee1-3b44-91f4-86b2b7b11ba3}
  - {title: B, expression: git != null, identifier: 1C8DD6A3-4EE1-3B44-91F4-86B2B7B11BA3}
"""


def test_rules_with_one_expression_may_share_an_identifier() -> None:
    # Cortex gives both the identifier of their expression; `pull` writes them like this.
    assert validate_document(_document(RULES_SHARING_AN_IDENTIFIER)) == []


def test_a_shared_identifier_with_another_expression_is_refused() -> None:
    text = RULES_SHARING_AN_IDENTIFIER.replace("B, expression: git != null", "B, expression: x")
    [error] = _errors(text)
    assert error == (
        "rules[1].identifier: duplicate rule identifier `1C8DD6A3-4EE1-3B44-91F4-86B2B7B11BA3` "
        "(first at line 4); only rules with the same expression may share an identifier"
    )


def test_point_based_scorecards_take_weights_and_no_levels() -> None:
    text = "tag: p\nname: P\nrules:\n  - {title: A, expression: x, weight: 2.5}\n"
    assert validate_document(_document(text)) == []
    [error] = _errors(text.replace("weight: 2.5", "weight: 2.5, level: Gold"))
    assert "has no `ladder` (it is point-based)" in error


def test_expressions_that_are_only_comments_are_placeholders() -> None:
    for expression in ["/* Replace me */", "/* a */ /* b */", "// TODO"]:
        text = BASE.replace("expression: git != null", f"expression: '{expression}'")
        [warning] = validate_document(_document(text))
        assert warning.code == "placeholder"
    text = BASE.replace("expression: git != null", "expression: '/* owners */ git != null'")
    assert validate_document(_document(text)) == []


def test_a_malformed_ladder_does_not_hide_other_problems_or_crash() -> None:
    text = "tag: t\nname: N\nladder: [Bronze]\nrules:\n  - {title: A, expression: x, level: B}\n"
    messages = _errors(text)
    assert messages == ["ladder: expected a mapping, got a list"]
    weird = "tag: t\nname: N\nladder: {levels: [Bronze, {rank: true}]}\nrules: [1, {title: 2}]\n"
    assert len(_errors(weird)) >= 4


def test_keys_seen_in_real_files_but_not_in_the_spec_are_accepted() -> None:
    text = (
        BASE + "exemptions: {enabled: true, autoApprove: false, userSpecificNotifications: true}\n"
    )
    text = text.replace("    level: Bronze\n", "    level: Bronze\n    effectiveFrom: 2024-05-01\n")
    assert validate_document(_document(text)) == []


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    [error] = _errors(BASE.replace("name: Base", "name: Base\nowner: platform"))
    assert error == (
        "unknown key `owner`; allowed keys: description, draft, evaluation, exemptions, "
        "filter, ladder, name, notifications, rules, tag"
    )


def test_spelling_with_the_wrong_case_is_suggested() -> None:
    [error] = _errors(BASE.replace("    level: Bronze", "    failuremessage: x\n    level: Bronze"))
    assert error == "unknown key `failuremessage` in rules[0]; did you mean `failureMessage`?"


def test_validating_many_documents_reuses_one_compiled_validator() -> None:
    documents = [_document(BASE.replace("tag: base", f"tag: t{i}")) for i in range(200)]
    assert validate_documents(documents) == []


def test_nothing_here_prints(capsys: pytest.CaptureFixture[str]) -> None:
    validate_documents([_document(BASE), _document("tag: x\nname: y\nrules: 1\n")])
    assert capsys.readouterr() == ("", "")


def test_stdout_is_untouched_when_the_console_is_redirected() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(REPO_ROOT / "tests" / "data" / "good")], Console(out, err)) == 0
    assert out.getvalue() == ""


def test_an_any_of_failure_is_told_through_its_most_relevant_branch() -> None:
    # The bundled schema avoids anyOf/oneOf at value level; should one appear, the user
    # still gets the branch that explains most, not "is not valid under any of the schemas".
    from jsonschema import Draft202012Validator

    from scorecards_sync.validation import _translate

    schema = {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 4}]}
    document = _document("tag: t\nname: N\nrules: []\nwindow: 2\n")
    [error] = Draft202012Validator(schema).iter_errors(2)
    [problem] = _translate(document, error)
    assert problem.message in (
        "must be at least 4, got 2",
        "expected a string, got an integer (2); quote it to make it text",
    )
