"""Unit tests of tokenvault-client against fake `tokenvault` scripts: exit codes, stdin, timeouts, logs."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import traceback
from pathlib import Path

import httpx
import httpx2
import pytest

import tokenvault_client
from tokenvault_client import (
    CannotRun,
    NotInstalled,
    ReauthenticationRequired,
    Timeout,
    TokenVaultAuth,
    TokenVaultError,
    UnexpectedOutput,
    access_token,
    async_access_token,
)
from tokenvault_client.errors import BY_EXIT_CODE

TOKEN = "tvtest-access-7f3a9c2e51d04b86"
NEW_TOKEN = "tvtest-access-after-rejection-0c4f"
README = Path(__file__).resolve().parents[3] / "README.md"


def fake_tokenvault(directory: Path, *, code: int = 0, sleep: float = 0) -> Path:
    """A stand-in `tokenvault` that records argv and stdin beside itself, then answers like the real one."""
    script = directory / "tokenvault"
    script.write_text(f"""#!/bin/sh
printf '%s\\n' "$@" > "$0.argv"
cat > "$0.stdin"
echo $$ > "$0.pid"
sleep {sleep}
if [ {code} -ne 0 ]; then
  echo "tokenvault: error: failure {code} for profile 'readonly'" >&2
  echo "tokenvault: hint: the command that fixes it" >&2
  exit {code}
fi
case " $* " in
  *" --rejected "*) echo {NEW_TOKEN} ;;
  *) echo {TOKEN} ;;
esac
""")
    script.chmod(0o700)
    return script


def exit_codes_in_readme() -> list[int]:
    lines = README.read_text().split("### Exit codes", 1)[1].split("\n\n", 2)[1].splitlines()
    return [int(line.split("|")[1]) for line in lines[2:] if line.startswith("| ")]


def test_every_documented_exit_code_but_success_has_its_own_class() -> None:
    codes = [code for code in exit_codes_in_readme() if code != 0]
    assert codes and sorted(BY_EXIT_CODE) == sorted(codes)
    assert len(set(BY_EXIT_CODE.values())) == len(codes)
    for cls in BY_EXIT_CODE.values():
        assert issubclass(cls, TokenVaultError)
        assert getattr(tokenvault_client, cls.__name__) is cls


@pytest.mark.parametrize("code", sorted(BY_EXIT_CODE))
def test_each_exit_code_raises_its_class_with_the_message(tmp_path: Path, code: int) -> None:
    script = fake_tokenvault(tmp_path, code=code)
    with pytest.raises(TokenVaultError) as raised:
        access_token("readonly", TOKEN, command=script)
    assert type(raised.value) is BY_EXIT_CODE[code]
    assert raised.value.exit_code == code
    assert raised.value.profile == "readonly"
    assert raised.value.message == ("tokenvault: error: failure %d for profile 'readonly'\n"
                                    "tokenvault: hint: the command that fixes it" % code)
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)
    assert TOKEN not in "".join(traceback.format_exception(raised.value))


def test_exit_20_is_reauthentication_required() -> None:
    assert BY_EXIT_CODE[20] is ReauthenticationRequired
    assert BY_EXIT_CODE[23] is tokenvault_client.TemporarilyUnavailable


def test_the_token_is_returned_and_the_rejected_one_goes_on_stdin(tmp_path: Path) -> None:
    script = fake_tokenvault(tmp_path)
    vault, keyfile = tmp_path / "v.vault", tmp_path / "key"
    assert access_token("readonly", command=script) == TOKEN
    assert Path(str(script) + ".argv").read_text().splitlines() == ["token", "readonly"]
    assert Path(str(script) + ".stdin").read_text() == ""
    assert access_token("readonly", TOKEN, command=script, vault=vault, keyfile=keyfile) == NEW_TOKEN
    argv = Path(str(script) + ".argv").read_text().splitlines()
    assert argv == ["token", "--vault", str(vault), "--keyfile", str(keyfile), "readonly", "--rejected"]
    assert TOKEN not in " ".join(argv)
    assert Path(str(script) + ".stdin").read_text() == TOKEN + "\n"


def test_async_access_token_matches(tmp_path: Path) -> None:
    script = fake_tokenvault(tmp_path)
    assert asyncio.run(async_access_token("readonly", command=script)) == TOKEN
    assert asyncio.run(async_access_token("readonly", TOKEN, command=script)) == NEW_TOKEN
    assert Path(str(script) + ".stdin").read_text() == TOKEN + "\n"
    failing = fake_tokenvault(tmp_path, code=20)
    with pytest.raises(ReauthenticationRequired):
        asyncio.run(async_access_token("readonly", command=failing))


def assert_killed(script: Path) -> None:
    pid = int(Path(str(script) + ".pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_slow_tokenvault_is_killed_at_the_timeout(tmp_path: Path) -> None:
    script = fake_tokenvault(tmp_path, sleep=30)
    start = time.monotonic()
    with pytest.raises(Timeout) as raised:
        access_token("readonly", command=script, timeout=0.5)
    assert time.monotonic() - start < 5
    assert raised.value.exit_code is None
    assert_killed(script)


def test_a_slow_tokenvault_is_killed_at_the_timeout_async(tmp_path: Path) -> None:
    script = fake_tokenvault(tmp_path, sleep=30)
    start = time.monotonic()
    with pytest.raises(Timeout):
        asyncio.run(async_access_token("readonly", command=script, timeout=0.5))
    assert time.monotonic() - start < 5
    assert_killed(script)


def test_a_missing_or_unrunnable_command(tmp_path: Path) -> None:
    with pytest.raises(NotInstalled):
        access_token("readonly", command=tmp_path / "no-such-tokenvault")
    plain = tmp_path / "plain"
    plain.write_text("not a program")
    plain.chmod(0o600)
    with pytest.raises(CannotRun):
        access_token("readonly", command=plain)


@pytest.mark.parametrize("code, stdout", [(99, ""), (0, ""), (0, "two words")])
def test_undocumented_outcomes(tmp_path: Path, code: int, stdout: str) -> None:
    script = tmp_path / "tokenvault"
    script.write_text("#!/bin/sh\nprintf '%%s' '%s'\nexit %d\n" % (stdout, code))
    script.chmod(0o700)
    with pytest.raises(UnexpectedOutput) as raised:
        access_token("readonly", command=script)
    assert raised.value.exit_code == code
    assert "two words" not in str(raised.value)


def test_a_rejected_token_that_is_not_one_line_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        access_token("readonly", "a\nb", command=fake_tokenvault(tmp_path))


def always_401(seen: list[str]):
    def handler(request):
        seen.append(request.headers["Authorization"])
        return (httpx2 if isinstance(request, httpx2.Request) else httpx).Response(401, headers={
            "WWW-Authenticate": 'Bearer error="invalid_token"'})
    return handler


@pytest.mark.parametrize("library", [httpx2, httpx], ids=["httpx2 (mcp 2.x)", "httpx (mcp 1.x)"])
def test_the_auth_retries_a_401_exactly_once_sync(tmp_path: Path, library) -> None:
    seen: list[str] = []
    auth = TokenVaultAuth("readonly", command=fake_tokenvault(tmp_path))
    with library.Client(auth=auth, transport=library.MockTransport(always_401(seen))) as client:
        response = client.get("http://mcp.test/mcp")
    assert response.status_code == 401
    assert seen == ["Bearer " + TOKEN, "Bearer " + NEW_TOKEN]


@pytest.mark.parametrize("library", [httpx2, httpx], ids=["httpx2 (mcp 2.x)", "httpx (mcp 1.x)"])
def test_the_auth_retries_a_401_exactly_once_async(tmp_path: Path, library) -> None:
    seen: list[str] = []
    auth = TokenVaultAuth("readonly", command=fake_tokenvault(tmp_path))

    async def main():
        async with library.AsyncClient(auth=auth, transport=library.MockTransport(always_401(seen))) as client:
            return await client.get("http://mcp.test/mcp")

    assert asyncio.run(main()).status_code == 401
    assert seen == ["Bearer " + TOKEN, "Bearer " + NEW_TOKEN]


def test_no_retry_without_a_401(tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(request):
        seen.append(request.headers["Authorization"])
        return httpx2.Response(200)

    auth = TokenVaultAuth("readonly", command=fake_tokenvault(tmp_path))
    with httpx2.Client(auth=auth, transport=httpx2.MockTransport(handler)) as client:
        assert client.get("http://mcp.test/mcp").status_code == 200
    assert seen == ["Bearer " + TOKEN]


def test_no_token_in_logs_or_exceptions(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ok = fake_tokenvault(tmp_path)
    access_token("readonly", command=ok)
    access_token("readonly", TOKEN, command=ok)
    auth = TokenVaultAuth("readonly", command=ok)
    with httpx2.Client(auth=auth, transport=httpx2.MockTransport(always_401([]))) as client:
        client.get("http://mcp.test/mcp")
    failing_dir = tmp_path / "failing"
    failing_dir.mkdir()
    failing = fake_tokenvault(failing_dir, code=20)
    with pytest.raises(ReauthenticationRequired) as raised:
        access_token("readonly", TOKEN, command=failing)
    error_text = "".join(traceback.format_exception(raised.value))
    assert "readonly" in caplog.text and "rejection" in caplog.text  # it does log, just never a token
    for secret in (TOKEN, NEW_TOKEN):
        assert secret not in caplog.text
        assert secret not in error_text
    assert TOKEN not in repr(auth)
