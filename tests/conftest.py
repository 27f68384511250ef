"""Fixtures shared by every test module (where the repository and the shared corpus are),
and the Hypothesis profiles of the fuzz suite."""

from __future__ import annotations

import sys
from datetime import timedelta
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


# Hypothesis profiles for the fuzz suite (tests/test_fuzz_*.py, marked `fuzz`). "ci" is the
# default: seeded (the same inputs every run) and short. "long" is for a local hunt:
# `pytest -m fuzz --hypothesis-profile=long` (random inputs, failures kept in .hypothesis/
# and replayed first next time). The deadline is the time bound one input must stay under.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the dev extra is not installed: the fuzz tests skip themselves
    pass
else:
    _SLOW_INPUTS_ARE_THE_POINT = [HealthCheck.too_slow, HealthCheck.data_too_large]
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        max_examples=40,
        deadline=timedelta(seconds=3),
        print_blob=True,
        suppress_health_check=_SLOW_INPUTS_ARE_THE_POINT,
    )
    settings.register_profile(
        "long",
        max_examples=5_000,
        # An alias expansion just under the loader's bound (200,000 values) takes most of a
        # second on an idle machine; a loaded one (a long run beside other work) needs room.
        deadline=timedelta(seconds=5),
        print_blob=True,
        suppress_health_check=_SLOW_INPUTS_ARE_THE_POINT,
    )
    settings.load_profile("ci")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a fuzz run: how many inputs went through, and the slowest one's time."""
    fuzz = sys.modules.get("fuzz_inputs")
    slowest = getattr(fuzz, "slowest", None)
    if slowest is not None and slowest.inputs:
        terminalreporter.write_line(
            f"fuzz: {slowest.inputs:,} inputs; slowest {slowest.seconds * 1000:.0f} ms "
            f"({slowest.size:,} bytes)"
        )
