"""An exception that is not the tool's own, after an apply wrote to Cortex: the step log,
the job summary and the step outputs still say what was applied, then the CLI reports the
error as it reports any internal error (one line, no traceback, no secret, exit 1).

The real entry point (`scorecards-sync github-action`, in-process), a real git
repository, the emulator and the fake GitHub on loopback. The exception comes from a
hostile answer: JSON nested deeper than Python's recursion limit, whose decoding raises
RecursionError.
"""

from __future__ import annotations

import pytest
from action_harness import parse_file_commands
from cli_runner import enter_workdir, run_cli
from test_action import DIR, KEY, REPOSITORY, TOKEN, World, card, live_alpha_beta
from test_action import world as world

TOO_DEEP = b"[" * 100_000 + b"]" * 100_000


def test_an_unexpected_error_after_the_apply_keeps_its_log_summary_and_outputs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = live_alpha_beta(world)
    world.write("alpha.yaml", card("alpha", level="Silver"))
    pushed = world.commit("raise alpha")
    summary, output = world.tmp / "summary.md", world.tmp / "output.txt"
    enter_workdir(
        world.repo,
        monkeypatch,
        prefixes=("INPUT_", "GITHUB_", "RUNNER_", "CORTEX_", "SCORECARDS_SYNC_"),
    )
    environ = world.step_environ(
        "push",
        world.push(base, pushed),
        pushed,
        command="apply",
        path=DIR,
        auto_approve="true",
        comment="false",
        cortex_api_key=KEY,
        cortex_base_url=world.cortex_url,
        github_token=TOKEN,
    )
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    # The deployment that records the apply is made after the writes; GitHub's answer to
    # its creation is what breaks.
    world.github.spoil("POST", f"/repos/{REPOSITORY}/deployments", TOO_DEEP)
    ran = run_cli("github-action")
    assert "level: Silver" in (world.emulator.descriptor_text("alpha") or "")  # applied...
    assert ran.code == 1
    # ... and the step log, the summary and the outputs say so.
    assert "Apply complete: 1 done, 0 failed, 0 skipped." in ran.out, ran.out + ran.err
    assert (
        "::error title=scorecards-sync::The run stopped: internal error (RecursionError)."
        in ran.out
    )
    said = summary.read_text(encoding="utf-8")
    assert "Apply complete: 1 done, 0 failed, 0 skipped." in said
    assert "The run stopped: internal error (RecursionError)." in said
    outputs = parse_file_commands(output.read_text(encoding="utf-8"))
    assert outputs["has-changes"] == "true" and outputs["plan-checksum"]
    # Then the error itself, as the CLI reports any internal error.
    assert ran.err.startswith("error: internal error: RecursionError:"), ran.err
    assert "Traceback" not in ran.out + ran.err
    for secret in (KEY, TOKEN):
        assert secret not in ran.out + ran.err + said
