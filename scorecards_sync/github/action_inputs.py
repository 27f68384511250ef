"""What the GitHub Action is given: its inputs and the run's context, read from the environment.

action.yml passes every input as an `INPUT_*` variable. `ActionInputs` holds the
checked inputs but never a secret: the Cortex key and the GitHub token are read
only by the factories that talk to Cortex and GitHub (`cortex_environment`).
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scorecards_sync.cortex.http import ENV_BASE_URL
from scorecards_sync.cortex.secret import ENV_API_KEY
from scorecards_sync.errors import UsageError
from scorecards_sync.github.comments import ACTIONS_BOT, MERGED_PULL_DELAYS, path_key
from scorecards_sync.github.events import GitHubEvent, load_event
from scorecards_sync.loader import DEFAULT_DIR
from scorecards_sync.review.merged import delays_from_env

COMMANDS = ("validate", "plan", "apply", "drift")
COMMENT_MODES = ("true", "always", "false")
# The inputs the action passes as environment variables (see action.yml).
INPUT_COMMAND = "INPUT_COMMAND"
INPUT_PATH = "INPUT_PATH"
INPUT_BASE_REF = "INPUT_BASE_REF"
INPUT_COMMENT = "INPUT_COMMENT"
INPUT_AUTO_APPROVE = "INPUT_AUTO_APPROVE"
INPUT_IMPACT = "INPUT_IMPACT"
INPUT_ENVIRONMENT = "INPUT_ENVIRONMENT"
INPUT_HEAL = "INPUT_HEAL"
INPUT_ALL_WORKSPACES = "INPUT_ALL_WORKSPACES"
DEFAULT_ENVIRONMENT = "cortex"
INPUT_ARGS = "INPUT_ARGS"
INPUT_COMMENT_AUTHOR = "INPUT_COMMENT_AUTHOR"
INPUT_CORTEX_API_KEY = "INPUT_CORTEX_API_KEY"
INPUT_CORTEX_BASE_URL = "INPUT_CORTEX_BASE_URL"
INPUT_GITHUB_TOKEN = "INPUT_GITHUB_TOKEN"  # noqa: S105 - the name of a variable


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, checked. Never holds a secret."""

    command: str = "plan"
    paths: tuple[str, ...] = (DEFAULT_DIR,)
    base_ref: str | None = None
    comment: str = "true"
    auto_approve: bool = False
    args: tuple[str, ...] = ()
    comment_author: str = ACTIONS_BOT
    impact: bool = True
    environment: str = DEFAULT_ENVIRONMENT
    heal: bool = False
    all_workspaces: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Read the `INPUT_*` variables; the key and the token are not among them."""

        def get(name: str) -> str:
            return environ.get(name, "").strip()

        command = get(INPUT_COMMAND).lower() or "plan"
        if command not in COMMANDS:
            raise UsageError(
                f"input command: expected one of {', '.join(COMMANDS)}, got {command!r}"
            )
        paths = tuple(p.strip() for p in get(INPUT_PATH).splitlines() if p.strip())
        comment = get(INPUT_COMMENT).lower() or "true"
        if comment not in COMMENT_MODES:
            raise UsageError(
                f"input comment: expected true (when the plan changes something, or to update "
                f"an earlier comment), always, or false; got {comment!r}"
            )
        approve = get(INPUT_AUTO_APPROVE).lower() or "false"
        if approve not in ("true", "false"):
            raise UsageError(f"input auto-approve: expected true or false, got {approve!r}")
        impact = get(INPUT_IMPACT).lower() or "true"
        if impact not in ("true", "false"):
            raise UsageError(f"input impact: expected true or false, got {impact!r}")
        environment = get(INPUT_ENVIRONMENT) or DEFAULT_ENVIRONMENT
        if len(environment) > 255 or any(ord(c) < 32 for c in environment):
            raise UsageError(
                "input environment: expected a GitHub environment name (at most 255 "
                "characters, no control characters)"
            )
        heal = get(INPUT_HEAL).lower() or "false"
        if heal not in ("true", "false"):
            raise UsageError(f"input heal: expected true or false, got {heal!r}")
        every = get(INPUT_ALL_WORKSPACES).lower() or "false"
        if every not in ("true", "false"):
            raise UsageError(f"input all-workspaces: expected true or false, got {every!r}")
        if every == "true" and command == "drift":
            raise UsageError("input all-workspaces goes with command plan or apply, not drift")
        try:
            args = tuple(shlex.split(get(INPUT_ARGS)))
        except ValueError as exc:
            raise UsageError(f"input args: cannot split {get(INPUT_ARGS)!r}: {exc}") from None
        return cls(
            command=command,
            paths=paths or (DEFAULT_DIR,),
            base_ref=get(INPUT_BASE_REF) or None,
            comment=comment,
            auto_approve=approve == "true",
            args=args,
            comment_author=get(INPUT_COMMENT_AUTHOR) or ACTIONS_BOT,
            impact=impact == "true",
            environment=environment,
            heal=heal == "true",
            all_workspaces=every == "true",
        )

    @property
    def key(self) -> str:
        return path_key(self.paths)


@dataclass(frozen=True)
class RunContext:
    """Where the run happens: its event, its scratch folder, the link to the run."""

    event: GitHubEvent
    temp_dir: Path
    run_url: str | None = None
    merged_pull_delays: tuple[float, ...] = MERGED_PULL_DELAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RunContext:
        server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
        repository, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else None
        temp = environ.get("RUNNER_TEMP", "").strip() or tempfile.gettempdir()
        delays = delays_from_env(environ)
        return cls(load_event(environ), Path(temp), run_url, delays)


def cortex_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for Cortex settings: the action's key and URL inputs win when given.

    Reads the key: call it only on a path that talks to Cortex.
    """
    env = dict(environ)
    for variable, name in (
        (INPUT_CORTEX_API_KEY, ENV_API_KEY),
        (INPUT_CORTEX_BASE_URL, ENV_BASE_URL),
    ):
        value = environ.get(variable, "").strip()
        if value:
            env[name] = value
    return env
