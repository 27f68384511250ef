"""Real git repositories for the tests that read descriptors at a ref or record commits.

`git` runs git in a repository (commit signing off, whatever the developer's configuration
says) and hands back its output; `init_repo` makes a repository on `main` with a test
identity of its own; `commit` commits everything and hands back the new commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def init_repo(path: Path) -> Path:
    """A new repository at `path`, on `main`, committing as a test identity."""
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.invalid")
    git(path, "config", "user.name", "Test")
    return path


def commit(repo: Path, message: str) -> str:
    """Commit every change (a commit even without any); the new commit's id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")
