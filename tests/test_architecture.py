"""Rules the source keeps, checked over its syntax trees (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "scorecards_sync"


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        trees[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return trees


def test_secrets_are_revealed_only_where_the_secret_module_says() -> None:
    # cortex/secret.py's docstring lists these places; update both together.
    expected = {
        "scorecards_sync.cortex.http": 2,  # the auth hook, and `redact`
        "scorecards_sync.cli": 1,  # scrubbing the key from an unexpected error
        "scorecards_sync.github.client": 2,  # the GitHub token: sent, and redacted
    }
    found: dict[str, int] = {}
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "reveal"
            ):
                found[name] = found.get(name, 0) + 1
    assert found == expected
