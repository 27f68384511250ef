"""`plan --impact` against the emulator with a catalog, checked by applying the change.

The impact model (`scorecards_sync.impact`) and the emulator's scoring
(`scorecards_sync.emulator.catalog`) are separate implementations: for every example and
several edits, the preview `plan --impact --format json` gives must be what the emulator
serves after the change is applied: exactly where no rule is unknown, within the range
where one is. The self-check must find no disagreement.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_runner import run_cli

from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.catalog import Catalog, Entity, Outcome, entity_id
from scorecards_sync.impact import NO_LEVEL

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO_ROOT / "examples" / "scorecards").glob("*.yaml"))
KINDS = ("service",) * 5 + ("resource", "domain", "team")
GROUPS = ("tier-1", "payments", "platform", "databases", "legacy-platform", "experimental")

Edit = Callable[[dict[str, Any]], dict[str, Any] | None]


def _catalog() -> Catalog:
    """40 entities; even ones declare an outcome for every example expression, odd ones
    are left to the emulator's hash; one declared outcome is an error."""
    expressions = sorted(
        {
            str(rule["expression"]).strip()
            for path in EXAMPLES
            for rule in yaml.safe_load(path.read_text())["rules"]
        }
    )
    entities = []
    outcomes: dict[str, dict[str, Outcome]] = {}
    for n in range(40):
        tag = f"entity-{n:02d}"
        groups = (GROUPS[n % len(GROUPS)], GROUPS[(n * 7) % len(GROUPS)])
        entities.append(Entity(tag, tag.title(), entity_id(tag), KINDS[n % len(KINDS)], groups))
        if n % 2 == 0:
            declared: dict[str, Outcome] = {e: (n + i) % 3 != 0 for i, e in enumerate(expressions)}
            if n == 4:
                declared[expressions[0]] = "integration not configured"
            outcomes[tag] = declared
    return Catalog(tuple(entities), outcomes)


CATALOG = _catalog()


def _ladder(data: dict[str, Any]) -> list[dict[str, Any]]:
    ladder = data.get("ladder")
    levels = ladder.get("levels") if isinstance(ladder, dict) else None
    return sorted(levels or [], key=lambda level: level["rank"])


def move_rule_up(data: dict[str, Any]) -> dict[str, Any] | None:
    names = [level["name"] for level in _ladder(data)]
    for rule in data["rules"]:
        if rule.get("level") in names[:-1]:
            rule["level"] = names[names.index(rule["level"]) + 1]
            return data
    return None


def move_rule_down(data: dict[str, Any]) -> dict[str, Any] | None:
    names = [level["name"] for level in _ladder(data)]
    for rule in reversed(data["rules"]):
        if rule.get("level") in names[1:]:
            rule["level"] = names[0]
            return data
    return None


def reweigh(data: dict[str, Any]) -> dict[str, Any] | None:
    data["rules"][0]["weight"] = 3
    return data


def remove_rule(data: dict[str, Any]) -> dict[str, Any] | None:
    if len(data["rules"]) < 2:
        return None
    del data["rules"][0]
    return data


def rename_lowest_level(data: dict[str, Any]) -> dict[str, Any] | None:
    levels = _ladder(data)
    if not levels:
        return None
    old = levels[0]["name"]
    levels[0]["name"] = "Renamed"
    for rule in data["rules"]:
        if rule.get("level") == old:
            rule["level"] = "Renamed"
    return data


def swap_top_ranks(data: dict[str, Any]) -> dict[str, Any] | None:
    levels = _ladder(data)
    if len(levels) < 2:
        return None
    levels[-1]["rank"], levels[-2]["rank"] = levels[-2]["rank"], levels[-1]["rank"]
    return data


def add_empty_top_level(data: dict[str, Any]) -> dict[str, Any] | None:
    levels = _ladder(data)
    if not levels:
        return None
    data["ladder"]["levels"].append(
        {"name": "Summit", "rank": levels[-1]["rank"] + 1, "color": "#123456"}
    )
    return data


def add_rule(data: dict[str, Any]) -> dict[str, Any] | None:
    rule: dict[str, Any] = {
        "title": "Added by the impact test",
        "expression": 'git.fileExists("IMPACT.md")',
    }
    levels = _ladder(data)
    if levels:
        rule["level"] = levels[0]["name"]
    data["rules"].append(rule)
    return data


def edit_expression(data: dict[str, Any]) -> dict[str, Any] | None:
    rule = data["rules"][-1]
    rule["expression"] = f"({rule['expression']}) and true"
    rule.pop("identifier", None)
    return data


EDITS: tuple[Edit, ...] = (
    move_rule_up,
    move_rule_down,
    reweigh,
    remove_rule,
    rename_lowest_level,
    swap_top_ranks,
    add_empty_top_level,
    add_rule,
    edit_expression,
)
# Only the edits that apply to an example (a points scorecard has no level to move).
CASES = [
    (path, edit)
    for path in EXAMPLES
    for edit in EDITS
    if edit(copy.deepcopy(yaml.safe_load(path.read_text()))) is not None
]


def _actual(emulator: Emulator, tag: str) -> dict[str, tuple[str, float]]:
    with CortexClient("https://emulator.invalid", "k", transport=emulator.transport()) as client:
        scores = client.scores(tag)
    return {
        s.entity_tag: (s.level.name if s.level else NO_LEVEL, round(s.percentage * 100, 2))
        for s in scores
    }


def _rank_of(data: dict[str, Any]) -> dict[str, int]:
    return {NO_LEVEL: 0, **{level["name"]: level["rank"] for level in _ladder(data)}}


@pytest.mark.parametrize(("path", "edit"), CASES, ids=[f"{p.stem}-{e.__name__}" for p, e in CASES])
def test_the_preview_is_what_the_emulator_scores_after_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path, edit: Edit
) -> None:
    live = yaml.safe_load(path.read_text())
    desired = edit(copy.deepcopy(live))
    assert desired is not None
    state = tmp_path / "state.json"
    Emulator(state_file=state, catalog=CATALOG).put_descriptor(path.read_text())
    folder = tmp_path / "repo"
    folder.mkdir()
    desired_text = yaml.safe_dump(desired, sort_keys=False)
    (folder / path.name).write_text(desired_text)
    monkeypatch.chdir(tmp_path)
    ran = run_cli("plan", "--impact", "--format", "json", "--emulator", str(state), str(folder))
    assert ran.code == 0, ran.err
    (change,) = [c for c in json.loads(ran.out)["changes"] if c["action"] == "update"]
    impact = change["impact"]
    assert impact["self_check"]["disagree"] == 0, impact["self_check"]
    emulator = Emulator(state_file=state)
    emulator.put_descriptor(desired_text)  # what `apply` sends
    actual = _actual(emulator, live["tag"])
    assert impact["entities"] == len(actual)
    exact = not impact["unknown_rules"]
    if impact["levels"] is not None:
        counts: dict[str, int] = {}
        for level, _ in actual.values():
            counts[level] = counts.get(level, 0) + 1
        for name, predicted in impact["levels"].items():
            got = counts.get(name, 0)
            if exact:
                assert predicted["after_min"] == predicted["after_max"] == got, (name, predicted)
            else:
                assert predicted["after_min"] <= got <= predicted["after_max"], (name, predicted)
        ranks = _rank_of(desired)
        for move in impact["moves"]:
            level = actual[move["entity"]][0]
            assert ranks[move["after_min"]] <= ranks[level] <= ranks[move["after_max"]], move
            if exact:
                assert move["after_min"] == move["after_max"] == level, move
    else:
        average = sum(p for _, p in actual.values()) / len(actual)
        score = impact["score"]
        assert score["after_min"] - 0.02 <= average <= score["after_max"] + 0.02, score
        for move in impact["moves"]:
            percent = actual[move["entity"]][1]
            assert move["after_min"] - 0.01 <= percent <= move["after_max"] + 0.01, move
