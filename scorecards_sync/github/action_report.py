"""What a run of the GitHub Action reports, and how it is written for GitHub to read.

`ActionReport` holds the step log, the job summary, the step outputs and the exit
code; `workflow_command` writes the log's annotations (`::error file=…::`) and the
`$GITHUB_OUTPUT` syntax is in `workflow.github_output_text`. The Markdown of the
summary and the comments is host-neutral: `review.summary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scorecards_sync.safe_text import text_lines


@dataclass(frozen=True)
class ActionReport:
    """`unexpected`: the exception that is not the tool's own and stopped the run, for the
    command to raise again once it has written the rest (an apply's results included)."""

    exit_code: int
    log: tuple[str, ...]
    summary: str
    outputs: Mapping[str, str] = field(default_factory=dict)
    unexpected: BaseException | None = None


def workflow_command(name: str, message: str, **properties: str) -> str:
    """`::name key=value::message`, escaped the way actions/toolkit escapes."""
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # Control, bidi and invisible characters shown as escapes; then actions/toolkit's escaping.
    return text_lines(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
