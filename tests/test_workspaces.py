"""Named workspaces: resolution and precedence, keys from the variable a workspace names,
saved plans bound to their workspace, and plan + apply against two Cortex instances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import enter_workdir, rule_card, run_cli

from scorecards_sync.config import resolve_settings
from scorecards_sync.cortex.http import DEFAULT_BASE_URL
from scorecards_sync.emulator import Emulator
from scorecards_sync.errors import ConfigError
from scorecards_sync.plan import Thresholds

STAGING_KEY = "staging-key-3b7e51d0-do-not-print"
PRODUCTION_KEY = "production-key-91c2aa4f-do-not-print"

CONFIG = """\
paths: [cards]
managed: ["team-*"]
concurrency: 4
thresholds:
  max_deletes: 2
workspaces:
  staging: {base_url: "https://api.staging.example", api_key_env: CORTEX_API_KEY_STAGING}
  production:
    base_url: https://api.getcortexapp.com
    api_key_env: CORTEX_API_KEY_PRODUCTION
    managed: ["platform-*"]
    prune: true
    concurrency: 2
    thresholds:
      max_delete_share: 0.1
"""


def _config(folder: Path, text: str = CONFIG) -> Path:
    (folder / ".scorecards-sync.yaml").write_text(text, encoding="utf-8")
    return folder


def test_without_a_workspace_the_top_level_applies(tmp_path: Path) -> None:
    settings = resolve_settings({}, {}, cwd=_config(tmp_path))
    assert settings.workspace is None
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.managed == ("team-*",)
    assert settings.source("workspace") == "default"


def test_a_workspace_overrides_the_top_level_and_keeps_the_rest(tmp_path: Path) -> None:
    settings = resolve_settings({"workspace": "production"}, {}, cwd=_config(tmp_path))
    assert settings.workspace == "production"
    assert settings.base_url == "https://api.getcortexapp.com"
    assert settings.managed == ("platform-*",)
    assert settings.prune is True
    assert settings.concurrency == 2
    # A workspace's thresholds table overrides key by key; the rest comes from the top.
    assert settings.thresholds == Thresholds(0.30, 0.1, 10, 2)
    assert settings.paths == ("cards",)
    assert settings.source("workspace") == "flag"
    assert settings.source("managed") == "file .scorecards-sync.yaml:11:5 (workspace production)"
    assert settings.source("paths") == "file .scorecards-sync.yaml:1:1"
    assert settings.source("thresholds.max_deletes") == "file .scorecards-sync.yaml:5:3"


def test_precedence_flag_then_environment_then_workspace_then_file(tmp_path: Path) -> None:
    _config(tmp_path)
    env = {"SCORECARDS_SYNC_WORKSPACE": "production", "SCORECARDS_SYNC_CONCURRENCY": "8"}
    from_env = resolve_settings({}, env, cwd=tmp_path)
    assert from_env.workspace == "production"
    assert from_env.source("workspace") == "env SCORECARDS_SYNC_WORKSPACE"
    assert from_env.concurrency == 8  # environment beats the workspace
    assert from_env.managed == ("platform-*",)  # workspace beats the top level
    flagged = resolve_settings(
        {"workspace": "staging", "concurrency": 3, "base_url": "https://other.example"},
        env,
        cwd=tmp_path,
    )
    assert flagged.workspace == "staging"  # the flag beats SCORECARDS_SYNC_WORKSPACE
    assert flagged.concurrency == 3
    assert flagged.base_url == "https://other.example"
    assert flagged.managed == ("team-*",)  # staging overrides nothing: the top level holds


def test_the_key_comes_only_from_the_variable_the_workspace_names(tmp_path: Path) -> None:
    _config(tmp_path)
    env = {"CORTEX_API_KEY": PRODUCTION_KEY, "CORTEX_API_KEY_STAGING": STAGING_KEY}
    staging = resolve_settings({"workspace": "staging"}, env, cwd=tmp_path)
    assert staging.api_key is not None and staging.api_key.reveal() == STAGING_KEY
    assert staging.source("api_key") == "env CORTEX_API_KEY_STAGING (workspace staging)"
    # CORTEX_API_KEY is not production's variable: it is not used for it.
    production = resolve_settings({"workspace": "production"}, env, cwd=tmp_path)
    assert production.api_key is None
    with pytest.raises(ConfigError) as caught:
        production.require_api_key()
    message = str(caught.value)
    assert "CORTEX_API_KEY_PRODUCTION" in message and "'production'" in message
    assert PRODUCTION_KEY not in message and STAGING_KEY not in message


def test_unknown_workspace_is_a_usage_error_naming_the_closest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(_config(tmp_path), monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    ran = run_cli("plan", "--workspace", "prodution")
    assert ran.code == 64
    assert "unknown workspace 'prodution' (did you mean `production`?)" in ran.err
    monkeypatch.setenv("SCORECARDS_SYNC_WORKSPACE", "stagng")
    ran = run_cli("config")
    assert ran.code == 64
    assert "SCORECARDS_SYNC_WORKSPACE: unknown workspace 'stagng'" in ran.err
    assert "did you mean `staging`?" in ran.err


def test_a_workspace_without_any_workspaces_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    ran = run_cli("config", "--workspace", "staging")
    assert ran.code == 64
    assert "no workspaces are defined" in ran.err


def test_config_shows_the_workspace_and_where_each_value_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enter_workdir(_config(tmp_path), monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    monkeypatch.setenv("CORTEX_API_KEY_STAGING", STAGING_KEY)
    ran = run_cli("config", "--workspace", "staging", "--format", "json")
    assert ran.code == 0, ran.err
    body = json.loads(ran.out)["settings"]
    assert body["workspace"] == {"value": "staging", "source": "flag"}
    assert body["base_url"] == {
        "value": "https://api.staging.example",
        "source": "file .scorecards-sync.yaml:7:13 (workspace staging)",
    }
    assert body["api_key"] == {
        "value": "***",
        "source": "env CORTEX_API_KEY_STAGING (workspace staging)",
    }
    text = run_cli("config", "--workspace", "production")
    assert text.code == 0
    assert "workspace production (flag)" in " ".join(text.out.split())
    assert "workspace production: env CORTEX_API_KEY_PRODUCTION is not set" in text.out
    assert STAGING_KEY not in ran.out + ran.err + text.out + text.err


def test_every_problem_of_the_workspaces_is_reported_at_once(tmp_path: Path) -> None:
    _config(
        tmp_path,
        "workspaces:\n"
        "  staging:\n"
        "    base_url: nowhere\n"
        "    api_key_env: CORTEX_API_KEY_STAGING\n"
        "  production:\n"
        "    base_url: https://api.getcortexapp.com\n"
        "    prunne: true\n"
        "  'bad name':\n"
        "    base_url: https://api.getcortexapp.com\n"
        "    api_key_env: X\n",
    )
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, {}, cwd=tmp_path)
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        ".scorecards-sync.yaml:3:15",
        ".scorecards-sync.yaml:5:3",
        ".scorecards-sync.yaml:7:5",
        ".scorecards-sync.yaml:8:3",
    ]
    assert "workspace `production` needs `api_key_env`" in lines[1]
    assert "(did you mean `prune`?)" in lines[2]


# --- plans and applies against two Cortex instances ---

TWO_EMULATORS = """\
paths: [cards]
workspaces:
  staging: {{base_url: "{staging}", api_key_env: CORTEX_API_KEY_STAGING}}
  production: {{base_url: "{production}", api_key_env: CORTEX_API_KEY_PRODUCTION}}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "alpha.yaml").write_text(rule_card("alpha"), encoding="utf-8")
    monkeypatch.setenv("CORTEX_API_KEY_STAGING", STAGING_KEY)
    monkeypatch.setenv("CORTEX_API_KEY_PRODUCTION", PRODUCTION_KEY)
    return tmp_path


@dataclass(frozen=True)
class TwoWorkspaces:
    """Staging and production: an emulator each, served, that accepts only its own key."""

    staging: Emulator
    production: Emulator
    staging_url: str
    production_url: str


@pytest.fixture
def two(repo: Path) -> Iterator[TwoWorkspaces]:
    staging = Emulator(api_keys={STAGING_KEY: frozenset({"view", "edit"})})
    production = Emulator(api_keys={PRODUCTION_KEY: frozenset({"view", "edit"})})
    with staging.serve() as staging_server, production.serve() as production_server:
        urls = {"staging": staging_server.base_url, "production": production_server.base_url}
        _config(repo, TWO_EMULATORS.format(**urls))
        yield TwoWorkspaces(staging, production, urls["staging"], urls["production"])


def test_plan_and_apply_each_workspace_with_its_own_key(repo: Path, two: TwoWorkspaces) -> None:
    planned = run_cli("plan", "--workspace", "staging", "--out", "staging.json")
    assert planned.code == 0, planned.err
    saved = json.loads((repo / "staging.json").read_text(encoding="utf-8"))
    assert saved["workspace"] == "staging"
    assert saved["base_url"] == two.staging_url
    applied = run_cli("apply", "--plan", "staging.json", "--workspace", "staging")
    assert applied.code == 0, applied.err
    assert two.staging.tags() == ["alpha"] and two.production.tags() == []

    # The same commit promoted: production gets it with production's key.
    promoted = run_cli("apply", "--workspace", "production", "--auto-approve")
    assert promoted.code == 0, promoted.err
    assert two.production.tags() == ["alpha"]
    again = run_cli("plan", "--workspace", "production", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    everything = "".join(
        [planned.out, planned.err, applied.out, applied.err, promoted.out, promoted.err]
    )
    assert STAGING_KEY not in everything and PRODUCTION_KEY not in everything
    assert STAGING_KEY not in (repo / "staging.json").read_text(encoding="utf-8")


def test_a_saved_plan_is_refused_by_another_workspace(
    repo: Path, two: TwoWorkspaces, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("plan", "--workspace", "staging", "--out", "plan.json").code == 0
    refused = run_cli("apply", "--plan", "plan.json", "--workspace", "production")
    assert refused.code == 1
    assert (
        f"the plan plan.json was made for workspace 'staging' ({two.staging_url}), "
        f"but this run targets workspace 'production' ({two.production_url})"
    ) in refused.err
    assert "Run: scorecards-sync apply --plan plan.json --workspace staging" in refused.err
    # Without a workspace the plan is refused too, with the same way out.
    assert "--workspace staging" in run_cli("apply", "--plan", "plan.json").err
    assert two.production.tags() == [] and two.staging.tags() == []

    # A plan made without a workspace is refused by one chosen in the environment.
    monkeypatch.setenv("CORTEX_API_KEY", STAGING_KEY)
    base = ("--base-url", two.staging_url)
    assert run_cli("plan", *base, "--out", "plain.json").code == 0
    monkeypatch.setenv("SCORECARDS_SYNC_WORKSPACE", "staging")
    plain = run_cli("apply", "--plan", "plain.json", *base)
    assert plain.code == 1
    assert "made for no workspace" in plain.err
    assert (
        "Run: env -u SCORECARDS_SYNC_WORKSPACE scorecards-sync apply --plan plain.json" in plain.err
    )
    assert two.staging.tags() == []


def test_a_missing_key_variable_is_named_in_the_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(repo, TWO_EMULATORS.format(staging="http://127.0.0.1:9", production=DEFAULT_BASE_URL))
    monkeypatch.delenv("CORTEX_API_KEY_PRODUCTION")
    monkeypatch.setenv("CORTEX_API_KEY", PRODUCTION_KEY)  # not production's variable
    ran = run_cli("plan", "--workspace", "production")
    assert ran.code == 64
    assert "no Cortex API key for workspace 'production'" in ran.err
    assert "CORTEX_API_KEY_PRODUCTION" in ran.err
    assert PRODUCTION_KEY not in ran.out + ran.err


def test_plan_all_workspaces_plans_each_in_turn(
    repo: Path, two: TwoWorkspaces, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("apply", "--workspace", "staging", "--auto-approve").code == 0
    ran = run_cli("plan", "--all-workspaces", "--format", "json", "--detailed-exitcode")
    assert ran.code == 2, ran.err  # production has a change, nothing failed
    body = json.loads(ran.out)["workspaces"]
    assert list(body) == ["staging", "production"]
    assert body["staging"]["has_changes"] is False
    assert body["staging"]["base_url"] == two.staging_url
    assert body["production"]["has_changes"] is True
    assert body["production"]["workspace"] == "production"
    assert [c["action"] for c in body["production"]["changes"]] == ["create"]

    text = run_cli("plan", "--all-workspaces")
    assert text.code == 0, text.err
    assert text.out.index("=== workspace staging ===") < text.out.index(
        "=== workspace production ==="
    )
    assert text.out.count("Plan checksum: sha256:") == 2

    # A workspace that fails (its key is missing) does not hide the other: exit 1.
    monkeypatch.delenv("CORTEX_API_KEY_STAGING")
    failed = run_cli("plan", "--all-workspaces", "--format", "json")
    assert failed.code == 1
    body = json.loads(failed.out)["workspaces"]
    assert "CORTEX_API_KEY_STAGING" in body["staging"]["error"]
    assert body["production"]["has_changes"] is True
    assert "error: workspace staging: no Cortex API key" in failed.err
    assert STAGING_KEY not in failed.out + failed.err
    assert PRODUCTION_KEY not in ran.out + text.out + failed.out + failed.err
    assert two.production.tags() == []  # plans never write


def test_plan_all_workspaces_usage_errors(repo: Path) -> None:
    _config(repo, TWO_EMULATORS.format(staging="http://127.0.0.1:9", production=DEFAULT_BASE_URL))
    both = run_cli("plan", "--all-workspaces", "--workspace", "staging")
    assert both.code == 64 and "not both" in both.err
    out = run_cli("plan", "--all-workspaces", "--out", "p.json")
    assert out.code == 64 and "--workspace NAME --out FILE" in out.err
    _config(repo, "paths: [cards]\n")
    none = run_cli("plan", "--all-workspaces")
    assert none.code == 64 and "defines no workspaces" in none.err


def test_a_refused_key_names_the_workspace_variable(repo: Path) -> None:
    production = Emulator(api_keys={"another-key": frozenset({"view", "edit"})})
    with production.serve() as server:
        _config(repo, TWO_EMULATORS.format(staging=DEFAULT_BASE_URL, production=server.base_url))
        ran = run_cli("plan", "--workspace", "production")
    assert ran.code == 1
    assert (
        "Cortex refused the API key (HTTP 401); check CORTEX_API_KEY_PRODUCTION and the base "
        "URL of workspace 'production'"
    ) in ran.err
    assert PRODUCTION_KEY not in ran.out + ran.err
