"""One root exception; a subclass per failure a user can act on.

Messages are written for the person running the tool: they say what went wrong
and what to do. They never contain the API key (see `redact`).
"""

from __future__ import annotations

from typing import Any

from scorecards_sync.console import EXIT_ERROR, EXIT_USAGE


class ScorecardsSyncError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = EXIT_ERROR


class UsageError(ScorecardsSyncError):
    """The command line or configuration asks for something impossible."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration file or setting is malformed."""


class ValidationFailed(ScorecardsSyncError):
    """Descriptors have errors; nothing was sent to Cortex."""


class GitSourceError(ScorecardsSyncError):
    """Reading descriptors from git failed (missing ref, shallow clone, ...)."""


class PlanError(ScorecardsSyncError):
    """A plan cannot be made, read or applied as asked."""


class UnsafePlan(PlanError):
    """A plan exceeds the configured safety thresholds; --force overrides."""

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons  # each threshold exceeded, in words ("it deletes ...")


class StalePlan(PlanError):
    """Live scorecards moved since a saved plan was computed."""


class RecordError(ScorecardsSyncError):
    """The record of the last apply cannot be read, used or written."""


class OutputError(ScorecardsSyncError):
    """A result could not be written where the run was told to write it (`GITHUB_OUTPUT`)."""


class ApiCallError(ScorecardsSyncError):
    """A call to a remote API failed: which call, and its status. Never a credential."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.request_id = request_id


class CortexError(ApiCallError):
    """A call to the Cortex API failed. Carries what Cortex said, never the key."""

    def __init__(
        self,
        message: str,
        *,
        cortex_message: str | None = None,
        details: str | None = None,
        **call: Any,
    ) -> None:
        super().__init__(message, **call)
        self.cortex_message = cortex_message
        self.details = details


class CortexAuthError(CortexError):
    """401/403: the key is missing, wrong, or lacks a permission."""


class CortexNotFound(CortexError):
    """404: the scorecard (or entity) does not exist."""


class CortexRejected(CortexError):
    """400: Cortex refused the request (usually an invalid descriptor)."""


class CortexUnavailable(CortexError):
    """Retries were exhausted on 429/5xx or connection failures."""


class CortexUnreachable(CortexUnavailable):
    """Cortex stopped accepting connections: the client sends nothing more.

    `attempted` is False for a call that was refused without being tried at all.
    """

    def __init__(self, message: str, *, attempted: bool, **call: Any) -> None:
        super().__init__(message, **call)
        self.attempted = attempted


class GitHubError(ApiCallError):
    """A call to the GitHub REST API failed. Carries what GitHub said, never the token."""

    def __init__(self, message: str, *, github_message: str | None = None, **call: Any) -> None:
        super().__init__(message, **call)
        self.github_message = github_message


class GitLabError(ApiCallError):
    """A call to the GitLab REST API failed. Carries what GitLab said, never the token."""


def redact(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each non-empty secret in `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
