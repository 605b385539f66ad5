"""A real pyftpdlib server on 127.0.0.1 for deploy tests, with optional TLS and injected faults."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL._util import lib as openssl
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

# A handler of our own stops pyftpdlib from installing its stderr logger, which logs every
# command at INFO and costs the server a good part of its CPU time in benchmarks.
logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)

USER = "deployer"
PASSWORD = "correct horse battery staple"
FULL = "elradfmw"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1: (server PEM with key, CA file for clients)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server_pem, ca_file = folder / "server.pem", folder / "ca.pem"
    server_pem.write_bytes(cert_pem + key_pem)
    ca_file.write_bytes(cert_pem)
    return server_pem, ca_file


class Faults:
    """Switches that a test flips to make the server misbehave, and a count of bytes received."""

    def __init__(self) -> None:
        self.received_bytes = 0
        self.drop_after_bytes: int | None = None  # cut data connections of uploads after this many bytes
        self.drop_times = 1  # how many uploads to cut (-1: all)
        self.dropped: list[str] = []
        self.commands: Counter[str] = Counter()  # commands received, by name


def dropping(base: type[DTPHandler], faults: Faults) -> type[DTPHandler]:
    """A data handler that counts what it receives and can drop the connection part-way through a file."""

    class Dropping(base):
        def recv(self, buffer_size: int) -> bytes:
            chunk = super().recv(buffer_size)
            faults.received_bytes += len(chunk)
            limit = faults.drop_after_bytes
            if (
                limit is not None
                and self.receive
                and self.tot_bytes_received + len(chunk) >= limit
                and (faults.drop_times < 0 or len(faults.dropped) < faults.drop_times)
            ):
                faults.dropped.append(self.file_obj.name)
                raise ConnectionResetError("connection dropped by the test server")
            return chunk

    return Dropping


class SessionReuseRequired(TLS_DTPHandler):
    """Refuses TLS data connections that do not resume the control connection's session (like vsftpd)."""

    def handle_ssl_established(self) -> None:
        if not openssl.SSL_session_reused(self.socket._ssl):
            self.cmd_channel.respond("522 Data connections must reuse the control connection's TLS session.")
            self.close()


def settings_for_server(server, **overrides: object) -> dict:
    """conf.py-style FTP_DEPLOY for a test server (anything with host, port and cafile), quick to give up."""
    values = {
        "host": server.host,
        "port": server.port,
        "user": USER,
        "remote_dir": "/site",
        "tls": "explicit" if server.cafile else "off",
        "cafile": str(server.cafile) if server.cafile else None,
        "backoff": 0.01,
        "attempts": 4,
    }
    values.update(overrides)
    return values


@dataclass
class FtpServer:
    root: Path
    port: int
    cafile: Path | None
    faults: Faults
    thread: threading.Thread
    stop_event: threading.Event = field(default_factory=threading.Event)
    host: str = "127.0.0.1"

    def settings(self, **overrides: object) -> dict:
        return settings_for_server(self, **overrides)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)


def refusing_rename_over(base: type[FTPHandler]) -> type[FTPHandler]:
    """A handler that, like IIS, will not rename onto a name that already exists."""

    class NoRenameOver(base):
        def ftp_RNTO(self, path: str):
            if self._rnfr and Path(path).exists():
                self._rnfr = None
                self.respond("550 Cannot create a file when that file already exists.")
                return None
            return super().ftp_RNTO(path)

    return NoRenameOver


def refusing_cleartext(base: type[FTPHandler]) -> type[FTPHandler]:
    """A handler that, like pure-ftpd set to require TLS, answers a plain login with 421 and hangs up."""

    class NoCleartext(base):
        def ftp_USER(self, line: str):
            self.respond("421 Sorry, cleartext sessions and weak ciphers are not accepted on this server.")
            self.close_when_done()

    return NoCleartext


def counting(base: type[FTPHandler], faults: Faults) -> type[FTPHandler]:
    """A handler that counts the commands it receives in faults.commands."""

    class Counting(base):
        def pre_process_command(self, line: str, cmd: str, arg: str):
            faults.commands[cmd] += 1
            return super().pre_process_command(line, cmd, arg)

    return Counting


def refusing_folder_renames(base: type[FTPHandler]) -> type[FTPHandler]:
    """A handler that renames files but not folders, as some hosts' servers do."""

    class NoFolderRename(base):
        def ftp_RNFR(self, path: str):
            if Path(path).is_dir():
                self.respond("550 Cannot rename a directory.")
                return None
            return super().ftp_RNFR(path)

    return NoFolderRename


def delaying(base: type[FTPHandler], delay: float) -> type[FTPHandler]:
    """A handler whose replies reach the client `delay` seconds late, like a server that far away.

    Replies are held back on the server's event loop, not by sleeping, so a client that sends
    commands without waiting for each reply gains what it would gain on a real network.
    """

    class Delaying(base):
        def push(self, data: str) -> None:
            if not hasattr(self, "held_back"):
                self.held_back: deque[str] = deque()
            self.held_back.append(data)
            self.ioloop.call_later(delay, self.release)

        def release(self) -> None:
            data = self.held_back.popleft()  # equal delays: the oldest reply is the one due
            if self.connected:
                super().push(data)

        def close_when_done(self) -> None:
            self.ioloop.call_later(delay, super().close_when_done)

    return Delaying


def start_server(
    folder: Path,
    tls: bool = False,
    perm: str = FULL,
    require_session_reuse: bool = False,
    faults: Faults | None = None,
    rename_over: bool = True,
    rename_folders: bool = True,
    reply_delay: float = 0.0,
    refuse_cleartext: bool = False,
) -> FtpServer:
    """Start a server for USER/PASSWORD whose home is folder/root; return once it listens."""
    if tls and reply_delay:
        # The reply to AUTH TLS would be sent after the connection had switched to TLS.
        raise ValueError("reply_delay works with plain FTP only")
    root = folder / "root"
    (root / "site").mkdir(parents=True, exist_ok=True)
    faults = faults or Faults()
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(root), perm=perm)
    attributes: dict[str, object] = {"authorizer": authorizer, "auth_failed_timeout": 0, "passive_ports": None}
    cafile = None
    if tls:
        server_pem, cafile = make_certificate(folder)
        data = SessionReuseRequired if require_session_reuse else TLS_DTPHandler
        attributes |= {
            "certfile": str(server_pem),
            "ssl_context": None,
            "tls_control_required": True,
            "tls_data_required": True,
            "dtp_handler": dropping(data, faults),
        }
        handler = type("Handler", (TLS_FTPHandler,), attributes)
        # Session reuse needs a session id context on the server side.
        handler.get_ssl_context().set_session_id(b"deploy-tests")
    else:
        attributes["dtp_handler"] = dropping(DTPHandler, faults)
        handler = type("Handler", (FTPHandler,), attributes)
    if not rename_over:
        handler = refusing_rename_over(handler)
    if not rename_folders:
        handler = refusing_folder_renames(handler)
    if refuse_cleartext:
        handler = refusing_cleartext(handler)
    if reply_delay:
        handler = delaying(handler, reply_delay)
    handler = counting(handler, faults)
    server = FTPServer(("127.0.0.1", 0), handler)
    port = server.address[1]
    stop_event = threading.Event()

    # Held-back replies are released on the loop's turns, so it must turn often enough.
    turn = min(0.02, reply_delay / 10) if reply_delay else 0.02

    def serve() -> None:
        while not stop_event.is_set():
            server.serve_forever(timeout=turn, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=serve, name="ftp-server", daemon=True)
    thread.start()
    return FtpServer(root=root, port=port, cafile=cafile, faults=faults, thread=thread, stop_event=stop_event)
