"""Extract the corpus notebooks listed in corpus.json from local git mirrors.

Each notebook is read with `git show COMMIT:PATH` from a bare mirror of its repository
(`MIRRORS/OWNER+NAME/repo`, the layout the session's `fetch` tool makes), checked against
the SHA-256 recorded in the manifest, and written to notebooks/NAME.ipynb; the files it
refers to by relative path (an entry's "files", paths relative to the notebook) go to
notebooks/NAME.files/, checked the same way. Nothing is downloaded: a repository without a
mirror is named with the fetch that would bring it.

    python tests/corpus/extract.py            # extract and verify every notebook
    python tests/corpus/extract.py --record   # also record the SHA-256 of entries that have none
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
MANIFEST = CORPUS / "corpus.json"
NOTEBOOKS = CORPUS / "notebooks"
DEFAULT_MIRRORS = Path(os.environ.get("CORPUS_MIRRORS", "/work/.mirror"))


def mirror_of(repo: str, mirrors: Path) -> Path:
    """The bare git directory holding `repo` ("owner/name")."""
    return mirrors / repo.replace("/", "+") / "repo"


def read_blob(git_dir: Path, commit: str, path: str) -> bytes | None:
    """The file at `path` in `commit`, or None when the mirror lacks that commit or path."""
    result = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True)
    return result.stdout if result.returncode == 0 else None


def write_checked(content: bytes, recorded: str, target: Path, label: str) -> str | None:
    """Write `content` to `target` if its SHA-256 is `recorded` (or `recorded` is empty); the digest, or None."""
    digest = hashlib.sha256(content).hexdigest()
    if recorded and digest != recorded:
        print(f"{label}: SHA-256 {digest} differs from the manifest's {recorded}", file=sys.stderr)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(content)
    partial.replace(target)  # a reader never sees half a file
    return digest


def extract(mirrors: Path, record: bool) -> int:
    """Write every notebook of the manifest, and the files it refers to, below NOTEBOOKS; the number of problems."""
    manifest = json.loads(MANIFEST.read_text())
    NOTEBOOKS.mkdir(exist_ok=True)
    problems = 0
    missing_mirrors: set[str] = set()
    for entry in manifest["notebooks"]:
        git_dir = mirror_of(entry["repo"], mirrors)
        if not git_dir.is_dir():
            missing_mirrors.add(entry["repo"])
            problems += 1
            continue
        folder = posixpath.dirname(entry["path"])
        wanted = {entry["path"]: (entry, "sha256", NOTEBOOKS / f"{entry['name']}.ipynb")}
        for relative in entry.get("files", {}):
            target = NOTEBOOKS / f"{entry['name']}.files" / relative
            wanted[posixpath.normpath(posixpath.join(folder, relative))] = (entry["files"], relative, target)
        for path, (holder, key, target) in wanted.items():
            content = read_blob(git_dir, entry["commit"], path)
            if content is None:
                print(f"{entry['name']}: {entry['repo']} has no {path} at {entry['commit'][:12]}", file=sys.stderr)
                problems += 1
                continue
            if not holder[key] and not record:
                print(f"{entry['name']}: no SHA-256 recorded for {path} (run with --record)", file=sys.stderr)
                problems += 1
                continue
            digest = write_checked(content, holder[key], target, f"{entry['name']}: {path}")
            if digest is None:
                problems += 1
            else:
                holder[key] = digest
    for repo in sorted(missing_mirrors):
        print(f"no mirror of {repo} under {mirrors}: run the fetch tool with github:{repo}", file=sys.stderr)
    if record:
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    count = len(manifest["notebooks"])
    print(f"{count} notebooks listed, {problems} problems; extracted to {NOTEBOOKS}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="folder of OWNER+NAME/repo mirrors")
    parser.add_argument("--record", action="store_true", help="record the SHA-256 of entries that have none")
    arguments = parser.parse_args()
    return 1 if extract(arguments.mirrors, arguments.record) else 0


if __name__ == "__main__":
    sys.exit(main())
