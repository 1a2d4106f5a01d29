#!/usr/bin/env python3
"""A real MCP server on loopback, for TokenVault's tests: the official ``mcp`` Python SDK.

LOOPBACK TEST FIXTURE ONLY. It binds 127.0.0.1 only, and its ``/test/*`` endpoints read
and reset counters for anyone who asks.

It serves the MCP streamable HTTP transport at ``/mcp`` and checks every request's bearer
token at the test authorization server (Tests/OAuthServer/server.py) by RFC 7662 token
introspection, asking afresh each time (no cache): a token revoked or expired at the
authorization server is refused on the very next request. Without an active token the
answer is 401 with ``WWW-Authenticate: Bearer error="invalid_token", ...,
resource_metadata="http://127.0.0.1:<port>/.well-known/oauth-protected-resource/mcp"``,
as the MCP authorization specification asks.

Usage::

    python server.py --introspect http://127.0.0.1:<as-port>/o/introspect/ \\
        --client-id tokenvault-mcp-resource --client-secret-stdin [--port 0] [--watch-parent] [--verbose]

The introspection client's secret is the first line of stdin (never argv); the test
authorization server hands out such a client with ``POST /test/resource-server``. The
issuer named in the protected resource metadata is the introspection URL's origin
(``--issuer`` overrides it).

Prints exactly one line ``READY <port>`` to stdout once listening. SIGTERM/SIGINT stop it
(exit 0).

Endpoints (resource = ``http://127.0.0.1:<port>/mcp``):

* ``POST|GET|DELETE /mcp``  MCP streamable HTTP, bearer token required. Tools:
  ``echo(text)`` returns ``text``; ``whoami()`` returns ``{"username", "scope",
  "client_id"}`` from the introspection answer for the token in use.
* ``GET /.well-known/oauth-protected-resource/mcp`` and
  ``GET /.well-known/oauth-protected-resource``  RFC 9728 metadata.
* ``GET /test/stats`` -> ``{"requests", "unauthorized", "authorized", "introspections",
  "tool_calls", "tools": {"echo": n, "whoami": n}}``: ``requests`` counts every HTTP request
  to ``/mcp``, ``unauthorized`` those answered 401, ``authorized`` the others.
* ``POST /test/stats/reset`` zeroes the counters.

Nothing that contains a token is logged; ``--verbose`` adds uvicorn's access log (paths
only) and the SDK's info log on stderr.
"""

import argparse
import asyncio
import base64
import logging
import os
import signal
import socket
import sys
import threading
from urllib.parse import urlsplit

LOG = logging.getLogger("tokenvault.mcpserver")

COUNTERS_LOCK = threading.Lock()
TOOL_NAMES = ("echo", "whoami")


def zero_counters():
    return {"requests": 0, "unauthorized": 0, "authorized": 0, "introspections": 0, "tool_calls": 0,
            "tools": {name: 0 for name in TOOL_NAMES}}


COUNTERS = zero_counters()


def bump(name, tool=None):
    with COUNTERS_LOCK:
        COUNTERS[name] += 1
        if tool is not None:
            COUNTERS["tools"][tool] += 1


def snapshot():
    with COUNTERS_LOCK:
        return {**COUNTERS, "tools": dict(COUNTERS["tools"])}


def parse_args(argv):
    p = argparse.ArgumentParser(description="Loopback MCP test server (official mcp SDK, token introspection).")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--introspect", required=True, metavar="URL",
                   help="RFC 7662 introspection endpoint of the authorization server")
    p.add_argument("--client-id", default="tokenvault-mcp-resource",
                   help="client id this resource server authenticates with at the introspection endpoint")
    p.add_argument("--client-secret-stdin", action="store_true",
                   help="read the introspection client's secret from the first line of stdin")
    p.add_argument("--issuer", help="authorization server issuer for the resource metadata "
                                    "(default: the introspection URL's origin)")
    p.add_argument("--json-response", action="store_true",
                   help="answer POSTs with application/json instead of an SSE stream (clients that read no SSE, "
                        "such as the MCP Swift SDK's HTTP transport on Linux)")
    p.add_argument("--verbose", action="store_true", help="access log (paths only) and SDK info log on stderr")
    p.add_argument("--watch-parent", action="store_true",
                   help="exit when the parent process goes away (parent pid changes)")
    return p.parse_args(argv)


class IntrospectionVerifier:
    """The SDK's TokenVerifier: asks the authorization server about every token, every time."""

    def __init__(self, url, client_id, client_secret):
        import httpx2

        self.url = url
        basic = base64.b64encode(("%s:%s" % (client_id, client_secret or "")).encode("utf-8")).decode("ascii")
        self.headers = {"Authorization": "Basic " + basic, "Accept": "application/json"}
        self.client = httpx2.AsyncClient(timeout=10.0)

    async def verify_token(self, token):
        from mcp.server.auth.provider import AccessToken

        bump("introspections")
        try:
            response = await self.client.post(self.url, data={"token": token}, headers=self.headers)
        except Exception as e:  # the error names the URL, never the token
            LOG.error("introspection at %s failed: %s", self.url, type(e).__name__)
            return None
        if response.status_code != 200:
            LOG.error("introspection at %s answered %d", self.url, response.status_code)
            return None
        answer = response.json()
        if not answer.get("active"):
            return None
        audience = answer.get("aud")
        if isinstance(audience, list):
            audience = audience[0] if audience else None
        return AccessToken(
            token=token,
            client_id=str(answer.get("client_id") or ""),
            scopes=str(answer.get("scope") or "").split(),
            expires_at=answer.get("exp"),
            resource=audience,
            subject=answer.get("username"),
            claims={"username": answer.get("username"), "scope": answer.get("scope")},
        )


class CountingMiddleware:
    """Counts HTTP requests to /mcp and how they were answered."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/mcp") \
                or scope["path"].startswith("/.well-known/"):
            await self.app(scope, receive, send)
            return
        bump("requests")
        counted = False

        async def counting_send(message):
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                bump("unauthorized" if message["status"] == 401 else "authorized")
            await send(message)

        await self.app(scope, receive, counting_send)


def build_app(args, port, client_secret):
    from mcp.server.auth.middleware.auth_context import get_access_token
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer
    from starlette.responses import JSONResponse

    origin = urlsplit(args.introspect)
    issuer = args.issuer or "%s://%s" % (origin.scheme, origin.netloc)
    resource = "http://127.0.0.1:%d/mcp" % port
    server = MCPServer(
        "tokenvault-test-mcp",
        token_verifier=IntrospectionVerifier(args.introspect, args.client_id, client_secret),
        auth=AuthSettings(issuer_url=issuer, resource_server_url=resource, validate_token_resource=False),
        log_level="INFO" if args.verbose else "WARNING",
    )

    @server.tool()
    def echo(text: str) -> str:
        """Returns text unchanged."""
        bump("tool_calls", "echo")
        return text

    @server.tool()
    def whoami() -> dict:
        """The user, scope and client of the bearer token in use, from the introspection answer."""
        bump("tool_calls", "whoami")
        token = get_access_token()
        claims = (token.claims or {}) if token else {}
        return {"username": claims.get("username"), "scope": claims.get("scope"),
                "client_id": token.client_id if token else None}

    def metadata():
        return {"resource": resource, "authorization_servers": [issuer], "bearer_methods_supported": ["header"],
                "scopes_supported": ["read", "write"], "resource_name": "TokenVault test MCP server"}

    @server.custom_route("/.well-known/oauth-protected-resource", methods=["GET"])
    async def root_metadata(request):
        return JSONResponse(metadata())

    @server.custom_route("/test/stats", methods=["GET"])
    async def stats(request):
        return JSONResponse(snapshot(), headers={"Cache-Control": "no-store"})

    @server.custom_route("/test/stats/reset", methods=["POST"])
    async def stats_reset(request):
        global COUNTERS
        with COUNTERS_LOCK:
            COUNTERS = zero_counters()
        return JSONResponse(snapshot())

    return CountingMiddleware(server.streamable_http_app(host="127.0.0.1", json_response=args.json_response))


async def serve(args, sock, client_secret):
    import uvicorn

    port = sock.getsockname()[1]
    app = build_app(args, port, client_secret)
    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning", access_log=args.verbose,
                            lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    async def announce():
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.02)
        sys.stdout.write("READY %d\n" % port)
        sys.stdout.flush()

    async def watch_parent():
        parent = os.getppid()
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(announce())]
    if args.watch_parent:
        tasks.append(asyncio.create_task(watch_parent()))
    try:
        await server.serve(sockets=[sock])
    finally:
        for task in tasks:
            task.cancel()


def main(argv=None):
    # A parent that spawns us from a thread with signals blocked (Swift's Foundation.Process
    # from a Dispatch worker does) passes that mask on; without this SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="mcp-server: %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        import warnings
        warnings.simplefilter("ignore")
    client_secret = sys.stdin.readline().rstrip("\r\n") if args.client_secret_stdin else None

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    sock.set_inheritable(True)
    asyncio.run(serve(args, sock, client_secret))
    return 0


if __name__ == "__main__":
    sys.exit(main())
