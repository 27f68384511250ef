"""Deletion is explicit and bounded: thresholds, `--base` in real git repositories, prune.

Real temporary git repositories; the emulator kept in a state file (`--emulator`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import Ran, enter_workdir, run_cli
from cli_runner import rule_card as card
from git_repo import commit, git, init_repo

from scorecards_sync.emulator import Emulator

CARDS = Path(".cortex/scorecards")


def plan_json(*argv: str) -> tuple[Ran, dict[str, list[str]]]:
    ran = run_cli("plan", "--emulator", "state.json", "--format", "json", *argv)
    actions: dict[str, list[str]] = {}
    if ran.out.strip():
        body = json.loads(ran.out)
        for change in body["changes"]:
            actions.setdefault(change["action"], []).append(change["tag"])
        actions["unmanaged"] = body["unmanaged"]
    return ran, actions


def applied_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cards: int) -> Path:
    """A git repository with `cards` committed descriptors, all applied to the emulator."""
    enter_workdir(
        tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_", "GIT_")
    )
    init_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("state.json*\n.state.json*\n")
    (tmp_path / CARDS).mkdir(parents=True)
    for i in range(cards):
        (tmp_path / CARDS / f"card-{i:02d}.yaml").write_text(card(f"card-{i:02d}"))
    commit(tmp_path, f"{cards} scorecards")
    applied = run_cli("apply", "--emulator", "state.json", "--auto-approve")
    assert applied.code == 0, applied.err
    return tmp_path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """20 committed descriptors, applied."""
    return applied_repo(tmp_path, monkeypatch, 20)


def remove(repo: Path, *indexes: int) -> None:
    for i in indexes:
        (repo / CARDS / f"card-{i:02d}.yaml").unlink()


def test_removing_8_of_20_is_refused_without_force(repo: Path) -> None:
    remove(repo, *range(8))
    ran = run_cli("plan", "--emulator", "state.json", "--base", "HEAD")
    assert ran.code == 1
    assert "- delete card-00" in ran.out  # the plan is shown, then refused
    assert "plan refused as unsafe" in ran.err
    assert "Plan checksum" not in ran.out + ran.err  # nothing to approve in a refused plan
    assert "deletes 8 of 20 managed scorecards (40%)" in ran.err
    assert "--force" in ran.err
    assert not (repo / "plan.json").exists()
    refused = run_cli("apply", "--emulator", "state.json", "--base", "HEAD", "--auto-approve")
    assert refused.code == 1 and "plan refused as unsafe" in refused.err
    assert len(Emulator(state_file=repo / "state.json").tags()) == 20


def test_force_allows_it_and_apply_deletes_exactly_those(repo: Path) -> None:
    remove(repo, *range(8))
    ran, actions = plan_json("--base", "HEAD", "--force", "--detailed-exitcode")
    assert ran.code == 2, ran.err
    assert actions["delete"] == [f"card-{i:02d}" for i in range(8)]
    assert len(actions["unchanged"]) == 12
    applied = run_cli(
        "apply", "--emulator", "state.json", "--base", "HEAD", "--force", "--auto-approve"
    )
    assert applied.code == 0, applied.err
    assert "Apply complete: 0 done" not in applied.out
    assert "Apply complete: 8 done, 0 failed, 0 skipped." in applied.out
    remaining = Emulator(state_file=repo / "state.json").tags()
    assert remaining == [f"card-{i:02d}" for i in range(8, 20)]
    again = run_cli("plan", "--emulator", "state.json", "--base", "HEAD", "--detailed-exitcode")
    assert again.code == 0, again.out  # deleted already: nothing left to do


def test_removing_2_of_20_passes_the_thresholds(repo: Path) -> None:
    remove(repo, 3, 4)
    ran, actions = plan_json("--base", "HEAD")
    assert ran.code == 0, ran.err
    assert actions["delete"] == ["card-03", "card-04"]


def test_committed_removal_against_the_previous_commit(repo: Path) -> None:
    remove(repo, 5)
    commit(repo, "drop card-05")
    _, actions = plan_json("--base", "HEAD~1")
    assert actions["delete"] == ["card-05"]
    _, nothing = plan_json("--base", "HEAD")
    assert "delete" not in nothing


def test_without_base_a_removed_file_is_never_deleted(repo: Path) -> None:
    remove(repo, *range(8))
    ran, actions = plan_json()
    assert ran.code == 0
    assert "delete" not in actions
    assert actions["unmanaged"] == [f"card-{i:02d}" for i in range(8)]


def test_renamed_file_keeping_its_tag_is_not_a_deletion(repo: Path) -> None:
    (repo / CARDS / "sub").mkdir()
    git(repo, "mv", str(CARDS / "card-01.yaml"), str(CARDS / "sub" / "renamed.yaml"))
    ran, actions = plan_json("--base", "HEAD", "--detailed-exitcode")
    assert ran.code == 0, ran.out
    assert "delete" not in actions and "create" not in actions


def test_retagged_file_is_a_flagged_delete_plus_create(repo: Path) -> None:
    (repo / CARDS / "card-02.yaml").write_text(card("card-02-renamed", name="Card-02"))
    ran, actions = plan_json("--base", "HEAD")
    assert ran.code == 0, ran.err
    assert actions["delete"] == ["card-02"] and actions["create"] == ["card-02-renamed"]
    changes = {c["tag"]: c for c in json.loads(ran.out)["changes"]}
    assert changes["card-02-renamed"]["renamed_from"] == "card-02"
    assert "re-tagged" in changes["card-02"]["reason"]
    applied = run_cli("apply", "--emulator", "state.json", "--base", "HEAD", "--auto-approve")
    assert applied.code == 0, applied.err
    tags = Emulator(state_file=repo / "state.json").tags()
    assert "card-02" not in tags and "card-02-renamed" in tags


def test_scorecard_added_on_the_base_branch_after_forking_is_not_deleted(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "checkout", "-q", "main")
    (repo / CARDS / "late.yaml").write_text(card("late"))
    commit(repo, "late scorecard on main")
    assert run_cli("apply", "--emulator", "state.json", "--auto-approve").code == 0
    git(repo, "checkout", "-q", "feature")
    ran, actions = plan_json("--base", "main")
    assert ran.code == 0, ran.err
    assert "delete" not in actions
    assert actions["unmanaged"] == ["late"]


def test_unknown_base_ref_is_an_actionable_error(repo: Path) -> None:
    ran = run_cli("plan", "--emulator", "state.json", "--base", "no-such-branch")
    assert ran.code == 1
    assert "no-such-branch" in ran.err
    assert "Traceback" not in ran.err


def test_scorecards_made_outside_the_repository_are_never_deleted_without_prune(
    repo: Path,
) -> None:
    outside = Emulator(state_file=repo / "state.json")
    outside.put_descriptor(card("platform-ui-made"))
    outside.put_descriptor(card("other-team"))
    remove(repo, 0)
    _, plain = plan_json("--base", "HEAD")
    assert plain["delete"] == ["card-00"]
    assert plain["unmanaged"] == ["other-team", "platform-ui-made"]
    # prune on, but the patterns match neither: still untouched.
    (repo / ".scorecards-sync.yaml").write_text("managed: ['team-*']\nprune: true\n")
    _, pruned = plan_json()
    assert "delete" not in pruned
    assert pruned["unmanaged"] == ["card-00", "other-team", "platform-ui-made"]


def test_prune_deletes_only_matching_tags(repo: Path) -> None:
    outside = Emulator(state_file=repo / "state.json")
    outside.put_descriptor(card("platform-ui-made"))
    outside.put_descriptor(card("other-team"))
    (repo / ".scorecards-sync.yaml").write_text("managed: ['platform-*', 'card-*']\n")
    _, off = plan_json()
    assert "delete" not in off  # prune is off by default
    ran, on = plan_json("--prune")
    assert ran.code == 0, ran.err
    assert on["delete"] == ["platform-ui-made"]
    assert on["unmanaged"] == ["other-team"]
    delete = next(c for c in json.loads(ran.out)["changes"] if c["tag"] == "platform-ui-made")
    assert delete["reason"] == "prune: matches pattern platform-*"
    _, overridden = plan_json("--no-prune")
    assert "delete" not in overridden


def test_prune_without_managed_patterns_is_a_usage_error(repo: Path) -> None:
    ran = run_cli("plan", "--emulator", "state.json", "--prune")
    assert ran.code == 64
    assert "managed" in ran.err


def test_max_deletes_threshold_from_the_config_file(repo: Path) -> None:
    (repo / ".scorecards-sync.yaml").write_text("thresholds:\n  max_deletes: 1\n")
    remove(repo, 0, 1)
    ran = run_cli("plan", "--emulator", "state.json", "--base", "HEAD")
    assert ran.code == 1
    assert "more than thresholds.max_deletes (1)" in ran.err


def test_prune_against_an_empty_folder_is_refused_and_deletes_nothing(repo: Path) -> None:
    (repo / ".scorecards-sync.yaml").write_text("managed: ['*']\n")
    (repo / "emptydir").mkdir()
    ran = run_cli("apply", "--emulator", "state.json", "--prune", "emptydir", "--auto-approve")
    assert ran.code == 64, ran.out + ran.err
    assert "--prune needs every descriptor the repository holds" in ran.err  # a partial view
    assert len(Emulator(state_file=repo / "state.json").tags()) == 20
    (repo / ".scorecards-sync.yaml").write_text("managed: ['*']\npaths: [emptydir]\n")
    configured = run_cli("apply", "--emulator", "state.json", "--prune", "--auto-approve")
    assert configured.code == 64, configured.out + configured.err
    assert "refusing to prune: no descriptors were loaded" in configured.err
    assert "or pass --no-prune" in configured.err
    without = run_cli("plan", "--emulator", "state.json", "--no-prune")
    assert without.code == 0, without.err
    assert len(Emulator(state_file=repo / "state.json").tags()) == 20


def test_prune_with_a_partial_set_of_paths_is_refused(repo: Path) -> None:
    (repo / ".scorecards-sync.yaml").write_text("managed: ['card-*']\n")
    one = str(CARDS / "card-00.yaml")
    ran = run_cli("plan", "--emulator", "state.json", "--prune", one)
    assert ran.code == 64, ran.out + ran.err
    assert "--prune needs every descriptor the repository holds" in ran.err
    assert "configured paths (.cortex/scorecards)" in ran.err
    applied = run_cli("apply", "--emulator", "state.json", "--prune", one, "--auto-approve")
    assert applied.code == 64
    assert len(Emulator(state_file=repo / "state.json").tags()) == 20


def test_prune_from_the_configuration_is_off_for_a_partial_run(repo: Path) -> None:
    (repo / ".scorecards-sync.yaml").write_text("managed: ['card-*']\nprune: true\n")
    ran, actions = plan_json(str(CARDS / "card-00.yaml"))
    assert ran.code == 0, ran.err
    assert "prune is off for this run" in ran.err
    assert "delete" not in actions
    assert len(actions["unmanaged"]) == 19


def test_prune_with_the_configured_paths_spelled_differently_still_prunes(repo: Path) -> None:
    outside = Emulator(state_file=repo / "state.json")
    outside.put_descriptor(card("card-99"))
    (repo / ".scorecards-sync.yaml").write_text("managed: ['card-*']\n")
    ran, actions = plan_json("--prune", f"./{CARDS}/")
    assert ran.code == 0, ran.err
    assert actions["delete"] == ["card-99"]


@pytest.fixture
def small_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three committed descriptors, applied: far fewer than `min_managed`."""
    return applied_repo(tmp_path, monkeypatch, 3)


def test_deleting_every_managed_scorecard_needs_force_below_min_managed(small_repo: Path) -> None:
    remove(small_repo, 0, 1, 2)
    ran = run_cli("apply", "--emulator", "state.json", "--base", "HEAD", "--auto-approve")
    assert ran.code == 1, ran.out + ran.err
    assert "deletes every managed scorecard (3 of 3)" in ran.err
    assert len(Emulator(state_file=small_repo / "state.json").tags()) == 3
    # No threshold allows wiping out everything: only --force is offered.
    assert "re-run with --force." in ran.err and "raise the thresholds" not in ran.err
    forced = run_cli(
        "apply", "--emulator", "state.json", "--base", "HEAD", "--force", "--auto-approve"
    )
    assert forced.code == 0, forced.err
    assert Emulator(state_file=small_repo / "state.json").tags() == []
    # The override is said in the tool's own style, not in logging's.
    assert (
        "warning: --force: going ahead with a plan past the safety thresholds: "
        "it deletes every managed scorecard (3 of 3)" in forced.err
    )
    assert forced.err.count("--force") == 1  # what is forced, said once, no advice to re-run
    assert "WARNING" not in forced.err and "scorecards_sync." not in forced.err


def test_a_threshold_refusal_offers_raising_the_thresholds(repo: Path) -> None:
    remove(repo, *range(8))
    ran = run_cli("plan", "--emulator", "state.json", "--base", "HEAD")
    assert ran.code == 1
    assert "(or raise the thresholds in the configuration)." in ran.err


def test_a_deletion_names_its_file_once(repo: Path) -> None:
    remove(repo, 3)
    ran = run_cli("plan", "--emulator", "state.json", "--base", "HEAD")
    assert ran.code == 0, ran.err
    assert (
        "  - delete card-03  (.cortex/scorecards/card-03.yaml, descriptor file removed since base)"
        in ran.out.splitlines()
    )


def test_removing_the_whole_folder_is_planned_with_base(small_repo: Path) -> None:
    # Git keeps no empty folder: deleting every descriptor removes the folder itself.
    git(small_repo, "rm", "-q", "-r", str(CARDS))
    git(small_repo, "commit", "-q", "-m", "drop every scorecard")
    assert not (small_repo / CARDS).exists()
    refused = run_cli("plan", "--emulator", "state.json", "--base", "HEAD~1")
    assert refused.code == 1
    assert "no such file or directory" not in refused.out + refused.err
    assert "- delete card-00" in refused.out
    assert "deletes every managed scorecard (3 of 3)" in refused.err
    assert "warning: .cortex/scorecards no longer exists (it did at HEAD~1)" in refused.err
    ran, actions = plan_json("--base", "HEAD~1", "--force")
    assert ran.code == 0, ran.err
    assert actions["delete"] == ["card-00", "card-01", "card-02"]
    applied = run_cli(
        "apply", "--emulator", "state.json", "--base", "HEAD~1", "--force", "--auto-approve"
    )
    assert applied.code == 0, applied.err
    assert Emulator(state_file=small_repo / "state.json").tags() == []


def test_a_missing_folder_is_still_an_error_without_base_or_absent_at_base(
    small_repo: Path,
) -> None:
    git(small_repo, "rm", "-q", "-r", str(CARDS))
    git(small_repo, "commit", "-q", "-m", "drop every scorecard")
    ran = run_cli("plan", "--emulator", "state.json")
    assert ran.code == 1
    assert ".cortex/scorecards:1:1: error: no such file or directory" in ran.err
    never = run_cli("plan", "never-there", "--emulator", "state.json", "--base", "HEAD~1")
    assert never.code == 1
    assert "never-there:1:1: error: no such file or directory" in never.err
    assert len(Emulator(state_file=small_repo / "state.json").tags()) == 3


def test_with_base_git_is_asked_for_the_merge_base_once(
    small_repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading needs the merge base (is the missing folder one that existed there?), and so
    # does planning the deletions: git's own trace counts how often it is computed.
    git(small_repo, "rm", "-q", "-r", str(CARDS))
    git(small_repo, "commit", "-q", "-m", "drop every scorecard")
    trace = tmp_path_factory.mktemp("trace") / "git-trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    ran, actions = plan_json("--base", "HEAD~1", "--force")
    assert ran.code == 0, ran.err
    assert actions["delete"] == ["card-00", "card-01", "card-02"]
    merge_bases = [line for line in trace.read_text().splitlines() if " merge-base " in line]
    assert len(merge_bases) == 1, merge_bases
