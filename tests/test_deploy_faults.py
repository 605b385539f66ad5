"""Deploys that are killed, run two at once, meet long names or servers that will not do.

Against Debian's proftpd (the strictest of the servers web hosts run: "no such file" as
450, TLS session reuse required) and pyftpdlib. A killed deploy is a process of its own
(tests/deploy_process.py) that sends itself SIGKILL at a chosen FTP command, so no
clean-up of any kind runs; the kill points cover every command of a deploy.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plugins.ftp_deploy.connection import DeployError
from plugins.ftp_deploy.manifest import MANIFEST_NAME, Manifest
from plugins.ftp_deploy.server_lock import LOCK_NAME
from plugins.ftp_deploy.settings import load_settings
from plugins.ftp_deploy.sync import deploy, verify

from deploy_helpers import ENV, leftovers, local_tree, remote_tree, start, write_site
from ftp_server import PASSWORD, USER, FtpServer, start_server
from proftpd_server import ProftpdServer, start_proftpd

DEPLOY_PROCESS = Path(__file__).parent / "deploy_process.py"


def two_versions(folder: Path) -> tuple[Path, Path]:
    """A site and its next version, which changes, adds, stages and deletes something in every phase."""
    first = write_site(
        folder / "v1",
        {
            "index.html": "<h1>home</h1>",
            "favicon.svg": "<svg>old</svg>",
            "assets/css/all.css": "body{}",
            "posts/a/index.html": "<p>a</p>",
            "posts/a/plot.png": os.urandom(70_000),
            "posts/gone/index.html": "<p>gone</p>",
            "rss.xml": "<rss/>",
        },
    )
    second = folder / "v2"
    shutil.copytree(first, second)
    shutil.rmtree(second / "posts/gone")
    write_site(
        second,
        {
            "favicon.svg": "<svg>new</svg>",
            "index.html": "<h1>home, new</h1>",
            "posts/a/index.html": "<p>a, edited</p>",
            "posts/new/index.html": "<p>new</p>",
            "posts/new/figure.png": os.urandom(50_000),
            "assets/js/site.js": "let x = 1;",
        },
    )
    return first, second


def run_deploy_process(
    server: FtpServer | ProftpdServer, output: Path, folder: Path, *extra: str, **settings: object
) -> subprocess.Popen:
    settings_file = folder / f"settings-{time.monotonic_ns()}.json"
    settings_file.write_text(json.dumps(server.settings(**settings)))
    return subprocess.Popen(
        [sys.executable, str(DEPLOY_PROCESS), str(settings_file), str(output), *extra],
        env={**os.environ, "FTP_PASSWORD": PASSWORD},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_exact_copy(server: FtpServer | ProftpdServer, output: Path, context: str, through_ftp: bool = True) -> None:
    """The server holds `output` and nothing of the deploy's own; `through_ftp`: --verify agrees."""
    assert remote_tree(server) == local_tree(output), context
    assert not leftovers(server), f"{context}: left {leftovers(server)}"
    manifest = Manifest.from_json((server.root / "site" / MANIFEST_NAME).read_bytes())
    expected = {path: hashlib.sha256(data).hexdigest() for path, data in local_tree(output).items()}
    assert manifest.files == expected and not manifest.pending, context
    if through_ftp:
        assert verify(load_settings(server.settings(), ENV), output) == [], context


# Where each server's deploy is killed, by the command's number being odd or even: between
# them the two proftpd runs kill before and after every command.
KILL_SWEEPS = {
    "proftpd-ftps": ("after", "before"),
    "proftpd-ftp": ("before", "after"),
    "pyftpdlib-ftp": ("before", "after"),
}


@pytest.mark.parametrize("kind", sorted(KILL_SWEEPS))
def test_a_deploy_killed_at_any_command_is_put_right_by_the_next(kind: str, tmp_path: Path) -> None:
    """Kill a deploy of v2 before or after each of its commands; the next deploy, of v2 or of v1
    (the author reverted), leaves an exact copy: nothing stale, nothing left over, a true manifest."""
    server = start(kind, tmp_path / "server")
    try:
        sweep_kills(server, tmp_path, KILL_SWEEPS[kind])
    finally:
        server.stop()


def sweep_kills(server: FtpServer | ProftpdServer, tmp_path: Path, moments: tuple[str, str]) -> None:
    first, second = two_versions(tmp_path)
    settings = load_settings(server.settings(connections=1), ENV)
    deploy(settings, first)
    site = server.root / "site"
    deployed_first = tmp_path / "deployed-v1"
    shutil.copytree(site, deployed_first)

    counting = run_deploy_process(server, second, tmp_path, connections=1)
    out, err = counting.communicate(timeout=60)
    assert counting.returncode == 0, err
    commands = int(out.split("commands: ")[1])
    assert commands > 30, "the deploy does something in every phase"

    for kill_at in range(1, commands + 1):
        when = moments[0] if kill_at % 2 else moments[1]
        shutil.rmtree(site)
        shutil.copytree(deployed_first, site)
        killed = run_deploy_process(server, second, tmp_path, "--kill-at", str(kill_at), "--when", when, connections=1)
        killed.communicate(timeout=60)
        assert killed.returncode == -9, f"command {kill_at} ({when}): the deploy ended before it was killed"
        target = first if (kill_at // 2) % 2 else second  # each moment meets both versions
        context = f"killed {when} command {kill_at} of {commands}, then {target.name}"
        deploy(settings, target)
        if (site / LOCK_NAME).exists():
            # Killed before its journal changed anything: the next deploy with nothing to do
            # leaves the dead run's lock alone, and the next one with work takes it over.
            assert remote_tree(server) == local_tree(target), context
            target = second if target == first else first
            plan, _ = deploy(settings, target)
            assert any("took over the lock" in note for note in plan.notes), context
        assert_exact_copy(server, target, context, through_ftp=False)
    assert_exact_copy(server, target, "the last one, through FTP")


def test_the_issues_kill_and_revert_leaves_the_old_favicon_online(tmp_path: Path) -> None:
    """Kill right after the new favicon went online, revert it, deploy: the old one is served again."""
    server = start_proftpd(tmp_path / "server", tls=True)
    try:
        first, second = two_versions(tmp_path)
        write_site(second, {"big/one.bin": os.urandom(5_000_000), "big/two.bin": os.urandom(5_000_000)})
        settings = load_settings(server.settings(), ENV)
        deploy(settings, first)
        killed = run_deploy_process(server, second, tmp_path)
        site = server.root / "site"
        deadline = time.monotonic() + 30
        while (site / "favicon.svg").read_bytes() != b"<svg>new</svg>" and time.monotonic() < deadline:
            time.sleep(0.001)
        killed.kill()
        killed.communicate()
        assert (site / "favicon.svg").read_bytes() == b"<svg>new</svg>", "the kill came after the new favicon"
        _, summary = deploy(settings, first)
        assert (site / "favicon.svg").read_bytes() == b"<svg>old</svg>"
        assert_exact_copy(server, first, "after the revert")
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["proftpd-ftps", "pyftpdlib-ftp"])
@pytest.mark.parametrize("same_output", [True, False], ids=["same output", "different outputs"])
def test_two_deploys_at_once_never_lose_or_mix_files(kind: str, same_output: bool, tmp_path: Path) -> None:
    server = start(kind, tmp_path / "server")
    try:
        first, second = two_versions(tmp_path)
        contended = 0
        for round_number in range(4):
            outputs = (first, first) if same_output else (first, second)
            # Both wait for the same moment (long enough for a slow start-up), then go slowly
            # enough that the one that gets the lock still holds it when the other asks.
            start_at = f"{time.time() + 3.0:.3f}"
            runs = [
                run_deploy_process(server, output, tmp_path, "--start-at", start_at, "--command-delay", "0.05")
                for output in outputs
            ]
            results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
            succeeded = [output for output, (code, _, _) in zip(outputs, results, strict=True) if code == 0]
            for code, _out, err in results:
                assert code == 0 or "another deploy is running: " in err, err
            contended += len(succeeded) == 1
            assert succeeded, f"round {round_number}: at least one deploy gets through: {results}"
            # Whichever ran last (or alone) is online, exactly; the manifest is whole.
            online = remote_tree(server)
            assert any(online == local_tree(output) for output in succeeded), f"round {round_number}: mixed files"
            assert_exact_copy(server, next(o for o in succeeded if online == local_tree(o)), f"round {round_number}")
            deploy(load_settings(server.settings(), ENV), second if round_number % 2 else first)
        assert contended, "in some round the two really met at the lock"
    finally:
        server.stop()


def test_a_live_lock_stops_a_second_deploy_with_its_holder(tmp_path: Path) -> None:
    server = start_proftpd(tmp_path / "server")
    try:
        first, second = two_versions(tmp_path)
        settings = load_settings(server.settings(), ENV)
        deploy(settings, first)
        lock = server.root / "site" / LOCK_NAME
        lock.mkdir()
        holder = {
            "run": "abc123",
            "host": "builder.example.org",
            "pid": 4242,
            "user": "ci",
            "started": time.time() - 60,
            "refreshed": time.time() - 30,
        }
        (lock / "holder.json").write_text(json.dumps(holder))
        with pytest.raises(DeployError, match=r"another deploy is running: ci@builder.example.org \(process 4242"):
            deploy(settings, second)
        assert remote_tree(server) == local_tree(first), "the second deploy changed nothing"
        _, summary = deploy(settings, first)
        assert summary.uploaded == 0, "a deploy with nothing to do does not need the lock"
        plan, _ = deploy(settings, second, dry_run=True)
        assert any("ci@builder.example.org" in note for note in plan.notes), "a dry run says the real run would stop"

        plan, _ = deploy(settings, second, break_lock=True)
        assert any("took over the lock of ci@builder.example.org" in note for note in plan.notes)
        assert_exact_copy(server, second, "after --break-lock")

        # Not refreshed for longer than the stale rule allows: taken over without being asked.
        lock.mkdir()
        holder |= {"started": time.time() - 7200, "refreshed": time.time() - 3600}
        (lock / "holder.json").write_text(json.dumps(holder))
        plan, _ = deploy(settings, first)
        assert any("not refreshed for 60 minutes" in note for note in plan.notes)
        assert_exact_copy(server, first, "after taking over a stale lock")
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["proftpd-ftps", "pyftpdlib-ftp"])
def test_names_as_long_as_the_server_accepts_are_deployed(kind: str, tmp_path: Path) -> None:
    server = start(kind, tmp_path / "server")
    try:
        long_file = "f" * 250 + ".html"  # 255 bytes, the longest name the file system takes
        long_folder = "d" * 255
        output = write_site(
            tmp_path / "output",
            {
                "index.html": "home",
                f"posts/{long_file}": "long name",
                f"{long_folder}/index.html": "long folder",
                f"{long_folder}/{long_file}": "both",
            },
        )
        settings = load_settings(server.settings(), ENV)
        deploy(settings, output)
        assert_exact_copy(server, output, "first deploy")
        write_site(output, {f"posts/{long_file}": "long name, edited", f"{long_folder}/{long_file}": "both, edited"})
        deploy(settings, output)
        assert_exact_copy(server, output, "edit")
    finally:
        server.stop()


def test_a_manifest_left_stuck_by_the_old_temporary_names_is_cleaned_up(tmp_path: Path) -> None:
    """The stuck state of the issue: a format-1 manifest naming a file in a staged folder that was
    already renamed into place. proftpd says "450 ... No such file or directory" to removing it."""
    server = start_proftpd(tmp_path / "server", tls=True)
    try:
        output = write_site(tmp_path / "output", {"index.html": "home", "newdir/a.css": "a{}"})
        site = write_site(server.root / "site", {"index.html": "home", "newdir/a.css": "a{}"})
        hashes = {path: hashlib.sha256(data).hexdigest() for path, data in local_tree(output).items()}
        old_manifest = {"format": 1, "files": {"index.html": hashes["index.html"], "newdir/a.css": None}}
        old_manifest["pending"] = [".newdir.deploy-tmp/a.css", ".index.html.deploy-tmp"]
        (site / MANIFEST_NAME).write_text(json.dumps(old_manifest))
        _, summary = deploy(load_settings(server.settings(), ENV), output)
        assert summary.uploaded == 1, "the file whose upload was in flight is sent again"
        assert_exact_copy(server, output, "after the stuck state")
    finally:
        server.stop()


def test_a_port_that_never_greets_fails_at_once_with_the_reason(tmp_path: Path) -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        settings = load_settings(
            {"host": "127.0.0.1", "port": silent.getsockname()[1], "user": "u", "greeting_timeout": 1}, ENV
        )
        started = time.monotonic()
        no_greeting = r"accepted the connection but sent no FTP greeting within 1 s; .*implicit"
        with pytest.raises(DeployError, match=no_greeting):
            deploy(settings, write_site(tmp_path / "output", {"index.html": "home"}))
        assert time.monotonic() - started < 3, "not retried"
        assert len(accepted) == 1, "one connection, no retries"
    finally:
        stop.set()
        thread.join()
        silent.close()
        for connection in accepted:
            connection.close()


def test_tls_mismatches_fail_at_once_with_the_remedy(tmp_path: Path) -> None:
    plain = start_proftpd(tmp_path / "plain")
    secure = start_proftpd(tmp_path / "secure", tls=True)
    output = write_site(tmp_path / "output", {"index.html": "home"})
    try:
        cases = [
            (plain.settings(tls="implicit", cafile=str(secure.cafile)), r"did not start TLS .*FTP_TLS=explicit"),
            (plain.settings(tls="explicit", cafile=str(secure.cafile)), r"does not offer TLS \(AUTH TLS answered"),
            (secure.settings(tls="off", cafile=None), r"refuses unencrypted sessions \(550 .*\); remove FTP_TLS=off"),
        ]
        for settings, message in cases:
            started = time.monotonic()
            with pytest.raises(DeployError, match=message) as refused:
                deploy(load_settings(settings, ENV), output)
            assert "FTP_PASSWORD" not in str(refused.value), "no login hint for a TLS problem"
            assert time.monotonic() - started < 3, f"not retried: {refused.value}"
        assert remote_tree(plain) == {} and remote_tree(secure) == {}
    finally:
        plain.stop()
        secure.stop()


def test_symbolic_links_are_followed_and_broken_ones_named(tmp_path: Path) -> None:
    server = start_proftpd(tmp_path / "server")
    try:
        shared = write_site(tmp_path / "shared", {"logo.svg": "<svg/>", "fonts/a.woff2": "font"})
        output = write_site(tmp_path / "output", {"index.html": "home"})
        (output / "fonts").symlink_to(shared / "fonts", target_is_directory=True)
        (output / "logo.svg").symlink_to(shared / "logo.svg")
        (output / "empty").mkdir()
        settings = load_settings(server.settings(), ENV)
        plan, _ = deploy(settings, output)
        assert remote_tree(server) == {"index.html": b"home", "fonts/a.woff2": b"font", "logo.svg": b"<svg/>"}
        assert plan.empty_folders == ["empty"], "an empty folder is reported, not silently skipped"
        (output / "gone.css").symlink_to(tmp_path / "nowhere.css")
        with pytest.raises(DeployError, match=r"gone.css is a symbolic link to .*nowhere.css, which does not exist"):
            deploy(settings, output)
        (output / "gone.css").unlink()
        (output / "fonts" / "loop").symlink_to(output, target_is_directory=True)
        with pytest.raises(DeployError, match="symbolic link to a folder that contains it"):
            deploy(settings, output)
    finally:
        server.stop()


def test_implicit_ftps(tmp_path: Path) -> None:
    server = start_proftpd(tmp_path / "server", tls=True, implicit=True)
    try:
        output = write_site(tmp_path / "output", {"index.html": "home", "a/b.css": "b{}"})
        implicit = load_settings(server.settings(tls="implicit"), ENV)
        deploy(implicit, output)
        assert remote_tree(server) == local_tree(output) and not leftovers(server)
        assert verify(implicit, output) == []
        explicit = load_settings(server.settings(tls="explicit", greeting_timeout=1), ENV)
        with pytest.raises(DeployError, match=r"sent no FTP greeting within 1 s; if it is an implicit-FTPS port"):
            deploy(explicit, output)
    finally:
        server.stop()


def test_proftpd_refuses_stock_ftplib_without_session_reuse(tmp_path: Path) -> None:
    """The guard for SessionReusingFTP_TLS: the server really demands it, and ours passes."""
    server = start_proftpd(tmp_path / "server", tls=True)
    try:
        stock = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(server.cafile)), timeout=10)
        stock.connect("127.0.0.1", server.port)
        stock.auth()
        stock.login(USER, PASSWORD)
        stock.prot_p()
        with pytest.raises((ftplib.Error, ssl.SSLError)):
            stock.nlst("/site")
        stock.close()
        assert "client did not reuse TLS session" in server.log()
        output = write_site(tmp_path / "output", {"index.html": "home"})
        deploy(load_settings(server.settings(), ENV), output)
        assert remote_tree(server) == local_tree(output)
    finally:
        server.stop()


def test_a_server_refusing_cleartext_with_421_is_not_retried(tmp_path: Path) -> None:
    """pure-ftpd's way: "421 ... cleartext sessions ... not accepted", a code that claims to be temporary."""
    server = start_server(tmp_path / "server", refuse_cleartext=True)
    try:
        with pytest.raises(DeployError, match=r"refuses unencrypted sessions \(421 .*\); remove FTP_TLS=off"):
            deploy(load_settings(server.settings(), ENV), write_site(tmp_path / "output", {"index.html": "home"}))
        assert server.faults.commands["USER"] == 1, "asked once, not five times"
    finally:
        server.stop()


def test_a_long_deploy_checkpoints_its_journal_and_refreshes_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugins.ftp_deploy import server_lock, sync

    monkeypatch.setattr(sync, "CHECKPOINT_EVERY", 0.5)
    monkeypatch.setattr(server_lock, "REFRESH_EVERY", 0.5)
    server = start_server(tmp_path / "server", reply_delay=0.02)
    try:
        output = write_site(tmp_path / "output", {f"page-{n:02d}.html": f"<p>{n}</p>" for n in range(60)})
        site = server.root / "site"
        seen: list[dict] = []
        holders: set[float] = set()
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError, ValueError):
                    seen.append(json.loads((site / MANIFEST_NAME).read_text()))
                with contextlib.suppress(OSError, ValueError):
                    holders.add(json.loads((site / LOCK_NAME / "holder.json").read_text())["refreshed"])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            deploy(load_settings(server.settings(connections=2), ENV), output)
        finally:
            stop.set()
            watcher.join()
        settled_midway = {
            sum(digest is not None for digest in manifest["files"].values()) for manifest in seen if manifest["pending"]
        }
        assert len(settled_midway) > 2, "checkpoints recorded progress while the uploads ran"
        assert len(holders) > 1, "the lock was refreshed"
        assert_exact_copy(server, output, "after a deploy with checkpoints")
    finally:
        server.stop()


def test_a_deploy_that_lost_its_lock_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If a run stalled so long that another took its lock over, it stops rather than write on."""
    from plugins.ftp_deploy import server_lock, sync

    monkeypatch.setattr(sync, "CHECKPOINT_EVERY", 0.3)
    server = start_server(tmp_path / "server", reply_delay=0.02)
    try:
        output = write_site(tmp_path / "output", {f"page-{n:02d}.html": f"<p>{n}</p>" for n in range(60)})
        holder = server.root / "site" / LOCK_NAME / "holder.json"

        def take_over() -> None:
            while not holder.exists():
                time.sleep(0.01)
            time.sleep(0.2)
            other = {"run": "other1", "host": "elsewhere", "pid": 1, "user": "ci", "started": 0, "refreshed": 0}
            holder.write_text(json.dumps(other))

        thief = threading.Thread(target=take_over)
        thief.start()
        with pytest.raises(server_lock.LockHeld, match="this deploy lost its lock to ci@elsewhere"):
            deploy(load_settings(server.settings(connections=2), ENV), output)
        thief.join()
        assert json.loads(holder.read_text())["run"] == "other1", "the other run's lock is left alone"
    finally:
        server.stop()
