"""A stand-in for a person's browser during `tokenvault login`, signed in to the test
authorization server (Tests/OAuthServer/server.py) as its test user.

usage: browser.py MODE REPORT URL

URL is the private page tokenvault hands a browser (a 0600 file that sends it on; in mode
print, the address itself). It opens the authorization address with the header
X-Test-User: tokenvault-test-user, the fixture's login session, takes the redirect the server
answers with and, depending on MODE, goes on to the redirect target (tokenvault's loopback
listener) as a browser would:

  allow        follow the redirect as it is
  deny         press "Deny": POST the authorization form without allow, follow the error redirect
  wrong-state  follow the redirect with another state
  no-code      follow the redirect without its code
  bad-code     follow the redirect with the code altered
  twice        follow the redirect, then the same address again (a reloaded tab)
  idle         do nothing (a person who never signs in)
  trickle      connect to the listener first and send a request line a byte every half second
  print        print the redirect target on stdout instead of following it (--no-browser)

Each request to the loopback listener is appended to REPORT as one JSON line:
{"status": 200, "body": "..."} or {"error": "connection refused"}.
"""
import json, sys, urllib.error, urllib.parse, urllib.request

mode, report, url = sys.argv[1], sys.argv[2], sys.argv[3]
if mode != "print" and not url.startswith("/"):
    # What tokenvault starts as the browser must never see the address on its command line.
    with open(report, "a") as out:
        out.write(json.dumps({"error": "the authorization address was on the browser's command line"}) + "\n")
    raise SystemExit("the authorization address was on the browser's command line")
if url.startswith("/"):
    # tokenvault hands the browser a private page that sends it on (its command line, readable
    # by every user, never holds the address): read it as a browser would.
    import html, os, re, stat
    info = os.stat(url)
    if stat.S_IMODE(info.st_mode) != 0o600 or stat.S_IMODE(os.stat(os.path.dirname(url)).st_mode) != 0o700:
        raise SystemExit("the sign-in page is not private: %o in %o" % (stat.S_IMODE(info.st_mode), stat.S_IMODE(os.stat(os.path.dirname(url)).st_mode)))
    with open(url) as page:
        url = html.unescape(re.search(r'http-equiv="refresh" content="0; url=([^"]*)"', page.read()).group(1))
USER = {"X-Test-User": "tokenvault-test-user"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))


def give_up(problem):
    with open(report, "a") as out:
        out.write(json.dumps({"error": "authorization server: " + problem}) + "\n")
    raise SystemExit(problem)


def location(request):
    try:
        response = opener.open(request, timeout=20)
        give_up("answered %d instead of a redirect" % response.status)
    except urllib.error.HTTPError as answer:
        if answer.code not in (301, 302, 303, 307):
            give_up("answered %d: %s" % (answer.code, answer.read()[:300]))
        target = answer.headers["Location"]
        if not target.startswith("http://127.0.0.1:") or "/callback" not in target:
            give_up("redirected to %s, not to the loopback listener" % target)
        return target


def visit(target):
    try:
        response = opener.open(urllib.request.Request(target), timeout=20)
        entry = {"status": response.status, "body": response.read().decode()}
    except urllib.error.HTTPError as answer:
        entry = {"status": answer.code, "body": answer.read().decode()}
    except (urllib.error.URLError, ConnectionError) as failure:
        entry = {"error": str(getattr(failure, "reason", failure))}
    with open(report, "a") as out:
        out.write(json.dumps(entry) + "\n")


def with_query(target, change):
    parts = urllib.parse.urlsplit(target)
    query = dict(urllib.parse.parse_qsl(parts.query))
    change(query)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


if mode == "idle":
    sys.exit(0)
if mode == "trickle":
    # A local client that connects to the listener first and sends its request line one byte at a
    # time, never finishing it, for up to two minutes.
    import socket, time
    callback = urllib.parse.urlsplit(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"])
    connection = socket.create_connection((callback.hostname, callback.port))
    try:
        for byte in ("GET /callback?" + "x" * 200).encode():
            connection.send(bytes([byte]))
            time.sleep(0.5)
    except OSError:
        pass
    sys.exit(0)
if mode == "deny":
    parts = urllib.parse.urlsplit(url)
    form = urllib.parse.urlencode(urllib.parse.parse_qsl(parts.query)).encode()
    target = location(urllib.request.Request(urllib.parse.urlunsplit(parts._replace(query="")), data=form, headers=USER))
else:
    target = location(urllib.request.Request(url, headers=USER))
if mode == "print":
    print(target)
    sys.exit(0)
if mode == "wrong-state":
    target = with_query(target, lambda q: q.update(state="not-" + q.get("state", "")))
elif mode == "no-code":
    target = with_query(target, lambda q: q.pop("code", None))
elif mode == "bad-code":
    target = with_query(target, lambda q: q.update(code=q["code"][::-1]))
visit(target)
if mode == "twice":
    visit(target)
