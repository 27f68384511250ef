"""`scorecards-sync pull`: files named after tags, exactly as Cortex serves them, never
overwriting local edits without --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.emulator import Emulator


def card(tag: str, *, name: str | None = None) -> str:
    return (
        f"tag: {tag}\n"
        f"name: {name or tag.title()}\n"
        "description: |\n"
        "  Two lines\n"
        "  of markdown.\n"
        "rules:\n"
        "  - title: Has owner\n"
        "    expression: ownership != null\n"
        "    weight: 2\n"
    )


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))


@pytest.fixture
def emulator(workdir: Path) -> Emulator:
    emulator = Emulator(state_file=workdir / "state.json")
    for tag in ("alpha", "beta"):
        emulator.put_descriptor(card(tag))
    return emulator


def test_pull_writes_exactly_what_cortex_serves_and_plan_is_empty(
    workdir: Path, emulator: Emulator
) -> None:
    ran = run_cli("pull", "--dir", "pulled", "--emulator", "state.json")
    assert ran.code == 0, ran.err
    assert sorted(p.name for p in (workdir / "pulled").iterdir()) == ["alpha.yaml", "beta.yaml"]
    for tag in ("alpha", "beta"):
        served = emulator.descriptor_text(tag)
        assert (workdir / "pulled" / f"{tag}.yaml").read_text() == f"{served}\n"
    assert "Pulled 2 scorecard(s) into pulled: 2 written, 0 up to date, 0 skipped." in ran.out
    plan = run_cli("plan", "pulled", "--emulator", "state.json", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes" in plan.out


def test_default_folder_is_the_first_configured_path(workdir: Path, emulator: Emulator) -> None:
    (workdir / ".scorecards-sync.yaml").write_text("paths: [cortex/cards, more]\n")
    assert run_cli("pull", "--emulator", "state.json").code == 0
    assert (workdir / "cortex" / "cards" / "alpha.yaml").is_file()


def test_pull_again_is_a_no_op(workdir: Path, emulator: Emulator) -> None:
    assert run_cli("pull", "--dir", "d", "--emulator", "state.json").code == 0
    before = {p.name: p.stat().st_mtime_ns for p in (workdir / "d").iterdir()}
    again = run_cli("pull", "--dir", "d", "--emulator", "state.json")
    assert again.code == 0
    assert "0 written, 2 up to date" in again.out
    assert {p.name: p.stat().st_mtime_ns for p in (workdir / "d").iterdir()} == before


def test_local_edits_are_kept_without_force(workdir: Path, emulator: Emulator) -> None:
    assert run_cli("pull", "--dir", "d", "--emulator", "state.json").code == 0
    edited = (workdir / "d" / "alpha.yaml").read_text().replace("name: Alpha", "name: Mine")
    (workdir / "d" / "alpha.yaml").write_text(edited)
    ran = run_cli("pull", "--dir", "d", "--emulator", "state.json")
    assert ran.code == 1
    assert "skipped   d/alpha.yaml: differs from Cortex" in ran.out
    assert "--force" in ran.err
    assert (workdir / "d" / "alpha.yaml").read_text() == edited
    forced = run_cli("pull", "--dir", "d", "--emulator", "state.json", "--force")
    assert forced.code == 0
    assert (workdir / "d" / "alpha.yaml").read_text() == f"{emulator.descriptor_text('alpha')}\n"


def test_same_scorecard_in_another_format_is_left_alone(workdir: Path, emulator: Emulator) -> None:
    folder = workdir / "d"
    folder.mkdir()
    (folder / "alpha.yaml").write_text(card("alpha"))  # the short form, defaults omitted
    ran = run_cli("pull", "--dir", "d", "--emulator", "state.json", "--tag", "alpha")
    assert ran.code == 0, ran.out + ran.err
    assert "formatted differently; kept yours" in ran.out
    assert (folder / "alpha.yaml").read_text() == card("alpha")


def test_a_file_holding_the_tag_under_another_name_is_updated_in_place(
    workdir: Path, emulator: Emulator
) -> None:
    folder = workdir / "d"
    folder.mkdir()
    (folder / "team-alpha-card.yaml").write_text(card("alpha", name="Old Name"))
    ran = run_cli("pull", "--dir", "d", "--emulator", "state.json", "--tag", "alpha", "--force")
    assert ran.code == 0, ran.err
    assert sorted(p.name for p in folder.iterdir()) == ["team-alpha-card.yaml"]
    assert "name: Alpha" in (folder / "team-alpha-card.yaml").read_text()


def test_file_named_after_the_tag_but_holding_another_is_not_overwritten(
    workdir: Path, emulator: Emulator
) -> None:
    folder = workdir / "d"
    folder.mkdir()
    (folder / "alpha.yaml").write_text(card("something-else"))
    ran = run_cli("pull", "--dir", "d", "--emulator", "state.json", "--tag", "alpha")
    assert ran.code == 1
    assert "does not hold this scorecard" in ran.out
    assert "tag: something-else" in (folder / "alpha.yaml").read_text()


def test_unknown_tag_is_an_error(workdir: Path, emulator: Emulator) -> None:
    ran = run_cli(
        "pull", "--dir", "d", "--emulator", "state.json", "--tag", "alpha", "--tag", "zzz"
    )
    assert ran.code == 1
    assert "no scorecard with tag 'zzz'" in ran.err
    assert (workdir / "d" / "alpha.yaml").is_file()
    assert not (workdir / "d" / "beta.yaml").exists()


def test_dir_that_is_a_file_is_a_usage_error(workdir: Path, emulator: Emulator) -> None:
    (workdir / "f").write_text("x")
    assert run_cli("pull", "--dir", "f", "--emulator", "state.json").code == 64
