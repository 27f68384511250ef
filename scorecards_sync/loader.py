"""Find descriptor files and parse them, keeping `line:column` for every node.

PyYAML's composer gives nodes with marks; we build plain Python data from the
node tree ourselves so that we can record positions, report duplicate keys
(PyYAML silently keeps the last one) and bound alias expansion (no
"billion laughs"). Every failure becomes a `Problem`; nothing here raises for
bad input.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES
from scorecards_sync.problems import Problem, Severity

DEFAULT_DIR = ".cortex/scorecards"
YAML_SUFFIXES = (".yaml", ".yml")
DEFAULT_HINT = (
    "the default folder; pass the paths of your descriptors, or set `paths` in "
    ".scorecards-sync.yaml"
)
# Nodes built from one file, aliases expanded: far above any real scorecard, far below a bomb.
MAX_NODES = 200_000
# Characters of text built from one file, aliases expanded: one alias to a long string,
# repeated, would otherwise turn into gigabytes once serialized.
MAX_EXPANDED_CHARS = 4 * MAX_DESCRIPTOR_BYTES
# Real descriptors nest five levels deep; this keeps recursion far from Python's limit.
MAX_DEPTH = 50

Pointer = tuple[str | int, ...]
Position = tuple[int, int]

# The C parser when PyYAML was built with libyaml, else the pure-Python one;
# both safe. Every YAML read in the product goes through this one choice.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _TIMESTAMP = (_YAML + t for t in ("str", "map", "seq", "timestamp"))
_PLAIN_SCALARS = frozenset(_YAML + t for t in ("int", "float", "bool", "null"))
_SCALAR_HINTS: Mapping[str, str] = {
    "bool": "write true or false",
    "int": "write a whole number such as 42",
    "float": "write a number such as 1.5",
}
# PyYAML's own explanations are terse; these say what the person most likely did.
_YAML_HINTS: Mapping[str, str] = {
    "mapping values are not allowed": (
        "a value containing `: ` must be quoted, and a nested key must be indented under "
        "a key of its own"
    ),
    "could not find expected ':'": "a key is missing its `: `, or a quote is not closed",
    "did not find expected key": "check the indentation of this line and the one above",
    "did not find expected '-' indicator": "check the indentation of this list item",
    "found undefined alias": "an `*alias` refers to no `&anchor` defined before it",
    "found unexpected end of stream": "a quote or bracket is never closed",
}
# For these, where the construct began says more than where the parser gave up.
_REPORT_AT_CONTEXT = ("could not find expected ':'", "found unexpected end of stream")


class PathProblem(StrEnum):
    """Codes of the problems found with a given path itself rather than in a file: a
    path that does not exist, a folder that holds no descriptor. Such a path is not a
    file checked."""

    MISSING = "missing"
    NO_FILES = "no-files"


@dataclass(frozen=True)
class Document:
    """One parsed descriptor file.

    `positions` maps a pointer (keys and list indexes from the root) to the
    1-based line and column of that value; `key_positions` to the line and
    column of the mapping key that holds it.
    """

    path: str
    text: str
    data: dict[str, Any]
    positions: Mapping[Pointer, Position] = field(default_factory=dict, repr=False)
    key_positions: Mapping[Pointer, Position] = field(default_factory=dict, repr=False)

    def locate(self, pointer: Iterable[str | int], *, key: bool = False) -> Position:
        """Position of `pointer`, or of its nearest ancestor that has one."""
        current: Pointer = tuple(pointer)
        while True:
            if key and current in self.key_positions:
                return self.key_positions[current]
            if current in self.positions:
                return self.positions[current]
            if not current:
                return (1, 1)
            current = current[:-1]

    @property
    def tag(self) -> str | None:
        tag = self.data.get("tag")
        return tag if isinstance(tag, str) else None


def is_descriptor_name(name: str) -> bool:
    """A file name a folder scan loads: `*.yaml` or `*.yml` in any case, not hidden."""
    return name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")


@dataclass(frozen=True)
class LoadResult:
    documents: list[Document]
    problems: list[Problem]


class _LoadFailed(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code


def load_paths(
    paths: Iterable[str | os.PathLike[str]] = (), *, missing_hint: str = ""
) -> LoadResult:
    """Load every descriptor under `paths` (files or folders; default `.cortex/scorecards`).

    `missing_hint` says where paths that do not exist came from (e.g. the configuration).
    """
    documents: list[Document] = []
    problems: list[Problem] = []
    given = [Path(p) for p in paths]
    if not given:
        missing_hint = missing_hint or DEFAULT_HINT
    for path, problem in _discover(given or [Path(DEFAULT_DIR)], missing_hint):
        if problem is not None:
            problems.append(problem)
            continue
        document, found = load_file(path)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return LoadResult(documents, problems)


def load_file(path: Path) -> tuple[Document | None, list[Problem]]:
    shown = display_path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [
                _problem(shown, "not a regular file; refusing to read it", code="special")
            ]
        if info.st_size > MAX_DESCRIPTOR_BYTES:
            return None, [_problem(shown, too_large(info.st_size), code="file-too-large")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [
            _problem(shown, f"cannot read file: {exc.strerror or exc}", code="unreadable")
        ]
    return parse_document(shown, raw)


def parse_document(path: str, raw: bytes) -> tuple[Document | None, list[Problem]]:
    """Parse one descriptor's bytes; `path` is only used to name it in problems."""
    if len(raw) > MAX_DESCRIPTOR_BYTES:
        return None, [_problem(path, too_large(len(raw)), code="file-too-large")]
    try:
        text = _decode(raw)
        builder = _parse(text)
    except _LoadFailed as exc:
        return None, [_problem(path, exc.message, exc.line, exc.column, exc.code)]
    # A duplicate key leaves a usable document (the last value wins, as in YAML): the
    # file's other problems are found too, and the duplicate still fails it.
    problems = [
        _problem(path, found.message, found.line, found.column, found.code)
        for found in builder.duplicates
    ]
    assert isinstance(builder.data, dict)
    return Document(path, text, builder.data, builder.positions, builder.key_positions), problems


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it.

    Symbolic links are not resolved: a problem names the file the user gave or has.
    """
    absolute = Path(os.path.normpath(path.absolute()))
    for base in _working_folder(Path.cwd()):
        if absolute.is_relative_to(base):
            return absolute.relative_to(base).as_posix() or "."
    return absolute.as_posix() if path.is_absolute() else Path(os.path.normpath(path)).as_posix()


@functools.lru_cache(maxsize=8)
def _working_folder(cwd: Path) -> tuple[Path, Path]:
    """The working folder as given and resolved: resolved once per folder, not per file."""
    return cwd, cwd.resolve()


def too_large(size: int) -> str:
    """Why a file of `size` bytes is refused: Cortex would refuse it as a request body."""
    return f"file is {size:,} bytes; Cortex accepts at most {MAX_DESCRIPTOR_BYTES:,} (2 MB)"


def _discover(given: list[Path], missing_hint: str) -> Iterator[tuple[Path, Problem | None]]:
    seen: set[Path] = set()
    for root in given:
        folder = root.is_dir()
        if folder:
            candidates: Iterable[tuple[Path, Problem | None]] = _walk(root)
        elif root.exists():
            candidates = [(root, None)]  # load_file refuses what is not a regular file
        else:
            message = "no such file or directory"
            if missing_hint:
                message += f" ({missing_hint})"
            yield root, _problem(display_path(root), message, code=PathProblem.MISSING)
            continue
        found = False
        real_root = root.resolve() if folder else None
        for path, problem in candidates:
            found = True
            if problem is not None:
                yield path, problem
                continue
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if real_root is not None and not resolved.is_relative_to(real_root):
                yield path, _escape_problem(root, path, resolved)
                continue
            yield path, None
        if not found:
            yield (
                root,
                Problem(
                    display_path(root),
                    1,
                    1,
                    Severity.WARNING,
                    "no descriptor files (*.yaml, *.yml) in this folder",
                    PathProblem.NO_FILES,
                ),
            )


def _walk(root: Path) -> list[tuple[Path, Problem | None]]:
    found: list[tuple[Path, Problem | None]] = []
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        kept = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            directory = Path(dirpath) / name
            if directory.is_symlink():
                # Not followed: files inside the folder are found through their real path.
                target = directory.resolve()
                if not target.is_relative_to(real_root):
                    found.append((directory, _escape_problem(root, directory, target)))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if is_descriptor_name(name):
                found.append((Path(dirpath) / name, None))
    return found


def _escape_problem(root: Path, path: Path, target: Path) -> Problem:
    message = (
        f"symbolic link leads outside {display_path(root)}/ (to {display_path(target)}); "
        "refusing to read it"
    )
    return _problem(display_path(path), message, code="symlink-escape")


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before[before.rfind(b"\n") + 1 :]
        column = len(line_start.decode("utf-8", errors="replace")) + 1
        raise _LoadFailed(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            line,
            column,
            "not-utf8",
        ) from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise _LoadFailed("file contains a NUL byte; is it binary?", line, 1, "binary")
    return text


def _parse(text: str) -> _Builder:
    if not text.strip() or _only_comments(text):
        raise _LoadFailed(
            "file is empty; a descriptor needs at least `tag` and `name`", code="empty"
        )
    try:
        nodes = list(yaml.compose_all(text, Loader=YAML_LOADER))
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(text, exc) from None
    except yaml.reader.ReaderError as exc:
        line, column = _offset_position(text, exc.position)
        raise _LoadFailed(
            f"invalid character {_codepoint(exc.character)}: {exc.reason}", line, column, "yaml"
        ) from None
    except yaml.YAMLError as exc:
        raise _LoadFailed(f"invalid YAML: {exc}", code="yaml") from None
    except RecursionError:
        raise _LoadFailed(f"nested more than {MAX_DEPTH} levels deep", code="too-deep") from None
    nodes = [n for n in nodes if not _is_empty_node(n)]
    if not nodes:
        raise _LoadFailed(
            "file is empty; a descriptor needs at least `tag` and `name`", code="empty"
        )
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise _LoadFailed(
            f"file holds {len(nodes)} YAML documents; put one scorecard per file",
            mark.line + 1,
            mark.column + 1,
            "multiple-documents",
        )
    root = nodes[0]
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise _LoadFailed(
            f"the top level is {kind}; a descriptor is a mapping of keys "
            "such as `tag:` and `name:`",
            root.start_mark.line + 1,
            root.start_mark.column + 1,
            "top-level-not-mapping",
        )
    if _may_expand_past_bounds(text):
        _check_expansion(root)
    builder = _Builder()
    builder.data = builder.build(root, ())
    return builder


def _may_expand_past_bounds(text: str) -> bool:
    """Whether the document in `text` could hold more values or characters than the bounds
    allow. Without an anchor (`&`) there is no alias, and every value is written out: one
    takes at least one character of the text (a `-`, a `,` or a `:` comes with each), so
    a text shorter than half the bound on values holds fewer values, and fewer characters
    than the bound on characters. Most descriptors are such texts: they skip the pass."""
    return "&" in text or len(text) >= min(MAX_NODES, MAX_EXPANDED_CHARS) // 2


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand past the bounds, before expanding any.

    The builder would stop at the bound too, but only after building 200,000 values;
    sizes counted per distinct node (an alias is the node it names) cost one pass over
    what the file holds, however far its aliases would expand.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, characters) expanded
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            values, chars = 1, len(node.value) if isinstance(node, yaml.ScalarNode) else 0
            for child in _children(node):
                # A node still on the path is a recursive alias: the builder names it.
                child_values, child_chars = sizes.get(id(child), (0, 0))
                values, chars = values + child_values, chars + child_chars
            sizes[key] = (values, chars)
            if values > MAX_NODES or chars > MAX_EXPANDED_CHARS:
                # Sizes are known children first: this is the innermost node past a bound.
                raise _expansion_failed(node, values, chars)
            continue
        if key in sizes or key in on_path:
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes the builder turns into values (a mapping's keys are not values)."""
    if isinstance(node, yaml.MappingNode):
        return [value for _, value in node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expansion_failed(node: yaml.Node, values: int, chars: int) -> _LoadFailed:
    if values > MAX_NODES:
        message = f"file expands to more than {MAX_NODES:,} values"
    else:
        message = f"file expands to more than {MAX_EXPANDED_CHARS:,} characters of text"
    return _failed(
        node,
        f"{message} (aliases expanding out of bounds?); refusing to read it",
        "too-many-nodes",
    )


def _is_empty_node(node: yaml.Node | None) -> bool:
    # `---` alone composes to an empty null scalar: a document with nothing in it.
    return node is None or (
        isinstance(node, yaml.ScalarNode) and node.tag == _YAML + "null" and node.value == ""
    )


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _offset_position(text: str, offset: int) -> Position:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _codepoint(character: Any) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return f"U+{code:04X}"


def _yaml_error(text: str, exc: yaml.MarkedYAMLError) -> _LoadFailed:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and (exc.problem or "").startswith(_REPORT_AT_CONTEXT):
        mark = exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    lines = text.splitlines()
    candidates = [line]
    if exc.context_mark is not None:
        candidates.append(exc.context_mark.line + 1)
    if "tab" in (exc.problem or "") or "cannot start any token" in (exc.problem or ""):
        candidates.extend(range(1, line))
    for number in candidates:
        content = lines[number - 1] if 0 < number <= len(lines) else ""
        indent = content[: len(content) - len(content.lstrip(" \t"))]
        if "\t" in indent and content.strip():
            return _LoadFailed(
                "tab used for indentation; YAML allows only spaces",
                number,
                indent.index("\t") + 1,
                "tab-indent",
            )
    runaway = _runaway_quote(text, line, column)
    if runaway is not None:
        return runaway
    problem = (exc.problem or "invalid YAML").strip()
    message = f"invalid YAML: {problem}"
    if exc.context:
        context = exc.context.strip()
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" started at line {exc.context_mark.line + 1}"
        message += f" ({context})"
    for known, hint in _YAML_HINTS.items():
        if problem.startswith(known):
            message += f"; {hint}"
            break
    return _LoadFailed(message, line, column, "yaml")


def _runaway_quote(text: str, line: int, column: int) -> _LoadFailed | None:
    """A quoted string that swallowed the lines after it, when that is why parsing failed.

    A missing closing quote lets the string run on until the next quote character, and
    the parser gives up only after it, lines below the mistake ("check the indentation
    of this line"). When the error sits where a quoted string spanning lines ended, the
    string's opening quote is the cause: name that place. Rescanning happens only on
    this error path.
    """
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            start, end = token.start_mark, token.end_mark
            if (start.line + 1, start.column + 1) > (line, column):
                return None
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ('"', "'")
                and end.line > start.line
                and end.line + 1 == line
                and end.column + 1 <= column
            ):
                return _LoadFailed(
                    f"a quoted string opened here runs on to line {end.line + 1}; "
                    "is a closing quote missing?",
                    start.line + 1,
                    start.column + 1,
                    "unclosed-quote",
                )
    except (yaml.YAMLError, OverflowError, ValueError):  # `"\UA0001000"`: chr() overflows
        return None
    return None


class _Builder:
    """Turns composed nodes into plain data, recording where each value came from.

    Only plain YAML reaches a descriptor: strings, numbers, booleans, null,
    lists and mappings. Timestamps stay the text they were written as (JSON has
    no dates, and Cortex reads them as text); other tags are refused.
    """

    def __init__(self) -> None:
        self.data: Any = None
        self.positions: dict[Pointer, Position] = {}
        self.key_positions: dict[Pointer, Position] = {}
        self.duplicates: list[_LoadFailed] = []
        # Every pointer recorded, in order: the positions under one value are the slice
        # recorded while it was built, so a duplicate key forgets them without a search.
        self._recorded: list[Pointer] = []
        self._constructor = yaml.constructor.SafeConstructor()
        self._count = 0
        self._chars = 0
        self._open: set[int] = set()

    def build(self, node: yaml.Node, pointer: Pointer) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _failed(
                node,
                f"file expands to more than {MAX_NODES:,} values (aliases expanding out of "
                "bounds?); refusing to read it",
                "too-many-nodes",
            )
        if len(pointer) > MAX_DEPTH:
            raise _failed(node, f"nested more than {MAX_DEPTH} levels deep", "too-deep")
        self.positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        self._recorded.append(pointer)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self._open:
            # The alias resolves to the very node that contains it; point at where it is used.
            line, column = self.key_positions.get(pointer) or self.positions[pointer]
            raise _LoadFailed(
                "an alias refers to a mapping or list that contains it (a recursive "
                "structure); write the values out",
                line,
                column,
                "recursive-alias",
            )
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                self._expect_tag(node, _MAP)
                return self._mapping(node, pointer)
            self._expect_tag(node, _SEQ)
            return [self.build(item, (*pointer, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        self._chars += len(node.value)
        if self._chars > MAX_EXPANDED_CHARS:
            raise _failed(
                node,
                f"file expands to more than {MAX_EXPANDED_CHARS:,} characters of text "
                "(aliases expanding out of bounds?); refusing to read it",
                "too-many-nodes",
            )
        if node.tag in (_STR, _TIMESTAMP):
            return node.value
        self._expect_tag(node, *_PLAIN_SCALARS)
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, LookupError, ArithmeticError):
            # An explicit tag on a value it cannot hold (`!!bool maybe`, `!!int ""`) makes
            # PyYAML's constructors fail with whatever error their code meets first.
            raise _failed(node, _invalid_scalar(node), "yaml-value") from None

    def _expect_tag(self, node: yaml.Node, *allowed: str) -> None:
        if node.tag in allowed:
            return
        shown = "!!" + node.tag.removeprefix(_YAML) if node.tag.startswith(_YAML) else node.tag
        raise _failed(
            node,
            f"YAML tag `{shown}` is not supported in a descriptor; use plain values",
            "yaml-tag",
        )

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        # Per key, the slice of `_recorded` its latest value filled.
        recorded: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _YAML + "merge":
                raise _failed(
                    key_node,
                    "merge keys (`<<:`) are not supported in descriptors; write the keys out",
                    "merge-key",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _failed(
                    key_node,
                    "a mapping key must be a plain value, not a list or mapping",
                    "complex-key",
                )
            # Keys are compared as written: `yes:` is the key "yes", not True.
            key = str(key_node.value)
            at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in first_seen:
                line, _ = first_seen[key]
                self.duplicates.append(
                    _LoadFailed(
                        f"duplicate key `{key}` (first defined at line {line}); "
                        "YAML would silently keep only the last one",
                        at[0],
                        at[1],
                        "duplicate-key",
                    )
                )
                self._forget(*recorded[key])
            else:
                first_seen[key] = at
            child = (*pointer, key)
            start = len(self._recorded)
            self.key_positions[child] = at
            self._recorded.append(child)
            result[key] = self.build(value_node, child)
            recorded[key] = (start, len(self._recorded))
        return result

    def _forget(self, start: int, end: int) -> None:
        """Drop the positions recorded in `_recorded[start:end]`: the value of a key that a
        later duplicate replaces. Each entry is visited once per enclosing duplicate, never
        once per position in the file, so many duplicates cost linear time."""
        for stale in self._recorded[start:end]:
            self.positions.pop(stale, None)
            self.key_positions.pop(stale, None)


def _invalid_scalar(node: yaml.ScalarNode) -> str:
    kind = node.tag.removeprefix(_YAML)
    value = node.value
    digits = sum(char.isdigit() for char in value)
    # Python refuses to read longer digit strings as an int (CVE-2020-10735).
    most = sys.get_int_max_str_digits()
    if kind == "int" and 0 < most < digits:
        hint = f"it has {digits:,} digits; a number may have at most {most:,}"
    else:
        hint = _SCALAR_HINTS.get(kind, "write a plain value")
    return f"`{_short(value)}` is not a valid !!{kind} value; {hint}"


def _short(value: str) -> str:
    """`value` cut to a length a message can hold, with control characters escaped."""
    cut = value if len(value) <= 40 else value[:37] + "..."
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in cut)


def _failed(node: yaml.Node, message: str, code: str) -> _LoadFailed:
    return _LoadFailed(message, node.start_mark.line + 1, node.start_mark.column + 1, code)


def _problem(path: str, message: str, line: int = 1, column: int = 1, code: str = "") -> Problem:
    return Problem(path, line, column, Severity.ERROR, message, code)
