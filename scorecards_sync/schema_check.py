"""A yes/no check of the bundled schema, compiled once into plain functions.

`validate` runs on every commit (pre-commit) and importing jsonschema costs more than
everything else it does on a file. Almost every file is valid, so this module answers
only "does the schema accept this value?", without jsonschema, for the few keywords the
bundled schema uses; `validation` asks jsonschema only when the answer is no, to say
what is wrong and where. The answer must never be yes where jsonschema says no:

- `compile_schema` refuses any keyword it does not implement (a schema edit that uses
  one fails loudly, in the tests, instead of being half-checked);
- the semantics follow jsonschema's (Draft 2020-12): a boolean is not a number,
  `1.0` is an integer, `pattern` is `re.search`, lengths count code points, `enum` and
  `uniqueItems` tell `true` from `1`; `format` is an annotation, as jsonschema treats it
  without a format checker;
- `tests/test_schema_check.py` compares the two on every descriptor the tests hold and
  thousands of mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from scorecards_sync.errors import ScorecardsSyncError

Check = Callable[[Any], bool]

# Keywords that never constrain a value.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)
_TYPES: Mapping[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


class UnsupportedSchema(ScorecardsSyncError):
    """The schema uses a keyword this checker does not implement (a schema edit the
    checker has not caught up with; `tests/test_schema_check.py` compiles the bundled one)."""


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """`schema` (with its local `$defs`) as one function: value -> accepted?"""
    definitions = schema.get("$defs", {})
    return _Compiler(definitions).compile(schema)


class _Compiler:
    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self._definitions = definitions

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _: True
        if schema is False:
            return lambda _: False
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema(f"a schema must be a mapping or a boolean: {schema!r}")
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-") or keyword == "format":
                continue
            build = getattr(self, "_" + keyword.replace("$", "dollar_"), None)
            if build is None:
                raise UnsupportedSchema(f"keyword not implemented: {keyword}")
            checks.append(build(value, schema))
        if not checks:
            return lambda _: True
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def _dollar_ref(self, ref: str, _: Mapping[str, Any]) -> Check:
        if not ref.startswith("#/$defs/") or ref.removeprefix("#/$defs/") not in self._definitions:
            raise UnsupportedSchema(f"only local #/$defs/ references: {ref}")
        return self.compile(self._definitions[ref.removeprefix("#/$defs/")])

    def _type(self, names: str | list[str], _: Mapping[str, Any]) -> Check:
        checks = [_TYPES[name] for name in ([names] if isinstance(names, str) else names)]
        return lambda v: any(check(v) for check in checks)

    def _properties(self, properties: Mapping[str, Any], _: Mapping[str, Any]) -> Check:
        compiled = {name: self.compile(sub) for name, sub in properties.items()}

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(compiled[k](v[k]) for k in compiled.keys() & v.keys())

        return check

    def _additionalProperties(self, extra: Any, schema: Mapping[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise UnsupportedSchema("keyword not implemented: patternProperties")
        known = frozenset(schema.get("properties", {}))
        compiled = self.compile(extra)
        return lambda v: not isinstance(v, dict) or all(compiled(v[k]) for k in v.keys() - known)

    def _required(self, names: list[str], _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, dict) or all(name in v for name in names)

    def _dependentSchemas(self, dependents: Mapping[str, Any], _: Mapping[str, Any]) -> Check:
        compiled = {name: self.compile(sub) for name, sub in dependents.items()}
        return lambda v: (
            not isinstance(v, dict)
            or all(check(v) for name, check in compiled.items() if name in v)
        )

    def _minLength(self, bound: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= bound

    def _maxLength(self, bound: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= bound

    def _pattern(self, pattern: str, _: Mapping[str, Any]) -> Check:
        search = re.compile(pattern).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    def _minimum(self, bound: float, _: Mapping[str, Any]) -> Check:
        return lambda v: not _TYPES["number"](v) or v >= bound

    def _items(self, items: Any, _: Mapping[str, Any]) -> Check:
        compiled = self.compile(items)
        return lambda v: not isinstance(v, list) or all(compiled(item) for item in v)

    def _minItems(self, bound: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= bound

    def _uniqueItems(self, unique: bool, _: Mapping[str, Any]) -> Check:
        if not unique:
            return lambda _: True
        return lambda v: (
            not isinstance(v, list)
            or not any(_equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :])
        )

    def _enum(self, allowed: list[Any], _: Mapping[str, Any]) -> Check:
        return lambda v: any(_equal(v, option) for option in allowed)

    def _not(self, sub: Any, _: Mapping[str, Any]) -> Check:
        compiled = self.compile(sub)
        return lambda v: not compiled(v)

    def _anyOf(self, subs: list[Any], _: Mapping[str, Any]) -> Check:
        compiled = [self.compile(sub) for sub in subs]
        return lambda v: any(check(v) for check in compiled)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema decides it: `true` is not `1`, `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)
