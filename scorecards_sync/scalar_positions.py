"""Where a character of a parsed YAML string sits in its file.

The loader records where each value starts; a finding inside a string (a CQL mistake
at offset 37 of an expression) needs the line and column of that character. YAML
changes text on the way in (quotes and escapes, folded line breaks, the indentation
of block scalars), so the value is walked against its source: each character of the
value is matched to the next source character that can have produced it, skipping
what YAML drops (indentation, a `\\` line continuation), and reading an escape
(`\\"`, `\\u00e9`) or a doubled `''` as one character. The space a folded line
break becomes is placed where the break was.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

Position = tuple[int, int]

_ESCAPE_WIDTHS = {"x": 4, "u": 6, "U": 10}
_SKIPPED = " \t\r\n"
_LINE_BREAKS = frozenset("\r\n\x85\u2028\u2029")


def line_starts(text: str) -> list[int]:
    """The offset at which each line of `text` begins (line 1 first).

    Lines end where PyYAML's marks say they do: at CR LF, a lone CR, LF, NEL, U+2028 and
    U+2029; a file with old Mac line ends is many lines, not one.
    """
    starts = [0]
    for i, char in enumerate(text):
        if char in _LINE_BREAKS and not (char == "\r" and text[i + 1 : i + 2] == "\n"):
            starts.append(i + 1)
    return starts


def offset_of(starts: Sequence[int], position: Position) -> int:
    line, column = position
    return starts[line - 1] + column - 1


def position_of(starts: Sequence[int], offset: int) -> Position:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def scalar_offsets(text: str, start: int, value: str) -> list[int]:
    """Source offset of each character of `value`, whose node starts at `start` in `text`.

    One entry per character, plus one for the end of the value.
    """
    style = text[start : start + 1]
    if style in ("|", ">"):
        newline = text.find("\n", start)
        cursor = len(text) if newline < 0 else newline + 1
    elif style in ('"', "'"):
        cursor = start + 1
    else:
        style = ""
        cursor = start
    size = len(text)
    offsets: list[int] = []
    for char in value:
        while cursor < size:
            source = text[cursor]
            if style == '"' and source == "\\":
                following = text[cursor + 1 : cursor + 2]
                if following in ("\n", "\r"):
                    cursor += 2  # a line continuation produces nothing
                    continue
                offsets.append(cursor)
                cursor += _ESCAPE_WIDTHS.get(following, 2)
                break
            if style == "'" and source == "'" and text[cursor + 1 : cursor + 2] == "'":
                offsets.append(cursor)
                cursor += 2
                break
            if source == char or (char == " " and source == "\n"):
                offsets.append(cursor)  # a folded line break becomes one space
                cursor += 1
                break
            if source in _SKIPPED:
                cursor += 1
                continue
            offsets.append(cursor)  # a character YAML made up, such as a folded break
            break
        else:
            offsets.append(size)
    offsets.append(cursor)
    return offsets


def position_in_scalar(text: str, start: Position, value: str, offset: int) -> Position:
    """`line:column` in `text` of `value[offset]`, for a value whose node starts at `start`."""
    starts = line_starts(text)
    offsets = scalar_offsets(text, offset_of(starts, start), value)
    return position_of(starts, offsets[min(offset, len(offsets) - 1)])
