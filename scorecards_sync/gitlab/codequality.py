"""Validation problems as a GitLab Code Quality report (`gl-code-quality-report.json`).

GitLab's merge-request widget reads a JSON array of issues, each
`{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}`
with `severity` one of info, minor, major, critical, blocker. It shows one issue per
fingerprint, so the fingerprint covers the position as well as the message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from scorecards_sync.problems import Problem, Severity, sort_problems

REPORT_NAME = "gl-code-quality-report.json"
SEVERITIES = ("info", "minor", "major", "critical", "blocker")
# An error stops the pipeline (nothing is sent to Cortex); a warning does not.
_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor"}
_CHECK_PREFIX = "scorecards-sync"


def issue(problem: Problem) -> dict[str, Any]:
    """One Code Quality issue for `problem`."""
    check = f"{_CHECK_PREFIX}/{problem.code}" if problem.code else _CHECK_PREFIX
    identity = "\0".join(
        [problem.path, str(problem.line), str(problem.column), check, problem.message]
    )
    return {
        "description": problem.message,
        "check_name": check,
        "fingerprint": hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32],
        "severity": _SEVERITY[problem.severity],
        "location": {"path": problem.path, "lines": {"begin": max(problem.line, 1)}},
    }


def report(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """The report: one issue per problem, in file order; identical problems once."""
    seen: set[str] = set()
    issues = []
    for problem in sort_problems(list(problems)):
        made = issue(problem)
        if made["fingerprint"] not in seen:
            seen.add(made["fingerprint"])
            issues.append(made)
    return issues


def report_json(problems: Iterable[Problem]) -> str:
    """The report as the artifact file's text (`[]` when there is nothing to say)."""
    return json.dumps(report(problems), indent=2, ensure_ascii=False) + "\n"
