"""`scorecards-sync config`: the resolved settings and where each one came from."""

from __future__ import annotations

import argparse
import json
from typing import Any

from scorecards_sync.commands.common import (
    add_prune_option,
    add_settings_options,
    settings_from_args,
)
from scorecards_sync.config import Settings, setting_names
from scorecards_sync.console import Console

NAME = "config"
HELP = "show the resolved settings (flags > environment > config file > defaults), key redacted"

NOT_SET = "(not set)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_settings_options(parser)
    add_prune_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default: a table for people), json (for programs)",
    )
    parser.epilog = "exit codes: 0 ok, 64 a bad setting, flag or config file"


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    rows = [(name, shown_value(settings, name), settings.source(name)) for name in setting_names()]
    if args.format == "json":
        body = {
            "config_file": settings.config_file,
            "settings": {name: {"value": value, "source": src} for name, value, src in rows},
        }
        console.out(json.dumps(body, indent=2))
        return 0
    console.out(f"config file: {settings.config_file or '(none found)'}")
    width = max(len(name) for name, _, _ in rows)
    value_width = min(max(len(_text(value)) for _, value, _ in rows), 48)
    for name, value, source in rows:
        console.out(f"  {name:<{width}}  {_text(value):<{value_width}}  ({source})")
    return 0


def shown_value(settings: Settings, name: str) -> Any:
    """A setting as `config` shows it: the key only as `***` or `(not set)`."""
    if name == "api_key":
        return "***" if settings.api_key is not None else NOT_SET
    if name.startswith("thresholds."):
        return getattr(settings.thresholds, name.removeprefix("thresholds."))
    value = getattr(settings, name)
    if isinstance(value, tuple):
        return list(value)
    return value


def _text(value: Any) -> str:
    if value is None:
        return NOT_SET
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
