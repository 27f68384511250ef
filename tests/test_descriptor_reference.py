"""docs/descriptor-reference.md against the schema and the defaults table: they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scorecards_sync import descriptor
from scorecards_sync.validation import load_schema

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "descriptor-reference.md"
ROW = re.compile(
    r"^\| `(?P<path>[^`]+)` \| (?P<type>[^|]+) \| (?P<required>yes|no) \| (?P<rest>.*)$"
)
TYPE_WORDS = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "number": "number",
    "object": "mapping",
    "array": "list",
}


def _schema_fields() -> dict[str, tuple[dict[str, Any], bool]]:
    """Every property path of the schema, with its (resolved) schema and whether it is required.

    A shared definition is expanded where it is first met; later uses (the rule-level
    `filter`) are documented as the path alone.
    """
    schema = load_schema()
    fields: dict[str, tuple[dict[str, Any], bool]] = {}
    expanded: set[str] = set()

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" not in node:
            return node
        name = node["$ref"].rsplit("/", 1)[-1]
        return {**schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}

    def walk(node: dict[str, Any], prefix: str) -> None:
        if "$ref" in node:
            if node["$ref"] in expanded:
                return
            if "properties" in resolve(node):
                expanded.add(node["$ref"])
        node = resolve(node)
        if "items" in node:
            walk(node["items"], prefix + "[]")
        required = set(node.get("required", ()))
        for key, child in node.get("properties", {}).items():
            path = f"{prefix}.{key}" if prefix else key
            fields[path] = (resolve(child), key in required)
            walk(child, path)

    walk(schema, "")
    return fields


def _documented() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match["path"] not in rows, f"{match['path']} is documented twice"
            default, _, notes = match["rest"].partition(" | ")
            rows[match["path"]] = {
                "type": match["type"].strip(),
                "required": match["required"],
                "default": default.strip(),
                "notes": notes,
            }
    return rows


FIELDS = _schema_fields()
DOCUMENTED = _documented()


def test_every_schema_field_is_documented_and_nothing_else() -> None:
    assert sorted(DOCUMENTED) == sorted(FIELDS)


@pytest.mark.parametrize("path", sorted(FIELDS))
def test_type_required_and_allowed_values_agree(path: str) -> None:
    schema, required = FIELDS[path]
    row = DOCUMENTED[path]
    assert row["required"] == ("yes" if required else "no")
    word = TYPE_WORDS[schema.get("type", "string")]
    assert row["type"].startswith(word) or row["type"].startswith(f"list of {word}")
    for value in schema.get("enum", ()):
        assert f"`{value}`" in row["notes"]
    if "minimum" in schema:
        assert str(schema["minimum"]) in row["notes"]


def _cortex_defaults() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key, value in descriptor.DEFAULTS.items():
        if isinstance(value, dict):
            defaults.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            defaults[key] = value
    defaults["ladder.name"] = descriptor.LADDER_DEFAULT_NAME
    defaults.update({f"rules[].{k}": v for k, v in descriptor.RULE_DEFAULTS.items()})
    return defaults


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_defaults_are_the_ones_the_normalizer_assumes() -> None:
    defaults = _cortex_defaults()
    for path, row in DOCUMENTED.items():
        if path in defaults:
            assert row["default"].split(" (")[0] == f"`{_yaml_scalar(defaults[path])}`", path
        else:
            assert row["default"] in ("—", "see below"), path


def test_the_tag_rule_quoted_in_the_reference_is_the_schema_s() -> None:
    pattern = load_schema()["properties"]["tag"]["pattern"]
    assert f"(`{pattern}`)" in REFERENCE.read_text(encoding="utf-8")
