"""`scorecards-sync drift`: repository × record × Cortex, on a real temporary git repository
against the in-process emulator (its state file), in the matrix the issue names: edited in
Cortex, created in Cortex under a managed pattern, deleted in Cortex, pending edit, pending
delete, both sides changed, in sync; and `--heal`.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cli_runner import enter_workdir, rule_card, run_cli
from git_repo import commit, git, init_repo

from scorecards_sync.emulator import Emulator

CARDS = ("card-edit", "card-gone", "card-pending", "card-retired", "card-both", "card-sync")


def emulator(repo: Path) -> Emulator:
    return Emulator(state_file=repo / "state.json")


def delete_live(repo: Path, tag: str) -> None:
    with httpx.Client(
        transport=emulator(repo).transport(), base_url="https://cortex.invalid"
    ) as client:
        answer = client.delete(f"/api/v1/scorecards/{tag}", headers={"Authorization": "Bearer k"})
        assert answer.status_code == 200


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_"))
    init_repo(tmp_path)
    (tmp_path / ".scorecards-sync.yaml").write_text(
        'paths: [cards]\nmanaged: ["card-*"]\n', encoding="utf-8"
    )
    (tmp_path / ".gitignore").write_text("state.json\nrecord.json\n", encoding="utf-8")
    (tmp_path / "cards").mkdir()
    for tag in CARDS:
        (tmp_path / "cards" / f"{tag}.yaml").write_text(rule_card(tag), encoding="utf-8")
    commit(tmp_path, "six cards")
    applied = run_cli(
        "apply", "--emulator", "state.json", "--auto-approve", "--record", "record.json"
    )
    assert applied.code == 0, applied.err
    return tmp_path


def drift(*extra: str) -> tuple[int, str, str]:
    ran = run_cli("drift", "--emulator", "state.json", "--since-record", "record.json", *extra)
    return ran.code, ran.out, ran.err


def make_every_kind_of_difference(repo: Path) -> None:
    live = emulator(repo)
    live.put_descriptor(rule_card("card-edit", name="Edited In The UI"))
    live.put_descriptor(rule_card("card-ui"))  # created in Cortex, under `card-*`
    live.put_descriptor(rule_card("other-team"))  # nothing claims it
    delete_live(repo, "card-gone")
    (repo / "cards" / "card-pending.yaml").write_text(rule_card("card-pending", weight=3))
    (repo / "cards" / "card-retired.yaml").unlink()
    (repo / "cards" / "card-both.yaml").write_text(rule_card("card-both", weight=5))
    commit(repo, "pending changes")
    live.put_descriptor(rule_card("card-both", name="Both Sides"))


def test_in_sync_right_after_an_apply(repo: Path) -> None:
    code, out, err = drift("--detailed-exitcode")
    assert code == 0, err
    assert "In sync: Cortex matches the repository." in out
    assert "since the recorded commit" in err


def test_the_matrix_sorts_every_difference(repo: Path) -> None:
    make_every_kind_of_difference(repo)
    code, out, err = drift("--format", "json", "--detailed-exitcode")
    assert code == 2, err
    report = json.loads(out)
    assert report["format"] == "scorecards-sync-drift" and report["version"] == 1
    assert report["in_sync"] is False
    assert report["record"] == git(repo, "rev-parse", "HEAD~1")
    pending = {p["tag"]: p["action"] for p in report["pending"]}
    drifted = {d["tag"]: d["kind"] for d in report["drifted"]}
    assert pending == {"card-pending": "update", "card-retired": "delete", "card-both": "update"}
    assert drifted == {
        "card-edit": "edited",
        "card-ui": "created",
        "card-gone": "deleted",
        "card-both": "edited",
    }
    assert [u["tag"] for u in report["unmanaged"]] == ["other-team"]
    assert "card-sync" not in pending and "card-sync" not in drifted
    (edit,) = [d for d in report["drifted"] if d["tag"] == "card-edit"]
    assert edit["last_updated"]
    assert edit["fields"] == [
        {"path": "name", "kind": "changed", "old": "Edited In The UI", "new": "Card-Edit"}
    ]
    (pend,) = [p for p in report["pending"] if p["tag"] == "card-pending"]
    assert pend["rules"][0]["fields"][0]["path"] == "weight"


def test_text_and_markdown_say_the_same(repo: Path) -> None:
    make_every_kind_of_difference(repo)
    code, out, _err = drift()
    assert code == 0  # without --detailed-exitcode, drift is not an error
    assert "Drift: 3 pending, 4 drifted, 1 unmanaged." in out
    assert "card-edit: edited in Cortex" in out
    assert "delete card-retired  (cards/card-retired.yaml): not applied yet" in out
    code, md, _err = drift("--format", "markdown")
    assert "**Drift: 3 pending, 4 drifted, 1 unmanaged.**" in md
    assert "<code>card-gone</code>: deleted from Cortex" in md
    assert "<code>other-team</code>" in md


def test_without_a_record_every_difference_is_drifted(repo: Path) -> None:
    make_every_kind_of_difference(repo)
    ran = run_cli("drift", "--emulator", "state.json", "--format", "json")
    assert ran.code == 0, ran.err
    report = json.loads(ran.out)
    assert report["pending"] == [] and report["record"] is None
    assert "no record given" in ran.err
    assert {d["tag"] for d in report["drifted"]} >= {"card-edit", "card-pending", "card-both"}


def test_heal_applies_the_repository_and_drift_is_gone(repo: Path) -> None:
    make_every_kind_of_difference(repo)
    refused = run_cli(
        "drift", "--emulator", "state.json", "--since-record", "record.json", "--heal"
    )
    assert refused.code == 1 and "--auto-approve" in refused.err
    healed = run_cli(
        "drift",
        "--emulator",
        "state.json",
        "--since-record",
        "record.json",
        "--heal",
        "--auto-approve",
        "--force",
    )
    assert healed.code == 0, healed.err
    assert "Apply complete" in healed.out
    live = emulator(repo)
    assert "Edited In The UI" not in (live.descriptor_text("card-edit") or "")
    assert "card-gone" in live.tags() and "card-retired" not in live.tags()
    assert "other-team" in live.tags()  # unmanaged: never touched
    # card-ui was created in Cortex under a managed pattern: only prune deletes it.
    assert "card-ui" in live.tags()
    _code, out, _err = drift("--format", "json")
    report = json.loads(out)
    assert [d["tag"] for d in report["drifted"]] == ["card-ui"]
    assert report["pending"] == []
