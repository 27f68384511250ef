"""How a message names the kind of a value it did not expect ("got a list").

One describer for every check of parsed data: descriptors (YAML words: "a mapping",
"an empty value"), plan files and the emulator's state file (JSON words: "an object",
"null"). Scalars show their value, so "got a boolean (true)" says what was written;
strings do not, since they can be long and the message already names where they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Dialect = Literal["yaml", "json"]

_NULL: Mapping[Dialect, str] = {"yaml": "an empty value", "json": "null"}
_MAPPING: Mapping[Dialect, str] = {"yaml": "a mapping", "json": "an object"}


def kind_of(value: Any, dialect: Dialect = "yaml") -> str:
    """`value`'s kind as a message says it, in the words of the format it came from.

    YAML tells integers from other numbers; JSON has only numbers.
    """
    if value is None:
        return _NULL[dialect]
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int) and dialect == "yaml":
        return f"an integer ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return _MAPPING[dialect]
    return type(value).__name__
