"""The repository side of a run: descriptors loaded and validated, every problem at once.

Apart from `workflow` so that `validate`, which needs only this, loads neither the client
nor the planner (and so neither httpx nor deepdiff).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scorecards_sync.config import DEFAULT_SOURCE
from scorecards_sync.loader import DEFAULT_HINT, Document, PathProblem, display_path, load_paths
from scorecards_sync.problems import Problem, has_errors, sort_problems
from scorecards_sync.validation import validate_documents

if TYPE_CHECKING:
    from scorecards_sync.planner import Desired

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """The repository side: parsed descriptors and every problem found in them.

    It remembers where it was loaded from (`paths`, and `base` when deletions are planned
    since a ref), and `merge_base`, the commit of `base` it compared with when loading
    needed it: planning uses the same commit rather than asking git again.
    """

    documents: list[Document]
    problems: list[Problem]
    files: int
    paths: tuple[str, ...] = ()
    base: str | None = None
    merge_base: str | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)

    def desired(self) -> list[Desired]:
        from scorecards_sync.planner import Desired

        return [Desired.from_document(document) for document in self.documents]


def load_source(paths: Sequence[str], base: str | None = None, *, missing_hint: str = "") -> Source:
    """Load and validate every descriptor under `paths`, all problems at once.

    With `base`, a path that does not exist but did at (the merge base of) `base` counts
    as empty rather than as an error: git keeps no empty folder, so deleting every
    descriptor removes the folder too, and that deletion is what `--base` is there to plan.
    `missing_hint` says where `paths` came from, beside one that does not exist.
    """
    loaded = load_paths(paths, missing_hint=missing_hint)
    problems = [*loaded.problems, *validate_documents(loaded.documents)]
    start = None
    if base:
        problems, start = _forgive_removed_paths(problems, base, paths)
    not_files = (PathProblem.MISSING, PathProblem.NO_FILES)
    files = len(
        {d.path for d in loaded.documents}
        | {p.path for p in loaded.problems if p.code not in not_files}
    )
    return Source(
        loaded.documents, sort_problems(problems), files, tuple(paths), base or None, start
    )


def _forgive_removed_paths(
    problems: list[Problem], base: str, paths: Sequence[str]
) -> tuple[list[Problem], str | None]:
    """The problems left, and the merge base of `base` when it had to be found."""
    missing = {p.path for p in problems if p.code == PathProblem.MISSING}
    if not missing:
        return problems, None
    from scorecards_sync.gitsource import GitSource

    gone: set[str] = set()
    with GitSource(".") as git:
        start = git.merge_base(base, "HEAD")
        for path in paths:
            shown = display_path(Path(path))
            if shown in missing and git.exists_at(start, path):
                gone.add(shown)
                logger.warning(
                    "%s no longer exists (it did at %s): planned as empty, so the scorecards "
                    "it held are deleted",
                    shown,
                    base,
                )
    return [p for p in problems if not (p.code == PathProblem.MISSING and p.path in gone)], start


def paths_origin(source: str) -> str:
    """Where configured paths came from (`Settings.source("paths")`), to say beside one
    that does not exist: the default folder, or the file or variable that named it."""
    if source == DEFAULT_SOURCE:
        return DEFAULT_HINT
    kind, _, where = source.partition(" ")
    return f"`paths` in {where}" if kind == "file" else f"`paths` from {where}"
