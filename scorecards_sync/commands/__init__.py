"""The commands, one module each (`configure(parser)`, `run(args, console)`).

`COMMANDS` is what the command line needs before it knows which command runs: each name, the
module implementing it and its one-line help (the module's own `HELP`; a test keeps them
equal). `cli` imports only the chosen command's module, so `validate` (run by pre-commit on
every commit) never pays for httpx, GitPython, deepdiff or the planner.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandInfo:
    name: str
    module: str  # scorecards_sync.commands.<module>
    help: str


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "validate",
        "validate",
        "check scorecard descriptors offline: schema and semantic checks, no network",
    ),
    CommandInfo(
        "config",
        "config",
        "show the resolved settings (flags > environment > config file > defaults), key redacted",
    ),
    CommandInfo(
        "plan",
        "plan",
        "show what would change in Cortex to match the repository (never writes to Cortex)",
    ),
    CommandInfo(
        "apply",
        "apply",
        "make Cortex match the repository (or apply a saved plan), after confirmation",
    ),
    CommandInfo(
        "drift",
        "drift",
        "compare the repository, the last record and Cortex: pending, drifted, unmanaged",
    ),
    CommandInfo(
        "pull", "pull", "write the live descriptors from Cortex into files named after their tags"
    ),
    CommandInfo(
        "emulator",
        "emulator",
        "serve a Cortex-compatible scorecards API on 127.0.0.1 (offline rehearsals, tests)",
    ),
    CommandInfo(
        "github-action",
        "action",
        "run as the GitHub Action: plan and comment on pull requests, apply on push",
    ),
    CommandInfo(
        "ci",
        "ci",
        "run in a CI pipeline (gitlab): plan on merge requests, apply the reviewed plan on merge",
    ),
)
