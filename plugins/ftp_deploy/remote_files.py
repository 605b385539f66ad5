"""File operations on one FTP connection, each safe to repeat after a lost connection.

Every operation that removes something counts "it is not there" as done, whatever reply
code the server uses to say so (see connection.is_missing), so a run that repeats the
work of an interrupted one never fails on what that run already finished.
"""

from __future__ import annotations

import contextlib
import ftplib
import io
import posixpath
import threading
from collections.abc import Callable

from .connection import REPLIES, is_missing, reply_code

BLOCK_SIZE = 256 * 1024  # per send() on data connections; ftplib's 8 KiB costs many more system calls


def list_names(ftp: ftplib.FTP, folder: str) -> set[str]:
    """Names in a remote folder, hidden ones included (empty if the folder does not exist or is empty).

    Every temporary name here starts with a dot, and plain NLST leaves such names out on
    proftpd and vsftpd. So: MLSD where the server has it (proftpd, pure-ftpd, pyftpdlib),
    else `NLST -a` (vsftpd), else plain NLST.
    """
    try:
        if supports_mlsd(ftp):
            return {name for name, facts in ftp.mlsd(folder, facts=["type"]) if facts.get("type") not in SELF}
        try:
            names = ftp.nlst("-a", folder)
        except REPLIES as error:
            if not is_missing(error):
                raise
            names = ftp.nlst(folder)  # "-a" may have been taken for part of the name
        return {posixpath.basename(name.rstrip("/")) for name in names} - {".", ".."}
    except REPLIES as error:
        # 550 (pyftpdlib, pure-ftpd) or 450 (proftpd) for a folder that is not there, and
        # some servers answer an empty folder with "450 No files found".
        if is_missing(error) or "no files" in str(error).lower():
            return set()
        raise


SELF = ("cdir", "pdir")  # MLSD's entries for the folder itself and its parent


def supports_mlsd(ftp: ftplib.FTP) -> bool:
    """Whether the server lists folders with MLSD (asked once per connection)."""
    known = getattr(ftp, "deploy_mlsd", None)
    if known is None:
        try:
            features = ftp.sendcmd("FEAT")
        except REPLIES:
            features = ""
        known = any(line.strip().upper().startswith("MLST") for line in features.splitlines()[1:])
        ftp.deploy_mlsd = known
    return known


def exists(ftp: ftplib.FTP, path: str) -> bool:
    return posixpath.basename(path) in list_names(ftp, posixpath.dirname(path))


def put(ftp: ftplib.FTP, target: str, data: Callable[[], io.BufferedIOBase]) -> None:
    with data() as stream:
        ftp.storbinary(f"STOR {target}", stream, blocksize=BLOCK_SIZE)


def read(ftp: ftplib.FTP, path: str) -> bytes | None:
    """A remote file's bytes, or None if the server shows it is not there."""
    buffer = io.BytesIO()
    try:
        ftp.retrbinary(f"RETR {path}", buffer.write)
    except REPLIES as error:
        if is_missing(error) or (reply_code(error) == "550" and not exists(ftp, path)):
            return None
        raise
    return buffer.getvalue()


def aside_name(temporary: str) -> str:
    """Where rename_over keeps the old file for a moment; as short as the temporary name."""
    folder, name = posixpath.split(temporary)
    return posixpath.join(folder, "~" + name[1:])


def rename_over(ftp: ftplib.FTP, temporary: str, target: str) -> None:
    """Rename `temporary` to `target`, replacing any file of that name."""
    try:
        ftp.rename(temporary, target)
    except ftplib.error_perm:
        # Some servers (IIS, for one) refuse to rename over an existing file. Move the old
        # file aside, and put it back if the new one still cannot take its place.
        if not exists(ftp, target):
            raise
        aside = aside_name(temporary)
        ftp.rename(target, aside)
        try:
            ftp.rename(temporary, target)
        except ftplib.error_perm:
            ftp.rename(aside, target)
            raise
        delete_file(ftp, aside)


def delete_file(ftp: ftplib.FTP, path: str) -> None:
    """Delete `path`; a file that is already gone counts as deleted."""
    try:
        ftp.delete(path)
    except REPLIES as error:
        if is_missing(error) or (reply_code(error) == "550" and not exists(ftp, path)):
            return
        raise


def remove_tree(ftp: ftplib.FTP, path: str) -> None:
    """Remove a file, or a folder with everything in it; what is already gone counts as removed."""
    try:
        ftp.delete(path)
        return
    except REPLIES as error:
        if is_missing(error):
            return
    for name in list_names(ftp, path):
        remove_tree(ftp, posixpath.join(path, name))
    try:
        ftp.rmd(path)
    except REPLIES as error:
        if not is_missing(error) and exists(ftp, path):
            raise


def remove_folder_if_empty(ftp: ftplib.FTP, path: str) -> None:
    with contextlib.suppress(*REPLIES):  # refused: not empty (someone else's files), or already gone
        ftp.rmd(path)


class FolderMaker:
    """Creates remote folders once per run, shared by all connections."""

    def __init__(self, root: str) -> None:
        self.made = {root}
        self.lock = threading.Lock()
        self.making: dict[str, threading.Lock] = {}

    def ensure(self, ftp: ftplib.FTP, folder: str) -> None:
        missing = []
        while folder not in self.made and folder not in ("", "/"):
            missing.append(folder)
            folder = posixpath.dirname(folder)
        for path in reversed(missing):
            with self.lock:
                making = self.making.setdefault(path, threading.Lock())
            # The first connection to need a folder makes it; the others wait for it rather
            # than each sending an MKD (a round trip) of their own.
            with making:
                if path in self.made:
                    continue
                # Refused means it exists already; if it could not be made, the upload into it says so.
                with contextlib.suppress(ftplib.error_perm):
                    ftp.mkd(path)
                self.made.add(path)
