"""gitsource against real temporary git repositories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_repo import commit, git

from scorecards_sync.errors import GitSourceError
from scorecards_sync.gitsource import (
    CommitInfo,
    FileChange,
    GitSource,
    _translate,
    load_at_ref,
)

AUTHOR = {
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}
DIR = ".cortex/scorecards"


def descriptor(tag: str, extra_rules: int = 0) -> str:
    rules = "".join(
        f'  - title: Rule {i}\n    expression: custom("{tag}-{i}") == true\n    weight: 1\n'
        for i in range(4 + extra_rules)
    )
    return f"tag: {tag}\nname: {tag.title()}\ndescription: Checks {tag}.\nrules:\n{rules}"


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration leaks into these tests."""
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for key, value in AUTHOR.items():
        monkeypatch.setenv(key, value)


def write(repo: Path, path: str, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, f"{DIR}/alpha.yaml", descriptor("alpha"))
    write(root, f"{DIR}/beta.yml", descriptor("beta"))
    write(root, f"{DIR}/nested/gamma.yaml", descriptor("gamma"))
    write(root, f"{DIR}/README.md", "not a descriptor\n")
    write(root, f"{DIR}/.hidden.yaml", descriptor("hidden"))
    write(root, "other/delta.yaml", descriptor("delta"))
    commit(root, "Initial scorecards")
    return root


@pytest.fixture
def source(repo: Path) -> Iterator[GitSource]:
    with GitSource(repo) as opened:
        yield opened


def test_files_at_ref_reads_committed_content_without_checkout(
    repo: Path, source: GitSource
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    write(repo, f"{DIR}/alpha.yaml", descriptor("alpha", extra_rules=1))
    commit(repo, "Edit alpha")
    write(repo, f"{DIR}/alpha.yaml", "tag: dirty-working-tree\n")

    files = dict(source.files_at(base, [repo / DIR]))

    assert sorted(files) == [f"{DIR}/alpha.yaml", f"{DIR}/beta.yml", f"{DIR}/nested/gamma.yaml"]
    assert files[f"{DIR}/alpha.yaml"] == descriptor("alpha").encode()
    assert (
        dict(source.files_at("HEAD", [repo / DIR]))[f"{DIR}/alpha.yaml"]
        == descriptor("alpha", extra_rules=1).encode()
    )
    assert (repo / DIR / "alpha.yaml").read_text() == "tag: dirty-working-tree\n"


def test_load_at_ref_parses_documents_with_repo_relative_paths(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "other")
    result = load_at_ref(repo, "HEAD", ["../.cortex/scorecards", "delta.yaml"])

    assert result.problems == []
    assert [d.path for d in result.documents] == [
        f"{DIR}/alpha.yaml",
        f"{DIR}/beta.yml",
        f"{DIR}/nested/gamma.yaml",
        "other/delta.yaml",
    ]
    assert [d.tag for d in result.documents] == ["alpha", "beta", "gamma", "delta"]
    assert result.documents[0].locate(("rules", 1, "title")) == (8, 12)


def test_default_path_and_missing_path_at_ref(
    repo: Path, source: GitSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = git(repo, "rev-parse", "HEAD")
    monkeypatch.chdir(repo)
    assert len(source.files_at(first)) == 3
    assert source.files_at(first, ["no/such/folder"]) == []


def test_load_at_ref_reports_bad_yaml_at_its_line(repo: Path, source: GitSource) -> None:
    write(repo, f"{DIR}/broken.yaml", "tag: broken\nname: [unclosed\n")
    commit(repo, "Broken")
    result = source.load_at_ref("HEAD", [repo / DIR])
    assert [p.path for p in result.problems] == [f"{DIR}/broken.yaml"]
    assert result.problems[0].line >= 2
    assert len(result.documents) == 3


def test_symlinks_at_ref_followed_inside_refused_outside(repo: Path, source: GitSource) -> None:
    (repo / DIR / "alias.yaml").symlink_to("alpha.yaml")
    (repo / DIR / "escape.yaml").symlink_to("../../other/delta.yaml")
    (repo / DIR / "broken.yaml").symlink_to("nowhere.yaml")
    commit(repo, "Links")

    result = source.load_at_ref("HEAD", [repo / DIR])

    assert [d.path for d in result.documents] == [
        f"{DIR}/alias.yaml",
        f"{DIR}/beta.yml",
        f"{DIR}/nested/gamma.yaml",
    ]
    assert result.documents[0].tag == "alpha"
    messages = {p.path: p.message for p in result.problems}
    assert "leads outside" in messages[f"{DIR}/escape.yaml"]
    assert "leads nowhere" in messages[f"{DIR}/broken.yaml"]


def test_file_over_two_megabytes_at_ref_is_a_problem_not_read(
    repo: Path, source: GitSource
) -> None:
    write(repo, f"{DIR}/huge.yaml", "tag: huge\n" + "# padding\n" * 220_000)
    commit(repo, "Huge")
    result = source.load_at_ref("HEAD", [repo / DIR])
    assert [(p.path, p.code) for p in result.problems] == [(f"{DIR}/huge.yaml", "file-too-large")]
    assert all(path != f"{DIR}/huge.yaml" for path, _ in source.files_at("HEAD", [repo / DIR]))


def test_changes_between_refs_added_modified_removed(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", f"{DIR}/beta.yml")
    write(repo, f"{DIR}/alpha.yaml", descriptor("alpha", extra_rules=1))
    write(repo, f"{DIR}/epsilon.yaml", descriptor("epsilon"))
    write(repo, f"{DIR}/notes.txt", "ignored\n")
    write(repo, "other/delta.yaml", descriptor("delta", extra_rules=2))
    commit(repo, "Change things")

    changes = source.changes(base, "HEAD", [repo / DIR])

    assert sorted(changes, key=lambda c: c.path) == [
        FileChange("modified", f"{DIR}/alpha.yaml"),
        FileChange("removed", f"{DIR}/beta.yml"),
        FileChange("added", f"{DIR}/epsilon.yaml"),
    ]


def test_rename_with_same_content_is_renamed_not_removed(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    (repo / DIR / "teams").mkdir()
    git(repo, "mv", f"{DIR}/alpha.yaml", f"{DIR}/teams/alpha-renamed.yaml")
    commit(repo, "Move alpha")

    assert source.changes(base, "HEAD", [repo / DIR]) == [
        FileChange("renamed", f"{DIR}/teams/alpha-renamed.yaml", f"{DIR}/alpha.yaml")
    ]


def test_renamed_and_edited_file_is_still_a_rename(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", f"{DIR}/alpha.yaml", f"{DIR}/alpha2.yaml")
    write(repo, f"{DIR}/alpha2.yaml", descriptor("alpha", extra_rules=1))
    commit(repo, "Move and edit alpha")

    assert source.changes(base, "HEAD", [repo / DIR]) == [
        FileChange("renamed", f"{DIR}/alpha2.yaml", f"{DIR}/alpha.yaml")
    ]


def test_rename_out_of_the_descriptor_folder_is_a_removal(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", f"{DIR}/alpha.yaml", f"{DIR}/alpha.yaml.disabled")
    git(repo, "mv", "other/delta.yaml", f"{DIR}/delta.yaml")
    commit(repo, "Disable alpha, adopt delta")

    changes = source.changes(base, "HEAD", [repo / DIR])

    assert sorted(changes, key=lambda c: c.path) == [
        FileChange("removed", f"{DIR}/alpha.yaml"),
        FileChange("added", f"{DIR}/delta.yaml"),
    ]


def test_working_tree_changes_include_untracked_and_leave_repo_untouched(
    repo: Path, source: GitSource
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    (repo / DIR / "beta.yml").unlink()
    (repo / DIR / "alpha.yaml").rename(repo / DIR / "alpha-moved.yaml")
    write(repo, f"{DIR}/new.yaml", descriptor("new"))
    write(repo, f"{DIR}/nested/gamma.yaml", descriptor("gamma", extra_rules=1))
    git(repo, "add", f"{DIR}/nested/gamma.yaml")
    status_before = git(repo, "status", "--porcelain")
    index_before = (repo / ".git" / "index").read_bytes()
    objects_before = git(repo, "count-objects", "-v")

    changes = source.changes(base, None, [repo / DIR])

    assert sorted(changes, key=lambda c: c.path) == [
        FileChange("renamed", f"{DIR}/alpha-moved.yaml", f"{DIR}/alpha.yaml"),
        FileChange("removed", f"{DIR}/beta.yml"),
        FileChange("modified", f"{DIR}/nested/gamma.yaml"),
        FileChange("added", f"{DIR}/new.yaml"),
    ]
    assert git(repo, "status", "--porcelain") == status_before
    assert (repo / ".git" / "index").read_bytes() == index_before
    assert git(repo, "count-objects", "-v") == objects_before


def test_working_tree_with_the_whole_folder_deleted(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    shutil.rmtree(repo / DIR)
    changes = source.changes(base, None, [repo / DIR, repo / "never-existed"])
    assert sorted(c.path for c in changes if c.kind == "removed") == [
        f"{DIR}/alpha.yaml",
        f"{DIR}/beta.yml",
        f"{DIR}/nested/gamma.yaml",
    ]


def test_changes_start_at_the_merge_base(repo: Path, source: GitSource) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    write(repo, f"{DIR}/feature.yaml", descriptor("feature"))
    commit(repo, "Feature scorecard")
    git(repo, "switch", "-q", "main")
    write(repo, f"{DIR}/mainline.yaml", descriptor("mainline"))
    commit(repo, "Added on main after the fork")
    git(repo, "switch", "-q", "feature")

    assert source.changes("main", "HEAD", [repo / DIR]) == [
        FileChange("added", f"{DIR}/feature.yaml")
    ]
    literal = source.changes("main", "HEAD", [repo / DIR], from_merge_base=False)
    assert FileChange("removed", f"{DIR}/mainline.yaml") in literal
    assert source.merge_base("main", "feature") == git(repo, "merge-base", "main", "feature")


def test_head_commit_and_detached_head(repo: Path, source: GitSource) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    assert source.head_commit() == CommitInfo(
        sha, "Ada Author", "ada@example.com", "Initial scorecards"
    )
    assert source.head_commit().summary == "Initial scorecards"
    assert source.current_branch() == "main"

    git(repo, "switch", "-q", "--detach", "HEAD")
    assert source.head_commit().sha == sha
    with pytest.raises(GitSourceError, match=r"HEAD is detached at [0-9a-f]{12}.*git switch"):
        source.current_branch()


def test_unknown_ref_says_how_to_fetch(repo: Path, source: GitSource) -> None:
    with pytest.raises(
        GitSourceError,
        match=r"unknown ref origin/nope; did you fetch it\? `git fetch origin origin/nope`",
    ):
        source.changes("origin/nope", None, [repo / DIR])
    git(repo, "remote", "add", "origin", str(repo))
    with pytest.raises(GitSourceError, match=r"`git fetch origin release`"):
        source.resolve("origin/release")
    with pytest.raises(GitSourceError, match="is not a git ref"):
        source.resolve("--output=/tmp/x")


@pytest.mark.parametrize("ref", ["HEAD~99", "HEAD^^", "main~5", "deadbeef12", "main@{9}"])
def test_a_commit_that_does_not_exist_is_not_a_fetch_away(source: GitSource, ref: str) -> None:
    with pytest.raises(GitSourceError) as caught:
        source.resolve(ref)
    assert str(caught.value) == f"unknown ref {ref}: no such commit in this repository"


def test_exists_at_tells_a_path_removed_since_a_ref(repo: Path, source: GitSource) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "-r", DIR)
    commit(repo, "Remove every descriptor")
    assert source.exists_at(base, repo / DIR)
    assert source.exists_at(base, repo / DIR / "alpha.yaml")
    assert not source.exists_at("HEAD", repo / DIR)
    assert not source.exists_at(base, repo / "never")


def test_git_scans_find_yaml_suffixes_in_any_case(repo: Path, source: GitSource) -> None:
    write(repo, f"{DIR}/upper.YAML", descriptor("upper"))
    write(repo, f"{DIR}/mixed.Yml", descriptor("mixed"))
    commit(repo, "Descriptors with upper-case suffixes")
    tags = {d.tag for d in source.load_at_ref("HEAD", [repo / DIR]).documents}
    assert {"upper", "mixed"} <= tags
    (repo / DIR / "upper.YAML").unlink()
    assert FileChange("removed", f"{DIR}/upper.YAML") in source.changes("HEAD", None, [repo / DIR])


def test_shallow_clone_missing_the_base_gives_the_fetch_depth_hint(
    repo: Path, tmp_path: Path
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    write(repo, f"{DIR}/alpha.yaml", descriptor("alpha", extra_rules=1))
    commit(repo, "Second")
    write(repo, f"{DIR}/beta.yml", descriptor("beta", extra_rules=1))
    commit(repo, "Third")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))

    with GitSource(clone) as shallow:
        assert shallow.is_shallow
        with pytest.raises(GitSourceError) as caught:
            shallow.changes(base, None, [clone / DIR])
        assert str(caught.value) == (
            f"the base ref {base} is not in this shallow clone: fetch with `fetch-depth: 0` "
            "in actions/checkout, or run `git fetch --unshallow`"
        )
        with pytest.raises(GitSourceError, match="fetch-depth: 0"):
            shallow.load_at_ref("HEAD~1", [clone / DIR])

        # The base commit fetched alone, still without the history joining it to HEAD.
        git(clone, "fetch", "-q", "--depth", "1", "origin", base)
        with pytest.raises(
            GitSourceError, match=r"share no history in this shallow clone.*unshallow"
        ):
            shallow.merge_base(base, "HEAD")

        git(clone, "fetch", "-q", "--unshallow")
        assert shallow.changes(base, None, [clone / DIR]) == [
            FileChange("modified", f"{DIR}/alpha.yaml"),
            FileChange("modified", f"{DIR}/beta.yml"),
        ]


def test_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitSourceError, match=r"^not a git repository: .*plain"):
        GitSource(plain)
    with pytest.raises(GitSourceError, match="does not exist"):
        GitSource(tmp_path / "missing")


def test_path_outside_the_repository(repo: Path, source: GitSource, tmp_path: Path) -> None:
    with pytest.raises(GitSourceError, match="outside the git repository"):
        source.files_at("HEAD", [tmp_path])


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown a repository"
)
def test_dubious_ownership_in_a_container(repo: Path) -> None:
    # Containers run as a user other than the one owning the mounted checkout: simulate it.
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 65534, 65534)
    with pytest.raises(GitSourceError) as caught:
        GitSource(repo)
    assert str(caught.value) == (
        "git refuses this repository because it is owned by another user: run "
        f"`git config --global --add safe.directory {repo}`"
    )


def test_dubious_ownership_message_from_gits_own_stderr() -> None:
    from git import GitCommandError

    stderr = (
        "fatal: detected dubious ownership in repository at '/github/workspace'\n"
        "To add an exception for this directory, call:\n\n"
        "\tgit config --global --add safe.directory /github/workspace\n"
    )
    error = _translate(GitCommandError(["git", "rev-parse"], 128, stderr), where="/elsewhere")
    assert str(error) == (
        "git refuses this repository because it is owned by another user: run "
        "`git config --global --add safe.directory /github/workspace`"
    )


def test_other_git_failures_become_one_line_errors() -> None:
    from git import GitCommandError

    error = _translate(
        GitCommandError(
            ["git", "--literal-pathspecs", "diff"], 128, "fatal: bad object deadbeef\n"
        ),
        where="/repo",
    )
    assert str(error) == "git diff failed: fatal: bad object deadbeef"
