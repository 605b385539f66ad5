"""The manifest on the server: what the tool has put there, by path and SHA-256.

It is also the deploy's journal. Before a run changes anything it records every file it
is about to send as "in flight" (content on the server unknown) and every temporary name
it will use; so whatever the moment a run is killed, the next one re-sends what may have
changed and removes what may be left over. It is written under a temporary name and
renamed into place, so a reader sees the old manifest or the new one, and it carries a
SHA-256 of its own content, so a damaged one is refused rather than believed.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field

from .connection import DeployError, Remote
from .remote_files import put, read, rename_over

MANIFEST_NAME = ".deploy-manifest.json"
NEW_MANIFEST_NAME = ".deploy-manifest.new"  # only ever written by the lock's holder
FORMAT = 2
REPAIR_HINT = "`nikola ftp_deploy --verify --repair` rebuilds it from the files on the server"


@dataclass
class Manifest:
    """path -> SHA-256 of what is online (None: in flight, content unknown), and possible leftovers."""

    files: dict[str, str | None] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # temporary names, relative to the remote folder

    def copy(self) -> Manifest:
        return Manifest(files=dict(self.files), pending=set(self.pending))

    def body(self) -> dict:
        return {"files": dict(sorted(self.files.items())), "pending": sorted(self.pending)}

    def to_json(self) -> bytes:
        body = self.body()
        document = {"format": FORMAT, "sha256": checksum(body), **body}
        return json.dumps(document, indent=1).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse and check a manifest; ValueError says what is wrong with it."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"not JSON: {error}") from None
        if not isinstance(document, dict) or document.get("format") not in (1, FORMAT):
            raise ValueError(f"not a format-{FORMAT} deploy manifest")
        files, pending = document.get("files"), document.get("pending", [])
        if not isinstance(files, dict) or not isinstance(pending, list):
            raise ValueError(f"not a format-{FORMAT} deploy manifest")
        manifest = cls(files=dict(files), pending=set(pending))
        # Format 1, written before the checksum existed, is trusted as it is.
        if document["format"] == FORMAT and document.get("sha256") != checksum(manifest.body()):
            raise ValueError("its checksum does not match its content")
        return manifest


def checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def manifest_path(remote: Remote) -> str:
    return f"{remote.settings.remote_dir.rstrip('/')}/{MANIFEST_NAME}"


def read_manifest(remote: Remote, damaged_ok: bool = False) -> tuple[Manifest, str | None]:
    """The server's manifest (empty if there is none yet) and, if `damaged_ok`, why it was unusable."""
    where = manifest_path(remote)
    data = remote.run(f"reading {where}", lambda ftp: read(ftp, where))
    if data is None:
        return Manifest(), None
    try:
        return Manifest.from_json(data), None
    except ValueError as error:
        if damaged_ok:
            return Manifest(), f"{where} on the server was unusable ({error})"
        raise DeployError(f"{where} on the server is unusable ({error}); {REPAIR_HINT}") from None


def write_manifest(remote: Remote, manifest: Manifest) -> None:
    where = manifest_path(remote)
    new = f"{remote.settings.remote_dir.rstrip('/')}/{NEW_MANIFEST_NAME}"
    data = manifest.to_json()

    def write(ftp) -> None:
        put(ftp, new, lambda: io.BytesIO(data))
        rename_over(ftp, new, where)

    remote.run(f"writing {where}", write)
