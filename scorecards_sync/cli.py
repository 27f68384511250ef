"""Command-line entry point: parses arguments, runs one command, maps errors to exit codes.

The exit codes and the `Console` commands write to live in `scorecards_sync.console`,
below the commands, so that no command imports this module.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO, cast

from scorecards_sync import __version__, progress
from scorecards_sync.commands import COMMANDS
from scorecards_sync.commands.color import colors_allowed, use_color
from scorecards_sync.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, Console
from scorecards_sync.cortex.secret import ENV_API_KEY, api_key_from_env
from scorecards_sync.errors import ScorecardsSyncError, UsageError, redact
from scorecards_sync.gc_policy import fewer_collections
from scorecards_sync.safe_text import terminal_output

logger = logging.getLogger(__name__)


class Command(Protocol):
    NAME: str
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, console: Console) -> int: ...


# argparse's own wording (Python 3.11-3.13): `invalid choice: 'plna' (choose from 'plan', ...)`.
_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<known>.*)\)")
VERBOSE_HELP = "more diagnostics on stderr (-vv: debug)"
QUIET_HELP = "only the result and errors: no progress, no warnings"
NO_COLOR_HELP = "no colors (as the NO_COLOR environment variable does)"


class _ArgumentError(UsageError):
    """Bad arguments: the message, and the usage line of the command they were given to."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(f"{self.prog}: {message}{_did_you_mean(message)}", self.format_usage())


def _did_you_mean(message: str) -> str:
    mistyped = _INVALID_CHOICE.search(message)
    if mistyped is None:
        return ""
    known = re.findall(r"'([^']*)'", mistyped["known"])
    close = difflib.get_close_matches(mistyped["given"], known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def build_parser(
    argv: Sequence[str] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    """The parser, and the command modules it configured: with `argv`, only the command it
    names (its imports are the run's only cost); without, every command."""
    parser = _ArgumentParser(
        prog="scorecards-sync",
        description="Manage Cortex Scorecards as code: validate, plan, apply.",
    )
    parser.add_argument("--version", action="version", version=f"scorecards-sync {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    parser.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    parser.add_argument("--no-color", action="store_true", help=NO_COLOR_HELP)
    # The same options after the command too (`plan -vv`), each under its own name.
    verbosity = _ArgumentParser(add_help=False)
    verbosity.add_argument(
        "-v", "--verbose", dest="verbose_after", action="count", default=0, help=VERBOSE_HELP
    )
    verbosity.add_argument(
        "-q", "--quiet", dest="quiet_after", action="store_true", help=QUIET_HELP
    )
    verbosity.add_argument(
        "--no-color", dest="no_color_after", action="store_true", help=NO_COLOR_HELP
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = None if argv is None else _chosen_command(argv)
    commands: dict[str, Command] = {}
    for info in COMMANDS:
        sub = subparsers.add_parser(
            info.name, help=info.help, description=info.help, parents=[verbosity]
        )
        if argv is None or info.name == chosen:
            module = cast(
                Command, importlib.import_module(f"scorecards_sync.commands.{info.module}")
            )
            module.configure(sub)
            commands[info.name] = module
    return parser, commands


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word that is not an option (the options before
    the command take no value)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        parser, commands = build_parser(words)
        args = parser.parse_args(words)
        quiet = args.quiet or getattr(args, "quiet_after", False)
        verbosity = -1 if quiet else args.verbose + getattr(args, "verbose_after", 0)
        _configure_logging(verbosity, console.stderr)
        if not args.command:
            parser.print_help(console.stderr)
            return EXIT_USAGE
        no_color = args.no_color or getattr(args, "no_color_after", False)
        with (
            colors_allowed(not no_color),
            progress.listening(_progress_view(console, quiet)),
            fewer_collections(),
        ):
            return commands[args.command].run(args, console)
    except UsageError as exc:
        if isinstance(exc, _ArgumentError):
            console.err(exc.usage.rstrip())  # as argparse itself shows it: usage, then error
        console.err(f"error: {exc}")
        return EXIT_USAGE
    except ScorecardsSyncError as exc:
        console.err(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        console.err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        # A bug, not a failure users can act on: one line for them, the traceback for a
        # report (-vv); neither may carry a secret.
        secrets = _secrets_in_environment()
        logger.debug("%s", redact("".join(traceback.format_exception(exc)).rstrip(), *secrets))
        message = redact(str(exc), *secrets)
        console.err(
            f"error: internal error: {type(exc).__name__}: {message} (re-run with -vv for details)"
        )
        return EXIT_ERROR


def _secrets_in_environment() -> list[str]:
    """The API key (and a Git host's token) this run may hold, to scrub from an unexpected
    error."""
    # A workspace names its own key variable (`api_key_env`): scrub every *API_KEY* one.
    # The Git hosts' tokens: the Action's `github-token` input, `ci gitlab`'s project access
    # token or the job's own token.
    hosts = ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")
    names = {ENV_API_KEY, *hosts, *(name for name in os.environ if "API_KEY" in name)}
    secrets = [os.environ.get(name, "").strip() for name in sorted(names)]
    with contextlib.suppress(ScorecardsSyncError):  # no key, or an unreadable key file
        secrets.append(api_key_from_env().reveal())
    return [secret for secret in secrets if secret]


class _UserFormatter(logging.Formatter):
    """`warning: message`, as the commands write their own errors; debug output (-vv)
    names the module each line comes from, for a bug report."""

    def __init__(self, *, detailed: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s" if detailed else "%(message)s")
        self.detailed = detailed

    def format(self, record: logging.LogRecord) -> str:
        text = terminal_output(super().format(record))
        return text if self.detailed else f"{record.levelname.lower()}: {text}"


def _progress_view(console: Console, quiet: bool) -> progress.Listener | None:
    """Progress on stderr when it is the process's own stream (a terminal or a CI log), not
    when a caller captures the console."""
    if quiet or console.stderr is not sys.stderr or sys.stderr is None:
        return None
    from scorecards_sync.commands.progress_view import (
        ClearBeforeLogging,
        LogProgress,
        TerminalProgress,
    )

    if not sys.stderr.isatty():
        return LogProgress(sys.stderr)
    view = TerminalProgress(sys.stderr, describe=_outcome_line(console))
    for handler in logging.getLogger("scorecards_sync").handlers:
        handler.addFilter(ClearBeforeLogging(view))  # a warning never lands mid-line
    return view


def _outcome_line(console: Console) -> Callable[[object], str | None]:
    def describe(item: object) -> str | None:
        from scorecards_sync.applier import Outcome
        from scorecards_sync.render.results import TextResults

        if not isinstance(item, Outcome):
            return None
        return TextResults(color=use_color(console.stderr)).outcome_line(item)

    return describe


def _configure_logging(verbosity: int, stream: TextIO) -> None:
    """-1 (--quiet): errors only; 0: warnings; 1 (-v): info; 2 (-vv): debug."""
    levels = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}
    level = levels.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_UserFormatter(detailed=level == logging.DEBUG))
    root = logging.getLogger("scorecards_sync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
