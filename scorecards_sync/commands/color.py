"""Whether output may carry ANSI colors: only on a terminal, never with NO_COLOR set
(https://no-color.org) or `--no-color` given."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

_allowed: ContextVar[bool] = ContextVar("colors_allowed", default=True)


@contextmanager
def colors_allowed(allowed: bool) -> Iterator[None]:
    """`--no-color` for the run of one command."""
    token = _allowed.set(allowed)
    try:
        yield
    finally:
        _allowed.reset(token)


def use_color(stream: TextIO) -> bool:
    if not _allowed.get() or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
