"""The served descriptor's two writers, libyaml's and PyYAML's pure-Python one, write the
same bytes wherever the libyaml one is used (`served_yaml.py` says why there are two)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync.emulator.acceptance import check_descriptor
from scorecards_sync.emulator.serialize import prepare
from scorecards_sync.emulator.served_yaml import descriptor_yaml, libyaml_text, pure_python_text
from scorecards_sync.loader import parse_document

pytestmark = pytest.mark.skipif(
    not yaml.__with_libyaml__, reason="PyYAML without libyaml: only the pure-Python writer"
)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _stored(path: Path) -> dict[str, Any] | None:
    document, _ = parse_document(path.name, path.read_bytes())
    return None if document is None else prepare(document.data, None)


def _descriptor_files(corpus: Path | None) -> list[Path]:
    folders = [TESTS / "data", REPO / "examples"]
    if corpus is not None:
        folders.append(corpus / "scorecards")
    return sorted(path for folder in folders for path in folder.rglob("*.y*ml"))


def test_every_real_and_test_descriptor_is_written_alike_by_both(
    corpus_dir: Path,
) -> None:
    taken = 0
    for path in _descriptor_files(corpus_dir):
        stored = _stored(path)
        if stored is None:
            continue
        fast = libyaml_text(stored)
        if fast is not None:
            taken += 1
            assert fast == pure_python_text(stored), path
    # Not a vacuous comparison: most descriptors take the libyaml path (about 160 of 200).
    assert taken >= 100, taken


def test_the_cortex_exports_are_still_reproduced_byte_for_byte(corpus_dir: Path) -> None:
    for path in (
        corpus_dir / "scorecards" / "learn-cortex__learn-gitops__raw-GET-descriptor-45edda9.yaml",
        TESTS / "data" / "emulator" / "learn-linux-shell-iterm2.raw.yaml",
    ):
        stored = _stored(path)
        assert stored is not None
        assert descriptor_yaml(stored).encode("utf-8") == path.read_bytes()


REALISTIC = """tag: svc-maturity
name: Service maturity
description: |
  Maturity of services owned by the platform team.
  Second line.
ladder:
  name: Maturity
  levels:
    - {name: Bronze, rank: 1, color: "#CD7F32"}
    - {name: Silver, rank: 2, color: cd7f32}
rules:
  - title: Has owner
    expression: ownership.allOwners().length > 0
    level: Bronze
  - title: Tagged
    expression: 'hasGroup("a") and x.in(["b"])'
    level: Silver
    failureMessage: "yes"
    filter: {kind: GENERIC, types: {include: [service, "123"]}, groups: {exclude: []}}
filter:
  query: "entity_descriptor.info.`x-cortex-tag` = \\"a\\""
"""


def test_a_realistic_descriptor_takes_the_libyaml_path() -> None:
    data, problems = check_descriptor(REALISTIC.encode("utf-8"))
    assert data is not None, problems
    stored = prepare(data, None)
    fast = libyaml_text(stored)
    assert fast is not None
    assert fast == pure_python_text(stored)
    assert '  failureMessage: "yes"\n' in fast
    assert '    - "123"\n' in fast


@pytest.mark.parametrize(
    "value",
    [
        "a, b, " * 20,  # double-quoted and long: the two fold it differently
        "emoji \U0001f600",  # libyaml escapes what lies beyond the BMP
        "tab\there",
        "kept\n\n",  # `|+`
        "line \nbreak",  # a space before a line break: no literal block
        "\u2028",
        "bom\ufeff",
    ],
)
def test_what_the_writers_may_write_differently_takes_the_pure_python_path(value: str) -> None:
    stored = {"tag": "t", "name": value}
    assert libyaml_text(stored) is None
    written = pure_python_text(stored)
    assert descriptor_yaml(stored) in (written, written.removesuffix("\n"))


def test_shared_containers_and_deep_nesting_take_the_pure_python_path() -> None:
    shared = {"kind": "GENERIC"}
    assert libyaml_text({"tag": "t", "a": shared, "b": shared}) is None
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(30):
        deep = {"x": deep}
    assert libyaml_text({"tag": "t", "deep": deep}) is None


# --- generated documents ------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")  # the dev extra
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Characters chosen to meet every rule of both writers: indicators, quotes, escapes, blanks,
# line breaks, characters beyond ASCII. `_HOSTILE` adds what sends a document to the
# pure-Python writer (control characters, tabs, line breaks beyond ASCII, the byte-order
# mark, characters beyond the BMP): documents drawn from `_FRIENDLY` mostly take the
# libyaml path, so that the comparison is made often.
_FRIENDLY = [
    *"abcXYZ019 _.()/=<>$+~^;",
    *":#,[]{}\"'\\?*&!|>%@`-",
    *["\n", "\n", " ", " ", "\xa0", "é", "—", "\u202e"],
]
_HOSTILE = [
    *_FRIENDLY,
    "\t",
    "\r",
    "\x00",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\U0001f600",
]
_WORDS = st.text(st.sampled_from([*"abcdefgh", *'"(),:#-\\']), min_size=1, max_size=12)
_SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", ", ", ": "])


@st.composite
def _prose(draw: st.DrawFn) -> str:
    """Words and separators, long enough to be folded or split across lines."""
    words = draw(st.lists(_WORDS, min_size=1, max_size=30))
    text = words[0]
    for word in words[1:]:
        text += draw(_SEPARATORS) + word
    return text


def _documents(characters: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    strings = st.one_of(
        st.text(st.sampled_from(characters), max_size=40),
        _prose(),
        st.sampled_from(["", "yes", "No", "~", "null", "1.5", "0x1F", "2024-01-01", "-", "- a"]),
        st.sampled_from(["...", "---", "-1", "?x", ":x", "x:", "a #b", "a#b", "#CD7F32"]),
    )
    scalars = st.one_of(
        strings,
        st.integers(),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False) | st.just(math.nan),
    )
    keys = st.sampled_from(["tag", "name", "description", "rules", "levels", "on", "a" * 70])
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(keys | strings, inner, max_size=4)
        ),
        max_leaves=20,
    )
    return st.dictionaries(keys, values, min_size=1, max_size=6)


@pytest.mark.fuzz
@settings(max_examples=150)
@given(document=_documents(_FRIENDLY))
def test_generated_documents_are_written_alike_by_both(document: dict[str, Any]) -> None:
    fast = libyaml_text(document)
    event("libyaml" if fast is not None else "pure Python")
    if fast is not None:
        assert fast == pure_python_text(document)


@pytest.mark.fuzz
@settings(max_examples=200)
@given(
    value=st.text(st.sampled_from(_FRIENDLY), max_size=90) | _prose(),
    key=st.text("k", min_size=1, max_size=14),
)
def test_generated_strings_are_written_alike_wherever_they_stand(value: str, key: str) -> None:
    # As a value, an item, a key, at several depths and columns: where they fold depends on it.
    for document in (
        {key: value},
        {key: [value]},
        {"rules": [{key: value, "x": {"y": [value]}}]},
        {"a": {"b": {"c": {key: value}}}},
        {value: 1},
        {key: {value: [value]}},
    ):
        fast = libyaml_text(document)
        event("libyaml" if fast is not None else "pure Python")
        if fast is not None:
            assert fast == pure_python_text(document)


@pytest.mark.fuzz
@settings(max_examples=60)
@given(document=_documents(_HOSTILE))
def test_generated_hostile_documents_are_written_alike_or_by_pure_python(
    document: dict[str, Any],
) -> None:
    fast = libyaml_text(document)
    event("libyaml" if fast is not None else "pure Python")
    written = pure_python_text(document)
    assert fast is None or fast == written
    assert descriptor_yaml(document) in (written, written.removesuffix("\n"))
