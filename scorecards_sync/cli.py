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
from collections.abc import Sequence
from typing import Protocol, TextIO, cast

from scorecards_sync import __version__
from scorecards_sync.commands import COMMANDS
from scorecards_sync.console import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, Console
from scorecards_sync.cortex.secret import ENV_API_KEY, api_key_from_env
from scorecards_sync.errors import ScorecardsSyncError, UsageError, redact
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


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}{_did_you_mean(message)}")


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
    # `-v` after the command too (`plan -vv`); its own count, added to the one before it.
    verbosity = _ArgumentParser(add_help=False)
    verbosity.add_argument(
        "-v", "--verbose", dest="verbose_after", action="count", default=0, help=VERBOSE_HELP
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
        _configure_logging(args.verbose + getattr(args, "verbose_after", 0), console.stderr)
        if not args.command:
            parser.print_help(console.stderr)
            return EXIT_USAGE
        return commands[args.command].run(args, console)
    except UsageError as exc:
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
    """The API key (and a GitHub token) this run may hold, to scrub from an unexpected error."""
    secrets = [os.environ.get(name, "").strip() for name in (ENV_API_KEY, "GITHUB_TOKEN")]
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


def _configure_logging(verbosity: int, stream: TextIO) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_UserFormatter(detailed=level == logging.DEBUG))
    root = logging.getLogger("scorecards_sync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
