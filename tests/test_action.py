"""The GitHub Action end to end: action.yml's steps run with bash (tests/action_harness.py)
in a real temporary git repository, against the Cortex emulator and a fake GitHub REST API,
both on loopback.

Each end-to-end run takes seconds (several CLI processes, git, a loopback server): those
are marked `slow`, and the inner loop (`pytest -m "not slow"`) keeps one of them (a bad
input) with the checks of the harness and the inputs.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from action_harness import (
    ActionDefinitionError,
    ActionRun,
    Annotation,
    base_environment,
    check_step,
    load_action,
    parse_file_commands,
    read_commands,
    run_action,
)
from cli_runner import ladder_card
from github_fake import FakeGitHub

from scorecards_sync.commands.action import execute, parse_extra_args
from scorecards_sync.console import Console
from scorecards_sync.emulator import ALL_PERMISSIONS, VIEW, Emulator, Faults
from scorecards_sync.errors import UsageError
from scorecards_sync.github.action import ActionInputs, github_output_text
from scorecards_sync.github.comments import MAX_COMMENT_CHARS, parse_marker
from scorecards_sync.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "github"
KEY = "cortex-key-for-the-action-tests"
VIEW_KEY = "cortex-view-only-key-for-pull-requests"
CANARY = "canary-key-5f0c1e-must-never-show"
TOKEN = "ghs_action-test-token-0123456789"
REPOSITORY = "acme/platform"
DIR = ".cortex/scorecards"
PR_NUMBER = 42
AUTHOR = {
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def card(tag: str, *, level: str = "Bronze", name: str | None = None) -> str:
    return ladder_card(tag, name=name, level=level, ladder_name="Maturity")


# -- a repository, the two fakes, and a way to run the action ---------------------------------


@dataclass
class World:
    repo: Path
    tmp: Path
    github: FakeGitHub
    emulator: Emulator
    cortex_url: str
    env: dict[str, str]
    runs: int = 0
    payloads: dict[str, Any] = field(default_factory=dict)

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args],
            cwd=self.repo,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def write(self, name: str, text: str) -> None:
        target = self.repo / DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def comments(self) -> list[dict[str, Any]]:
        return self.github.comments_of(REPOSITORY, PR_NUMBER)

    def run(
        self,
        event: str,
        payload: Mapping[str, Any],
        sha: str,
        *,
        action_path: Path = ROOT,
        env: Mapping[str, str] | None = None,
        **inputs: str,
    ) -> ActionRun:
        self.runs += 1
        event_file = self.tmp / f"event-{self.runs}.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        given = {
            "cortex-api-key": KEY,
            "cortex-base-url": self.cortex_url,
            "path": DIR,
            **{name.replace("_", "-"): value for name, value in inputs.items()},
        }
        run_env = {
            **self.env,
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": sha,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": str(1000 + self.runs),
            **(env or {}),
        }
        runner_temp = self.tmp / f"runner-{self.runs}"
        runner_temp.mkdir()
        return run_action(
            action_path,
            inputs=given,
            env=run_env,
            workspace=self.repo,
            runner_temp=runner_temp,
            token=self.github.token,
        )

    def step_environ(
        self, event: str, payload: Mapping[str, Any], sha: str, **inputs: str
    ) -> dict[str, str]:
        """The environment action.yml's step gives `scorecards-sync github-action`, for a run
        in this process or a child: the event written to a file, the runner's files in
        `tmp` (`summary.md`, `output.txt`), and each input as `INPUT_NAME`.
        """
        self.runs += 1
        event_file = self.tmp / f"event-{self.runs}.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        return {
            **self.env,
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": sha,
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "GITHUB_OUTPUT": str(self.tmp / "output.txt"),
            "RUNNER_TEMP": str(self.tmp),
            **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        }

    # -- event payloads: the stored samples, pointed at this repository's commits

    def pull_request(self, base: str, head: str, *, fork: bool = False) -> dict[str, Any]:
        name = "pull_request_fork.json" if fork else "pull_request.json"
        payload: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
        payload["number"] = payload["pull_request"]["number"] = PR_NUMBER
        payload["pull_request"]["base"]["sha"] = base
        payload["pull_request"]["head"]["sha"] = head
        return payload

    def push(self, before: str, after: str) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads((DATA / "push_main.json").read_text(encoding="utf-8"))
        payload["before"], payload["after"] = before, after
        payload["head_commit"]["id"] = after
        return payload


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env = base_environment(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CEILING_DIRECTORIES=str(tmp_path),
        # An interpreter that has the package already: the install step then installs nothing
        # (one slow test below runs the real install).
        SCORECARDS_SYNC_ACTION_PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        # Ask GitHub once more, at once, for the merged pull request (not after 1+2+4 s).
        SCORECARDS_SYNC_MERGED_PR_DELAYS="0",
        **AUTHOR,
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    emulator = Emulator(api_keys={KEY: ALL_PERMISSIONS, VIEW_KEY: frozenset({VIEW})})
    with FakeGitHub(token=TOKEN) as github, emulator.serve() as server:
        world = World(repo, tmp_path, github, emulator, server.base_url, env)
        world.git("init", "-q")
        yield world


@dataclass(frozen=True)
class Reviewed:
    base: str
    head: str
    run: ActionRun


def live_alpha_beta(world: World) -> str:
    """main holds alpha and beta, both already in Cortex; returns main's commit."""
    world.write("alpha.yaml", card("alpha"))
    world.write("beta.yaml", card("beta"))
    base = world.commit("alpha and beta")
    world.emulator.put_descriptor(card("alpha"))
    world.emulator.put_descriptor(card("beta"))
    return base


def open_pull_request(world: World) -> Reviewed:
    """A branch that raises alpha's rule to Silver, adds gamma and deletes beta; planned."""
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "raise-readiness")
    world.write("alpha.yaml", card("alpha", level="Silver"))
    world.write("gamma.yaml", card("gamma"))
    (world.repo / DIR / "beta.yaml").unlink()
    head = world.commit("raise alpha, add gamma, retire beta")
    run = world.run("pull_request", world.pull_request(base, head), head)
    assert run.returncode == 0, run.log
    return Reviewed(base, head, run)


def merge(world: World, branch: str = "raise-readiness") -> str:
    world.git("switch", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", "Merge pull request #42", branch)
    merged = world.git("rev-parse", "HEAD")
    world.github.add_pull(REPOSITORY, merged, PR_NUMBER)
    return merged


# -- action.yml itself --------------------------------------------------------------------------


def test_action_is_composite_bash_with_inputs_through_env_only() -> None:
    action = load_action(ROOT / "action.yml")
    steps = action["runs"]["steps"]
    assert set(action["inputs"]) >= {
        "command",
        "path",
        "cortex-api-key",
        "cortex-base-url",
        "github-token",
        "base-ref",
        "comment",
        "auto-approve",
        "args",
    }
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["command"]["default"] == "plan"
    assert set(action["outputs"]) == {
        "has-changes",
        "plan-checksum",
        "plan-json",
        "comment-url",
        "in-sync",
        "issue-url",
    }
    assert action["inputs"]["environment"]["default"] == "cortex"
    assert action["inputs"]["heal"]["default"] == "false"
    assert action["inputs"]["all-workspaces"]["default"] == "false"
    # The key is masked by the first step, before anything else can print it.
    assert "::add-mask::" in steps[0]["run"] and "cortex-api-key" in str(steps[0]["env"])
    assert all("::add-mask::" not in step["run"] for step in steps[1:])
    assert all("cortex-api-key" not in str(step.get("env")) for step in steps[1:-1])


def test_harness_refuses_expressions_inside_scripts() -> None:
    with pytest.raises(ActionDefinitionError, match="env:"):
        check_step({"shell": "bash", "run": 'echo "${{ inputs.path }}"'})
    with pytest.raises(ActionDefinitionError, match="bash"):
        check_step({"shell": "pwsh", "run": "echo hi"})


def test_harness_reads_workflow_commands_as_the_runner_does() -> None:
    read = read_commands(
        "plain\n"
        "   ::warning file=a.yaml::indented still counts\n"
        "  ::add-mask::hidden\n"
        "text ##[error]legacy anywhere in a line\n"
        "::stop-commands::t0k3n\n"
        "::error::not read\n"
        "::add-mask::not a mask\n"
        "  ::t0k3n::  \n"
        "::notice::read again\n"
    )
    assert read.masks == ["hidden"]
    assert read.annotations == [
        Annotation("warning", {"file": "a.yaml"}, "indented still counts"),
        Annotation("error", {}, "legacy anywhere in a line"),
        Annotation("notice", {}, "read again"),
    ]
    assert "::error::not read" in read.log and "::add-mask::not a mask" in read.log


def test_run_step_asks_python_for_utf_8_output() -> None:
    run_step = load_action(ROOT / "action.yml")["runs"]["steps"][-1]
    assert run_step["env"]["PYTHONUTF8"] == "1"
    assert run_step["env"]["PYTHONIOENCODING"] == "utf-8"


def test_output_text_survives_any_value() -> None:
    outputs = {"plan-json": "/tmp/a b/plan.json", "odd": "line one\nname=value\nghadelimiter"}
    assert parse_file_commands(github_output_text(outputs)) == outputs


# -- inputs -------------------------------------------------------------------------------------


def test_inputs_are_checked_and_args_split_like_a_shell() -> None:
    inputs = ActionInputs.from_env(
        {
            "INPUT_COMMAND": "Apply",
            "INPUT_PATH": "cards\n  more cards \n",
            "INPUT_COMMENT": "always",
            "INPUT_AUTO_APPROVE": "false",
            "INPUT_ARGS": "--config 'my config.yaml' --concurrency 2; rm -rf /",
        }
    )
    assert inputs.command == "apply" and inputs.paths == ("cards", "more cards")
    assert inputs.args == ("--config", "my config.yaml", "--concurrency", "2;", "rm", "-rf", "/")
    assert ActionInputs.from_env({}) == ActionInputs()
    for bad in (
        {"INPUT_COMMAND": "destroy"},
        {"INPUT_COMMENT": "sometimes"},
        {"INPUT_AUTO_APPROVE": "yes please"},
        {"INPUT_ARGS": "--config 'unclosed"},
    ):
        with pytest.raises(UsageError):
            ActionInputs.from_env(bad)
    with pytest.raises(UsageError, match="input args"):
        parse_extra_args(["--out", "x.json"])
    assert parse_extra_args(["--force", "--concurrency", "3"]).concurrency == 3


def test_a_bad_input_fails_with_exit_64(world: World) -> None:
    base = live_alpha_beta(world)
    ran = world.run("pull_request", world.pull_request(base, base), base, comment="sometimes")
    assert ran.returncode == 64
    assert "input comment" in ran.log


# -- pull requests ------------------------------------------------------------------------------


@pytest.mark.slow
def test_pull_request_creates_one_comment_then_updates_it_in_place(world: World) -> None:
    first = open_pull_request(world)
    comments = world.comments()
    assert len(comments) == 1
    body = comments[0]["body"]
    marker = parse_marker(body)
    assert marker is not None and marker.path_key == DIR
    outputs = first.run.outputs
    assert outputs["has-changes"] == "true"
    assert outputs["plan-checksum"] == marker.checksum
    assert outputs["comment-url"] == comments[0]["html_url"]
    saved = json.loads(Path(outputs["plan-json"]).read_text(encoding="utf-8"))
    assert Plan.from_json(saved).checksum() == marker.checksum
    for tag in ("alpha", "beta", "gamma"):
        assert tag in body and tag in first.run.summary
    assert "removed since base" in body  # the deletion of beta is planned and shown
    assert "Cortex accepts it" in body  # server-side dry run
    assert "Plan: 1 to create, 1 to update, 1 to delete" in first.run.log
    assert world.emulator.tags() == ["alpha", "beta"]  # a plan writes nothing

    world.write("gamma.yaml", card("gamma", name="Gamma Ray"))
    head = world.commit("rename gamma")
    second = world.run("pull_request", world.pull_request(first.base, head), head)
    assert second.returncode == 0, second.log
    after = world.comments()
    assert [c["id"] for c in after] == [comments[0]["id"]]
    assert "Gamma Ray" in after[0]["body"]
    new_marker = parse_marker(after[0]["body"])
    assert new_marker is not None and new_marker.checksum == second.outputs["plan-checksum"]
    assert new_marker.checksum != marker.checksum
    methods = [r.method for r in world.github.requests if "/comments" in r.path]
    assert methods.count("POST") == 1 and methods.count("PATCH") == 1
    # Neither secret goes anywhere but the mask and the Authorization headers.
    for run in (first.run, second):
        assert run.masks == [KEY]
        for text in (run.log, run.summary, json.dumps(run.outputs), after[0]["body"]):
            assert KEY not in text and TOKEN not in text


@pytest.mark.slow
def test_a_view_only_key_plans_without_dry_runs_and_the_plan_still_applies(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "raise-readiness")
    world.write("alpha.yaml", card("alpha", level="Silver"))
    head = world.commit("raise alpha")
    ran = world.run("pull_request", world.pull_request(base, head), head, cortex_api_key=VIEW_KEY)
    assert ran.returncode == 0, ran.log
    warnings = [a.message for a in ran.annotations if a.kind == "warning"]
    assert len(warnings) == 1 and "lacks 'Edit Scorecards'" in warnings[0]
    body = world.comments()[0]["body"]
    marker = parse_marker(body)
    assert marker is not None and marker.checksum == ran.outputs["plan-checksum"]
    assert "Edit Scorecards" in body and "Cortex accepts it" not in body
    assert "Edit Scorecards" in ran.summary
    merged = merge(world)
    applied = world.run("push", world.push(base, merged), merged, command="apply")
    assert applied.returncode == 0, applied.log
    assert "level: Silver" in (world.emulator.descriptor_text("alpha") or "")


def described(tag: str, *lines: str) -> str:
    description = "".join(f"  {line}\n" for line in lines)
    return card(tag).replace(f"tag: {tag}\n", f"tag: {tag}\ndescription: |\n{description}")


@pytest.mark.slow
def test_descriptor_text_cannot_issue_workflow_commands(world: World) -> None:
    planted = ("::warning::injected", "::add-mask::x", "##[error]legacy injected")
    world.write("README.md", "descriptors\n")
    base = world.commit("start")
    # Each planted line an unchanged line between changed ones: the diff shows it as context.
    world.emulator.put_descriptor(described("zeta", *(x for p in planted for x in ("old", p))))
    world.git("switch", "-q", "-c", "inject")
    world.write("zeta.yaml", described("zeta", *(x for p in planted for x in ("new", p))))
    world.write("eta.yaml", described("eta", *planted))
    head = world.commit("plant workflow commands in descriptions")
    ran = world.run("pull_request", world.pull_request(base, head), head)
    assert ran.returncode == 0, ran.log
    for line in planted:
        assert f"\n           {line}\n" in ran.log  # shown as context lines of the diff...
    assert ran.masks == [KEY]  # ...and never obeyed
    assert not [a for a in ran.annotations if "injected" in a.message]

    merged = merge(world, "inject")
    applied = world.run("push", world.push(base, merged), merged, command="apply")
    assert applied.returncode == 0, applied.log
    assert applied.masks == [KEY]
    assert not [a for a in applied.annotations if "injected" in a.message]


@pytest.mark.slow
def test_no_changes_posts_nothing_but_a_stale_comment_is_set_to_no_changes(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "docs")
    head = world.commit("nothing to do with scorecards")
    quiet = world.run("pull_request", world.pull_request(base, head), head)
    assert quiet.returncode == 0, quiet.log
    assert quiet.outputs["has-changes"] == "false" and quiet.outputs["comment-url"] == ""
    assert world.comments() == []
    assert "No changes" in quiet.summary

    world.write("alpha.yaml", card("alpha", level="Silver"))
    changed = world.commit("raise alpha")
    assert world.run("pull_request", world.pull_request(base, changed), changed).returncode == 0
    assert "update" in world.comments()[0]["body"]
    world.write("alpha.yaml", card("alpha"))
    reverted = world.commit("revert")
    again = world.run("pull_request", world.pull_request(base, reverted), reverted)
    assert again.returncode == 0, again.log
    comments = world.comments()
    assert len(comments) == 1 and "No changes" in comments[0]["body"]
    assert again.outputs["comment-url"] == comments[0]["html_url"]


@pytest.mark.slow
def test_comment_always_and_false(world: World) -> None:
    base = live_alpha_beta(world)
    always = world.run("pull_request", world.pull_request(base, base), base, comment="always")
    assert always.returncode == 0, always.log
    assert len(world.comments()) == 1 and "No changes" in world.comments()[0]["body"]
    world.github.comments.clear()
    world.write("gamma.yaml", card("gamma"))
    head = world.commit("gamma")
    before = len(world.github.requests)
    never = world.run("pull_request", world.pull_request(base, head), head, comment="false")
    assert never.returncode == 0 and never.outputs["has-changes"] == "true"
    # Only the deployments were read (where deletions start), no comment touched.
    assert world.comments() == []
    assert all("/deployments" in r.path for r in world.github.requests[before:])
    assert "gamma" in never.summary


@pytest.mark.slow
def test_bad_descriptor_is_annotated_at_its_line_and_nothing_is_planned(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "broken")
    broken = (DATA / "action-unknown-level.yaml").read_text(encoding="utf-8")
    world.write("broken.yaml", broken)
    head = world.commit("a broken scorecard")
    world.emulator.reset_stats()
    ran = world.run("pull_request", world.pull_request(base, head), head)
    assert ran.returncode == 1
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "Platinum" in text)
    errors = [a for a in ran.annotations if a.kind == "error"]
    assert errors and errors[0].properties["file"] == f"{DIR}/broken.yaml"
    assert errors[0].properties["line"] == str(line)
    assert "Platinum" in errors[0].message
    assert world.comments() == []
    assert ran.outputs["plan-checksum"] == "" and ran.outputs["comment-url"] == ""
    assert world.emulator.stats.total == 0  # nothing was sent to Cortex
    assert "broken.yaml" in ran.summary and "Nothing was sent to Cortex" in ran.summary


@pytest.mark.slow
def test_descriptors_that_stop_validating_replace_the_stale_plan_comment(world: World) -> None:
    reviewed = open_pull_request(world)
    world.write("broken.yaml", (DATA / "action-unknown-level.yaml").read_text(encoding="utf-8"))
    head = world.commit("break it")
    ran = world.run("pull_request", world.pull_request(reviewed.base, head), head)
    assert ran.returncode == 1
    comments = world.comments()
    assert len(comments) == 1 and "have errors" in comments[0]["body"]
    marker = parse_marker(comments[0]["body"])
    assert marker is not None and marker.checksum == ""  # nothing reviewable in it


@pytest.mark.slow
def test_a_failed_plan_run_withdraws_the_earlier_plan_from_review(world: World) -> None:
    reviewed = open_pull_request(world)
    body = world.comments()[0]["body"]
    assert f"head <code>{reviewed.head[:12]}</code>" in body
    world.write("delta.yaml", card("delta"))
    head = world.commit("add delta")
    failed = world.run(
        "pull_request", world.pull_request(reviewed.base, head), head, base_ref="no-such-ref"
    )
    assert failed.returncode == 1, failed.log
    comments = world.comments()
    assert len(comments) == 1 and "The last plan run failed" in comments[0]["body"]
    marker = parse_marker(comments[0]["body"])
    assert marker is not None and marker.checksum == ""
    merged = merge(world)
    refused = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert refused.returncode == 1 and "no plan comment" in refused.log
    assert world.emulator.tags() == ["alpha", "beta"]


@pytest.mark.slow
def test_fork_validates_offline_posts_nothing_and_never_reads_the_key(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "typo")
    world.write("alpha.yaml", card("alpha", name="Alpha (typo fixed)"))
    head = world.commit("typo")
    world.emulator.reset_stats()
    ran = world.run(
        "pull_request",
        world.pull_request(base, head, fork=True),
        head,
        cortex_api_key=CANARY,
        env={"CORTEX_API_KEY": CANARY},
    )
    assert ran.returncode == 0, ran.log
    assert world.github.requests == []  # posts nothing, reads nothing
    assert world.emulator.stats.total == 0
    assert "fork" in ran.summary and "Not planned" in ran.summary
    assert any(a.kind == "notice" and "fork" in a.message for a in ran.annotations)
    outputs_files = "".join(step.outputs.__repr__() for step in ran.steps)
    for text in (ran.log, ran.summary, json.dumps(ran.outputs), outputs_files):
        assert CANARY not in text
    assert ran.masks == [CANARY]  # masked by the first step, as a runner would


@pytest.mark.slow
def test_pull_request_target_from_a_fork_is_validated_offline_with_no_key(world: World) -> None:
    base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "from-a-fork")
    world.write("alpha.yaml", card("alpha", level="Silver"))
    head = world.commit("raise alpha")
    world.emulator.reset_stats()
    # pull_request_target runs get the repository's secrets even for a fork: never use them.
    ran = world.run(
        "pull_request_target", world.pull_request(base, head, fork=True), head, cortex_api_key=KEY
    )
    assert ran.returncode == 0, ran.log
    assert world.emulator.stats.total == 0 and world.github.requests == []
    assert "pull_request_target" in ran.log and "Not planned" in ran.summary
    assert "Plan checksum" not in ran.log and ran.outputs["plan-checksum"] == ""


@pytest.mark.slow
def test_apply_without_secrets_fails_rather_than_passing(world: World) -> None:
    base = live_alpha_beta(world)
    world.write("gamma.yaml", card("gamma"))
    pushed = world.commit("gamma")
    fork = world.run(
        "pull_request", world.pull_request(base, pushed, fork=True), pushed, command="apply"
    )
    assert fork.returncode == 1, fork.log
    assert any(a.kind == "error" and "Not applied" in a.message for a in fork.annotations)
    assert "Not applied" in fork.summary and "fork" in fork.summary
    bot = world.run(
        "push",
        world.push(base, pushed),
        pushed,
        command="apply",
        env={"GITHUB_ACTOR": "dependabot[bot]"},
    )
    assert bot.returncode == 1 and "dependabot[bot]" in bot.log
    keyless = world.run(
        "push", world.push(base, pushed), pushed, command="apply", cortex_api_key=""
    )
    assert keyless.returncode == 1, keyless.log
    assert "no Cortex API key" in keyless.log and "nothing was applied" in keyless.summary
    assert world.emulator.tags() == ["alpha", "beta"]


class _Tripwire(dict[str, str]):
    """An environment that fails the test when anything reads the Cortex key from it."""

    def _check(self, key: object) -> None:
        if isinstance(key, str) and "CORTEX_API_KEY" in key:
            raise AssertionError(f"{key} was read")

    def __getitem__(self, key: str) -> str:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)

    def items(self) -> Any:
        raise AssertionError("the whole environment was read")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the whole environment was read")


def test_fork_path_never_touches_the_key_in_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = live_alpha_beta(world)
    event = world.tmp / "fork.json"
    event.write_text(json.dumps(world.pull_request(base, base, fork=True)), encoding="utf-8")
    summary, output = world.tmp / "summary.md", world.tmp / "output.txt"
    environ = _Tripwire(
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=REPOSITORY,
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
        RUNNER_TEMP=str(world.tmp),
        INPUT_PATH=DIR,
        INPUT_CORTEX_API_KEY=CANARY,
        CORTEX_API_KEY=CANARY,
        GITHUB_TOKEN=TOKEN,
    )
    monkeypatch.chdir(world.repo)
    out, err = io.StringIO(), io.StringIO()
    assert execute(environ, Console(out, err)) == 0, out.getvalue() + err.getvalue()
    assert "Not planned" in summary.read_text(encoding="utf-8")
    assert CANARY not in out.getvalue() + err.getvalue() + summary.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_plan_over_the_thresholds_fails_and_is_not_a_reviewed_plan(world: World) -> None:
    (world.repo / ".scorecards-sync.yaml").write_text("thresholds:\n  max_deletes: 0\n")
    reviewed_base = live_alpha_beta(world)
    world.git("switch", "-q", "-c", "retire-beta")
    (world.repo / DIR / "beta.yaml").unlink()
    head = world.commit("retire beta")
    ran = world.run("pull_request", world.pull_request(reviewed_base, head), head)
    assert ran.returncode == 1
    assert any(a.kind == "error" and "delete" in a.message for a in ran.annotations)
    body = world.comments()[0]["body"]
    marker = parse_marker(body)
    assert marker is not None and marker.checksum == ""
    assert "beta" in body and "will not be applied" in body
    merged = merge(world, "retire-beta")
    push = world.run("push", world.push(reviewed_base, merged), merged, command="apply")
    assert push.returncode == 1 and world.emulator.tags() == ["alpha", "beta"]
    # --force on both sides: the plan is reviewed, then applied.
    world.git("switch", "-q", "retire-beta")
    forced = world.run(
        "pull_request", world.pull_request(reviewed_base, head), head, args="--force"
    )
    assert forced.returncode == 0, forced.log
    applied = world.run(
        "push", world.push(reviewed_base, merged), merged, command="apply", args="--force"
    )
    assert applied.returncode == 0, applied.log
    assert world.emulator.tags() == ["alpha"]


@pytest.mark.slow
def test_a_missing_key_says_which_input_to_set(world: World) -> None:
    base = live_alpha_beta(world)
    ran = world.run("pull_request", world.pull_request(base, base), base, cortex_api_key="")
    assert ran.returncode == 64
    assert "cortex-api-key: ${{ secrets.CORTEX_API_KEY }}" in ran.log
    assert "no Cortex API key" in ran.summary


# -- push to the default branch -----------------------------------------------------------------


@pytest.mark.slow
def test_push_applies_the_reviewed_plan(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 0, ran.log
    assert world.emulator.tags() == ["alpha", "gamma"]  # beta's deletion was reviewed
    assert "level: Silver" in (world.emulator.descriptor_text("alpha") or "")
    assert ran.outputs["plan-checksum"] == reviewed.run.outputs["plan-checksum"]
    assert ran.outputs["has-changes"] == "true"
    assert Path(ran.outputs["plan-json"]).is_file()
    assert "reviewed in pull request #42" in ran.summary
    assert "Apply complete: 3 done, 0 failed, 0 skipped." in ran.summary
    # comment defaults to true: the outcome goes on the merged pull request, beside the plan
    comments = world.comments()
    assert len(comments) == 2 and "Scorecards applied" in comments[1]["body"]
    assert ran.outputs["comment-url"] == comments[1]["html_url"]

    again = world.run("push", world.push(merged, merged), merged, command="apply")
    assert again.returncode == 0, again.log
    assert again.outputs["has-changes"] == "false"


@pytest.mark.slow
def test_push_applies_and_reports_on_a_runner_whose_pipes_are_not_utf_8(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    # As on a Windows runner: the job's environment names a code page without `→` or `✓`.
    ran = world.run(
        "push",
        world.push(reviewed.base, merged),
        merged,
        command="apply",
        env={"PYTHONIOENCODING": "cp1252"},
    )
    assert ran.returncode == 0, ran.log
    assert "level Bronze → Silver" in ran.log
    assert world.emulator.tags() == ["alpha", "gamma"]


@pytest.mark.slow
def test_report_survives_a_console_that_cannot_print_it(world: World) -> None:
    """Without action.yml's UTF-8 setting, the apply is still recorded and the log printed."""
    base = live_alpha_beta(world)
    world.write("alpha.yaml", card("alpha", level="Silver"))
    pushed = world.commit("raise alpha")
    summary, output = world.tmp / "summary.md", world.tmp / "output.txt"
    env = {
        **world.step_environ(
            "push",
            world.push(base, pushed),
            pushed,
            command="apply",
            path=DIR,
            auto_approve="true",
            comment="false",
            cortex_api_key=KEY,
            cortex_base_url=world.cortex_url,
        ),
        "PYTHONIOENCODING": "cp1252",
    }
    done = subprocess.run(
        [sys.executable, "-m", "scorecards_sync", "github-action"],
        cwd=world.repo,
        env=env,
        capture_output=True,
        check=False,
    )
    stdout = done.stdout.decode("cp1252")
    assert done.returncode == 0, stdout + done.stderr.decode("cp1252")
    assert "level Bronze ? Silver" in stdout
    assert "Apply complete: 1 done" in summary.read_text(encoding="utf-8")
    assert parse_file_commands(output.read_text(encoding="utf-8"))["has-changes"] == "true"
    assert "level: Silver" in (world.emulator.descriptor_text("alpha") or "")


@pytest.mark.slow
def test_push_finds_the_review_however_the_apply_workflow_spells_the_path(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    ran = world.run(
        "push", world.push(reviewed.base, merged), merged, command="apply", path=f"./{DIR}/"
    )
    assert ran.returncode == 0, ran.log
    assert "reviewed in pull request #42" in ran.summary


@pytest.mark.slow
def test_push_finds_the_merged_pull_request_that_github_links_late(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    world.github.pulls_lag = 1  # right after the merge, commits/{sha}/pulls answers []
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 0, ran.log
    assert "reviewed in pull request #42" in ran.summary
    assert world.emulator.tags() == ["alpha", "gamma"]


@pytest.mark.slow
def test_push_refuses_a_pull_request_that_only_contains_the_commit(world: World) -> None:
    reviewed = open_pull_request(world)
    world.git("switch", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", "Merge pull request #42", "raise-readiness")
    merged = world.git("rev-parse", "HEAD")
    # #42 is listed for the commit and merged, but its merge made another commit.
    world.github.add_pull(REPOSITORY, merged, PR_NUMBER, merge_commit_sha="9" * 40)
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 1
    assert "no merged pull request found" in ran.log
    assert world.emulator.tags() == ["alpha", "beta"]


@pytest.mark.slow
def test_push_refuses_when_cortex_moved_after_the_review(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    world.emulator.put_descriptor(card("alpha", name="Alpha, edited in the Cortex UI"))
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 1
    assert "is not the plan reviewed in pull request #42" in ran.log
    assert "Not applied" in ran.summary and "gamma" in ran.summary
    assert world.emulator.tags() == ["alpha", "beta"]
    assert "Alpha, edited in the Cortex UI" in (world.emulator.descriptor_text("alpha") or "")


@pytest.mark.slow
def test_push_refuses_when_the_comment_checksum_was_altered(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    comment = world.github.comments[(REPOSITORY, PR_NUMBER)][0]
    marker = parse_marker(comment["body"])
    assert marker is not None
    comment["body"] = comment["body"].replace(marker.checksum, "sha256:" + "0" * 64, 1)
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 1
    assert "sha256:" + "0" * 64 in ran.log and "Nothing was applied" in ran.summary
    assert world.emulator.tags() == ["alpha", "beta"]


@pytest.mark.slow
def test_push_refuses_a_plan_nobody_reviewed(world: World) -> None:
    base = live_alpha_beta(world)
    world.write("gamma.yaml", card("gamma"))
    pushed = world.commit("straight to main")
    ran = world.run("push", world.push(base, pushed), pushed, command="apply")
    assert ran.returncode == 1
    assert "no merged pull request found" in ran.log
    assert "no merged pull request found" in ran.summary
    assert world.emulator.tags() == ["alpha", "beta"]
    # A comment by someone else, however well-formed, is not a review.
    world.github.add_pull(REPOSITORY, pushed, 7)
    world.github.add_comment(
        REPOSITORY, 7, f"<!-- scorecards-sync:{DIR} checksum={ran.outputs['plan-checksum']} -->\nok"
    )
    forged = world.run("push", world.push(base, pushed), pushed, command="apply")
    assert forged.returncode == 1 and "#7 has no plan comment" in forged.log
    approved = world.run(
        "push", world.push(base, pushed), pushed, command="apply", auto_approve="true"
    )
    assert approved.returncode == 0, approved.log
    assert world.emulator.tags() == ["alpha", "beta", "gamma"]


@pytest.mark.slow
def test_apply_outside_a_push_to_main_needs_auto_approve(world: World) -> None:
    base = live_alpha_beta(world)
    ran = world.run("pull_request", world.pull_request(base, base), base, command="apply")
    assert ran.returncode == 64 and "on pull requests use command: plan" in ran.log
    side = world.push(base, base)
    side["ref"] = "refs/heads/experiment"
    other = world.run("push", side, base, command="apply")
    assert other.returncode == 64 and "push to experiment" in other.log


@pytest.mark.slow
def test_validate_command_needs_no_key(world: World) -> None:
    live_alpha_beta(world)
    head = world.git("rev-parse", "HEAD")
    world.emulator.reset_stats()
    ran = world.run("push", world.push(head, head), head, command="validate", cortex_api_key="")
    assert ran.returncode == 0, ran.log
    assert "2 files checked: no problems" in ran.summary
    assert world.emulator.stats.total == 0 and world.github.requests == []


# -- a very large plan --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_plan_of_2000_changes_fits_the_comment_and_the_summary_holds_it_all(
    world: World,
) -> None:
    world.write("README.md", "descriptors\n")
    base = world.commit("start")
    world.git("switch", "-q", "-c", "many")
    tags = [f"team-{n:04d}" for n in range(2000)]
    for tag in tags:
        world.write(f"{tag}.yaml", card(tag))
    head = world.commit("2,000 scorecards")
    # The in-process emulator (args: --emulator) keeps 2,000 dry runs off the network.
    ran = world.run(
        "pull_request",
        world.pull_request(base, head),
        head,
        cortex_api_key="",
        cortex_base_url="",
        args=f"--emulator '{world.tmp / 'cortex state.json'}'",
    )
    assert ran.returncode == 0, ran.log[-3000:]
    body = world.comments()[0]["body"]
    assert len(body) < MAX_COMMENT_CHARS
    assert "not shown" in body and "job summary" in body
    assert all(tag in ran.summary for tag in tags)
    assert len(ran.summary.encode()) < 1024 * 1024
    assert "Plan: 2000 to create" in ran.summary


# -- the real install step ----------------------------------------------------------------------


@pytest.mark.slow
def test_install_step_installs_the_action_into_a_fresh_venv(world: World) -> None:
    action = world.tmp / "action"
    ignore = shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests"
    )
    shutil.copytree(ROOT, action, ignore=ignore, symlinks=True)
    base = live_alpha_beta(world)
    world.write("gamma.yaml", card("gamma"))
    world.git("switch", "-q", "-c", "gamma")
    head = world.commit("gamma")
    env = {"SCORECARDS_SYNC_ACTION_PYTHON": "", "PYTHONPATH": ""}
    ran = world.run(
        "pull_request", world.pull_request(base, head), head, action_path=action, env=env
    )
    assert ran.returncode == 0, ran.log
    python = ran.steps[1].outputs["python"]
    assert python.startswith(str(world.tmp / f"runner-{world.runs}" / "scorecards-sync-venv"))
    assert ran.outputs["has-changes"] == "true" and len(world.comments()) == 1
    where = subprocess.run(
        [python, "-c", "import scorecards_sync; print(scorecards_sync.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=world.tmp,
        env={"PATH": os.environ.get("PATH", "")},
    )
    venv = world.tmp / f"runner-{world.runs}" / "scorecards-sync-venv"
    assert Path(where.stdout.strip()).is_relative_to(venv)  # installed, not the working tree
    assert "Installed scorecards-sync" in ran.steps[1].stdout
    # A second use of the action in the same job reuses the environment.
    again = install(action, world.tmp / f"runner-{world.runs}", world.env)
    assert again.returncode == 0 and "already installed" in again.stdout
    assert again.outputs["python"] == python


@dataclass(frozen=True)
class Installed:
    returncode: int
    stdout: str
    outputs: dict[str, str]


def install(action: Path, runner_temp: Path, env: Mapping[str, str], **extra: str) -> Installed:
    """The install script on its own, as the action's second step runs it."""
    output = runner_temp / "install-output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run(
        ["bash", str(action / "scripts" / "action-install.sh")],
        env={
            **env,
            "ACTION_PATH": str(action),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_OUTPUT": str(output),
            "SCORECARDS_SYNC_ACTION_PYTHON": "",
            **extra,
        },
        cwd=runner_temp,
        capture_output=True,
        text=True,
        check=False,
    )
    return Installed(
        done.returncode, done.stdout, parse_file_commands(output.read_text(encoding="utf-8"))
    )


def test_install_refuses_an_unusable_python_clearly(world: World) -> None:
    ran = install(ROOT, world.tmp, world.env, INPUT_PYTHON=str(world.tmp / "no-such-python"))
    assert ran.returncode == 1 and ran.outputs == {}
    assert ran.stdout.startswith("::error") and "Python 3.11 or newer" in ran.stdout
    assert "actions/setup-python" in ran.stdout


def test_install_override_must_have_the_package(world: World) -> None:
    # An interpreter certain to lack the package, however the test environment was installed.
    bare = world.tmp / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    bare_python = bare / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {**world.env, "PYTHONPATH": ""}
    broken = install(ROOT, world.tmp, env, SCORECARDS_SYNC_ACTION_PYTHON=str(bare_python))
    assert broken.returncode == 1 and "cannot import scorecards_sync" in broken.stdout
    usable = install(ROOT, world.tmp, world.env, SCORECARDS_SYNC_ACTION_PYTHON=sys.executable)
    assert usable.returncode == 0 and usable.outputs == {"python": sys.executable}
    assert not (world.tmp / "scorecards-sync-venv").exists()  # nothing installed


@pytest.mark.slow
def test_a_push_that_removes_the_whole_folder_deletes_its_scorecards(world: World) -> None:
    """Git keeps no empty folder: deleting every descriptor removes the folder too."""
    base = live_alpha_beta(world)
    world.git("rm", "-q", "-r", DIR)
    pushed = world.commit("retire every scorecard")
    refused = world.run(
        "push", world.push(base, pushed), pushed, command="apply", auto_approve="true"
    )
    assert refused.returncode == 1, refused.log
    assert "deletes every managed scorecard" in refused.log
    assert world.emulator.tags() == ["alpha", "beta"]

    forced = world.run(
        "push",
        world.push(base, pushed),
        pushed,
        command="apply",
        auto_approve="true",
        args="--force",
    )
    assert forced.returncode == 0, forced.log
    assert world.emulator.tags() == []


@pytest.mark.slow
def test_the_plan_comment_shows_its_checksum_once_beside_the_marker(world: World) -> None:
    reviewed = open_pull_request(world)
    checksum = reviewed.run.outputs["plan-checksum"]
    body = world.comments()[0]["body"]
    marker, rest = body.split("\n", 1)
    assert checksum in marker
    assert rest.count(checksum) == 1  # the footer; the rendered plan does not repeat it


# -- the record of the last complete apply: GitHub deployments ----------------------------------


@pytest.mark.slow
def test_a_complete_apply_records_a_successful_deployment(world: World) -> None:
    reviewed = open_pull_request(world)
    merged = merge(world)
    ran = world.run("push", world.push(reviewed.base, merged), merged, command="apply")
    assert ran.returncode == 0, ran.log
    assert world.github.deployment_states(REPOSITORY, "cortex") == [(merged, "success")]
    (deployment,) = world.github.deployments[REPOSITORY]
    assert deployment["payload"]["target"] == world.cortex_url
    assert deployment["payload"]["paths"] == [DIR]
    assert deployment["payload"]["tags"] == ["alpha", "gamma"]
    assert f"No successful deployment to environment cortex for {world.cortex_url} yet" in ran.log


@pytest.mark.slow
def test_a_failed_delete_is_recorded_as_a_failure_and_applied_by_the_next_push(
    world: World,
) -> None:
    base = live_alpha_beta(world)
    first = world.run(
        "push",
        world.push(base, base),
        base,
        command="apply",
        auto_approve="true",
        environment="cortex-eu",
    )
    assert first.returncode == 0, first.log
    (world.repo / DIR / "beta.yaml").unlink()
    retired = world.commit("retire beta")
    world.emulator.faults = Faults(failing_tags=frozenset({"beta"}))
    failed = world.run(
        "push",
        world.push(base, retired),
        retired,
        command="apply",
        auto_approve="true",
        environment="cortex-eu",
        args="--retries 0",
    )
    assert failed.returncode == 1
    assert world.emulator.tags() == ["alpha", "beta"]
    assert world.github.deployment_states(REPOSITORY, "cortex-eu") == [
        (retired, "failure"),
        (base, "success"),
    ]
    # The next push only touches alpha: beta's deletion is planned again, from the record.
    world.emulator.faults = Faults()
    world.write("alpha.yaml", card("alpha", level="Silver"))
    raised = world.commit("raise alpha")
    again = world.run(
        "push",
        world.push(retired, raised),
        raised,
        command="apply",
        auto_approve="true",
        environment="cortex-eu",
    )
    assert again.returncode == 0, again.log
    assert f"since the recorded commit {base[:12]}" in again.log
    assert world.emulator.tags() == ["alpha"]
    assert world.github.deployment_states(REPOSITORY, "cortex-eu")[0] == (raised, "success")
    assert world.github.deployment_states(REPOSITORY, "cortex") == []


@pytest.mark.slow
def test_a_token_that_cannot_write_deployments_only_warns(world: World) -> None:
    base = live_alpha_beta(world)
    world.github.read_only = True
    world.write("alpha.yaml", card("alpha", level="Silver"))
    pushed = world.commit("raise alpha")
    ran = world.run(
        "push",
        world.push(base, pushed),
        pushed,
        command="apply",
        auto_approve="true",
        comment="false",
    )
    assert ran.returncode == 0, ran.log
    assert "level: Silver" in (world.emulator.descriptor_text("alpha") or "")
    warnings = [a.message for a in ran.annotations if a.kind == "warning"]
    assert any("deployments: write" in w for w in warnings)


# -- drift: one issue that follows it ------------------------------------------------------------


def drift_issues(world: World) -> list[dict[str, Any]]:
    return world.github.issues.get(REPOSITORY, [])


@pytest.mark.slow
def test_drift_opens_one_issue_updates_it_closes_it_and_reopens_it(world: World) -> None:
    base = live_alpha_beta(world)
    applied = world.run(
        "push",
        world.push(base, base),
        base,
        command="apply",
        auto_approve="true",
        comment="false",
    )
    assert applied.returncode == 0, applied.log
    schedule = {"schedule": "17 5 * * *"}

    in_sync = world.run("schedule", schedule, base, command="drift")
    assert in_sync.returncode == 0, in_sync.log
    assert in_sync.outputs["in-sync"] == "true" and drift_issues(world) == []

    world.emulator.put_descriptor(card("alpha", name="Edited In The UI"))
    first = world.run("schedule", schedule, base, command="drift")
    assert first.returncode == 0, first.log
    (issue,) = drift_issues(world)
    assert issue["state"] == "open" and issue["labels"] == [{"name": "scorecards-drift"}]
    assert "<code>alpha</code>: edited in Cortex" in issue["body"]
    assert first.outputs["in-sync"] == "false"
    assert first.outputs["issue-url"] == issue["html_url"]

    world.emulator.put_descriptor(card("beta", name="Also Edited"))
    second = world.run("schedule", schedule, base, command="drift")
    assert second.returncode == 0, second.log
    (issue,) = drift_issues(world)  # updated in place, never a second issue
    assert "<code>beta</code>: edited in Cortex" in issue["body"]

    world.emulator.put_descriptor(card("alpha"))
    world.emulator.put_descriptor(card("beta"))
    synced = world.run("schedule", schedule, base, command="drift")
    assert synced.returncode == 0, synced.log
    (issue,) = drift_issues(world)
    assert issue["state"] == "closed"
    assert "back in sync" in world.github.comments_of(REPOSITORY, issue["number"])[-1]["body"]

    world.emulator.put_descriptor(card("gamma-ui"))  # not claimed: unmanaged, not drift
    world.emulator.put_descriptor(card("beta", level="Silver"))
    back = world.run("schedule", schedule, base, command="drift")
    assert back.returncode == 0, back.log
    (issue,) = drift_issues(world)
    assert issue["state"] == "open"
    assert "Drift is back" in world.github.comments_of(REPOSITORY, issue["number"])[-1]["body"]


@pytest.mark.slow
def test_drift_heal_applies_the_repository_and_closes_nothing_it_did_not_open(
    world: World,
) -> None:
    base = live_alpha_beta(world)
    assert (
        world.run(
            "push",
            world.push(base, base),
            base,
            command="apply",
            auto_approve="true",
            comment="false",
        ).returncode
        == 0
    )
    world.emulator.put_descriptor(card("alpha", name="Edited In The UI"))
    healed = world.run("schedule", {}, base, command="drift", heal="true")
    assert healed.returncode == 0, healed.log
    assert healed.outputs["in-sync"] == "true"
    assert "Edited In The UI" not in (world.emulator.descriptor_text("alpha") or "")
    assert drift_issues(world) == []
