"""Descriptors read from Cortex are parsed under the same bounds as local files.

A server (or a proxy in front of it) can serve anything: an alias bomb, a recursive
alias, a 5,000-digit number. Each is refused with a clear error naming the tag, by
`plan` and by `pull`, never an internal error or gigabytes of memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from cli_runner import enter_workdir, run_cli

from scorecards_sync.emulator import Emulator
from scorecards_sync.emulator.protocol import YAML_TEXT, EmuRequest, EmuResponse
from scorecards_sync.emulator.server import EmulatorServer
from scorecards_sync.errors import PlanError
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES
from scorecards_sync.loader import parse_document
from scorecards_sync.planner import Desired, make_plan, parse_live

LOADER_CASES = Path(__file__).resolve().parent / "data" / "bad" / "loader"
KEY = "live-bounds-key"


def _is_text(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False  # the client decodes a body; bytes that are not UTF-8 never reach YAML
    return True


def _loader_cases() -> list[Path]:
    return sorted(p for p in LOADER_CASES.iterdir() if p.is_file() and _is_text(p))


@pytest.mark.parametrize("case", _loader_cases(), ids=lambda p: p.stem)
def test_every_file_the_loader_refuses_is_refused_when_cortex_serves_it(case: Path) -> None:
    raw = case.read_bytes()
    document, problems = parse_document("f.yaml", raw)
    text = raw.decode("utf-8")
    if document is None:
        local = problems[0]
        with pytest.raises(PlanError) as caught:
            parse_live("served-tag", text)
        message = str(caught.value)
        assert message.startswith("Cortex served a descriptor for 'served-tag' that cannot be")
        assert f"{local.line}:{local.column}: {local.message}" in message
    else:
        assert parse_live("served-tag", text) == document.data


BOMB = (
    "tag: bomb\nname: Bomb\n"
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "rules: *i\n"
)


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        (BOMB, "expands to more than 200,000 values"),
        ("tag: a\nname: A\nladder: &l\n  levels: [*l]\n", "recursive structure"),
        ("tag: a\nname: A\nevaluation:\n  window: 1" + "0" * 4999 + "\n", "5,000 digits"),
        ("tag: a\nname: A\ndraft: !!bool maybe\n", "`maybe` is not a valid !!bool value"),
        ("tag: a\nname: A\nx: " + "[" * 200 + "]" * 200 + "\n", "nested more than"),
        (
            "tag: a\nname: A\ndescription: " + "x" * MAX_DESCRIPTOR_BYTES + "\n",
            "Cortex accepts at most",
        ),
    ],
    ids=["alias-bomb", "recursive-alias", "huge-integer", "impossible-tag", "deep", "too-large"],
)
def test_make_plan_refuses_a_hostile_live_descriptor_naming_its_tag(
    served: str, expected: str
) -> None:
    wanted = Desired("a", "a.yaml", {"tag": "a", "name": "A"}, "tag: a\nname: A\n")
    with pytest.raises(PlanError, match="descriptor for 'a' that cannot be read") as caught:
        make_plan([wanted], {"a": served})
    assert expected in str(caught.value)


def _card(tag: str) -> str:
    return f"tag: {tag}\nname: {tag.title()}\nrules:\n  - title: Owned\n    expression: x != null\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workdir = enter_workdir(tmp_path, monkeypatch, prefixes=("SCORECARDS_SYNC_", "CORTEX_"))
    monkeypatch.setenv("CORTEX_API_KEY", KEY)
    return workdir


@pytest.fixture
def bomb_server() -> Iterator[str]:
    """A loopback Cortex that serves an alias bomb as the descriptor of `bomb`."""
    emulator = Emulator(api_keys={KEY: frozenset({"view", "edit"})})
    for tag in ("bomb", "fine"):
        emulator.put_descriptor(_card(tag))
    served: Mapping[str, str] = {"bomb": BOMB}

    def answer(request: EmuRequest) -> EmuResponse | None:
        for tag, text in served.items():
            if request.method == "GET" and request.path.endswith(f"/{tag}/descriptor"):
                return EmuResponse(200, text.encode(), (("Content-Type", YAML_TEXT),))
        return emulator.handle(request)

    server = EmulatorServer(answer)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def test_plan_refuses_an_alias_bomb_served_by_cortex(workdir: Path, bomb_server: str) -> None:
    (workdir / "cards").mkdir()
    (workdir / "cards" / "bomb.yaml").write_text(_card("bomb"))
    ran = run_cli("plan", "cards", "--base-url", bomb_server)
    assert ran.code == 1
    assert "internal error" not in ran.err
    assert "Cortex served a descriptor for 'bomb' that cannot be read" in ran.err
    assert "expands to more than 200,000 values" in ran.err


def test_pull_skips_an_alias_bomb_and_writes_the_rest(workdir: Path, bomb_server: str) -> None:
    ran = run_cli("pull", "--dir", "pulled", "--base-url", bomb_server)
    assert ran.code == 1
    assert "internal error" not in ran.err
    assert sorted(p.name for p in (workdir / "pulled").iterdir()) == ["fine.yaml"]
    assert "skipped   pulled/bomb.yaml: Cortex served a descriptor for 'bomb'" in ran.out
    assert "--force" not in ran.err  # forcing would not help
