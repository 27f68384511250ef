"""A real `scorecards-sync apply` process against a loopback emulator, for the tests that
must see a process from outside: signalled mid-run, its stderr read while it runs.

`write_cards` writes the descriptors it applies, `apply_command` is its command line and
`apply_env` its environment: this one without the settings a developer's shell or CI may
have set (the tool's, Cortex's, GitHub's, `NO_COLOR`), with the API key and this checkout
on the import path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cli_runner import ladder_card

ROOT = Path(__file__).resolve().parents[1]


def write_cards(folder: Path, count: int) -> list[str]:
    """`count` descriptors (`card-000`, ...) in a new `folder`; their tags."""
    folder.mkdir()
    tags = [f"card-{index:03d}" for index in range(count)]
    for tag in tags:
        (folder / f"{tag}.yaml").write_text(ladder_card(tag))
    return tags


def apply_command(base_url: str, cards: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "scorecards_sync", "apply", str(cards), "--base-url", base_url,
        "--auto-approve", "--concurrency", "2", *extra,
    ]  # fmt: skip


def apply_env(key: str) -> dict[str, str]:
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SCORECARDS_SYNC_", "CORTEX_", "GITHUB_", "NO_COLOR"))
    }
    return {**keep, "CORTEX_API_KEY": key, "PYTHONPATH": str(ROOT)}
