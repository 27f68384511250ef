from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from scorecards_sync.cortex.secret import (
    ENV_API_KEY,
    ENV_API_KEY_FILE,
    ApiKey,
    Secret,
    api_key_from_env,
    api_key_from_file,
)
from scorecards_sync.errors import ConfigError

CANARY = "canary-4f1d9c2e-SECRET-key"


def test_secret_never_shows_its_value() -> None:
    key = ApiKey(CANARY)
    for shown in (str(key), repr(key), f"{key}", f"{key!r}", f"{key:>40}", "%s" % (key,)):  # noqa: UP031
        assert CANARY not in shown
        assert "***" in shown
    assert key.reveal() == CANARY
    assert len(key) == len(CANARY)


def test_secret_inside_containers_and_exceptions_stays_hidden() -> None:
    key = ApiKey(CANARY)
    assert CANARY not in repr({"key": key, "list": [key]})
    assert CANARY not in str(ValueError(key))


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(ApiKey(CANARY))


def test_secret_equality_compares_values() -> None:
    assert ApiKey(CANARY) == ApiKey(CANARY)
    assert ApiKey(CANARY) != ApiKey(CANARY + "x")
    assert hash(ApiKey(CANARY)) == hash(ApiKey(CANARY))
    assert Secret("a") != "a"


@pytest.mark.parametrize("bad", ["", "abc\ndef", "abc\rdef", "tab\there", "nul\x00"])
def test_secret_refuses_empty_and_control_characters(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        Secret(bad)
    assert bad not in str(info.value) or bad == ""


def test_key_from_environment_variable() -> None:
    key = api_key_from_env({ENV_API_KEY: f"  {CANARY}\n"})
    assert key.reveal() == CANARY


def test_environment_variable_wins_over_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("from-file", encoding="utf-8")
    key = api_key_from_env({ENV_API_KEY: CANARY, ENV_API_KEY_FILE: str(key_file)})
    assert key.reveal() == CANARY


def test_key_from_file_strips_trailing_newline(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(CANARY + "\n", encoding="utf-8")
    assert api_key_from_env({ENV_API_KEY_FILE: str(key_file)}).reveal() == CANARY


def test_missing_key_is_an_actionable_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        api_key_from_env({})
    message = str(info.value)
    assert ENV_API_KEY in message
    assert ENV_API_KEY_FILE in message
    assert "View Scorecards" in message


def test_unreadable_key_file_does_not_echo_the_setting(tmp_path: Path) -> None:
    # Someone pasting the key itself into CORTEX_API_KEY_FILE must not see it printed.
    with pytest.raises(ConfigError) as info:
        api_key_from_env({ENV_API_KEY_FILE: CANARY})
    assert CANARY not in str(info.value)
    assert ENV_API_KEY_FILE in str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\xff\xfe\x00k", "not UTF-8"),
        (b"first-line\nsecond-" + CANARY.encode(), "single line"),
    ],
)
def test_bad_key_files_are_reported_without_their_content(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        api_key_from_file(key_file)
    assert expected in str(info.value)
    assert CANARY not in str(info.value)
    assert "first-line" not in str(info.value)


def test_oversized_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"k" * (64 * 1024 + 1))
    with pytest.raises(ConfigError, match="not a key file"):
        api_key_from_file(key_file)


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "BEARER  "])
def test_a_key_given_with_the_bearer_prefix_is_refused_without_quoting_it(prefix: str) -> None:
    with pytest.raises(ConfigError) as info:
        api_key_from_env({ENV_API_KEY: prefix + CANARY})
    assert str(info.value) == ("CORTEX_API_KEY must be the key alone, without the `Bearer ` prefix")
    with pytest.raises(ConfigError) as direct:
        ApiKey(prefix + CANARY)
    assert str(direct.value) == str(info.value)


def test_a_key_file_holding_the_bearer_prefix_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"Bearer {CANARY}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        api_key_from_env({ENV_API_KEY_FILE: str(key_file)})
    assert str(info.value) == (
        "the key file named by CORTEX_API_KEY_FILE must hold the key alone, "
        "without the `Bearer ` prefix"
    )
    assert CANARY not in repr(info.value)


def test_a_key_that_merely_starts_with_the_word_is_a_key() -> None:
    assert api_key_from_env({ENV_API_KEY: "Bearerless-" + CANARY}).reveal().endswith(CANARY)


@pytest.mark.parametrize(
    ("raw", "notes"),
    [
        (b"\xef\xbb\xbf" + CANARY.encode() + b"\r\n", ["byte order mark"]),
        (b"\xef\xbb\xbf  " + CANARY.encode() + b" \t\n", ["byte order mark", "whitespace"]),
        (b"  " + CANARY.encode() + b"\n", ["whitespace"]),
        (CANARY.encode() + b"\n", []),
    ],
    ids=["bom-crlf", "bom-and-spaces", "spaces", "plain"],
)
def test_a_key_file_loses_its_byte_order_mark_and_whitespace_saying_so_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: bytes, notes: list[str]
) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(raw)
    with caplog.at_level(logging.INFO, logger="scorecards_sync"):
        key = api_key_from_env({ENV_API_KEY_FILE: str(key_file)})
    assert key.reveal() == CANARY
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == len(notes)
    for note, message in zip(notes, said, strict=True):
        assert note in message and "CORTEX_API_KEY_FILE" in message
        assert CANARY not in message and CANARY[:6] not in message


def test_a_key_in_the_environment_loses_a_byte_order_mark(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="scorecards_sync"):
        key = api_key_from_env({ENV_API_KEY: "\ufeff" + CANARY})
    assert key.reveal() == CANARY
    assert ["byte order mark" in record.getMessage() for record in caplog.records] == [True]
