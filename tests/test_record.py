"""The record of the last complete apply (`apply --record`, `plan --since-record`), on real
temporary git repositories against the in-process emulator.

Removals are computed from the recorded commit, so a deletion that did not happen (a
threshold, a failure) is planned again by the next run, and happens once allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import enter_workdir, rule_card, run_cli
from git_repo import commit, git, init_repo

from scorecards_sync.emulator import Emulator, Faults
from scorecards_sync.errors import RecordError
from scorecards_sync.record import Record, read_record, write_record

TAGS = [f"card-{i}" for i in range(4)]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    init_repo(tmp_path)
    # Any delete is over the thresholds without --force.
    (tmp_path / ".scorecards-sync.yaml").write_text(
        "paths: [cards]\nthresholds:\n  max_deletes: 0\n", encoding="utf-8"
    )
    (tmp_path / ".gitignore").write_text("state.json\nrecord.json\n", encoding="utf-8")
    cards = tmp_path / "cards"
    cards.mkdir()
    for tag in TAGS:
        (cards / f"{tag}.yaml").write_text(rule_card(tag), encoding="utf-8")
    commit(tmp_path, "four cards")
    return tmp_path


def apply(*extra: str) -> tuple[int, str, str]:
    ran = run_cli(
        "apply", "--emulator", "state.json", "--auto-approve", "--record", "record.json", *extra
    )
    return ran.code, ran.out, ran.err


def live(repo: Path) -> list[str]:
    return Emulator(state_file=repo / "state.json").tags()


def test_a_first_apply_says_there_is_no_record_and_writes_one(repo: Path) -> None:
    code, _out, err = apply()
    assert code == 0, err
    assert "no record at record.json yet" in err
    record = read_record(repo / "record.json")
    assert record is not None
    assert record.commit == git(repo, "rev-parse", "HEAD")
    assert record.paths == ("cards",)
    assert record.target.startswith("emulator:")
    assert record.tags == tuple(TAGS)
    assert live(repo) == TAGS


def test_a_delete_refused_by_a_threshold_is_planned_again_on_the_next_push(repo: Path) -> None:
    assert apply()[0] == 0
    recorded = read_record(repo / "record.json")
    (repo / "cards" / "card-0.yaml").unlink()
    commit(repo, "retire card-0")
    code, out, err = apply()
    assert code == 1
    assert "- delete card-0" in out
    assert "threshold" in err.lower() or "refus" in err.lower()
    assert read_record(repo / "record.json") == recorded  # a refused apply records nothing
    assert "card-0" in live(repo)

    # The next push changes something else: the delete is still planned, from the record.
    (repo / "cards" / "card-1.yaml").write_text(rule_card("card-1", name="Renamed"))
    commit(repo, "rename card-1")
    ran = run_cli("plan", "--emulator", "state.json", "--since-record", "record.json")
    assert ran.code == 1, ran.err  # still over the thresholds
    assert "- delete card-0" in ran.out and "~ update card-1" in ran.out
    assert "since the recorded commit" in ran.err
    # Without the record, only the last commit counts: the delete would be lost.
    lost = run_cli("plan", "--emulator", "state.json", "--base", "HEAD~1")
    assert "delete card-0" not in lost.out

    code, out, err = apply("--force")
    assert code == 0, err
    assert "delete card-0: done" in out
    assert "card-0" not in live(repo)
    record = read_record(repo / "record.json")
    assert record is not None and record.commit == git(repo, "rev-parse", "HEAD")
    assert "card-0" not in record.tags


def test_a_failed_apply_leaves_the_record_where_it_was(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORTEX_API_KEY", "record-test-key")
    monkeypatch.setenv("SCORECARDS_SYNC_RETRIES", "1")
    emulator = Emulator()
    with emulator.serve() as server:
        args = ("apply", "--base-url", server.base_url, "--auto-approve", "--record", "record.json")
        first = run_cli(*args)
        assert first.code == 0, first.err
        written = (repo / "record.json").read_text(encoding="utf-8")
        for tag in ("card-2", "card-3"):
            (repo / "cards" / f"{tag}.yaml").write_text(rule_card(tag, name="Changed"))
        commit(repo, "change two cards")
        emulator.faults = Faults(failing_tags=frozenset({"card-2"}))
        failed = run_cli(*args)
        assert failed.code == 1
        assert "~ update card-2: failed" in failed.out
        assert "~ update card-3: done" in failed.out
        assert (repo / "record.json").read_text(encoding="utf-8") == written
        emulator.faults = Faults()
        again = run_cli(*args)
        assert again.code == 0, again.err
    record = read_record(repo / "record.json")
    assert record is not None and record.commit == git(repo, "rev-parse", "HEAD")
    assert record.target == server.base_url


def test_a_record_naming_a_commit_no_longer_in_history_falls_back_safely(repo: Path) -> None:
    (repo / "cards" / "card-3.yaml").unlink()
    commit(repo, "retire card-3 (to be rewritten)")
    assert apply("--force")[0] == 0
    gone = read_record(repo / "record.json")
    assert gone is not None
    # History is rewritten (a force-push): the recorded commit is no longer an ancestor.
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (repo / "cards" / "card-0.yaml").unlink()
    commit(repo, "retire card-0 instead")
    ran = run_cli("plan", "--emulator", "state.json", "--since-record", "record.json")
    assert ran.code == 0, ran.err
    assert f"names commit {gone.commit[:12]}, which is not in this branch's history" in ran.err
    assert "no deletions are planned from files removed" in ran.err
    assert "delete" not in ran.out.replace("0 to delete", "")
    with_base = run_cli(
        "plan", "--emulator", "state.json", "--since-record", "record.json", "--base", "HEAD~1"
    )
    assert "deletions are computed since HEAD~1 instead" in with_base.err
    assert "- delete card-0" in with_base.out


def test_a_record_for_another_target_is_refused_by_apply_and_ignored_by_plan(repo: Path) -> None:
    other = Record("https://other.invalid", ("cards",), "0" * 40, "2026-01-01T00:00:00Z")
    write_record(other, repo / "record.json")
    code, _out, err = apply()
    assert code == 1
    assert "is for https://other.invalid (cards)" in err and "refusing" in err
    assert read_record(repo / "record.json") == other
    ran = run_cli("plan", "--emulator", "state.json", "--since-record", "record.json")
    assert ran.code == 0, ran.err
    assert "ignored" in ran.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not a scorecards-sync record"),
        ('{"format": "scorecards-sync-record", "version": 9}', "version 9"),
    ],
)
def test_a_broken_record_is_an_error_not_a_fallback(repo: Path, text: str, message: str) -> None:
    (repo / "record.json").write_text(text, encoding="utf-8")
    ran = run_cli("plan", "--emulator", "state.json", "--since-record", "record.json")
    assert ran.code == 1
    assert message in ran.err


def test_the_record_round_trips_and_is_rewritten_in_one_step(tmp_path: Path) -> None:
    record = Record("https://x.invalid", ("a", "b"), "a" * 40, "2026-01-01T00:00:00Z", ("t",))
    write_record(record, tmp_path / "r.json")
    assert read_record(tmp_path / "r.json") == record
    assert read_record(tmp_path / "absent.json") is None
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    with pytest.raises(RecordError):
        read_record(tmp_path)
