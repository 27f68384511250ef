"""`scorecards-sync plan` end to end: the in-process emulator (--emulator) or the loopback one."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import enter_workdir, read_github_output, run_cli
from cli_runner import ladder_card as card

from scorecards_sync.config import resolve_settings
from scorecards_sync.cortex.client import CortexClient
from scorecards_sync.emulator import Emulator
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.workflow import check_on_server

CANARY = "canary-key-7d41e0b2-must-never-show"
ENV_NAMES = ("CORTEX_API_KEY", "CORTEX_API_KEY_FILE", "CORTEX_BASE_URL", "GITHUB_OUTPUT")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean working directory and environment: no key, no CI variables, no config."""
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_",), names=ENV_NAMES)
    (tmp_path / "cards").mkdir()
    yield tmp_path


def write_cards(folder: Path, *texts: str) -> None:
    for text in texts:
        tag = text.split("\n", 1)[0].removeprefix("tag: ")
        (folder / f"{tag}.yaml").write_text(text, encoding="utf-8")


def test_plan_shows_creates_then_nothing_after_apply(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"), card("beta"))
    first = run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode")
    assert first.code == 2, first.err
    assert "+ create alpha" in first.out and "+ create beta" in first.out
    assert "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged." in first.out
    assert first.out.rstrip().splitlines()[-1].startswith("Plan checksum: sha256:")
    assert run_cli("plan", "cards", "--emulator", "state.json").code == 0  # 0 without the flag
    assert run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve").code == 0
    second = run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode")
    assert second.code == 0, second.err
    assert "No changes. Cortex matches the repository." in second.out


def test_plan_shows_rule_level_update(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    assert run_cli("apply", "cards", "--emulator", "state.json", "--auto-approve").code == 0
    write_cards(workdir / "cards", card("alpha", level="Silver"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--detailed-exitcode")
    assert ran.code == 2
    assert "~ update alpha" in ran.out
    assert "Bronze" in ran.out and "Silver" in ran.out


def test_invalid_descriptors_are_reported_and_nothing_is_sent(workdir: Path) -> None:
    write_cards(workdir / "cards", card("good"))
    (workdir / "cards" / "broken.yaml").write_text("tag: broken\nname: [unclosed\n")
    (workdir / "cards" / "bad-level.yaml").write_text(
        card("bad-level").replace("level: Bronze", "level: Platinum")
    )
    emulator = Emulator()
    with emulator.serve() as server:
        ran = run_cli("plan", "cards", "--base-url", server.base_url)
    assert ran.code == 1
    assert "cards/broken.yaml:" in ran.err and "error:" in ran.err
    assert "cards/bad-level.yaml:" in ran.err and "Platinum" in ran.err
    assert "nothing was sent to Cortex" in ran.err
    assert ran.out == ""
    assert emulator.stats.total == 0


def test_saved_plan_holds_no_key_and_checksum_is_printed_and_exported(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cards(workdir / "cards", card("alpha"), card("beta"))
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)
    outputs = workdir / "github-output.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    emulator = Emulator(api_keys={CANARY: frozenset({"view", "edit"})})
    (workdir / "plans").mkdir()
    with emulator.serve() as server:
        ran = run_cli(
            "-vv", "plan", "cards", "--base-url", server.base_url, "--out", "plans/p.json"
        )
    assert ran.code == 0, ran.err
    saved_text = (workdir / "plans" / "p.json").read_text(encoding="utf-8")
    assert "DEBUG scorecards_sync.cortex" in ran.err  # the requests were logged...
    assert CANARY not in saved_text + ran.out + ran.err  # ...and the key shows nowhere
    saved = Plan.from_json(json.loads(saved_text))
    assert [c.tag for c in saved.changes] == ["alpha", "beta"]
    assert saved.base_url == server.base_url
    assert f"Plan checksum: {saved.checksum()}" in ran.out
    assert read_github_output(outputs) == {
        "plan-checksum": saved.checksum(),
        "has-changes": "true",
    }


def test_json_format_keeps_stdout_parseable(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--format", "json")
    assert ran.code == 0
    body = json.loads(ran.out)
    assert body["summary"]["create"] == 1
    assert "Plan checksum: " + body["checksum"] in ran.err


def test_markdown_format(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--format", "markdown")
    assert ran.code == 0
    assert "alpha" in ran.out and "|" in ran.out
    # The document ends with its checksum; the command's own checksum line goes to stderr.
    assert "Plan checksum:" not in ran.out
    assert ran.out.rstrip().endswith("</code></sub>")
    assert "Plan checksum: sha256:" in ran.err


def test_server_validate_records_verdicts_without_writing(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"), card("beta"))
    assert (
        run_cli("apply", "cards/beta.yaml", "--emulator", "state.json", "--auto-approve").code == 0
    )
    write_cards(workdir / "cards", card("beta", name="Beta Two"))
    ran = run_cli(
        "plan", "cards", "--emulator", "state.json", "--server-validate", "--format", "json"
    )
    assert ran.code == 0, ran.err
    verdicts = {c["tag"]: c["server_validation"] for c in json.loads(ran.out)["changes"]}
    assert verdicts == {
        "alpha": {"ok": True, "messages": []},
        "beta": {"ok": True, "messages": []},
    }
    assert Emulator(state_file=workdir / "state.json").tags() == ["beta"]


def test_server_validate_with_a_view_only_key_plans_with_one_warning(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cards(workdir / "cards", card("alpha"), card("beta"))
    monkeypatch.setenv("CORTEX_API_KEY", CANARY)
    emulator = Emulator(api_keys={CANARY: frozenset({"view"})})
    with emulator.serve() as server:
        ran = run_cli(
            "plan", "cards", "--base-url", server.base_url, "--server-validate", "--format", "json"
        )
    assert ran.code == 0, ran.err
    verdicts = {c["tag"]: c["server_validation"] for c in json.loads(ran.out)["changes"]}
    assert verdicts == {"alpha": None, "beta": None}
    assert ran.err.count("server-side validation skipped") == 1
    assert "lacks 'Edit Scorecards'" in ran.err
    assert CANARY not in ran.out + ran.err
    assert emulator.tags() == []


def test_server_validate_keeps_cortex_rejection_per_change(workdir: Path) -> None:
    emulator = Emulator()
    bad = card("bad").replace("level: Bronze", "level: Platinum")
    plan = Plan(
        (
            Change(Action.CREATE, "bad", desired_yaml=bad),
            Change(Action.CREATE, "good", desired_yaml=card("good")),
            Change(Action.UNCHANGED, "same"),
        )
    )
    with CortexClient(
        "https://emulator.invalid", "k", transport=emulator.transport(), rate_limit_per_minute=None
    ) as client:
        checked = check_on_server(plan, client, concurrency=2).plan
    by_tag = {c.tag: c.server_validation for c in checked.changes}
    assert by_tag["good"] is not None and by_tag["good"].ok
    assert by_tag["same"] is None
    verdict = by_tag["bad"]
    assert verdict is not None and not verdict.ok
    assert any("Invalid scorecard yaml" in m for m in verdict.messages)
    assert any("Platinum" in m for m in verdict.messages)
    assert emulator.tags() == []


def test_no_key_for_real_cortex_is_a_usage_error(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--base-url", "http://127.0.0.1:9")
    assert ran.code == 64
    assert "CORTEX_API_KEY" in ran.err


def test_paths_default_to_the_configured_ones(workdir: Path) -> None:
    (workdir / ".scorecards-sync.yaml").write_text("paths: [cards]\n")
    write_cards(workdir / "cards", card("alpha"))
    assert resolve_settings().paths == ("cards",)
    ran = run_cli("plan", "--emulator", "state.json")
    assert ran.code == 0 and "+ create alpha" in ran.out


def test_unmanaged_scorecards_are_listed_never_deleted(workdir: Path) -> None:
    outside = Emulator(state_file=workdir / "state.json")
    outside.put_descriptor(card("made-in-the-ui"))
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--format", "json")
    body = json.loads(ran.out)
    assert body["unmanaged"] == ["made-in-the-ui"]
    assert [c["action"] for c in body["changes"]] == ["create"]


def test_plan_out_to_a_folder_or_under_a_file_is_a_clear_error(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    (workdir / "plans").mkdir()
    (workdir / "a-file").write_text("not a folder\n")
    for target, problem in (("plans", "it is a folder"), ("a-file/p.json", "")):
        ran = run_cli("plan", "cards", "--emulator", "state.json", "--out", target)
        assert ran.code == 1, ran.err
        assert f"error: cannot write the plan to {target}: {problem}" in ran.err
        assert "Traceback" not in ran.err and "Saved the plan" not in ran.err
    assert list(workdir.glob(".plans.*")) == []  # no temporary file left behind


def test_an_unwritable_github_output_is_a_clear_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cards(workdir / "cards", card("alpha"))
    (workdir / "outputs").mkdir()
    monkeypatch.setenv("GITHUB_OUTPUT", str(workdir / "outputs"))
    ran = run_cli("plan", "cards", "--emulator", "state.json")
    assert ran.code == 1
    assert "error: cannot write the step outputs to GITHUB_OUTPUT (" in ran.err
    assert "Traceback" not in ran.err


def test_a_plan_made_with_the_emulator_path_spelled_differently_applies(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    made = run_cli("plan", "cards", "--emulator", "./st.json", "--out", "p.json")
    assert made.code == 0, made.err
    saved = json.loads((workdir / "p.json").read_text(encoding="utf-8"))
    assert saved["base_url"] == "emulator:st.json"
    ran = run_cli("apply", "--plan", "p.json", "--emulator", "st.json")
    assert ran.code == 0, ran.err
    assert Emulator(state_file=workdir / "st.json").tags() == ["alpha"]


def test_plan_out_into_a_folder_that_does_not_exist_is_refused_before_planning(
    workdir: Path,
) -> None:
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--out", "nope/dir/p.json")
    assert ran.code == 1
    assert ran.err == (
        "error: cannot write the plan to nope/dir/p.json: the folder nope/dir does not exist; "
        "create it first\n"
    )
    assert ran.out == ""  # refused before planning: nothing shown as if it were saved
    assert not (workdir / "nope").exists()


def test_plan_of_an_empty_folder_says_nothing_was_found(workdir: Path) -> None:
    Emulator(state_file=workdir / "state.json").put_descriptor(card("theirs"))
    ran = run_cli("plan", "cards", "--emulator", "state.json")
    assert ran.code == 0, ran.err
    assert "cards:1:1: warning: no descriptor files (*.yaml, *.yml) in this folder" in ran.err
    assert "No changes. Cortex matches the repository." not in ran.out
    assert ran.out.splitlines()[:3] == [
        "No descriptors found: nothing to plan.",
        "Plan: 0 to create, 0 to update, 0 to delete, 0 unchanged.",
        "1 live scorecard not managed here (left untouched): theirs",
    ]


def test_the_saved_plan_message_gives_the_apply_command_that_works(workdir: Path) -> None:
    write_cards(workdir / "cards", card("alpha"))
    ran = run_cli("plan", "cards", "--emulator", "state.json", "--out", "p.json")
    assert ran.code == 0, ran.err
    told = ran.err.split("apply it with `", 1)[1].split("`", 1)[0]
    assert told == "scorecards-sync apply --plan p.json --emulator state.json"
    applied = run_cli(*shlex.split(told)[1:])
    assert applied.code == 0, applied.err
    assert Emulator(state_file=workdir / "state.json").tags() == ["alpha"]


def test_plan_without_the_default_folder_says_what_validate_says(workdir: Path) -> None:
    planned = run_cli("plan", "--emulator", "state.json")
    validated = run_cli("validate")
    assert planned.code == validated.code == 1
    said = ".cortex/scorecards:1:1: error: no such file or directory (the default folder; pass "
    assert said in planned.err and said in validated.out + validated.err
    assert "or set `paths` in .scorecards-sync.yaml" in planned.err


def test_descriptor_warnings_are_one_line_before_a_plan(workdir: Path) -> None:
    legacy = card("legacy").replace(
        "name: Legacy\n", "name: Legacy\nfilter:\n  category: SERVICE\n"
    )
    write_cards(workdir / "cards", legacy)
    assert "category: SERVICE" in (workdir / "cards" / "legacy.yaml").read_text()
    validated = run_cli("validate", "cards")
    assert "legacy filter shape" in validated.out + validated.err  # validate says it in full
    planned = run_cli("plan", "cards", "--emulator", "state.json")
    assert planned.code == 0, planned.err
    assert "legacy filter shape" not in planned.err
    assert (
        "warning: 1 warning(s) in cards/legacy.yaml; `scorecards-sync validate` shows them"
        in planned.err
    )
