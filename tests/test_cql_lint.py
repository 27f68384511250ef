"""The offline CQL lint: certain mistakes only, positioned inside the YAML file.

The bad expressions themselves are data files under tests/data/bad/cql/, each with its
expected message and `line:column` (checked by test_validate_command.py); here: the
shapes real files use that must stay silent, the corpus, and the position mapping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecards_sync.cql_lint import lint_expression
from scorecards_sync.loader import parse_document
from scorecards_sync.problems import Severity
from scorecards_sync.scalar_positions import position_in_scalar
from scorecards_sync.validation import validate_document

REPO_ROOT = Path(__file__).resolve().parents[1]
CQL_CASES = REPO_ROOT / "tests" / "data" / "bad" / "cql"


@pytest.mark.parametrize(
    "expression",
    [
        'custom("key") = "value"',  # the API reference's own example
        'verifications().lastVerifiedAt().fromNow() > duration("P-90D")',
        'customMetrics(key="ai-spend", lookback=duration("P1Y")).length > 0',
        'oncall.analysis(lookback = duration("P1W")).meanSecondsToFirstAck < 300',
        'deploys(lookback=duration("PT12H")).length > 0 && duration("P1DT2H30M1.5S") != null',
        'customMetrics(key="x").map((m) => m.value).average() <= jq(custom("b"), ". | tonumber")',
        '!(entity.tag().matches(".*claude.*") OR entity.tag().matches(".*anthropic.*"))',
        'links("dynatrace").anyMatch("https://.*.live.dynatrace.com/.*")',
        'git.numOfVulnerabilities(severity=["CRITICAL", "HIGH"]) == 0',
        'entity_descriptor.info.`x-cortex-tag` = "test-service"',
        'jq(custom("x"), ".a | select(.b == \\"(\\")") != null',
        "/* Replace with your chaos engineering metric */",
        'git != null // a trailing comment with an open ( and a quote "',
        "git.pullRequests().length <= 5 and sentry.numOfIssues() == 0",
        "openapi.numOfPaths() > 0",
        'git.count("x") > 0',  # a call named count is not the retired property
    ],
)
def test_shapes_seen_in_real_files_are_silent(expression: str) -> None:
    assert lint_expression(expression) == []


def test_each_finding_is_an_offset_into_the_expression() -> None:
    expression = 'links("logs").length > 0)'
    [finding] = lint_expression(expression)
    assert expression[finding.offset] == ")"
    assert finding.code == "cql-unbalanced"


def test_only_the_first_bracket_mistake_is_told() -> None:
    findings = lint_expression('x(["a")] == (')
    assert [f.code for f in findings] == ["cql-unbalanced"]
    assert "`)` cannot close the `[`" in findings[0].message


def test_an_unterminated_string_hides_what_follows_it() -> None:
    findings = lint_expression('custom("a) == (')
    assert [f.code for f in findings] == ["cql-unterminated"]


@pytest.mark.parametrize("text", ["P7D", "p7d", "-P1D", "P1Y2M3W4DT5H6M7.25S", "PT0,5S", "P+1D"])
def test_iso_durations_are_accepted(text: str) -> None:
    assert lint_expression(f'duration("{text}")') == []


@pytest.mark.parametrize("text", ["P", "PT", "P1H", "1D", "P1.5D", "P1DT", "PD", "P 1D", ""])
def test_malformed_durations_are_reported_at_the_string(text: str) -> None:
    expression = f'deploys(lookback = duration("{text}"))'
    [finding] = lint_expression(expression)
    assert finding.code == "cql-duration"
    assert expression[finding.offset] == '"'


def test_the_corpus_and_the_examples_lint_clean(corpus_dir: Path) -> None:
    files = sorted((corpus_dir / "scorecards").glob("*.yaml"))
    files += sorted((REPO_ROOT / "examples" / "scorecards").glob("*.yaml"))
    assert len(files) > 20
    found = []
    for path in files:
        document, problems = parse_document(path.name, path.read_bytes())
        assert document is not None, problems
        found += [p for p in validate_document(document) if p.code.startswith("cql-")]
    assert found == []


def test_there_are_at_least_twenty_five_bad_expressions_with_positions() -> None:
    cases = sorted(CQL_CASES.glob("*.yaml"))
    assert len(cases) >= 25
    for case in cases:
        header = case.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("# expect-warning: "), case
        assert header.split()[2].count(":") == 1, f"{case} declares no line:column"


def test_cql_findings_are_warnings_carrying_their_code() -> None:
    path = CQL_CASES / "literal-block-unclosed.yaml"
    document, _ = parse_document("x.yaml", path.read_bytes())
    assert document is not None
    [problem] = [p for p in validate_document(document) if p.code.startswith("cql-")]
    assert problem.severity is Severity.WARNING
    assert (problem.line, problem.column) == (10, 13)


# --- positions inside YAML scalars ------------------------------------------------------


def _position(text: str, key: str, needle: str, nth: int = 0) -> tuple[int, int]:
    document, problems = parse_document("x.yaml", text.encode())
    assert document is not None, problems
    value = document.data[key]
    offset = -1
    for _ in range(nth + 1):
        offset = value.index(needle, offset + 1)
    return position_in_scalar(text, document.positions[(key,)], value, offset)


def _char_at(text: str, position: tuple[int, int]) -> str:
    line, column = position
    return text.splitlines()[line - 1][column - 1]


@pytest.mark.parametrize(
    "text",
    [
        "e: a(b) + X\n",
        'e: "a(\\"b\\") + X"\n',
        "e: 'a(''b'') + X'\n",
        "e: |\n  a(b)\n  + X\n",
        "e: |-\n    a(b)\n      + X\n",
        "e: >\n  a(b)\n  + X\n",
        "e: >-\n  a(b)\n\n  + X\n",
        "e: a(b)\n  + X\n",
        'e: "a(b)\n  + X"\n',
        'e: "a(b) \\\n  + X"\n',
        "e: 'a(b)\n\n   + X'\n",
        "e: | # a comment\n  a(b)\n  + X\n",
        'e: "\\u00e9\\x41\\t + X"\n',
    ],
)
def test_every_scalar_style_maps_a_character_back_to_its_source(text: str) -> None:
    assert _char_at(text, _position(text, "e", "X")) == "X"


def test_a_folded_line_break_is_placed_where_the_break_was() -> None:
    text = "e: a\n  b\n"
    assert _position(text, "e", " ") == (1, 5)
