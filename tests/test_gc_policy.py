"""A command runs with the cycle collector's young generation enlarged, and puts the
collector's pace back when it ends (`gc_policy.py` says why)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from cli_runner import run_cli

from scorecards_sync.commands import validate as validate_command
from scorecards_sync.gc_policy import YOUNG_OBJECTS, fewer_collections
from scorecards_sync.source import load_source

GOOD = Path(__file__).resolve().parent / "data" / "good" / "colors.yaml"


def test_a_command_runs_with_fewer_collections_and_restores_the_pace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int, int]] = []

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return load_source(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validate_command, "load_source", recording)
    before = gc.get_threshold()
    ran = run_cli("validate", str(GOOD))
    assert ran.code == 0, ran.err
    assert seen and seen[0][0] == max(before[0], YOUNG_OBJECTS)
    assert gc.get_threshold() == before


def test_the_pace_is_put_back_after_a_failure() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold()[0] >= YOUNG_OBJECTS
        raise RuntimeError
    assert gc.get_threshold() == before
