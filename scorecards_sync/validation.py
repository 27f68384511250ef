"""Check parsed descriptors: the bundled JSON Schema, then what a schema cannot say.

Everything found is returned as `Problem` values, all of them at once, positioned
at the offending line and column. Messages name the field (`rules[2].level`) and
make sense without a file name. The compiled validator is built once and cached.
The emulator does not call this module: it judges what is posted with its own rules
(`emulator/acceptance.py`), so that each can catch the other's mistakes.

jsonschema is imported only for a descriptor the schema refuses: `schema_check` says
whether it does, without jsonschema (whose import is most of a one-file `validate`).
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from scorecards_sync.cql_lint import lint_expression
from scorecards_sync.problems import Problem, Severity, sort_problems
from scorecards_sync.scalar_positions import position_in_scalar
from scorecards_sync.schema_check import Check, compile_schema
from scorecards_sync.value_kinds import kind_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from scorecards_sync.loader import Document

    Pointer = tuple[str | int, ...]

SCHEMA_PACKAGE = "scorecards_sync.schemas"
SCHEMA_FILE = "scorecard.schema.json"
_DESCRIPTOR_SUFFIXES = (".yaml", ".yml")
_Key = TypeVar("_Key")

# Keys people reach for that Cortex refuses ("Invalid scorecard yaml"), and what to write instead.
_KEY_SUGGESTIONS: Mapping[str, str] = {"entityType": "types", "entityTypes": "types"}
_TYPE_NAMES: Mapping[str, str] = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_LEGACY_CATEGORY_TYPES: Mapping[str, str] = {
    "SERVICE": "service",
    "DOMAIN": "domain",
    "TEAM": "team",
}
_LEGACY_CATEGORIES = ("SERVICE", "RESOURCE", "DOMAIN", "TEAM")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


@functools.cache
def load_schema() -> dict[str, Any]:
    """The bundled descriptor schema (parsed once; do not mutate it)."""
    resource = importlib.resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE)
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _accepts() -> Check:
    """The schema as a yes/no function (no jsonschema): is a value valid?"""
    return compile_schema(load_schema())


@functools.cache
def _validator() -> Any:
    from jsonschema import validators

    schema = load_schema()
    # Following `$ref`s through the registry is most of jsonschema's time on a descriptor;
    # the schema has no recursion, so resolve them once here.
    inlined = _inline_refs(schema, schema.get("$defs", {}))
    return validators.validator_for(schema)(inlined)


def _inline_refs(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
        target = definitions[node["$ref"].removeprefix("#/$defs/")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return {
        key: value if key == "$defs" else _inline_refs(value, definitions)
        for key, value in node.items()
    }


def validate_document(document: Document) -> list[Problem]:
    """Schema and single-file semantic problems of one descriptor, sorted."""
    problems = list(_schema_problems(document))
    problems.extend(_semantic_problems(document))
    return sort_problems(problems)


def validate_documents(documents: Sequence[Document]) -> list[Problem]:
    """Every problem of every descriptor, plus those between files (shared tags), sorted."""
    problems: list[Problem] = []
    for document in documents:
        problems.extend(validate_document(document))
    problems.extend(_duplicate_tags(documents))
    return sort_problems(problems)


# --- schema errors, translated for people ------------------------------------------------


def _schema_problems(document: Document) -> Iterator[Problem]:
    if _accepts()(document.data):
        return
    described: set[Pointer] = set()
    required_told: set[Pointer] = set()
    for error in _validator().iter_errors(document.data):
        if error.validator == "required":
            # jsonschema raises one `required` error per missing key, and each is translated
            # into every missing key of its mapping: the first one says it all.
            pointer = tuple(error.absolute_path)
            if pointer in required_told:
                continue
            required_told.add(pointer)
        elif error.validator != "additionalProperties":
            # One message per value: an empty tag is not also "not a valid tag".
            pointer = tuple(error.absolute_path)
            if pointer in described:
                continue
            described.add(pointer)
        yield from _translate(document, error)


def _translate(document: Document, error: ValidationError) -> Iterator[Problem]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        # The branch that got furthest says the most about what the user meant.
        from jsonschema.exceptions import best_match

        yield from _translate(document, best_match(error.context))
        return
    pointer: Pointer = tuple(error.absolute_path)
    field = _field(pointer)
    keyword = str(error.validator)
    expected: Any = error.validator_value
    value = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}

    if keyword == "additionalProperties" and isinstance(value, Mapping):
        allowed = sorted(schema.get("properties", {}))
        for key in value:
            if key not in allowed:
                yield _error(
                    document,
                    (*pointer, key),
                    _unknown_key(str(key), allowed, field, value[key]),
                    key=True,
                    code="unknown-key",
                )
        return
    if keyword == "required" and isinstance(value, Mapping):
        for key in expected:
            if key not in value:
                yield _error(
                    document, pointer, f"{_prefix(field)}missing required key `{key}`", "required"
                )
        return

    custom = schema.get(f"x-error-{keyword}")
    if isinstance(custom, str):
        message = custom.replace("{value}", _show(value))
    elif keyword == "type":
        message = _type_message(document, pointer, expected, value)
    elif keyword == "enum":
        message = _enum_message(value, list(expected))
    elif keyword == "minLength":
        message = "must not be empty"
    elif keyword == "minItems":
        message = f"needs at least {expected} item(s)"
    elif keyword == "maxLength":
        message = f"is longer than {expected} characters"
    elif keyword == "minimum":
        message = f"must be at least {expected}, got {_show(value)}"
    elif keyword == "uniqueItems" and isinstance(value, list):
        message = f"lists {_first_duplicate(value)} more than once"
    elif keyword == "pattern":
        message = f"`{_show(value)}` does not match the pattern {expected}"
    else:
        message = _shorten(error.message)
    yield _error(document, pointer, f"{_prefix(field)}{message}", keyword)


def _unknown_key(key: str, allowed: list[str], field: str, value: Any) -> str:
    where = f" in {field}" if field else ""
    message = f"unknown key `{key}`{where}"
    if key in _KEY_SUGGESTIONS and _KEY_SUGGESTIONS[key] in allowed:
        return (
            f"{message}; did you mean `types`? Cortex refuses `{key}`; "
            f"write `types: {{include: [{_type_list(value)}]}}`"
        )
    suggestion = _closest(key, allowed)
    if suggestion:
        return f"{message}; did you mean `{suggestion}`?"
    return f"{message}; allowed keys: {', '.join(allowed)}"


def _type_list(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return ", ".join(value)
    return "<type>, ..."


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _type_message(document: Document, pointer: Pointer, expected: Any, value: Any) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    message = f"expected {wanted}, got {kind_of(value)}"
    if value is None and _comment_on_line(document, pointer):
        return f"{message}: the unquoted `#` starts a YAML comment; quote the value"
    if "string" in names and isinstance(value, bool | int | float):
        return f"{message}; quote it to make it text"
    return message


def _comment_on_line(document: Document, pointer: Pointer) -> bool:
    line, _ = document.locate(pointer, key=True)
    lines = document.text.splitlines()
    if not 0 < line <= len(lines):
        return False
    text = lines[line - 1]
    colon = text.find(":")
    return colon >= 0 and "#" in text[colon + 1 :]


def _enum_message(value: Any, allowed: list[Any]) -> str:
    choices = ", ".join(str(a) for a in allowed)
    message = f"`{_show(value)}` is not allowed; expected {'one of ' if len(allowed) > 1 else ''}"
    message += choices
    if isinstance(value, str):
        suggestion = _closest(value, [str(a) for a in allowed])
        if suggestion and suggestion != value:
            message += f"; did you mean `{suggestion}`?"
    return message


def _first_duplicate(items: list[Any]) -> str:
    seen: list[Any] = []
    for item in items:
        if item in seen:
            return f"`{_show(item)}`"
        seen.append(item)
    return "an item"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _shorten(text, 60)


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- checks a schema cannot express ------------------------------------------------------


@dataclass(frozen=True)
class _Ladder:
    present: bool
    # None when the ladder is too malformed to check rule levels against (the schema says why).
    level_names: tuple[str, ...] | None


def _semantic_problems(document: Document) -> list[Problem]:
    data = document.data
    problems = _file_name(document)
    ladder = _check_ladder(document, problems)
    _check_rules(document, ladder, problems)
    _check_legacy_filter(document, ("filter",), data.get("filter"), problems)
    _check_filter_query(document, ("filter",), data.get("filter"), problems)
    return problems


def _file_name(document: Document) -> list[Problem]:
    tag = document.data.get("tag")
    name = document.path.rsplit("/", 1)[-1]
    # An invalid tag already has its error; a file-name hint built from it would mislead.
    if not _is_valid_tag(tag) or not name.endswith(_DESCRIPTOR_SUFFIXES):
        return []
    stem = name.rsplit(".", 1)[0]
    if stem == tag:
        return []
    message = (
        f"file name `{name}` does not match the tag `{tag}`; "
        f"Cortex's GitOps names descriptor files after their tag (`{tag}.yaml`)"
    )
    return [_warning(document, ("tag",), message, "file-name")]


def _is_valid_tag(tag: Any) -> bool:
    if not isinstance(tag, str):
        return False
    pattern, max_length = _tag_rule()
    return len(tag) <= max_length and pattern.search(tag) is not None


@functools.cache
def _tag_rule() -> tuple[re.Pattern[str], int]:
    rule = load_schema()["properties"]["tag"]
    return re.compile(rule["pattern"]), int(rule["maxLength"])


def _check_ladder(document: Document, problems: list[Problem]) -> _Ladder:
    ladder = document.data.get("ladder")
    if ladder is None:
        return _Ladder(present=False, level_names=())
    levels = ladder.get("levels") if isinstance(ladder, dict) else None
    if not isinstance(levels, list):
        return _Ladder(present=True, level_names=None)
    names: dict[str, int] = {}
    ranks: dict[int, int] = {}
    for index, level in enumerate(levels):
        if not isinstance(level, dict):
            continue
        at: Pointer = ("ladder", "levels", index)
        name = level.get("name")
        if isinstance(name, str) and (first := _seen_before(names, name, index)) is not None:
            problems.append(_duplicate(document, (*at, "name"), "level name", name, first))
        rank = level.get("rank")
        if (
            isinstance(rank, int)
            and not isinstance(rank, bool)
            and (first := _seen_before(ranks, rank, index)) is not None
        ):
            problems.append(
                _duplicate(document, (*at, "rank"), "level rank", rank, first, "levels")
            )
    return _Ladder(present=True, level_names=tuple(names))


def _check_rules(document: Document, ladder: _Ladder, problems: list[Problem]) -> None:
    rules = document.data.get("rules")
    if not isinstance(rules, list):
        return
    titles: dict[str, int] = {}
    identifiers: dict[str, int] = {}
    expressions: dict[str, Any] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        at: Pointer = ("rules", index)
        title = rule.get("title")
        if isinstance(title, str) and (first := _seen_before(titles, title, index)) is not None:
            problems.append(_duplicate(document, (*at, "title"), "rule title", title, first))
        identifier = rule.get("identifier")
        if isinstance(identifier, str):
            key = identifier.lower()
            if key not in identifiers:
                identifiers[key] = index
                expressions[key] = rule.get("expression")
            elif not _same_expression(expressions[key], rule.get("expression")):
                problems.append(
                    _duplicate(
                        document,
                        (*at, "identifier"),
                        "rule identifier",
                        identifier,
                        identifiers[key],
                        "rules",
                    )
                )
        _check_rule_level(document, at, rule, ladder, problems)
        expression = rule.get("expression")
        if isinstance(expression, str) and expression.strip() and _is_placeholder(expression):
            problems.append(
                _warning(
                    document,
                    (*at, "expression"),
                    f"{_field((*at, 'expression'))}: still a placeholder "
                    f"(`{_shorten(expression, 50)}`); write the CQL before publishing",
                    "placeholder",
                )
            )
        _check_cql(document, (*at, "expression"), expression, problems)
        _check_legacy_filter(document, (*at, "filter"), rule.get("filter"), problems)
        _check_filter_query(document, (*at, "filter"), rule.get("filter"), problems)


def _same_expression(first: Any, other: Any) -> bool:
    # Cortex derives an identifier from the expression's bytes, so two rules with one
    # expression get one identifier, and `pull` writes both: that file must stay valid.
    return isinstance(first, str) and first == other


def _check_rule_level(
    document: Document, at: Pointer, rule: dict[str, Any], ladder: _Ladder, problems: list[Problem]
) -> None:
    level = rule.get("level")
    field = _field((*at, "level"))
    if not ladder.present:
        if "level" in rule:
            problems.append(
                _error(
                    document,
                    (*at, "level"),
                    f"{field}: `{_show(level)}` is set, but this scorecard has no `ladder` "
                    "(it is point-based); remove `level` or add a ladder",
                    "level-without-ladder",
                )
            )
        return
    if ladder.level_names is None:
        return
    if "level" not in rule:
        problems.append(
            _warning(
                document,
                at,
                f"{_field(at)}: no `level`; in a scorecard with a ladder each rule belongs to "
                "a level",
                "rule-without-level",
            )
        )
        return
    if isinstance(level, str) and level and level not in ladder.level_names:
        known = ", ".join(ladder.level_names) or "none"
        message = f"{field}: `{level}` is not a level of the ladder (levels: {known})"
        suggestion = _closest(level, ladder.level_names)
        if suggestion:
            message += f"; did you mean `{suggestion}`?"
        problems.append(_error(document, (*at, "level"), message, "unknown-level"))


def _is_placeholder(expression: str) -> bool:
    return not _COMMENT.sub("", expression).strip()


def _check_filter_query(
    document: Document, at: Pointer, value: Any, problems: list[Problem]
) -> None:
    if isinstance(value, dict):
        _check_cql(document, (*at, "query"), value.get("query"), problems)


def _check_cql(document: Document, at: Pointer, value: Any, problems: list[Problem]) -> None:
    """CQL mistakes that are certain (see `cql_lint`), as warnings at their character."""
    if not isinstance(value, str) or at not in document.positions:
        return
    for finding in lint_expression(value):
        line, column = position_in_scalar(
            document.text, document.positions[at], value, finding.offset
        )
        problems.append(
            Problem(
                document.path,
                line,
                column,
                Severity.WARNING,
                f"{_field(at)}: {finding.message}",
                finding.code,
            )
        )


def _check_legacy_filter(
    document: Document, at: Pointer, value: Any, problems: list[Problem]
) -> None:
    if not isinstance(value, dict) or "category" not in value:
        return
    category = value["category"]
    if category not in _LEGACY_CATEGORIES or value.keys() & {"kind", "types", "groups"}:
        return  # the schema already reports an error here
    type_name = "<type>"
    if isinstance(category, str):
        type_name = _LEGACY_CATEGORY_TYPES.get(category, f"<{category.lower()} type>")
    message = (
        f"{_field((*at, 'category'))}: `category: {_show(category)}` is the legacy filter shape; "
        f"Cortex still accepts it, but prefer `types: {{include: [{type_name}]}}`"
    )
    problems.append(_warning(document, (*at, "category"), message, "legacy-filter", key=True))


def _seen_before(seen: dict[_Key, int], key: _Key, index: int) -> int | None:
    """The index `key` was first seen at, if before `index`; else None, and `key` is noted
    as seen at `index`."""
    first = seen.setdefault(key, index)
    return None if first == index else first


def _duplicate(
    document: Document,
    pointer: Pointer,
    what: str,
    value: Any,
    first_index: int,
    collection: str = "",
) -> Problem:
    first = (*pointer[:-2], first_index, pointer[-1])
    line, _ = document.locate(first)
    message = f"{_field(pointer)}: duplicate {what} `{_show(value)}` (first at line {line})"
    if what == "rule title":
        message += "; rules without identifiers are matched by title"
    elif what == "rule identifier":
        message += "; only rules with the same expression may share an identifier"
    return _error(document, pointer, message, f"duplicate-{what.replace(' ', '-')}")


def _duplicate_tags(documents: Sequence[Document]) -> list[Problem]:
    by_tag: dict[str, list[Document]] = {}
    for document in documents:
        tag = document.data.get("tag")
        if isinstance(tag, str):
            by_tag.setdefault(tag, []).append(document)
    problems: list[Problem] = []
    for tag, holders in by_tag.items():
        if len(holders) < 2:
            continue
        for document in holders:
            others = ", ".join(
                f"{other.path}:{other.locate(('tag',))[0]}"
                for other in holders
                if other is not document
            )
            message = (
                f"tag `{tag}` is also used by {others}; each scorecard needs its own tag "
                "(Cortex would keep only one of them)"
            )
            problems.append(_error(document, ("tag",), message, "duplicate-tag"))
    return problems


# --- helpers -----------------------------------------------------------------------------


def _field(pointer: Pointer) -> str:
    text = ""
    for part in pointer:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _prefix(field: str) -> str:
    return f"{field}: " if field else ""


def _error(
    document: Document, pointer: Pointer, message: str, code: str, *, key: bool = False
) -> Problem:
    line, column = document.locate(pointer, key=key)
    return Problem(document.path, line, column, Severity.ERROR, message, code)


def _warning(
    document: Document, pointer: Pointer, message: str, code: str, *, key: bool = False
) -> Problem:
    line, column = document.locate(pointer, key=key)
    return Problem(document.path, line, column, Severity.WARNING, message, code)
