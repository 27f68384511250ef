"""The rules docs/architecture.md states, checked over the syntax tree of every module.

Every import of a `scorecards_sync` module counts: at module level, inside a function
(a deferred import is still a dependency), under `TYPE_CHECKING`, and through
`importlib.import_module` with a literal (or f-string) name. So the map cannot drift from
the code: a new module must be given a layer here (and in the document), and an import
against the rules fails this test naming the two modules.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "scorecards_sync"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Layers, top to bottom (docs/architecture.md, "Layers"). A module may import a module of
# its own layer or of any layer below it, never one above, and never in a cycle. A name
# covers a module and, for a package, every module inside it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__", "cli"),
    ("commands",),
    ("github", "gitlab"),
    ("review",),
    ("workflow",),
    (
        "planner",
        "applier",
        "impact",
        "impact_fetch",
        "drift",
        "record",
        "render",
        "config",
        "planfile",
        "source",
    ),
    (
        "plan",
        "validation",
        "cql_lint",
        "descriptor",
        "descriptor_diff",
        "cortex",
        "host_client",
        "gitsource",
        "schema_check",
        "thresholds",
    ),
    ("loader", "scalar_positions"),
    (
        "problems",
        "errors",
        "console",
        "safe_text",
        "files",
        "limits",
        "value_kinds",
        "schemas",
        "progress",
        "gc_policy",
        "",
    ),
)

# The emulator stands beside the layers: it is a product of its own (the embedded default,
# the rehearsal server, the test double). It may import itself and these, nothing else;
# above all never the client, the planner or the validation (it judges on its own rules).
EMULATOR = "emulator"
EMULATOR_MAY_IMPORT = ("descriptor", "loader", "problems", "errors", "limits", "value_kinds", "")
# Only the commands that start an emulator import it.
EMULATOR_IMPORTED_BY = ("commands.emulator",)

# Known exceptions to the rules above, each with the issue that removes it. An entry that
# no longer matches an import fails the test, so the list only ever shrinks.
ALLOWED: dict[tuple[str, str], str] = {
    # Issue 8 (item 4) left this one: `--emulator STATE_FILE` builds the in-process
    # emulator inside workflow.open_client (a function-level import), not in a command.
    ("workflow", "emulator"): "issue 8",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@functools.cache
def _modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        found[_module_name(path)] = (path, ast.parse(path.read_text("utf-8"), str(path)))
    return found


def _imported(name: str, path: Path, tree: ast.Module, known: set[str]) -> Iterator[str]:
    """The package modules `tree` imports, relative to the package ("" is the package)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                module = ".".join([PACKAGE, *base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from scorecards_sync.cortex import models` imports the module `cortex.models`.
            targets = [
                f"{module}.{alias.name}" if _relative(f"{module}.{alias.name}") in known else module
                for alias in node.names
            ]
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            prefix = _literal_prefix(node.args[0])
            targets = [prefix]
            if isinstance(node.args[0], ast.JoinedStr):
                # A name built at run time may be any module of the package it names.
                inside = _relative(prefix.rstrip(".")) + "."
                targets += [f"{PACKAGE}.{m}" for m in known if m.startswith(inside)]
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                yield _relative(target.rstrip("."))


def _relative(module: str) -> str:
    return module.removeprefix(PACKAGE).removeprefix(".")


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )


def _literal_prefix(node: ast.expr) -> str:
    """`"a.b"` → `a.b`; `f"a.b.{name}"` → `a.b` (the package the name is looked up in)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rpartition(".")[0] if not first.value.endswith(".") else first.value
    return ""


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in modules.items():
        graph[name] = {t for t in _imported(name, path, tree, known) if t != name}
    return graph


def _covers(owner: str, module: str) -> bool:
    if owner == "":
        return module == ""
    return module == owner or module.startswith(owner + ".")


def _layer(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(_covers(name, module) for name in names):
            return index
    return None


def _allowed(source: str, target: str) -> bool:
    return (source, target) in ALLOWED


def test_every_module_has_a_place_on_the_map() -> None:
    unplaced = [m for m in _graph() if _layer(m) is None and not _covers(EMULATOR, m)]
    assert unplaced == [], "give these a layer here and in docs/architecture.md"


def test_imports_go_downward_only() -> None:
    upward = []
    for source, targets in _graph().items():
        if _covers(EMULATOR, source):
            continue
        for target in sorted(targets):
            if _covers(EMULATOR, target) or _allowed(source, target):
                continue
            if (_layer(target) or 0) < (_layer(source) or 0):
                upward.append(f"{source} imports {target}, a layer above it")
    assert upward == []


def test_the_emulator_imports_only_itself_and_the_descriptor_code_below() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in _graph().items()
        if _covers(EMULATOR, source)
        for target in sorted(targets)
        if not _covers(EMULATOR, target)
        and not any(_covers(name, target) for name in EMULATOR_MAY_IMPORT)
        and not _allowed(source, target)
    ]
    assert wrong == []


def test_only_the_commands_that_start_an_emulator_import_it() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in _graph().items()
        if not _covers(EMULATOR, source) and source not in EMULATOR_IMPORTED_BY
        for target in sorted(targets)
        if _covers(EMULATOR, target) and not _allowed(source, _top(target))
    ]
    assert wrong == []


def _top(module: str) -> str:
    return module.split(".")[0]


def test_no_import_cycle_anywhere() -> None:
    graph = _graph()
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_every_allowed_exception_is_still_needed() -> None:
    graph = _graph()
    stale = [
        f"{source} -> {target} ({issue})"
        for (source, target), issue in ALLOWED.items()
        if not any(_covers(target, t) for t in graph.get(source, set()))
    ]
    assert stale == [], "remove these entries: the imports they excused are gone"


def test_secrets_are_revealed_only_where_the_secret_module_says() -> None:
    # cortex/secret.py's docstring lists these places; update both together.
    expected = {
        "cortex.http": 3,  # the auth hook, `redact`, and the pattern that finds it in answers
        "cli": 1,  # scrubbing the key from an unexpected error
        "host_client": 2,  # the GitHub and GitLab tokens: sent, and redacted
    }
    found: dict[str, int] = {}
    for name, (_path, tree) in _modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "reveal"
            ):
                found[name] = found.get(name, 0) + 1
    assert found == expected


DOC = ROOT.parent / "docs" / "architecture.md"


def _documented_layers() -> list[tuple[str, set[str]]]:
    """The rows of the document's "Layers" table: each layer's name and the modules it names."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Layers") : text.index("\nBeside the layers")]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("layer", "") or set(cells[0]) <= {"-"}:
            continue
        names = {
            name.removesuffix(".py").removesuffix("/").removeprefix("__init__")
            for name in re.findall(r"`([^`]+)`", cells[1])
        }
        rows.append((cells[0], names))
    return rows


def test_the_documents_layer_table_is_the_one_this_test_enforces() -> None:
    documented = _documented_layers()
    assert [names for _, names in documented] == [set(layer) for layer in LAYERS], (
        "docs/architecture.md's Layers table and LAYERS here name other modules"
    )
