"""access_token and async_access_token through ``tokenvault agent`` (TOKENVAULT_AGENT_SOCK): the
real agent on a vault, the loopback OAuth server behind it, and no key on the client's side."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import OAuthServer, Vault
from tokenvault_client import AgentRefused, InvalidTokenInput, TemporarilyUnavailable, access_token, async_access_token


def start_agent(vault: Vault, path: Path, allow: list[str], log: Path) -> subprocess.Popen[bytes]:
    argv = [vault.binary, "agent", "--socket", str(path)]
    for entry in allow:
        argv += ["--allow", entry]
    env = dict(vault.env, TOKENVAULT_LOG_LEVEL="trace")
    process = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(path))
                return process
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.02)
    process.kill()
    raise AssertionError("the agent did not start: %s" % log.read_text())


def test_tokens_come_from_the_agent_without_a_key(vault: Vault, oauth: OAuthServer, tmp_path: Path) -> None:
    seeded = vault.import_seeded("readonly", oauth)
    vault.import_seeded("admin", oauth)
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    path, log = run / "agent.sock", tmp_path / "agent.log"
    agent = start_agent(vault, path, ["%d:readonly" % os.geteuid()], log)
    env = {"TOKENVAULT_AGENT_SOCK": str(path)}  # no key, no vault, no binary on PATH
    try:
        assert access_token("readonly", env=env, command="/nonexistent") == seeded["access_token"]
        assert asyncio.run(async_access_token("readonly", env=env)) == seeded["access_token"]
        # After a 401, the agent refreshes once at the token endpoint and seals the result.
        fresh = access_token("readonly", seeded["access_token"], env=env)
        assert fresh != seeded["access_token"]
        assert asyncio.run(async_access_token("readonly", env=env)) == fresh
        assert vault.run("token", "readonly").stdout == fresh + "\n"
        with pytest.raises(AgentRefused) as refused:
            access_token("admin", env=env)
        assert refused.value.exit_code == 29 and "does not serve profile 'admin'" in refused.value.message
        with pytest.raises(AgentRefused):
            asyncio.run(async_access_token("admin", env=env))
        with pytest.raises(InvalidTokenInput) as malformed:
            access_token("../x", env=env)  # not a profile name: the agent answers error 19
        assert malformed.value.exit_code == 19
    finally:
        agent.terminate()
        assert agent.wait(10) == 0
    assert not path.exists()
    with pytest.raises(TemporarilyUnavailable) as down:
        access_token("readonly", env=env)
    assert "no tokenvault agent answers on %s" % path in down.value.message
    with pytest.raises(TemporarilyUnavailable):
        asyncio.run(async_access_token("readonly", env=env))
    text = log.read_text()
    assert seeded["access_token"] not in text and fresh not in text and seeded["refresh_token"] not in text
