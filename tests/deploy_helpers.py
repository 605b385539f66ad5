"""What the deploy tests share: sites written from a dict, the server's tree, servers by kind."""

from __future__ import annotations

import os
from pathlib import Path

from plugins.ftp_deploy.manifest import MANIFEST_NAME, NEW_MANIFEST_NAME
from plugins.ftp_deploy.server_lock import LOCK_NAME
from plugins.ftp_deploy.sync import TEMP_PREFIX

from ftp_server import PASSWORD, USER, FtpServer, start_server
from proftpd_server import ProftpdServer, start_proftpd

ENV = {"FTP_PASSWORD": PASSWORD}


def write_site(folder: Path, pages: dict[str, bytes | str]) -> Path:
    for relative, content in pages.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


def remote_tree(server: FtpServer) -> dict[str, bytes]:
    site = server.root / "site"
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in site.rglob("*")
        if path.is_file()
        and path.name not in (MANIFEST_NAME, NEW_MANIFEST_NAME)
        and path.relative_to(site).parts[0] != LOCK_NAME
    }


def local_tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def leftovers(server: FtpServer | ProftpdServer) -> list[str]:
    """Anything the deploy keeps on the server only while it runs: temporary names, the lock."""
    site = server.root / "site"
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.name.startswith((TEMP_PREFIX, "~" + TEMP_PREFIX[1:])) or path.name in (LOCK_NAME, NEW_MANIFEST_NAME)
    )


def start(kind: str, folder: Path) -> FtpServer | ProftpdServer:
    """A server by kind: pyftpdlib (fault injection) or proftpd (what web hosts run), plain or FTPS."""
    software, _, mode = kind.partition("-")
    if software == "proftpd":
        return start_proftpd(folder, tls=mode == "ftps")
    return start_server(folder, tls=mode == "ftps")


def deploy_environment(server: FtpServer) -> dict[str, str]:
    """The environment a `nikola deploy` to `server`'s /site needs: its address, user, password and CA."""
    return {
        **os.environ,
        "FTP_HOST": "127.0.0.1",
        "FTP_PORT": str(server.port),
        "FTP_USER": USER,
        "FTP_PASSWORD": PASSWORD,
        "FTP_REMOTE_DIR": "/site",
        "FTP_CAFILE": str(server.cafile),
    }
