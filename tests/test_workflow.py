"""The steps the commands share: what a plan records as its target, the step outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runner import read_github_output

from scorecards_sync.config import Settings
from scorecards_sync.errors import OutputError
from scorecards_sync.workflow import github_output_text, target_of, write_github_output


def test_every_output_is_written_in_the_multi_line_form(tmp_path: Path) -> None:
    values = {
        "plan-checksum": "sha256:0f",
        "summary": "2 to create\nhas-changes=false\nEOF",
        "empty": "",
    }
    text = github_output_text(values)
    lines = text.splitlines()
    assert [line.split("<<")[0] for line in lines if "<<" in line] == list(values)
    path = tmp_path / "out"
    path.write_text(text, encoding="utf-8")
    assert read_github_output(path) == values


def test_write_github_output_appends_and_refuses_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    write_github_output({"a": "1"})
    write_github_output({"b": "two\nlines"})
    assert read_github_output(target) == {"a": "1", "b": "two\nlines"}
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path))
    with pytest.raises(OutputError, match=r"cannot write the step outputs to GITHUB_OUTPUT"):
        write_github_output({"a": "1"})
    monkeypatch.delenv("GITHUB_OUTPUT")
    write_github_output({"a": "1"})  # outside GitHub Actions: nothing to do


def test_an_emulator_target_is_its_state_file_relative_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    at_root = {
        target_of(Settings(emulator=name)) for name in ("st.json", "./st.json", "sub/../st.json")
    }
    assert at_root == {"emulator:st.json"}
    monkeypatch.chdir(tmp_path / "sub")
    assert target_of(Settings(emulator="../st.json")) == "emulator:st.json"
    outside = tmp_path.parent / "elsewhere.json"
    assert target_of(Settings(emulator=os.fspath(outside))) == f"emulator:{outside.as_posix()}"
    assert target_of(Settings(base_url="https://api.example.com")) == "https://api.example.com"
