"""Reporters for validation problems, chosen by name from `REPORTERS`.

A reporter turns problems into lines for stdout and stderr; it never prints.
`text` is for people, `json` for programs (a documented, versioned object),
`github` for GitHub Actions (workflow commands that annotate the offending lines).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scorecards_sync.problems import Problem, Severity
from scorecards_sync.safe_text import json_text, one_line, text_lines

JSON_VERSION = 1


@dataclass(frozen=True)
class Report:
    stdout: tuple[str, ...]
    stderr: tuple[str, ...]


Reporter = Callable[[Sequence[Problem], int], Report]


def summary(problems: Sequence[Problem], files: int) -> str:
    """`3 files checked: 2 errors, 1 warning` (or `...: no problems`)."""
    errors, warnings = _counts(problems)
    found = [_plural(errors, "error")] if errors else []
    if warnings:
        found.append(_plural(warnings, "warning"))
    return f"{_plural(files, 'file')} checked: {', '.join(found) or 'no problems'}"


def render_text(problems: Sequence[Problem], files: int) -> Report:
    # One line per problem, whatever its path or message holds: a key written `"tag\n"`
    # must not push the rest of its message onto a line with no position.
    return Report(tuple(one_line(str(p)) for p in problems), (summary(problems, files),))


def render_json(problems: Sequence[Problem], files: int) -> Report:
    errors, warnings = _counts(problems)
    document = {
        "version": JSON_VERSION,
        "files": files,
        "problems": [
            {
                "path": p.path,
                "line": p.line,
                "column": p.column,
                "severity": p.severity.value,
                "message": p.message,
                "code": p.code,
            }
            for p in problems
        ],
        "errors": errors,
        "warnings": warnings,
    }
    return Report((json_text(json.dumps(document, indent=2, ensure_ascii=False)),), ())


def render_github(problems: Sequence[Problem], files: int) -> Report:
    lines = []
    for problem in problems:
        properties = [f"file={_escape_property(problem.path)}"]
        if problem.line > 0:
            properties.append(f"line={problem.line}")
            if problem.column > 0:
                properties.append(f"col={problem.column}")
        title = f"scorecards-sync {problem.code}".strip()
        properties.append(f"title={_escape_property(title)}")
        lines.append(
            f"::{problem.severity.value} {','.join(properties)}::{_escape_data(problem.message)}"
        )
    return Report(tuple(lines), (summary(problems, files),))


REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping (actions/toolkit, command.ts), after every
    # control, bidi or invisible character but the line feed is shown as an escape.
    return text_lines(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _counts(problems: Sequence[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return errors, len(problems) - errors


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
