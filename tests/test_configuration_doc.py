"""docs/configuration.md names every setting, variable and flag the code has."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scorecards_sync import config
from scorecards_sync.cli import build_parser
from scorecards_sync.cortex.secret import ENV_API_KEY, ENV_API_KEY_FILE

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser, _ = build_parser()
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def _section(name: str) -> str:
    text = _doc()
    start = text.index(f"### `{name}")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("name", config.setting_names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` |" in _doc()


def test_every_environment_variable_is_documented() -> None:
    specs = [*config._SETTINGS.values(), *config._THRESHOLDS.values()]
    variables = {spec.env for spec in specs if spec.env}
    variables |= {ENV_API_KEY, ENV_API_KEY_FILE, config.ENV_CONFIG, "NO_COLOR"}
    missing = sorted(v for v in variables if f"`{v}`" not in _doc())
    assert not missing


def test_the_flags_of_every_command_are_in_its_section() -> None:
    parser, _ = build_parser()
    global_flags = {o for a in parser._actions for o in a.option_strings}
    missing = sorted(f for f in global_flags if f"`{f}`" not in _doc())
    for name, sub in _commands().items():
        section = _section(name)
        for action in sub._actions:
            for flag in action.option_strings:
                if flag in global_flags:
                    continue
                if f"`{flag}" not in section:
                    missing.append(f"{name} {flag}")
    assert not missing, missing


EXAMPLES = DOC.parents[1] / "examples"


def test_the_example_config_file_is_read_without_error(tmp_path: Path) -> None:
    settings = config.resolve_settings(
        {}, {}, cwd=tmp_path, config_file=EXAMPLES / ".scorecards-sync.yaml"
    )
    assert settings.managed == ("platform-*",)
    assert settings.thresholds.max_deletes == 5
    assert settings.paths[0].endswith(".cortex/scorecards")


def test_the_example_pre_commit_config_uses_the_hook_pinned_to_a_sha() -> None:
    import yaml

    example = yaml.safe_load((EXAMPLES / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hooks] = yaml.safe_load((DOC.parents[1] / ".pre-commit-hooks.yaml").read_text("utf-8"))
    [repo] = example["repos"]
    assert repo["rev"] == "<40-character commit SHA>"
    assert [hook["id"] for hook in repo["hooks"]] == [hooks["id"]]
