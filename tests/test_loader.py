"""The loader: discovery, positions, and every way a file can be refused (never a traceback)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards_sync import loader
from scorecards_sync.cli import main
from scorecards_sync.console import Console
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES
from scorecards_sync.loader import (
    MAX_DEPTH,
    Document,
    Pointer,
    Position,
    display_path,
    load_file,
    load_paths,
    parse_document,
)
from scorecards_sync.problems import Severity

DESCRIPTOR = """\
tag: positions
name: Positions
ladder:
  levels:
    - name: Bronze
      rank: 1
rules:
  - title: Has a repository
    expression: git != null
    level: Bronze
  - title: "Has on-call"
    expression: oncall != null
    level: Bronze
"""


def _parse(text: str) -> Document:
    document, problems = parse_document("descriptor", text.encode())
    assert problems == []
    assert document is not None
    return document


def _refused(raw: bytes) -> tuple[str, int, int, str]:
    document, problems = parse_document("descriptor", raw)
    assert document is None
    [problem] = problems
    assert problem.severity is Severity.ERROR
    return problem.message, problem.line, problem.column, problem.code


def _write(path: Path, text: str = DESCRIPTOR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _validate(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", *argv], Console(out, err))
    return code, out.getvalue(), err.getvalue()


# --- positions ---------------------------------------------------------------------------


def test_every_value_and_key_maps_back_to_its_line_and_column() -> None:
    document = _parse(DESCRIPTOR)
    assert document.path == "descriptor"
    assert document.tag == "positions"
    assert document.locate(("tag",)) == (1, 6)
    assert document.locate(("tag",), key=True) == (1, 1)
    assert document.locate(("ladder", "levels", 0, "rank")) == (6, 13)
    assert document.locate(("rules", 1)) == (11, 5)
    assert document.locate(("rules", 1, "title")) == (11, 12)
    assert document.locate(("rules", 1, "level"), key=True) == (13, 5)


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    document = _parse(DESCRIPTOR)
    assert document.locate(("rules", 0, "weight")) == document.locate(("rules", 0))
    assert document.locate(("rules", 7, "title")) == document.locate(("rules",))
    assert document.locate(("nowhere",)) == (1, 1)


def test_positions_survive_a_byte_order_mark_and_crlf_line_ends() -> None:
    raw = "\ufefftag: crlf\r\nname: CRLF\r\nrules:\r\n  - title: A\r\n    expression: x\r\n"
    document, problems = parse_document("descriptor", raw.encode("utf-8"))
    assert problems == []
    assert document is not None
    assert document.data["tag"] == "crlf"
    assert document.locate(("rules", 0, "expression")) == (5, 17)


def test_values_are_plain_json_types_and_dates_stay_text() -> None:
    document = _parse(
        "tag: t\nname: N\ndraft: no\nyes: 1\nwindow: 4.5\nwhen: 2024-01-01T00:00:00Z\n"
        "day: 2025-06-30\nnothing:\nrules: []\n"
    )
    data = document.data
    assert data["draft"] is False
    assert "yes" in data  # keys are taken as written, never turned into True
    assert data["window"] == 4.5
    assert data["when"] == "2024-01-01T00:00:00Z"
    assert data["day"] == "2025-06-30"
    assert data["nothing"] is None


def test_anchors_and_aliases_within_bounds_are_expanded() -> None:
    document = _parse(
        "tag: t\nname: &n Shared\ndescription: *n\nrules:\n"
        "  - {title: A, expression: x, filter: &f {kind: GENERIC}}\n"
        "  - {title: B, expression: y, filter: *f}\n"
    )
    assert document.data["description"] == "Shared"
    assert document.data["rules"][1]["filter"] == {"kind": "GENERIC"}


# --- refusals of parse_document ----------------------------------------------------------


def test_too_large_is_refused_before_parsing() -> None:
    message, line, column, code = _refused(b"#" * (MAX_DESCRIPTOR_BYTES + 1))
    assert code == "file-too-large"
    assert "Cortex accepts at most 2,097,152 (2 MB)" in message
    assert (line, column) == (1, 1)


def test_exactly_two_megabytes_is_still_read() -> None:
    text = "tag: t\nname: N\nrules: []\ndescription: "
    raw = (text + "x" * (MAX_DESCRIPTOR_BYTES - len(text) - 1) + "\n").encode()
    assert len(raw) == MAX_DESCRIPTOR_BYTES
    document, problems = parse_document("descriptor", raw)
    assert document is not None and problems == []


def test_alias_expansion_of_long_text_is_bounded() -> None:
    long_text = "x" * 100_000
    raw = f"tag: t\nname: &n {long_text}\nrules: [{', '.join(['*n'] * 100)}]\n".encode()
    message, _, _, code = _refused(raw)
    assert code == "too-many-nodes"
    assert "characters of text" in message


def test_an_alias_bomb_is_refused_before_any_value_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 10^30 values once expanded: sizes are counted per distinct node, so the refusal
    # costs one pass over the 33 lines, never 200,000 values built first.
    lines = ["tag: t", "name: n", "a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 30)]
    built: list[object] = []
    build = loader._Builder.build

    def counting_build(self: loader._Builder, node: yaml.Node, pointer: Pointer) -> Any:
        built.append(pointer)
        return build(self, node, pointer)

    monkeypatch.setattr(loader._Builder, "build", counting_build)
    message, line, column, code = _refused("\n".join(lines).encode())
    assert code == "too-many-nodes"
    assert "more than 200,000 values" in message
    # The innermost list past the bound: a5 holds 10^5 lists of 10 (1,111,111 values).
    assert (line, column) == (8, 5)
    assert built == []


def test_an_anchor_free_text_past_the_bound_on_values_is_refused_before_building(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Texts without an anchor skip the pass over the nodes only when too short to hold
    # that many values: this one is long enough, and is refused by the pass.
    raw = ("tag: t\nname: n\nrules: [" + "0, " * loader.MAX_NODES + "0]\n").encode()
    built: list[object] = []
    build = loader._Builder.build

    def counting_build(self: loader._Builder, node: yaml.Node, pointer: Pointer) -> Any:
        built.append(pointer)
        return build(self, node, pointer)

    monkeypatch.setattr(loader._Builder, "build", counting_build)
    message, line, column, code = _refused(raw)
    assert code == "too-many-nodes"
    assert "more than 200,000 values" in message
    assert (line, column) == (3, 8)
    assert built == []


def test_only_long_texts_or_texts_with_an_anchor_need_the_pass_over_the_nodes() -> None:
    assert not loader._may_expand_past_bounds("tag: t\nname: n\nrules: [1, 2, 3]\n")
    assert loader._may_expand_past_bounds("tag: t\nname: &n n\n")
    assert loader._may_expand_past_bounds("[" + "0," * 50_000 + "]")


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH + 5
    message, line, _, code = _refused(f"tag: t\nname: {'[' * depth}{']' * depth}\n".encode())
    assert code == "too-deep"
    assert line == 2
    assert f"nested more than {MAX_DEPTH} levels deep" in message


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"---\n", "empty"),
        (b"--- # nothing\n...\n", "empty"),
        (b"tag: !!binary aGVsbG8=\n", "yaml-tag"),
        (b"tag: !custom value\n", "yaml-tag"),
        (b"tags: !!set {a, b}\n", "yaml-tag"),
        (b"rules: !!omap [a: 1]\n", "yaml-tag"),
        (b"\xff\xfet\x00a\x00g\x00", "not-utf8"),
    ],
)
def test_refusals_have_codes(raw: bytes, code: str) -> None:
    assert _refused(raw)[3] == code


def test_a_trailing_document_end_marker_is_one_document() -> None:
    _parse("tag: t\nname: N\nrules: []\n...\n")


def test_tab_inside_a_block_scalar_is_not_mistaken_for_indentation() -> None:
    document = _parse("tag: t\nname: N\ndescription: |\n  line\n  \tindented text\nrules: []\n")
    assert "\tindented" in document.data["description"]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("tag: t\nrules:\n\t- title: A\n", 3, 1),
        ("tag: t\nname: N\n\tdescription: x\n", 3, 1),
        ("tag: t\nladder:\n  levels:\n  \t- name: B\n", 4, 3),
    ],
)
def test_tab_indentation_is_named_at_its_line(text: str, line: int, column: int) -> None:
    message, at_line, at_column, code = _refused(text.encode())
    assert (code, at_line, at_column) == ("tab-indent", line, column)
    assert message == "tab used for indentation; YAML allows only spaces"


# --- discovery ---------------------------------------------------------------------------


def test_folders_are_searched_for_yaml_and_yml_in_order(tmp_path: Path) -> None:
    root = tmp_path / "scorecards"
    _write(root / "b.yaml", DESCRIPTOR.replace("positions", "b"))
    _write(root / "a.yml", DESCRIPTOR.replace("positions", "a"))
    _write(root / "nested" / "c.yaml", DESCRIPTOR.replace("positions", "c"))
    _write(root / "README.md", "not a descriptor")
    _write(root / ".hidden.yaml", "not: [read")
    _write(root / ".git" / "x.yaml", "not: [read")
    result = load_paths([root])
    assert result.problems == []
    assert [d.tag for d in result.documents] == ["a", "b", "c"]


def test_folder_scans_find_yaml_suffixes_in_any_case(tmp_path: Path) -> None:
    root = tmp_path / "scorecards"
    _write(root / "upper.YAML", DESCRIPTOR.replace("positions", "upper"))
    _write(root / "mixed.Yml", DESCRIPTOR.replace("positions", "mixed"))
    _write(root / "notes.YAMLX", "not: [read")
    _write(root / ".Hidden.YML", "not: [read")
    result = load_paths([root])
    assert result.problems == []
    assert sorted(d.tag or "" for d in result.documents) == ["mixed", "upper"]


def test_the_same_file_given_twice_is_loaded_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.yaml")
    result = load_paths([path, tmp_path, path])
    assert len(result.documents) == 1


def test_a_symlink_inside_the_folder_is_named_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    real = _write(tmp_path / "elsewhere" / "real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert display_path(link) == "link.yaml"
    document, problems = load_file(link)
    assert problems == [] and document is not None
    assert document.path == "link.yaml"


def test_a_symlinked_file_leading_outside_the_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    secret = _write(tmp_path / "outside" / "secret.yaml")
    folder = tmp_path / "scorecards"
    _write(folder / "ok.yaml", DESCRIPTOR.replace("positions", "ok"))
    (folder / "escape.yaml").symlink_to(secret)
    code, out, _ = _validate("scorecards")
    assert code == 1
    assert out.splitlines() == [
        "scorecards/escape.yaml:1:1: error: symbolic link leads outside scorecards/ "
        "(to outside/secret.yaml); refusing to read it"
    ]


def test_a_symlinked_folder_leading_outside_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "outside" / "secret.yaml")
    folder = tmp_path / "scorecards"
    _write(folder / "ok.yaml", DESCRIPTOR.replace("positions", "ok"))
    (folder / "more").symlink_to(tmp_path / "outside", target_is_directory=True)
    (folder / "again").symlink_to(folder, target_is_directory=True)  # inside: skipped quietly
    result = load_paths([folder])
    assert [d.tag for d in result.documents] == ["ok"]
    assert [(p.path, p.code) for p in result.problems] == [("scorecards/more", "symlink-escape")]


def test_a_file_over_two_megabytes_is_refused_by_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"tag: big\nname: Big\ndescription: " + b"x" * MAX_DESCRIPTOR_BYTES + b"\n")
    code, out, err = _validate("big.yaml")
    assert code == 1
    assert out.startswith("big.yaml:1:1: error: file is 2,097,")
    assert "Cortex accepts at most 2,097,152 (2 MB)" in out
    assert "Traceback" not in out + err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.yaml")
    code, out, _ = _validate("pipe.yaml")
    assert code == 1
    assert out.strip() == "pipe.yaml:1:1: error: not a regular file; refusing to read it"


def test_a_folder_without_descriptors_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    result = load_paths([tmp_path / "empty"])
    assert [(p.severity, p.code) for p in result.problems] == [(Severity.WARNING, "no-files")]
    code, out, _ = _validate("empty")
    assert code == 0
    # At 1:1 like a missing path: editors and annotations know no line 0.
    assert out == "empty:1:1: warning: no descriptor files (*.yaml, *.yml) in this folder\n"
    assert _validate("--strict", "empty")[0] == 1


def test_a_duplicate_key_is_an_error_that_hides_no_other_problem() -> None:
    text = (
        "tag: dup\n"
        "name: First\n"
        "rules:\n"
        "  - title: A\n"
        "    expression: git != null\n"
        "name:\n"
        "  - not a string\n"
    )
    document, problems = parse_document("dup.yaml", text.encode())
    assert [(p.line, p.column, p.code, p.severity) for p in problems] == [
        (6, 1, "duplicate-key", Severity.ERROR)
    ]
    assert "duplicate key `name` (first defined at line 2)" in problems[0].message
    # The last value is kept, as YAML would, and positions point at it, not the first one.
    assert document is not None
    assert document.data["name"] == ["not a string"]
    assert document.locate(("name",), key=True) == (6, 1)
    assert document.locate(("name", 0)) == (7, 5)
    assert list(document.data) == ["tag", "name", "rules"]


def test_a_nested_duplicate_forgets_the_positions_of_the_value_it_replaces() -> None:
    text = (
        "tag: dup\n"
        "name: Dup\n"
        "rules:\n"
        "  - title: A\n"
        "    expression: a\n"
        "  - title: B\n"
        "    expression: b\n"
        "rules:\n"
        "  - title: C\n"
        "    expression: c\n"
    )
    document, problems = parse_document("dup.yaml", text.encode())
    assert [p.code for p in problems] == ["duplicate-key"]
    assert document is not None
    assert [rule["title"] for rule in document.data["rules"]] == ["C"]
    assert document.locate(("rules", 1, "title")) == (9, 3)  # the list, not the stale rule B


class _CountingPositions(dict[Pointer, Position]):
    """A position map that counts every entry looked at to forget or search positions."""

    def __init__(self) -> None:
        super().__init__()
        self.touched = 0

    def __iter__(self) -> Iterator[Pointer]:
        for pointer in super().__iter__():
            self.touched += 1
            yield pointer

    def pop(self, pointer: Pointer, *default: Any) -> Any:
        self.touched += 1
        return super().pop(pointer, *default)

    def __delitem__(self, pointer: Pointer) -> None:
        self.touched += 1
        super().__delitem__(pointer)


def _position_work(pairs: int) -> tuple[int, int]:
    """Entries of the position maps touched while building a file of `pairs` distinct keys,
    each written twice with a nested duplicate; and the number of nodes built."""
    body = "".join(f"k{i}:\n  a: 1\n  a: 2\n  b: x\n" * 2 for i in range(pairs))
    root = yaml.compose(
        "tag: t\nname: n\n" + body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    assert root is not None
    builder = loader._Builder()
    positions, key_positions = _CountingPositions(), _CountingPositions()
    builder.positions, builder.key_positions = positions, key_positions
    builder.build(root, ())
    assert len(builder.duplicates) == 3 * pairs
    return positions.touched + key_positions.touched, builder._count


def test_duplicate_keys_cost_work_linear_in_the_file() -> None:
    # Forgetting the value a duplicate replaces once searched every position recorded so
    # far: 180 KB of duplicates took a minute. Counted, not timed: the work per node built
    # stays a small constant as the file grows 4x (quadratic work would grow 4x too).
    small_work, small_nodes = _position_work(250)
    large_work, large_nodes = _position_work(1000)
    assert large_nodes >= 4 * small_nodes - 10
    assert small_work <= 4 * small_nodes
    assert large_work <= 4 * large_nodes
    assert large_work / large_nodes <= 1.1 * (small_work / small_nodes)


def test_a_duplicate_key_file_of_200_kb_parses_with_every_duplicate_reported() -> None:
    body = "".join(f"k{i}: {i}\nk{i}: {i}\n" for i in range(12_000))
    raw = ("tag: t\nname: n\n" + body).encode()
    assert len(raw) > 200_000
    document, problems = parse_document("dup.yaml", raw)
    assert document is not None
    assert len(problems) == 12_000
    assert document.locate(("k11999",), key=True) == (2 * 12_000 + 2, 1)


def test_paths_outside_the_working_directory_stay_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    path = _write(tmp_path / "other" / "x.yaml")
    assert display_path(path) == path.as_posix()
    assert display_path(Path("sub/../y.yaml")) == "y.yaml"
