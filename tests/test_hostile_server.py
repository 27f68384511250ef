"""`plan`, `apply`, `pull` and the Action's plan step against a hostile Cortex.

The server is tests/hostile_server.py: the emulator behind a layer that lies.

Whatever the server answers, the key never shows (output, files, saved plans, comments),
nothing is written outside the target folder, and a failure is one clear error line and
exit 1: never a traceback, never an internal error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from action_harness import ActionRun, base_environment
from cli_runner import Ran, enter_workdir, run_cli
from cli_runner import ladder_card as card
from github_fake import FakeGitHub
from hostile_server import HOSTILE_TAGS, HostileCortex, Scenario, Sink
from test_action import AUTHOR, ROOT, TOKEN, World
from test_action import KEY as ACTION_KEY
from test_action import card as action_card

from scorecards_sync.emulator import ALL_PERMISSIONS, Emulator
from scorecards_sync.github.comments import parse_marker
from scorecards_sync.safe_text import UNSAFE

CANARY = "canary-key-3b9e2f-must-never-show"
ENV_NAMES = ("CORTEX_API_KEY", "CORTEX_API_KEY_FILE", "CORTEX_BASE_URL", "GITHUB_OUTPUT")


@dataclass
class Hostile:
    root: Path
    cortex: HostileCortex
    url: str

    def run(self, *argv: str) -> Ran:
        return run_cli(*argv)

    def files(self) -> dict[Path, bytes]:
        """Every file under the test's folder (its parent too: nothing may land there)."""
        return {p: p.read_bytes() for p in self.root.parent.rglob("*") if p.is_file()}


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    root = tmp_path / "work"
    root.mkdir()
    enter_workdir(root, monkeypatch, prefixes=("SCORECARDS_SYNC_",), names=ENV_NAMES)
    cards = root / "cards"
    cards.mkdir()
    for tag in ("alpha", "beta"):
        (cards / f"{tag}.yaml").write_text(card(tag, level="Silver"), encoding="utf-8")
    emulator = Emulator(api_keys={CANARY: ALL_PERMISSIONS})
    emulator.put_descriptor(card("alpha"))
    cortex = HostileCortex(emulator, Scenario.ECHO_KEY)
    with cortex.serve() as url:
        monkeypatch.setenv("CORTEX_API_KEY", CANARY)
        monkeypatch.setenv("CORTEX_BASE_URL", url)
        yield Hostile(root, cortex, url)


def assert_no_key(hostile: Hostile, *runs: Ran) -> None:
    for ran in runs:
        assert CANARY not in ran.out + ran.err
    for path, content in hostile.files().items():
        assert CANARY.encode() not in content, path


def assert_clear_failure(ran: Ran, *expected: str) -> None:
    assert ran.code == 1, (ran.out, ran.err)
    assert "Traceback" not in ran.out + ran.err
    assert "internal error" not in ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("error: ")]
    assert errors, ran.err
    for text in expected:
        assert text in ran.err, ran.err


# -- a server that echoes the key into its 200 answers ---------------------------------------


def test_an_echoed_key_never_reaches_the_plan_the_json_or_the_markdown(hostile: Hostile) -> None:
    runs = [
        hostile.run("plan", "cards", "--server-validate", "--out", "plan.json"),
        hostile.run("plan", "cards", "--server-validate", "--format", "json"),
        hostile.run("plan", "cards", "--server-validate", "--format", "markdown"),
    ]
    for ran in runs:
        assert ran.code == 0, ran.err
    text, as_json, markdown = (ran.out for ran in runs)
    # What the server said is shown, the key in it masked.
    assert 'name: "Alpha Bearer ***" → Alpha' in text
    assert "Cortex accepts it (dry run): request carried Bearer ***" in text
    assert "request carried Bearer ***" in as_json
    assert "Bearer &#42;&#42;&#42;" in markdown
    saved = json.loads((hostile.root / "plan.json").read_text(encoding="utf-8"))
    warnings = [
        m for c in saved["changes"] for m in (c["server_validation"] or {}).get("messages", [])
    ]
    assert "request carried Bearer ***" in warnings
    assert "API key" in runs[0].err  # said once, as a warning
    assert_no_key(hostile, *runs)


def test_an_echoed_key_never_reaches_apply_or_pulled_files(hostile: Hostile) -> None:
    applied = hostile.run("apply", "cards", "--auto-approve")
    # The server stores the echo in what it serves: reading the writes back finds it, and
    # says so (exit 1) with the key masked there too.
    assert applied.code == 1, applied.err
    assert "not converged" in applied.out and "Bearer ***" in applied.out
    pulled = hostile.run("pull", "--dir", "pulled")
    assert pulled.code == 0, pulled.err
    written = sorted(p.name for p in (hostile.root / "pulled").iterdir())
    assert written == ["alpha.yaml", "beta.yaml"]
    assert "Bearer ***" in (hostile.root / "pulled" / "alpha.yaml").read_text(encoding="utf-8")
    assert_no_key(hostile, applied, pulled)


# -- bodies that are not descriptors ---------------------------------------------------------


def test_a_malformed_descriptor_is_a_clear_error(hostile: Hostile) -> None:
    hostile.cortex.scenario = Scenario.MALFORMED_YAML
    ran = hostile.run("plan", "cards")
    assert_clear_failure(ran, "alpha")
    applied = hostile.run("apply", "cards", "--auto-approve")
    assert_clear_failure(applied, "alpha")
    assert_no_key(hostile, ran, applied)


def test_a_huge_answer_is_not_read(hostile: Hostile) -> None:
    hostile.cortex.scenario = Scenario.HUGE_DESCRIPTOR
    runs = [hostile.run("plan", "cards"), hostile.run("pull", "--dir", "pulled")]
    for ran in runs:
        assert_clear_failure(ran, "answered more than 32 MB")
    assert not (hostile.root / "pulled").exists() or not any((hostile.root / "pulled").iterdir())
    assert_no_key(hostile, *runs)


def test_answers_of_the_wrong_shape_are_clear_errors(hostile: Hostile) -> None:
    hostile.cortex.scenario = Scenario.WRONG_SHAPES
    runs = [
        hostile.run("plan", "cards"),
        hostile.run("apply", "cards", "--auto-approve"),
        hostile.run("pull", "--dir", "pulled"),
    ]
    for ran in runs:
        assert_clear_failure(ran, "unexpected shape")
    assert_no_key(hostile, *runs)


# -- tags that try to leave the folder, the line or the Markdown ------------------------------


def test_hostile_tags_are_shown_escaped_and_never_become_paths(hostile: Hostile) -> None:
    hostile.cortex.scenario = Scenario.HOSTILE_TAGS
    before = set(hostile.files())
    planned = hostile.run("plan", "cards")
    assert planned.code == 0, planned.err
    (unmanaged,) = [line for line in planned.out.splitlines() if "not managed here" in line]
    assert "tag\\n::warning::forged" in unmanaged and "bidi\\u202eevil" in unmanaged
    assert not UNSAFE.search(planned.out.replace("\n", ""))
    markdown = hostile.run("plan", "cards", "--format", "markdown")
    assert "<!-- scorecards-sync" not in markdown.out and "\r" not in markdown.out
    pulled = hostile.run("pull", "--dir", "pulled")
    assert pulled.code == 1 and "Traceback" not in pulled.err, pulled.err
    new = set(hostile.files()) - before
    pulled_dir = hostile.root / "pulled"
    assert all(path.parent == pulled_dir for path in new), sorted(map(str, new))
    assert sorted(p.name for p in pulled_dir.iterdir()) == ["alpha.yaml"]
    skipped = [line for line in pulled.out.splitlines() if line.startswith("skipped")]
    assert len(skipped) == len(HOSTILE_TAGS)
    assert not UNSAFE.search(pulled.out.replace("\n", ""))
    assert_no_key(hostile, planned, markdown, pulled)


# -- redirects: never followed, so the key goes nowhere else ---------------------------------


def test_a_redirect_to_another_loopback_port_is_not_followed(hostile: Hostile) -> None:
    sink = Sink()
    with sink.serve() as elsewhere:
        hostile.cortex.scenario = Scenario.REDIRECT_LOOPBACK
        hostile.cortex.redirect_to = elsewhere
        runs = [
            hostile.run("plan", "cards"),
            hostile.run("apply", "cards", "--auto-approve"),
            hostile.run("pull", "--dir", "pulled"),
        ]
    for ran in runs:
        assert_clear_failure(ran, "a redirect to http://127.0.0.1:", "not followed")
    assert sink.received == []
    assert_no_key(hostile, *runs)


def test_a_redirect_to_a_remote_address_is_not_followed(hostile: Hostile) -> None:
    hostile.cortex.scenario = Scenario.REDIRECT_REMOTE
    runs = [hostile.run("plan", "cards"), hostile.run("pull", "--dir", "pulled")]
    for ran in runs:
        assert_clear_failure(ran, "a redirect to http://203.0.113.7/api/v1/scorecards")
    assert_no_key(hostile, *runs)


# -- the Action's plan step -------------------------------------------------------------------


@pytest.fixture
def action_world(tmp_path: Path) -> Iterator[tuple[World, HostileCortex]]:
    """test_action's world (a git repository, the fake GitHub), Cortex being hostile."""
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env = base_environment(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CEILING_DIRECTORIES=str(tmp_path),
        SCORECARDS_SYNC_ACTION_PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        SCORECARDS_SYNC_MERGED_PR_DELAYS="0",
        **AUTHOR,
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    emulator = Emulator(api_keys={ACTION_KEY: ALL_PERMISSIONS})
    cortex = HostileCortex(emulator, Scenario.ECHO_KEY)
    with FakeGitHub(token=TOKEN) as github, cortex.serve() as url:
        world = World(repo, tmp_path, github, emulator, url, env)
        world.git("init", "-q")
        yield world, cortex


def reviewed_pull_request(world: World) -> tuple[str, str]:
    world.write("alpha.yaml", action_card("alpha"))
    base = world.commit("alpha")
    world.emulator.put_descriptor(action_card("alpha"))
    world.git("switch", "-q", "-c", "change")
    world.write("alpha.yaml", action_card("alpha", level="Silver"))
    world.write("beta.yaml", action_card("beta"))
    return base, world.commit("raise alpha, add beta")


def everything_written(world: World, run: ActionRun) -> str:
    comments = "".join(c["body"] for c in world.comments())
    files = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in world.tmp.rglob("*") if p.is_file()
    )
    return run.log + run.summary + json.dumps(run.outputs) + comments + files


@pytest.mark.slow
def test_the_actions_plan_step_never_shows_an_echoed_key(
    action_world: tuple[World, HostileCortex],
) -> None:
    world, _cortex = action_world
    base, head = reviewed_pull_request(world)
    run = world.run("pull_request", world.pull_request(base, head), head)
    assert run.returncode == 0, run.log
    (comment,) = world.comments()
    assert "request carried Bearer &#42;&#42;&#42;" in comment["body"]
    marker = parse_marker(comment["body"])
    assert marker is not None and marker.checksum
    assert ACTION_KEY not in everything_written(world, run)


@pytest.mark.slow
def test_the_actions_plan_step_fails_clearly_and_withdraws_the_plan(
    action_world: tuple[World, HostileCortex],
) -> None:
    world, cortex = action_world
    base, head = reviewed_pull_request(world)
    assert world.run("pull_request", world.pull_request(base, head), head).returncode == 0
    for scenario in (Scenario.WRONG_SHAPES, Scenario.REDIRECT_REMOTE, Scenario.MALFORMED_YAML):
        cortex.scenario = scenario
        run = world.run("pull_request", world.pull_request(base, head), head)
        assert run.returncode == 1, (scenario, run.log)
        assert "Traceback" not in run.log and "internal error" not in run.log, run.log
        assert [a for a in run.annotations if a.kind == "error"], run.log
        (comment,) = world.comments()
        assert "The last plan run failed" in comment["body"], scenario
        marker = parse_marker(comment["body"])
        assert marker is not None and marker.checksum == ""
        assert ACTION_KEY not in everything_written(world, run)


def test_a_key_echoed_with_json_escapes_is_taken_out_too() -> None:
    from scorecards_sync.cortex.client import CortexClient

    key = 'canary"with\\escapes/9f1c-must-never-show'
    escaped = json.dumps(key)[1:-1]
    emulator = Emulator(api_keys={key: ALL_PERMISSIONS})
    emulator.put_descriptor(card("alpha"))
    with (
        HostileCortex(emulator, Scenario.ECHO_KEY).serve() as url,
        CortexClient(url, key) as client,
    ):
        listed = client.list_scorecards()
        text = client.get_descriptor("alpha")
        result = client.upsert_descriptor(card("beta"), dry_run=True)
    seen = repr(listed) + text + repr(result.warnings)
    assert key not in seen and escaped not in seen
    assert "Bearer ***" in text and 'key "***"' in result.warnings
