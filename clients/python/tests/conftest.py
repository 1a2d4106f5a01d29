"""Fixtures: the real `tokenvault` binary, the loopback OAuth server and the loopback MCP server.

scripts/test names the binary in TOKENVAULT_TEST_BINARY (.build/debug/tokenvault); without it the
tests that need it fail rather than skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CLIENT_ID = "tokenvault-test"


def http_json(method: str, url: str, body: dict[str, Any] | None = None, form: str | None = None) -> Any:
    if form is not None:
        data, kind = form.encode(), "application/x-www-form-urlencoded"
    else:
        data, kind = (json.dumps(body).encode() if body is not None else None), "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": kind})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw.strip() else None


def start(argv: list[str], stdin: str | None = None) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    if stdin is not None:
        process.stdin.write(stdin.encode())
    process.stdin.close()
    line = process.stdout.readline().decode().strip()
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError("%s did not start: %r" % (argv[1], line))
    return process, int(line.split()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class OAuthServer:
    """Tests/OAuthServer/server.py: django-oauth-toolkit with strict refresh token rotation."""

    def __init__(self, port: int) -> None:
        self.issuer = "http://127.0.0.1:%d" % port
        self.token_endpoint = self.issuer + "/o/token/"

    def seed(self, access_lifetime: int = 3600) -> dict[str, Any]:
        return http_json("POST", self.issuer + "/test/seed", {"client_id": CLIENT_ID, "access_lifetime": access_lifetime})

    def stats(self) -> dict[str, Any]:
        return http_json("GET", self.issuer + "/test/stats")

    def reset_stats(self) -> None:
        http_json("POST", self.issuer + "/test/stats/reset", {})

    def set_delay(self, milliseconds: int) -> None:
        http_json("POST", self.issuer + "/test/delay", {"delay_ms": milliseconds})

    def invalidate_access_token(self, token: str) -> None:
        """Ends the access token's life at the server while the vault still counts it valid.

        Resource servers refuse it from now on and its refresh token stays usable: a server-side
        revocation of the access token alone. (DOT's RFC 7009 revocation of an access token
        revokes its refresh token too, and DOT refuses a refresh token whose access token is gone.)
        """
        http_json("POST", self.issuer + "/test/expire", {"access_token": token})

    def revoke(self, token: str) -> None:
        """RFC 7009 revocation; for an access token DOT revokes its refresh token too."""
        from urllib.parse import urlencode

        http_json("POST", self.issuer + "/o/revoke_token/", form=urlencode({"client_id": CLIENT_ID, "token": token}))


class MCPServer:
    """Tests/MCPServer/server.py: the official mcp SDK, bearer tokens checked by introspection."""

    def __init__(self, port: int) -> None:
        self.origin = "http://127.0.0.1:%d" % port
        self.url = self.origin + "/mcp"

    def stats(self) -> dict[str, Any]:
        return http_json("GET", self.origin + "/test/stats")

    def reset_stats(self) -> None:
        http_json("POST", self.origin + "/test/stats/reset", {})


@pytest.fixture(scope="session")
def tokenvault() -> str:
    path = os.environ.get("TOKENVAULT_TEST_BINARY")
    if not path:
        pytest.fail("TOKENVAULT_TEST_BINARY is not set: run scripts/test, which builds tokenvault and names it")
    if not os.access(path, os.X_OK):
        pytest.fail("TOKENVAULT_TEST_BINARY=%s is not an executable: run swift build" % path)
    return path


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("oauth") / "oauth.sqlite3"
    oauth_process, oauth_port = start([sys.executable, str(REPO / "Tests/OAuthServer/server.py"), "--db", str(db),
                                       "--port", "0", "--watch-parent"])
    oauth = OAuthServer(oauth_port)
    client = http_json("POST", oauth.issuer + "/test/resource-server", {})
    try:
        mcp_process, mcp_port = start(
            [sys.executable, str(REPO / "Tests/MCPServer/server.py"), "--port", "0", "--introspect",
             client["introspection_endpoint"], "--client-id", client["client_id"], "--client-secret-stdin",
             "--watch-parent"], stdin=client["client_secret"] + "\n")
    except BaseException:
        stop(oauth_process)
        raise
    yield oauth, MCPServer(mcp_port)
    stop(mcp_process)
    stop(oauth_process)


@pytest.fixture
def oauth(servers: Any) -> OAuthServer:
    servers[0].reset_stats()
    servers[0].set_delay(0)
    return servers[0]


@pytest.fixture
def mcp(servers: Any) -> MCPServer:
    servers[1].reset_stats()
    return servers[1]


class Vault:
    """A vault and keyfile of its own, and the real tokenvault to run on it."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(directory),
                    "TOKENVAULT_PATH": str(directory / "vault" / "tokens.vault"),
                    "TOKENVAULT_KEYFILE": str(directory / "key")}
        self.run("keygen", "--output", self.env["TOKENVAULT_KEYFILE"])
        self.run("init")

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.binary, *args], input=stdin, capture_output=True, text=True, env=self.env,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError("tokenvault %s: exit %d: %s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def import_seeded(self, profile: str, oauth: OAuthServer, access_lifetime: int = 3600) -> dict[str, Any]:
        seeded = oauth.seed(access_lifetime)
        tokens = {k: seeded[k] for k in ("access_token", "token_type", "expires_in", "scope", "refresh_token")}
        self.run("import", profile, "--token-endpoint", oauth.token_endpoint, "--client-id", CLIENT_ID,
                 stdin=json.dumps(tokens))
        return seeded

    def status(self, profile: str) -> dict[str, Any]:
        return json.loads(self.run("status", profile, "--json").stdout)["profiles"][0]


@pytest.fixture
def vault(tokenvault: str, tmp_path: Path) -> Vault:
    return Vault(tokenvault, tmp_path)
