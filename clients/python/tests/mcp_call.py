"""Calls one tool of an MCP server through mcp 2.x with TokenVaultAuth: the way an app would.

Run as a script (`python mcp_call.py URL PROFILE TOKENVAULT TEXT`, environment = the vault's), it
prints the tool's answer; the tests start eight of these at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tokenvault_client import TokenVaultAuth, TokenVaultError


def first_vault_error(error: BaseException) -> TokenVaultError | None:
    """The TokenVaultError inside what the SDK raised (it wraps transport errors in exception groups)."""
    if isinstance(error, TokenVaultError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = first_vault_error(inner)
            if found is not None:
                return found
    for linked in (error.__cause__, error.__context__):
        if linked is not None and linked is not error:
            found = first_vault_error(linked)
            if found is not None:
                return found
    return None


async def call_tool(url: str, profile: str, tokenvault: str, env: Mapping[str, str], name: str,
                    arguments: dict[str, Any]) -> Any:
    """The tool's structured result (or its first text), or the TokenVaultError that stopped it."""
    auth = TokenVaultAuth(profile, command=tokenvault, env=env, timeout=60)
    try:
        async with httpx2.AsyncClient(auth=auth, timeout=30) as client:
            async with streamable_http_client(url, http_client=client) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    result = await session.call_tool(name, arguments)
    except BaseException as error:
        found = first_vault_error(error)
        if found is not None:
            raise found from None
        raise
    assert not result.is_error, result
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return result.content[0].text


if __name__ == "__main__":
    url, profile, binary, text = sys.argv[1:5]
    print(asyncio.run(call_tool(url, profile, binary, dict(os.environ), "echo", {"text": text})))
