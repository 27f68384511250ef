"""What the emulator accepts: Cortex's own rules, written apart from `scorecards_sync.validation`.

The emulator stands in for Cortex, so a test where "Cortex refuses" a descriptor must not
be the project's validator judging itself. These rules come from Cortex's API reference
(the OpenAPI spec's `ScorecardResponse`, `ScorecardRule`, `Filter`), its documented
behaviour, and what its own published files show it accepts:

- Cortex binds the YAML to its model the way Jackson does by default: a key the model
  does not have is refused (the cortexapps/cli solution files that used `entityType` got
  "Invalid scorecard yaml"); a scalar is coerced to text (`name: 2024` is the text
  "2024"); `"true"`/`"false"` bind to booleans and numeric text to numbers; a mapping or
  list where a scalar belongs, a scalar where a list belongs, or text that is no number,
  boolean, UUID or date-time where one belongs is refused. Keys Cortex's files carry
  beyond the spec (`exemptions.userSpecificNotifications`, `rules[].effectiveFrom`) are
  part of the model.
- Required: `tag` and `name` (not blank), each rule's `expression` (not blank: an empty
  expression is no CQL). `rules` itself is not required: the spec's response lists
  rules but nothing says a descriptor must hold one.
- A `tag` is a path segment of every other call (`/api/v1/scorecards/{tag}`): no spaces,
  no `/`, not `.` or `..`. Nothing published bounds its case or length.
- A rule's `level` names a level of the ladder (there is nothing else it could mean);
  level names and ranks are unique within the ladder; `evaluation.window` is at least 4
  hours; `types` has `include` or `exclude`, not both; a filter is one shape (legacy
  `category` or `kind`/`types`/`groups`), not both; `filter.kind` is `GENERIC` and
  `category` one of Cortex's entity categories (Java enums, matched case-sensitively);
  two rules share an `identifier` only when they share the expression it derives from.

Where Cortex's behaviour is unknown (a level's color format, negative weights, rank 0,
an empty rule list), the emulator accepts: what `validate` refuses beyond these rules is
its deliberate strictness, listed in docs/descriptor-reference.md, and
tests/test_emulator_acceptance.py keeps both lists honest.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scorecards_sync.loader import Document, parse_document
from scorecards_sync.problems import Problem, Severity

# Names the posted YAML in problems; no file suffix, so no file-name advice applies.
BODY_NAME = "request body"
MIN_WINDOW_HOURS = 4
CATEGORIES = ("SERVICE", "RESOURCE", "DOMAIN", "TEAM")
_BLANK = re.compile(r"\s*")
_TAG_FORBIDDEN = re.compile(r"[\s/]")

Pointer = tuple[str | int, ...]
Found = tuple[Pointer, str]


# --- Jackson-style binding ---------------------------------------------------------------


@dataclass(frozen=True)
class _Scalar:
    """A scalar property: what it cannot bind (a message), and the value it binds to."""

    refuse: Callable[[Any], str | None]
    bind: Callable[[Any], Any] = lambda value: value


def _text_refused(value: Any) -> str | None:
    return f"cannot bind {_kind(value)} to text" if isinstance(value, Mapping | list) else None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _boolean_refused(value: Any) -> str | None:
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        return None
    return f"cannot bind {_kind(value)} to a boolean"


def _as_boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _integer_refused(value: Any) -> str | None:
    if isinstance(value, bool) or not _numeric(value):
        return f"cannot bind {_kind(value)} to an integer"
    return None


def _as_integer(value: Any) -> int:
    # Jackson truncates a fractional number bound to an int (ACCEPT_FLOAT_AS_INT).
    return int(float(value)) if isinstance(value, str | float) else int(value)


def _number_refused(value: Any) -> str | None:
    if isinstance(value, bool) or not _numeric(value):
        return f"cannot bind {_kind(value)} to a number"
    return None


def _as_number(value: Any) -> int | float:
    if not isinstance(value, str):
        return value  # type: ignore[no-any-return]
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def _uuid_refused(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            uuid.UUID(value)
        except ValueError:
            pass
        else:
            return None
    return f"cannot bind {_kind(value)} to a UUID"


def _date_time_refused(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return None
    return f"cannot bind {_kind(value)} to a date-time"


def _enum(*allowed: str) -> _Scalar:
    def refused(value: Any) -> str | None:
        if isinstance(value, str) and value in allowed:
            return None
        return f"cannot bind {_kind(value)} to one of {', '.join(allowed)}"

    return _Scalar(refused)


def _numeric(value: Any) -> bool:
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


_TEXT = _Scalar(_text_refused, _as_text)
_BOOLEAN = _Scalar(_boolean_refused, _as_boolean)
_INTEGER = _Scalar(_integer_refused, _as_integer)
_NUMBER = _Scalar(_number_refused, _as_number)
_UUID = _Scalar(_uuid_refused)
_DATE_TIME = _Scalar(_date_time_refused)


@dataclass(frozen=True)
class _ListOf:
    item: Model | _Scalar


Model = Mapping[str, "Model | _ListOf | _Scalar"]

_NAMES: Model = {"include": _ListOf(_TEXT), "exclude": _ListOf(_TEXT)}
FILTER: Model = {
    "kind": _enum("GENERIC"),
    "types": _NAMES,
    "groups": _NAMES,
    "query": _TEXT,
    "category": _enum(*CATEGORIES),
}
LEVEL: Model = {"name": _TEXT, "rank": _INTEGER, "color": _TEXT, "description": _TEXT}
RULE: Model = {
    "title": _TEXT,
    "description": _TEXT,
    "expression": _TEXT,
    "identifier": _UUID,
    "weight": _NUMBER,
    "level": _TEXT,
    "failureMessage": _TEXT,
    "effectiveFrom": _DATE_TIME,
    "filter": FILTER,
}
DESCRIPTOR: Model = {
    "tag": _TEXT,
    "name": _TEXT,
    "description": _TEXT,
    "draft": _BOOLEAN,
    "notifications": {"enabled": _BOOLEAN, "scoreDropNotificationsEnabled": _BOOLEAN},
    "exemptions": {
        "enabled": _BOOLEAN,
        "autoApprove": _BOOLEAN,
        "userSpecificNotifications": _BOOLEAN,
    },
    "evaluation": {"window": _INTEGER},
    "ladder": {"name": _TEXT, "levels": _ListOf(LEVEL)},
    "filter": FILTER,
    "rules": _ListOf(RULE),
}


def _refusals(value: Any, model: Model | _ListOf | _Scalar, at: Pointer) -> Iterator[Found]:
    if value is None:
        return  # Jackson leaves an absent or null property unset
    if isinstance(model, _ListOf):
        if not isinstance(value, list):
            yield at, f"cannot bind {_kind(value)} to a list"
            return
        for index, item in enumerate(value):
            yield from _refusals(item, model.item, (*at, index))
        return
    if isinstance(model, _Scalar):
        message = model.refuse(value)
        if message is not None:
            yield at, message
        return
    if not isinstance(value, Mapping):
        yield at, f"cannot bind {_kind(value)} to an object"
        return
    for key, item in value.items():
        if key not in model:
            yield (*at, key), f'unrecognized field "{key}"'
        else:
            yield from _refusals(item, model[key], (*at, key))


def _bound(value: Any, model: Model | _ListOf | _Scalar) -> Any:
    """The value Cortex holds once bound: scalars converted, null properties left unset."""
    if isinstance(model, _ListOf):
        return [_bound(item, model.item) for item in value]
    if isinstance(model, _Scalar):
        return model.bind(value)
    return {key: _bound(item, model[key]) for key, item in value.items() if item is not None}


# --- Cortex's own rules ------------------------------------------------------------------


def _rules_of_cortex(data: Mapping[str, Any]) -> list[tuple[Pointer, str]]:
    found: list[tuple[Pointer, str]] = []
    for key in ("tag", "name"):
        if _blank(data.get(key)):
            found.append(((key,), f"{key} is required"))
    tag = data.get("tag")
    if not _blank(tag) and (_TAG_FORBIDDEN.search(str(tag)) or str(tag) in (".", "..")):
        found.append((("tag",), f"tag `{tag}` cannot be used in a URL path"))
    window = _get(data, "evaluation", "window")
    if window is not None and not _integer_refused(window) and float(window) < MIN_WINDOW_HOURS:
        found.append(
            (("evaluation", "window"), f"evaluation window must be at least {MIN_WINDOW_HOURS}")
        )
    levels = _ladder_levels(data, found)
    _filter_rules(data.get("filter"), ("filter",), found)
    rules = data.get("rules")
    if isinstance(rules, list):
        _rule_rules(rules, levels, found)
    return found


def _ladder_levels(
    data: Mapping[str, Any], found: list[tuple[Pointer, str]]
) -> tuple[str, ...] | None:
    ladder = data.get("ladder")
    if not isinstance(ladder, Mapping):
        return None
    levels = ladder.get("levels")
    names: list[str] = []
    ranks: list[float] = []
    for index, level in enumerate(levels if isinstance(levels, list) else []):
        if not isinstance(level, Mapping):
            continue
        at: Pointer = ("ladder", "levels", index)
        if _blank(level.get("name")):
            found.append(((*at, "name"), "level name is required"))
        elif str(level["name"]) in names:
            found.append(((*at, "name"), f"level name `{level['name']}` is used twice"))
        else:
            names.append(str(level["name"]))
        rank = level.get("rank")
        if rank is None:
            found.append((at, "level rank is required"))
        elif _integer_refused(rank) is None:
            if float(rank) in ranks:
                found.append(((*at, "rank"), f"level rank {rank} is used twice"))
            ranks.append(float(rank))
    return tuple(names)


def _filter_rules(value: Any, at: Pointer, found: list[tuple[Pointer, str]]) -> None:
    if not isinstance(value, Mapping):
        return
    types = value.get("types")
    if isinstance(types, Mapping) and types.get("include") and types.get("exclude"):
        found.append(((*at, "types"), "types take include or exclude, not both"))
    if value.get("category") is not None and value.keys() & {"kind", "types", "groups"}:
        found.append((at, "a filter is either `category` or `kind`/`types`/`groups`"))


def _rule_rules(
    rules: Sequence[Any], levels: tuple[str, ...] | None, found: list[tuple[Pointer, str]]
) -> None:
    expressions: dict[str, Any] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            found.append((("rules", index), f"cannot bind {_kind(rule)} to a rule"))
            continue
        at: Pointer = ("rules", index)
        expression = rule.get("expression")
        if _blank(expression):
            found.append(((*at, "expression"), "rule expression is required"))
        level = rule.get("level")
        if level is not None and not isinstance(level, Mapping | list):
            if levels is None:
                found.append(((*at, "level"), f"level `{level}` but the scorecard has no ladder"))
            elif str(level) not in levels:
                found.append(((*at, "level"), f"level `{level}` is not a level of the ladder"))
        identifier = rule.get("identifier")
        if isinstance(identifier, str) and _uuid_refused(identifier) is None:
            key = str(uuid.UUID(identifier))
            if key in expressions and expressions[key] != expression:
                found.append(
                    (
                        (*at, "identifier"),
                        f"identifier {identifier} is used twice with different expressions",
                    )
                )
            expressions.setdefault(key, expression)
        _filter_rules(rule.get("filter"), (*at, "filter"), found)


# --- the check the handlers call ---------------------------------------------------------


def check_descriptor(body: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The descriptor posted in `body`, or None and the problems that refuse it."""
    document, problems = parse_document(BODY_NAME, body)
    parse_errors = [p for p in problems if p.severity is Severity.ERROR]
    if document is None or parse_errors:
        # The loader reads on past some mistakes (a duplicate key) to report them all;
        # Cortex would not store such a body either way.
        return None, parse_errors or problems
    found = list(_refusals(document.data, DESCRIPTOR, ()))
    if not found:
        found = _rules_of_cortex(document.data)
    if found:
        return None, [_problem(document, at, message) for at, message in found]
    return _bound(document.data, DESCRIPTOR), []


def descriptor_violations(data: Mapping[str, Any]) -> list[str]:
    """`field: message` for what Cortex would refuse in `data` (no source text, no positions).

    For descriptors the emulator kept in a state file.
    """
    found = list(_refusals(data, DESCRIPTOR, ())) or _rules_of_cortex(data)
    return [f"{_field(at)}: {message}" if at else message for at, message in found]


def problem_details(problems: Sequence[Problem]) -> str:
    """The `details` of a 400: one problem per line, `line:column: message`."""
    return "\n".join(f"{p.line}:{p.column}: {p.message}" for p in problems)


def _problem(document: Document, at: Pointer, message: str) -> Problem:
    # An unknown key is shown where the key is written; anything else where its value is.
    line, column = document.locate(at, key=message.startswith("unrecognized field"))
    shown = _field(at)
    return Problem(
        document.path,
        line,
        column,
        Severity.ERROR,
        f"{shown}: {message}" if shown else message,
        "cortex",
    )


def _field(pointer: Pointer) -> str:
    text = ""
    for part in pointer:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _BLANK.fullmatch(value) is not None)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int | float):
        return f"number `{value}`"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"text `{shown}`"
    if isinstance(value, list):
        return "a list"
    return "an object"
