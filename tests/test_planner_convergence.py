"""After an apply, a plan is empty: every real descriptor against what the emulator serves for it.

The emulator writes descriptors out the way Cortex does (defaults, identifiers,
normalized colors); `descriptor.canonical` must see through all of it. Files
the emulator refuses (the corpus's negative examples) are not scorecards anyone
can apply, and are left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecards_sync.emulator import Emulator
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.loader import Document, load_file
from scorecards_sync.plan import Action
from scorecards_sync.planner import Desired, make_plan, parse_live

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_SCORECARDS = REPO_ROOT.parent / "shared" / "corpus" / "scorecards"
EXAMPLES = REPO_ROOT / "examples" / "scorecards"


def descriptor_files() -> list[Path]:
    found = sorted(CORPUS_SCORECARDS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
    return [path for path in found if "UNVALIDATED" not in path.name]


FILES = descriptor_files()


def load(path: Path) -> Document:
    document, problems = load_file(path)
    assert document is not None, problems
    return document


def apply_to_emulator(document: Document) -> tuple[str, str]:
    emulator = Emulator()
    try:
        tag = emulator.put_descriptor(document.text)
    except ScorecardsSyncError as exc:
        pytest.fail(f"the emulator refuses {document.path}: {exc}")
    served = emulator.descriptor_text(tag)
    assert served is not None
    return tag, served


@pytest.mark.skipif(not FILES, reason="neither ../shared/corpus nor examples/ holds descriptors")
@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_plan_after_apply_is_empty(path: Path) -> None:
    document = load(path)
    tag, served = apply_to_emulator(document)

    plan = make_plan([Desired.from_document(document)], {tag: served})

    assert [(c.action, c.fields, c.rules) for c in plan.changes] == [(Action.UNCHANGED, (), ())]


@pytest.mark.skipif(not FILES, reason="neither ../shared/corpus nor examples/ holds descriptors")
@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_plan_of_a_pulled_file_is_empty(path: Path) -> None:
    tag, served = apply_to_emulator(load(path))
    pulled = Desired(tag, f"pulled/{tag}.yaml", parse_live(tag, served), served)

    plan = make_plan([pulled], {tag: served})

    assert [c.action for c in plan.changes] == [Action.UNCHANGED]


def test_corpus_is_covered_when_present() -> None:
    if not CORPUS_SCORECARDS.is_dir():
        pytest.skip("../shared/corpus is absent")
    assert len([p for p in FILES if p.parent == CORPUS_SCORECARDS]) >= 20
