"""The score impact in every plan format: text table, JSON `impact` object, Markdown line."""

from __future__ import annotations

import json
from dataclasses import replace

from scorecards_sync.impact import (
    Impact,
    LevelCount,
    Move,
    ScoreRange,
    SelfCheck,
    UnknownRule,
)
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.render import plan_renderer
from scorecards_sync.render.impact_format import MOVES_SHOWN, self_check_text
from scorecards_sync.render.plan_markdown import MAX_MOVES_SHOWN, MarkdownPlanRenderer

JSON_KEYS = {
    "evaluated_at",
    "entities",
    "self_check",
    "levels",
    "score",
    "moves",
    "unknown_rules",
    "unknown_entities",
    "not_previewed",
}


def _plan(*tags: str) -> Plan:
    changes = [
        Change(Action.UPDATE, tag, path=f"cards/{tag}.yaml", desired_yaml=f"tag: {tag}\n")
        for tag in tags
    ]
    return Plan((*changes, Change(Action.CREATE, "fresh", desired_yaml="tag: fresh\n")))


def _impact(moves: int = 3, *, tag: str = "svc") -> Impact:
    return Impact(
        level_based=True,
        entities=moves + 2,
        evaluated_at="2026-05-31T12:00:00Z",
        self_check=SelfCheck(moves + 1, 1, ("odd-one",)),
        levels=(
            ("No level", LevelCount(1, 1 + moves, 1 + moves)),
            ("Bronze", LevelCount(moves, 0, 1)),
            ("Silver", LevelCount(1, 0, 1)),
        ),
        score=ScoreRange(50.0, 40.0, 55.5),
        moves=(
            *(
                Move(f"{tag}-{n:04d}", f"Service {n}", "Bronze", "No level", "No level")
                for n in range(moves)
            ),
            Move("ranged", "Ranged", "Silver", "No level", "Silver"),
        ),
        unknown_rules=(UnknownRule("Has docs", "new rule", moves + 2),),
        not_previewed=("scope filter changed (types): entities it may add have no scores yet",),
        unknown_entities=1,
    )


def test_json_adds_an_impact_object_to_each_update_it_covers() -> None:
    impact = _impact()
    data = json.loads(plan_renderer("json", impacts={"svc": impact}).render(_plan("svc", "other")))
    by_tag = {c["tag"]: c for c in data["changes"]}
    assert set(by_tag["svc"]["impact"]) == JSON_KEYS
    assert "impact" not in by_tag["other"] and "impact" not in by_tag["fresh"]
    got = by_tag["svc"]["impact"]
    assert got["evaluated_at"] == "2026-05-31T12:00:00Z"
    assert got["self_check"] == {"agree": 4, "disagree": 1, "disagreeing": ["odd-one"]}
    assert got["levels"]["Bronze"] == {"before": 3, "after_min": 0, "after_max": 1}
    assert got["score"] is None  # level-based: levels, not the average
    assert got["moves"][-1] == {
        "entity": "ranged",
        "before": "Silver",
        "after_min": "No level",
        "after_max": "Silver",
    }
    assert got["unknown_rules"] == [{"rule": "Has docs", "reason": "new rule", "entities": 5}]
    assert len(got["not_previewed"]) == 1


def test_json_without_impacts_is_the_saved_plan() -> None:
    plan = _plan("svc")
    assert json.loads(plan_renderer("json").render(plan)) == json.loads(json.dumps(plan.to_json()))


def test_text_shows_a_level_table_and_the_first_moves() -> None:
    text = plan_renderer("text", impacts={"svc": _impact(30)}).render(_plan("svc"))
    assert "impact on 32 entities (self-check: 1 of 32 disagree" in text
    assert "No level       1 → 31" in text
    assert "Bronze        30 → 0–1" in text
    assert text.count("→ No level\n") == MOVES_SHOWN
    assert f"… and {31 - MOVES_SHOWN} more entities move" in text
    assert "unknown: rule 'Has docs' (new rule) unknown for 32 entities" in text
    assert "disagreeing: odd-one" in text
    assert "not previewed: scope filter changed (types)" in text


def test_text_neutralises_control_characters_from_cortex() -> None:
    hostile = _impact(1, tag="\x1b[31mred\x1b[0m")
    text = plan_renderer("text", impacts={"svc": hostile}).render(_plan("svc"))
    assert "\x1b" not in text
    # Shown as its escape, as every other renderer shows it (scorecards_sync/safe_text.py).
    assert "\\x1b[31mred\\x1b[0m-0000" in text


def test_points_show_the_average() -> None:
    points = Impact(
        level_based=False,
        entities=2,
        evaluated_at=None,
        self_check=SelfCheck(2, 0),
        levels=(),
        score=ScoreRange(61.0, 55.0, 55.0),
        moves=(Move("a", "A", 50.0, 40.0, 40.0),),
        unknown_rules=(),
        not_previewed=(),
    )
    text = plan_renderer("text", impacts={"svc": points}).render(_plan("svc"))
    assert "average 61% → 55%" in text and "a: 50% → 40%" in text
    markdown = plan_renderer("markdown", impacts={"svc": points}).render(_plan("svc"))
    assert "📊 impact on 2 entities: average 61% → 55% · 1 entity moves" in markdown
    data = json.loads(plan_renderer("json", impacts={"svc": points}).render(_plan("svc")))
    (update,) = [c for c in data["changes"] if c["tag"] == "svc"]
    assert update["impact"]["score"] == {
        "before": 61.0,
        "after_min": 55.0,
        "after_max": 55.0,
    }
    assert update["impact"]["levels"] is None


def test_markdown_puts_a_compact_line_on_the_scorecard_and_moves_in_details() -> None:
    markdown = MarkdownPlanRenderer(impacts={"svc": _impact()}).render(_plan("svc"))
    summary = next(line for line in markdown.splitlines() if "<code>svc</code><br>" in line)
    assert summary.startswith("<details><summary>✏️ update <code>svc</code><br>📊 impact on 5")
    assert "Bronze 3 → 0–1" in summary and "4 entities move" in summary
    assert "<details><summary>4 entities move</summary>" in markdown
    assert "- <code>svc-0000</code>: Bronze → No level" in markdown
    assert "- <code>ranged</code>: Silver → No level..Silver" in markdown


def test_markdown_escapes_entity_tags_from_cortex() -> None:
    hostile = _impact(1, tag="</details><script>|")
    markdown = MarkdownPlanRenderer(impacts={"svc": hostile}).render(_plan("svc"))
    assert "<script>" not in markdown and "</details><script>" not in markdown
    assert "&lt;/details&gt;&lt;script&gt;&#124;-0000" in markdown


def test_markdown_of_2000_moves_stays_within_the_limit() -> None:
    big = _impact(2000)
    limit = 20_000
    markdown = MarkdownPlanRenderer(max_chars=limit, impacts={"svc": big}).render(_plan("svc"))
    assert len(markdown) <= limit
    assert markdown.count("→ No level\n") == MAX_MOVES_SHOWN
    assert f"… {2001 - MAX_MOVES_SHOWN} more; the full list is in" in markdown
    tight = MarkdownPlanRenderer(max_chars=2_000, impacts={"svc": big}).render(_plan("svc"))
    assert len(tight) <= 2_000
    assert "📊 impact on 2002 entities" in tight or "not shown" in tight


def test_the_self_check_reads_right_for_one_entity_and_for_many() -> None:
    def text(agree: int, disagree: int) -> str:
        check = SelfCheck(agree, disagree, tuple(f"odd-{n}" for n in range(disagree)))
        return self_check_text(replace(_impact(), self_check=check))

    assert text(1, 0) == "self-check: it agrees with Cortex"
    assert text(4, 0) == "self-check: all 4 agree with Cortex"
    assert text(0, 1) == "self-check: 1 of 1 disagrees with Cortex (its preview may be wrong)"
    assert text(3, 2) == "self-check: 2 of 5 disagree with Cortex (their preview may be wrong)"
