from __future__ import annotations

from pathlib import Path

import pytest

from scorecards_sync.errors import PlanError
from scorecards_sync.files import write_atomically
from scorecards_sync.plan import Action, Change, Plan
from scorecards_sync.planfile import read_plan, write_plan


def _plan() -> Plan:
    return Plan((Change(Action.CREATE, "a", desired_yaml="tag: a\nname: A\n"),), base_url="x")


def test_a_written_plan_reads_back_equal(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "plan.json"
    write_plan(_plan(), target)
    assert read_plan(target) == _plan()
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]


def test_a_plan_over_a_folder_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="it is a folder"):
        write_plan(_plan(), tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not JSON"),
        (b"[1, 2]", "is not a scorecards-sync plan"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_plans_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    target = tmp_path / "plan.json"
    target.write_bytes(content)
    with pytest.raises(PlanError, match=message):
        read_plan(target)


def test_a_failed_write_leaves_neither_a_partial_file_nor_the_target(tmp_path: Path) -> None:
    unencodable = "tag: \ud800"  # a lone surrogate: UTF-8 cannot write it
    with pytest.raises(UnicodeEncodeError):
        write_atomically(tmp_path / "x.yaml", unencodable)
    assert list(tmp_path.iterdir()) == []
