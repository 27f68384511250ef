"""Plan renderers: text (Terraform-like), JSON (the saved plan), Markdown (PR comments)."""

from __future__ import annotations

import json
import re

import pytest

from scorecards_sync.errors import UsageError
from scorecards_sync.plan import (
    Action,
    Change,
    DiffKind,
    FieldChange,
    Plan,
    RuleChange,
    ServerVerdict,
)
from scorecards_sync.planner import Desired, Removal, make_plan
from scorecards_sync.render import RENDERERS, plan_renderer
from scorecards_sync.render.plan_markdown import GITHUB_COMMENT_LIMIT, MarkdownPlanRenderer, escape

ANSI = re.compile(r"\x1b\[[0-9;]*m")

LIVE = """\
tag: prod
name: Production
description: |
  First line.
  Second line.
ladder:
  levels:
  - {name: Bronze, rank: 1, color: "#CD7F32"}
  - {name: Gold, rank: 2, color: "#FFD700"}
rules:
- {title: Has owner, expression: owner != null, level: Bronze, weight: 1}
- {title: Old rule, expression: old == true, level: Gold}
"""
DESIRED = """\
tag: prod
name: Production services
description: |
  First line.
  Second line, edited.
ladder:
  levels:
  - {name: Bronze, rank: 1, color: "#CD7F32"}
  - {name: Gold, rank: 2, color: "#FFC000"}
rules:
- {title: Has owner, expression: owner != null, level: Gold, weight: 2}
- {title: Uses TLS, expression: tls == true, level: Gold}
"""


def desired(text: str, path: str) -> Desired:
    import yaml

    data = yaml.safe_load(text)
    return Desired(data["tag"], path, data, text)


def sample_plan() -> Plan:
    return make_plan(
        [
            desired(DESIRED, "sc/prod.yaml"),
            desired("tag: fresh\nname: Fresh\nrules:\n- {title: R, expression: x}\n", "sc/f.yaml"),
            desired("tag: same\nname: Same\n", "sc/same.yaml"),
        ],
        {"prod": LIVE, "same": "tag: same\nname: Same\n", "gone": "tag: gone\nname: Gone\n"},
        live_tags=["other-b", "other-a"],
        prune=True,
        prune_patterns=["go*"],
    )


def test_text_shows_every_change_terraform_style() -> None:
    text = plan_renderer("text").render(sample_plan())
    lines = text.splitlines()
    assert "  + create fresh  (sc/f.yaml)" in lines
    assert "      name: Fresh" in lines
    assert "      + rule 'R' added" in lines
    assert "  ~ update prod  (sc/prod.yaml)" in lines
    assert '      name: Production → "Production services"' in lines
    assert "      ladder.levels[Gold].color: #FFD700 → #FFC000" in lines
    assert "      ~ rule 'Has owner': weight 1 → 2; level Bronze → Gold" in lines
    assert "      + rule 'Uses TLS' added" in lines
    assert "      - rule 'Old rule' removed" in lines
    assert "  - delete gone  (prune: matches pattern go*)" in lines
    assert "Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged." in lines
    assert lines[-1] == "2 live scorecards not managed here (left untouched): other-a, other-b"


def test_text_shows_multiline_text_as_a_line_diff() -> None:
    lines = plan_renderer("text").render(sample_plan()).splitlines()
    start = lines.index("      description: changed (text below)")
    assert lines[start + 1 : start + 4] == [
        "           First line.",
        "          -Second line.",
        "          +Second line, edited.",
    ]


def test_text_has_no_color_unless_asked() -> None:
    plain = plan_renderer("text").render(sample_plan())
    colored = plan_renderer("text", color=True).render(sample_plan())
    assert "\x1b[" not in plain
    assert "\x1b[32m+ create\x1b[0m" in colored
    assert "\x1b[33m~ update\x1b[0m" in colored
    assert "\x1b[31m- delete\x1b[0m" in colored
    assert ANSI.sub("", colored) == plain


def test_text_when_nothing_changes() -> None:
    plan = make_plan(
        [desired("tag: same\nname: Same\n", "sc/s.yaml")], {"same": "tag: same\nname: Same\n"}
    )
    assert plan_renderer("text").render(plan) == (
        "No changes. Cortex matches the repository.\n"
        "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged."
    )


def test_text_of_a_plan_of_no_scorecards_says_none_were_found() -> None:
    # Nothing loaded and nothing to delete: "Cortex matches the repository" would mislead.
    assert plan_renderer("text").render(Plan(())) == (
        "No descriptors found: nothing to plan.\n"
        "Plan: 0 to create, 0 to update, 0 to delete, 0 unchanged."
    )
    only_unmanaged = make_plan([], {}, live_tags=["theirs"])
    assert plan_renderer("text").render(only_unmanaged).splitlines() == [
        "No descriptors found: nothing to plan.",
        "Plan: 0 to create, 0 to update, 0 to delete, 0 unchanged.",
        "1 live scorecard not managed here (left untouched): theirs",
    ]


def test_text_names_a_removed_file_once_with_the_verb_apply_uses() -> None:
    plan = make_plan(
        [desired("tag: new\nname: Card\n", "sc/card.yaml")],
        {"gone": "tag: gone\nname: Gone\n", "old": "tag: old\nname: Card\n"},
        removals=[Removal("gone", "sc/gone.yaml"), Removal("old", "sc/card.yaml", "new")],
    )
    lines = plan_renderer("text").render(plan).splitlines()
    assert "  - delete gone  (sc/gone.yaml, descriptor file removed since base)" in lines
    assert "  - delete old  (sc/card.yaml, re-tagged: the file now holds tag new)" in lines
    assert not any("destroy" in line for line in lines)


def test_text_shows_server_verdicts() -> None:
    plan = Plan(
        (
            Change(Action.CREATE, "a", server_validation=ServerVerdict(True)),
            Change(Action.CREATE, "b", server_validation=ServerVerdict(False, ("bad level",))),
        )
    )
    lines = plan_renderer("text").render(plan).splitlines()
    assert "      ✓ Cortex accepts it (dry run)" in lines
    assert "      ✗ Cortex rejects it (dry run): bad level" in lines


def test_long_values_are_cut_on_one_line() -> None:
    change = FieldChange("filter.query", DiffKind.CHANGED, "x" * 300, "y")
    plan = Plan((Change(Action.UPDATE, "a", fields=(change,)),))
    (line,) = [ln for ln in plan_renderer("text").render(plan).splitlines() if "filter.query" in ln]
    assert len(line) < 120
    assert "…" in line


def test_json_is_the_saved_plan_form() -> None:
    plan = sample_plan()
    text = plan_renderer("json").render(plan)
    assert Plan.from_json(json.loads(text)) == plan
    assert text.startswith('{\n  "format": "scorecards-sync-plan"')


def test_markdown_starts_with_the_summary_and_a_table() -> None:
    plan = sample_plan()
    text = plan_renderer("markdown").render(plan)
    lines = text.splitlines()
    assert lines[0] == "**Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged.**"
    assert lines[2:4] == ["| Action | Scorecard | Details |", "| --- | --- | --- |"]
    assert lines[4] == "| ➕ create | <code>fresh</code> | <code>sc/f.yaml</code> · 1 rule |"
    assert lines[5] == (
        "| ✏️ update | <code>prod</code> | <code>sc/prod.yaml</code> · 3 fields, 3 rules changed |"
    )
    assert lines[6] == "| 🗑️ delete | <code>gone</code> | prune: matches pattern go&#42; |"
    assert text.endswith(
        "_2 live scorecards not managed here (left untouched): other-a, other-b_\n\n"
        f"<sub>Plan checksum <code>{plan.checksum()}</code></sub>"
    )


def test_markdown_has_a_collapsible_block_per_written_scorecard() -> None:
    text = plan_renderer("markdown").render(sample_plan())
    assert text.count("<details>") == text.count("</details>") == 2
    block = text[text.index("<details><summary>✏️ update <code>prod</code>") :]
    block = block[: block.index("</details>")]
    assert (
        "- ✏️ rule 'Has owner': weight <code>1</code> → <code>2</code>; "
        "level <code>Bronze</code> → <code>Gold</code>"
    ) in block
    assert "- ➕ rule 'Uses TLS' added" in block
    assert "- ➖ rule 'Old rule' removed" in block
    assert (
        "- <code>ladder.levels&#91;Gold&#93;.color</code>: "
        "<code>&#35;FFD700</code> → <code>&#35;FFC000</code>"
    ) in block
    assert "  ```diff\n   First line.\n  -Second line.\n  +Second line, edited.\n  ```" in block


def test_markdown_when_nothing_changes() -> None:
    text = plan_renderer("markdown").render(Plan((), unmanaged=("x",)))
    assert text.startswith("**No changes.** Cortex matches the repository.")
    assert "|" not in text


def test_markdown_escapes_everything_from_descriptors() -> None:
    nasty = "a|b `c` <script>&amp; *d* _e_ [f](g) @team #12"
    change = Change(
        Action.UPDATE,
        "t",
        path="sc/t.yaml",
        reason=nasty + "\nnext line",
        fields=(FieldChange("name", DiffKind.CHANGED, nasty, "plain"),),
        rules=(RuleChange(nasty, DiffKind.ADDED),),
    )
    text = plan_renderer("markdown").render(Plan((change,)))
    row = next(line for line in text.splitlines() if line.startswith("| ✏️ update"))
    assert row.count("|") == 4, "a pipe in a value must not open a cell"
    for raw in ("`", "<script>", "*d*", "_e_", "[f]", "@team", " #12"):
        assert raw not in text
    assert "&lt;script&gt;" in text and "&amp;amp;" in text
    # A zero-width space after the sigil: no reference to issue 12, no mention of a team.
    assert "&#64;&#8203;team &#35;&#8203;12<br>next line" in row
    assert escape("x\ny") == "x<br>y"


def test_markdown_shows_values_as_written_in_code_spans() -> None:
    old = 'git != null and git.branch() == "main"'
    new = 'git != null and git.branch() == "trunk"'
    change = Change(
        Action.UPDATE,
        "t",
        fields=(
            FieldChange("name", DiffKind.CHANGED, "Prod <main> & co", "Prod | `x` @team #1"),
            FieldChange("evaluation.window", DiffKind.CHANGED, 4, 24),
            FieldChange("description", DiffKind.ADDED, None, " padded "),
        ),
        rules=(
            RuleChange(
                "Default branch",
                DiffKind.CHANGED,
                (FieldChange("expression", DiffKind.CHANGED, old, new),),
            ),
        ),
    )
    text = plan_renderer("markdown").render(Plan((change,)))
    assert (
        "- ✏️ rule 'Default branch': expression "
        '<code>git != null and git.branch() == "main"</code> → '
        '<code>git != null and git.branch() == "trunk"</code>'
    ) in text
    assert (
        "- <code>name</code>: <code>Prod &lt;main&gt; &amp; co</code> → "
        "<code>Prod &#124; &#96;x&#96; &#64;team &#35;1</code>"
    ) in text
    assert "- <code>evaluation.window</code>: <code>4</code> → <code>24</code>" in text
    # Blanks at the edges would vanish in the markup: such a string stays quoted.
    assert '- <code>description</code>: (none) → <code>" padded "</code>' in text


def test_markdown_ends_with_the_plan_checksum_unless_told_not_to() -> None:
    plan = sample_plan()
    text = plan_renderer("markdown").render(plan)
    assert text.splitlines()[-1] == f"<sub>Plan checksum <code>{plan.checksum()}</code></sub>"
    assert text.count("Plan checksum") == 1
    without = MarkdownPlanRenderer(checksum=False).render(plan)
    assert "Plan checksum" not in without
    assert text == f"{without}\n\n<sub>Plan checksum <code>{plan.checksum()}</code></sub>"


def test_markdown_of_no_changes_still_carries_the_checksum() -> None:
    plan = Plan(())
    text = plan_renderer("markdown").render(plan)
    assert text.endswith(f"<sub>Plan checksum <code>{plan.checksum()}</code></sub>")


def test_markdown_fences_outgrow_backticks_in_the_text() -> None:
    change = Change(
        Action.UPDATE,
        "t",
        fields=(FieldChange("description", DiffKind.CHANGED, "a\n```\nb", "a\n````\nc"),),
    )
    text = plan_renderer("markdown").render(Plan((change,)))
    assert "  `````diff" in text
    assert text.count("`````") == 2


def big_plan(count: int, unmanaged: int = 0) -> Plan:
    rules = tuple(
        RuleChange(
            f"Rule {i}",
            DiffKind.CHANGED,
            (FieldChange("level", DiffKind.CHANGED, "Bronze", "Silver"),),
        )
        for i in range(5)
    )
    return Plan(
        tuple(
            Change(
                Action.UPDATE, f"scorecard-{i:04d}", path=f"sc/scorecard-{i:04d}.yaml", rules=rules
            )
            for i in range(count)
        ),
        unmanaged=tuple(f"unmanaged-{i}" for i in range(unmanaged)),
    )


def test_markdown_of_2000_changes_stays_under_githubs_limit_with_a_note() -> None:
    plan = big_plan(2000, unmanaged=3000)
    text = plan_renderer("markdown").render(plan)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    shown = len(re.findall(r"^\| ✏️ update", text, flags=re.MULTILINE))
    assert 0 < shown < 2000
    assert text.endswith(
        f"_… {2000 - shown} more scorecards not shown; "
        "see the full plan in the job summary / artifact._\n\n"
        f"<sub>Plan checksum <code>{plan.checksum()}</code></sub>"
    )
    assert text.count("<details>") == text.count("</details>")


def test_markdown_drops_whole_blocks_never_parts_of_them() -> None:
    plan = big_plan(40)
    full = plan_renderer("markdown", max_chars=10**7).render(plan)
    assert "not shown" not in full
    limit = len(full) // 2
    text = plan_renderer("markdown", max_chars=limit).render(plan)
    assert len(text) <= limit
    assert len(re.findall(r"^\| ✏️ update", text, flags=re.MULTILINE)) == 40
    assert text.count("<details>") == text.count("</details>") < 40
    assert re.search(r"_… details of \d+ more scorecards not shown; see the full plan", text)


def test_markdown_lists_unmanaged_scorecards_as_far_as_room_allows() -> None:
    text = plan_renderer("markdown", max_chars=5000).render(
        Plan((), unmanaged=tuple(f"tag-{i:04d}" for i in range(3000)))
    )
    assert len(text) <= 5000
    assert "3000 live scorecards not managed here (left untouched): tag-0000" in text
    assert re.search(
        r"… and \d+ more_\n\n<sub>Plan checksum <code>sha256:[0-9a-f]{64}</code></sub>$", text
    )


def test_registry_and_unknown_names() -> None:
    assert set(RENDERERS) == {"text", "json", "markdown"}
    for name in RENDERERS:
        assert isinstance(plan_renderer(name).render(Plan(())), str)
    with pytest.raises(
        UsageError, match="unknown plan format 'html'; choose one of: json, markdown, text"
    ):
        plan_renderer("html")
