from __future__ import annotations

from typing import Any

import pytest

from scorecards_sync.value_kinds import kind_of


@pytest.mark.parametrize(
    ("value", "yaml_words", "json_words"),
    [
        (None, "an empty value", "null"),
        (True, "a boolean (true)", "a boolean (true)"),
        (False, "a boolean (false)", "a boolean (false)"),
        (2, "an integer (2)", "a number (2)"),
        (1.5, "a number (1.5)", "a number (1.5)"),
        ("text", "a string", "a string"),
        ([1], "a list", "a list"),
        ({"a": 1}, "a mapping", "an object"),
        (b"x", "bytes", "bytes"),
    ],
)
def test_each_kind_in_the_words_of_its_format(value: Any, yaml_words: str, json_words: str) -> None:
    assert kind_of(value) == yaml_words
    assert kind_of(value, "json") == json_words
