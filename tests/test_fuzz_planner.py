"""Fuzz: the planner against whatever Cortex (or something in front of it) may serve.

The desired side is a generated descriptor as the loader reads it; the live side is a
YAML-level mutant of it (or of another one), read as the client reads a response. The
planner either makes a plan that renders in every format and has a checksum, or
refuses with the tool's own error naming the tag: never an internal error.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("hypothesis")  # the dev extra; without it the fuzz suite does not run

from fuzz_inputs import descriptor_texts, mutants, slowest
from hypothesis import given
from hypothesis import strategies as st

from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.loader import parse_document
from scorecards_sync.planner import Desired, make_plan
from scorecards_sync.problems import has_errors
from scorecards_sync.render import plan_renderer
from scorecards_sync.validation import validate_document

pytestmark = pytest.mark.fuzz


@given(data=st.data())
def test_the_planner_survives_any_live_descriptor(data: st.DataObject) -> None:
    desired_text = data.draw(descriptor_texts(), label="desired")
    document, problems = parse_document("card.yaml", desired_text.encode("utf-8"))
    valid = document is not None and not has_errors([*problems, *validate_document(document)])
    # Only a valid descriptor reaches the planner (validation runs first in every flow).
    desired = [Desired.from_document(document)] if valid and document is not None else []
    tag = desired[0].tag if desired else "fuzz-tag"
    same = data.draw(st.booleans(), label="mutate the desired text")
    live = data.draw(mutants(st.just(desired_text) if same else None), label="live")
    # The client decodes a response body as UTF-8, replacing what is not.
    live_text = live.decode("utf-8", errors="replace")
    with slowest.timing(len(live)):
        try:
            # Without a desired descriptor the live one is pruned: read for its fingerprint.
            plan = make_plan(desired, {tag: live_text}, prune=not desired, prune_patterns=["*"])
        except ScorecardsSyncError as exc:
            assert repr(tag) in str(exc) or tag in str(exc), str(exc)
            return
        assert len(plan.checksum()) > 0
        json.dumps(plan.to_json())
        for name in ("text", "json", "markdown"):
            assert isinstance(plan_renderer(name).render(plan), str)
