"""Hypothesis strategies for the fuzz suite: scorecard descriptors, then YAML-level mutants.

`descriptors()` draws descriptor-shaped data (right and wrong types mixed in);
`descriptor_texts()` serializes one as YAML; `mutants()` takes such a text and applies
one or more mutations a hostile or careless writer could make: explicit tags, anchors
and aliases (recursive ones and small bombs), control characters, other encodings, line
endings, byte order marks, deep nesting, huge scalars, duplicate keys, truncation and
stray YAML punctuation. Each mutant is bytes, as a file (or a response body) holds them.

`slowest` keeps the longest time one input took, for the run's summary line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from hypothesis import strategies as st

# Characters a YAML mutant is made of: structure, quoting and the odd ones out.
_PUNCTUATION = list(":-[]{},#&*!|>'\"%@`?\\ \t\n")
_CONTROL = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]
_ODD = ["\u2028", "\u2029", "\u202e", "\u2066", "\u200b", "\ufeff", "\ufffe", "\udcff", "é", "😀"]
_TAGS = [
    "!!bool maybe",
    "!!bool ''",
    '!!int ""',
    '!!int "-"',
    "!!int 0x",
    "!!int +_",
    '!!float ""',
    "!!float .",
    "!!float 1e99999",
    "!!null x",
    "!!str 1",
    "!!binary aGVsbG8=",
    "!!timestamp 2024-13-45",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object:os.system ls",
    "!custom value",
    "!<tag:example.com,2024:x> y",
    "!! ",
    "!!map {}",
    "!!seq []",
]
_SCALARS = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(["#CD7F32", "7cf376", "GENERIC", "SERVICE", "Bronze", "git != null"]),
)


# Strategies are built once: building one per draw costs more than drawing from it.
_ANYTHING: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _maybe(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right kind of value, sometimes anything at all."""
    return st.one_of(right, right, right, _ANYTHING)


_LEVEL_NAMES = st.sampled_from(["Bronze", "Silver", "Gold"])
_NAMES = st.one_of(_LEVEL_NAMES, st.text(min_size=1, max_size=20))
_TAG_TEXT = st.text("abcxyz0123456789-_.", min_size=1, max_size=16)
_FILTERS = st.sampled_from(
    [
        {"kind": "GENERIC", "types": {"include": ["service"]}},
        {"category": "SERVICE"},
        {"kind": "GENERIC", "groups": {"exclude": ["legacy"]}, "query": "x"},
        {"kind": "GENERIC", "types": {}},
    ]
)
_LEVEL = st.fixed_dictionaries(
    {"name": _maybe(_NAMES), "rank": _maybe(st.integers(0, 5))},
    optional={
        "color": _maybe(st.sampled_from(["#CD7F32", "c0c0c0", "#FFD700", "#zz"])),
        "description": _maybe(st.text(max_size=20)),
    },
)
_RULE = st.fixed_dictionaries(
    {"title": _maybe(_NAMES), "expression": _maybe(st.text(min_size=1, max_size=40))},
    optional={
        "level": _maybe(_LEVEL_NAMES),
        "weight": _maybe(st.integers(0, 10)),
        "identifier": _maybe(st.uuids().map(str)),
        "description": _maybe(st.text(max_size=20)),
        "failureMessage": _maybe(st.text(max_size=20)),
        "filter": _maybe(_FILTERS),
    },
)
_DESCRIPTOR = st.fixed_dictionaries(
    {
        "tag": _maybe(_TAG_TEXT),
        "name": _maybe(_NAMES),
        "rules": _maybe(st.lists(_RULE, min_size=1, max_size=4)),
    },
    optional={
        "description": _maybe(st.text(max_size=60)),
        "draft": _maybe(st.booleans()),
        "ladder": _maybe(
            st.fixed_dictionaries(
                {"name": _maybe(_NAMES), "levels": _maybe(st.lists(_LEVEL, max_size=4))}
            )
        ),
        "notifications": _maybe(st.fixed_dictionaries({"enabled": st.booleans()})),
        "exemptions": _maybe(
            st.fixed_dictionaries({"enabled": st.booleans(), "autoApprove": st.booleans()})
        ),
        "evaluation": _maybe(st.fixed_dictionaries({"window": st.integers(-5, 10**6)})),
        "filter": _maybe(_FILTERS),
        "unknownKey": _ANYTHING,
    },
)


def descriptors() -> st.SearchStrategy[dict[str, Any]]:
    """Descriptor-shaped data: the right keys, mostly the right kinds of value."""
    return _DESCRIPTOR


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


_TEXTS = _DESCRIPTOR.map(lambda data: dump(data))


def descriptor_texts() -> st.SearchStrategy[str]:
    return _TEXTS


# --- mutations of the text ---------------------------------------------------------------

Mutation = Callable[[st.DrawFn, str], str]


def _offset(draw: st.DrawFn, text: str) -> int:
    return draw(st.integers(0, len(text)))


def _line_index(draw: st.DrawFn, lines: list[str]) -> int:
    return draw(st.integers(0, max(0, len(lines) - 1)))


def _insert(draw: st.DrawFn, text: str) -> str:
    at = _offset(draw, text)
    alphabet = st.sampled_from(_PUNCTUATION + _CONTROL + _ODD)
    chunk = draw(st.one_of(st.text(alphabet, min_size=1, max_size=4), st.text(max_size=4)))
    return text[:at] + chunk + text[at:]


def _delete(draw: st.DrawFn, text: str) -> str:
    at = _offset(draw, text)
    return text[:at] + text[at + draw(st.integers(1, 10)) :]


def _truncate(draw: st.DrawFn, text: str) -> str:
    return text[: _offset(draw, text)]


def _retag(draw: st.DrawFn, text: str) -> str:
    """Replace one value (the text after a `key: `) with an explicitly tagged one."""
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if ": " in line]
    if not candidates:
        return text
    i = draw(st.sampled_from(candidates))
    key, _, _ = lines[i].partition(": ")
    lines[i] = f"{key}: {draw(st.sampled_from(_TAGS))}"
    return "\n".join(lines)


def _alias(draw: st.DrawFn, text: str) -> str:
    """An anchor on one value, an alias (maybe to an enclosing node) somewhere else."""
    lines = text.split("\n")
    keyed = [i for i, line in enumerate(lines) if line.rstrip().endswith(":") or ": " in line]
    if len(keyed) < 1:
        return text
    first = draw(st.sampled_from(keyed))
    key, sep, value = lines[first].partition(":")
    lines[first] = f"{key}{sep} &a{value}"
    second = draw(st.sampled_from(keyed))
    target_key, _, _ = lines[second].partition(":")
    if second != first:
        lines[second] = f"{target_key}: *a"
    else:
        lines.insert(first + 1, " " * (len(key) - len(key.lstrip()) + 2) + "x: *a")
    return "\n".join(lines)


def _bomb(draw: st.DrawFn, text: str) -> str:
    width = draw(st.integers(2, 12))
    depth = draw(st.integers(1, 9))
    lines = ["b0: &b0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, depth + 1):
        lines.append(f"b{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * width) + "]")
    return text + "\n".join(lines) + "\n"


def _control(draw: st.DrawFn, text: str) -> str:
    at = _offset(draw, text)
    return text[:at] + draw(st.sampled_from(_CONTROL + _ODD)) + text[at:]


def _line_endings(draw: st.DrawFn, text: str) -> str:
    ending = draw(st.sampled_from(["\r\n", "\r", "\n\r", "\u2028", "\x85"]))
    if draw(st.booleans()):
        return text.replace("\n", ending)
    lines = text.split("\n")
    i = _line_index(draw, lines)
    return "\n".join(lines[:i]) + ending + "\n".join(lines[i:])


def _bom(draw: st.DrawFn, text: str) -> str:
    at = draw(st.sampled_from([0, 0, _offset(draw, text)]))
    return text[:at] + "\ufeff" * draw(st.integers(1, 2)) + text[at:]


def _nest(draw: st.DrawFn, text: str) -> str:
    depth = draw(st.integers(1, 300))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block-map", "block-list"]))
    if style == "flow-list":
        value = "[" * depth + "x" + "]" * depth
    elif style == "flow-map":
        value = "{a: " * depth + "x" + "}" * depth
    elif style == "block-map":
        value = "".join("\n" + "  " * (i + 1) + "a:" for i in range(depth)) + " x"
    else:
        value = "".join("\n" + "  " * (i + 1) + "-" for i in range(depth)) + " x"
    key = draw(st.sampled_from(["rules", "ladder", "filter", "deep", "name"]))
    return text + f"{key}: {value}\n"


def _huge(draw: st.DrawFn, text: str) -> str:
    size = draw(st.sampled_from([4301, 5000, 70_000, 200_000]))
    kind = draw(st.sampled_from(["digits", "float", "plain", "quoted", "key", "block"]))
    body = "7" * size
    if kind == "digits":
        line = f"evaluation:\n  window: {body}"
    elif kind == "float":
        line = f"weight: {body}.5e{body[:6]}"
    elif kind == "plain":
        line = f"description: {'word ' * (size // 5)}"
    elif kind == "quoted":
        line = f'name: "{chr(92) + "u00e9" * (size // 6)}"'
    elif kind == "key":
        line = f"{'k' * size}: 1"
    else:
        line = "description: |\n" + "  line\n" * (size // 7)
    return text + line + "\n"


def _duplicate(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    i = _line_index(draw, lines)
    repeats = draw(st.integers(1, 50))
    return "\n".join(lines[: i + 1] + [lines[i]] * repeats + lines[i + 1 :])


def _indent(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    i = _line_index(draw, lines)
    prefix = draw(st.sampled_from([" ", "\t", "  ", "- ", "? "]))
    lines[i] = prefix + lines[i] if draw(st.booleans()) else lines[i].lstrip()
    return "\n".join(lines)


def _documents(draw: st.DrawFn, text: str) -> str:
    marker = draw(st.sampled_from(["---\n", "...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,1:\n---\n"]))
    return draw(st.sampled_from([marker + text, text + marker, text + marker + text]))


MUTATIONS: tuple[Mutation, ...] = (
    _insert,
    _delete,
    _truncate,
    _retag,
    _alias,
    _bomb,
    _control,
    _line_endings,
    _bom,
    _nest,
    _huge,
    _duplicate,
    _indent,
    _documents,
)


def _encode(draw: st.DrawFn, text: str) -> bytes:
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])
    )
    raw = text.encode(encoding, errors="surrogateescape" if encoding == "utf-8" else "replace")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


@st.composite
def mutants(draw: st.DrawFn, texts: st.SearchStrategy[str] | None = None) -> bytes:
    """A descriptor's YAML after one to three mutations, encoded."""
    text = draw(texts if texts is not None else _TEXTS)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        text = mutation(draw, text)
    return _encode(draw, text)


class _Slowest:
    def __init__(self) -> None:
        self.inputs = 0
        self.seconds = 0.0
        self.size = 0

    @contextmanager
    def timing(self, size: int) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.inputs += 1
            if elapsed > self.seconds:
                self.seconds, self.size = elapsed, size


slowest = _Slowest()
