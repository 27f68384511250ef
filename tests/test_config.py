"""Settings: flags > environment > config file > defaults; errors name file, line and key."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from cli_runner import run_cli

from scorecards_sync import config
from scorecards_sync.cli import main
from scorecards_sync.config import (
    Settings,
    find_root,
    resolve_settings,
)
from scorecards_sync.console import Console
from scorecards_sync.cortex.http import DEFAULT_BASE_URL
from scorecards_sync.errors import ConfigError
from scorecards_sync.plan import Thresholds

DATA = Path(__file__).parent / "data" / "config"
CANARY = "canary-key-5f3a9c1e-do-not-print"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_config(tmp_path: Path) -> None:
    settings = resolve_settings({}, {}, cwd=tmp_path)
    assert settings.paths == (".cortex/scorecards",)
    assert settings.managed == ()
    assert settings.prune is False
    assert settings.thresholds == Thresholds(0.30, 0.30, 10, None)
    assert settings.concurrency == 16
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.rate_limit == 1000
    assert settings.api_key is None
    assert settings.config_file is None
    assert settings.source("paths") == "default"


def test_yaml_file_values_and_sources(tmp_path: Path) -> None:
    _write(
        tmp_path / ".scorecards-sync.yaml",
        "paths: [scorecards]\n"
        "managed: ['platform-*', team-a-*]\n"
        "prune: true\n"
        "thresholds:\n"
        "  max_delete_share: 0.5\n"
        "  max_deletes: 3\n"
        "concurrency: 2\n"
        "base_url: https://cortex.example.com/\n"
        "rate_limit: 500\n",
    )
    settings = resolve_settings({}, {}, cwd=tmp_path)
    assert settings.config_file == ".scorecards-sync.yaml"
    assert settings.paths == ("scorecards",)
    assert settings.managed == ("platform-*", "team-a-*")
    assert settings.prune is True
    assert settings.thresholds == Thresholds(0.30, 0.5, 10, 3)
    assert settings.concurrency == 2
    assert settings.base_url == "https://cortex.example.com"
    assert settings.rate_limit == 500
    assert settings.source("prune") == "file .scorecards-sync.yaml:3:1"
    assert settings.source("thresholds.max_deletes") == "file .scorecards-sync.yaml:6:3"
    assert settings.source("thresholds.min_managed") == "default"


def test_flags_override_environment_which_overrides_file(tmp_path: Path) -> None:
    _write(tmp_path / ".scorecards-sync.yaml", "concurrency: 2\nrate_limit: 100\nprune: true\n")
    env = {
        "SCORECARDS_SYNC_CONCURRENCY": "3",
        "SCORECARDS_SYNC_RATE_LIMIT": "200",
        "CORTEX_BASE_URL": "http://127.0.0.1:9",
    }
    settings = resolve_settings({"concurrency": 4, "prune": None}, env, cwd=tmp_path)
    assert settings.concurrency == 4
    assert settings.source("concurrency") == "flag"
    assert settings.rate_limit == 200
    assert settings.source("rate_limit") == "env SCORECARDS_SYNC_RATE_LIMIT"
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.source("base_url") == "env CORTEX_BASE_URL"
    assert settings.prune is True  # a flag left unset (None) does not override
    assert settings.source("prune").startswith("file .scorecards-sync.yaml")


def test_environment_lists_are_comma_separated(tmp_path: Path) -> None:
    env = {"SCORECARDS_SYNC_MANAGED": "a-*, b-*", "SCORECARDS_SYNC_PRUNE": "yes"}
    settings = resolve_settings({}, env, cwd=tmp_path)
    assert settings.managed == ("a-*", "b-*")
    assert settings.prune is True


def test_a_mistyped_variable_is_named_with_the_one_meant(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"SCORECARDS_SYNC_CONCURENCY": "4", "SCORECARDS_SYNC_MERGED_PR_DELAYS": "0"}
    settings = resolve_settings({}, env, cwd=tmp_path)
    assert settings.concurrency == Settings().concurrency
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "ignoring unknown environment variable SCORECARDS_SYNC_CONCURENCY; "
        "did you mean SCORECARDS_SYNC_CONCURRENCY?"
    ]


def test_no_variable_the_product_its_action_or_its_examples_set_is_called_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The GitLab example sets SCORECARDS_SYNC_ENVIRONMENT for every job, action.yml sets
    SCORECARDS_SYNC_ACTION_RUNNER for every run: neither may be warned about as a typo."""
    root = Path(__file__).resolve().parents[1]
    files = [
        root / "action.yml",
        root / "README.md",
        *(root / "docs").glob("*.md"),
        *(root / "scripts").iterdir(),
        *(p for p in (root / "examples").rglob("*") if p.is_file()),
        *(root / "scorecards_sync").rglob("*.py"),
    ]
    names = {
        name
        for path in files
        for name in re.findall(r"\bSCORECARDS_SYNC_[A-Z][A-Z_]*[A-Z]\b", path.read_text("utf-8"))
    }
    assert {"SCORECARDS_SYNC_ENVIRONMENT", "SCORECARDS_SYNC_ACTION_RUNNER"} <= names
    # The settings' own variables are known by definition (and "1" is no config file).
    settings = {spec.env for spec in (*config._SETTINGS.values(), *config._THRESHOLDS.values())}
    others = sorted(names - settings - {config.ENV_CONFIG, config.ENV_WORKSPACE})
    resolve_settings({}, dict.fromkeys(others, "1"), cwd=tmp_path)
    unknown = [r.getMessage() for r in caplog.records if "unknown environment" in r.getMessage()]
    assert unknown == []


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SCORECARDS_SYNC_CONCURRENCY: expected a whole"):
        resolve_settings({}, {"SCORECARDS_SYNC_CONCURRENCY": "many"}, cwd=tmp_path)


def test_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--concurrency: expected a whole number between 1"):
        resolve_settings({"concurrency": 0}, {}, cwd=tmp_path)


BAD_FILES = sorted(DATA.glob("*.yaml"))


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_config_file_names_file_line_and_key(path: Path, tmp_path: Path) -> None:
    first_line = path.read_bytes().splitlines()[0].decode("utf-8")
    match = re.fullmatch(r"# expect: (\d+):(\d+) (.+)", first_line)
    assert match, f"{path.name} must start with '# expect: LINE:COL message'"
    line, column, message = match.groups()
    target = tmp_path / ".scorecards-sync.yaml"
    target.write_bytes(path.read_bytes())
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    text = str(caught.value)
    assert text.startswith(f".scorecards-sync.yaml:{line}:{column}: "), text
    assert message in text


def test_config_error_is_a_usage_error_exit_64(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".scorecards-sync.yaml", "prunne: true\n")
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert main(["config"], Console(io.StringIO(), err)) == 64
    assert "error: .scorecards-sync.yaml:1:1: unknown setting `prunne`" in err.getvalue()


def test_empty_or_comment_only_file_is_no_settings(tmp_path: Path) -> None:
    _write(tmp_path / ".scorecards-sync.yaml", "# nothing configured yet\n")
    settings = resolve_settings({}, {}, cwd=tmp_path)
    assert settings.config_file == ".scorecards-sync.yaml"
    assert settings.paths == (".cortex/scorecards",)


def test_pyproject_table(tmp_path: Path) -> None:
    _write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.scorecards-sync]\npaths = ["cards"]\n'
        'managed = ["svc-*"]\n\n[tool.scorecards-sync.thresholds]\nmax_deletes = 2\n',
    )
    settings = resolve_settings({}, {}, cwd=tmp_path)
    assert settings.config_file == "pyproject.toml"
    assert settings.paths == ("cards",)
    assert settings.managed == ("svc-*",)
    assert settings.thresholds.max_deletes == 2
    assert settings.source("thresholds.max_deletes") == "file pyproject.toml:9:1"


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("[tool.scorecards-sync]\npaths = ['a']\nprunne = true\n", ":3:1", "unknown setting"),
        ("[tool.scorecards-sync.thresholds]\nmax_update_share = 2\n", ":2:1", "between 0 and 1"),
        ("[tool.scorecards-sync]\nthresholds = { min_managd = 1 }\n", ":2:1", "min_managd"),
        ("[tool.scorecards-sync]\nconcurrency = '4x'\n", ":2:1", "whole number"),
    ],
)
def test_pyproject_errors_name_line_and_key(
    tmp_path: Path, body: str, where: str, message: str
) -> None:
    _write(tmp_path / "pyproject.toml", body)
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    assert str(caught.value).startswith(f"pyproject.toml{where}: ")
    assert message in str(caught.value)


def test_yaml_file_wins_over_pyproject(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", "[tool.scorecards-sync]\nconcurrency = 5\n")
    _write(tmp_path / ".scorecards-sync.yaml", "concurrency: 6\n")
    assert resolve_settings({}, {}, cwd=tmp_path).concurrency == 6


def test_file_is_found_at_repository_root_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path / ".scorecards-sync.yaml", "paths: [cards]\n")
    below = tmp_path / "docs" / "deep"
    below.mkdir(parents=True)
    assert find_root(below) == tmp_path.resolve()
    settings = resolve_settings({}, {}, cwd=below)
    assert settings.config_file == "../../.scorecards-sync.yaml"
    assert Path(below, settings.paths[0]).resolve() == (tmp_path / "cards").resolve()
    # Paths given as flags are the user's own, relative to where they ran the command.
    assert resolve_settings({"paths": ["here"]}, {}, cwd=below).paths == ("here",)


def test_explicit_config_file(tmp_path: Path) -> None:
    other = _write(tmp_path / "conf" / "sync.yaml", "rate_limit: 60\n")
    settings = resolve_settings({}, {}, cwd=tmp_path, config_file=other)
    assert settings.rate_limit == 60
    assert settings.config_file == "conf/sync.yaml"
    env_settings = resolve_settings({}, {"SCORECARDS_SYNC_CONFIG": str(other)}, cwd=tmp_path)
    assert env_settings.rate_limit == 60
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_settings({}, {}, cwd=tmp_path, config_file=tmp_path / "missing.yaml")


def test_api_key_from_environment_or_file_and_never_in_repr(tmp_path: Path) -> None:
    settings = resolve_settings({}, {"CORTEX_API_KEY": CANARY}, cwd=tmp_path)
    assert settings.api_key is not None and settings.api_key.reveal() == CANARY
    assert settings.source("api_key") == "env CORTEX_API_KEY"
    assert CANARY not in repr(settings)
    assert CANARY not in str(settings)
    key_file = _write(tmp_path / "key.txt", CANARY + "\n")
    from_file = resolve_settings({}, {"CORTEX_API_KEY_FILE": str(key_file)}, cwd=tmp_path)
    assert from_file.require_api_key().reveal() == CANARY
    assert from_file.source("api_key") == "env CORTEX_API_KEY_FILE"


def test_missing_api_key_is_an_actionable_error(tmp_path: Path) -> None:
    settings = resolve_settings({}, {}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="CORTEX_API_KEY"):
        settings.require_api_key()


def test_settings_is_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.prune = True  # type: ignore[misc]


def _run_config(argv: list[str]) -> tuple[int, str, str]:
    ran = run_cli("config", *argv)
    return ran.code, ran.out, ran.err


def test_config_command_shows_values_sources_and_redacts_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".scorecards-sync.yaml", "paths: [cards]\nthresholds:\n  max_deletes: 4\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)
    monkeypatch.setenv("SCORECARDS_SYNC_RATE_LIMIT", "300")
    code, out, err = _run_config(["--concurrency", "3"])
    assert code == 0, err
    assert CANARY not in out + err
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert out.splitlines()[0] == "config file: .scorecards-sync.yaml"
    assert "cards" in lines["paths"] and "(file .scorecards-sync.yaml:1:1)" in lines["paths"]
    assert "3" in lines["concurrency"] and "(flag)" in lines["concurrency"]
    assert "(env SCORECARDS_SYNC_RATE_LIMIT)" in lines["rate_limit"]
    assert "4" in lines["thresholds.max_deletes"]
    assert "***" in lines["api_key"] and "(env CORTEX_API_KEY)" in lines["api_key"]
    assert "(default)" in lines["base_url"] and DEFAULT_BASE_URL in lines["base_url"]


def test_config_command_json_and_key_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORTEX_API_KEY", raising=False)
    monkeypatch.delenv("CORTEX_API_KEY_FILE", raising=False)
    code, out, _ = _run_config(["--format", "json", "--prune"])
    assert code == 0
    body = json.loads(out)
    assert body["config_file"] is None
    assert body["settings"]["api_key"] == {"value": "(not set)", "source": "default"}
    assert body["settings"]["prune"] == {"value": True, "source": "flag"}
    assert body["settings"]["thresholds.max_update_share"]["value"] == 0.3


PYPROJECTS = DATA / "pyproject"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-utf8.toml", "cannot read pyproject.toml: it is not UTF-8 text (byte 37)"),
        ("not-toml.toml", "pyproject.toml is not valid TOML: "),
    ],
)
def test_unreadable_pyproject_is_a_config_error_naming_it(
    tmp_path: Path, name: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_bytes((PYPROJECTS / name).read_bytes())
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    assert str(caught.value).startswith(message)
    explicit = tmp_path / "sub" / "pyproject.toml"
    explicit.parent.mkdir()
    explicit.write_bytes((PYPROJECTS / name).read_bytes())
    with pytest.raises(ConfigError, match=r"sub/pyproject\.toml"):
        resolve_settings({}, {}, cwd=tmp_path, config_file=explicit)


def test_pyproject_whose_tool_is_not_a_table_holds_no_settings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes((PYPROJECTS / "tool-not-a-table.toml").read_bytes())
    settings = resolve_settings({}, {}, cwd=tmp_path)
    assert settings.config_file is None and settings.concurrency == 16


@pytest.mark.parametrize(
    "url", ["https://robot:hunter2-secret@cortex.example.com", "https://hunter2-secret@x.example"]
)
def test_credentials_in_the_base_url_are_refused_without_showing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    for flags, env, where in (
        ({"base_url": url}, {}, "--base-url: "),
        ({}, {"CORTEX_BASE_URL": url}, "environment variable CORTEX_BASE_URL: "),
    ):
        with pytest.raises(ConfigError) as caught:
            resolve_settings(flags, env, cwd=tmp_path)
        assert str(caught.value).startswith(where)
        assert "put credentials in CORTEX_API_KEY, not in the URL" in str(caught.value)
        assert "hunter2" not in str(caught.value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORTEX_BASE_URL", raising=False)
    ran = run_cli("config", "--base-url", url)
    assert ran.code == 64
    assert "hunter2" not in ran.out + ran.err


def test_every_problem_of_the_config_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / ".scorecards-sync.yaml").write_bytes((DATA / "several-problems.yaml").read_bytes())
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f".scorecards-sync.yaml:{where}" for where in ("2:1", "6:21", "7:3", "8:1", "9:1")
    ]
    assert "unknown setting `prunne`" in lines[0]
    assert "`thresholds.max_delete_share`: expected a number between 0 and 1" in lines[1]
    assert "unknown setting `thresholds.min_managd`" in lines[2]
    assert "`api_key`: the API key never goes in a config file" in lines[3]
    assert "duplicate key `concurrency` (first defined at line 3)" in lines[4]


def test_every_problem_of_the_pyproject_table_is_reported_at_once(tmp_path: Path) -> None:
    _write(
        tmp_path / "pyproject.toml",
        "[tool.scorecards-sync]\nconcurrency = 0\nprunne = true\n\n"
        "[tool.scorecards-sync.thresholds]\nmax_update_share = 2\n",
    )
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "pyproject.toml:2:1",
        "pyproject.toml:3:1",
        "pyproject.toml:6:1",
    ]


def test_the_cli_shows_every_config_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".scorecards-sync.yaml", "prunne: true\nretries: many\n")
    monkeypatch.chdir(tmp_path)
    ran = run_cli("config")
    assert ran.code == 64
    assert ran.err.splitlines() == [
        "error: .scorecards-sync.yaml:1:1: unknown setting `prunne` (did you mean `prune`?); "
        "known: paths, managed, prune, concurrency, base_url, rate_limit, retries, thresholds, "
        "workspaces",
        ".scorecards-sync.yaml:2:10: `retries`: expected a whole number",
    ]
