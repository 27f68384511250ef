"""The setup the benchmarks share: realistic scorecard descriptors, in memory or as files.

Imported by the scripts of this folder (`python bench/<script>.py` puts the folder on
`sys.path`); it imports nothing of the package, so a script can choose which copy of
`scorecards_sync` it measures before importing it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def tag_of(i: int) -> str:
    return f"bench-{i:05d}"


def descriptor(i: int, *, changed: bool = False) -> str:
    """A realistic scorecard: a three-level ladder, five rules, filters, notifications.

    `changed` gives another version of the same scorecard (renamed, one rule moved to
    another level): what a plan shows as an update.
    """
    silver = "Gold" if changed else "Silver"
    return f"""tag: {tag_of(i)}
name: {"Renamed " if changed else ""}Service maturity {i}
description: |
  Maturity of services owned by team {i % 37}.
  Generated for the benchmarks.
draft: false
notifications:
  enabled: true
  scoreDropNotificationsEnabled: false
exemptions:
  enabled: true
  autoApprove: false
evaluation:
  window: 24
ladder:
  name: Maturity
  levels:
    - name: Bronze
      rank: 1
      color: "#CD7F32"
    - name: Silver
      rank: 2
      color: "#C0C0C0"
    - name: Gold
      rank: 3
      color: "#FFD700"
rules:
  - title: Has owner
    expression: ownership.allOwners().length > 0
    level: Bronze
  - title: Has on-call
    expression: oncall.numOfEscalations() > 0
    level: Bronze
  - title: Has runbook
    expression: links("runbook").length > 0
    level: {silver}
    failureMessage: Add a runbook link to the entity descriptor.
  - title: Uses TLS
    expression: custom("tls") == true
    level: Silver
    filter:
      kind: GENERIC
      types:
        include:
          - service
  - title: Fast deploys
    expression: deploys(lookback=duration("P7D")).length > 3
    level: Gold
filter:
  kind: GENERIC
  types:
    include:
      - service
  groups:
    exclude:
      - experimental
"""


def write_descriptors(folder: Path, count: int) -> list[Path]:
    """`count` descriptor files `bench-NNNNN.yaml` in `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{tag_of(i)}.yaml"
        path.write_text(descriptor(i), encoding="utf-8")
        paths.append(path)
    return paths


def cpu_seconds(action: Callable[[], T]) -> tuple[float, T]:
    """CPU seconds of this process (`time.process_time`) that `action` took, and its result."""
    gc.collect()
    started = time.process_time()
    result = action()
    return time.process_time() - started, result
