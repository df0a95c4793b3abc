"""The exception tree: callers catch at the level they care about.

RestSyncError
├── ConfigError            bad configuration or usage; names the key (CLI exit 2)
│   ├── CredentialError    a secret the auth type needs is missing
│   └── BlockedAddressError  SSRF guard refused a target (also raised on redirects)
├── SyncInProgressError    another process is syncing the same source right now (CLI exit 1)
├── KnowledgeBaseError     the knowledge base cannot be read or written as asked; names it (CLI exit 1)
│   ├── DamagedKnowledgeBaseError  a file is missing, truncated or not what it should be
│   ├── ReadOnlyKnowledgeBaseError  a write to a read-only directory, file or handle
│   └── DiskFullError      the disk filled up mid-write; what was stored is kept
└── SourceError            the API misbehaved; names the request (CLI exit 1)
    ├── AuthError          401/403 without rate-limit evidence
    ├── ClientRequestError other 4xx: non-retriable
    ├── RetriesExhaustedError  5xx / connection errors after the retry budget
    ├── RateLimitExhaustedError  429s after the wait budget ("too many requests")
    └── InvalidResponseError   body is not JSON, is truncated, or has an unexpected shape
"""

from __future__ import annotations


class RestSyncError(Exception):
    """Base of every error restsync raises on purpose."""


class ConfigError(RestSyncError, ValueError):
    """A configuration value is missing or wrong. `key` names it (dotted path)."""

    def __init__(self, message: str, key: str | None = None):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class CredentialError(ConfigError):
    """A credential required by the configured auth type is missing."""


class BlockedAddressError(ConfigError):
    """The SSRF guard refused a URL (scheme, private/loopback/reserved address, redirect hop)."""


class SyncInProgressError(RestSyncError):
    """A source is already being synced: two runs at once would prune each other's documents."""


class KnowledgeBaseError(RestSyncError):
    """The knowledge base's files cannot be used as asked (the message names the directory)."""


class DamagedKnowledgeBaseError(KnowledgeBaseError):
    """A knowledge-base file is missing, truncated or unreadable."""


class ReadOnlyKnowledgeBaseError(KnowledgeBaseError):
    """A write was asked of a knowledge base that can only be read."""


class DiskFullError(KnowledgeBaseError):
    """The disk (or quota) filled up while writing; the interrupted write was rolled back."""


class SourceError(RestSyncError):
    """The API answered in a way we cannot use. `request` describes it (secrets redacted)."""

    def __init__(self, message: str, request: str | None = None, status: int | None = None):
        self.request = request
        self.status = status
        super().__init__(f"{message} [{request}]" if request else message)


class AuthError(SourceError):
    """Authentication failed (401, or 403 without rate-limit evidence)."""


class ClientRequestError(SourceError):
    """A 4xx other than 401/403/429: retrying would not help."""


class RetriesExhaustedError(SourceError):
    """Transient failures (5xx, dropped connections) outlasted the retry budget."""


class RateLimitExhaustedError(SourceError):
    """The API kept rate-limiting us beyond the wait budget."""


class InvalidResponseError(SourceError):
    """The response body is not valid JSON or not the shape the config expects."""
