"""``access_token``: a valid access token from ``tokenvault token PROFILE``, sync and async."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence

from .errors import CannotRun, NotInstalled, Timeout, TokenVaultError, UnexpectedOutput, error_for_exit

LOG = logging.getLogger("tokenvault_client")

#: Seconds to wait for ``tokenvault token`` by default: a refresh may wait up to 60 s for another
#: process's refresh lock, then send one request to the token endpoint.
DEFAULT_TIMEOUT = 90.0

#: The longest stderr message kept in an exception (tokenvault's messages are a few lines).
MAX_MESSAGE = 4000

Command = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


class Hidden:
    """A token that shows as ``<token>`` in repr, str and tracebacks (and in error reporters
    that capture local variables); ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<token>"

    __str__ = __repr__


def _hide(rejected: str | None) -> Hidden | None:
    if rejected is None:
        return None
    if not isinstance(rejected, str) or not rejected or any(c in rejected for c in "\r\n\0"):
        raise ValueError("rejected must be the access token the server refused: one non-empty line")
    return Hidden(rejected)


def _argv(profile: str, rejected: Hidden | None, command: Command, vault: str | os.PathLike[str] | None,
          keyfile: str | os.PathLike[str] | None) -> list[str]:
    if isinstance(command, (str, os.PathLike)):
        argv = [os.fspath(command)]
    else:
        argv = [os.fspath(part) for part in command]
    argv.append("token")
    if vault is not None:
        argv += ["--vault", os.fspath(vault)]
    if keyfile is not None:
        argv += ["--keyfile", os.fspath(keyfile)]
    argv.append(profile)
    if rejected is not None:
        argv.append("--rejected")  # the token itself goes on stdin, never in argv
    return argv


def _stdin(rejected: Hidden | None) -> bytes | None:
    return None if rejected is None else (rejected.reveal() + "\n").encode("utf-8")


def _message(stderr: bytes, rejected: Hidden | None) -> str:
    text = stderr.decode("utf-8", errors="replace").strip()
    if rejected is not None and rejected.reveal() in text:  # tokenvault never prints one; never pass it on
        text = text.replace(rejected.reveal(), "[token]")
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " …"
    return text or "(no message on stderr)"


def _result(profile: str, rejected: Hidden | None, returncode: int, stdout: bytes, stderr: bytes) -> Hidden:
    if returncode != 0:
        error = error_for_exit(profile, returncode, _message(stderr, rejected))
        LOG.debug("tokenvault token %s: exit %s (%s)", profile, returncode, type(error).__name__)
        raise error
    token = Hidden(stdout.decode("utf-8", errors="replace").removesuffix("\n"))
    if not token.reveal() or any(c.isspace() for c in token.reveal()):
        # Never quote stdout: it may hold part of a token.
        raise UnexpectedOutput(profile, "exit 0 without one token line on stdout", 0)
    LOG.debug("tokenvault token %s: got a token%s", profile, " after a rejection" if rejected is not None else "")
    return token


#: The variable that names ``tokenvault agent``'s socket; when set, tokens come from the agent.
AGENT_SOCKET_VARIABLE = "TOKENVAULT_AGENT_SOCK"
#: The agent's protocol (README, "Separating the app from the key").
AGENT_PROTOCOL = "tokenvault-agent/1"
#: The longest answer line the agent sends.
AGENT_ANSWER_LIMIT = 64 * 1024 + 64


def _agent_socket(env: Mapping[str, str] | None) -> str | None:
    path = (os.environ if env is None else env).get(AGENT_SOCKET_VARIABLE)
    return path or None


def _agent_request(profile: str, rejected: Hidden | None) -> bytes:
    if rejected is None:
        return ("%s token %s\n" % (AGENT_PROTOCOL, profile)).encode("utf-8")
    return ("%s rejected %s %s\n" % (AGENT_PROTOCOL, profile, rejected.reveal())).encode("utf-8")


def _agent_unreachable(profile: str, path: str, cause: str) -> TokenVaultError:
    return error_for_exit(profile, 23, "no tokenvault agent answers on %s: %s" % (path, cause))


def _agent_answer(profile: str, path: str, answer: bytes) -> Hidden:
    if not answer.endswith(b"\n"):
        raise _agent_unreachable(profile, path, "the agent closed the connection before answering")
    line = answer[:-1].decode("utf-8", errors="replace")
    if line.startswith("ok ") and len(line) > 3 and not any(c.isspace() for c in line[3:]):
        LOG.debug("tokenvault agent %s: got a token", profile)
        return Hidden(line[3:])
    code, _, message = line.removeprefix("error ").partition(" ")
    if not line.startswith("error ") or not code.isdigit():
        raise UnexpectedOutput(profile, "the agent on %s answered something that is not %s" % (path, AGENT_PROTOCOL))
    error = error_for_exit(profile, int(code), message[:MAX_MESSAGE])
    LOG.debug("tokenvault agent %s: error %s (%s)", profile, code, type(error).__name__)
    raise error


def agent_fetch(profile: str, rejected: Hidden | None, path: str, timeout: float) -> Hidden:
    """One request to ``tokenvault agent`` at ``path``: the token, or the exception of its code."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(path)
            connection.sendall(_agent_request(profile, rejected))
            answer = b""
            while not answer.endswith(b"\n") and len(answer) < AGENT_ANSWER_LIMIT:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
    except socket.timeout:
        raise Timeout(profile, "no answer from the agent on %s within %g s" % (path, timeout)) from None
    except OSError as error:
        raise _agent_unreachable(profile, path, error.strerror or type(error).__name__) from None
    return _agent_answer(profile, path, answer)


async def async_agent_fetch(profile: str, rejected: Hidden | None, path: str, timeout: float) -> Hidden:
    """:func:`agent_fetch` for asyncio."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(path, limit=AGENT_ANSWER_LIMIT), timeout)
    except asyncio.TimeoutError:
        raise Timeout(profile, "no answer from the agent on %s within %g s" % (path, timeout)) from None
    except OSError as error:
        raise _agent_unreachable(profile, path, error.strerror or type(error).__name__) from None
    try:
        writer.write(_agent_request(profile, rejected))
        await writer.drain()
        answer = await asyncio.wait_for(reader.readline(), timeout)
    except asyncio.TimeoutError:
        raise Timeout(profile, "no answer from the agent on %s within %g s" % (path, timeout)) from None
    except (OSError, ValueError) as error:
        raise _agent_unreachable(profile, path, str(error) or type(error).__name__) from None
    finally:
        writer.close()
    return _agent_answer(profile, path, answer)


def _start_error(profile: str, argv: list[str], error: OSError) -> TokenVaultError:
    if isinstance(error, FileNotFoundError):
        return NotInstalled(profile, "%s: not found; install tokenvault or pass command=" % argv[0])
    if isinstance(error, PermissionError):
        return CannotRun(profile, "%s: cannot be run (%s)" % (argv[0], error.strerror))
    return UnexpectedOutput(profile, "%s: could not be started (%s)" % (argv[0], error.strerror))


def access_token(
    profile: str,
    rejected: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    command: Command = "tokenvault",
    vault: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """A valid access token for ``profile``, refreshed first when it is due.

    Runs ``tokenvault token PROFILE``; when TOKENVAULT_AGENT_SOCK is set (in ``env``, else in this
    process's environment), asks ``tokenvault agent`` on that socket instead (``command``,
    ``vault`` and ``keyfile`` are then not used; the exit codes are the same). After the MCP server answered 401 to a token, pass that
    token as ``rejected``: it goes to tokenvault on stdin (``--rejected``), never on the command
    line, and tokenvault returns the token another process already put in its place or refreshes
    once. Retry a request once with the new token, never in a loop.

    Args:
        profile: the vault's profile name.
        rejected: the access token the server refused, if any.
        timeout: seconds before tokenvault is killed and :class:`~tokenvault_client.errors.Timeout` raised.
        command: the ``tokenvault`` executable (a path, or an argv prefix), found on PATH by default.
        vault: ``--vault``; by default tokenvault uses TOKENVAULT_PATH or its default vault.
        keyfile: ``--keyfile``; by default TOKENVAULT_KEY, TOKENVAULT_KEYFILE or the default keyfile.
        env: the environment of tokenvault (default: this process's).

    Returns:
        The access token. It is never logged; keep it out of logs and exceptions yourself too.

    Raises:
        TokenVaultError: a subclass per documented exit code (``ReauthenticationRequired`` for exit 20,
            ``TemporarilyUnavailable`` for 23, …), ``Timeout``, or ``UnexpectedOutput``. The message is
            tokenvault's own from stderr and names the fix.
    """
    secret = _hide(rejected)
    del rejected  # from here on only the Hidden copy, which tracebacks show as <token>
    return fetch(profile, secret, timeout=timeout, command=command, vault=vault, keyfile=keyfile, env=env).reveal()


def fetch(profile: str, rejected: Hidden | None, *, timeout: float, command: Command,
          vault: str | os.PathLike[str] | None, keyfile: str | os.PathLike[str] | None,
          env: Mapping[str, str] | None) -> Hidden:
    """:func:`access_token` with the tokens kept in :class:`Hidden`."""
    agent = _agent_socket(env)
    if agent is not None:
        return agent_fetch(profile, rejected, agent, timeout)
    argv = _argv(profile, rejected, command, vault, keyfile)
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE if rejected is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env) if env is not None else None,
            close_fds=True, start_new_session=True,  # its own process group: a timeout kills all of it
        )
    except OSError as error:
        raise _start_error(profile, argv, error) from None
    with process:
        try:
            stdout, stderr = process.communicate(_stdin(rejected), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.communicate()
            raise Timeout(profile, "no answer within %g s; tokenvault was killed" % timeout) from None
        except BaseException:
            _kill_group(process.pid)
            raise
    return _result(profile, rejected, process.returncode, stdout, stderr)


async def async_access_token(
    profile: str,
    rejected: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    command: Command = "tokenvault",
    vault: str | os.PathLike[str] | None = None,
    keyfile: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """:func:`access_token` for asyncio: runs tokenvault without blocking the event loop.

    Cancelling the call kills tokenvault. Arguments, result and exceptions are those of
    :func:`access_token`.
    """
    secret = _hide(rejected)
    del rejected  # from here on only the Hidden copy, which tracebacks show as <token>
    token = await async_fetch(profile, secret, timeout=timeout, command=command, vault=vault, keyfile=keyfile,
                              env=env)
    return token.reveal()


async def async_fetch(profile: str, rejected: Hidden | None, *, timeout: float, command: Command,
                      vault: str | os.PathLike[str] | None, keyfile: str | os.PathLike[str] | None,
                      env: Mapping[str, str] | None) -> Hidden:
    """:func:`async_access_token` with the tokens kept in :class:`Hidden`."""
    agent = _agent_socket(env)
    if agent is not None:
        return await async_agent_fetch(profile, rejected, agent, timeout)
    argv = _argv(profile, rejected, command, vault, keyfile)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE if rejected is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=dict(env) if env is not None else None, start_new_session=True,
        )
    except OSError as error:
        raise _start_error(profile, argv, error) from None
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(_stdin(rejected)), timeout)
    except asyncio.TimeoutError:
        await _kill(process)
        raise Timeout(profile, "no answer within %g s; tokenvault was killed" % timeout) from None
    except BaseException:
        await _kill(process)
        raise
    assert process.returncode is not None
    return _result(profile, rejected, process.returncode, stdout, stderr)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        _kill_group(process.pid)
    await asyncio.shield(process.communicate())
