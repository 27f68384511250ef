"""Reading Cortex's JSON: checked fields, and the shapes scorecards and scores share.

Every reader takes the path of what it reads (`scorecards[2].rules[0]`), so that a body of
the wrong shape raises a `ResponseShapeError` that says where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.value_kinds import kind_of


class ResponseShapeError(ScorecardsSyncError):
    """A response body does not have the shape the spec documents (the client turns it
    into a `CortexError` naming the call)."""


@dataclass(frozen=True)
class Level:
    """A ladder level as the API reports it (`number`: the rank, 1 = highest)."""

    name: str
    number: int


@dataclass(frozen=True)
class Page:
    """Paging fields of a list response."""

    page: int
    total: int | None
    total_pages: int | None


def as_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ResponseShapeError(f"{what}: expected an object, got {kind_of(value, 'json')}")
    return value


def as_array(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ResponseShapeError(f"{what}: expected an array, got {kind_of(value, 'json')}")
    return value


def req_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ResponseShapeError(f"{what}.{key}: expected a string")
    return value


def opt_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseShapeError(f"{what}.{key}: expected a string or null")
    return value


def opt_bool(data: Mapping[str, Any], key: str, what: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ResponseShapeError(f"{what}.{key}: expected a boolean or null")
    return value


def opt_number(data: Mapping[str, Any], key: str, what: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResponseShapeError(f"{what}.{key}: expected a number or null")
    return float(value)


def req_number(data: Mapping[str, Any], key: str, what: str) -> float:
    value = opt_number(data, key, what)
    if value is None:
        raise ResponseShapeError(f"{what}.{key}: expected a number")
    return value


def opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseShapeError(f"{what}.{key}: expected an integer or null")
    return value


def str_tuple(value: Any, what: str) -> tuple[str, ...]:
    items = as_array(value, what)
    if not all(isinstance(item, str) for item in items):
        raise ResponseShapeError(f"{what}: expected an array of strings")
    return tuple(items)


def include_exclude(value: Any, what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    data = as_object(value, what)
    return (
        str_tuple(data.get("include"), f"{what}.include"),
        str_tuple(data.get("exclude"), f"{what}.exclude"),
    )


def level_from_json(value: Any, what: str = "level") -> Level | None:
    """A `LadderLevel` (`{level: {name, number}}`), or a bare `CurrentLevel`."""
    if value is None:
        return None
    data = as_object(value, what)
    if "level" in data:
        if data["level"] is None:
            return None
        data = as_object(data["level"], f"{what}.level")
    number = opt_int(data, "number", what)
    return Level(name=req_str(data, "name", what), number=number if number is not None else 0)


def levels_from_json(value: Any, what: str) -> tuple[Level, ...]:
    levels = (level_from_json(item, f"{what}[{i}]") for i, item in enumerate(as_array(value, what)))
    return tuple(level for level in levels if level is not None)


def page_from_json(data: Mapping[str, Any]) -> Page:
    page = opt_int(data, "page", "response")
    return Page(
        page=page if page is not None else 0,
        total=opt_int(data, "total", "response"),
        total_pages=opt_int(data, "totalPages", "response"),
    )
