"""One sticky change-request comment per descriptor path, found again by a hidden marker.

The comment's first line is an HTML comment neither GitHub nor GitLab renders:

    <!-- scorecards-sync:<path-key> checksum=<plan checksum> -->

The path key tells apart the comments of two pipelines planning different folders
of one repository; the checksum records which plan the reviewers saw, so the run on
the default branch can refuse to apply a plan nobody reviewed. The first run creates
the comment; later runs edit it in place, so a change request never collects a
comment per push; one deleted by someone is created again.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar
from urllib.parse import quote

from scorecards_sync.errors import ApiCallError
from scorecards_sync.review.host import Comment, CommentThread

C = TypeVar("C", bound=Comment)

TRUNCATION_NOTE = "\n\n… *Comment truncated to the host's limit: the job log has the full plan.*\n"

# Only as the first line: a reply quoting the comment (`> <!-- ...`), or a comment that
# mentions a marker further down, is not the sticky comment.
_MARKER = re.compile(
    r"<!-- scorecards-sync:(?P<key>[^\s>]+) checksum=(?P<checksum>[^\s>]*) -->(?:\r?\n|$)"
)
_KEY_SAFE = "/._-~"


@dataclass(frozen=True)
class Marker:
    path_key: str
    checksum: str

    def render(self) -> str:
        return f"<!-- scorecards-sync:{self.path_key} checksum={self.checksum} -->"


@dataclass(frozen=True)
class StickyResult(Generic[C]):
    comment: C
    action: Literal["created", "updated", "unchanged"]


def path_key(paths: Sequence[str] | str) -> str:
    """A marker-safe key naming the descriptor paths one pipeline manages.

    Each path is normalized and the set sorted, so the plan run and the apply run find
    one comment however their pipelines spell the paths (`./cards/` is `cards`).
    """
    given = [paths] if isinstance(paths, str) else list(paths)
    normalized = sorted({posixpath.normpath(p.strip() or ".") for p in given})
    joined = ",".join(normalized) or "."
    return quote(joined, safe=_KEY_SAFE + ",")


def parse_marker(body: str) -> Marker | None:
    """The marker opening a comment body, if it has one."""
    match = _MARKER.match(body)
    if match is None:
        return None
    return Marker(match["key"], match["checksum"])


def find_sticky(comments: Iterable[C], key: str, *, author: str | None = None) -> C | None:
    """The oldest comment carrying the marker for `key` (by `author`, when given)."""
    for comment in comments:
        if author is not None and comment.author != author:
            continue
        marker = parse_marker(comment.body)
        if marker is not None and marker.path_key == key:
            return comment
    return None


def compose(key: str, checksum: str, body: str, *, limit: int, note: str = TRUNCATION_NOTE) -> str:
    """The full comment text: the marker line, then `body`, cut to `limit` if needed."""
    if not re.fullmatch(r"[^\s>]*", checksum):
        raise ValueError(f"checksum {checksum!r} cannot go in a marker")
    text = f"{Marker(key, checksum).render()}\n{body}"
    return truncate(text, limit, note)


def truncate(text: str, limit: int, note: str = TRUNCATION_NOTE) -> str:
    """`text` itself when it fits, else cut at a line boundary with a note saying so."""
    if len(text) <= limit:
        return text
    closing_fence = "\n```"
    room = limit - len(note) - len(closing_fence)
    cut = text.rfind("\n", 0, room)
    kept = text[: cut if cut > 0 else room]
    # An unclosed code fence would swallow the note into the code block.
    if kept.count("```") % 2 == 1:
        kept += closing_fence
    return kept + note


def upsert_sticky(
    thread: CommentThread[C],
    key: str,
    checksum: str,
    body: str,
    *,
    limit: int,
    note: str = TRUNCATION_NOTE,
    author: str | None = None,
) -> StickyResult[C]:
    """Create the sticky comment, or update it in place; no call when it already says this."""
    text = compose(key, checksum, body, limit=limit, note=note)
    for attempt in range(2):
        existing = find_sticky(thread.list_comments(), key, author=author)
        if existing is None:
            return _create(thread, key, text, author)
        if existing.body == text:
            return StickyResult(existing, "unchanged")
        try:
            return StickyResult(thread.update_comment(existing.id, text), "updated")
        except ApiCallError as exc:
            # Deleted between the listing and the update: look again, then create one.
            if exc.status != 404 or attempt:
                raise
    raise AssertionError("unreachable: the second attempt returns or raises")


def _create(thread: CommentThread[C], key: str, text: str, author: str | None) -> StickyResult[C]:
    try:
        return StickyResult(thread.create_comment(text), "created")
    except ApiCallError as exc:
        # A create that failed on the host's side may still have posted: look before giving
        # up, so a retried job does not add a second comment.
        if exc.status is not None and exc.status < 500:
            raise
        posted = find_sticky(thread.list_comments(), key, author=author)
        if posted is None or posted.body != text:
            raise
        return StickyResult(posted, "created")
