"""``TokenVaultAuth``: an auth for httpx2 (mcp 2.x) and httpx (mcp 1.x) clients."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

from .token import DEFAULT_TIMEOUT, Command, async_fetch, fetch

LOG = logging.getLogger("tokenvault_client")

_bases: list[type] = []
try:
    import httpx2

    _bases.append(httpx2.Auth)
except ImportError:  # pragma: no cover - depends on the extras installed
    pass
try:
    import httpx

    _bases.append(httpx.Auth)
except ImportError:  # pragma: no cover - depends on the extras installed
    pass
if not _bases:  # pragma: no cover
    raise ImportError("TokenVaultAuth needs httpx2 or httpx: pip install 'tokenvault-client[httpx2]' "
                      "(mcp 2.x) or 'tokenvault-client[httpx]'")


class TokenVaultAuth(*_bases):  # type: ignore[misc]
    """Sends ``Authorization: Bearer`` with the profile's token from the vault.

    Every request gets the vault's current token (refreshed by tokenvault when due, under its
    lock, so processes never spend a refresh token twice). When the server answers 401, the
    request is sent once more with the token tokenvault gives for ``rejected=`` the one that was
    refused; a second 401 is returned to the caller as it is. A failure to get a token raises the
    :mod:`tokenvault_client.errors` exception for it, such as ``ReauthenticationRequired``.

    It is an ``httpx2.Auth`` and an ``httpx.Auth`` (whichever are installed)::

        async with streamable_http_client(url, http_client=httpx2.AsyncClient(auth=TokenVaultAuth("readonly"))):

    The async flow runs tokenvault with asyncio's subprocesses and does not block the loop.
    Keyword arguments are passed to :func:`tokenvault_client.access_token`.
    """

    requires_request_body = False
    requires_response_body = False

    def __init__(
        self,
        profile: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        command: Command = "tokenvault",
        vault: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.profile = profile
        self._options: dict[str, Any] = {"timeout": timeout, "command": command, "vault": vault,
                                         "keyfile": keyfile, "env": env}

    def __repr__(self) -> str:
        return "TokenVaultAuth(%r)" % self.profile

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        token = fetch(self.profile, None, **self._options)
        request.headers["Authorization"] = "Bearer " + token.reveal()
        response = yield request
        if response.status_code == 401:
            LOG.info("profile %s: the server answered 401; asking tokenvault for another token", self.profile)
            token = fetch(self.profile, token, **self._options)
            request.headers["Authorization"] = "Bearer " + token.reveal()
            yield request

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        token = await async_fetch(self.profile, None, **self._options)
        request.headers["Authorization"] = "Bearer " + token.reveal()
        response = yield request
        if response.status_code == 401:
            LOG.info("profile %s: the server answered 401; asking tokenvault for another token", self.profile)
            token = await async_fetch(self.profile, token, **self._options)
            request.headers["Authorization"] = "Bearer " + token.reveal()
            yield request
