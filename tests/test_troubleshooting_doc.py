"""docs/troubleshooting.md explains every error class users can meet."""

from __future__ import annotations

import inspect
from pathlib import Path

from scorecards_sync import errors

DOC = Path(__file__).resolve().parents[1] / "docs" / "troubleshooting.md"


def test_every_error_class_has_an_entry() -> None:
    text = DOC.read_text(encoding="utf-8")
    classes = [
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, errors.ScorecardsSyncError)
        and value not in (errors.ScorecardsSyncError, errors.ApiCallError)
    ]
    assert len(classes) > 10
    missing = [name for name in classes if f"**`{name}`**" not in text]
    assert not missing, missing
