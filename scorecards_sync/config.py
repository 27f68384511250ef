"""Settings: command-line flags override the environment, which overrides the config file.

The config file is `.scorecards-sync.yaml` at the repository root (the folder holding
`.git`, else the working directory), or the `[tool.scorecards-sync]` table of the
`pyproject.toml` there. `--config FILE` (or `SCORECARDS_SYNC_CONFIG`) names another.

    paths: [.cortex/scorecards]      # where descriptors live (relative to the root)
    managed: ["platform-*"]          # tag patterns this repository owns (fnmatch), for prune
    prune: false                     # delete live scorecards matching `managed` absent here
    thresholds:
      max_update_share: 0.30         # refuse a plan updating more than this share ...
      max_delete_share: 0.30         # ... or deleting more than this share of managed ones
      min_managed: 10                # shares apply only from this many managed scorecards
      max_deletes: null              # refuse more deletes than this, whatever the share
    concurrency: 16                  # parallel API calls (under one shared rate limit)
    base_url: https://api.getcortexapp.com
    rate_limit: 1000                 # requests per minute
    retries: 6                       # retries of a failed call (5xx, dropped connection)
    workspaces:                      # named Cortex workspaces, chosen with --workspace NAME
      staging: {base_url: https://api.staging.example, api_key_env: CORTEX_API_KEY_STAGING}
      production:
        base_url: https://api.getcortexapp.com
        api_key_env: CORTEX_API_KEY
        managed: ["platform-*"]      # may override paths, managed, prune, thresholds,
                                     # concurrency

Precedence: flags > environment > the chosen workspace > top-level config > defaults.

The API key never comes from the config file (it would end up committed) nor from a
flag (it would show in the process list): only `CORTEX_API_KEY` or the file named by
`CORTEX_API_KEY_FILE`, or, when a workspace is chosen, only the environment variable
that workspace names. Every value remembers where it came from, for `config`.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scorecards_sync.cortex.endpoint import DEFAULT_BASE_URL, DEFAULT_KEY_HINT, ENV_BASE_URL
from scorecards_sync.cortex.secret import (
    ENV_API_KEY,
    ENV_API_KEY_FILE,
    ApiKey,
    api_key_from_env,
    api_key_from_variable,
)
from scorecards_sync.errors import ConfigError
from scorecards_sync.loader import DEFAULT_DIR, Document, parse_document
from scorecards_sync.thresholds import Thresholds

logger = logging.getLogger(__name__)

CONFIG_FILE_NAMES = (".scorecards-sync.yaml", ".scorecards-sync.yml")
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = "scorecards-sync"
ENV_CONFIG = "SCORECARDS_SYNC_CONFIG"
ENV_PREFIX = "SCORECARDS_SYNC_"
ENV_WORKSPACE = ENV_PREFIX + "WORKSPACE"

DEFAULT_SOURCE = "default"
FLAG_SOURCE = "flag"


@dataclass(frozen=True)
class Settings:
    paths: tuple[str, ...] = (DEFAULT_DIR,)
    managed: tuple[str, ...] = ()
    prune: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    concurrency: int = 16
    base_url: str = DEFAULT_BASE_URL
    rate_limit: int = 1000
    retries: int = 6
    emulator: str | None = None
    workspace: str | None = None
    # The environment variable the chosen workspace reads its key from.
    api_key_env: str | None = None
    # Never shown by repr; `Secret` masks itself too, but the key has no business in a repr.
    api_key: ApiKey | None = field(default=None, repr=False, compare=False)
    config_file: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def source(self, name: str) -> str:
        return self.sources.get(name, DEFAULT_SOURCE)

    def key_hint(self) -> str:
        """What to check when Cortex refuses the key: where the key and the URL came from."""
        if self.workspace and self.api_key_env:
            return f"{self.api_key_env} and the base URL of workspace {self.workspace!r}"
        return DEFAULT_KEY_HINT

    def require_api_key(self) -> ApiKey:
        if self.api_key is None and self.workspace and self.api_key_env:
            raise ConfigError(
                f"no Cortex API key for workspace {self.workspace!r}: set the environment "
                f"variable {self.api_key_env} (its `api_key_env`) to a key with the 'View "
                "Scorecards' permission ('Edit Scorecards' to apply)"
            )
        if self.api_key is None:
            try:
                return api_key_from_env({})  # raises the one actionable "no key" message
            except ConfigError as exc:
                raise ConfigError(
                    f"{exc} (or try everything offline: --emulator STATE_FILE)"
                ) from None
        return self.api_key


# --- value parsers: each takes the raw value and returns it typed or raises ValueError ---


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("expected true or false")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _integer(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise ValueError(f"expected a whole number {bound}, got {value}")
        return value

    return parse


def _optional_integer(minimum: int) -> Callable[[Any], int | None]:
    strict = _integer(minimum)

    def parse(value: Any) -> int | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null")):
            return None
        return strict(value)

    return parse


def _share(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError("expected a number between 0 and 1") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError("expected a number between 0 and 1")
    if not 0 <= value <= 1:
        raise ValueError(f"expected a number between 0 and 1 (a share, 0.3 = 30%), got {value}")
    return float(value)


def _url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value.strip()):
        raise ValueError("expected an http:// or https:// URL")
    if "@" in urlsplit(value.strip()).netloc:
        # The URL is shown by `config` and recorded in plans: a credential in it would leak.
        # The message leaves the URL out for the same reason.
        raise ValueError(
            f"the URL holds credentials (user@host): put credentials in {ENV_API_KEY}, "
            "not in the URL"
        )
    return value.strip().rstrip("/")


def _variable_name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value.strip()):
        raise ValueError("expected the name of an environment variable (letters, digits, _)")
    return value.strip()


def _path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a file path")
    return value.strip()


@dataclass(frozen=True)
class _Spec:
    parse: Callable[[Any], Any]
    env: str | None = None


# Top-level settings; `thresholds` is a table of its own.
_SETTINGS: Mapping[str, _Spec] = {
    "paths": _Spec(_strings, ENV_PREFIX + "PATHS"),
    "managed": _Spec(_strings, ENV_PREFIX + "MANAGED"),
    "prune": _Spec(_boolean, ENV_PREFIX + "PRUNE"),
    "concurrency": _Spec(_integer(1, 64), ENV_PREFIX + "CONCURRENCY"),
    "base_url": _Spec(_url, ENV_BASE_URL),
    "rate_limit": _Spec(_integer(1), ENV_PREFIX + "RATE_LIMIT"),
    "retries": _Spec(_integer(0, 20), ENV_PREFIX + "RETRIES"),
    "emulator": _Spec(_path, ENV_PREFIX + "EMULATOR"),
}
_THRESHOLDS: Mapping[str, _Spec] = {
    "max_update_share": _Spec(_share, ENV_PREFIX + "MAX_UPDATE_SHARE"),
    "max_delete_share": _Spec(_share, ENV_PREFIX + "MAX_DELETE_SHARE"),
    "min_managed": _Spec(_integer(0), ENV_PREFIX + "MIN_MANAGED"),
    "max_deletes": _Spec(_optional_integer(0), ENV_PREFIX + "MAX_DELETES"),
}
# Settings a config file may not hold, with the reason given to the user.
_FORBIDDEN_IN_FILE: Mapping[str, str] = {
    "api_key": f"the API key never goes in a config file (it would be committed); "
    f"set {ENV_API_KEY} or {ENV_API_KEY_FILE}",
    "emulator": f"choose the emulator per run: --emulator STATE_FILE or {ENV_PREFIX}EMULATOR",
}


# What a workspace holds: where its Cortex is and which variable holds its key (both
# required), and the settings it may override (`thresholds` as a table, as at the top).
_WORKSPACE_REQUIRED: Mapping[str, _Spec] = {
    "base_url": _Spec(_url),
    "api_key_env": _Spec(_variable_name),
}
_WORKSPACE_OVERRIDES = ("paths", "managed", "prune", "concurrency")
_WORKSPACE_KEYS = (*_WORKSPACE_REQUIRED, *_WORKSPACE_OVERRIDES, "thresholds")
_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _all_specs() -> list[tuple[str, _Spec]]:
    return [*_SETTINGS.items(), *((f"thresholds.{k}", s) for k, s in _THRESHOLDS.items())]


def setting_names() -> tuple[str, ...]:
    """Every setting, in display order (thresholds as `thresholds.<name>`)."""
    return (
        "workspace",
        *_SETTINGS,
        *(f"thresholds.{name}" for name in _THRESHOLDS),
        "api_key",
    )


def find_root(start: Path | None = None) -> Path:
    """The repository root (a folder holding `.git`) above `start`, else `start` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting. `flags` holds only the flags the user gave (None = not given);
    threshold flags are named `thresholds.<name>`.
    """
    env = os.environ if environ is None else environ
    _warn_unknown_variables(env)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    here = cwd or Path.cwd()
    if config_file is None and env.get(ENV_CONFIG):
        config_file = Path(env[ENV_CONFIG])
    file_values, file_sources, shown_file, root = _read_config(here, config_file)
    workspaces: Mapping[str, _Workspace] = file_values.pop("workspaces", {})
    workspace, workspace_source = _choose_workspace(
        given.pop("workspace", None), env, workspaces, shown_file
    )
    chosen = workspaces[workspace] if workspace else _Workspace({}, {})

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if workspace:
        sources["workspace"] = workspace_source
    for name, spec in (
        *_SETTINGS.items(),
        *(("thresholds." + k, s) for k, s in _THRESHOLDS.items()),
    ):
        if name in given:
            values[name] = _parse_flag(name, spec, given[name])
            sources[name] = FLAG_SOURCE
        elif spec.env and env.get(spec.env, "").strip():
            values[name] = _parse_env(spec.env, spec, env[spec.env])
            sources[name] = f"env {spec.env}"
        elif name in chosen.values:
            values[name] = chosen.values[name]
            sources[name] = chosen.sources[name]
        elif name in file_values:
            values[name] = file_values[name]
            sources[name] = file_sources[name]

    if "paths" in values and sources["paths"] != FLAG_SOURCE:
        values["paths"] = _from_root(root, here, values["paths"])
    elif "paths" not in values and root != here.resolve():
        values["paths"] = _from_root(root, here, (DEFAULT_DIR,))

    api_key_env: str | None = chosen.values.get("api_key_env")
    key_source: str | None
    if workspace and api_key_env:
        api_key, key_source = _workspace_api_key(env, workspace, api_key_env)
    else:
        api_key, key_source = _api_key(env)
    if key_source:
        sources["api_key"] = key_source

    thresholds = Thresholds(
        **{
            name: values[f"thresholds.{name}"]
            for name in _THRESHOLDS
            if f"thresholds.{name}" in values
        }
    )
    top = {name: values[name] for name in _SETTINGS if name in values}
    return Settings(
        **top,
        thresholds=thresholds,
        workspace=workspace,
        api_key_env=api_key_env,
        api_key=api_key,
        config_file=shown_file,
        sources=sources,
    )


@dataclass(frozen=True)
class _Workspace:
    """One workspace of the config file: its valid values and where each one is written."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]


def workspace_names(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_file: Path | None = None,
) -> tuple[str, ...]:
    """The workspaces the config file defines, in the order it defines them."""
    env = os.environ if environ is None else environ
    if config_file is None and env.get(ENV_CONFIG):
        config_file = Path(env[ENV_CONFIG])
    file_values, _, _, _ = _read_config(cwd or Path.cwd(), config_file)
    return tuple(file_values.get("workspaces", {}))


def _choose_workspace(
    flag: Any, env: Mapping[str, str], workspaces: Mapping[str, _Workspace], shown: str | None
) -> tuple[str | None, str]:
    """The workspace asked for (--workspace, else SCORECARDS_SYNC_WORKSPACE) and where from."""
    if isinstance(flag, str) and flag.strip():
        name, given_by, source = flag.strip(), "--workspace", FLAG_SOURCE
    elif env.get(ENV_WORKSPACE, "").strip():
        name = env[ENV_WORKSPACE].strip()
        given_by = source = f"env {ENV_WORKSPACE}"
    else:
        return None, DEFAULT_SOURCE
    if name in workspaces:
        return name, source
    if not workspaces:
        where = f"the config file {shown}" if shown else "no config file was found"
        raise ConfigError(
            f"{given_by}: unknown workspace {name!r}: no workspaces are defined ({where}); "
            "define them under `workspaces:` in the config file"
        )
    raise ConfigError(
        f"{given_by}: unknown workspace {name!r}{_suggest(name, workspaces)}; "
        f"defined in {shown}: {', '.join(workspaces)}"
    )


def _workspace_api_key(
    env: Mapping[str, str], workspace: str, variable: str
) -> tuple[ApiKey | None, str]:
    """The key of a workspace: only from the variable it names (never CORTEX_API_KEY_FILE,
    never another workspace's variable)."""
    if env.get(variable, "").strip():
        return api_key_from_variable(env, variable), f"env {variable} (workspace {workspace})"
    return None, f"workspace {workspace}: env {variable} is not set"


def resolve_paths(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_file: Path | None = None,
    workspace_flag: str | None = None,
) -> tuple[tuple[str, ...], str]:
    """Only `paths` (relative to `cwd`) and where it came from: what offline commands need.

    The config file is still read and checked whole, but no other setting is resolved, so
    an unrelated bad value (a key file that cannot be read, a wrong base URL) is no error.
    """
    env = os.environ if environ is None else environ
    here = cwd or Path.cwd()
    if config_file is None and env.get(ENV_CONFIG):
        config_file = Path(env[ENV_CONFIG])
    file_values, file_sources, shown, root = _read_config(here, config_file)
    workspaces: Mapping[str, _Workspace] = file_values.get("workspaces", {})
    workspace, _ = _choose_workspace(workspace_flag, env, workspaces, shown)
    chosen = workspaces[workspace] if workspace else _Workspace({}, {})
    spec = _SETTINGS["paths"]
    if spec.env and env.get(spec.env, "").strip():
        paths = _parse_env(spec.env, spec, env[spec.env])
        source = f"env {spec.env}"
    elif "paths" in chosen.values:
        paths, source = chosen.values["paths"], chosen.sources["paths"]
    elif "paths" in file_values:
        paths, source = file_values["paths"], file_sources["paths"]
    elif root != here.resolve():
        paths, source = (DEFAULT_DIR,), DEFAULT_SOURCE
    else:
        return (DEFAULT_DIR,), DEFAULT_SOURCE
    return _from_root(root, here, paths), source


def _from_root(root: Path, here: Path, paths: tuple[str, ...]) -> tuple[str, ...]:
    # Paths from a file, the environment or the default are relative to the repository
    # root, whichever subfolder the command runs in.
    return tuple(_relative_to(root, here, path) for path in paths)


def _relative_to(root: Path, here: Path, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return path
    joined = root / candidate
    try:
        return os.path.relpath(joined, here.resolve())
    except ValueError:  # another drive on Windows
        return str(joined)


def _parse_flag(name: str, spec: _Spec, value: Any) -> Any:
    try:
        return spec.parse(list(value) if isinstance(value, tuple) else value)
    except ValueError as exc:
        flag = "--" + name.removeprefix("thresholds.").replace("_", "-")
        raise ConfigError(f"{flag}: {exc}") from None


# Read elsewhere: by the Action and `ci gitlab` (the merged change request's delays, the
# environment of GitLab's deployments), by the Action's install script and by action.yml,
# which names the interpreter it installed in SCORECARDS_SYNC_ACTION_RUNNER.
_OTHER_VARIABLES = (
    "SCORECARDS_SYNC_MERGED_PR_DELAYS",
    "SCORECARDS_SYNC_ENVIRONMENT",
    "SCORECARDS_SYNC_ACTION_PYTHON",
    "SCORECARDS_SYNC_ACTION_RUNNER",
)


def _warn_unknown_variables(env: Mapping[str, str]) -> None:
    """A mistyped variable would otherwise be ignored without a word."""
    known = {
        ENV_CONFIG,
        ENV_WORKSPACE,
        *_OTHER_VARIABLES,
        *(spec.env for spec in (*_SETTINGS.values(), *_THRESHOLDS.values()) if spec.env),
    }
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            logger.warning("ignoring unknown environment variable %s%s", name, hint)


def _parse_env(variable: str, spec: _Spec, raw: str) -> Any:
    value: Any = raw
    if spec.parse is _strings:
        value = [part for part in raw.split(",") if part.strip()]
    try:
        return spec.parse(value)
    except ValueError as exc:
        raise ConfigError(f"environment variable {variable}: {exc}") from None


def _api_key(env: Mapping[str, str]) -> tuple[ApiKey | None, str | None]:
    if env.get(ENV_API_KEY, "").strip():
        return api_key_from_env(env), f"env {ENV_API_KEY}"
    if env.get(ENV_API_KEY_FILE, "").strip():
        return api_key_from_env(env), f"env {ENV_API_KEY_FILE}"
    return None, None


# --- the config file ---


def _read_config(
    here: Path, explicit: Path | None
) -> tuple[dict[str, Any], dict[str, str], str | None, Path]:
    """Values and their sources from the config file, the name it is shown under, the root."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        root = explicit.resolve().parent
        reader = _read_toml if explicit.name == PYPROJECT else _read_yaml
        values, sources = reader(explicit, _shown(explicit, here))
        return values, sources, _shown(explicit, here), root
    root = find_root(here)
    for name in CONFIG_FILE_NAMES:
        candidate = root / name
        if candidate.is_file():
            shown = _shown(candidate, here)
            if _pyproject_table(root / PYPROJECT, _shown(root / PYPROJECT, here)) is not None:
                logger.warning(
                    "%s wins over [tool.%s] in %s, which is ignored",
                    shown,
                    PYPROJECT_TABLE,
                    PYPROJECT,
                )
            values, sources = _read_yaml(candidate, shown)
            return values, sources, shown, root
    pyproject = root / PYPROJECT
    shown = _shown(pyproject, here)
    if _pyproject_table(pyproject, shown) is not None:
        values, sources = _read_toml(pyproject, shown)
        return values, sources, shown, root
    return {}, {}, None, root


def _shown(path: Path, here: Path) -> str:
    try:
        return path.resolve().relative_to(here.resolve()).as_posix()
    except ValueError:
        return os.path.relpath(path.resolve(), here.resolve())


def _read_yaml(path: Path, shown: str) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror or exc}") from None
    text = raw.decode("utf-8", errors="replace")
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return {}, {}
    document, problems = parse_document(shown, raw)
    found = [f"{p.path}:{p.line}:{p.column}: {p.message}" for p in problems]
    if document is None:
        _raise_all(found or [f"{shown}: cannot be read"])
    assert document is not None
    values, sources, more = _check_table(
        document.data,
        lambda pointer, key: _yaml_where(document, shown, pointer, key),
    )
    _raise_all([*found, *more])
    return values, sources


def _yaml_where(document: Document, shown: str, pointer: tuple[str, ...], key: bool) -> str:
    line, column = document.locate(pointer, key=key)
    return f"{shown}:{line}:{column}"


def _pyproject_table(path: Path, shown: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read {shown}: it is not UTF-8 text (byte {exc.start + 1}); "
            "TOML files must be UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown} is not valid TOML: {exc}") from None
    tool = data.get("tool")
    table = tool.get(PYPROJECT_TABLE) if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _read_toml(path: Path, shown: str) -> tuple[dict[str, Any], dict[str, str]]:
    table = _pyproject_table(path, shown)
    if table is None:
        raise ConfigError(f"{shown} has no [tool.{PYPROJECT_TABLE}] table")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    values, sources, problems = _check_table(
        table, lambda pointer, key: _toml_where(lines, shown, pointer)
    )
    _raise_all(problems)
    return values, sources


def _raise_all(problems: list[str]) -> None:
    """One `ConfigError` naming every problem of the file, one per line in the order of the
    file (none: no error)."""
    if problems:
        raise ConfigError("\n".join(sorted(problems, key=_position)))


def _position(problem: str) -> tuple[int, int]:
    found = re.match(r".*?:(\d+):(\d+): ", problem)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def _toml_where(lines: list[str], shown: str, pointer: tuple[str, ...]) -> str:
    """tomllib keeps no positions: find the key's line inside our table by reading the text."""
    section = f"tool.{PYPROJECT_TABLE}"
    current: str | None = None
    found = shown
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", stripped)
        if header:
            current = re.sub(r"[\s\"']", "", header.group(1))
            continue
        if current is None or not (current == section or current.startswith(section + ".")):
            continue
        assignment = re.match(r"([\w.\"' -]+?)\s*=", stripped)
        if not assignment:
            continue
        prefix = current[len(section) + 1 :].split(".") if current != section else []
        keys = (*prefix, *re.sub(r"[\s\"']", "", assignment.group(1)).split("."))
        where = f"{shown}:{number}:{len(line) - len(line.lstrip()) + 1}"
        if keys == pointer:
            return where
        if keys == pointer[: len(keys)] and found == shown:
            found = where  # an inline table holding the key
    return found


def _check_table(
    data: Mapping[str, Any], where: Callable[[tuple[str, ...], bool], str]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Values and sources of every valid setting, and a `file:line:column: message` for each
    problem: all of them, so that one run shows everything to fix."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for key, raw in data.items():
        if key in _FORBIDDEN_IN_FILE:
            problems.append(f"{where((key,), True)}: `{key}`: {_FORBIDDEN_IN_FILE[key]}")
            continue
        if key == "thresholds":
            _check_thresholds(raw, (), where, values, sources, problems)
            continue
        if key == "workspaces":
            values["workspaces"] = _check_workspaces(raw, where, problems)
            continue
        spec = _SETTINGS.get(key)
        if spec is None:
            names = (*_SETTINGS, "thresholds", "workspaces")
            known = ", ".join(k for k in names if k not in _FORBIDDEN_IN_FILE)
            problems.append(
                f"{where((key,), True)}: unknown setting `{key}`"
                f"{_suggest(key, names)}; known: {known}"
            )
            continue
        _store(values, sources, problems, spec, raw, key, where, (key,))
    return values, sources, problems


def _check_thresholds(
    raw: Any,
    prefix: tuple[str, ...],
    where: Callable[[tuple[str, ...], bool], str],
    values: dict[str, Any],
    sources: dict[str, str],
    problems: list[str],
) -> None:
    key = (*prefix, "thresholds")
    if not isinstance(raw, Mapping):
        problems.append(
            f"{where(key, False)}: `{'.'.join(key)}` must be a table of {', '.join(_THRESHOLDS)}"
        )
        return
    for sub, sub_raw in raw.items():
        name = f"thresholds.{sub}"
        spec = _THRESHOLDS.get(sub)
        if spec is None:
            problems.append(
                f"{where((*key, sub), True)}: unknown setting `{'.'.join((*key, sub))}`"
                f"{_suggest(sub, _THRESHOLDS)}; known: {', '.join(_THRESHOLDS)}"
            )
            continue
        _store(values, sources, problems, spec, sub_raw, name, where, (*key, sub))


def _check_workspaces(
    raw: Any, where: Callable[[tuple[str, ...], bool], str], problems: list[str]
) -> dict[str, _Workspace]:
    """Every valid workspace; a problem for each mistake in any of them."""
    found: dict[str, _Workspace] = {}
    if not isinstance(raw, Mapping) or not raw:
        problems.append(
            f"{where(('workspaces',), False)}: `workspaces` must be a table of named "
            "workspaces, each with base_url and api_key_env"
        )
        return found
    for name, table in raw.items():
        pointer = ("workspaces", str(name))
        if not isinstance(name, str) or not _WORKSPACE_NAME.fullmatch(name):
            problems.append(
                f"{where(pointer, True)}: workspace name {str(name)!r} must start with a letter "
                "or digit and hold only letters, digits, `_`, `.` and `-`"
            )
            continue
        if not isinstance(table, Mapping):
            problems.append(
                f"{where(pointer, False)}: workspace `{name}` must be a table with "
                f"{' and '.join(_WORKSPACE_REQUIRED)}"
            )
            continue
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        before = len(problems)
        for key, value in table.items():
            label = f"workspaces.{name}.{key}"
            if key in _FORBIDDEN_IN_FILE:
                problems.append(
                    f"{where((*pointer, key), True)}: `{label}`: {_FORBIDDEN_IN_FILE[key]}"
                )
            elif key == "thresholds":
                _check_thresholds(value, pointer, where, values, sources, problems)
            elif key in _WORKSPACE_REQUIRED or key in _WORKSPACE_OVERRIDES:
                spec = _WORKSPACE_REQUIRED.get(key) or _SETTINGS[key]
                _store(values, sources, problems, spec, value, key, where, (*pointer, key))
            else:
                problems.append(
                    f"{where((*pointer, key), True)}: unknown setting `{label}`"
                    f"{_suggest(key, _WORKSPACE_KEYS)}; a workspace holds: "
                    f"{', '.join(_WORKSPACE_KEYS)}"
                )
        for key in _WORKSPACE_REQUIRED:
            if key not in table:
                problems.append(f"{where(pointer, True)}: workspace `{name}` needs `{key}`")
        if len(problems) == before:
            found[name] = _Workspace(
                values, {k: f"{v} (workspace {name})" for k, v in sources.items()}
            )
    return found


def _store(
    values: dict[str, Any],
    sources: dict[str, str],
    problems: list[str],
    spec: _Spec,
    raw: Any,
    name: str,
    where: Callable[[tuple[str, ...], bool], str],
    pointer: tuple[str, ...],
) -> None:
    try:
        values[name] = spec.parse(raw)
    except ValueError as exc:
        problems.append(f"{where(pointer, False)}: `{name}`: {exc}")
        return
    sources[name] = f"file {where(pointer, True)}"


def _suggest(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""
