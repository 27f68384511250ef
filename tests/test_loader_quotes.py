"""YAML errors told at their cause: a quote left open is named where it opened."""

from __future__ import annotations

import pytest

from scorecards_sync.loader import parse_document


def _problems(text: str) -> list[str]:
    _, problems = parse_document("card.yaml", text.encode())
    return [f"{p.line}:{p.column}: {p.message}" for p in problems]


def test_a_double_quote_left_open_is_named_where_it_opened() -> None:
    text = 'tag: t\nname: "Unclosed\ndescription: text\nrules:\n  - title: "A"\n'
    assert _problems(text) == [
        "2:7: a quoted string opened here runs on to line 5; is a closing quote missing?"
    ]


def test_a_single_quote_left_open_is_named_where_it_opened() -> None:
    text = (
        'tag: t\nname: T\nrules:\n  - title: A\n    expression: \'custom("x") == 1\n'
        "  - title: B\n    expression: it's\n"
    )
    assert _problems(text) == [
        "5:17: a quoted string opened here runs on to line 7; is a closing quote missing?"
    ]


@pytest.mark.parametrize(
    "text",
    [
        # Cortex's own exports fold long double-quoted strings over several lines.
        'tag: t\nname: T\nrules:\n  - title: A\n    expression: "a == [\\"b\\"\\\n      ]"\n',
        "tag: t\nname: 'two\n  lines'\nrules: []\n",
    ],
)
def test_quoted_strings_that_close_are_not_blamed(text: str) -> None:
    assert _problems(text) == []


def test_an_error_elsewhere_keeps_its_own_message() -> None:
    text = 'tag: t\nname: "two\n  lines"\nrules:\n  - title: A\n   expression: x\n'
    [problem] = _problems(text)
    assert "quoted string" not in problem
