"""What the emulator accepts: the project's own parser and validation, errors only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scorecards_sync.loader import parse_document
from scorecards_sync.problems import Problem, Severity
from scorecards_sync.validation import validate_document

# Names the posted YAML in problems; no file suffix, so no file-name advice applies.
BODY_NAME = "request body"


def check_descriptor(body: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The descriptor posted in `body`, or None and the errors that refuse it."""
    document, problems = parse_document(BODY_NAME, body)
    parse_errors = [p for p in problems if p.severity is Severity.ERROR]
    if document is None or parse_errors:
        # The loader reads on past some mistakes (a duplicate key) to report them all;
        # Cortex would not store such a body either way.
        return None, parse_errors or problems
    errors = [p for p in validate_document(document) if p.severity is Severity.ERROR]
    if errors:
        return None, errors
    return document.data, []


def problem_details(problems: Sequence[Problem]) -> str:
    """The `details` of a 400: one problem per line, `line:column: message`."""
    return "\n".join(f"{p.line}:{p.column}: {p.message}" for p in problems)
