#!/usr/bin/env python3
"""A real OAuth 2.0 authorization server on loopback, for TokenVault's tests and demos.

LOOPBACK TEST FIXTURE ONLY. Never expose it: it binds 127.0.0.1 only, and the
``/test/*`` endpoints mint, expire and inspect tokens for anyone who asks, without
any authentication. Client secrets of seeded confidential clients are stored in
plaintext (``hash_client_secret=False``) so that ``/test/seed`` can hand them back.

The OAuth part is django-oauth-toolkit (DOT), configured entirely in code (no Django
project folder), with strict refresh-token rotation:
``ROTATE_REFRESH_TOKEN=True``, ``REFRESH_TOKEN_REUSE_PROTECTION=True``,
``REFRESH_TOKEN_GRACE_PERIOD_SECONDS=0``. Presenting a refresh token that was already
rotated gives ``invalid_grant`` *and revokes the whole token family* (the newest
refresh token too) -- exactly the failure TokenVault must avoid.

Usage::

    python server.py --db PATH [--port 0] [--access-lifetime 3600] [--verbose] [--watch-parent]

Prints exactly one line ``READY <port>`` to stdout once listening. SIGTERM/SIGINT stop
it cleanly (exit 0). The SQLite file at ``--db`` is created and migrated on first start
and keeps apps, tokens and the test counters across restarts. Restart on the same
``--port`` if tokens minted with a ``resource`` must stay usable: the resource
(``http://127.0.0.1:<port>/mcp``) contains the port.

Endpoints (issuer = ``http://127.0.0.1:<port>``):

* ``POST /o/token/``          DOT's token endpoint (refresh_token grant etc.).
* ``POST /o/revoke_token/``   DOT's RFC 7009 revocation endpoint.
* ``POST /o/introspect/``     DOT's RFC 7662 introspection endpoint, for a confidential client
  (HTTP Basic) such as the one ``/test/resource-server`` hands out.
* ``GET /.well-known/oauth-authorization-server``  RFC 8414 metadata.
* ``GET /.well-known/oauth-protected-resource[/mcp]``  RFC 9728 metadata.
* ``GET /o/authorize/``     DOT's authorization endpoint (PKCE S256 required). The fixture has
  no login page: a request carrying ``X-Test-User: tokenvault-test-user`` is that user, signed
  in; every test application skips the consent screen, so the GET redirects straight back with
  a code. ``POST /o/authorize/`` with the same parameters and no ``allow`` is the user pressing
  "Deny" (redirect with ``error=access_denied``).
* ``POST /o/register/``       RFC 7591 dynamic client registration: creates a public
  authorization-code client from the JSON metadata and answers 201 with ``client_id``.
* ``GET|POST /mcp``  tiny protected resource: 401 + ``WWW-Authenticate: Bearer
  resource_metadata="..."`` without a valid bearer token, else 200
  ``{"ok": true, "scope": ..., "client_id": ...}``.

Test-control endpoints (JSON in, JSON out; tokens travel in the body or query):

* ``POST /test/seed`` ``{"client_id", "confidential", "access_lifetime", "scope",
  "bind_resource"}`` (all optional) -> MCP Inspector "Access Tokens" shape
  ``{"access_token", "token_type", "expires_in", "scope", "refresh_token"}`` plus
  ``client_id``, ``client_secret`` (confidential only), ``token_endpoint``, ``issuer``,
  ``resource``.
* ``POST /test/resource-server`` ``{"client_id"}`` (optional, default
  ``tokenvault-mcp-resource``) -> ``{"client_id", "client_secret", "introspection_endpoint"}``:
  a confidential client a resource server (Tests/MCPServer/server.py) introspects tokens with.
  Mints no token.
* ``GET /test/stats`` -> ``{"token_requests", "refresh_grants_ok",
  "refresh_grants_failed", ...}`` (persisted in the SQLite DB).
* ``POST /test/stats/reset`` zeroes the counters.
* ``POST /test/expire`` ``{"access_token": ...}`` (or ``{"refresh_token": ...}`` to
  expire the access token paired with it) moves the expiry into the past.
* ``GET /test/token-status?refresh_token=...`` -> ``{"exists", "revoked",
  "family_live", "family_size"}``; ``?access_token=...`` -> ``{"exists", "expired"}``.
* ``POST /test/fail-next`` ``{"count": 1, "status": 503, "error":
  "temporarily_unavailable", "retry_after": null}`` makes the next ``count`` POSTs
  to ``/o/token/`` fail without touching any token (count 0 clears).
* ``POST /test/delay`` ``{"delay_ms": N}`` makes every token request take N ms
  longer (inside the token lock); 0 clears.
* ``POST /test/registration`` ``{"refuse": "invalid_client_metadata"}`` makes every
  registration fail with that error (null accepts again).
* ``POST /test/metadata`` ``{"code_challenge_methods": ["plain"], "registration": false}``
  changes what the authorization server metadata advertises (null restores the default).

Nothing that contains a token is logged unless ``--verbose``; with ``--verbose`` the
access log and the *names* (never values) of request parameters go to stderr.
"""

import argparse
import datetime as _dt
import hashlib
import json
import logging
import os
import secrets
import signal
import socketserver
import sys
import threading
import time
import types
import uuid
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

LOG = logging.getLogger("tokenvault.oauthserver")

# One lock for everything that writes: token endpoint, revocation, seeding, counters.
# SQLite has a single writer anyway; serializing here makes the outcome of concurrent
# refreshes with the same refresh token deterministic (exactly one succeeds) and keeps
# "database is locked" away. Correctness over throughput.
WRITE_LOCK = threading.RLock()

STATE = {
    "port": None,
    "issuer": None,
    "resource": None,
    "access_lifetime": 3600,
    "verbose": False,
    "fail_next": [],  # list of dicts, consumed one per token request
    "delay_ms": 0,
    "refuse_registration": None,  # an RFC 7591 error code, or None
    "code_challenge_methods": ["S256"],
    "advertise_registration": True,
}

COUNTER_NAMES = (
    "token_requests",
    "refresh_grants_ok",
    "refresh_grants_failed",
    "injected_failures",
    "mcp_ok",
    "mcp_unauthorized",
    "registrations",
)

DEFAULT_CLIENT_ID = "tokenvault-test"
RESOURCE_SERVER_CLIENT_ID = "tokenvault-mcp-resource"
TEST_USERNAME = "tokenvault-test-user"


# --------------------------------------------------------------------------- setup

def parse_args(argv):
    p = argparse.ArgumentParser(description="Loopback OAuth 2.0 test authorization server (django-oauth-toolkit).")
    p.add_argument("--db", required=True, help="SQLite database file (created and migrated if needed)")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--access-lifetime", type=int, default=3600, metavar="SECONDS",
                   help="ACCESS_TOKEN_EXPIRE_SECONDS for issued access tokens (default 3600)")
    p.add_argument("--verbose", action="store_true", help="access log + request parameter names on stderr")
    p.add_argument("--watch-parent", action="store_true",
                   help="exit when the parent process goes away (parent pid changes)")
    return p.parse_args(argv)


def configure_django(args):
    import django
    from django.conf import settings

    db_path = os.path.abspath(args.db)
    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)

    quiet_level = "DEBUG" if args.verbose else "CRITICAL"
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tokenvault-loopback-test-fixture-not-a-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "oauth2_provider",
        ],
        MIDDLEWARE=[],
        ROOT_URLCONF="tokenvault_oauth_fixture_urls",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": db_path,
                "OPTIONS": {
                    "timeout": 60,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                },
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        TIME_ZONE="UTC",
        USE_I18N=False,
        # Only users are hashed with this (they get unusable passwords anyway).
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        OAUTH2_PROVIDER={
            "ROTATE_REFRESH_TOKEN": True,
            "REFRESH_TOKEN_REUSE_PROTECTION": True,
            "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
            "ACCESS_TOKEN_EXPIRE_SECONDS": args.access_lifetime,
            "SCOPES": {"read": "Read", "write": "Write"},
            "DEFAULT_SCOPES": ["read"],
        },
        LOGGING_CONFIG="logging.config.dictConfig",
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "oauth-server: %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                    "formatter": "plain"}},
            "loggers": {
                # 500s with traceback always; 4xx warnings only when verbose.
                "django.request": {"handlers": ["stderr"], "level": "DEBUG" if args.verbose else "ERROR",
                                   "propagate": False},
                "django": {"handlers": ["stderr"], "level": "INFO" if args.verbose else "ERROR",
                           "propagate": False},
                # DOT and oauthlib debug logs can contain token values: verbose only.
                "oauth2_provider": {"handlers": ["stderr"], "level": quiet_level, "propagate": False},
                "oauthlib": {"handlers": ["stderr"], "level": quiet_level, "propagate": False},
                "tokenvault": {"handlers": ["stderr"], "level": "DEBUG" if args.verbose else "WARNING",
                               "propagate": False},
            },
        },
    )
    if not args.verbose:
        import warnings
        warnings.simplefilter("ignore")  # DOT's RFC 9700 deprecation warnings
    # The URL module must exist before django.setup() resolves anything.
    urls = types.ModuleType("tokenvault_oauth_fixture_urls")
    urls.urlpatterns = []
    sys.modules[urls.__name__] = urls
    django.setup()
    return urls


def migrate_if_needed():
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS tokenvault_test_stats "
                  "(name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)")
        c.execute("CREATE TABLE IF NOT EXISTS tokenvault_test_kv (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    connections.close_all()


# --------------------------------------------------------------------------- helpers

def checksum(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def json_response(data, status=200, headers=None):
    from django.http import JsonResponse

    resp = JsonResponse(data, status=status, json_dumps_params={"separators": (",", ":")})
    resp["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def error_response(status, error, description=None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, status=status)


def read_json(request):
    """JSON object from the body (empty body -> {}); merged over query parameters."""
    data = {k: v for k, v in request.GET.items()}
    raw = request.body
    if raw and raw.strip():
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ValueError("body is not valid JSON")
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        data.update(body)
    return data


def log_param_names(request, where):
    if STATE["verbose"]:
        names = sorted(set(request.POST.keys()) | set(request.GET.keys()))
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        scheme = auth.split(" ", 1)[0] if auth else "-"
        LOG.debug("%s %s params=%s authorization=%s", request.method, where, names, scheme)


def bump(*names):
    from django.db import connection, transaction

    with WRITE_LOCK, transaction.atomic():
        with connection.cursor() as c:
            for name in names:
                c.execute("INSERT INTO tokenvault_test_stats(name, value) VALUES (%s, 1) "
                          "ON CONFLICT(name) DO UPDATE SET value = value + 1", [name])


def set_kv(name, value):
    from django.db import connection, transaction

    with WRITE_LOCK, transaction.atomic():
        with connection.cursor() as c:
            c.execute("INSERT INTO tokenvault_test_kv(name, value) VALUES (%s, %s) "
                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value", [name, json.dumps(value)])


def read_stats():
    from django.db import connection

    out = {n: 0 for n in COUNTER_NAMES}
    with connection.cursor() as c:
        c.execute("SELECT name, value FROM tokenvault_test_stats")
        for name, value in c.fetchall():
            out[name] = int(value)
        c.execute("SELECT value FROM tokenvault_test_kv WHERE name = 'last_token_request'")
        row = c.fetchone()
    out["last_token_request"] = json.loads(row[0]) if row else None
    return out


def describe_token_request(request):
    """Shape of a token request without any secret value (for tests to assert on)."""
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.lower().startswith("basic "):
        client_auth = "client_secret_basic"
    elif request.POST.get("client_secret"):
        client_auth = "client_secret_post"
    else:
        client_auth = "none"
    return {
        "grant_type": request.POST.get("grant_type"),
        "params": sorted(request.POST.keys()),
        "client_id": request.POST.get("client_id"),
        "resource": request.POST.getlist("resource"),
        "scope": request.POST.get("scope"),
        "client_auth": client_auth,
        "content_type": request.META.get("CONTENT_TYPE", ""),
    }


# --------------------------------------------------------------------------- views

def make_views():
    from django.utils import timezone
    from django.views.decorators.csrf import csrf_exempt
    from oauth2_provider.models import (
        get_access_token_model,
        get_application_model,
        get_refresh_token_model,
        set_token_value,
    )
    from oauth2_provider.views import AuthorizationView, IntrospectTokenView, RevokeTokenView, TokenView
    from oauthlib.common import generate_token

    Application = get_application_model()
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    dot_token_view = TokenView.as_view()
    dot_revoke_view = RevokeTokenView.as_view()
    dot_authorize_view = AuthorizationView.as_view()
    dot_introspect_view = IntrospectTokenView.as_view()

    def token_endpoint_url():
        return STATE["issuer"] + "/o/token/"

    @csrf_exempt
    def token(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        log_param_names(request, "/o/token/")
        grant_type = request.POST.get("grant_type")
        with WRITE_LOCK:
            bump("token_requests")
            set_kv("last_token_request", describe_token_request(request))
            if STATE["delay_ms"]:
                time.sleep(STATE["delay_ms"] / 1000.0)
            if STATE["fail_next"]:
                f = STATE["fail_next"].pop(0)
                bump("injected_failures")
                resp = error_response(f["status"], f["error"], "injected by /test/fail-next")
                if f.get("retry_after") is not None:
                    resp["Retry-After"] = str(f["retry_after"])
                return resp
            resp = dot_token_view(request)
            if grant_type == "refresh_token":
                bump("refresh_grants_ok" if resp.status_code == 200 else "refresh_grants_failed")
            if STATE["verbose"]:
                LOG.debug("token grant_type=%s -> %s", grant_type, resp.status_code)
            return resp

    @csrf_exempt
    def revoke(request):
        log_param_names(request, "/o/revoke_token/")
        with WRITE_LOCK:
            return dot_revoke_view(request)

    def as_metadata(request):
        iss = STATE["issuer"]
        document = {
            "issuer": iss,
            "authorization_endpoint": iss + "/o/authorize/",
            "token_endpoint": token_endpoint_url(),
            "revocation_endpoint": iss + "/o/revoke_token/",
            "introspection_endpoint": iss + "/o/introspect/",
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": STATE["code_challenge_methods"],
            "scopes_supported": ["read", "write"],
        }
        if STATE["advertise_registration"]:
            document["registration_endpoint"] = iss + "/o/register/"
        return json_response(document)

    def pr_metadata(request):
        return json_response({
            "resource": STATE["resource"],
            "authorization_servers": [STATE["issuer"]],
            "bearer_methods_supported": ["header"],
            "scopes_supported": ["read", "write"],
            "resource_name": "TokenVault test MCP resource",
        })

    @csrf_exempt
    def mcp(request):
        if request.method not in ("GET", "POST"):
            return error_response(405, "invalid_request", "GET or POST")
        challenge = 'Bearer resource_metadata="%s/.well-known/oauth-protected-resource/mcp"' % STATE["issuer"]
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            bump("mcp_unauthorized")
            return json_response({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": challenge})
        at = (AccessToken.objects.select_related("application")
              .filter(token_checksum=checksum(auth[7:].strip())).first())
        ok = at is not None and not at.is_expired() and (not at.resource or STATE["resource"] in at.resource)
        if not ok:
            bump("mcp_unauthorized")
            return json_response({"error": "invalid_token"}, status=401,
                                 headers={"WWW-Authenticate": challenge + ', error="invalid_token"'})
        bump("mcp_ok")
        return json_response({"ok": True, "scope": at.scope,
                              "client_id": at.application.client_id if at.application else None})

    def ensure_application(client_id, confidential):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        user, created = User.objects.get_or_create(username=TEST_USERNAME)
        if created:
            user.set_unusable_password()
            user.save()
        wanted_type = Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC
        app = Application.objects.filter(client_id=client_id).first()
        if app is None:
            app = Application(
                client_id=client_id,
                name="TokenVault test client %s" % client_id,
                user=user,
                redirect_uris="http://127.0.0.1/callback",
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                hash_client_secret=False,  # fixture: /test/seed must return the plaintext secret
                skip_authorization=True,  # no consent screen: the fixture has no templates
            )
        changed = app.pk is None or app.client_type != wanted_type
        app.client_type = wanted_type
        if confidential:
            if not app.client_secret or app.hash_client_secret or app._client_secret_is_hashed(app.client_secret):
                app.client_secret = secrets.token_urlsafe(32)
                app.hash_client_secret = False
                changed = True
        elif app.client_secret:
            app.client_secret = ""
            changed = True
        if changed:
            app.save()
        return app, user

    @csrf_exempt
    def seed(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        try:
            data = read_json(request)
            client_id = str(data.get("client_id") or DEFAULT_CLIENT_ID)
            confidential = bool(data.get("confidential", False))
            lifetime = data.get("access_lifetime")
            lifetime = STATE["access_lifetime"] if lifetime is None else int(lifetime)
            scope = str(data.get("scope") or "read")
            bind_resource = bool(data.get("bind_resource", False))
        except (ValueError, TypeError) as e:
            return error_response(400, "invalid_request", str(e))
        from django.db import transaction

        with WRITE_LOCK, transaction.atomic():
            app, user = ensure_application(client_id, confidential)
            resource = [STATE["resource"]] if bind_resource else []
            at = AccessToken(user=user, application=app, scope=scope, resource=resource,
                             expires=timezone.now() + _dt.timedelta(seconds=lifetime))
            at_value = generate_token()
            set_token_value(at, at_value)
            at.save()
            rt = RefreshToken(user=user, application=app, access_token=at, token_family=uuid.uuid4(),
                              resource=resource)
            rt_value = generate_token()
            set_token_value(rt, rt_value)
            rt.save()
        out = {
            "access_token": at_value,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
            "refresh_token": rt_value,
            "client_id": app.client_id,
        }
        if confidential:
            out["client_secret"] = app.client_secret
        out.update({"token_endpoint": token_endpoint_url(), "issuer": STATE["issuer"],
                    "resource": STATE["resource"]})
        return json_response(out)

    @csrf_exempt
    def introspect(request):
        log_param_names(request, "/o/introspect/")
        return dot_introspect_view(request)

    @csrf_exempt
    def resource_server(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        try:
            client_id = str(read_json(request).get("client_id") or RESOURCE_SERVER_CLIENT_ID)
        except ValueError as e:
            return error_response(400, "invalid_request", str(e))
        from django.db import transaction

        with WRITE_LOCK, transaction.atomic():
            app, _ = ensure_application(client_id, confidential=True)
        return json_response({"client_id": app.client_id, "client_secret": app.client_secret,
                              "introspection_endpoint": STATE["issuer"] + "/o/introspect/"})

    def stats(request):
        return json_response(read_stats())

    @csrf_exempt
    def stats_reset(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        from django.db import connection, transaction

        with WRITE_LOCK, transaction.atomic():
            with connection.cursor() as c:
                c.execute("DELETE FROM tokenvault_test_stats")
                c.execute("DELETE FROM tokenvault_test_kv WHERE name = 'last_token_request'")
        return json_response(read_stats())

    def find_refresh_token(value):
        # Same preference as DOT: the live row first, else the most recently revoked.
        from django.db.models import F

        return (RefreshToken.objects.filter(token_checksum=checksum(value))
                .order_by(F("revoked").desc(nulls_first=True)).first())

    @csrf_exempt
    def expire(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        try:
            data = read_json(request)
        except ValueError as e:
            return error_response(400, "invalid_request", str(e))
        with WRITE_LOCK:
            at = None
            if data.get("access_token"):
                at = AccessToken.objects.filter(token_checksum=checksum(str(data["access_token"]))).first()
            elif data.get("refresh_token"):
                rt = find_refresh_token(str(data["refresh_token"]))
                at = rt.access_token if rt is not None else None
            else:
                return error_response(400, "invalid_request", "access_token or refresh_token required")
            if at is None:
                return json_response({"ok": False, "error": "not_found"}, status=404)
            at.expires = timezone.now() - _dt.timedelta(seconds=60)
            at.save(update_fields=["expires", "updated"])
        return json_response({"ok": True})

    def token_status(request):
        rt_value = request.GET.get("refresh_token")
        at_value = request.GET.get("access_token")
        if rt_value:
            rt = find_refresh_token(rt_value)
            if rt is None:
                return json_response({"exists": False, "revoked": False, "family_live": 0, "family_size": 0})
            fam = RefreshToken.objects.filter(token_family=rt.token_family) if rt.token_family else \
                RefreshToken.objects.filter(pk=rt.pk)
            return json_response({
                "exists": True,
                "revoked": rt.revoked is not None,
                "family_live": fam.filter(revoked__isnull=True).count(),
                "family_size": fam.count(),
            })
        if at_value:
            at = AccessToken.objects.filter(token_checksum=checksum(at_value)).first()
            return json_response({"exists": at is not None, "expired": bool(at and at.is_expired())})
        return error_response(400, "invalid_request", "refresh_token or access_token query parameter required")

    @csrf_exempt
    def fail_next(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        try:
            data = read_json(request)
            count = int(data.get("count", 1))
            spec = {"status": int(data.get("status", 503)),
                    "error": str(data.get("error") or "temporarily_unavailable"),
                    "retry_after": data.get("retry_after")}
        except (ValueError, TypeError) as e:
            return error_response(400, "invalid_request", str(e))
        with WRITE_LOCK:
            STATE["fail_next"] = [dict(spec) for _ in range(max(count, 0))]
        return json_response({"ok": True, "pending": len(STATE["fail_next"])})

    @csrf_exempt
    def delay(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        try:
            ms = max(int(read_json(request).get("delay_ms", 0)), 0)
        except (ValueError, TypeError) as e:
            return error_response(400, "invalid_request", str(e))
        STATE["delay_ms"] = ms
        return json_response({"ok": True, "delay_ms": ms})

    def signed_in(request):
        """The fixture's stand-in for a login session: the X-Test-User header names the user."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import AnonymousUser

        if request.META.get("HTTP_X_TEST_USER") != TEST_USERNAME:
            return AnonymousUser()
        with WRITE_LOCK:
            user, created = get_user_model().objects.get_or_create(username=TEST_USERNAME)
            if created:
                user.set_unusable_password()
                user.save()
        return user

    @csrf_exempt
    def authorize(request):
        request.user = signed_in(request)
        log_param_names(request, "/o/authorize/")
        with WRITE_LOCK:
            return dot_authorize_view(request)

    @csrf_exempt
    def register(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        if STATE["refuse_registration"]:
            return error_response(400, STATE["refuse_registration"], "registration refused by /test/registration")
        try:
            data = json.loads(request.body.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            redirect_uris = [str(u) for u in data.get("redirect_uris") or []]
            grant_types = data.get("grant_types") or ["authorization_code"]
            method = data.get("token_endpoint_auth_method", "client_secret_basic")
        except (ValueError, UnicodeDecodeError) as e:
            return error_response(400, "invalid_client_metadata", str(e))
        if not redirect_uris:
            return error_response(400, "invalid_redirect_uri", "redirect_uris is required")
        if method != "none" or "authorization_code" not in grant_types:
            return error_response(400, "invalid_client_metadata", "only public authorization_code clients")
        with WRITE_LOCK:
            app = Application(
                name=str(data.get("client_name") or "registered client"),
                client_type=Application.CLIENT_PUBLIC,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                redirect_uris=" ".join(redirect_uris),
                client_secret="",
                skip_authorization=True,
            )
            app.save()
            bump("registrations")
        return json_response({
            "client_id": app.client_id,
            "client_id_issued_at": int(time.time()),
            "client_name": app.name,
            "redirect_uris": redirect_uris,
            "grant_types": grant_types,
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }, status=201)

    @csrf_exempt
    def registration_control(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        STATE["refuse_registration"] = read_json(request).get("refuse") or None
        return json_response({"ok": True, "refuse": STATE["refuse_registration"]})

    @csrf_exempt
    def metadata_control(request):
        if request.method != "POST":
            return error_response(405, "invalid_request", "POST only")
        data = read_json(request)
        methods = data.get("code_challenge_methods")
        STATE["code_challenge_methods"] = ["S256"] if methods is None else list(methods)
        STATE["advertise_registration"] = data.get("registration", True) is not False
        return json_response({"ok": True})

    return {
        "authorize": authorize, "register": register, "registration_control": registration_control,
        "metadata_control": metadata_control,
        "token": token, "revoke": revoke, "as_metadata": as_metadata, "pr_metadata": pr_metadata,
        "mcp": mcp, "seed": seed, "stats": stats, "stats_reset": stats_reset, "expire": expire,
        "token_status": token_status, "fail_next": fail_next, "delay": delay,
        "introspect": introspect, "resource_server": resource_server,
    }


def install_urls(urls_module):
    from django.urls import path

    v = make_views()
    urls_module.urlpatterns = [
        path("o/token/", v["token"]),
        path("o/token", v["token"]),
        path("o/authorize/", v["authorize"]),
        path("o/register/", v["register"]),
        path("test/registration", v["registration_control"]),
        path("test/metadata", v["metadata_control"]),
        path("o/revoke_token/", v["revoke"]),
        path("o/revoke_token", v["revoke"]),
        path("o/introspect/", v["introspect"]),
        path("o/introspect", v["introspect"]),
        path("test/resource-server", v["resource_server"]),
        path(".well-known/oauth-authorization-server", v["as_metadata"]),
        path(".well-known/oauth-protected-resource", v["pr_metadata"]),
        path(".well-known/oauth-protected-resource/mcp", v["pr_metadata"]),
        path("mcp", v["mcp"]),
        path("mcp/", v["mcp"]),
        path("test/seed", v["seed"]),
        path("test/stats", v["stats"]),
        path("test/stats/reset", v["stats_reset"]),
        path("test/expire", v["expire"]),
        path("test/token-status", v["token_status"]),
        path("test/fail-next", v["fail_next"]),
        path("test/delay", v["delay"]),
    ]


# --------------------------------------------------------------------------- serving

class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if STATE["verbose"]:
            # The request line has the path and query; the query of /test/token-status
            # carries a token, which is allowed in verbose mode only.
            sys.stderr.write("oauth-server: %s - %s\n" % (self.address_string(), format % args))


def main(argv=None):
    # A parent that spawns us from a thread with signals blocked (Swift's Foundation.Process
    # from a Dispatch worker does) passes that mask on; without this SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    args = parse_args(sys.argv[1:] if argv is None else argv)
    STATE["verbose"] = args.verbose
    STATE["access_lifetime"] = args.access_lifetime

    urls = configure_django(args)
    migrate_if_needed()
    install_urls(urls)

    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    app = get_wsgi_application()
    server = ThreadingWSGIServer(("127.0.0.1", args.port), QuietHandler)
    server.set_app(app)
    port = server.server_address[1]
    STATE["port"] = port
    STATE["issuer"] = "http://127.0.0.1:%d" % port
    STATE["resource"] = STATE["issuer"] + "/mcp"

    stopping = threading.Event()

    def stop(*_):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.watch_parent:
        parent = os.getppid()

        def watch():
            while not stopping.is_set():
                if os.getppid() != parent:
                    stop()
                    return
                time.sleep(0.5)

        threading.Thread(target=watch, daemon=True).start()

    sys.stdout.write("READY %d\n" % port)
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        # Let an in-flight token request finish its transaction before we go.
        got = WRITE_LOCK.acquire(timeout=10)
        try:
            server.server_close()
            connections.close_all()
        finally:
            if got:
                WRITE_LOCK.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
