"""Saved plans on disk: written in one step, read back with every mistake named.

A half-written plan file must never be applied, so it is written in one step.
"""

from __future__ import annotations

import json
from pathlib import Path

from scorecards_sync.errors import PlanError
from scorecards_sync.files import write_atomically
from scorecards_sync.plan import Plan
from scorecards_sync.render.plan_json import JsonPlanRenderer


def write_plan(plan: Plan, path: Path) -> None:
    try:
        write_atomically(path, JsonPlanRenderer().render(plan) + "\n")
    except OSError as exc:
        problem = "it is a folder" if path.is_dir() else exc.strerror or str(exc)
        raise PlanError(f"cannot write the plan to {path}: {problem}") from None


def read_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PlanError(f"cannot read plan file {path}: {reason or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"plan file {path} is not JSON ({exc}); run `plan --out` again") from None
    if not isinstance(data, dict):
        raise PlanError(f"plan file {path} is not a scorecards-sync plan")
    return Plan.from_json(data)
