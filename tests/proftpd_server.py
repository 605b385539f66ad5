"""Debian's ProFTPD on 127.0.0.1 for deploy tests: the server many web hosts run.

Started in the foreground (`proftpd -n`) on a free port with a configuration of its own,
no systemd and no system account: one virtual user from an AuthUserFile whose home is
root/. In TLS mode it is as strict as a careful host sets it: TLS required on the control
and data connections, and (proftpd's default) data connections must reuse the control
connection's TLS session. Stopped by its process id.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ftp_server import PASSWORD, USER, make_certificate, settings_for_server

PROFTPD = shutil.which("proftpd") or "/usr/sbin/proftpd"
TLS_MODULE = Path("/usr/lib/proftpd/mod_tls.so")

CONFIG = """\
ServerType standalone
ServerName "deploy tests"
ServerIdent on "ProFTPD test server ready"
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
Port {port}
PassivePorts {passive_low} {passive_high}
User {user}
Group {group}
RootLogin on
PidFile {run}/proftpd.pid
ScoreboardFile {run}/scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
UseSendfile off
AuthOrder mod_auth_file.c
AuthUserFile {run}/passwd
RequireValidShell off
DefaultRoot ~
AllowOverwrite on
Umask 022
MaxInstances 40
TimeoutIdle 60
SystemLog {run}/system.log
TransferLog {run}/xfer.log
{tls}
"""

TLS_CONFIG = """\
LoadModule mod_tls.c
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired on
  TLSProtocol TLSv1.2 TLSv1.3
  TLSECCertificateFile {pem}
  TLSECCertificateKeyFile {pem}
  TLSLog {run}/tls.log
  TLSVerifyClient off
  TLSRenegotiate none
  {implicit}
</IfModule>
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def password_hash(password: str) -> str:
    """A SHA-512 crypt(3) hash, made by openssl reading the password on stdin (never argv)."""
    done = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@dataclass
class ProftpdServer:
    """A running proftpd; the same `root`, `port`, `cafile` and `settings()` as ftp_server.FtpServer."""

    root: Path
    port: int
    cafile: Path | None
    process: subprocess.Popen
    run_folder: Path
    host: str = "127.0.0.1"

    def settings(self, **overrides: object) -> dict:
        return settings_for_server(self, **overrides)

    def received_bytes(self) -> int:
        """Bytes of the uploads finished so far, from proftpd's transfer log (xferlog format)."""
        log = self.run_folder / "xfer.log"
        if not log.exists():
            return 0
        fields = (line.split() for line in log.read_text().splitlines())
        return sum(int(f[7]) for f in fields if len(f) > 11 and f[11] == "i")

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.run_folder.glob("*.log"))
            if path.exists() and path.name != "xfer.log"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_proftpd(folder: Path, tls: bool = False, implicit: bool = False) -> ProftpdServer:
    """Start proftpd for USER/PASSWORD with home folder/root (holding an empty site/); return once it listens.

    `implicit`: TLS from the first byte (implicit FTPS, usually port 990) instead of AUTH TLS.
    """
    if not Path(PROFTPD).exists():
        raise RuntimeError("proftpd is not installed (Debian: apt-get install proftpd-core proftpd-mod-crypto)")
    run = folder / "run"
    root = folder / "root"
    (root / "site").mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    uid, gid = os.getuid(), os.getgid()
    passwd = run / "passwd"
    passwd.write_text(f"{USER}:{password_hash(PASSWORD)}:{uid}:{gid}::{root}:/bin/false\n")
    passwd.chmod(0o600)  # proftpd refuses a world-readable AuthUserFile
    cafile = None
    tls_config = ""
    if tls:
        if not TLS_MODULE.exists():
            raise RuntimeError("proftpd's mod_tls is not installed (Debian: apt-get install proftpd-mod-crypto)")
        pem, cafile = make_certificate(run)
        pem.chmod(0o600)
        tls_config = TLS_CONFIG.format(pem=pem, run=run, implicit="TLSOptions UseImplicitSSL" if implicit else "")
    for _attempt in range(5):
        port = free_port()
        passive = free_port()
        config = run / "proftpd.conf"
        config.write_text(
            CONFIG.format(
                port=port,
                passive_low=passive,
                passive_high=min(passive + 40, 65535),
                user=pwd.getpwuid(uid).pw_name,
                group=grp.getgrgid(gid).gr_name,
                run=run,
                tls=tls_config,
            )
        )
        process = subprocess.Popen(
            [PROFTPD, "--nodaemon", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(run / "stderr.log").open("w"),
        )
        server = ProftpdServer(root=root, port=port, cafile=cafile, process=process, run_folder=run)
        if wait_for_greeting(server, tls_first=implicit):
            return server
        server.stop()
    raise RuntimeError(f"proftpd did not start:\n{server.log()}")


def wait_for_greeting(server: ProftpdServer, seconds: float = 10.0, tls_first: bool = False) -> bool:
    """Whether the server greets (or, speaking TLS first, accepts connections) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1) as connection:
                if tls_first or connection.recv(100).startswith(b"220"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False
