"""tokenvault-client against the real tokenvault, the real OAuth server and a real MCP server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import MCPServer, OAuthServer, Vault
from mcp_call import call_tool

from tokenvault_client import ReauthenticationRequired, TokenVaultAuth

HERE = Path(__file__).resolve().parent


def echo(mcp: MCPServer, vault: Vault, profile: str, text: str = "hello") -> Any:
    return asyncio.run(call_tool(mcp.url, profile, vault.binary, vault.env, "echo", {"text": text}))


def test_a_tool_call_succeeds_with_a_vault_token(oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    vault.import_seeded("readonly", oauth)
    assert echo(mcp, vault, "readonly", "hi there") == "hi there"
    who = asyncio.run(call_tool(mcp.url, "readonly", vault.binary, vault.env, "whoami", {}))
    assert json.loads(who) == {"username": "tokenvault-test-user", "scope": "read", "client_id": "tokenvault-test"}
    assert mcp.stats()["unauthorized"] == 0
    assert mcp.stats()["tools"] == {"echo": 1, "whoami": 1}
    assert oauth.stats()["token_requests"] == 0


def test_an_expired_access_token_is_refreshed_once(oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    vault.import_seeded("readonly", oauth, access_lifetime=6)
    assert echo(mcp, vault, "readonly") == "hello"
    assert oauth.stats()["token_requests"] == 0
    time.sleep(6.5)
    assert vault.status("readonly")["access_token"]["state"] == "expired"
    assert echo(mcp, vault, "readonly", "after expiry") == "after expiry"
    stats = oauth.stats()
    assert (stats["token_requests"], stats["refresh_grants_ok"]) == (1, 1)
    assert mcp.stats()["unauthorized"] == 0  # refreshed before sending, not after a 401
    assert echo(mcp, vault, "readonly", "again") == "again"
    assert oauth.stats()["token_requests"] == 1


def test_an_access_token_revoked_at_the_server_is_refreshed_once_after_the_401(
        oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    seeded = vault.import_seeded("readonly", oauth)
    assert echo(mcp, vault, "readonly") == "hello"
    oauth.invalidate_access_token(seeded["access_token"])
    mcp.reset_stats()
    assert echo(mcp, vault, "readonly", "after revocation") == "after revocation"
    stats = oauth.stats()
    assert (stats["token_requests"], stats["refresh_grants_ok"]) == (1, 1)
    assert mcp.stats()["unauthorized"] == 1
    assert mcp.stats()["tools"]["echo"] == 1


def test_the_sync_flow_retries_a_401_once_with_a_refreshed_token(
        oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    seeded = vault.import_seeded("readonly", oauth)
    oauth.invalidate_access_token(seeded["access_token"])
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "tokenvault-client-tests", "version": "1"}}}
    auth = TokenVaultAuth("readonly", command=vault.binary, env=vault.env)
    with httpx2.Client(auth=auth, timeout=30) as client:
        response = client.post(mcp.url, json=initialize,
                               headers={"Accept": "application/json, text/event-stream"})
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert oauth.stats()["refresh_grants_ok"] == 1
    assert (mcp.stats()["unauthorized"], mcp.stats()["authorized"]) == (1, 1)


def test_a_revoked_refresh_token_raises_reauthentication_required(
        oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    seeded = vault.import_seeded("readonly", oauth)
    assert echo(mcp, vault, "readonly") == "hello"
    oauth.revoke(seeded["refresh_token"])  # DOT revokes the access token paired with it too
    with pytest.raises(ReauthenticationRequired) as raised:
        echo(mcp, vault, "readonly")
    assert raised.value.exit_code == 20
    assert "readonly" in raised.value.message
    assert seeded["access_token"] not in str(raised.value)
    assert oauth.stats()["refresh_grants_failed"] == 1
    status = vault.status("readonly")
    assert (status["state"], status["reauth_required"]) == ("reauth-required", True)
    text = vault.run("status", "readonly").stdout
    assert "reauth-required" in text
    assert "readonly: MCP authentication failed: refresh token expired or revoked; sign in again" in text


def test_eight_processes_on_an_expired_token_cause_one_refresh(
        oauth: OAuthServer, mcp: MCPServer, vault: Vault) -> None:
    vault.import_seeded("readonly", oauth, access_lifetime=-5)
    oauth.set_delay(500)  # the refresh takes long enough for all eight to want it
    processes = [subprocess.Popen([sys.executable, str(HERE / "mcp_call.py"), mcp.url, "readonly", vault.binary,
                                   "caller %d" % i], env={**vault.env, "PYTHONPATH": str(HERE)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(8)]
    results = [p.communicate(timeout=120) for p in processes]
    for i, (process, (out, err)) in enumerate(zip(processes, results)):
        assert process.returncode == 0, err
        assert out.strip() == "caller %d" % i
    stats = oauth.stats()
    assert (stats["token_requests"], stats["refresh_grants_ok"], stats["refresh_grants_failed"]) == (1, 1, 0)
    assert mcp.stats()["tools"]["echo"] == 8
    assert mcp.stats()["unauthorized"] == 0
