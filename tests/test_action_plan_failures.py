"""A plan run of the Action that fails in any way, at any step, withdraws the reviewed plan.

The sticky comment's marker carries the checksum the apply on merge checks against: an
earlier plan must never go on standing as the reviewed one after a plan run that did not
post a new one (issue 14, item 3).
"""

from __future__ import annotations

import io

import pytest
from test_action import DIR, KEY, PR_NUMBER, REPOSITORY, World, card, open_pull_request
from test_action import world as world

from scorecards_sync.commands.action import execute
from scorecards_sync.console import Console
from scorecards_sync.github import action_run
from scorecards_sync.github.comments import parse_marker


def run_in_process(world: World, head: str, base: str, monkeypatch: pytest.MonkeyPatch) -> int:
    environ = world.step_environ(
        "pull_request",
        world.pull_request(base, head),
        head,
        command="plan",
        path=DIR,
        cortex_api_key=KEY,
        cortex_base_url=world.cortex_url,
        github_token=world.github.token,
    )
    monkeypatch.chdir(world.repo)
    return execute(environ, Console(io.StringIO(), io.StringIO()))


@pytest.mark.slow
def test_a_crash_while_validating_withdraws_the_reviewed_plan(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = open_pull_request(world)
    marker = parse_marker(world.comments()[0]["body"])
    assert marker is not None and marker.checksum
    world.write("delta.yaml", card("delta"))
    head = world.commit("add delta")

    def crash(self: action_run.ActionRun, base: str | None = None) -> None:
        raise RuntimeError("a bug while validating")

    monkeypatch.setattr(action_run.ActionRun, "validate", crash)
    with pytest.raises(RuntimeError):
        run_in_process(world, head, reviewed.base, monkeypatch)
    (comment,) = world.github.comments_of(REPOSITORY, PR_NUMBER)
    assert "The last plan run failed" in comment["body"]
    marker = parse_marker(comment["body"])
    assert marker is not None and marker.checksum == ""
