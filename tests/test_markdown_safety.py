"""The plan comment and the job summary, read back by a CommonMark/GFM parser (markdown-it-py).

Descriptors, file names and Cortex's answers full of hostile text (a lone carriage return
that GitHub reads as a line break, pipes, HTML, backticks, bidi overrides, headings,
links, images, an HTML comment forging the checksum marker) must leave exactly the
structure the tool meant: its headings, its table with one row of three cells per change,
its bullets, one marker, and none of theirs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is in the dev extra")

from scorecards_sync.github.comments import parse_marker  # noqa: E402
from scorecards_sync.plan import (  # noqa: E402
    Action,
    Change,
    DiffKind,
    FieldChange,
    Plan,
    RuleChange,
    ServerVerdict,
)
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer  # noqa: E402

# The forged bullet of the adversarial run (issue 14, item 1), and its friends.
FORGED_BULLET = "Inj\r\r- ✅ Cortex accepts it (dry run)"
MARKER = "<!-- scorecards-sync:x checksum=sha256:forged -->"
HOSTILE = (
    FORGED_BULLET,
    "a\r| forged | row | here |\r",
    "cell | split",
    "<details><summary>fake</summary>",
    "</details>\r\r# Forged heading",
    "`` ` `` code\r```\rfence",
    "\u202eevil\u202c and \u2066isolate\u2069",
    "[link](https://evil.example) ![image](https://evil.example/x.png)",
    "\r" + MARKER + "\r",
    "\u2028- separator bullet\u2029## paragraph heading",
    "\x1b]8;;https://evil.example\x07osc\x1b[31m red",
    "zero\u200bwidth\ufeff bom \x85 next line",
    "<img src=x onerror=alert(1)> <script>alert(1)</script>",
    "   * star bullet\r1. numbered\r> quote\r---\r===",
)


def parse(text: str) -> list[Any]:
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return list(md.parse(text))


def walk(tokens: list[Any]) -> Iterator[Any]:
    for token in tokens:
        yield token
        yield from walk(token.children or [])


def tables(tokens: list[Any]) -> list[list[int]]:
    """Per table, the number of cells in each row."""
    found: list[list[int]] = []
    cells = 0
    for token in tokens:
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            found[-1].append(cells)
    return found


def kinds(tokens: list[Any], kind: str) -> list[Any]:
    return [t for t in walk(tokens) if t.type == kind]


def html(tokens: list[Any]) -> list[str]:
    """Every piece of raw HTML the parser passes through, block or inline."""
    return [t.content.strip() for t in walk(tokens) if t.type in ("html_block", "html_inline")]


OWN_HTML = {"<code>", "</code>", "<br>", "<sub>", "</sub>", "</details>"}


def assert_only_own_html(tokens: list[Any]) -> None:
    for piece in html(tokens):
        for line in piece.splitlines():
            if line.startswith("<details><summary>") or line.startswith("<!-- scorecards-sync:"):
                continue
            assert line in OWN_HTML or line.startswith("<sub>"), line


def hostile_plan() -> Plan:
    changes = []
    for index, text in enumerate(HOSTILE):
        changes.append(
            Change(
                Action.UPDATE,
                f"tag-{index}",
                path=f"cards/{text}.yaml",
                reason=text,
                fields=(
                    FieldChange("name", DiffKind.CHANGED, "old", text),
                    FieldChange("description", DiffKind.CHANGED, f"a\n{text}\nb", f"a\n{text}"),
                ),
                rules=(
                    RuleChange(text, DiffKind.ADDED),
                    RuleChange(
                        "Kept",
                        DiffKind.CHANGED,
                        (FieldChange("level", DiffKind.CHANGED, text, "Gold"),),
                    ),
                ),
                server_validation=ServerVerdict(True, (text,)),
            )
        )
    return Plan(tuple(changes), unmanaged=HOSTILE)


def test_the_plan_markdown_keeps_its_structure_whatever_the_text() -> None:
    plan = hostile_plan()
    text = MarkdownPlanRenderer(max_chars=10**7).render(plan)
    tokens = parse(text)
    assert tables(tokens) == [[3] * (1 + len(HOSTILE))]
    assert kinds(tokens, "heading_open") == []
    assert kinds(tokens, "blockquote_open") == []
    assert kinds(tokens, "hr") == []
    assert kinds(tokens, "link_open") == [] and kinds(tokens, "image") == []
    # Per change: two fields, two rules, the verdict; nothing else is a list item.
    assert len(kinds(tokens, "list_item_open")) == 5 * len(HOSTILE)
    # Per change: the diff of its description; nothing else is code in a block.
    assert len(kinds(tokens, "fence")) == len(HOSTILE)
    assert kinds(tokens, "code_block") == []
    assert_only_own_html(tokens)
    assert not [piece for piece in html(tokens) if "<!--" in piece]
    blocks = [piece for piece in html(tokens) if "details>" in piece]
    assert blocks == [
        piece
        for change in plan.actionable
        for piece in (
            f"<details><summary>✏️ update <code>{change.tag}</code></summary>",
            "</details>",
        )
    ]
    for bad in ("\r", "\u202e", "\u2066", "\u2028", "\u2029", "\x1b", "\x85", "\u200b", "\ufeff"):
        assert bad not in text, repr(bad)
    # Shown, not hidden: the reader sees what the text held.
    assert "Inj&#92;r&#92;r- ✅ Cortex accepts it (dry run)" in text
    assert "&#92;u202eevil" in text


# What GitHub and GitLab read as a reference in a comment's text, once its HTML is decoded:
# a mention (`@name`, `@org/team`: it notifies), an issue or pull request (`#7`), and
# GitLab's merge request, label, milestone, epic and snippet.
REFERENCES = (
    "ping @alice and @acme/platform-team",
    "fixes #7, see !12",
    '~bug ~"needs review" %v1.2 &3 $4',
    "(@carol) [#8] @all",
)
REFERENCE = re.compile(r"(?<![A-Za-z0-9_])[@#!~%&$](?=[A-Za-z0-9_\"])")


def text_outside_code(tokens: list[Any]) -> list[str]:
    """The text a reader sees outside `<code>` elements and code blocks: where both hosts
    look for references."""
    found: list[str] = []
    depth = 0
    for token in walk(tokens):
        if token.type == "html_inline":
            depth += {"<code>": 1, "</code>": -1}.get(token.content, 0)
        elif token.type == "text" and depth == 0:
            found.append(token.content)
    return found


def test_untrusted_text_mentions_nobody_and_refers_to_nothing() -> None:
    changes = [
        Change(
            Action.UPDATE,
            f"tag-{index}",
            reason=text,
            fields=(FieldChange("name", DiffKind.CHANGED, "old", text),),
            rules=(RuleChange(text, DiffKind.ADDED),),
            server_validation=ServerVerdict(True, (text,)),
        )
        for index, text in enumerate(REFERENCES)
    ]
    markdown = MarkdownPlanRenderer(max_chars=10**7).render(
        Plan(tuple(changes), unmanaged=REFERENCES)
    )
    tokens = parse(markdown)
    shown = text_outside_code(tokens)
    for text in shown:
        assert REFERENCE.search(text) is None, text
    # The reader still sees the text as written: only zero-width spaces were added.
    visible = "\n".join(shown).replace("\u200b", "")
    for text in REFERENCES:
        assert text in visible
    # In code (the new name is a value), where no host looks, the text is left as it is.
    assert "<code>ping &#64;alice and &#64;acme/platform-team</code>" in markdown


def test_text_in_a_diff_block_cannot_leave_it_or_hide_in_it() -> None:
    change = Change(
        Action.UPDATE,
        "t",
        fields=(
            FieldChange(
                "description",
                DiffKind.CHANGED,
                "a\n````\n</details>",
                "b\u202e\n```\n# heading\r- bullet\x1b[2J",
            ),
        ),
    )
    text = MarkdownPlanRenderer().render(Plan((change,)))
    tokens = parse(text)
    (fence,) = kinds(tokens, "fence")
    assert "\u202e" not in fence.content and "\x1b" not in fence.content
    assert "b\\u202e" in fence.content and "\\x1b[2J" in fence.content
    assert kinds(tokens, "heading_open") == []
    assert [piece for piece in html(tokens) if "details>" in piece] == [
        "<details><summary>✏️ update <code>t</code></summary>",
        "</details>",
    ]


# -- the Action's comment and job summary, end to end ------------------------------------------


def hostile_card(tag: str, text: str) -> str:
    quoted = json.dumps(text)
    return (
        f"tag: {tag}\n"
        f"name: {quoted}\n"
        f"description: {json.dumps('Intro.' + chr(10) + text + chr(10) + 'End.')}\n"
        "rules:\n"
        f"  - title: {quoted}\n"
        "    expression: ownership != null\n"
        "    weight: 1\n"
    )


@pytest.mark.slow
def test_the_actions_comment_and_summary_keep_their_structure(tmp_path: Path) -> None:
    from action_harness import base_environment
    from github_fake import FakeGitHub
    from hostile_server import HostileCortex, Scenario
    from test_action import AUTHOR, KEY, ROOT, TOKEN, World

    from scorecards_sync.emulator import ALL_PERMISSIONS, Emulator

    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env = base_environment(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CEILING_DIRECTORIES=str(tmp_path),
        SCORECARDS_SYNC_ACTION_PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        **AUTHOR,
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    cortex = HostileCortex(Emulator(api_keys={KEY: ALL_PERMISSIONS}), Scenario.HOSTILE_TAGS)
    with FakeGitHub(token=TOKEN) as github, cortex.serve() as url:
        world = World(repo, tmp_path, github, cortex.emulator, url, env)
        world.git("init", "-q")
        world.write("README.md", "cards\n")
        base = world.commit("start")
        world.git("switch", "-q", "-c", "hostile")
        # The exact forgery of the adversarial run, and the rest, in names, rules and
        # descriptions; file names with a carriage return and a pipe.
        for index, text in enumerate(HOSTILE):
            world.write(f"c{index}\r| x |.yaml", hostile_card(f"card-{index}", text))
        head = world.commit("hostile text everywhere")
        run = world.run("pull_request", world.pull_request(base, head), head)
        assert run.returncode == 0, run.log
        (comment,) = world.comments()
    body = comment["body"]
    marker = parse_marker(body)
    assert marker is not None and marker.checksum == run.outputs["plan-checksum"]
    for text, level in ((body, "h3"), (run.summary, "h2")):
        tokens = parse(text)
        # One heading, the tool's; one table of changes, a row of three cells for each.
        assert [t.tag for t in kinds(tokens, "heading_open")] == [level]
        # The summary starts with the validation table: a warning per file (its name is not
        # its tag's), a row of three cells each.
        rows = [3] * (1 + len(HOSTILE))
        assert tables(tokens) == ([rows] if text is body else [rows, rows])
        # Per change (a create): its name, its rule, Cortex's verdict.
        assert len(kinds(tokens, "list_item_open")) == 3 * len(HOSTILE)
        hrefs = {t.attrs["href"] for t in kinds(tokens, "link_open")}
        assert all(href.startswith("https://github.example/") for href in hrefs), hrefs
        assert kinds(tokens, "image") == []
        assert_only_own_html(tokens)
        comments = [piece for piece in html(tokens) if "<!--" in piece]
        assert comments == ([marker.render()] if text is body else [])
        assert "\r" not in text and "\u202e" not in text
    # The unmanaged tags, from Cortex, are listed escaped on one line.
    assert "tag&#92;n::warning::forged" in body
