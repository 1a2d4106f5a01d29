#!/usr/bin/env python3
"""Writes the vault test vectors in Tests/TokenVaultTests/Vectors/, from SECURITY.md alone.

    python make_vectors.py            # (re)write the vectors and vectors.json
    python make_vectors.py --check    # exit 1 if a checked-in file differs from what this writes

Deterministic: every key and nonce is fixed (derived from a label), so running it again gives
byte-identical files. Every reader of the format runs these vectors (STYLE.md, rule 11): the Swift
library (VectorTests.swift) and the independent PyNaCl reader Tests/Interop/open_vault.py
(InteropTests.swift). The keys here are public test keys: never seal real tokens with them.

vectors.json lists, for each vector, the vault file, the keyfile that goes with it and the expected
outcome: "ok" with the generation, the key id and every member of every profile (tokens and client
secrets as 8-hex fingerprints: unkeyed BLAKE2b, digest_size=4), or a failure class of SECURITY.md,
"Reading a vault, and the errors", with the detail the reader reports (size, version, flags, key
ids, payload version).

Needs PyNaCl (Tests/Interop/requirements.txt).
"""

import argparse
import base64
import hashlib
import json
import os
import sys

import nacl.bindings

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "TokenVaultTests", "Vectors")

MAGIC = b"tokenvault"
HEADER_SIZE = 52
BLOCK_SIZE = 256
MARKER = "tvsecret"  # every test token contains it (Tests/TokenVaultTests/Support/TestSupport.swift)


# --- SECURITY.md, "Keys" and "File format" -------------------------------------------------------

def key_id(key):
    return hashlib.blake2b(b"tokenvault-key-id", key=key, digest_size=8).digest()


def key_text(key):
    return "tokenvault-key-v1:" + base64.b64encode(key).decode("ascii")


def header(key, generation, nonce, version=0x01, flags=0x00):
    data = MAGIC + bytes([version, flags]) + key_id(key) + generation.to_bytes(8, "big") + nonce
    assert len(data) == HEADER_SIZE
    return data


def seal(padded, key, generation, nonce, version=0x01, flags=0x00):
    """A vault around an already padded payload: header || crypto_secretbox_easy(padded) under the
    key derived from the vault key and all 52 header bytes."""
    head = header(key, generation, nonce, version, flags)
    sealing_key = hashlib.blake2b(head, key=key, digest_size=32).digest()
    return head + nacl.bindings.crypto_secretbox_easy(padded, nonce, sealing_key)


def pad(payload):
    return nacl.bindings.sodium_pad(payload, BLOCK_SIZE)


def fingerprint(token):
    data = token if isinstance(token, bytes) else token.encode("utf-8")
    return hashlib.blake2b(data, digest_size=4).hexdigest()


def digest(token):
    """A refresh token's digest as a profile keeps it: 16-byte unkeyed BLAKE2b, 32 lower-case hex."""
    data = token if isinstance(token, bytes) else token.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


SPENT_HISTORY_LIMIT = 16  # SECURITY.md, "Payload": spent_refresh_tokens holds at most 16


def fixed(label, size):
    """A fixed, random-looking value for a key or a nonce: the same on every run."""
    return hashlib.blake2b(b"tokenvault test vector " + label.encode("ascii"), digest_size=size).digest()


# --- The keys ------------------------------------------------------------------------------------

WORKED_EXAMPLE_KEY = bytes(range(32))  # SECURITY.md, "Worked example"
PRIMARY_KEY = fixed("key primary", 32)
SECOND_KEY = fixed("key second", 32)


def keyfile_text(*keys):
    lines = ["# PUBLIC TEST KEYS of the TokenVault test vectors: never seal real tokens with them."]
    for key in keys:
        lines += [f"# tokenvault key id {key_id(key).hex()}", key_text(key)]
    return ("\n".join(lines) + "\n").encode("ascii")


# --- Payloads ------------------------------------------------------------------------------------

MEMBERS = [  # SECURITY.md, "Payload": every member, in the order a writer writes them
    "access_token", "refresh_token", "token_type", "scope", "expires_at", "refresh_token_expires_at",
    "refresh_token_lifetime", "refresh_token_issued_at", "imported_at", "refreshed_at", "token_endpoint",
    "client_id", "client_secret", "token_endpoint_auth_method", "resource", "issuer", "reauth_required",
    "client_rejected", "last_error", "last_error_at", "failures", "retry_after", "ambiguous_spend_at",
    "rolled_back_at", "spent_refresh_tokens", "imported_refresh_token",
]
# The members tokenvault wrote before rolled_back_at, spent_refresh_tokens and imported_refresh_token
# existed. The vectors written with these (`legacy=True`) keep the files they always had: they show
# that a vault written then still reads (the three members as null, empty and null).
LEGACY_MEMBERS = MEMBERS[:MEMBERS.index("rolled_back_at")]
LEGACY_NOTE = ("; written by a writer before rolled_back_at, spent_refresh_tokens and imported_refresh_token "
               "existed: without them (read as null, [] and null), so not canonical")
SECRETS = ("access_token", "refresh_token", "client_secret")


def profile(name, **members):
    base = {
        "access_token": f"{MARKER}-vector-access-{name}", "refresh_token": f"{MARKER}-vector-refresh-{name}",
        "token_type": "Bearer", "scope": "read", "expires_at": 1893456000, "refresh_token_expires_at": None,
        "refresh_token_lifetime": None, "refresh_token_issued_at": 1700000000, "imported_at": 1700000000,
        "refreshed_at": None, "token_endpoint": "https://auth.example.com/oauth/token",
        "client_id": f"client-{name}", "client_secret": None, "token_endpoint_auth_method": "none",
        "resource": "https://mcp.example.com/mcp", "issuer": "https://auth.example.com",
        "reauth_required": False, "client_rejected": False, "last_error": None, "last_error_at": None,
        "failures": 0, "retry_after": None, "ambiguous_spend_at": None,
        "rolled_back_at": None, "spent_refresh_tokens": [], "imported_refresh_token": None,
    }
    assert set(members) <= set(base), set(members) - set(base)
    base.update(members)
    return {member: base[member] for member in MEMBERS}


def written_members(profile, legacy=False):
    """The members a writer writes, in order: all of them, or with `legacy` only LEGACY_MEMBERS."""
    return {member: profile[member] for member in (LEGACY_MEMBERS if legacy else MEMBERS)}


def write_payload(profiles, version=1, legacy=False):
    """As tokenvault writes: no whitespace, members in order, profiles sorted by name, only `"`,
    `\\` and control characters escaped (json.dumps with ensure_ascii=False does exactly that).
    `legacy`: as a tokenvault wrote before the last three members existed."""
    document = {"version": version,
                "profiles": {name: written_members(profiles[name], legacy) for name in sorted(profiles)}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_string(value):
    r"""A JSON string as tokenvault writes one (SECURITY.md, "How tokenvault writes"): the bytes as
    they are, except `"` and `\` (a backslash before them), `\n`, `\r`, `\t`, and every other
    byte below 0x20 as `\u00xx` with lower-case hex. `value` is text or, for a token, bytes."""
    data = value if isinstance(value, bytes) else value.encode("utf-8")
    out = bytearray(b'"')
    for byte in data:
        if byte in b'"\\':
            out += b"\\" + bytes([byte])
        elif byte in b"\n\r\t":
            out += {0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t"}[byte]
        elif byte < 0x20:
            out += b"\\u00%02x" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


def json_scalar(value):
    if value is None:
        return b"null"
    if value is True or value is False:
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, list):
        return b"[" + b",".join(json_scalar(element) for element in value) + b"]"
    return json_string(value)


def canonical_payload(profiles, raw=None, legacy=False):
    """The payload exactly as tokenvault writes it: profiles sorted by the bytes of their UTF-8
    names, members in order, no whitespace. `raw` replaces the JSON text of some members:
    {(profile, member): b"text"}, for vectors of what other writers may write. `legacy`: as a
    tokenvault wrote before the last three members existed (only LEGACY_MEMBERS)."""
    raw = raw or {}
    out = bytearray(b'{"version":1,"profiles":{')
    for index, name in enumerate(sorted(profiles, key=lambda name: name.encode("utf-8"))):
        if index:
            out += b","
        out += json_string(name) + b":{"
        out += b",".join(json_string(member) + b":" + raw.get((name, member), json_scalar(profiles[name][member]))
                         for member in (LEGACY_MEMBERS if legacy else MEMBERS))
        out += b"}"
    return bytes(out + b"}}")


READONLY = profile("readonly")
ADMIN = profile(
    "admin",
    access_token=f'{MARKER}-vector-access-admin-"quoted"\\back\\slash-\u00e9-\U0001F600-\u00fc',
    refresh_token=f"{MARKER}-vector-refresh-admin/line\nbreak\ttab",
    scope="read write caf\u00e9 \u65e5\u672c",
    expires_at=1800000000, refresh_token_expires_at=1802592000, refresh_token_lifetime=2592000,
    refresh_token_issued_at=1750000000, imported_at=1700000000, refreshed_at=1750000000,
    client_secret=f"{MARKER}-vector-client-secret-admin-\u65e5\u672c",
    token_endpoint_auth_method="client_secret_post",
    issuer="https://auth.example.com/z\u00fcrich",
    reauth_required=True, last_error='invalid_grant: "refresh token revoked"\nby Z\u00fcrich admin',
    last_error_at=1750003600, failures=3, retry_after=1750007200, ambiguous_spend_at=1750003500,
)

# The two-profile payload written by hand so that its strings use JSON escapes a tokenvault writer
# never produces (\/, \uXXXX, a surrogate pair) next to raw UTF-8 and the escapes it does write.
# Checked below to parse to exactly READONLY and ADMIN.
TWO_PROFILES_PAYLOAD = (
    '{"version":1,"profiles":{'
    '"admin":{'
    r'"access_token":"tvsecret-vector-access-admin-\"quoted\"\\back\\slash-\u00e9-\ud83d\ude00-ü",'
    r'"refresh_token":"tvsecret-vector-refresh-admin\/line\nbreak\ttab",'
    '"token_type":"Bearer",'
    r'"scope":"read write caf\u00e9 日本",'
    '"expires_at":1800000000,"refresh_token_expires_at":1802592000,"refresh_token_lifetime":2592000,'
    '"refresh_token_issued_at":1750000000,"imported_at":1700000000,"refreshed_at":1750000000,'
    r'"token_endpoint":"https:\/\/auth.example.com\/oauth\/token",'
    '"client_id":"client-admin",'
    r'"client_secret":"tvsecret-vector-client-secret-admin-\u65e5\u672c",'
    '"token_endpoint_auth_method":"client_secret_post",'
    '"resource":"https://mcp.example.com/mcp",'
    '"issuer":"https://auth.example.com/zürich",'
    '"reauth_required":true,"client_rejected":false,'
    r'"last_error":"invalid_grant: \"refresh token revoked\"\nby Z\u00fcrich admin",'
    '"last_error_at":1750003600,"failures":3,"retry_after":1750007200,"ambiguous_spend_at":1750003500},'
    '"readonly":' + json.dumps(written_members(READONLY, legacy=True), ensure_ascii=False, separators=(",", ":")) +
    '}}'
).encode("utf-8")
assert json.loads(TWO_PROFILES_PAYLOAD) == {
    "version": 1, "profiles": {"admin": written_members(ADMIN, legacy=True), "readonly": written_members(READONLY, legacy=True)}}
assert b"\\/" in TWO_PROFILES_PAYLOAD and b"\\ud83d\\ude00" in TWO_PROFILES_PAYLOAD
assert "日本".encode("utf-8") in TWO_PROFILES_PAYLOAD


# --- Expectations --------------------------------------------------------------------------------

def expected_profile(members):
    """Every member as a reader should see it; secrets only as fingerprints (empty = absent)."""
    expected = {}
    for member in MEMBERS:
        value = members[member]
        if member in SECRETS:
            expected[member + "_fingerprint"] = fingerprint(value) if value else None
        else:
            expected[member] = value
    return expected


def ok(key, keyfile_keys, generation, profiles, canonical=False):
    """`canonical`: the payload is exactly what tokenvault writes for these profiles, so a
    writer that re-encodes what it read must give the same bytes."""
    expect = {
        "outcome": "ok", "generation": generation, "key_id": key_id(key).hex(),
        "sealed_with_first_key": key == keyfile_keys[0],
        "profiles": {name: expected_profile(profiles[name]) for name in sorted(profiles)},
    }
    if canonical:
        expect["canonical_payload"] = True
    return expect


# --- The vectors ---------------------------------------------------------------------------------

def build():
    files = {}
    vectors = []

    def add(name, description, vault_name, data, keyfile, expect):
        if vault_name in files:
            assert files[vault_name] == data, vault_name
        files[vault_name] = data
        vectors.append({"name": name, "description": description, "file": vault_name, "keyfile": keyfile,
                        "expect": expect})

    files["worked-example.key"] = keyfile_text(WORKED_EXAMPLE_KEY)
    files["primary.key"] = keyfile_text(PRIMARY_KEY)
    files["two-keys.key"] = keyfile_text(PRIMARY_KEY, SECOND_KEY)
    primary_only = [key_id(PRIMARY_KEY).hex()]

    # Good vaults.
    example = seal(pad(b'{"version":1,"profiles":{}}'), WORKED_EXAMPLE_KEY, 1, bytes(24))
    # The numbers SECURITY.md gives for its worked example.
    assert key_id(WORKED_EXAMPLE_KEY).hex() == "c2379de0d1a7cfe4"
    assert hashlib.blake2b(example[:52], key=WORKED_EXAMPLE_KEY, digest_size=32).hexdigest() == \
        "5290b4258dedf9328da23303cf3f178ab7a9e3ac19028c49f8de948d535d15cd"
    assert len(example) == 324 and example[52:68].hex() == "d2a0677c035e69cecd21179c6c3752ab"
    assert hashlib.sha256(example).hexdigest() == "b0d30686af21eaf1063104174e6861fed1fa953172e4b141d37b76add05ae0f3"
    add("worked-example", "SECURITY.md's worked example: an empty vault, key 00..1f, generation 1, all-zero nonce",
        "worked-example.vault", example, "worked-example.key",
        ok(WORKED_EXAMPLE_KEY, [WORKED_EXAMPLE_KEY], 1, {}, canonical=True))

    two = seal(pad(TWO_PROFILES_PAYLOAD), PRIMARY_KEY, 7, fixed("nonce two-profiles", 24))
    add("two-profiles", "profiles readonly and admin; strings with JSON escapes (\\\", \\\\, \\/, \\n, \\t, \\u00e9, "
        "a surrogate pair) and raw UTF-8; every nullable member set in admin" + LEGACY_NOTE,
        "two-profiles.vault", two, "primary.key",
        ok(PRIMARY_KEY, [PRIMARY_KEY], 7, {"readonly": READONLY, "admin": ADMIN}))

    second_profiles = {"readonly": profile("readonly", access_token=f"{MARKER}-vector-access-readonly-old-key")}
    assert write_payload(second_profiles, legacy=True) == canonical_payload(second_profiles, legacy=True)
    second = seal(pad(write_payload(second_profiles, legacy=True)), SECOND_KEY, 3, fixed("nonce second-key", 24))
    add("second-key", "sealed with the second key of a two-key keyfile (after a rotation, before re-sealing)"
        + LEGACY_NOTE, "second-key.vault", second, "two-keys.key",
        ok(SECOND_KEY, [PRIMARY_KEY, SECOND_KEY], 3, second_profiles))

    # A payload whose length is a multiple of 256 gets a whole block of padding (768 -> 1024 bytes).
    for name, legacy in (("full-block-padding", True), ("full-block-padding-current", False)):
        filler = profile("full", access_token="")
        filler["access_token"] = MARKER + "-" + "x" * (
            768 - len(write_payload({"full": filler}, legacy=legacy)) - len(MARKER) - 1)
        full_payload = write_payload({"full": filler}, legacy=legacy)
        assert len(full_payload) == 768 and full_payload == canonical_payload({"full": filler}, legacy=legacy)
        nonce = fixed("nonce full-block" if legacy else "nonce " + name, 24)
        full = seal(pad(full_payload), PRIMARY_KEY, 2, nonce)
        assert len(full) == 52 + 16 + 1024
        add(name, "a payload of exactly 768 bytes, padded with a whole fourth block (1092-byte file)"
            + (LEGACY_NOTE if legacy else ""), name + ".vault", full, "primary.key",
            ok(PRIMARY_KEY, [PRIMARY_KEY], 2, {"full": filler}, canonical=not legacy))

    # Broken vaults, in the reading order of SECURITY.md, "Reading a vault, and the errors".
    plaintext = json.dumps({"access_token": f"{MARKER}-vector-plaintext", "token_type": "Bearer",
                            "expires_in": 3600}, separators=(",", ":")).encode("ascii")
    add("not-a-vault", "an old plaintext token file given as the vault (check 1)",
        "not-a-vault.vault", plaintext, "primary.key", {"outcome": "not-a-vault"})
    add("not-a-vault-empty", "an empty file (check 1: shorter than the magic is not a vault)",
        "empty.vault", b"", "primary.key", {"outcome": "not-a-vault"})
    add("truncated-header", "cut after 11 bytes: magic and version but no flags byte (check 2)",
        "truncated-header.vault", two[:11], "primary.key", {"outcome": "truncated", "size": 11})
    add("truncated-box", "the worked example less its last byte: smaller than the smallest vault (check 5)",
        "truncated-box.vault", example[:-1], "worked-example.key", {"outcome": "truncated", "size": 323})

    future = seal(pad(write_payload({"readonly": READONLY}, legacy=True)), PRIMARY_KEY, 1, fixed("nonce version-2", 24),
                  version=0x02)
    add("unsupported-version", "format version byte 0x02, otherwise sealed correctly (a reader that ignored the "
        "version would open it) (check 3)",
        "unsupported-version.vault", future, "primary.key", {"outcome": "unsupported-version", "version": 2})
    add("unsupported-version-short", "format version 0x02 in a 100-byte file: the version is told before the size "
        "(check 3 before check 5)",
        "unsupported-version-short.vault", future[:100], "primary.key", {"outcome": "unsupported-version", "version": 2})
    flagged = seal(pad(write_payload({"readonly": READONLY}, legacy=True)), PRIMARY_KEY, 1, fixed("nonce flags", 24),
                   flags=0x01)
    add("unknown-flags", "flags byte 0x01, otherwise sealed correctly (a reader that ignored flags would open it) "
        "(check 4)",
        "unknown-flags.vault", flagged, "primary.key", {"outcome": "unknown-flags", "flags": 1})
    add("bad-length", "the two-profile vault with one byte appended (check 6)",
        "bad-length.vault", two + b"\x00", "primary.key", {"outcome": "bad-length", "size": len(two) + 1})
    add("wrong-key", "the second-key vault opened with only the primary key (check 7)",
        "second-key.vault", second, "primary.key",
        {"outcome": "wrong-key", "key_id": key_id(SECOND_KEY).hex(), "available": primary_only})

    damaged = bytearray(two)
    damaged[-1] ^= 0x01
    add("tampered", "the two-profile vault with the last ciphertext byte flipped (check 8)",
        "tampered.vault", bytes(damaged), "primary.key", {"outcome": "tampered"})
    rolled = bytearray(two)
    rolled[20:28] = (6).to_bytes(8, "big")
    add("tampered-generation", "the two-profile vault with its clear-text generation edited from 7 to 6: the header "
        "is authenticated (check 8)",
        "tampered-generation.vault", bytes(rolled), "primary.key", {"outcome": "tampered"})

    unpadded = b'{"version":1,"profiles":{}}'
    unpadded += bytes(BLOCK_SIZE - len(unpadded))  # zeros but no 0x80
    add("bad-padding", "sealed correctly, but the payload is zero-filled to 256 bytes with no 0x80 marker (check 9)",
        "bad-padding.vault", seal(unpadded, PRIMARY_KEY, 1, fixed("nonce bad-padding", 24)), "primary.key",
        {"outcome": "bad-padding"})
    cut_json = write_payload({"readonly": READONLY}, legacy=True)[:-40]
    add("bad-payload", "sealed and padded correctly, but the JSON is cut short (check 10)",
        "bad-payload.vault", seal(pad(cut_json), PRIMARY_KEY, 1, fixed("nonce bad-payload", 24)), "primary.key",
        {"outcome": "bad-payload"})
    version_text = write_payload({"readonly": READONLY}, legacy=True) \
        .replace(b'{"version":1,', b'{"version":"1",', 1)
    assert json.loads(version_text)["version"] == "1"
    add("bad-payload-version-string", 'payload version written as the string "1": the version must be a JSON number '
        "(check 11)",
        "bad-payload-version-string.vault", seal(pad(version_text), PRIMARY_KEY, 1, fixed("nonce version-string", 24)),
        "primary.key", {"outcome": "bad-payload"})
    later = write_payload({"readonly": READONLY}, version=2, legacy=True)
    add("unsupported-payload-version", "payload version 2 with profiles shaped like version 1 ones (check 11)",
        "unsupported-payload-version.vault", seal(pad(later), PRIMARY_KEY, 1, fixed("nonce payload-2", 24)),
        "primary.key", {"outcome": "unsupported-payload-version", "payload_version": 2})
    # "profiles" comes first and its profile has neither token_endpoint nor client_id: a reader that
    # checked the profiles before the version would call this malformed.
    later_shape = json.dumps({
        "profiles": {"readonly": {"tokens": {"access": f"{MARKER}-vector-access-v2", "refresh": f"{MARKER}-vector-refresh-v2"},
                                  "client": {"id": "client-readonly", "endpoint": "https://auth.example.com/oauth/token"}}},
        "version": 2,
    }, separators=(",", ":")).encode("ascii")
    add("unsupported-payload-version-other-profiles", "payload version 2, written after profiles that are not shaped "
        "like version 1 ones: the version is checked before the profiles (check 11 before check 12)",
        "unsupported-payload-version-other-profiles.vault",
        seal(pad(later_shape), PRIMARY_KEY, 1, fixed("nonce payload-2-shape", 24)),
        "primary.key", {"outcome": "unsupported-payload-version", "payload_version": 2})
    no_profiles = b'{"version":1}'
    add("bad-payload-no-profiles", 'payload version 1 without a "profiles" member (check 12)',
        "bad-payload-no-profiles.vault", seal(pad(no_profiles), PRIMARY_KEY, 1, fixed("nonce no-profiles", 24)),
        "primary.key", {"outcome": "bad-payload"})

    # The rules of SECURITY.md, "Payload", one vector each (or a table of them).
    def sealed(label, payload, generation=1):
        return seal(pad(payload), PRIMARY_KEY, generation, fixed("nonce " + label, 24))

    def good(name, description, profiles, payload=None, generation=1, canonical=False, legacy=False):
        """`legacy`: the payload (given, or written for `profiles`) lacks the last three members, as
        before they existed; such a vector is never canonical."""
        assert not (legacy and canonical)
        newer = {member: value for member, value in profile("x").items() if member not in LEGACY_MEMBERS}
        assert not legacy or all(members[member] == value for members in profiles.values()
                                 for member, value in newer.items()), "a legacy payload cannot hold the newer members"
        payload = payload or canonical_payload(profiles, legacy=legacy)
        add(name, description + (LEGACY_NOTE if legacy else ""), name + ".vault", sealed(name, payload, generation),
            "primary.key", ok(PRIMARY_KEY, [PRIMARY_KEY], generation, profiles, canonical=canonical))

    def good_then_and_now(name, description, profiles, generation=1):
        """A vector that was canonical before the last three members existed, kept as it was (`name`),
        and the same profiles as tokenvault writes them now (`name`-current, canonical)."""
        good(name, description, profiles, generation=generation, legacy=True)
        good(name + "-current", description + "; every member, as tokenvault writes them now", profiles,
             generation=generation, canonical=True)

    ordered = {name: profile(name) for name in ("a", "_b", "a-b", "a.b", "a0", "B", "Z", "-z", "9", "a_")}
    order_payload = canonical_payload(ordered, legacy=True)
    names_written = [name for name in ordered]
    assert order_payload.index(b'"-z":') < order_payload.index(b'"9":') < order_payload.index(b'"B":') \
        < order_payload.index(b'"_b":') < order_payload.index(b'"a":') < order_payload.index(b'"a-b":') \
        < order_payload.index(b'"a.b":') < order_payload.index(b'"a0":') < order_payload.index(b'"a_":'), names_written
    good_then_and_now("profile-order", "profiles sorted by the bytes of their names: - 9 B Z _b a a-b a.b a0 a_ "
                      "(written as tokenvault writes them)", ordered)

    controls = profile("controls", last_error="bell\x07 backspace\x08 formfeed\x0c unit\x1f delete\x7f "
                       "tab\t quote\" backslash\\ \u00e9")
    lower = canonical_payload({"controls": controls}, legacy=True)
    assert b"\\u0007" in lower and b"\\u0008" in lower and b"\\u000c" in lower and b"\\u001f" in lower
    assert b"\x7f" in lower and b"\\t" in lower
    good_then_and_now("escapes-lowercase", "control characters as tokenvault writes them: \\u00xx with lower-case "
                      "hex, except \\n \\r \\t; DEL and non-ASCII as they are", {"controls": controls})
    upper = lower.replace(b"\\u000c", b"\\f").replace(b"\\u0008", b"\\b").replace(b"\\u001f", b"\\u001F") \
        .replace(b"\\u0007", b"\\u0007").replace(b"\\t", b"\\u0009").replace("\u00e9".encode("utf-8"), b"\\u00E9")
    assert upper != lower and json.loads(upper) == json.loads(lower)
    good("escapes-uppercase", "the same string as escapes-lowercase written by another writer: \\u00E9 and "
         "\\u001F in upper-case hex, \\b, \\f, \\u0009: read as the same bytes", {"controls": controls}, payload=upper,
         legacy=True)

    # Integers: exact from the decimal text, a fraction truncated toward zero, a string only when it
    # is written like a JSON integer; any other string counts as absent.
    numbers = profile("numbers", expires_at=1800000000, refresh_token_expires_at=1802592000,
                      refresh_token_lifetime=0, refreshed_at=1750000000, failures=9007199254740993,
                      retry_after=253402300799, imported_at=0, refresh_token_issued_at=0)
    strings = profile("strings", expires_at=None, refresh_token_expires_at=None, refreshed_at=None,
                      last_error_at=None, retry_after=None, ambiguous_spend_at=None, imported_at=1700000000,
                      refresh_token_issued_at=1700000000, failures=0)
    integer_text = {
        ("numbers", "expires_at"): b'"1800000000"',        # a string holding a JSON integer
        ("numbers", "refresh_token_expires_at"): b"1802592000.999",  # fraction truncated
        ("numbers", "refresh_token_lifetime"): b"-0.5",    # truncated toward zero: 0
        ("numbers", "refreshed_at"): b"1750000000.0",
        ("numbers", "failures"): b"9007199254740993.5",    # a double would make it ...992
        ("numbers", "retry_after"): b'"253402300799"',     # the last second of 9999
        ("numbers", "imported_at"): b"-0",
        ("numbers", "refresh_token_issued_at"): b'"0"',
        ("strings", "expires_at"): b'"0x10"',              # strings not written like a JSON integer
        ("strings", "refresh_token_expires_at"): b'" 5"',  # count as absent
        ("strings", "refreshed_at"): b'"+5"',
        ("strings", "last_error_at"): b'".5"',
        ("strings", "retry_after"): b'"1e3"',
        ("strings", "ambiguous_spend_at"): b'"007"',
        ("strings", "failures"): b'"3.0"',
    }
    good("integer-forms", "integers: exact from the decimal text (no rounding through a double), a fraction "
         "truncated toward zero, a string only when written like a JSON integer (\"0x10\", \" 5\", \"+5\", \".5\", "
         "\"1e3\", \"007\", \"3.0\" count as absent)", {"numbers": numbers, "strings": strings},
         payload=canonical_payload({"numbers": numbers, "strings": strings}, raw=integer_text, legacy=True),
         legacy=True)

    opaque = profile("opaque", access_token=MARKER.encode() + b"-opaque-access-\xff\xfe\xc3(",
                     refresh_token=MARKER.encode() + b"-opaque-refresh-\xed\xa0\x80-\xc0\xaf",
                     client_secret=MARKER.encode() + b"-opaque-secret-\x80", token_endpoint_auth_method="client_secret_basic")
    good_then_and_now("opaque-token-bytes", "tokens and the client secret are opaque bytes: not UTF-8 (\\xff, a "
                      "CESU surrogate, an overlong /) and kept as they are", {"opaque": opaque})

    good_then_and_now("time-bounds", "times at both ends of their range: 0 (1970-01-01) and 253402300799 (9999-12-31 "
         "23:59:59 UTC)", {"bounds": profile("bounds", expires_at=0, refresh_token_expires_at=253402300799,
                                            refresh_token_lifetime=253402300799, imported_at=0,
                                            refresh_token_issued_at=253402300799)})
    good("generation-last", "generation 2^64-1, the last one: it opens; no writer may write another",
         {"readonly": READONLY}, generation=(1 << 64) - 1, legacy=True)

    # Malformed payloads: the profile is shaped like a good one but for one member or its name.
    def malformed(name, description, profiles, raw=None, payload=None, legacy=False):
        add(name, description, name + ".vault", sealed(name, payload or canonical_payload(profiles, raw, legacy)),
            "primary.key", {"outcome": "bad-payload"})

    for label, member, text, why in [
        ("time-before-1970", "expires_at", b"-1", "a time before 1970"),
        ("time-after-9999", "refresh_token_expires_at", b"253402300800", "a time after 9999"),
        ("time-int64-min", "last_error_at", b"-9223372036854775808", "a time of -2^63"),
        ("integer-too-large", "retry_after", b"9223372036854775808", "a number that does not fit 64 signed bits"),
        ("time-int64-max-string", "ambiguous_spend_at", b'"9223372036854775807"', "a time of 2^63-1, as a string"),
        ("lifetime-too-long", "refresh_token_lifetime", b"9223372036854775807", "a lifetime beyond the time range"),
        ("failures-negative", "failures", b"-1", "a negative failure count"),
        ("exponent", "imported_at", b"1.7e9", "a number with an exponent"),
        ("leading-zero", "expires_at", b"01800000000", "a number with a leading zero (not JSON)"),
    ]:
        malformed("bad-payload-" + label, f"{member} is {why}: {text.decode()}", {"readonly": READONLY},
                  raw={("readonly", member): text}, legacy=True)

    for label, name, why in [
        ("empty", "", "the empty name"), ("dotdot", "../x", "a path"), ("slash", "a/b", "a slash"),
        ("dot", ".hidden", "a leading dot"), ("long", "x" * 65, "65 characters"), ("utf8", "caf\u00e9", "non-ASCII"),
    ]:
        malformed("bad-payload-name-" + label, f"a profile name outside the rule: {why}",
                  {"readonly": READONLY, name: profile("x")}, legacy=True)

    for member in ("scope", "last_error", "client_id"):
        text = json_string(b"caf\xe9 \xff")  # Latin-1, not UTF-8
        malformed("bad-payload-utf8-" + member.replace("_", "-"), f"{member} is not valid UTF-8 (Latin-1 bytes)",
                  {"readonly": READONLY}, raw={("readonly", member): text}, legacy=True)

    # rolled_back_at, spent_refresh_tokens and imported_refresh_token (SECURITY.md, "Payload",
    # "Rollback" and "Stale copies of a chain").
    chain = [f"{MARKER}-vector-refresh-rotated-{n}" for n in range(21)]  # imported with 0, rotated 20 times
    spent = [digest(token) for token in reversed(chain[:-1])][:SPENT_HISTORY_LIMIT]  # 19 down to 4
    assert len(spent) == SPENT_HISTORY_LIMIT and spent[0] == digest(chain[19]) and spent[-1] == digest(chain[4])
    rotated = profile("rotated", refresh_token=chain[-1], refreshed_at=1750000000, refresh_token_issued_at=1750000000,
                      rolled_back_at=1750010000, spent_refresh_tokens=spent, imported_refresh_token=digest(chain[0]))
    restored = profile("restored", rolled_back_at=253402300799, spent_refresh_tokens=[digest(f"{MARKER}-vector-old")],
                       imported_refresh_token=digest(f"{MARKER}-vector-refresh-restored"))
    good("stale-chain-members", "rolled_back_at, spent_refresh_tokens (16, the most kept, most recent first) and "
         "imported_refresh_token set, as tokenvault writes them; readonly with none of them",
         {"rotated": rotated, "restored": restored, "readonly": READONLY}, canonical=True)

    conforming = [digest(f"{MARKER}-vector-refresh-lenient-{n}") for n in range(20)]
    escaped = conforming[3]
    letter = next(index for index, char in enumerate(escaped) if char in "abcdef")
    escaped_text = json_string(escaped[:letter]).rstrip(b'"') + b"\\u%04x" % ord(escaped[letter]) \
        + json_string(escaped[letter + 1:]).lstrip(b'"')
    assert json.loads(escaped_text) == escaped
    other = digest(f"{MARKER}-vector-refresh-lenient-other")
    elements = [
        json_string(conforming[0]),
        json_string(other.upper()),               # upper-case hex
        json_string(conforming[1]),
        json_string(other[:31]),                  # 31 digits
        json_string(other + "0"),                 # 33 digits
        json_string("g" + other[1:]),             # not hex
        json_string(b"\xff" * 32),                # 32 bytes, not hex and not UTF-8: ignored, not malformed
        b"12345678901234567890123456789012",      # a number
        json_string(conforming[2]),
        b"null", b"true", b"[" + json_string(other) + b"]", b'{"digest":' + json_string(other) + b"}",
        escaped_text,                             # \u0061-style escape: after unescaping, a digest
    ] + [json_string(text) for text in conforming[4:]]
    lenient = profile("lenient", spent_refresh_tokens=conforming[:SPENT_HISTORY_LIMIT])
    odd = profile("odd", rolled_back_at=1750000000)
    ignoring = {"lenient": lenient, "odd": odd, "readonly": READONLY}
    ignored_text = {
        ("lenient", "spent_refresh_tokens"): b"[" + b",".join(elements) + b"]",
        ("lenient", "imported_refresh_token"): b"12345678",             # not a string: absent
        ("odd", "rolled_back_at"): b'"1750000000"',                    # an integer string, as for any time
        ("odd", "spent_refresh_tokens"): json_string(other),           # not an array: empty
        ("odd", "imported_refresh_token"): json_string(other.upper()),  # not lower-case hex: absent
        ("readonly", "imported_refresh_token"): json_string(b"\xfe" * 32),  # not UTF-8: absent, not malformed
    }
    good("stale-chain-members-ignored", "spent_refresh_tokens elements that are not 32 lower-case hex digits (upper "
         "case, 31 and 33 digits, a non-hex letter, 32 bytes not UTF-8, a number, null, true, an array, an "
         "object) are ignored, an escaped one is read after unescaping, and of the 20 that conform the first 16 "
         "are kept; a "
         "spent_refresh_tokens that is not an array is empty; an imported_refresh_token that is a number, an "
         "upper-case hex string or 32 bytes not UTF-8 counts as absent (digests are not text)",
         ignoring, payload=canonical_payload(ignoring, raw=ignored_text))

    for label, text, why in [("after-9999", b"253402300800", "a time after 9999"),
                             ("before-1970", b"-1", "a time before 1970")]:
        malformed("bad-payload-rolled-back-" + label, f"rolled_back_at is {why}: {text.decode()}",
                  {"readonly": READONLY}, raw={("readonly", "rolled_back_at"): text})

    manifest = {
        "comment": "Written by Tests/Interop/make_vectors.py; do not edit by hand. Keys are public test keys. "
                   "Copy a vector and its keyfile to a private folder with mode 0600 before opening them: "
                   "git does not keep file modes.",
        "format_version": 1,
        "vectors": vectors,
    }
    files["vectors.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the checked-in files instead of writing")
    parser.add_argument("--output", default=VECTORS, help="the vectors folder (default: %(default)s)")
    arguments = parser.parse_args()
    files = build()
    if arguments.check:
        differ = []
        for name, data in sorted(files.items()):
            try:
                with open(os.path.join(arguments.output, name), "rb") as handle:
                    if handle.read() != data:
                        differ.append(name)
            except FileNotFoundError:
                differ.append(name)
        for name in differ:
            print(f"make_vectors: {name} differs from what make_vectors.py writes", file=sys.stderr)
        return 1 if differ else 0
    os.makedirs(arguments.output, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(arguments.output, name), "wb") as handle:
            handle.write(data)
    print(f"make_vectors: wrote {len(files)} files to {os.path.normpath(arguments.output)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
