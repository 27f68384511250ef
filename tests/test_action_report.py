"""The job summary stays under GitHub's 1 MiB limit, whatever the plan and the apply add."""

from __future__ import annotations

from pathlib import Path

from scorecards_sync.applier import ApplyResult, Outcome, Status
from scorecards_sync.config import Settings
from scorecards_sync.github.action_inputs import ActionInputs, RunContext
from scorecards_sync.github.action_run import ActionRun
from scorecards_sync.github.client import GitHubClient
from scorecards_sync.github.events import GitHubEvent
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.review.summary import (
    SUMMARY_LIMIT_BYTES,
    assemble_summary,
    plan_section,
    result_section,
)


def big_plan(count: int) -> Plan:
    yaml = "".join(f"# ✅ line {n} of a long descriptor, with accents: é à ü\n" for n in range(8))
    return Plan(
        tuple(
            Change(
                Action.CREATE, f"team-{n:05d}", path=f"cards/team-{n:05d}.yaml", desired_yaml=yaml
            )
            for n in range(count)
        )
    )


def big_result(count: int) -> ApplyResult:
    return ApplyResult(
        tuple(
            Outcome(f"team-{n:05d}", Action.CREATE, Status.FAILED, "❌ refused: " + "é" * 80)
            for n in range(count)
        )
    )


def unreachable_settings() -> Settings:
    raise AssertionError("the summary needs no Cortex")


def unreachable_github() -> GitHubClient:
    raise AssertionError("the summary needs no GitHub")


def test_summary_of_a_huge_plan_and_apply_stays_under_the_limit(tmp_path: Path) -> None:
    event = GitHubEvent("push", "acme/platform", "a" * 40, "ada")
    run = ActionRun(
        ActionInputs(command="apply"),
        RunContext(event, tmp_path),
        unreachable_settings,
        unreachable_github,
        force=False,
        strict=False,
    )
    plan, result = big_plan(6000), big_result(12000)
    run.record(plan, None, ())
    run.summary += ["### Apply complete", result_section(result)]
    full = plan_section(plan).full.encode() + result_section(result).full.encode()
    assert len(full) > SUMMARY_LIMIT_BYTES  # the whole would be dropped by GitHub

    text = run.summary_text()

    assert len(text.encode()) <= SUMMARY_LIMIT_BYTES
    assert "## Scorecards apply" in text and "### Apply complete" in text
    assert "team-00000" in text and "Plan checksum" in text  # the footer after the plan
    assert "more results not shown here: see the step log." in text
    assert text.rstrip().splitlines()[-1].startswith("… and ")


def test_a_summary_that_fits_is_left_whole() -> None:
    plan, result = big_plan(3), big_result(3)
    text = assemble_summary(["# head", plan_section(plan), result_section(result), "tail"])
    assert (
        text
        == "\n\n".join(["# head", plan_section(plan).full, result_section(result).full, "tail"])
        + "\n"
    )
    assert "not shown" not in text


def test_fixed_text_over_the_limit_is_cut_with_a_note() -> None:
    line = "x" * 99 + "\n"
    text = assemble_summary([line * 20, result_section(big_result(50))], limit=1000)
    assert len(text.encode()) <= 1000
    assert text.endswith("the step log has everything.*\n")
