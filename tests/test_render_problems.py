"""Problem reporters: text, json and GitHub workflow commands, chosen from a registry."""

from __future__ import annotations

import json

from scorecards_sync.problems import Problem, Severity
from scorecards_sync.render.problems import REPORTERS, render_github, render_json, summary

ERROR = Problem("a.yaml", 3, 5, Severity.ERROR, "unknown key `rule`", "unknown-key")
WARNING = Problem("b.yaml", 1, 6, Severity.WARNING, "legacy filter", "legacy-filter")


def test_the_registry_holds_every_format() -> None:
    assert sorted(REPORTERS) == ["github", "json", "text"]


def test_summary_counts_with_plurals() -> None:
    assert summary([], 0) == "0 files checked: no problems"
    assert summary([], 1) == "1 file checked: no problems"
    assert summary([ERROR], 2) == "2 files checked: 1 error"
    assert summary([ERROR, ERROR, WARNING], 3) == "3 files checked: 2 errors, 1 warning"
    assert summary([WARNING, WARNING], 1) == "1 file checked: 2 warnings"


def test_text_is_one_line_per_problem_and_a_summary_on_stderr() -> None:
    report = REPORTERS["text"]([ERROR, WARNING], 2)
    assert report.stdout == (
        "a.yaml:3:5: error: unknown key `rule`",
        "b.yaml:1:6: warning: legacy filter",
    )
    assert report.stderr == ("2 files checked: 1 error, 1 warning",)


def test_json_is_one_versioned_object_and_nothing_on_stderr() -> None:
    report = render_json([ERROR, WARNING], 2)
    assert report.stderr == ()
    assert json.loads("\n".join(report.stdout)) == {
        "version": 1,
        "files": 2,
        "problems": [
            {
                "path": "a.yaml",
                "line": 3,
                "column": 5,
                "severity": "error",
                "message": "unknown key `rule`",
                "code": "unknown-key",
            },
            {
                "path": "b.yaml",
                "line": 1,
                "column": 6,
                "severity": "warning",
                "message": "legacy filter",
                "code": "legacy-filter",
            },
        ],
        "errors": 1,
        "warnings": 1,
    }


def test_github_escapes_data_and_properties_as_the_toolkit_does() -> None:
    # A CR LF pair is one line break; a lone CR, an escape sequence or a bidi override is
    # shown as its escape, never passed to the annotation as it is.
    problem = Problem(
        "dir,x/a:b.yaml",
        2,
        1,
        Severity.ERROR,
        "100% wrong\r\nsee: `a, b`\r\x1b[31m\u202e",
        "some-code",
    )
    [line] = render_github([problem], 1).stdout
    assert line == (
        "::error file=dir%2Cx/a%3Ab.yaml,line=2,col=1,title=scorecards-sync some-code"
        "::100%25 wrong%0Asee: `a, b`\\r\\x1b[31m\\u202e"
    )


def test_github_warnings_and_unknown_positions() -> None:
    nowhere = Problem("folder", 0, 0, Severity.WARNING, "no descriptor files", "")
    assert render_github([WARNING, nowhere], 1).stdout == (
        "::warning file=b.yaml,line=1,col=6,title=scorecards-sync legacy-filter::legacy filter",
        "::warning file=folder,title=scorecards-sync::no descriptor files",
    )
