"""`scorecards-sync validate` end to end: every bad input under tests/data/bad, exit codes, formats.

Each bad-input file declares what it must produce in header comments:
    # expect: LINE:COLUMN message substring          (an error)
    # expect-warning: LINE:COLUMN message substring  (a warning)
A folder under a category is one case of several files (e.g. a tag used twice).
The problems reported must be exactly the declared ones: no more, no fewer.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_process import run_command
from cli_runner import enter_workdir, run_cli

REPO_ROOT = Path(__file__).resolve().parents[1]
BAD_DIR = REPO_ROOT / "tests" / "data" / "bad"
GOOD_DIR = REPO_ROOT / "tests" / "data" / "good"
EXPECT = re.compile(
    r"^# expect(?P<warning>-warning)?: (?:(?P<line>\d+)(?::(?P<column>\d+))? )?(?P<message>.+)$"
)


@dataclass(frozen=True)
class Expected:
    path: str
    severity: str
    line: int | None
    column: int | None
    message: str

    def matches(self, problem: dict[str, object]) -> bool:
        return (
            problem["path"] == self.path
            and problem["severity"] == self.severity
            and (self.line is None or problem["line"] == self.line)
            and (self.column is None or problem["column"] == self.column)
            and self.message in str(problem["message"])
        )


def _cases() -> list[Path]:
    cases: list[Path] = []
    for category in sorted(p for p in BAD_DIR.iterdir() if p.is_dir()):
        cases.extend(sorted(category.iterdir()))
    return cases


def _files(case: Path) -> list[Path]:
    return sorted(case.rglob("*.y*ml")) if case.is_dir() else [case]


def _expectations(case: Path) -> list[Expected]:
    found = []
    for file in _files(case):
        shown = file.relative_to(REPO_ROOT).as_posix()
        for text in file.read_bytes().decode("utf-8", errors="replace").splitlines():
            match = EXPECT.match(text)
            if match:
                found.append(
                    Expected(
                        shown,
                        "warning" if match["warning"] else "error",
                        int(match["line"]) if match["line"] else None,
                        int(match["column"]) if match["column"] else None,
                        match["message"].strip(),
                    )
                )
    return found


def _run(*argv: str) -> tuple[int, str, str]:
    ran = run_cli("validate", *argv)
    return ran.code, ran.out, ran.err


CASES = _cases()


def test_there_are_at_least_forty_distinct_bad_inputs() -> None:
    assert len(CASES) >= 40
    first_messages = [_expectations(case)[0].message for case in CASES]
    assert len(set(first_messages)) == len(first_messages), "two cases expect the same mistake"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(BAD_DIR).as_posix())
def test_bad_input_gives_exactly_its_declared_problems(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    expected = _expectations(case)
    assert expected, f"{case} declares no `# expect:` line"
    only_warnings = all(e.severity == "warning" for e in expected)
    strict = ["--strict"] if only_warnings else []
    target = case.relative_to(REPO_ROOT).as_posix()

    code, out, err = _run(*strict, "--format", "json", target)

    assert code == 1
    assert "Traceback" not in out + err
    problems = json.loads(out)["problems"]
    unmatched = list(problems)
    for expectation in expected:
        hit = next((p for p in unmatched if expectation.matches(p)), None)
        assert hit is not None, f"expected {expectation}, got {problems}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected problems: {unmatched}"

    # The same problems in the text format, one `path:line:column: severity: message` each.
    code, out, err = _run(*strict, target)
    assert code == 1
    for expectation in expected:
        prefix = f"{expectation.path}:"
        if expectation.line is not None:
            prefix += f"{expectation.line}:"
        assert any(
            line.startswith(prefix) and f" {expectation.severity}: " in line
            for line in out.splitlines()
        ), out
    assert "checked:" in err


def test_warnings_alone_pass_without_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, out, err = _run("tests/data/bad/warnings")
    assert code == 0
    assert ": warning: " in out
    assert err.strip() == "4 files checked: 4 warnings"


def test_good_inputs_pass_with_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, out, err = _run("--strict", "tests/data/good")
    assert (code, out) == (0, "")
    files = len(list(GOOD_DIR.glob("*.y*ml")))
    assert err.strip() == f"{files} files checked: no problems"


def test_all_files_are_reported_in_one_run_sorted_by_file_and_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, out, _ = _run("tests/data/bad/schema", "tests/data/bad/semantic")
    assert code == 1
    keys = []
    for line in out.splitlines():
        path, line_no, column, _rest = line.split(":", 3)
        keys.append((path, int(line_no), int(column)))
    assert keys == sorted(keys)
    reported = {k[0] for k in keys}
    bad_files = {
        p.relative_to(REPO_ROOT).as_posix()
        for d in ("schema", "semantic")
        for p in (BAD_DIR / d).rglob("*.yaml")
    }
    assert reported == bad_files


def test_missing_path_is_a_problem_not_a_usage_error(tmp_path: Path) -> None:
    code, out, err = _run(str(tmp_path / "nowhere"))
    assert code == 1
    assert "nowhere:1:1: error: no such file or directory" in out
    assert err.strip() == "0 files checked: 1 error"


def test_default_folder_is_dot_cortex_scorecards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run()
    assert code == 1
    assert out.startswith(".cortex/scorecards:1:1: error: no such file or directory (the default")
    folder = tmp_path / ".cortex" / "scorecards"
    folder.mkdir(parents=True)
    (folder / "minimal.yaml").write_text(
        "tag: minimal\nname: Minimal\nrules:\n  - title: A\n    expression: git != null\n"
    )
    assert _run() == (0, "", "1 file checked: no problems\n")


@pytest.mark.parametrize("argv", [["--format", "xml"], ["--no-such-flag"], ["--strict=yes"]])
def test_usage_errors_exit_64(argv: list[str]) -> None:
    code, out, err = _run(*argv)
    assert code == 64
    assert out == ""
    *usage, error = err.splitlines()
    assert usage[0].startswith("usage: scorecards-sync ")  # as argparse shows it
    assert error.startswith("error: scorecards-sync")


def test_json_format_is_the_documented_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, out, err = _run("--format", "json", "tests/data/bad/semantic/duplicate-tag")
    assert code == 1
    assert err == ""
    report = json.loads(out)
    assert set(report) == {"version", "files", "problems", "errors", "warnings"}
    assert (report["version"], report["files"], report["errors"], report["warnings"]) == (
        1,
        2,
        2,
        2,
    )
    first = report["problems"][0]
    assert set(first) == {"path", "line", "column", "severity", "message", "code"}
    assert first["code"] == "duplicate-tag"


def test_github_format_annotates_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, out, _ = _run("--format", "github", "tests/data/bad/schema/unknown-top-key.yaml")
    assert code == 1
    assert out.splitlines() == [
        "::error file=tests/data/bad/schema/unknown-top-key.yaml,line=3,col=1,"
        "title=scorecards-sync required::missing required key `rules`",
        "::error file=tests/data/bad/schema/unknown-top-key.yaml,line=5,col=1,"
        "title=scorecards-sync unknown-key::unknown key `rule`; did you mean `rules`?",
    ]


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("loader/alias-bomb.yaml", "error: file expands to more than 200,000 values"),
        ("loader/not-utf8.yaml", ":3:10: error: file is not valid UTF-8"),
        ("loader/recursive-alias.yaml", ":6:5: error: an alias refers to a mapping or list"),
        ("schema/unknown-top-key.yaml", ":5:1: error: unknown key `rule`; did you mean `rules`?"),
    ],
)
def test_a_real_process_shows_no_traceback(relative: str, expected: str) -> None:
    result = run_command("validate", f"tests/data/bad/{relative}", cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert expected in result.stdout
    assert "checked:" in result.stderr


BROKEN = "tag: broken\nname: Broken\nrules: []\n"
GOOD = "tag: minimal\nname: Minimal\nrules:\n  - title: A\n    expression: git != null\n"


@pytest.fixture
def configured_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose config file puts the descriptors in `sc/`, one of them broken."""
    enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_",))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=60)
    (tmp_path / ".scorecards-sync.yaml").write_text("paths: [sc]\n")
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "broken.yaml").write_text(BROKEN)
    (tmp_path / ".cortex").mkdir()
    return tmp_path


def test_without_paths_the_configured_paths_are_validated(configured_repo: Path) -> None:
    code, out, err = _run()
    assert code == 1
    assert out == "sc/broken.yaml:3:8: error: rules: a scorecard needs at least one rule\n"
    assert err == "1 file checked: 1 error\n"


def test_configured_paths_are_relative_to_the_repository_root(
    configured_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(configured_repo / ".cortex")
    code, out, _ = _run()
    assert code == 1
    assert out.startswith("../sc/broken.yaml:3:8: error: rules:")
    (configured_repo / ".scorecards-sync.yaml").unlink()
    code, out, _ = _run()  # the default folder, found from a subfolder of the root
    assert code == 1
    assert out.startswith("scorecards:1:1: error: no such file or directory (the default folder")


def test_a_configured_path_that_does_not_exist_says_where_it_was_configured(
    configured_repo: Path,
) -> None:
    (configured_repo / ".scorecards-sync.yaml").write_text("paths:\n  - sc\n  - nowhere\n")
    code, out, _ = _run()
    assert code == 1
    assert out.splitlines()[0] == (
        "nowhere:1:1: error: no such file or directory (`paths` in .scorecards-sync.yaml:1:1)"
    )


def test_config_option_and_path_arguments(configured_repo: Path) -> None:
    (configured_repo / "good").mkdir()
    (configured_repo / "good" / "minimal.yaml").write_text(GOOD)
    (configured_repo / "other.yaml").write_text("paths: [good]\n")
    assert _run("--config", "other.yaml") == (0, "", "1 file checked: no problems\n")
    assert _run("good") == (0, "", "1 file checked: no problems\n")  # PATH beats the config
    (configured_repo / "bad.yaml").write_text("pahts: [good]\n")
    code, out, err = _run("--config", "bad.yaml")
    assert (code, out) == (64, "")
    assert err.startswith("error: bad.yaml:1:1: unknown setting `pahts` (did you mean `paths`?)")


def test_validate_needs_no_cortex_setting(
    configured_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Offline: a key file that cannot be read or a wrong base URL is no concern of validate.
    monkeypatch.setenv("CORTEX_API_KEY_FILE", str(configured_repo / "no-such-key-file"))
    monkeypatch.setenv("CORTEX_BASE_URL", "not a url")
    code, out, _ = _run()
    assert code == 1
    assert out.startswith("sc/broken.yaml:3:8: error:")


def test_help_names_the_configured_paths_as_the_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        run_cli("validate", "--help")
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: the configured paths, else .cortex/scorecards)" in text
    assert "--config FILE" in text
