"""Fixtures shared by every test module: where the repository and the shared corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The corpus of real Cortex descriptors lives beside the repository, never inside it.
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of this repository (the folder holding `pyproject.toml`)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """`../shared/corpus`, or skip the test when it is absent (e.g. a bare clone)."""
    if not (CORPUS_DIR / "scorecards").is_dir():
        pytest.skip("../shared/corpus is absent; corpus conformance tests need it")
    return CORPUS_DIR
