"""A catalog given by the user (`scorecards-sync emulator --catalog FILE`), and its JSON
form in a state file.

The file is a YAML list of entities:

    - tag: checkout                  # required, unique
      name: Checkout                 # default: the tag
      type: service                  # default: service
      groups: [payments, tier-1]
      teams: [payments-team]         # owner groups
      owners: [ana@example.com]      # owner e-mails
      outcomes:                      # optional, by rule expression
        "ownership != null": pass
        "links.runbook != null": fail
        "sentry.numOfIssues() < 5": {error: Sentry is not configured}

A rule expression an entity does not declare comes out as the default catalog's hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from scorecards_sync.emulator.catalog import Catalog, Entity, Outcome, entity_id
from scorecards_sync.errors import ConfigError
from scorecards_sync.loader import YAML_LOADER

_ENTITY_KEYS = ("tag", "name", "type", "id", "groups", "teams", "owners", "outcomes")
_PROBLEMS_SHOWN = 10


def load_catalog(path: Path) -> Catalog:
    """The catalog in a YAML file; ConfigError naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConfigError(f"cannot read the catalog {path}: {reason.lower()}") from None
    try:
        data = yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: the catalog is not valid YAML") from None
    return catalog_from_data(data, str(path))


def catalog_from_data(data: Any, where: str) -> Catalog:
    """A catalog from its YAML (or state-file JSON) value."""
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{where}: a catalog is a non-empty list of entities")
    problems: list[str] = []
    entities: list[Entity] = []
    outcomes: dict[str, dict[str, Outcome]] = {}
    seen: set[str] = set()
    for index, item in enumerate(data):
        at = f"[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: an entity is a mapping with at least a tag")
            continue
        unknown = sorted(str(k) for k in item if k not in _ENTITY_KEYS)
        if unknown:
            problems.append(f"{at}: unknown key {', '.join(unknown)} (known: {_known()})")
        tag = item.get("tag")
        if not isinstance(tag, str) or not tag.strip():
            problems.append(f"{at}.tag: required, a non-empty string")
            continue
        if tag in seen:
            problems.append(f"{at}.tag: `{tag}` is listed twice")
            continue
        seen.add(tag)
        texts = {key: item.get(key) for key in ("name", "type", "id")}
        for key, value in texts.items():
            if value is not None and not isinstance(value, str):
                problems.append(f"{at}.{key}: expected a string")
        lists = {key: _names(item.get(key), f"{at}.{key}", problems) for key in _LIST_KEYS}
        declared = _outcomes(item.get("outcomes"), f"{at}.outcomes", problems)
        if declared:
            outcomes[tag] = declared
        entities.append(
            Entity(
                tag=tag,
                name=str(texts["name"] or tag),
                id=str(texts["id"] or entity_id(tag)),
                type=str(texts["type"] or "service"),
                groups=lists["groups"],
                teams=lists["teams"],
                owners=lists["owners"],
            )
        )
    if problems:
        shown = problems[:_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        listing = "".join(f"\n  {where}{p}" for p in shown)
        raise ConfigError(f"the catalog {where} cannot be used:{listing}")
    return Catalog(tuple(entities), outcomes)


_LIST_KEYS = ("groups", "teams", "owners")


def _known() -> str:
    return ", ".join(_ENTITY_KEYS)


def _names(value: Any, at: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{at}: expected a list of strings")
        return ()
    return tuple(value)


def _outcomes(value: Any, at: str, problems: list[str]) -> dict[str, Outcome]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{at}: expected a mapping of rule expression to pass, fail or {{error}}")
        return {}
    found: dict[str, Outcome] = {}
    for expression, outcome in value.items():
        key = str(expression).strip()
        if outcome in ("pass", True):
            found[key] = True
        elif outcome in ("fail", False):
            found[key] = False
        elif (
            isinstance(outcome, Mapping)
            and set(outcome) == {"error"}
            and isinstance(outcome["error"], str)
            and outcome["error"].strip()
        ):
            found[key] = outcome["error"]
        else:
            problems.append(f"{at}[{key!r}]: expected pass, fail or {{error: TEXT}}")
    return found


def catalog_json(catalog: Catalog) -> list[dict[str, Any]]:
    """The catalog as the list `catalog_from_data` reads (kept in a state file)."""
    result = []
    for entity in catalog.entities:
        item: dict[str, Any] = {
            "tag": entity.tag,
            "name": entity.name,
            "type": entity.type,
            "id": entity.id,
            "groups": list(entity.groups),
            "teams": list(entity.teams),
            "owners": list(entity.owners),
        }
        declared = catalog.outcomes.get(entity.tag)
        if declared:
            item["outcomes"] = {
                expression: (
                    {"error": outcome}
                    if isinstance(outcome, str)
                    else ("pass" if outcome else "fail")
                )
                for expression, outcome in declared.items()
            }
        result.append(item)
    return result
