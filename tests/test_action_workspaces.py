"""The Action with `all-workspaces: true`: one plan comment with a section per workspace,
and on the merge each reviewed section applied to its own Cortex with its own key (two
loopback emulators, two keys, the fake GitHub on loopback, a real git repository).

In process (`commands.action.execute`), like tests/test_action_plan_failures.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_runner import ladder_card
from test_action import PR_NUMBER, REPOSITORY, World
from test_action import world as world

from scorecards_sync.commands.action import execute
from scorecards_sync.console import Console
from scorecards_sync.emulator import ALL_PERMISSIONS, Emulator
from scorecards_sync.errors import ConfigError, UsageError
from scorecards_sync.github.action_inputs import ActionInputs
from scorecards_sync.review.sticky import parse_marker
from scorecards_sync.review.workspaces_step import reviewed_sections

STAGING_KEY = "staging-key-for-the-action-0b3f"
PRODUCTION_KEY = "production-key-for-the-action-9d21"
CONFIG = """\
workspaces:
  staging: {{base_url: "{staging}", api_key_env: CORTEX_KEY_STAGING, paths: [staging]}}
  production: {{base_url: "{production}", api_key_env: CORTEX_KEY_PRODUCTION, paths: [prod]}}
"""


@dataclass
class Two:
    world: World
    staging: Emulator
    production: Emulator
    keys: dict[str, str]

    def run(self, event: str, payload: Mapping[str, object], sha: str, command: str) -> int:
        environ = {
            **self.world.step_environ(
                event,
                payload,
                sha,
                command=command,
                all_workspaces="true",
                github_token=self.world.github.token,
            ),
            **self.keys,
        }
        self.out, self.err = io.StringIO(), io.StringIO()
        return execute(environ, Console(self.out, self.err))

    @property
    def log(self) -> str:
        return self.out.getvalue() + self.err.getvalue()


@pytest.fixture
def two(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Two]:
    staging = Emulator(api_keys={STAGING_KEY: ALL_PERMISSIONS})
    production = Emulator(api_keys={PRODUCTION_KEY: ALL_PERMISSIONS})
    with staging.serve() as staging_server, production.serve() as production_server:
        (world.repo / ".scorecards-sync.yaml").write_text(
            CONFIG.format(staging=staging_server.base_url, production=production_server.base_url),
            encoding="utf-8",
        )
        monkeypatch.chdir(world.repo)
        keys = {"CORTEX_KEY_STAGING": STAGING_KEY, "CORTEX_KEY_PRODUCTION": PRODUCTION_KEY}
        yield Two(world, staging, production, keys)


def write(repo: Path, folder: str, tag: str) -> None:
    (repo / folder).mkdir(exist_ok=True)
    (repo / folder / f"{tag}.yaml").write_text(ladder_card(tag), encoding="utf-8")


def reviewed_branch(two: Two) -> tuple[str, str]:
    world = two.world
    base = world.commit("the workspaces")
    world.git("switch", "-q", "-c", "both")
    write(world.repo, "staging", "alpha")
    write(world.repo, "prod", "beta")
    head = world.commit("alpha to staging, beta to production")
    return base, head


def test_a_two_workspace_plan_in_one_comment_is_applied_to_both(two: Two) -> None:
    world = two.world
    base, head = reviewed_branch(two)
    assert two.run("pull_request", world.pull_request(base, head), head, "plan") == 0, two.log
    [comment] = world.comments()
    sections = reviewed_sections(comment["body"])
    assert set(sections) == {"staging", "production"} and all(sections.values())
    marker = parse_marker(comment["body"])
    assert marker is not None and marker.checksum.startswith("sha256:")

    world.git("switch", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", "Merge pull request #42", "both")
    merged = world.git("rev-parse", "HEAD")
    world.github.add_pull(REPOSITORY, merged, PR_NUMBER)
    assert two.run("push", world.push(base, merged), merged, "apply") == 0, two.log
    assert two.staging.tags() == ["alpha"] and two.production.tags() == ["beta"]
    assert "Scorecards applied · every workspace" in world.comments()[-1]["body"]
    everything = two.log + "".join(c["body"] for c in world.comments())
    assert STAGING_KEY not in everything and PRODUCTION_KEY not in everything


def test_a_missing_key_names_the_workspaces_variable(two: Two) -> None:
    world = two.world
    base, head = reviewed_branch(two)
    del two.keys["CORTEX_KEY_PRODUCTION"]
    assert two.run("pull_request", world.pull_request(base, head), head, "plan") == 1
    assert "workspace production" in two.log and "CORTEX_KEY_PRODUCTION" in two.log
    [comment] = world.comments()
    marker = parse_marker(comment["body"])
    assert marker is not None and marker.checksum == ""


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"INPUT_ALL_WORKSPACES": "yes"}, "input all-workspaces: expected true or false"),
        (
            {"INPUT_ALL_WORKSPACES": "true", "INPUT_COMMAND": "drift"},
            "all-workspaces goes with command plan or apply",
        ),
    ],
)
def test_the_all_workspaces_input_is_checked(given: dict[str, str], said: str) -> None:
    with pytest.raises(UsageError, match=said):
        ActionInputs.from_env(given)


def test_a_config_file_broken_after_review_withdraws_the_checksum(two: Two) -> None:
    """The workspaces come from the config file: when it no longer reads, the run fails
    before it knows its comment, and an earlier plan must not stand as reviewed."""
    world = two.world
    base, head = reviewed_branch(two)
    assert two.run("pull_request", world.pull_request(base, head), head, "plan") == 0, two.log
    (world.repo / ".scorecards-sync.yaml").write_text("workspaces: [\n", encoding="utf-8")
    head = world.commit("a broken config")
    with pytest.raises(ConfigError):
        two.run("pull_request", world.pull_request(base, head), head, "plan")
    [comment] = world.comments()
    marker = parse_marker(comment["body"])
    assert marker is not None and marker.checksum == ""
    assert not any(reviewed_sections(comment["body"]).values())
