#!/usr/bin/env python3
"""An independent reader of the TokenVault vault format, version 1.

Written from SECURITY.md ("File format" and "Keys") alone, not from the Swift code, so that
running it against vaults the Swift code wrote checks the code against the spec.

    python open_vault.py --keyfile KEYFILE VAULT

On success prints the opened, unpadded payload JSON to stdout, byte for byte, followed by a
newline, and exits 0. On failure prints one line to stderr,

    open_vault: error: <class>: <detail>

and exits 2. The classes follow the reading order of SECURITY.md:

    not-a-vault, truncated, unsupported-version, unknown-flags, bad-length, wrong-key,
    tampered, bad-padding, bad-payload, unsupported-payload-version

plus bad-key (the keyfile is unusable) and io-error (a file cannot be read). A wrong command
line exits 64.

File permissions are not checked: they are tokenvault's policy, not part of the format, and
test vectors checked into git do not keep mode 0600.
"""

import argparse
import base64
import binascii
import json
import math
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


def as_integer(value):
    """An integer member; SECURITY.md lets readers take a numeric string or a fraction too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


def check_payload(payload, path):
    """Checks 10 and 11 of "Reading a vault": JSON shape, then the payload version."""
    def malformed(reason):
        return VaultFailure("bad-payload", f"{path} opened but its payload is malformed: {reason}")

    try:
        document = json.loads(payload.decode("utf-8", errors="surrogateescape"))
    except ValueError as error:
        raise malformed(f"not JSON ({error})") from None
    if not isinstance(document, dict):
        raise malformed("not a JSON object")
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise malformed('"profiles" is not an object')
    for name, profile in profiles.items():
        if not isinstance(profile, dict):
            raise malformed(f"profile {name!r} is not an object")
        for required in ("token_endpoint", "client_id"):
            if not isinstance(profile.get(required), str):
                raise malformed(f"profile {name!r} has no {required} string")
    if "version" not in document:
        raise malformed("no version")
    version = as_integer(document["version"])
    if version != PAYLOAD_VERSION:
        raise VaultFailure(
            "unsupported-payload-version",
            f"{path} holds payload version {document['version']!r}; this reader reads {PAYLOAD_VERSION}",
        )


def open_vault(data, keys, path):
    """The reading order of SECURITY.md, "Reading a vault, and the errors"; the padded box
    opened, unpadded and checked. Returns the payload bytes."""
    size = len(data)
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
    header = data[:HEADER_SIZE]
    box = data[HEADER_SIZE:]
    vault_key_id = header[KEY_ID_RANGE]
    # 7. key id
    matching = [key for key in keys if key_id(key) == vault_key_id]
    if not matching:
        given = ", ".join(key_id(key).hex() for key in keys)
        raise VaultFailure(
            "wrong-key", f"{path} was sealed with key id {vault_key_id.hex()}; the keys given have id {given}"
        )
    # 8. sealing key from all 52 header bytes, then the box (tag first) with the header's nonce
    subkey = sealing_key(matching[0], header)
    try:
        padded = nacl.bindings.crypto_secretbox_open(box, header[NONCE_RANGE], subkey)
    except nacl.exceptions.CryptoError:
        raise VaultFailure("tampered", f"{path} does not verify with the right key: corrupted or tampered with") from None
    # 9. ISO/IEC 7816-4 padding to a multiple of 256
    try:
        payload = nacl.bindings.sodium_unpad(padded, BLOCK_SIZE)
    except nacl.exceptions.CryptoError:
        raise VaultFailure("bad-padding", f"{path} opened but its padding is malformed") from None
    # 10, 11. JSON shape, payload version
    check_payload(payload, path)
    return payload


class Arguments(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"open_vault: error: usage: {message}", file=sys.stderr)
        sys.exit(64)


def main(argv=None):
    parser = Arguments(prog="open_vault.py", description="Open a TokenVault vault (format version 1) and print its payload JSON.")
    parser.add_argument("--keyfile", required=True, help="a keyfile: one key a line, every key is tried by its id")
    parser.add_argument("vault", help="the vault file")
    arguments = parser.parse_args(argv)
    try:
        keys = read_keyfile(arguments.keyfile)
        try:
            with open(arguments.vault, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise VaultFailure("io-error", f"cannot read {arguments.vault}: {error.strerror}") from None
        payload = open_vault(data, keys, arguments.vault)
    except VaultFailure as failure:
        print(f"open_vault: error: {failure.failure_class}: {failure.detail}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(payload + b"\n")
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
