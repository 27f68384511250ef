"""A key file saved by a Windows editor (UTF-8 with a byte order mark) still works.

The mark used to travel as part of the key: a bare 401 with no hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.emulator import Emulator

KEY = "bom-key-7c1e9a"


def test_a_key_file_with_a_byte_order_mark_authenticates_and_says_so_at_v(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    key_file = workdir / "key.txt"
    key_file.write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\r\n")
    monkeypatch.setenv("CORTEX_API_KEY_FILE", str(key_file))
    emulator = Emulator(api_keys={KEY: frozenset({"view", "edit"})})
    emulator.put_descriptor(
        "tag: alpha\nname: Alpha\nrules:\n  - title: Owned\n    expression: x != null\n"
    )
    with emulator.serve() as server:
        ran = run_cli("-v", "pull", "--dir", "cards", "--base-url", server.base_url)
    assert ran.code == 0, ran.err
    assert (workdir / "cards" / "alpha.yaml").is_file()
    assert "ignored a byte order mark (U+FEFF) at the start of the key file" in ran.err
    assert KEY not in ran.out + ran.err
