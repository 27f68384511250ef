"""The YAML text of `GET /api/v1/scorecards/{tag}/descriptor`, written as Cortex writes it.

Cortex writes YAML with Jackson over SnakeYAML (a port of PyYAML's emitter), so
PyYAML's emitter with Jackson's choices reproduces its layout: block style,
list items at their parent key's indent, literal blocks for multi-line
strings, plain scalars folded near 80 columns, double quotes where quoting is
needed (so colors come out as "#D7AC58"), no trailing newline.

Two writers produce that text. PyYAML's pure-Python emitter, told Jackson's
choices as it writes (`_JacksonLikeEmitter`), writes any descriptor; it is most of
what a write to the emulator costs. libyaml's emitter (PyYAML's C extension, when
PyYAML was built with it) is the same algorithm, about five times faster, but it
cannot be told those choices as it writes: `_Nodes` decides each string's
style first, exactly as the pure-Python writer would, and only for descriptors on
which the two are known to write the same bytes: every string made of characters
both treat alike and, where double-quoted, short enough never to be folded (the two
fold double-quoted strings at different places). Any other descriptor is written by
the pure-Python emitter. tests/test_emulator_served_yaml.py holds the two to the
same bytes on real descriptors, the fixtures and generated documents.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import yaml

_CEmitter: Any
try:  # PyYAML built without libyaml has no C emitter: everything takes the pure-Python path.
    from yaml._yaml import CEmitter as _CEmitter
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CEmitter = None

WIDTH = 80
_STR = "tag:yaml.org,2002:str"


class _JacksonLikeEmitter(yaml.emitter.Emitter):
    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        # Jackson quotes with double quotes whenever a plain scalar will not do.
        return '"' if style == "'" else style


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 resolution without timestamps: Jackson does not quote date-like strings."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
# What a plain scalar would read back as (`resolve` is untyped in PyYAML's stubs).
_resolve = cast(Callable[[type[yaml.Node], str, tuple[bool, bool]], str], _Resolver().resolve)


class _Dumper(
    _JacksonLikeEmitter,
    yaml.serializer.Serializer,
    yaml.representer.SafeRepresenter,
    _Resolver,
):
    def __init__(self, stream: Any, **kwargs: Any) -> None:
        _JacksonLikeEmitter.__init__(
            self,
            stream,
            width=kwargs.get("width"),
            allow_unicode=kwargs.get("allow_unicode"),
        )
        yaml.serializer.Serializer.__init__(self)
        yaml.representer.SafeRepresenter.__init__(
            self, default_flow_style=False, sort_keys=kwargs.get("sort_keys", False)
        )
        _Resolver.__init__(self)


def jackson_quotes(value: str) -> bool:
    """Whether Jackson's YAML writer double-quotes `value` (its `StringQuotingChecker`).

    With MINIMIZE_QUOTES, Jackson writes a multi-line string as a literal block, and
    double-quotes a one-line string that holds `[`, `]`, `{`, `}` or `,` anywhere, a
    `#` after a space or tab, or a `:` before one (cortexapps/learn-cortex,
    `learn-linux-shell-iterm2` export: the expression `... types = ["LEARN_CORTEX"])...`
    is double-quoted where PyYAML alone would write it plain). A multi-line string
    that a literal block cannot hold (a line ending in a space) falls back to double
    quotes in the emitter, as its failure message shows.
    """
    return _JACKSON_QUOTES.search(value) is not None


_JACKSON_QUOTES = re.compile(r"[\[\]{},]|[ \t]#|:[ \t]")


def _represent_str(dumper: yaml.representer.SafeRepresenter, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        style: str | None = "|"
    elif jackson_quotes(value):
        style = '"'
    else:
        style = None  # plain where YAML allows it, else double-quoted (_JacksonLikeEmitter)
    return dumper.represent_scalar(_STR, value, style=style)


_Dumper.add_representer(str, _represent_str)


def descriptor_yaml(stored: Mapping[str, Any]) -> str:
    """The body of `GET /api/v1/scorecards/{tag}/descriptor` for a stored descriptor."""
    text = libyaml_text(stored)
    if text is None:
        text = pure_python_text(stored)
    # Cortex serves no final newline; keep it only where it belongs to the last value.
    last = _last_scalar(stored)
    if isinstance(last, str) and last.endswith("\n") and "\n" in last:
        return text
    return text.removesuffix("\n")


def pure_python_text(stored: Mapping[str, Any]) -> str:
    """The descriptor's YAML (with a final newline) by PyYAML's pure-Python emitter."""
    text: str = yaml.dump(
        dict(stored),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=WIDTH,
    )
    return text


def libyaml_text(stored: Mapping[str, Any]) -> str | None:
    """The same text as `pure_python_text`, by libyaml's emitter; None for a descriptor
    outside what the two are known to write alike, or without libyaml."""
    if _CEmitter is None:
        return None
    try:
        node = _Nodes().mapping(dict(stored), 0, 0)
    except _OutsideTheProvenShapes:
        return None
    stream = io.StringIO()
    dumper = _LibyamlDumper(stream)
    try:
        dumper.open()
        dumper.serialize(node)
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


def _last_scalar(value: Any) -> Any:
    while True:
        if isinstance(value, Mapping) and value:
            value = list(value.values())[-1]
        elif isinstance(value, list) and value:
            value = value[-1]
        else:
            return value


# --- libyaml: each string's style, decided before writing ---------------------------------

# Without libyaml the class is never used; it still needs a base to be defined.
_LibyamlBase: Any = _CEmitter if _CEmitter is not None else yaml.emitter.Emitter


class _LibyamlDumper(_LibyamlBase, _Resolver):  # type: ignore[misc]
    """libyaml's emitter, given the nodes (`_Nodes`) rather than the data to represent."""

    def __init__(self, stream: Any) -> None:
        _LibyamlBase.__init__(self, stream, width=WIDTH, allow_unicode=True)
        _Resolver.__init__(self)


# Characters both emitters write as they are, in plain scalars and literal blocks: printable
# ASCII and the printable characters of the Basic Multilingual Plane, less the three YAML
# line breaks beyond ASCII, the byte-order mark and U+FFFE/U+FFFF. (libyaml escapes
# characters beyond the BMP; tabs and control characters are quoted by both, but quoting
# and escaping are where the two differ.)
_TEXT = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_ONE_LINE = re.compile(f"[{_TEXT}]*")
_LINES = re.compile(f"[{_TEXT}\n]+")
# A plain scalar may not begin with one of these (nor with `-`, `?` or `:` and a space).
_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
# Real descriptors nest about six levels; the libyaml path is proven on shallow documents.
_MAX_DEPTH = 20
# PyYAML writes a key of 128 characters or more as an explicit `? key`; libyaml from 129.
_MAX_KEY = 64
_REFUSED = "refused"


class _OutsideTheProvenShapes(Exception):
    pass


_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL, _INT, _NULL = (f"tag:yaml.org,2002:{kind}" for kind in ("bool", "int", "null"))
# PyYAML's way of writing a float (`.inf`, `1.0e+20`), borrowed: it keeps no state for it.
_FLOATS = yaml.representer.SafeRepresenter()


class _Nodes:
    """The nodes PyYAML's representer makes of a descriptor, each string's style decided as
    the pure-Python writer decides it; `_OutsideTheProvenShapes` for anything else.

    `indent` is the column of a mapping's keys or of a sequence's dashes (a sequence under a
    key is not indented, as in Cortex's exports); `column`, where a scalar value begins."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def mapping(self, mapping: dict[str, Any], indent: int, depth: int) -> yaml.MappingNode:
        self._enter(mapping, depth)
        pairs = []
        for key, value in mapping.items():
            if type(key) is not str or len(key) > _MAX_KEY or _style(key) is not None:
                raise _OutsideTheProvenShapes
            pairs.append(
                (
                    yaml.ScalarNode(_STR, key),
                    self.value(value, indent, indent + len(key) + 2, depth),
                )
            )
        return yaml.MappingNode(_MAP, pairs, flow_style=False)

    def sequence(self, sequence: list[Any], indent: int, depth: int) -> yaml.SequenceNode:
        self._enter(sequence, depth)
        items = []
        for item in sequence:
            if type(item) is list and item:
                raise _OutsideTheProvenShapes  # `- - item`: not needed, not proven
            items.append(self.value(item, indent, indent + 2, depth))
        return yaml.SequenceNode(_SEQ, items, flow_style=False)

    def value(self, value: Any, indent: int, column: int, depth: int) -> yaml.Node:
        kind = type(value)
        if kind is str:
            style = _style(value)
            if style == '"' and column + _escaped_length(value) + 2 > WIDTH:
                raise _OutsideTheProvenShapes  # a double-quoted string the writers may fold
            return yaml.ScalarNode(_STR, value, style=style)
        if kind is dict:
            return self.mapping(value, indent + 2, depth + 1)
        if kind is list:
            return self.sequence(value, indent, depth + 1)
        if kind is bool:
            return yaml.ScalarNode(_BOOL, "true" if value else "false")
        if kind is int:
            return yaml.ScalarNode(_INT, str(value))
        if kind is float:
            node: yaml.Node = _FLOATS.represent_float(value)
            return node
        if value is None:
            return yaml.ScalarNode(_NULL, "null")
        raise _OutsideTheProvenShapes

    def _enter(self, container: Any, depth: int) -> None:
        # A container met twice would be written as an anchor and an alias: not proven.
        if depth > _MAX_DEPTH or id(container) in self.seen:
            raise _OutsideTheProvenShapes
        self.seen.add(id(container))


def _style(value: str) -> str | None:
    """The style the pure-Python writer gives `value`; `_OutsideTheProvenShapes` when
    libyaml may write it otherwise."""
    # Keys and many values recur from one descriptor to the next: short ones are decided once.
    style = _decided(value) if len(value) <= _REMEMBERED_LENGTH else _decide(value)
    if style == _REFUSED:
        raise _OutsideTheProvenShapes
    return style


_REMEMBERED_LENGTH = 200


def _decide(value: str) -> str | None:
    if "\n" in value:
        # A literal block, unless the pure-Python writer falls back to double quotes (a line
        # ending in a space, a character it escapes); `|+` (a final empty line) is not proven.
        if (
            _LINES.fullmatch(value)
            and " \n" not in value
            and not value.endswith((" ", "\n\n"))
            and value != "\n"
        ):
            return "|"
        return _REFUSED
    if not _ONE_LINE.fullmatch(value):
        return _REFUSED
    if (
        jackson_quotes(value)
        or _resolve(yaml.ScalarNode, value, (True, False)) != _STR
        or not _plain_in_block(value)
    ):
        # Double-quoted: by Jackson's rule, or because a plain scalar would not read back
        # as this string (PyYAML's choice of single quotes is double quotes for Jackson).
        return '"' if value.isascii() else _REFUSED
    return None


def _plain_in_block(value: str) -> bool:
    """PyYAML's verdict (`Emitter.analyze_scalar`) on writing `value` plain in a block, for
    a non-empty string of `_ONE_LINE`'s characters (where a space is the only blank)."""
    return not (
        value.startswith(("---", "..."))
        or value[0] in _INDICATORS
        or (value[0] in "-?:" and value[1:2] in ("", " "))
        or value[0] == " "
        or value[-1] in " :"
        or ": " in value
        or " #" in value
    )


_decided = functools.lru_cache(maxsize=4096)(_decide)


def _escaped_length(value: str) -> int:
    return len(value) + value.count('"') + value.count("\\")
