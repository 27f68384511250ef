"""Descriptors in git: files at any ref, what changed between two refs, commit facts.

Reading at a ref walks the commit's tree, so nothing is checked out and the
working tree is never touched. Comparing against the working tree stages it
into a throw-away index and object directory (the repository's own objects are
reached as an alternate), so git's rename detection sees untracked files too,
and the repository is left exactly as it was.

Whatever GitPython or git raises becomes a `GitSourceError` that says what to
do: users meet these in CI logs, where a traceback helps nobody.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Literal

from scorecards_sync.errors import GitSourceError
from scorecards_sync.limits import MAX_DESCRIPTOR_BYTES
from scorecards_sync.loader import (
    DEFAULT_DIR,
    Document,
    LoadResult,
    is_descriptor_name,
    parse_document,
    too_large,
)
from scorecards_sync.problems import Problem, Severity

if TYPE_CHECKING:
    import git

logger = logging.getLogger(__name__)

ChangeKind = Literal["added", "modified", "renamed", "removed"]

_SYMLINK_MODE = 0o120000
# A chain of symbolic links longer than this is a loop, or close enough to one.
_MAX_LINK_HOPS = 8
_DUBIOUS = re.compile(r"dubious ownership in repository at '([^']+)'")


@dataclass(frozen=True)
class FileChange:
    """One descriptor file that differs between two sides; paths are repo-relative posix."""

    kind: ChangeKind
    path: str
    old_path: str | None = None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    message: str

    @property
    def summary(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class _Entry:
    path: str
    data: bytes | None
    problem: str = ""
    code: str = ""


def _git_module() -> ModuleType:
    # GitPython looks for the git executable when imported: import it only when
    # git is needed, so that a missing git is an error about git, not a crash.
    try:
        import git as git_module
    except ImportError as exc:
        raise GitSourceError(
            "git is not installed or not on PATH; install git to read descriptors from a repository"
            f" ({exc})"
        ) from None
    return git_module


class GitSource:
    """A git repository holding descriptor files. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        git_module = _git_module()
        start = Path(path)
        if not start.exists():
            raise GitSourceError(f"not a git repository: {start} does not exist")
        cwd = start if start.is_dir() else start.parent
        try:
            toplevel = git_module.Git(str(cwd)).rev_parse("--show-toplevel")
        except git_module.GitCommandNotFound:
            raise GitSourceError("git is not installed or not on PATH") from None
        except git_module.GitCommandError as exc:
            raise _translate(exc, where=str(start)) from None
        if not toplevel:
            raise GitSourceError(
                f"{start} is inside a bare git repository or a .git folder; "
                "run from a working tree (a clone with files checked out)"
            )
        self.root = Path(toplevel)
        self._git = git_module
        try:
            self.repo: git.Repo = git_module.Repo(toplevel)
        except (git_module.InvalidGitRepositoryError, git_module.NoSuchPathError):
            raise GitSourceError(f"not a git repository: {toplevel}") from None

    def __enter__(self) -> GitSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        # GitPython keeps `git cat-file` processes alive per repository.
        self.repo.close()

    # -- refs and commits ----------------------------------------------------------------------

    @property
    def is_shallow(self) -> bool:
        return self._run("rev-parse", "--is-shallow-repository") == "true"

    def resolve(self, ref: str) -> str:
        """The full SHA of the commit `ref` names."""
        _check_ref_syntax(ref)
        try:
            sha = self.repo.git.rev_parse(
                "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
            )
        except self._git.GitCommandError as exc:
            if exc.stderr and "dubious ownership" in exc.stderr:
                raise _translate(exc, where=str(self.root)) from None
            raise self._unknown_ref(ref) from None
        return str(sha)

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of two refs."""
        first, second = self.resolve(a), self.resolve(b)
        try:
            return str(self.repo.git.merge_base(first, second))
        except self._git.GitCommandError as exc:
            if exc.status != 1:
                raise _translate(exc, where=str(self.root)) from None
        if self.is_shallow:
            raise GitSourceError(
                f"{a} and {b} share no history in this shallow clone: fetch the full history with "
                "`fetch-depth: 0` in actions/checkout, or run `git fetch --unshallow`"
            )
        raise GitSourceError(f"{a} and {b} have no common history; is {a} the right base?")

    def commit_info(self, ref: str = "HEAD") -> CommitInfo:
        commit = self.repo.commit(self.resolve(ref))
        message = commit.message
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        return CommitInfo(
            sha=commit.hexsha,
            author_name=commit.author.name or "",
            author_email=commit.author.email or "",
            message=text.strip(),
        )

    def head_commit(self) -> CommitInfo:
        return self.commit_info("HEAD")

    def current_branch(self) -> str:
        """The checked-out branch; an error on a detached HEAD (as CI checkouts often are)."""
        head = self.repo.head
        if head.is_detached:
            sha = self.resolve("HEAD")
            raise GitSourceError(
                f"HEAD is detached at {sha[:12]}, but a branch is needed here: check out a branch "
                "(`git switch <branch>`), or name the ref to use explicitly"
            )
        return str(head.ref.name)

    # -- files ---------------------------------------------------------------------------------

    def files_at(
        self, ref: str, paths: Iterable[str | os.PathLike[str]] = ()
    ) -> list[tuple[str, bytes]]:
        """`(repo-relative path, content)` of every descriptor under `paths` at `ref`."""
        return [(e.path, e.data) for e in self._entries(ref, paths) if e.data is not None]

    def exists_at(self, ref: str, path: str | os.PathLike[str]) -> bool:
        """Whether `path` (relative to the current directory) names a file or folder at `ref`."""
        tree = self.repo.commit(self.resolve(ref)).tree
        return _lookup(tree, self.pathspecs([path])[0]) is not None

    def load_at_ref(self, ref: str, paths: Iterable[str | os.PathLike[str]] = ()) -> LoadResult:
        """Parse the descriptors under `paths` as they are at `ref`."""
        documents: list[Document] = []
        problems: list[Problem] = []
        for entry in self._entries(ref, paths):
            if entry.data is None:
                problems.append(
                    Problem(entry.path, 1, 1, Severity.ERROR, entry.problem, entry.code)
                )
                continue
            document, found = parse_document(entry.path, entry.data)
            problems.extend(found)
            if document is not None:
                documents.append(document)
        return LoadResult(documents, problems)

    def changes(
        self,
        base: str,
        head: str | None = None,
        paths: Iterable[str | os.PathLike[str]] = (),
        *,
        from_merge_base: bool = True,
    ) -> list[FileChange]:
        """Descriptors added, modified, renamed and removed from `base` to `head`.

        `head=None` means the working tree, uncommitted and untracked files included
        (ignored files excluded). By default the comparison starts at the merge base of
        `base` and the head, like `git diff base...head`: a scorecard added on the base
        branch after this branch forked is not "removed" by this branch.
        """
        specs = self.pathspecs(paths)
        head_ref = head or "HEAD"
        start = self.merge_base(base, head_ref) if from_merge_base else self.resolve(base)
        if head is None:
            output = self._diff_working_tree(start, specs)
        else:
            output = self._run(
                "diff", "-M", "--name-status", "-z", start, self.resolve(head), "--", *specs
            )
        restricted = (_restrict(c, specs) for c in _parse_name_status(output))
        return [c for c in restricted if c is not None]

    def pathspecs(self, paths: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
        """User paths (relative to the current directory) as repo-relative posix paths."""
        given = [Path(p) for p in paths] or [Path(DEFAULT_DIR)]
        specs: list[str] = []
        for path in given:
            absolute = Path(os.path.normpath(Path.cwd() / path))
            try:
                relative = absolute.relative_to(self.root)
            except ValueError:
                try:
                    relative = absolute.resolve().relative_to(self.root.resolve())
                except ValueError:
                    raise GitSourceError(
                        f"{path} is outside the git repository at {self.root}"
                    ) from None
            spec = relative.as_posix()
            if spec not in specs:
                specs.append(spec)
        return specs

    # -- internals -----------------------------------------------------------------------------

    def _run(self, *args: str, env: dict[str, str] | None = None) -> str:
        try:
            output = self.repo.git.execute(
                ["git", "--literal-pathspecs", *args],
                env=env,
                strip_newline_in_stdout=False,
            )
        except self._git.GitCommandError as exc:
            raise _translate(exc, where=str(self.root)) from None
        return str(output).strip("\n") if "-z" not in args else str(output)

    def _unknown_ref(self, ref: str) -> GitSourceError:
        if self.is_shallow:
            return GitSourceError(
                f"the base ref {ref} is not in this shallow clone: fetch with `fetch-depth: 0` "
                "in actions/checkout, or run `git fetch --unshallow`"
            )
        if ref == "HEAD" or not self.repo.head.is_valid():
            return GitSourceError("the repository has no commits yet; commit the descriptors first")
        if not _branch_shaped(ref):
            # A commit id, or a walk from one (`HEAD~99`): no fetch would bring it.
            return GitSourceError(f"unknown ref {ref}: no such commit in this repository")
        remote, _, branch = ref.partition("/")
        remotes = {r.name for r in self.repo.remotes}
        fetch = (
            f"git fetch {remote} {branch}"
            if branch and remote in remotes
            else f"git fetch origin {ref}"
        )
        return GitSourceError(f"unknown ref {ref}; did you fetch it? `{fetch}`")

    def _entries(self, ref: str, paths: Iterable[str | os.PathLike[str]]) -> Iterator[_Entry]:
        tree = self.repo.commit(self.resolve(ref)).tree
        seen: set[str] = set()
        for spec in self.pathspecs(paths):
            top = _lookup(tree, spec)
            if top is None:
                logger.debug("%s does not exist at %s", spec, ref)
                continue
            if top.type == "tree":
                blobs: Iterable[tuple[str, git.Blob]] = _walk_tree(top, spec)
            elif top.type == "blob":
                blobs = [(spec, top)]
            else:
                continue
            for path, blob in blobs:
                entry, resolved = _read(tree, spec, path, blob)
                if resolved in seen:
                    continue
                seen.add(resolved)
                yield entry

    def _diff_working_tree(self, start: str, specs: Sequence[str]) -> str:
        objects = Path(self.repo.common_dir) / "objects"
        with tempfile.TemporaryDirectory(prefix="scorecards-sync-") as scratch:
            (Path(scratch) / "objects").mkdir()
            env = {
                "GIT_INDEX_FILE": str(Path(scratch) / "index"),
                "GIT_OBJECT_DIRECTORY": str(Path(scratch) / "objects"),
                "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects.resolve()),
            }
            if self.repo.head.is_valid():
                self._run("read-tree", "HEAD", env=env)
            # `git add -A` refuses a path that is neither on disk nor in the index.
            present = [
                spec
                for spec in specs
                if (self.root / spec).exists() or self._run("ls-files", "--", spec, env=env)
            ]
            if present:
                self._run("add", "-A", "--", *present, env=env)
            return self._run(
                "diff", "--cached", "-M", "--name-status", "-z", start, "--", *specs, env=env
            )


def open_repo(path: str | os.PathLike[str] = ".") -> GitSource:
    return GitSource(path)


def load_at_ref(
    repo: GitSource | str | os.PathLike[str],
    ref: str,
    paths: Iterable[str | os.PathLike[str]] = (),
) -> LoadResult:
    """Parse the descriptors under `paths` as they are at `ref` (Document paths repo-relative)."""
    if isinstance(repo, GitSource):
        return repo.load_at_ref(ref, paths)
    with GitSource(repo) as source:
        return source.load_at_ref(ref, paths)


# Git abbreviates commit ids to 7 hex digits at least; a branch named so is unlikely.
_COMMIT_ID = re.compile(r"[0-9a-fA-F]{7,64}")


def _branch_shaped(ref: str) -> bool:
    """A name a remote could have (`main`, `origin/main`), not a commit or a walk from one."""
    if _COMMIT_ID.fullmatch(ref) or ref.endswith("HEAD"):
        return False
    return not any(mark in ref for mark in ("~", "^", "@{", ":"))


def _check_ref_syntax(ref: str) -> None:
    if not ref or ref.startswith("-") or any(c in ref for c in "\x00\n\r"):
        raise GitSourceError(f"{ref!r} is not a git ref")


def _translate(exc: Exception, *, where: str) -> GitSourceError:
    stderr = str(getattr(exc, "stderr", "") or exc)
    dubious = _DUBIOUS.search(stderr)
    if dubious or "dubious ownership" in stderr:
        path = dubious.group(1) if dubious else where
        return GitSourceError(
            "git refuses this repository because it is owned by another user: run "
            f"`git config --global --add safe.directory {path}`"
        )
    if "not a git repository" in stderr:
        return GitSourceError(
            f"not a git repository: {where} (run inside a clone, or point the tool at one)"
        )
    if "shallow" in stderr:
        return GitSourceError(
            "this shallow clone lacks history the command needs: fetch with `fetch-depth: 0` in "
            "actions/checkout, or run `git fetch --unshallow`"
        )
    lines = [
        line.strip(" '") for line in stderr.replace("stderr:", "").splitlines() if line.strip(" '")
    ]
    detail = lines[-1] if lines else str(getattr(exc, "status", "") or "failed")
    command = getattr(exc, "command", None)
    verb = command[2] if isinstance(command, list) and len(command) > 2 else "command"
    return GitSourceError(f"git {verb} failed: {detail}")


def _lookup(tree: git.Tree, spec: str) -> git.Tree | git.Blob | None:
    if spec in ("", "."):
        return tree
    try:
        found = tree / spec
    except KeyError:
        return None
    return found if found.type in ("tree", "blob") else None


def _walk_tree(tree: git.Tree, prefix: str) -> Iterator[tuple[str, git.Blob]]:
    # Same order and the same skips as the loader's walk of a folder on disk.
    base = "" if prefix in ("", ".") else prefix + "/"
    for blob in sorted(tree.blobs, key=lambda b: b.name):
        if is_descriptor_name(blob.name):
            yield base + blob.name, blob
    for sub in sorted(tree.trees, key=lambda t: t.name):
        if not sub.name.startswith("."):
            yield from _walk_tree(sub, base + sub.name)


def _read(tree: git.Tree, root: str, path: str, blob: git.Blob) -> tuple[_Entry, str]:
    """The entry for one file, following symbolic links that stay inside `root`."""
    current, hops = path, 0
    while blob.mode == _SYMLINK_MODE:
        hops += 1
        target = blob.data_stream.read().decode("utf-8", "replace")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
        inside = root in ("", ".") or resolved == root or resolved.startswith(root + "/")
        if posixpath.isabs(target) or resolved.startswith("../") or not inside:
            message = f"symbolic link leads outside {root}/ (to {target}); refusing to read it"
            return _Entry(path, None, message, "symlink-escape"), path
        found = _lookup(tree, resolved)
        if found is None or found.type != "blob" or hops > _MAX_LINK_HOPS:
            message = f"symbolic link to {target} leads nowhere at this ref"
            return _Entry(path, None, message, "broken-symlink"), path
        current, blob = resolved, found
    if blob.size > MAX_DESCRIPTOR_BYTES:
        return _Entry(path, None, too_large(blob.size), "file-too-large"), current
    return _Entry(path, blob.data_stream.read()), current


def _parse_name_status(output: str) -> list[FileChange]:
    fields = output.split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        letter = status[0]
        if letter in "RC":
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            changes.append(
                FileChange("renamed", new, old) if letter == "R" else FileChange("added", new)
            )
            continue
        path = fields[i + 1]
        i += 2
        if letter == "A":
            changes.append(FileChange("added", path))
        elif letter == "D":
            changes.append(FileChange("removed", path))
        else:  # M, T (type change) and anything newer git may report
            changes.append(FileChange("modified", path))
    return changes


def _selected(path: str, specs: Sequence[str]) -> bool:
    for spec in specs:
        if path == spec:
            return True
        prefix = "" if spec in ("", ".") else spec + "/"
        if path.startswith(prefix):
            rest = path[len(prefix) :].split("/")
            if is_descriptor_name(rest[-1]) and not any(p.startswith(".") for p in rest):
                return True
    return False


def _restrict(change: FileChange, specs: Sequence[str]) -> FileChange | None:
    """`change` as seen through `specs`: a rename across the boundary is an add or a remove."""
    new_in = _selected(change.path, specs)
    if change.kind != "renamed" or change.old_path is None:
        return change if new_in else None
    old_in = _selected(change.old_path, specs)
    if new_in and old_in:
        return change
    if new_in:
        return FileChange("added", change.path)
    if old_in:
        return FileChange("removed", change.old_path)
    return None


__all__ = [
    "ChangeKind",
    "CommitInfo",
    "FileChange",
    "GitSource",
    "load_at_ref",
    "open_repo",
]
