"""scorecards_sync/safe_text.py: what is neutralised, how it is shown, and what is kept."""

from __future__ import annotations

import json
import os

import pytest

from scorecards_sync.safe_text import (
    UNSAFE,
    json_text,
    markdown_inline,
    one_line,
    terminal_output,
    text_lines,
    visible,
)

# One of each kind the module neutralises.
EACH = {
    "\x00": "\\x00",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x1b": "\\x1b",
    "\x7f": "\\x7f",
    "\x85": "\\x85",
    "\x9b": "\\x9b",
    "\u061c": "\\u061c",
    "\u200b": "\\u200b",
    "\u200e": "\\u200e",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    "\u202a": "\\u202a",
    "\u202e": "\\u202e",
    "\u2060": "\\u2060",
    "\u2066": "\\u2066",
    "\u2069": "\\u2069",
    "\ufeff": "\\ufeff",
    "\U000e0041": "\\U000e0041",
    os.fsdecode(b"\xff"): "\\xff",
}


@pytest.mark.parametrize(("char", "shown"), EACH.items())
def test_each_kind_is_shown_as_its_escape(char: str, shown: str) -> None:
    assert visible(char) == shown
    assert one_line(f"a{char}b") == f"a{shown}b"


def test_text_people_write_is_left_alone() -> None:
    text = "Prod · ✅ café 日本語 עברית 👩‍👩‍👧 (ZWJ kept) — «quotes» ½"
    assert UNSAFE.search(text) is None
    assert one_line(text) == text_lines(text) == terminal_output(text) == text


def test_lines_keep_line_feeds_and_tabs_but_nothing_else() -> None:
    assert text_lines("a\r\nb\tc\rd\u2028e") == "a\nb\tc\\rd\\u2028e"


def test_markdown_is_literal_and_on_one_line() -> None:
    assert markdown_inline("x\r\r- *y*\n| z") == "x&#92;r&#92;r- &#42;y&#42;<br>&#124; z"


def test_json_text_decodes_to_the_same_value() -> None:
    value = {"k\u202e": ["\u2028", "\x85", "\U000e0041", os.fsdecode(b"\xfe"), "\x1b\n"]}
    text = json_text(json.dumps(value, ensure_ascii=False, indent=2))
    assert UNSAFE.search(text.replace("\n", "")) is None
    assert json.loads(text) == value
    assert "\\udb40\\udc41" in text  # an astral character as its surrogate pair


def test_terminal_output_keeps_the_tools_colours_only() -> None:
    assert terminal_output("\x1b[1;32mok\x1b[0m") == "\x1b[1;32mok\x1b[0m"
    assert terminal_output("\x1b[?25l\x1bc") == "\\x1b[?25l\\x1bc"
