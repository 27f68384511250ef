"""The API key, wrapped so that it cannot leak by accident.

`Secret` never shows its value in `str`, `repr`, f-strings or tracebacks; the only way
to the value is `reveal()`. For the Cortex key it is called in four places: once to send
it (the client's auth hook, `cortex/http.py`) and three times to scrub it from text (the
client's `redact` for its own messages and `_key_token` for the answers it reads, and the
CLI's handler of unexpected errors in `cli.py`). The GitHub and GitLab clients wrap
their tokens the same way; their shared transport (`host_client.py`) reveals them to send
them and to redact them. A test over the source (`tests/test_architecture.py`) keeps this
list true.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from scorecards_sync.errors import ConfigError

ENV_API_KEY = "CORTEX_API_KEY"
ENV_API_KEY_FILE = "CORTEX_API_KEY_FILE"

logger = logging.getLogger(__name__)

_MASK = "***"
# What Windows editors put at the start of a UTF-8 file: never part of a key.
_BOM = "\ufeff"
_BEARER = "Bearer "
# A key file holds one short line; anything much bigger is the wrong file.
_MAX_KEY_FILE_BYTES = 64 * 1024


class Secret:
    """A string that refuses to show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret value must be a str")
        if not value:
            raise ValueError("Secret value must not be empty")
        # Control characters would corrupt (or inject into) the Authorization header.
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
            raise ValueError("Secret value must not contain control characters or newlines")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return format(_MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        # Pickling would write the value somewhere we do not control.
        raise TypeError(f"{type(self).__name__} cannot be pickled")

    def __len__(self) -> int:
        return len(self._value)


class ApiKey(Secret):
    """A Cortex API key (sent as `Authorization: Bearer <key>`).

    A value that already starts with `Bearer ` (a header copied whole) is refused: it
    would be sent as `Bearer Bearer …`, which Cortex answers with a bare 401.
    """

    __slots__ = ()

    def __init__(self, value: str) -> None:
        super().__init__(value)
        if has_bearer_prefix(value):
            raise ConfigError(bearer_prefix_message(f"{ENV_API_KEY} must be"))


def has_bearer_prefix(value: str) -> bool:
    return value.strip()[: len(_BEARER)].lower() == _BEARER.lower()


def bearer_prefix_message(subject: str) -> str:
    """`subject` is what must change, e.g. "CORTEX_API_KEY must be". The key is never quoted."""
    return f"{subject} the key alone, without the `{_BEARER}` prefix"


def api_key_from_env(environ: Mapping[str, str] | None = None) -> ApiKey:
    """The key from `CORTEX_API_KEY`, else from the file named by `CORTEX_API_KEY_FILE`.

    Raises `ConfigError` with what to set when neither gives a usable key.
    """
    env = os.environ if environ is None else environ
    inline = _cleaned(env.get(ENV_API_KEY, ""), f"the {ENV_API_KEY} environment variable")
    if inline:
        return _make_key(
            inline, f"the {ENV_API_KEY} environment variable", f"{ENV_API_KEY} must be"
        )
    key_file = env.get(ENV_API_KEY_FILE, "").strip()
    if key_file:
        return api_key_from_file(Path(key_file))
    raise ConfigError(
        f"no Cortex API key: set {ENV_API_KEY} to a key with the 'View Scorecards' permission "
        f"('Edit Scorecards' to apply), or set {ENV_API_KEY_FILE} to a file holding it"
    )


def api_key_from_variable(environ: Mapping[str, str], variable: str) -> ApiKey:
    """The key held by the environment variable `variable` (a workspace's `api_key_env`)."""
    value = environ.get(variable, "").strip()
    if not value:
        raise ConfigError(f"no Cortex API key: the environment variable {variable} is not set")
    return _make_key(value, f"the {variable} environment variable", f"{variable} must be")


def api_key_from_file(path: Path) -> ApiKey:
    """The key held in `path` (surrounding whitespace and a trailing newline ignored)."""
    # The path is not echoed: a key pasted into CORTEX_API_KEY_FILE by mistake would leak.
    where = f"the key file named by {ENV_API_KEY_FILE}"
    try:
        with path.open("rb") as stream:
            raw = stream.read(_MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        # The OS message names the path and the reason, never the content.
        raise ConfigError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > _MAX_KEY_FILE_BYTES:
        raise ConfigError(f"{where} is larger than {_MAX_KEY_FILE_BYTES} bytes: not a key file")
    try:
        text = _cleaned(raw.decode("utf-8"), where)
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text") from None
    if not text:
        raise ConfigError(f"{where} is empty")
    return _make_key(text, where, f"{where} must hold")


def _cleaned(value: str, where: str) -> str:
    """`value` without a byte order mark and surrounding whitespace, each noted at -v.

    The notes say what was dropped and where, never any part of the key.
    """
    text = value.strip()
    bom = text.startswith(_BOM)
    if bom:
        text = text.lstrip(_BOM).strip()
        logger.info("ignored a byte order mark (U+FEFF) at the start of %s", where)
    plain = value.replace(_BOM, "", 1) if bom else value
    # A file ends with a newline: only other whitespace is worth a note.
    if text and plain.rstrip("\r\n") != text:
        logger.info("ignored whitespace around the key in %s", where)
    return text


def _make_key(value: str, where: str, subject: str) -> ApiKey:
    """`subject` names what to fix in a message: "CORTEX_API_KEY must be"."""
    if has_bearer_prefix(value):
        raise ConfigError(bearer_prefix_message(subject))
    try:
        return ApiKey(value)
    except ValueError:
        # Deliberately no detail: the message must not quote any part of the value.
        raise ConfigError(
            f"the Cortex API key in {where} contains control characters or line breaks; "
            "it must be a single line"
        ) from None
