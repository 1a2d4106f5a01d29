"""Access tokens from a TokenVault vault for Python apps.

``access_token(profile)`` runs ``tokenvault token PROFILE`` and returns the token;
``async_access_token`` does the same for asyncio. With TOKENVAULT_AGENT_SOCK set, both ask
``tokenvault agent`` over its socket instead, and need neither the binary nor a key. Failures raise a subclass of
:class:`TokenVaultError` per documented exit code. ``TokenVaultAuth`` (needs httpx2 or httpx)
sets the bearer token on each request and, after a 401, retries once with a different token.
The token is never logged and never put in an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AgentRefused,
    AuditFindings,
    CannotRun,
    ClientRejected,
    FileExists,
    FileOperationFailed,
    InvalidTokenInput,
    KeyMissing,
    LockTimeout,
    Misconfigured,
    NeedsAttention,
    NotInstalled,
    ProfileMissing,
    ReauthenticationRequired,
    SealFailed,
    SignInIncomplete,
    DatabaseRefused,
    RolledBack,
    StaleImport,
    TemporarilyUnavailable,
    Timeout,
    TokenVaultError,
    UnexpectedFailure,
    UnexpectedOutput,
    UnsafePermissions,
    UsageError,
    VaultUnreadable,
    VaultVersionUnsupported,
    WrongKey,
)
from .token import DEFAULT_TIMEOUT, access_token, async_access_token

if TYPE_CHECKING:
    from .httpx_auth import TokenVaultAuth

__all__ = [
    "DEFAULT_TIMEOUT", "access_token", "async_access_token", "TokenVaultAuth",
    "TokenVaultError", "UnexpectedFailure", "KeyMissing", "WrongKey", "VaultUnreadable", "VaultVersionUnsupported",
    "UnsafePermissions", "ProfileMissing", "FileExists", "FileOperationFailed", "LockTimeout", "InvalidTokenInput",
    "ReauthenticationRequired", "ClientRejected", "Misconfigured", "TemporarilyUnavailable", "SealFailed",
    "StaleImport", "SignInIncomplete", "DatabaseRefused", "RolledBack", "AgentRefused", "NeedsAttention", "AuditFindings", "UsageError", "CannotRun", "NotInstalled",
    "Timeout", "UnexpectedOutput",
]


def __getattr__(name: str) -> Any:
    # TokenVaultAuth needs httpx2 or httpx; the core does not.
    if name == "TokenVaultAuth":
        from .httpx_auth import TokenVaultAuth

        return TokenVaultAuth
    raise AttributeError("module 'tokenvault_client' has no attribute %r" % name)
