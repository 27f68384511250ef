"""What the workflow run is about: the event payload GitHub Actions leaves in `GITHUB_EVENT_PATH`.

Three cases matter: a pull request from this repository (plan and comment), a pull
request from a fork (validate offline and say why), and a push (apply when it is the
default branch). Everything else is `other`.

`pull_request_target` counts as a pull request too. GitHub gives that event the
repository's secrets even for a fork's pull request, but the fork's descriptors (and
whatever the workflow checked out of it) are untrusted: such a run is treated like a
fork's `pull_request`, with no key read and nothing posted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scorecards_sync.errors import ConfigError

EventKind = Literal["pull_request", "fork_pull_request", "push", "other"]

# Dependabot's pull requests run like a fork's: the repository's Actions secrets are withheld.
_NO_SECRETS_ACTORS = frozenset({"dependabot[bot]"})
_PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
# An event payload is a few hundred kilobytes at most; a bigger file is the wrong file.
_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    base_ref: str
    base_sha: str
    head_ref: str
    head_sha: str
    head_repository: str | None  # None when the fork has been deleted since
    html_url: str


@dataclass(frozen=True)
class PushInfo:
    ref: str
    before: str
    after: str
    default_branch: str
    created: bool
    deleted: bool
    forced: bool

    @property
    def branch(self) -> str | None:
        prefix = "refs/heads/"
        return self.ref[len(prefix) :] if self.ref.startswith(prefix) else None

    @property
    def is_default_branch(self) -> bool:
        return bool(self.default_branch) and self.branch == self.default_branch

    @property
    def base(self) -> str | None:
        """The commit the branch pointed at before the push; None for a new branch."""
        # All zeros (40, or 64 in a SHA-256 repository) means there was no commit before.
        if self.created or not self.before or set(self.before) == {"0"}:
            return None
        return self.before


@dataclass(frozen=True)
class GitHubEvent:
    name: str
    repository: str
    sha: str
    actor: str
    pull_request: PullRequestInfo | None = None
    push: PushInfo | None = None
    is_fork: bool = False

    @property
    def kind(self) -> EventKind:
        if self.name in _PULL_REQUEST_EVENTS and self.pull_request is not None:
            return "fork_pull_request" if self.is_fork else "pull_request"
        if self.name == "push" and self.push is not None:
            return "push"
        return "other"

    @property
    def secrets_available(self) -> bool:
        """False where GitHub withholds the repository's secrets from the run."""
        return not (self.kind == "fork_pull_request" or self.actor in _NO_SECRETS_ACTORS)

    @property
    def no_secrets_reason(self) -> str | None:
        if self.kind == "fork_pull_request" and self.name == "pull_request_target":
            return (
                "this pull_request_target run is for a pull request from a fork, whose content "
                "is untrusted: the action uses no secret on it, so descriptors were validated "
                "offline, not planned against Cortex; to plan and apply it, a maintainer pushes "
                "its branch to this repository and opens the pull request from there"
            )
        if self.kind == "fork_pull_request":
            return (
                "this pull request comes from a fork, and GitHub does not give a fork's workflow "
                "the repository's secrets: descriptors were validated offline, not planned "
                "against Cortex; to plan and apply it, a maintainer pushes its branch to this "
                "repository and opens the pull request from there"
            )
        if self.actor in _NO_SECRETS_ACTORS:
            return (
                f"runs triggered by {self.actor} get no Actions secrets: descriptors were "
                "validated offline, not planned against Cortex"
            )
        return None


def load_event(environ: Mapping[str, str] | None = None) -> GitHubEvent:
    """The event of the current GitHub Actions run, from its environment variables."""
    env = os.environ if environ is None else environ
    name = env.get("GITHUB_EVENT_NAME", "").strip()
    event_path = env.get("GITHUB_EVENT_PATH", "").strip()
    if not name or not event_path:
        raise ConfigError(
            "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set: this runs inside GitHub "
            "Actions (or set both, the second to an event payload JSON file)"
        )
    payload = _read_payload(Path(event_path))
    return parse_event(
        name,
        payload,
        repository=env.get("GITHUB_REPOSITORY", ""),
        sha=env.get("GITHUB_SHA", ""),
        actor=env.get("GITHUB_ACTOR", ""),
    )


def parse_event(
    name: str,
    payload: Mapping[str, Any],
    *,
    repository: str = "",
    sha: str = "",
    actor: str = "",
) -> GitHubEvent:
    repo_section = _mapping(payload.get("repository"))
    repository = repository or _text(repo_section.get("full_name"))
    actor = actor or _text(_mapping(payload.get("sender")).get("login"))
    if name in _PULL_REQUEST_EVENTS and "pull_request" in payload:
        pull, is_fork = _pull_request(_mapping(payload["pull_request"]), repository)
        return GitHubEvent(name, repository, sha or pull.head_sha, actor, pull, None, is_fork)
    if name == "push":
        push = PushInfo(
            ref=_text(payload.get("ref")),
            before=_text(payload.get("before")),
            after=_text(payload.get("after")),
            default_branch=_text(repo_section.get("default_branch"))
            or _text(repo_section.get("master_branch")),
            created=bool(payload.get("created")),
            deleted=bool(payload.get("deleted")),
            forced=bool(payload.get("forced")),
        )
        return GitHubEvent(name, repository, sha or push.after, actor, None, push)
    return GitHubEvent(name, repository, sha, actor)


def _pull_request(section: Mapping[str, Any], repository: str) -> tuple[PullRequestInfo, bool]:
    number = section.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ConfigError("the pull_request event payload has no pull request number")
    base = _mapping(section.get("base"))
    head = _mapping(section.get("head"))
    head_full_name = _text(_mapping(head.get("repo")).get("full_name")) or None
    base_full_name = _text(_mapping(base.get("repo")).get("full_name")) or repository
    # A deleted fork leaves `head.repo` null; a branch of this repository names it again.
    is_fork = head_full_name is None or head_full_name.lower() != base_full_name.lower()
    info = PullRequestInfo(
        number=number,
        base_ref=_text(base.get("ref")),
        base_sha=_text(base.get("sha")),
        head_ref=_text(head.get("ref")),
        head_sha=_text(head.get("sha")),
        head_repository=head_full_name,
        html_url=_text(section.get("html_url")),
    )
    return info, is_fork


def _read_payload(path: Path) -> Mapping[str, Any]:
    try:
        if path.stat().st_size > _MAX_PAYLOAD_BYTES:
            raise ConfigError(f"GITHUB_EVENT_PATH {path} is too large to be an event payload")
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the event payload GITHUB_EVENT_PATH={path}: {exc.strerror or exc}"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the event payload {path} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ConfigError(f"the event payload {path} is not a JSON object")
    return payload


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
