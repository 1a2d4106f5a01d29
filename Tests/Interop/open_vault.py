#!/usr/bin/env python3
"""An independent reader of the TokenVault vault format, version 1.

Written from SECURITY.md ("File format" and "Keys") alone, not from the Swift code, so that
running it against vaults the Swift code wrote checks the code against the spec.

    python open_vault.py --keyfile KEYFILE VAULT
    python open_vault.py --members --keyfile KEYFILE VAULT

On success prints the opened, unpadded payload JSON to stdout, byte for byte, followed by a
newline, and exits 0. With --members it prints instead what a reader makes of the vault: the
generation, the key id and every member of every profile as SECURITY.md says to read it
(defaults applied, integers as integers, tokens and the client secret as 8-hex fingerprints:
unkeyed BLAKE2b, digest_size=4), in the form of Tests/TokenVaultTests/Vectors/vectors.json. On failure prints one line to stderr,

    open_vault: error: <class>: <detail>

and exits 2. The classes follow the reading order of SECURITY.md:

    not-a-vault, truncated, unsupported-version, unknown-flags, bad-length, too-large,
    wrong-key, tampered, bad-padding, bad-payload, unsupported-payload-version

plus bad-key (the keyfile is unusable) and io-error (a file cannot be read). A wrong command
line exits 64.

File permissions are not checked: they are tokenvault's policy, not part of the format, and
test vectors checked into git do not keep mode 0600.
"""

import argparse
import base64
import binascii
import json
import os
import sys

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash

# SECURITY.md, "Header".
MAGIC = b"tokenvault"
FORMAT_VERSION = 0x01
HEADER_SIZE = 52
KEY_ID_RANGE = slice(12, 20)
GENERATION_RANGE = slice(20, 28)
NONCE_RANGE = slice(28, 52)
TAG_SIZE = 16
BLOCK_SIZE = 256
MAXIMUM_SIZE = 64 * 1024 * 1024
PAYLOAD_VERSION = 1

# SECURITY.md, "Keys".
KEY_PREFIX = b"tokenvault-key-v1:"
KEY_SIZE = 32
KEY_ID_LABEL = b"tokenvault-key-id"
KEY_FILE_LIMIT = 64 * 1024


class VaultFailure(Exception):
    def __init__(self, failure_class, detail):
        super().__init__(detail)
        self.failure_class = failure_class
        self.detail = detail


def keyed_blake2b(message, key, digest_size):
    """Plain keyed BLAKE2b (crypto_generichash): no salt, no personalisation."""
    return nacl.hash.blake2b(
        message, digest_size=digest_size, key=key, encoder=nacl.encoding.RawEncoder
    )


def key_id(key):
    return keyed_blake2b(KEY_ID_LABEL, key, 8)


def sealing_key(key, header):
    return keyed_blake2b(header, key, 32)


def decode_key(text, source, line_number):
    """The text form: prefix, then strict standard base64 with padding of exactly 32 bytes."""
    def refuse(reason):
        return VaultFailure("bad-key", f"line {line_number} of {source}: {reason}")

    if not text.startswith(KEY_PREFIX):
        raise refuse("does not start with tokenvault-key-v1:")
    encoded = text[len(KEY_PREFIX):]
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise refuse("is not standard base64 with padding") from None
    if len(key) != KEY_SIZE:
        raise refuse(f"holds {len(key)} bytes, not {KEY_SIZE}")
    if base64.b64encode(key) != encoded:
        # Non-zero unused bits in the last character: the spec refuses the non-canonical form.
        raise refuse("is not canonical base64")
    return key


def read_keyfile(path):
    """One key a line; blanks (space, tab, CR) around a line ignored; blank and # lines skipped."""
    try:
        with open(path, "rb") as handle:
            text = handle.read(KEY_FILE_LIMIT + 1)
    except OSError as error:
        raise VaultFailure("io-error", f"cannot read keyfile {path}: {error.strerror}") from None
    if len(text) > KEY_FILE_LIMIT:
        raise VaultFailure("bad-key", f"{path} is larger than {KEY_FILE_LIMIT} bytes")
    keys = []
    for number, line in enumerate(text.split(b"\n"), start=1):
        line = line.strip(b" \t\r")
        if not line or line.startswith(b"#"):
            continue
        keys.append(decode_key(line, path, number))
    if not keys:
        raise VaultFailure("bad-key", f"{path} holds no key")
    return keys


# SECURITY.md, "How tokenvault reads" (under "Payload"): the JSON the payload may hold.
MAXIMUM_DEPTH = 64
WHITESPACE = b" \t\n\r"
DIGITS = b"0123456789"
HEX_DIGITS = b"0123456789abcdefABCDEF"
ESCAPES = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("f"): b"\f",
           ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t"}


class JSONNumber:
    """A JSON number, kept as its text: its value is read only where it matters (the version)."""

    def __init__(self, text):
        self.text = text


class JSONObject:
    """A JSON object as its members in order, duplicates kept; names are the unescaped bytes."""

    def __init__(self, members):
        self.members = members


class JSONSyntax(ValueError):
    pass


class JSONReader:
    """RFC 8259 JSON, with the payload's limits: at most 64 levels of nesting, no unpaired
    surrogate escape. Strings are byte strings (not checked to be UTF-8 here: only text members
    must be)."""

    def __init__(self, data):
        self.data = data
        self.position = 0

    def fail(self, reason):
        return JSONSyntax(f"{reason} at byte {self.position}")

    def skip_whitespace(self):
        while self.position < len(self.data) and self.data[self.position] in WHITESPACE:
            self.position += 1

    def document(self):
        value = self.value(0)
        self.skip_whitespace()
        if self.position != len(self.data):
            raise self.fail("trailing characters")
        return value

    def value(self, depth):
        if depth >= MAXIMUM_DEPTH:
            raise self.fail("nesting too deep")
        self.skip_whitespace()
        if self.position >= len(self.data):
            raise self.fail("unexpected end of input")
        byte = self.data[self.position]
        if byte == ord("{"):
            return self.object(depth)
        if byte == ord("["):
            return self.array(depth)
        if byte == ord('"'):
            return self.string()
        for literal, value in ((b"true", True), (b"false", False), (b"null", None)):
            if byte == literal[0]:
                if self.data[self.position:self.position + len(literal)] != literal:
                    raise self.fail("invalid literal")
                self.position += len(literal)
                return value
        if byte == ord("-") or byte in DIGITS:
            return self.number()
        raise self.fail("unexpected character")

    def expect(self, *closers):
        self.skip_whitespace()
        if self.position >= len(self.data):
            raise self.fail("unexpected end of input")
        byte = self.data[self.position]
        if byte not in closers:
            raise self.fail("expected one of " + ", ".join(repr(chr(c)) for c in closers))
        self.position += 1
        return byte

    def object(self, depth):
        self.position += 1
        members = []
        self.skip_whitespace()
        if self.position < len(self.data) and self.data[self.position] == ord("}"):
            self.position += 1
            return JSONObject(members)
        while True:
            self.skip_whitespace()
            if self.position >= len(self.data) or self.data[self.position] != ord('"'):
                raise self.fail("expected a member name")
            name = self.string()
            self.expect(ord(":"))
            members.append((name, self.value(depth + 1)))
            if self.expect(ord(","), ord("}")) == ord("}"):
                return JSONObject(members)

    def array(self, depth):
        self.position += 1
        elements = []
        self.skip_whitespace()
        if self.position < len(self.data) and self.data[self.position] == ord("]"):
            self.position += 1
            return elements
        while True:
            elements.append(self.value(depth + 1))
            if self.expect(ord(","), ord("]")) == ord("]"):
                return elements

    def digits(self):
        start = self.position
        while self.position < len(self.data) and self.data[self.position] in DIGITS:
            self.position += 1
        if self.position == start:
            raise self.fail("invalid number")

    def number(self):
        start = self.position
        if self.data[self.position] == ord("-"):
            self.position += 1
        if self.data[self.position:self.position + 1] == b"0":
            self.position += 1
            if self.position < len(self.data) and self.data[self.position] in DIGITS:
                raise self.fail("leading zero in a number")
        else:
            self.digits()
        if self.position < len(self.data) and self.data[self.position] == ord("."):
            self.position += 1
            self.digits()
        if self.position < len(self.data) and self.data[self.position] in b"eE":
            self.position += 1
            if self.position < len(self.data) and self.data[self.position] in b"+-":
                self.position += 1
            self.digits()
        return JSONNumber(self.data[start:self.position].decode("ascii"))

    def hex4(self):
        text = self.data[self.position:self.position + 4]
        if len(text) != 4 or any(byte not in HEX_DIGITS for byte in text):
            raise self.fail("invalid \\u escape")
        self.position += 4
        return int(text, 16)

    def string(self):
        self.position += 1
        out = bytearray()
        while self.position < len(self.data):
            byte = self.data[self.position]
            self.position += 1
            if byte == ord('"'):
                return bytes(out)
            if byte < 0x20:
                raise self.fail("control character in string")
            if byte != ord("\\"):
                out.append(byte)
                continue
            if self.position >= len(self.data):
                break
            escaped = self.data[self.position]
            self.position += 1
            if escaped in ESCAPES:
                out += ESCAPES[escaped]
            elif escaped == ord("u"):
                scalar = self.hex4()
                if 0xD800 <= scalar < 0xDC00:
                    if self.data[self.position:self.position + 2] != b"\\u":
                        raise self.fail("unpaired surrogate")
                    self.position += 2
                    low = self.hex4()
                    if not 0xDC00 <= low < 0xE000:
                        raise self.fail("unpaired surrogate")
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                elif 0xDC00 <= scalar < 0xE000:
                    raise self.fail("unpaired surrogate")
                out += chr(scalar).encode("utf-8")
            else:
                raise self.fail("invalid escape")
        raise self.fail("unterminated string")


INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
LAST_TIME = 253402300799  # 9999-12-31 23:59:59 UTC


def integer_text(text, fraction_allowed):
    """SECURITY.md, "Integers": the integer part, exactly, any fraction truncated toward zero; an
    exponent, or a value outside 64 signed bits, is no integer (None). A string must be written
    like a JSON integer: -?(0|[1-9][0-9]*)."""
    whole, dot, fraction = text.partition(".")
    digits = whole[1:] if whole.startswith("-") else whole
    if not digits or not all(c in "0123456789" for c in digits) or (len(digits) > 1 and digits[0] == "0"):
        return None
    if dot and (not fraction_allowed or not fraction or not all(c in "0123456789" for c in fraction)):
        return None
    value = int(whole)
    return value if INT64_MIN <= value <= INT64_MAX else None


def number_value(number):
    """The integer a JSON number stands for, or None."""
    return integer_text(number.text, fraction_allowed=True)


def member_name(name):
    return name.decode("utf-8", errors="replace")


SECRETS = (b"access_token", b"refresh_token", b"client_secret")
TEXTS = (b"token_type", b"scope", b"token_endpoint", b"client_id", b"token_endpoint_auth_method", b"resource",
         b"issuer", b"last_error")
TIMES = (b"expires_at", b"refresh_token_expires_at", b"refresh_token_issued_at", b"imported_at", b"refreshed_at",
         b"last_error_at", b"retry_after", b"ambiguous_spend_at", b"rolled_back_at")
RANGES = {**{time: (0, LAST_TIME) for time in TIMES}, b"refresh_token_lifetime": (0, LAST_TIME),
          b"failures": (0, INT64_MAX)}
FLAGS = (b"reauth_required", b"client_rejected")
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
DIGEST_DIGITS = 32  # a refresh-token digest: 16 bytes of unkeyed BLAKE2b as lower-case hex
SPENT_HISTORY_LIMIT = 16


def token_digest(value):
    """A digest member or element: a string of exactly 32 of 0-9 a-f (after unescaping), else None."""
    if isinstance(value, bytes) and len(value) == DIGEST_DIGITS and all(byte in b"0123456789abcdef" for byte in value):
        return value.decode("ascii")
    return None


def valid_profile_name(name):
    """1 to 64 bytes of A-Z a-z 0-9 - _ ., not starting with '.'."""
    allowed = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    return 1 <= len(name) <= 64 and all(byte in allowed for byte in name) and not name.startswith(b".")


def fingerprint(token):
    return nacl.hash.blake2b(token, digest_size=4, encoder=nacl.encoding.HexEncoder).decode("ascii")


def read_profile(name, profile, malformed):
    """One profile as SECURITY.md says to read it: {member: value}, secrets as fingerprints."""
    label = name.decode("ascii")
    if not isinstance(profile, JSONObject):
        raise malformed(f"profile {label!r} is not an object")
    members = dict(profile.members)  # the last of a repeated member counts
    read = {}
    for member in SECRETS:
        value = members.get(member)
        token = value if isinstance(value, bytes) and value else None
        read[member.decode() + "_fingerprint"] = fingerprint(token) if token is not None else None
    for member in TEXTS:
        value = members.get(member)
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise malformed(f"profile {label!r}: {member.decode()} is not UTF-8") from None
        read[member.decode()] = value if isinstance(value, str) else None
    for member, (low, high) in RANGES.items():
        value = members.get(member)
        if isinstance(value, JSONNumber):
            number = number_value(value)
        elif isinstance(value, bytes):
            number = integer_text(value.decode("ascii", errors="replace"), fraction_allowed=False)
            if number is None:
                read[member.decode()] = None  # a string not written like an integer counts as absent
                continue
        else:
            read[member.decode()] = None
            continue
        if number is None or not low <= number <= high:
            raise malformed(f"profile {label!r}: {member.decode()} is not an integer from {low} to {high}")
        read[member.decode()] = number
    for member in FLAGS:
        read[member.decode()] = members.get(member) is True
    # Digests: elements that are not digests are ignored, and of those that are the first 16 kept;
    # anything but an array is empty, anything but a digest string an absent imported_refresh_token.
    spent = members.get(b"spent_refresh_tokens")
    digests = [token_digest(element) for element in spent] if isinstance(spent, list) else []
    read["spent_refresh_tokens"] = [digest for digest in digests if digest is not None][:SPENT_HISTORY_LIMIT]
    read["imported_refresh_token"] = token_digest(members.get(b"imported_refresh_token"))
    for required in ("token_endpoint", "client_id"):
        if read[required] is None:
            raise malformed(f"profile {label!r} has no {required} string")
    read["token_type"] = read["token_type"] if read["token_type"] is not None else "Bearer"
    if read["imported_at"] is None:
        read["imported_at"] = 0
    if read["refresh_token_issued_at"] is None:
        read["refresh_token_issued_at"] = read["imported_at"]
    if read["failures"] is None:
        read["failures"] = 0
    if read["token_endpoint_auth_method"] not in AUTH_METHODS:
        has_secret = read["client_secret_fingerprint"] is not None
        read["token_endpoint_auth_method"] = "client_secret_basic" if has_secret else "none"
    return read


def read_payload(payload, path):
    """Checks 11 to 13 of "Reading a vault": JSON, the payload version, then the profiles; returns
    the profiles as read."""
    def malformed(reason):
        return VaultFailure("bad-payload", f"{path} opened but its payload is malformed: {reason}")

    try:
        document = JSONReader(payload).document()
    except JSONSyntax as error:
        raise malformed(f"not JSON ({error})") from None
    if not isinstance(document, JSONObject):
        raise malformed("not a JSON object")
    # 12. The version decides how the rest reads: it is checked before anything else.
    version = None
    has_version = False
    profiles = None
    for name, value in document.members:  # the last of duplicate members counts
        if name == b"version":
            if not isinstance(value, JSONNumber):
                raise malformed("version is not a number")
            has_version = True
            version = number_value(value)
        elif name == b"profiles":
            profiles = value
    if version is None:
        raise malformed("no version" if not has_version else "version is not a 64-bit integer")
    if version != PAYLOAD_VERSION:
        raise VaultFailure(
            "unsupported-payload-version", f"{path} holds payload version {version}; this reader reads {PAYLOAD_VERSION}"
        )
    # 13. The profiles, each one (a repeated profile name is checked every time it occurs).
    if not isinstance(profiles, JSONObject):
        raise malformed('"profiles" is missing or not an object')
    read = {}
    for index, (name, profile) in enumerate(profiles.members):
        if not valid_profile_name(name):
            raise malformed(f"profile name number {index + 1} is not 1-64 of A-Z a-z 0-9 - _ . not starting with '.'")
        read[name.decode("ascii")] = read_profile(name, profile, malformed)
    return read


def read_vault_file(path):
    """The file's bytes, but only once its size from fstat passes checks 1 to 6 of "Reading a
    vault" and the size limit: a sparse or huge file is refused before it is read."""
    try:
        with open(path, "rb") as handle:
            prefix = handle.read(12)
            check_frame(prefix, os.fstat(handle.fileno()).st_size, path)
            handle.seek(0)
            return handle.read(MAXIMUM_SIZE + 1)
    except OSError as error:
        raise VaultFailure("io-error", f"cannot read {path}: {error.strerror}") from None


def check_frame(data, size, path):
    """Checks 1 to 6 and the size limit, from the first 12 bytes and the file's size."""
    # 1. magic
    if size < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise VaultFailure("not-a-vault", f"{path} is not a tokenvault vault")
    # 2. room for version and flags
    if size < 12:
        raise VaultFailure("truncated", f"{path} is truncated ({size} bytes)")
    # 3. format version
    if data[10] != FORMAT_VERSION:
        raise VaultFailure(
            "unsupported-version", f"{path} has format version {data[10]}; this reader reads {FORMAT_VERSION}"
        )
    # 4. flags
    if data[11] != 0:
        raise VaultFailure("unknown-flags", f"{path} has header flags 0x{data[11]:02x}")
    # 5. smallest vault
    if size < HEADER_SIZE + TAG_SIZE + BLOCK_SIZE:
        raise VaultFailure("truncated", f"{path} is truncated ({size} bytes)")
    # 6. whole padding blocks
    if (size - HEADER_SIZE - TAG_SIZE) % BLOCK_SIZE != 0:
        raise VaultFailure("bad-length", f"{path} is {size} bytes, not 52 + 16 + a multiple of 256")
    # 7. at most 64 MiB
    if size > MAXIMUM_SIZE:
        raise VaultFailure("too-large", f"{path} is {size} bytes, more than a vault may be ({MAXIMUM_SIZE})")


def open_vault(data, keys, path):
    """The reading order of SECURITY.md, "Reading a vault, and the errors"; the padded box
    opened, unpadded and read. Returns the payload bytes and the profiles as read."""
    check_frame(data, len(data), path)
    header = data[:HEADER_SIZE]
    box = data[HEADER_SIZE:]
    vault_key_id = header[KEY_ID_RANGE]
    # 8. key id
    matching = [key for key in keys if key_id(key) == vault_key_id]
    if not matching:
        given = ", ".join(key_id(key).hex() for key in keys)
        raise VaultFailure(
            "wrong-key", f"{path} was sealed with key id {vault_key_id.hex()}; the keys given have id {given}"
        )
    # 9. sealing key from all 52 header bytes, then the box (tag first) with the header's nonce
    subkey = sealing_key(matching[0], header)
    try:
        padded = nacl.bindings.crypto_secretbox_open(box, header[NONCE_RANGE], subkey)
    except nacl.exceptions.CryptoError:
        raise VaultFailure("tampered", f"{path} does not verify with the right key: corrupted or tampered with") from None
    # 10. ISO/IEC 7816-4 padding to a multiple of 256
    try:
        payload = nacl.bindings.sodium_unpad(padded, BLOCK_SIZE)
    except nacl.exceptions.CryptoError:
        raise VaultFailure("bad-padding", f"{path} opened but its padding is malformed") from None
    # 11, 12, 13. JSON, payload version, profiles
    return payload, read_payload(payload, path)


class Arguments(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"open_vault: error: usage: {message}", file=sys.stderr)
        sys.exit(64)


def main(argv=None):
    parser = Arguments(prog="open_vault.py", description="Open a TokenVault vault (format version 1) and print its payload JSON.")
    parser.add_argument("--keyfile", required=True, help="a keyfile: one key a line, every key is tried by its id")
    parser.add_argument("--members", action="store_true", help="print the profiles as read, not the payload")
    parser.add_argument("vault", help="the vault file")
    arguments = parser.parse_args(argv)
    try:
        keys = read_keyfile(arguments.keyfile)
        data = read_vault_file(arguments.vault)
        payload, profiles = open_vault(data, keys, arguments.vault)
    except VaultFailure as failure:
        print(f"open_vault: error: {failure.failure_class}: {failure.detail}", file=sys.stderr)
        return 2
    if arguments.members:
        header = data[:HEADER_SIZE]
        payload = json.dumps({
            "generation": int.from_bytes(header[GENERATION_RANGE], "big"), "key_id": header[KEY_ID_RANGE].hex(),
            "profiles": profiles,
        }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sys.stdout.buffer.write(payload + b"\n")
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
