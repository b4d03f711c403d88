"""The RADEX error tree.

Every error RADEX raises on purpose derives from :class:`RadexError`. Each edge
(HTTP API, CLI, MCP, job runner) translates this tree once into its own form.

    RadexError
    ├── ConfigError                 settings missing or invalid
    ├── InputError                  a caller's input is wrong (names what and how to fix)
    │   ├── ConversionError         a storage/Markdown body cannot be converted
    │   ├── FixtureError            an emulator fixture file is invalid
    │   ├── CqlError                a CQL query cannot be parsed or evaluated
    │   ├── WebhookPayloadError     a webhook delivery's body is not a content event we can read
    │   └── ExtractionError         a file cannot be read as text: corrupt, encrypted, too large,
    │                               a bomb, unsupported
    ├── NotFoundError               the thing does not exist (or the caller may not see it)
    ├── PermissionDeniedError       the caller may not do this
    │   └── WebhookAuthError        an incoming webhook's signature or JWT is missing or wrong
    ├── ConflictError               a write raced another (e.g. stale page version)
    └── UpstreamError               an outside system failed
        ├── AuthError               credentials rejected, expired or lacking scope
        ├── RateLimitedError        throttled; carries the advised wait
        └── TransientError          timeouts, 5xx: worth retrying
"""

from __future__ import annotations


class RadexError(Exception):
    """Base of every error RADEX raises deliberately."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(RadexError):
    """Settings are missing or invalid."""


class InputError(RadexError):
    """The caller's input is wrong; the message says what and how to fix it."""


class ConversionError(InputError):
    """A storage-format or Markdown body cannot be converted."""


class FixtureError(InputError):
    """An emulator fixture file is invalid."""


class CqlError(InputError):
    """A CQL query cannot be parsed or evaluated."""


class WebhookPayloadError(InputError):
    """A webhook delivery's body cannot be read as a content event."""


class ExtractionError(InputError):
    """A file cannot be read as text: corrupt, encrypted, too large, a bomb, or unsupported."""


class NotFoundError(RadexError):
    """The thing does not exist, or the caller may not know it exists."""


class PermissionDeniedError(RadexError):
    """The caller is not allowed to do this."""


class WebhookAuthError(PermissionDeniedError):
    """An incoming webhook failed verification; ``reason`` names the check that failed."""

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class ConflictError(RadexError):
    """A write lost a race, e.g. a stale page version."""


class UpstreamError(RadexError):
    """An outside system (Confluence, an LLM, a store) failed."""


class AuthError(UpstreamError):
    """Credentials were rejected, have expired, or lack a scope."""


class RateLimitedError(UpstreamError):
    """The outside system throttled us; ``retry_after`` is its advised wait in seconds."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class TransientError(UpstreamError):
    """A timeout or server error that is worth retrying."""
