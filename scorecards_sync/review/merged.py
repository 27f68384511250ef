"""The change request whose merge made a commit, asked again while the host catches up.

Right after a merge, GitHub's `commits/{sha}/pulls` and GitLab's
`commits/{sha}/merge_requests` often answer without it for a few seconds: the host
links a merge commit to its change request a little late.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from scorecards_sync.errors import UsageError

T = TypeVar("T")
# Seconds to wait before asking again: a few seconds in all, then the answer stands.
MERGED_DELAYS = (1.0, 2.0, 4.0)
# The variable that changes them, comma-separated, for the Action and `ci gitlab` alike
# (tests and impatient runners shorten them).
ENV_MERGED_DELAYS = "SCORECARDS_SYNC_MERGED_PR_DELAYS"


def merged_change_request(
    find: Callable[[], Sequence[T]],
    *,
    delays: Sequence[float],
    sleep: Callable[[float], None] = time.sleep,
) -> T | None:
    """The first of `find()`'s answers; without one, `find` is asked again after each of
    `delays` seconds, and None when it never finds one."""
    for delay in (*delays, None):
        found = find()
        if found:
            return found[0]
        if delay is None:
            break
        sleep(delay)
    return None


def delays_from_env(environ: Mapping[str, str]) -> tuple[float, ...]:
    """Seconds between asks, comma-separated (`1,2,4`), from `ENV_MERGED_DELAYS`; the
    default when unset."""
    text = environ.get(ENV_MERGED_DELAYS)
    if text is None or not text.strip():
        return MERGED_DELAYS
    try:
        delays = tuple(float(part) for part in text.split(","))
    except ValueError:
        delays = (-1.0,)
    if not all(0 <= delay <= 60 for delay in delays):
        raise UsageError(
            f"{ENV_MERGED_DELAYS}: expected seconds between 0 and 60, comma-separated "
            f"(e.g. 1,2,4), got {text!r}"
        )
    return delays
