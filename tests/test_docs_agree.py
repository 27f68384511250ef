"""README.md and docs/ say only what the product does: flags, inputs, outputs and links.

tests/test_configuration_doc.py checks one direction (every flag of the code is named in
docs/configuration.md); these check the other (every flag a page names exists), and what
the README says of action.yml and of the command line.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest
import yaml
from cli_runner import enter_workdir, run_cli

from scorecards_sync.cli import build_parser
from scorecards_sync.commands.action import extra_args_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser, _ = build_parser()
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


GLOBAL_FLAGS = _flags(build_parser()[0])
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z]{1,2})\b")


def _named_flags(text: str) -> set[str]:
    return {m.group(1) for span in re.findall(r"`([^`]+)`", text) for m in FLAG.finditer(span)}


def _action() -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = yaml.safe_load(
        (ROOT / "action.yml").read_text(encoding="utf-8")
    )
    return loaded


def test_every_flag_a_command_section_of_the_configuration_page_names_exists() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    commands = _commands()
    wrong = []
    for match in re.finditer(r"^### `([a-z-]+)", text, re.MULTILINE):
        name = match.group(1)
        start = text.index("\n", match.end())  # after the heading's own code span
        end = text.find("\n### ", start)
        section = text[start : end if end != -1 else len(text)]
        # The flag column of the section's table: what the page says this command takes.
        first_cells = "\n".join(re.findall(r"^\| ((?:[^|\\]|\\.)+) \|", section, re.MULTILINE))
        known = _flags(commands[name]) | GLOBAL_FLAGS
        wrong += [f"{name} {flag}" for flag in sorted(_named_flags(first_cells) - known)]
    assert wrong == []


def _readme_command_rows() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Commands") : text.index("### Output")]
    rows = []
    for line in table.splitlines():
        found = re.match(r"\| `scorecards-sync ([a-z-]+)(?: gitlab)?([^`]*)` \|", line)
        if found:
            rows.append((found.group(1), found.group(2)))
    return rows


def test_the_readme_commands_table_has_a_row_for_every_command() -> None:
    documented = {name for name, _ in _readme_command_rows()}
    # github-action is the Action's entry point, documented by its inputs' table.
    assert documented == set(_commands()) - {"github-action"}


@pytest.mark.parametrize("name, synopsis", _readme_command_rows(), ids=lambda v: str(v)[:20])
def test_every_flag_of_a_readme_command_row_exists(name: str, synopsis: str) -> None:
    command = _commands()[name]
    named = {m.group(1) for m in FLAG.finditer(synopsis)}
    assert named - _flags(command) - GLOBAL_FLAGS == set()


def _readme_input_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| input | default | meaning |") :]
    table = table[: table.index("\n\n")]
    return re.findall(r"^\| `([a-z-]+)` \|", table, re.MULTILINE)


def test_the_readme_inputs_table_is_action_yml_inputs() -> None:
    assert sorted(_readme_input_rows()) == sorted(_action()["inputs"])


def test_the_readme_names_every_output_of_action_yml() -> None:
    text = README.read_text(encoding="utf-8")
    assert [o for o in _action()["outputs"] if f"`{o}`" not in text] == []


def test_github_action_help_names_every_input_action_yml_passes() -> None:
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    passed = set(re.findall(r"\b(INPUT_[A-Z_]+): \$\{\{ inputs\.", action)) - {"INPUT_PYTHON"}
    epilog = _commands()["github-action"].epilog or ""
    assert sorted(v for v in passed if v not in epilog) == []


def test_the_configuration_page_names_exactly_the_flags_the_args_input_takes() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    start = text.index("\n", text.index("### `github-action`"))
    section = text[start : text.index("\n### ", start)]
    takes = {f for f in _flags(extra_args_parser()) if f != "--verbose"}
    assert _named_flags(section) == takes


def test_the_configuration_pages_workspace_table_is_what_a_workspace_takes() -> None:
    from scorecards_sync import config

    text = CONFIGURATION.read_text(encoding="utf-8")
    table = text[text.index("| key | required | meaning |") :]
    table = table[: table.index("\n\n")]
    rows = re.findall(r"^\| ([^|]+) \| (yes|no) \|", table, re.MULTILINE)
    documented = {key: required for cell, required in rows for key in re.findall(r"`(\w+)`", cell)}
    assert sorted(documented) == sorted(config._WORKSPACE_KEYS)
    assert {k for k, required in documented.items() if required == "yes"} == set(
        config._WORKSPACE_REQUIRED
    )


def test_every_variable_the_product_names_is_on_the_configuration_page() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    named = {
        name
        for path in (ROOT / "scorecards_sync").rglob("*.py")
        for name in re.findall(r"\"(SCORECARDS_SYNC_[A-Z_]+)\"", path.read_text("utf-8"))
    }
    assert sorted(name for name in named if f"`{name}`" not in text) == []


# Paths a page gives as examples of a user's files, not files of this repository.
USER_FILES = {".cortex/scorecards/payments.yaml"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_file_of_the_repository_a_page_names_exists(page: Path) -> None:
    """`review/run.py`, `tests/test_x.py`, `examples/github/drift.yml`: each still there."""
    pattern = r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|yml|yaml|json|sh|txt|md|toml))`"
    named = set(re.findall(pattern, page.read_text(encoding="utf-8"))) - USER_FILES
    missing = [
        p for p in named if not (ROOT / p).exists() and not (ROOT / "scorecards_sync" / p).exists()
    ]
    assert sorted(missing) == []


def test_the_readme_describes_every_benchmark() -> None:
    text = README.read_text(encoding="utf-8")
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    helpers = {"workload.py"}  # the setup the scripts share, not a benchmark
    assert [s for s in scripts if s not in helpers and f"`bench/{s}`" not in text] == []


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path) if path else page
        missing_anchor = bool(anchor) and linked.suffix == ".md"
        if not linked.exists() or (missing_anchor and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


def test_the_readme_quick_start_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick start's first command, in process: each `scorecards-sync` step as written
    (the install steps left to .ci/run's fresh environment), in a copy of the examples."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("## Quick start") :]
    start = block.index("```sh\n") + 6
    block = block[start : block.index("\n```", start)]
    steps = [step.strip() for step in block.split("&&")]
    cli = ".venv/bin/scorecards-sync "
    commands = [step.removeprefix(cli).split() for step in steps if step.startswith(cli)]
    assert [c[0] for c in commands] == ["validate", "plan", "apply", "plan"]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    ran = [run_cli(*command) for command in commands]
    assert [r.code for r in ran] == [0, 0, 0, 0], [r.err for r in ran]
    assert "Plan: 7 to create" in ran[1].out and "Plan checksum: sha256:" in ran[1].out
    assert "No changes." in ran[3].out
    assert "legacy-service-ownership.yaml" in ran[1].err  # named, as the README says
