"""Untrusted text made safe to show: the one owner of neutralising control characters.

Descriptor text, file names, tags, Cortex's answers and pull-request metadata are data.
Shown raw, a control character can forge what a reader sees: a lone carriage return
starts a new line in GitHub's Markdown (a forged bullet in the reviewed comment), an
escape sequence recolours, moves or retitles a terminal, a bidi override reorders what
is displayed, an invisible character makes two different tags look the same.

Each such character is replaced by a visible escape (`\\r`, `\\x1b`, `\\u202e`), the way
Python writes it; a byte of a file name that is not UTF-8 (held as a lone surrogate, see
`os.fsdecode`) is shown as the byte (`\\xff`). Zero-width joiners (U+200C, U+200D) stay:
emoji sequences and several scripts need them.

- `one_line`: a tag, a path, a title, a message: nothing breaks the line.
- `text_lines`: a block of lines (a diff, a description): line feeds and tabs stay.
- `terminal_output`: the last guard before a terminal: line feeds, tabs and the tool's
  own colour codes (SGR sequences) stay.
- `markdown_inline`: inline Markdown/HTML that renders literally, in a table cell too,
  and mentions nobody (no `@name`, `#7` or `!7` reference a host would act on).
- `json_text`: JSON text whose strings carry no raw control or bidi characters.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; Arabic letter mark; zero-width space, LRM, RLM; line and
# paragraph separators; bidi embeddings and overrides; word joiner and invisible
# operators; bidi isolates; byte order mark / zero-width no-break space; interlinear
# annotation marks; lone surrogates (bytes of a non-UTF-8 file name); Unicode tag
# characters (invisible, used to smuggle text).
_UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f"
)
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_IN_LINES = re.compile("(?![\n\t])" + UNSAFE.pattern)
# What the tool itself writes to a terminal: Select Graphic Rendition, digits only.
_OWN_SGR = r"\x1b\[[0-9;]*m"
_TERMINAL_UNSAFE = re.compile(f"{_OWN_SGR}|(?![\n\t]){UNSAFE.pattern}")
# json.dumps writes C0 controls in strings as escapes already; outside strings there are
# only its own line feeds.
_JSON_UNSAFE = re.compile(f"(?![\x00-\x1f]){UNSAFE.pattern}")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE_ESCAPES = range(0xDC80, 0xDD00)


def visible(char: str) -> str:
    """The escape that shows `char` (one character) in plain ASCII."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code in _SURROGATE_ESCAPES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def one_line(text: str) -> str:
    """`text` on one line, every control, separator, bidi or invisible character escaped."""
    return UNSAFE.sub(lambda m: visible(m.group()), text)


def text_lines(text: str) -> str:
    """Like `one_line`, but line feeds and tabs stay (a CR LF pair becomes a line feed)."""
    return _UNSAFE_IN_LINES.sub(lambda m: visible(m.group()), text.replace("\r\n", "\n"))


def terminal_output(text: str) -> str:
    """Text about to reach a terminal: only line feeds, tabs and plain SGR colour codes
    stay. Renderers neutralise what they put in (`one_line`), so every escape sequence left
    is the tool's; this catches whatever one of them missed."""
    return _TERMINAL_UNSAFE.sub(
        lambda m: m.group() if len(m.group()) > 1 else visible(m.group()), text
    )


_MARKDOWN_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",
    "`": "&#96;",
    "\\": "&#92;",
    "*": "&#42;",
    "_": "&#95;",
    "[": "&#91;",
    "]": "&#93;",
    "~": "&#126;",
    "#": "&#35;",
    "@": "&#64;",
}
# `!` is left as it is: it means something only before `[` (an image), and `[` is escaped.
# Digits, `-`, `+`, `=` and `.` cannot start a block where the text goes (always after
# other markup on the line: a cell, a bullet, a `<code>`), and line breaks never get in.
_MARKDOWN_SPECIAL = re.compile("[" + re.escape("".join(_MARKDOWN_ESCAPES)) + "]")
# Where GitHub and GitLab read a reference in a comment's text: `@name` (a mention, which
# notifies), `#7` (issue or pull request), and GitLab's `!7`, `~label`, `%milestone`,
# `&epic`, `$snippet`: a sigil after no ASCII word character (GitHub's `\W` is ASCII's),
# before a character that is not a space. Both hosts look for them after decoding the
# HTML, so an entity (`&#64;`) does not stop them; a zero-width space after the sigil
# does, and shows nothing (Renovate writes `@&#8203;`, Dependabot `@\u200b`). Written as
# an entity: the raw character is one this module shows as an escape. Neither host looks
# inside `<code>`.
_REFERENCE_OR_SPECIAL = re.compile(
    r"(?P<sigil>(?<![A-Za-z0-9_])[@#!~%&$](?=\S))|" + _MARKDOWN_SPECIAL.pattern
)
ZERO_WIDTH_SPACE = "&#8203;"


def markdown_inline(text: str, *, in_code: bool = False) -> str:
    """Inline text that renders literally in Markdown, HTML and table cells.

    Line feeds (and CR LF) become `<br>`; every other control, separator, bidi or
    invisible character is shown as its escape, so nothing in `text` can start a line.
    Outside a `<code>` element (`in_code`), nothing in `text` mentions anybody or refers
    to an issue, a merge request, a label: a zero-width space follows each sigil that
    would (`@&#8203;name`), which renders the same text.
    """

    def escaped(match: re.Match[str]) -> str:
        char = match.group()
        shown = _MARKDOWN_ESCAPES.get(char, char)
        return shown + ZERO_WIDTH_SPACE if match.group("sigil") and not in_code else shown

    safe = text_lines(text)
    return _REFERENCE_OR_SPECIAL.sub(escaped, safe).replace("\n", "<br>")


def json_text(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every unsafe character
    written as a `\\uXXXX` escape. json.dumps escapes C0 controls itself; the others only
    occur inside JSON strings, where the escape means the same character: the JSON decodes
    to the same value."""
    return _JSON_UNSAFE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
