"""Which parts of the state one write touched, so that only they go to the journal.

The handlers change the state in place (`state["scorecards"][tag] = ...`, an exemption's
status set on the dict found in `state["exemptions"]`). Rather than make every handler
say what it changed, the store hands them mappings that note every key looked up or
changed: a scorecard record can only be reached through its tag, so a record whose tag
was not touched was not changed. A write that reads a mapping whole (iterates it) may
have changed anything, and is saved whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scorecards_sync.emulator.state_file import Change, State


class TrackedDict(dict[str, Any]):
    """A dict that notes the keys looked up or changed, and whether it was read whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[str] = set()
        self.whole = False

    def forget(self) -> None:
        self.touched.clear()
        self.whole = False

    # Looked up or changed one key at a time.
    def __getitem__(self, key: str) -> Any:
        self.touched.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return super().get(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    # Read or changed whole.
    def __iter__(self) -> Iterator[str]:
        self.whole = True
        return super().__iter__()

    def keys(self) -> Any:
        self.whole = True
        return super().keys()

    def values(self) -> Any:
        self.whole = True
        return super().values()

    def items(self) -> Any:
        self.whole = True
        return super().items()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.whole = True
        super().update(*args, **kwargs)

    def popitem(self) -> tuple[str, Any]:
        self.whole = True
        return super().popitem()

    def clear(self) -> None:
        self.whole = True
        super().clear()

    def copy(self) -> dict[str, Any]:
        self.whole = True
        return dict(super().items())

    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[override,misc]
        self.whole = True
        super().update(other)
        return self


_JOURNALED = frozenset({"nextId", "scorecards", "exemptions"})


def tracked(state: State) -> State:
    """`state` with its top level and its scorecards tracked (the records themselves are not)."""
    top = TrackedDict(state)
    dict.__setitem__(top, "scorecards", TrackedDict(dict.__getitem__(top, "scorecards")))
    return top


def forget_touches(state: State) -> None:
    for mapping in (state, dict.__getitem__(state, "scorecards")):
        if isinstance(mapping, TrackedDict):
            mapping.forget()


def change_since_forgotten(state: State) -> Change | None:
    """What was touched since `forget_touches`, or None: save the state whole."""
    scorecards = dict.get(state, "scorecards")
    if (
        not isinstance(state, TrackedDict)
        or not isinstance(scorecards, TrackedDict)
        or state.whole
        or scorecards.whole
        or not state.touched <= _JOURNALED
    ):
        return None
    kept = {
        tag: dict.__getitem__(scorecards, tag)
        for tag in scorecards.touched
        if dict.__contains__(scorecards, tag)
    }
    deleted = tuple(sorted(tag for tag in scorecards.touched if tag not in kept))
    exemptions = dict.get(state, "exemptions") if "exemptions" in state.touched else None
    return Change(dict.get(state, "nextId"), kept, deleted, exemptions)
