"""CQL checked offline: only what is certain without Cortex's grammar.

Cortex publishes no CQL grammar, so this is a lexer, not a parser: it reads string
literals, comments and brackets the way every C-like language does, and reports only
mistakes that no valid CQL can contain. Each finding is an offset into the expression;
`validation` turns it into a `line:column` of the YAML file and a warning (an error under
`--strict`). What it checks, and why each is safe:

- brackets `()`, `[]`, `{}` that do not pair up, outside strings and comments;
- a string literal (`"…"`, `'…'`, or a back-quoted name such as CQL 1's
  `` info.`x-cortex-tag` ``) or a `/* … */` comment that is never closed;
- an operator left dangling at the very end (`a &&`, `x ==`, `git.`). Not `=` in the
  middle: the API reference's own example, `custom("key") = "value"`, shows it is CQL;
- `duration("…")` whose text is not an ISO-8601 duration. Cortex's own files use
  `P8D`, `P1W`, `P1Y` and `P-90D` (a signed component, as Java's `Duration.parse`
  allows), so years, months and weeks are accepted along with signs, days and a time
  part; a fraction only on seconds;
- names CQL 2.0 renamed or retired, from Cortex's CQL 2.0 migration guide, each with
  its replacement (`_RENAMED`: only the entries whose evidence we hold; extend it there).
  Only the property forms are flagged (`.count`, not a `.count(` call), since whether a
  method of the same name exists in CQL 2.0 is not known.

Anything else a lexer could guess at (a trailing comma, an operator before `)`, unknown
functions) is left to Cortex: the corpus of real descriptors must lint clean.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_QUOTES = {'"': "string", "'": "string", "`": "back-quoted name"}
# Longest first, so `&&` is one token and `>=` is not `>` then `=`.
_OPERATORS = (
    "&&",
    "||",
    "==",
    "!=",
    "<=",
    ">=",
    "=>",
    "<",
    ">",
    "=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    ".",
    ",",
)
_WORD_OPERATORS = frozenset({"and", "or", "not"})
_WORD = re.compile(r"[A-Za-z_0-9]+")
# ISO-8601 durations as CQL reads them (see the module docstring).
_DURATION = re.compile(
    r"[-+]?P(?!$)(?:[-+]?\d+Y)?(?:[-+]?\d+M)?(?:[-+]?\d+W)?(?:[-+]?\d+D)?"
    r"(?:T(?=[-+\d])(?:[-+]?\d+H)?(?:[-+]?\d+M)?(?:[-+]?\d+(?:[.,]\d{1,9})?S)?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rename:
    """A name CQL 2.0 replaced: the tokens of the old form and what to write instead."""

    tokens: tuple[str, ...]
    old: str
    new: str


# From Cortex's CQL 2.0 migration guide. The most specific form comes first: at one place
# only the first match is reported (`openapi.paths.count`, not also `.count`).
_RENAMED: tuple[Rename, ...] = (
    Rename(("openapi", ".", "paths", ".", "count"), "openapi.paths.count", "openapi.numOfPaths()"),
    Rename(("sentry", ".", "issues"), "sentry.issues", "sentry.numOfIssues()"),
    Rename((".", "count"), ".count", ".length"),
)


@dataclass(frozen=True)
class Finding:
    """One certain mistake at `offset` (0-based, in the expression's text)."""

    offset: int
    message: str
    code: str


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "op", "string", "open", "close", "other"
    text: str
    offset: int


def lint_expression(expression: str) -> list[Finding]:
    """Every certain mistake in one CQL expression, in the order they appear."""
    findings: list[Finding] = []
    tokens = _tokens(expression, findings)
    lexed_to_end = not any(f.code in ("cql-unterminated", "cql-unclosed-comment") for f in findings)
    findings.extend(_bracket_findings(tokens, report_unclosed=lexed_to_end))
    if lexed_to_end:
        findings.extend(_dangling_operator(tokens))
    findings.extend(_duration_findings(tokens))
    findings.extend(_rename_findings(tokens))
    return sorted(findings, key=lambda f: f.offset)


def _tokens(text: str, findings: list[Finding]) -> list[_Token]:
    tokens: list[_Token] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                findings.append(
                    Finding(
                        i,
                        "the comment opened here with `/*` is never closed with `*/`",
                        "cql-unclosed-comment",
                    )
                )
                return tokens
            i = end + 2
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = size if newline < 0 else newline + 1
        elif char in _QUOTES:
            closing = _string_end(text, i)
            if closing is None:
                findings.append(
                    Finding(
                        i,
                        f"the {_QUOTES[char]} opened here with {_quoted(char)} is never closed",
                        "cql-unterminated",
                    )
                )
                return tokens
            tokens.append(_Token("string", text[i + 1 : closing], i))
            i = closing + 1
        elif char in _OPENERS:
            tokens.append(_Token("open", char, i))
            i += 1
        elif char in _CLOSERS:
            tokens.append(_Token("close", char, i))
            i += 1
        elif match := _WORD.match(text, i):
            word = match.group()
            kind = "op" if word.lower() in _WORD_OPERATORS else "word"
            tokens.append(_Token(kind, word, i))
            i = match.end()
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                tokens.append(_Token("other", char, i))
                i += 1
            else:
                tokens.append(_Token("op", operator, i))
                i += len(operator)
    return tokens


def _string_end(text: str, start: int) -> int | None:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return None


def _quoted(char: str) -> str:
    return f"`` {char} ``" if char == "`" else f"`{char}`"


def _bracket_findings(tokens: Sequence[_Token], *, report_unclosed: bool) -> list[Finding]:
    """The first bracket that does not pair up; what follows it would only be its echo."""
    stack: list[_Token] = []
    for token in tokens:
        if token.kind == "open":
            stack.append(token)
        elif token.kind == "close":
            wanted = _CLOSERS[token.text]
            if not stack:
                message = f"`{token.text}` closes nothing: there is no `{wanted}` open before it"
                return [Finding(token.offset, message, "cql-unbalanced")]
            opened = stack.pop()
            if opened.text != wanted:
                message = (
                    f"`{token.text}` cannot close the `{opened.text}` still open before it; "
                    f"expected `{_OPENERS[opened.text]}`"
                )
                return [Finding(token.offset, message, "cql-unbalanced")]
    if not report_unclosed or not stack:
        return []
    # The innermost bracket left open is the one most likely missing its closer.
    opened = stack[-1]
    message = f"`{opened.text}` opened here is never closed with `{_OPENERS[opened.text]}`"
    return [Finding(opened.offset, message, "cql-unbalanced")]


def _dangling_operator(tokens: Sequence[_Token]) -> list[Finding]:
    if not tokens or tokens[-1].kind != "op":
        return []
    last = tokens[-1]
    return [
        Finding(
            last.offset,
            f"the expression ends with `{last.text}`: an operand is missing after it",
            "cql-dangling-operator",
        )
    ]


def _duration_findings(tokens: Sequence[_Token]) -> list[Finding]:
    findings: list[Finding] = []
    for index, token in enumerate(tokens[:-2]):
        if token.kind != "word" or token.text != "duration":
            continue
        opener, argument = tokens[index + 1], tokens[index + 2]
        if opener.text != "(" or argument.kind != "string":
            continue
        if _DURATION.fullmatch(argument.text):
            continue
        findings.append(
            Finding(
                argument.offset,
                f'`duration("{argument.text}")`: `{argument.text}` is not an ISO-8601 duration '
                "(such as P7D, P1W, PT12H or P-90D)",
                "cql-duration",
            )
        )
    return findings


def _rename_findings(tokens: Sequence[_Token]) -> list[Finding]:
    findings: list[Finding] = []
    texts = [t.text if t.kind in ("word", "op") else None for t in tokens]
    reported: set[int] = set()
    for index in range(len(tokens)):
        for rename in _RENAMED:
            end = index + len(rename.tokens)
            if tuple(texts[index:end]) != rename.tokens:
                continue
            if end < len(tokens) and tokens[end].text == "(":
                continue  # a call of that name: not the retired property
            last = end - 1
            if last in reported:
                break
            reported.update(range(index, end))
            findings.append(
                Finding(
                    tokens[index].offset,
                    f"`{rename.old}` was renamed in CQL 2.0; write `{rename.new}`",
                    "cql-renamed",
                )
            )
            break
    return findings
