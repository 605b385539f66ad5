"""doit's MD5 file check, hashing each file once per build instead of once per task.

After a task runs, doit records the state (mtime, size, MD5) of each file it depends on.
Every page of the site depends on the theme's templates, so a full build of 400 posts
hashed the same few files thousands of times (18,000 reads, in the process that hands out
tasks). Here a file's hash is kept for as long as its mtime and size stay the same.
"""

from __future__ import annotations

import os

from doit.dependency import MD5Checker, get_file_md5


class OnceMD5Checker(MD5Checker):
    """MD5Checker whose hashes are remembered by (path, mtime, size) for the life of the process."""

    def __init__(self) -> None:
        self._hashes: dict[tuple[str, float, int], str] = {}

    def get_state(self, dep: str, current_state: tuple | None) -> tuple | None:
        stat = os.stat(dep)
        if current_state and current_state[0] == stat.st_mtime:
            return None
        key = (dep, stat.st_mtime, stat.st_size)
        if key not in self._hashes:
            self._hashes[key] = get_file_md5(dep)
        return stat.st_mtime, stat.st_size, self._hashes[key]
