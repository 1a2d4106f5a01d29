"""The exceptions ``access_token`` raises: one class per exit code of ``tokenvault token``.

Every class derives from :class:`TokenVaultError`. Each carries the profile, the exit code
(``None`` when ``tokenvault`` did not run to an exit) and tokenvault's own message from stderr,
which names the cause and the command that fixes it and never holds a token.
"""

from __future__ import annotations


class TokenVaultError(Exception):
    """``tokenvault token`` gave no token. The base of every exception of this package."""

    #: The exit code this class stands for (``None``: no single code).
    code: int | None = None

    def __init__(self, profile: str, message: str, exit_code: int | None = None) -> None:
        self.profile = profile
        self.message = message
        self.exit_code = exit_code if exit_code is not None else self.code
        status = "" if self.exit_code is None else " (exit %d)" % self.exit_code
        super().__init__("tokenvault token %s failed%s: %s" % (profile, status, message))


class UnexpectedFailure(TokenVaultError):
    """Exit 1: a bug or an unexpected system condition."""

    code = 1


class KeyMissing(TokenVaultError):
    """Exit 10: no key configured, or a keyfile that is missing, malformed or larger than 64 KiB."""

    code = 10


class WrongKey(TokenVaultError):
    """Exit 11: the vault was sealed with a key that is not among the keys given."""

    code = 11


class VaultUnreadable(TokenVaultError):
    """Exit 12: the vault is corrupted, truncated, too large or was tampered with, or can be written no more."""

    code = 12


class VaultVersionUnsupported(TokenVaultError):
    """Exit 13: the vault has a format version or flags this build of tokenvault does not read."""

    code = 13


class UnsafePermissions(TokenVaultError):
    """Exit 14: a vault, lock file or keyfile is a symlink, not private to its owner, or another user's."""

    code = 14


class ProfileMissing(TokenVaultError):
    """Exit 15: OAuth token unavailable: no vault, no such profile, or a profile without tokens."""

    code = 15


class FileExists(TokenVaultError):
    """Exit 16: refusing to overwrite an existing file (not a ``token`` outcome; listed for completeness)."""

    code = 16


class FileOperationFailed(TokenVaultError):
    """Exit 17: reading, writing or removing a file failed (disk full, read-only file system, …)."""

    code = 17


class LockTimeout(TokenVaultError):
    """Exit 18: another process held the writer lock for too long (60 s)."""

    code = 18


class InvalidTokenInput(TokenVaultError):
    """Exit 19: the token input is not usable (for ``token``: the rejected token passed was malformed)."""

    code = 19


class ReauthenticationRequired(TokenVaultError):
    """Exit 20: the refresh token expired or was revoked: sign in again (``tokenvault login``) or re-import."""

    code = 20


class ClientRejected(TokenVaultError):
    """Exit 21: the authorization server no longer accepts the OAuth client: register again and re-import."""

    code = 21


class Misconfigured(TokenVaultError):
    """Exit 22: the token endpoint refused the request as configured (``invalid_target``, a redirect, …)."""

    code = 22


class TemporarilyUnavailable(TokenVaultError):
    """Exit 23: the token endpoint, or a PostgreSQL vault's database, is unreachable or failing for now; retry later."""

    code = 23


class SealFailed(TokenVaultError):
    """Exit 24: refreshed, but the new tokens could not be sealed into the vault."""

    code = 24


class StaleImport(TokenVaultError):
    """Exit 25: ``import`` was given an older copy of the profile's chain (not a ``token`` outcome)."""

    code = 25


class SignInIncomplete(TokenVaultError):
    """Exit 26: ``login`` did not complete (not a ``token`` outcome)."""

    code = 26


class DatabaseRefused(TokenVaultError):
    """Exit 27: a PostgreSQL vault's database refused this client as configured (authentication, a privilege, TLS), or libpq is missing."""

    code = 27


class RolledBack(TokenVaultError):
    """Exit 28: the vault is at an older generation than tokenvault had already seen: restored from an older copy."""

    code = 28


class AgentRefused(TokenVaultError):
    """Exit 29: the agent (TOKENVAULT_AGENT_SOCK) does not serve that profile to this user (its ``--allow`` list)."""

    code = 29


class NeedsAttention(TokenVaultError):
    """Exit 30: ``status --check`` found a profile that needs attention (not a ``token`` outcome)."""

    code = 30


class AuditFindings(TokenVaultError):
    """Exit 31: ``audit`` left findings to fix (not a ``token`` outcome)."""

    code = 31


class UsageError(TokenVaultError):
    """Exit 64: the command line was wrong (for example a bad profile name, or a bad TOKENVAULT_HTTP_TIMEOUT)."""

    code = 64


class CannotRun(TokenVaultError):
    """Exit 126: ``tokenvault-cli`` beside ``tokenvault`` cannot be run."""

    code = 126


class NotInstalled(TokenVaultError):
    """Exit 127, or no ``tokenvault`` to run: the command (or ``tokenvault-cli`` beside it) is not installed."""

    code = 127


class Timeout(TokenVaultError):
    """``tokenvault`` did not finish within the timeout; it was killed."""


class UnexpectedOutput(TokenVaultError):
    """``tokenvault`` ended without a documented exit code (killed by a signal, an unknown code) or printed no token."""


#: Each documented exit code and its exception class.
BY_EXIT_CODE: dict[int, type[TokenVaultError]] = {
    cls.code: cls
    for cls in (
        UnexpectedFailure, KeyMissing, WrongKey, VaultUnreadable, VaultVersionUnsupported, UnsafePermissions,
        ProfileMissing, FileExists, FileOperationFailed, LockTimeout, InvalidTokenInput, ReauthenticationRequired,
        ClientRejected, Misconfigured, TemporarilyUnavailable, SealFailed, StaleImport, SignInIncomplete,
        DatabaseRefused, RolledBack, AgentRefused, NeedsAttention, AuditFindings, UsageError, CannotRun, NotInstalled,
    )
    if cls.code is not None
}


def error_for_exit(profile: str, exit_code: int, message: str) -> TokenVaultError:
    """The exception for ``tokenvault``'s exit code (``UnexpectedOutput`` for an undocumented one)."""
    cls = BY_EXIT_CODE.get(exit_code)
    if cls is None:
        if exit_code < 0:
            return UnexpectedOutput(profile, "killed by signal %d. %s" % (-exit_code, message), exit_code)
        return UnexpectedOutput(profile, "undocumented exit code. %s" % message, exit_code)
    return cls(profile, message, exit_code)
