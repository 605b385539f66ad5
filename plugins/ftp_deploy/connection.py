"""FTP connections: verified TLS, session reuse on data connections, retries that reconnect."""

from __future__ import annotations

import contextlib
import ftplib
import queue
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from .settings import DeploySettings

T = TypeVar("T")

# 452/552: the server is out of space. Retrying cannot help, whatever the reply class says.
OUT_OF_SPACE = ("452", "552")


class DeployError(Exception):
    """A failure that retrying will not fix; the message is one line for the user."""


class RemembersTransferType:
    """Skips TYPE commands that would not change the transfer type.

    ftplib sends TYPE before every transfer, so a deploy of many small files paid one
    extra round trip per file for nothing.
    """

    _transfer_type: str | None = None

    def _typed(self, send: Callable[[str], str], cmd: str) -> str:
        if cmd.startswith("TYPE "):
            if cmd == self._transfer_type:
                return "200 Type unchanged."
            self._transfer_type = None
            reply = send(cmd)
            self._transfer_type = cmd
            return reply
        return send(cmd)

    def sendcmd(self, cmd: str) -> str:
        return self._typed(super().sendcmd, cmd)

    def voidcmd(self, cmd: str) -> str:
        return self._typed(super().voidcmd, cmd)


def no_delay(conn: socket.socket) -> socket.socket:
    """Send small segments at once (Nagle's algorithm off).

    A data connection ends with a short segment (the TLS close_notify, or the last piece
    of a small file) that Nagle holds back until the server acknowledges the previous one,
    which a server delaying its acknowledgements does 40 ms later: with TLS, 300 small
    files took 4.0 s against 1.0 s without the wait (proftpd on 127.0.0.1).
    """
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


class PlainFTP(RemembersTransferType, ftplib.FTP):
    """Unencrypted FTP, only when FTP_TLS=off."""

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = super().ntransfercmd(cmd, rest)
        return no_delay(conn), size


class SessionReusingFTP_TLS(RemembersTransferType, ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session.

    Servers such as vsftpd (require_ssl_reuse, on by default) refuse data connections
    that start a new session, as a guard against hijacked transfers; ftplib does not
    offer the session, so its uploads fail there.
    """

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        no_delay(conn)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


class ImplicitFTP_TLS(SessionReusingFTP_TLS):
    """Implicit FTPS: TLS from the first byte (usually port 990), no AUTH command."""

    def connect(self, host: str = "", port: int = 0, timeout: float = -999, source_address=None) -> str:
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        plain = socket.create_connection((host, port), self.timeout, source_address=source_address)
        self.af = plain.family
        self.sock = self.context.wrap_socket(plain, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def reply_code(error: BaseException) -> str:
    return str(error)[:3]


# Real servers disagree on reply codes: proftpd answers "no such file" with 450, a code
# that claims to be temporary, vsftpd and pure-ftpd with 550. So replies are read for
# their meaning where the code does not tell.
REPLIES = (ftplib.error_reply, ftplib.error_temp, ftplib.error_perm)  # a reply that is not success
NOT_THERE = re.compile(r"no such file|not found|does not exist|doesn't exist|can't check for file existence", re.I)
NEEDS_TLS = re.compile(r"tls|ssl|cleartext|encrypt", re.I)
NEVER_BETTER = re.compile(r"too long|invalid|not allowed|permission denied|prohibited|read-only", re.I)


def is_missing(error: BaseException) -> bool:
    """Whether an FTP reply says the file or folder is not there, whatever its code."""
    return isinstance(error, REPLIES) and bool(NOT_THERE.search(str(error)))


def is_transient(error: BaseException) -> bool:
    """Whether trying again on a new connection may succeed."""
    if isinstance(error, ssl.SSLCertVerificationError | DeployError):
        return False
    if isinstance(error, ftplib.error_temp):
        text = str(error)
        return reply_code(error) not in OUT_OF_SPACE and not NOT_THERE.search(text) and not NEVER_BETTER.search(text)
    if isinstance(error, ftplib.error_perm):
        return False
    if isinstance(error, ssl.SSLError) and not isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return False  # a handshake that failed once fails the same way again
    return isinstance(error, OSError | EOFError | ftplib.error_reply | ftplib.error_proto)


def describe(error: BaseException) -> str:
    """One line saying what went wrong, with a hint where we know one."""
    text = " ".join(str(error).split()) or type(error).__name__
    code = reply_code(error)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the server's certificate is not trusted ({error.verify_message}); if it is your host's "
            "own certificate, save it as PEM and set FTP_CAFILE to that file"
        )
    if code in OUT_OF_SPACE:
        return f"the server is out of space ({text})"
    if isinstance(error, TimeoutError | socket.timeout):
        return "the server did not answer in time"
    return text


def open_connection(settings: DeploySettings) -> ftplib.FTP:
    """Connect, secure and log in as `settings` says; raise DeployError where retrying cannot help."""
    where = f"{settings.host}:{settings.port}"
    if settings.tls == "off":
        ftp: ftplib.FTP = PlainFTP(timeout=settings.greeting_timeout)
    else:
        context = ssl.create_default_context(cafile=settings.cafile)
        kind = ImplicitFTP_TLS if settings.tls == "implicit" else SessionReusingFTP_TLS
        ftp = kind(context=context, timeout=settings.greeting_timeout)
    try:
        try:
            ftp.connect(settings.host, settings.port)
        except TimeoutError:
            hint = (
                "if it is an implicit-FTPS port (usually 990), set FTP_TLS=implicit"
                if settings.tls != "implicit"
                else "if it is not an implicit-FTPS port, set FTP_TLS=explicit"
            )
            raise DeployError(
                f"{where} accepted the connection but sent no FTP greeting within "
                f"{settings.greeting_timeout:g} s; {hint}"
            ) from None
        except ssl.SSLError as error:
            if isinstance(error, ssl.SSLCertVerificationError):
                raise
            raise DeployError(
                f"{where} did not start TLS ({error.reason or error}); it is not an implicit-FTPS port: "
                "set FTP_TLS=explicit (and the server's FTP port, usually 21)"
            ) from None
        ftp.sock.settimeout(settings.timeout)
        ftp.timeout = settings.timeout
        if settings.tls == "explicit":
            try:
                ftp.auth()
            except REPLIES as error:
                raise DeployError(
                    f"{where} does not offer TLS (AUTH TLS answered: {describe(error)}); "
                    "set FTP_TLS=off only if sending the password unencrypted is acceptable"
                ) from None
        try:
            ftp.login(settings.user, settings.password)
        except REPLIES as error:
            if settings.tls == "off" and NEEDS_TLS.search(str(error)):
                raise DeployError(
                    f"{where} refuses unencrypted sessions ({describe(error)}); remove FTP_TLS=off"
                ) from None
            if reply_code(error) == "530" or isinstance(error, ftplib.error_perm):
                raise DeployError(
                    f"login refused ({describe(error)}); check the user name and FTP_PASSWORD or ~/.netrc"
                ) from None
            raise
        if settings.tls != "off":
            ftp.prot_p()
    except BaseException:
        ftp.close()
        raise
    return ftp


class Remote:
    """One FTP connection that reconnects and retries transient failures with back-off."""

    def __init__(self, settings: DeploySettings, connect: Callable[[DeploySettings], ftplib.FTP] = open_connection):
        self.settings = settings
        self._connect = connect
        self._ftp: ftplib.FTP | None = None

    def run(self, what: str, operation: Callable[[ftplib.FTP], T]) -> T:
        """Run `operation` on the connection; `what` names it in the error message."""
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            try:
                if self._ftp is None:
                    self._ftp = self._connect(self.settings)
                return operation(self._ftp)
            except DeployError:
                self.close()
                raise  # already says what went wrong (a refused login, say), whatever the operation
            except Exception as error:
                self.close()
                if not is_transient(error):
                    raise DeployError(f"{what}: {describe(error)}") from error
                if attempt == attempts:
                    raise DeployError(f"{what}: {describe(error)} (gave up after {attempt} attempts)") from error
                time.sleep(self.settings.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._ftp is not None:
            try:
                self._ftp.close()
            finally:
                self._ftp = None

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.quit()

    def quit(self) -> None:
        """Say goodbye to the server if still connected, then close."""
        if self._ftp is not None:
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                self._ftp.quit()
        self.close()


class ConnectionPool:
    """Up to settings.connections connections, kept open across the phases of one deploy.

    Each upload phase used to open its own; on a server 10 ms away every login costs
    several round trips.
    """

    def __init__(self, settings: DeploySettings, first: Remote | None = None) -> None:
        self.settings = settings
        self.idle: queue.SimpleQueue[Remote] = queue.SimpleQueue()
        self.opened: list[Remote] = []
        if first is not None:
            self.idle.put(first)  # the caller's connection works too while it waits

    def run(self, jobs: Iterable[T], work: Callable[[Remote, T], None], tick: Callable[[], None] | None = None) -> None:
        """Run `work` on each job in parallel; stop at the first error and raise it.

        `tick` is called about once a second while the jobs run (the journal's checkpoints
        and the lock's refresh); an error it raises stops the jobs the same way.
        """
        jobs = list(jobs)
        if not jobs:
            return
        stop = threading.Event()

        def worker(job: T) -> None:
            if stop.is_set():
                return
            try:
                remote = self.idle.get_nowait()
            except queue.Empty:
                remote = Remote(self.settings)
                self.opened.append(remote)
            try:
                work(remote, job)
            finally:
                self.idle.put(remote)

        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=min(self.settings.connections, len(jobs))) as pool:
            futures = [pool.submit(worker, job) for job in jobs]
            pending = set(futures)
            while pending and failure is None:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                failure = next((future.exception() for future in done if future.exception()), None)
                if failure is None and pending and tick is not None:
                    try:
                        tick()
                    except BaseException as error:
                        failure = error
            if failure is not None:
                stop.set()
            wait(futures)
        if failure is not None:
            raise failure

    def close(self) -> None:
        for remote in self.opened:
            remote.quit()
