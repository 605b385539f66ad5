"""plugins/file_hashes: doit's MD5 file check, each file hashed once per build, gives what doit gives."""

from __future__ import annotations

import os
from pathlib import Path

from doit.dependency import MD5Checker

from blog_build.file_checks import OnceMD5Checker


def test_file_state_is_doits_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "base.tmpl"
    path.write_text("first", encoding="utf-8")
    checker = OnceMD5Checker()
    state = checker.get_state(str(path), None)
    assert state == MD5Checker().get_state(str(path), None)
    assert checker.get_state(str(path), state) is None  # unchanged since recorded: nothing to save
    path.write_text("other", encoding="utf-8")  # same size, new content
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    changed = checker.get_state(str(path), state)
    assert changed == MD5Checker().get_state(str(path), None) and changed[2] != state[2]
    assert checker.check_modified(str(path), os.stat(path), state)
