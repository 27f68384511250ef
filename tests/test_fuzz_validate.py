"""Fuzz: `validate` on generated descriptors and YAML-level mutants of them.

Whatever the bytes, `validate` answers with problems, never an internal error or a
traceback, and every problem is positioned inside the file (`path:line:column`). Time
is bounded by the Hypothesis profile's deadline (see tests/conftest.py): the default
"ci" profile is short and seeded; `pytest -m fuzz --hypothesis-profile=long` runs long.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")  # the dev extra; without it the fuzz suite does not run

from cli_runner import run_cli
from fuzz_inputs import descriptor_texts, mutants, slowest
from hypothesis import given
from hypothesis import strategies as st

from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.protocol import EmuRequest

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module", autouse=True)
def _warm_up(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One untimed run first: it loads the schema and the modules later runs reuse."""
    path = tmp_path_factory.mktemp("warm") / "card.yaml"
    path.write_text("tag: warm\nname: Warm\nrules:\n  - title: T\n    expression: x != null\n")
    assert run_cli("validate", str(path)).code == 0
    Emulator().handle(EmuRequest("GET", "/api/v1/scorecards", "", {"authorization": "Bearer w"}))


def _line_count(raw: bytes) -> int:
    # PyYAML breaks lines at \r, \n, NEL and U+2028/9 too: splitlines counts at least those.
    return len(raw.decode("utf-8", errors="replace").splitlines()) + 1


def _validate(raw: bytes, *argv: str) -> tuple[str, int, str, str]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        path = Path(folder) / "card.yaml"
        path.write_bytes(raw)
        with slowest.timing(len(raw)):
            ran = run_cli("validate", *argv, str(path))
    return path.as_posix(), ran.code, ran.out, ran.err


def _check_problems(raw: bytes) -> None:
    shown, code, out, err = _validate(raw, "--format", "json")
    assert "internal error" not in err, err
    assert "Traceback" not in out + err
    assert code in (0, 1), err
    problems = json.loads(out)["problems"]
    if code == 1:
        assert any(p["severity"] == "error" for p in problems), out
    lines = _line_count(raw)
    for problem in problems:
        assert problem["path"] == shown
        assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
        assert 1 <= problem["line"] <= lines, (problem, lines)
        assert problem["column"] >= 1, problem
        assert problem["message"], problem


@given(text=descriptor_texts())
def test_validate_positions_every_problem_of_a_generated_descriptor(text: str) -> None:
    _check_problems(text.encode("utf-8"))


@given(raw=mutants())
def test_validate_never_fails_internally_on_a_yaml_mutant(raw: bytes) -> None:
    _check_problems(raw)


@given(raw=mutants())
def test_validate_text_output_never_fails_internally(raw: bytes) -> None:
    shown, code, out, err = _validate(raw)
    assert "internal error" not in err, err
    assert "Traceback" not in out + err
    assert code in (0, 1), err
    if code == 1:
        assert out.startswith(f"{shown}:"), out


@given(raw=mutants(), dry_run=st.booleans())
def test_the_emulator_answers_any_posted_mutant_with_200_or_400(raw: bytes, dry_run: bool) -> None:
    emulator = Emulator()
    request = EmuRequest(
        "POST",
        "/api/v1/scorecards/descriptor",
        "dryRun=true" if dry_run else "",
        {"content-type": "application/yaml;charset=UTF-8", "authorization": "Bearer fuzz"},
        raw,
    )
    with slowest.timing(len(raw)):
        response = emulator.handle(request)
    assert response is not None
    assert response.status in (200, 400), response.body[:500]
    if response.status == 400:
        body = json.loads(response.body)
        assert body["type"] == "BAD_REQUEST" and body["httpStatus"] == 400
