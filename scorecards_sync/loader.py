"""Find descriptor files and parse them, keeping `line:column` for every node.

PyYAML's composer gives nodes with marks; we build plain Python data from the
node tree ourselves so that we can record positions, refuse duplicate keys
(PyYAML silently keeps the last one) and bound alias expansion (no
"billion laughs"). Every failure becomes a `Problem`; nothing here raises for
bad input.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scorecards_sync.problems import Problem, Severity

DEFAULT_DIR = ".cortex/scorecards"
YAML_SUFFIXES = (".yaml", ".yml")
# Cortex refuses request bodies over 2 MB; a descriptor larger than that can never be sent.
MAX_FILE_BYTES = 2 * 1024 * 1024
# Nodes built from one file, aliases expanded: far above any real scorecard, far below a bomb.
MAX_NODES = 200_000

Pointer = tuple[str | int, ...]
Position = tuple[int, int]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def load_paths(paths: Iterable[str | os.PathLike[str]] = ()) -> LoadResult:
    """Load every descriptor under `paths` (files or folders; default `.cortex/scorecards`)."""
    documents: list[Document] = []
    problems: list[Problem] = []
    given = [Path(p) for p in paths] or [Path(DEFAULT_DIR)]
    for path, problem in _discover(given):
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
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                _problem(
                    shown,
                    f"file is {size:,} bytes; Cortex accepts at most {MAX_FILE_BYTES:,} (2 MB)",
                    code="file-too-large",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [_problem(shown, f"cannot read file: {exc.strerror or exc}", code="unreadable")]
    return parse_document(shown, raw)


def parse_document(path: str, raw: bytes) -> tuple[Document | None, list[Problem]]:
    """Parse one descriptor's bytes; `path` is only used to name it in problems."""
    if len(raw) > MAX_FILE_BYTES:
        message = f"file is {len(raw):,} bytes; Cortex accepts at most {MAX_FILE_BYTES:,} (2 MB)"
        return None, [_problem(path, message, code="file-too-large")]
    try:
        text = _decode(raw)
        data, positions, key_positions = _parse(text)
    except _LoadFailed as exc:
        return None, [_problem(path, exc.message, exc.line, exc.column, exc.code)]
    return Document(path, text, data, positions, key_positions), []


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _discover(given: list[Path]) -> Iterator[tuple[Path, Problem | None]]:
    seen: set[Path] = set()
    for root in given:
        if root.is_file():
            candidates: Iterable[Path] = [root]
        elif root.is_dir():
            candidates = _walk(root)
        else:
            yield root, _problem(display_path(root), "no such file or directory", code="missing")
            continue
        for path in candidates:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if root.is_dir() and not resolved.is_relative_to(root.resolve()):
                message = (
                    f"symbolic link leads outside {display_path(root)}/ (to {resolved}); "
                    "refusing to read it"
                )
                yield path, _problem(display_path(path), message, code="symlink-escape")
                continue
            yield path, None


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append(Path(dirpath) / name)
    return found


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
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


def _parse(text: str) -> tuple[dict[str, Any], dict[Pointer, Position], dict[Pointer, Position]]:
    if not text.strip() or _only_comments(text):
        raise _LoadFailed("file is empty; a descriptor needs at least `tag` and `name`", code="empty")
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(text, exc) from None
    except yaml.YAMLError as exc:
        raise _LoadFailed(f"invalid YAML: {exc}", code="yaml") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise _LoadFailed("file is empty; a descriptor needs at least `tag` and `name`", code="empty")
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
            f"the top level is {kind}; a descriptor is a mapping of keys such as `tag:` and `name:`",
            root.start_mark.line + 1,
            root.start_mark.column + 1,
            "top-level-not-mapping",
        )
    builder = _Builder()
    data = builder.build(root, ())
    assert isinstance(data, dict)
    return data, builder.positions, builder.key_positions


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _yaml_error(text: str, exc: yaml.MarkedYAMLError) -> _LoadFailed:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    for number, content in enumerate(text.splitlines()[:line], start=1):
        indent = content[: len(content) - len(content.lstrip(" \t"))]
        if "\t" in indent and content.strip():
            return _LoadFailed(
                "tab used for indentation; YAML allows only spaces",
                number,
                indent.index("\t") + 1,
                "tab-indent",
            )
    problem = (exc.problem or "invalid YAML").strip()
    context = f" ({exc.context.strip()})" if exc.context else ""
    return _LoadFailed(f"invalid YAML: {problem}{context}", line, column, "yaml")


class _Builder:
    """Turns composed nodes into plain data, recording where each value came from."""

    def __init__(self) -> None:
        self.positions: dict[Pointer, Position] = {}
        self.key_positions: dict[Pointer, Position] = {}
        self._constructor = yaml.SafeLoader("")
        self._count = 0

    def build(self, node: yaml.Node, pointer: Pointer) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _LoadFailed(
                f"file expands to more than {MAX_NODES:,} values (aliases expanding out of "
                "bounds?); refusing to read it",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "too-many-nodes",
            )
        self.positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*pointer, i)) for i, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise _LoadFailed(
                f"invalid value: {exc}",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "yaml",
            ) from None

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _LoadFailed(
                    "merge keys (`<<:`) are not supported in descriptors; write the keys out",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                    "merge-key",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LoadFailed(
                    "a mapping key must be a plain value, not a list or mapping",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                    "complex-key",
                )
            key = self._constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key_node.value)
            at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in first_seen:
                line, _ = first_seen[key]
                raise _LoadFailed(
                    f"duplicate key `{key}` (first defined at line {line}); "
                    "YAML would silently keep only the last one",
                    at[0],
                    at[1],
                    "duplicate-key",
                )
            first_seen[key] = at
            self.key_positions[(*pointer, key)] = at
            result[key] = self.build(value_node, (*pointer, key))
        return result


def _problem(
    path: str, message: str, line: int = 1, column: int = 1, code: str = ""
) -> Problem:
    return Problem(path, line, column, Severity.ERROR, message, code)
