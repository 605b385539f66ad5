"""Deploys against a real pyftpdlib server on 127.0.0.1: plain FTP and FTPS with a self-signed certificate."""

from __future__ import annotations

import ftplib
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from blog_build.publication import unpublished_record
from plugins.ftp_deploy.connection import DeployError
from plugins.ftp_deploy.local_site import LocalFile, Withheld, scan_output
from plugins.ftp_deploy.manifest import MANIFEST_NAME, Manifest
from plugins.ftp_deploy.progress import Progress
from plugins.ftp_deploy.settings import DeploySettings, SettingsError, load_settings
from plugins.ftp_deploy.sync import deploy, make_plan, new_folders, verify

from conftest import ROOT, nikola
from deploy_helpers import ENV, deploy_environment, leftovers, local_tree, remote_tree, start, write_site
from ftp_server import PASSWORD, USER, FtpServer, start_server
from proftpd_server import ProftpdServer


def sample_site(folder: Path) -> Path:
    return write_site(
        folder,
        {
            "index.html": "<h1>home</h1>",
            "posts/first/index.html": "<p>first</p>",
            "posts/second/index.html": "<p>second</p>",
            "assets/css/all.css": "body { color: black }",
            "images/plot.png": os.urandom(300_000),
            "rss.xml": "<rss/>",
        },
    )


@pytest.fixture(params=["pyftpdlib-ftp", "pyftpdlib-ftps", "proftpd-ftp", "proftpd-ftps"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FtpServer | ProftpdServer]:
    """Each kind of server the deploy must work with."""
    running = start(request.param, tmp_path / "server")
    yield running
    running.stop()


@pytest.fixture(params=["ftp", "ftps"])
def faulty_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FtpServer]:
    """pyftpdlib, whose faults a test can switch on."""
    running = start_server(tmp_path / "server", tls=request.param == "ftps")
    yield running
    running.stop()


def settings_for(server: FtpServer, **overrides: object) -> DeploySettings:
    return load_settings(server.settings(**overrides), ENV)


def test_first_deploy_copies_output_byte_for_byte(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    plan, summary = deploy(settings_for(server), output)
    assert remote_tree(server) == local_tree(output)
    assert summary.uploaded == 6 and summary.uploaded_bytes == sum(len(b) for b in local_tree(output).values())
    manifest = Manifest.from_json((server.root / "site" / MANIFEST_NAME).read_bytes())
    assert manifest.files == {f.path: f.sha256 for f in scan_output(output).files.values()} and not manifest.pending
    assert [file.path for file in plan.uploads][-1] == "index.html", "the home page goes last"
    assert not leftovers(server)


def test_a_new_folder_goes_online_whole_with_one_rename(faulty_server: FtpServer, tmp_path: Path) -> None:
    pages = {f"posts/{n:02d}/index.html": os.urandom(20_000) for n in range(40)}
    output = write_site(sample_site(tmp_path / "output"), pages)
    complete_or_absent: list[bool] = []
    stop = threading.Event()

    def watch() -> None:
        posts = faulty_server.root / "site/posts"
        while not stop.is_set():
            if posts.exists():
                online = {path: (faulty_server.root / "site" / path).read_bytes() for path in pages}
                complete_or_absent.append(online == pages)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        _, summary = deploy(settings_for(faulty_server), output)
    finally:
        stop.set()
        watcher.join()
    assert remote_tree(faulty_server) == local_tree(output) and summary.uploaded == 46
    assert complete_or_absent and all(complete_or_absent), "posts/ was seen online before all its files were"
    # posts/, assets/ and images/ once each, index.html and rss.xml, and the manifest twice (journal, final).
    assert faulty_server.faults.commands["RNFR"] == 3 + 2 + 2
    folders = {folder for path in output.rglob("*") for folder in path.relative_to(output).parents} - {Path(".")}
    assert faulty_server.faults.commands["MKD"] == len(folders) + 1, (
        "the lock, and each folder is made once, however many connections need it"
    )
    assert not leftovers(faulty_server)


def test_new_folders_are_the_outermost_ones_no_earlier_deploy_filled() -> None:
    manifest = Manifest(files={"posts/a/index.html": "1" * 64, "drafts/x/index.html": None})
    uploads = [
        LocalFile(path, "2" * 64, 1)
        for path in ("index.html", "posts/b/index.html", "posts/b/img/x.png", "assets/x.css", "drafts/y/index.html")
    ]
    assert new_folders(uploads, manifest) == ["assets", "drafts", "posts/b"]


def test_server_that_will_not_rename_folders(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", rename_folders=False)
    try:
        output = sample_site(tmp_path / "output")
        settings = settings_for(server)
        deploy(settings, output)
        assert remote_tree(server) == local_tree(output)
        write_site(output, {"posts/third/index.html": "<p>third</p>", "posts/third/plot.png": b"png"})
        _, summary = deploy(settings, output)
        assert summary.uploaded == 2 and remote_tree(server) == local_tree(output)
        assert not leftovers(server), "staging folders are removed"
    finally:
        server.stop()


def test_interrupted_first_deploy_shows_no_new_folder_and_the_rerun_cleans_up(
    faulty_server: FtpServer, tmp_path: Path
) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(faulty_server)
    faulty_server.faults.drop_after_bytes = 100_000
    faulty_server.faults.drop_times = -1
    with pytest.raises(DeployError, match="uploading images/plot.png"):
        deploy(settings, output)
    site = faulty_server.root / "site"
    assert not (site / "images").exists() and not (site / "index.html").exists()
    assert [name for name in leftovers(faulty_server) if "/" not in name], (
        "the partial upload stayed in its staging folder"
    )
    faulty_server.faults.drop_after_bytes = None
    deploy(settings, output)
    assert remote_tree(faulty_server) == local_tree(output)
    assert not leftovers(faulty_server)


def test_second_deploy_and_a_fresh_rebuild_upload_nothing(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(server)
    deploy(settings, output)
    _, again = deploy(settings, output)
    assert again.uploaded == 0 and again.unchanged == 6
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(output, rebuilt)  # new files, new timestamps, same bytes
    for path in rebuilt.rglob("*"):
        os.utime(path, (1, 1))
    _, fresh = deploy(settings, rebuilt)
    assert fresh.uploaded == 0 and fresh.uploaded_bytes == 0


def test_edit_sends_changes_deletes_removed_files_and_spares_foreign_ones(
    server: FtpServer | ProftpdServer, tmp_path: Path
) -> None:
    output = sample_site(tmp_path / "output")
    site = server.root / "site"
    write_site(site, {"foreign.txt": "not ours", "posts/second/comments.json": "{}"})
    settings = settings_for(server)
    deploy(settings, output)

    (output / "posts/first/index.html").write_text("<p>first, edited</p>")
    shutil.rmtree(output / "posts/second")
    write_site(output, {"posts/third/index.html": "<p>third</p>"})
    plan, summary = deploy(settings, output)

    assert sorted(f.path for f in plan.uploads) == ["posts/first/index.html", "posts/third/index.html"]
    assert plan.deletions == ["posts/second/index.html"] and summary.deleted == 1
    assert (site / "foreign.txt").read_text() == "not ours"
    assert (site / "posts/second/comments.json").exists(), "a folder holding someone else's file stays"
    expected = local_tree(output) | {"foreign.txt": b"not ours", "posts/second/comments.json": b"{}"}
    assert remote_tree(server) == expected


def test_emptied_folders_are_removed(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(server)
    deploy(settings, output)
    shutil.rmtree(output / "posts/second")
    deploy(settings, output)
    assert not (server.root / "site/posts/second").exists()


def test_deploy_that_would_empty_the_site_needs_force(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(server)
    deploy(settings, output)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DeployError, match="would delete 6 of the 6 files.*--force"):
        deploy(settings, empty)
    assert remote_tree(server) == local_tree(output)
    deploy(settings, empty, force=True)
    assert remote_tree(server) == {}


def test_dry_run_changes_nothing(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    plan, summary = deploy(settings_for(server), output, dry_run=True)
    assert len(plan.uploads) == 6 and summary.uploaded == 0
    assert not any((server.root / "site").iterdir())


def test_dropped_data_connection_never_exposes_a_partial_file(faulty_server: FtpServer, tmp_path: Path) -> None:
    old = sample_site(tmp_path / "old")
    settings = settings_for(faulty_server)
    deploy(settings, old)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    write_site(new, {"images/plot.png": os.urandom(300_000), "index.html": "<h1>home, new</h1>"})
    allowed = {
        path: {
            hashlib.sha256(content).digest()
            for content in (local_tree(old).get(path), local_tree(new)[path])
            if content
        }
        for path in local_tree(new)
    }
    partial_seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        site = faulty_server.root / "site"
        while not stop.is_set():
            try:
                paths = list(site.rglob("*"))
            except FileNotFoundError:
                continue  # a folder went away while being listed
            for path in paths:
                relative = path.relative_to(site).as_posix()
                if relative in allowed:
                    try:
                        digest = hashlib.sha256(path.read_bytes()).digest()
                    except FileNotFoundError:
                        continue
                    if digest not in allowed[relative]:
                        partial_seen.append(relative)

    faulty_server.faults.drop_after_bytes = 100_000
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        _, summary = deploy(settings, new)
    finally:
        stop.set()
        watcher.join()
    assert faulty_server.faults.dropped, "the faulty_server did cut an upload"
    assert not partial_seen, f"partial content under a final name: {partial_seen}"
    assert summary.uploaded == 2
    assert remote_tree(faulty_server) == local_tree(new)


def test_interrupted_deploy_keeps_the_old_site_and_the_rerun_converges(
    faulty_server: FtpServer, tmp_path: Path
) -> None:
    old = sample_site(tmp_path / "old")
    settings = settings_for(faulty_server)
    deploy(settings, old)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    write_site(new, {"images/plot.png": os.urandom(300_000), "posts/new/index.html": "<p>new</p>"})
    (new / "posts/second/index.html").unlink()

    faulty_server.faults.drop_after_bytes = 50_000
    faulty_server.faults.drop_times = -1
    with pytest.raises(DeployError, match=r"uploading images/plot.png: .*gave up after 4 attempts"):
        deploy(settings, new)
    online = remote_tree(faulty_server)
    assert online["images/plot.png"] == local_tree(old)["images/plot.png"], "the old image is still served"
    assert online["posts/second/index.html"] == b"<p>second</p>", "nothing is deleted before all uploads succeed"
    assert [name for name in leftovers(faulty_server) if name.startswith("images/")], (
        "a partial upload is left under its temporary name"
    )

    faulty_server.faults.drop_after_bytes = None
    deploy(settings, new)
    assert remote_tree(faulty_server) == local_tree(new)
    assert not leftovers(faulty_server), "the rerun cleaned up the leftovers"


def test_server_that_will_not_rename_over_a_file(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True, rename_over=False)
    try:
        output = sample_site(tmp_path / "output")
        settings = settings_for(server)
        deploy(settings, output)
        (output / "index.html").write_text("<h1>home, second edition</h1>")
        _, summary = deploy(settings, output)
        assert summary.uploaded == 1
        assert remote_tree(server) == local_tree(output), "no temporary or set-aside file is left"
    finally:
        server.stop()


def test_verify_names_a_file_changed_behind_our_back(server: FtpServer | ProftpdServer, tmp_path: Path) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(server)
    deploy(settings, output)
    assert verify(settings, output) == []
    (server.root / "site/posts/first/index.html").write_text("<p>defaced</p>")
    (server.root / "site/rss.xml").unlink()
    assert verify(settings, output) == [
        "differs on the server: posts/first/index.html",
        "missing on the server: rss.xml",
    ]


def test_unreadable_manifest_aborts_instead_of_counting_as_empty(
    server: FtpServer | ProftpdServer, tmp_path: Path
) -> None:
    output = sample_site(tmp_path / "output")
    settings = settings_for(server)
    deploy(settings, output)
    manifest = server.root / "site" / MANIFEST_NAME
    good = manifest.read_text()
    # Half a manifest (two writers, a full disk), and one whose content no longer matches its checksum.
    for damaged in (good[: len(good) // 2], good.replace('"images/plot.png": "', '"images/plot.png": "0')):
        manifest.write_text(damaged)
        with pytest.raises(DeployError, match=r"unusable \(.*\); .*--verify --repair"):
            deploy(settings, output)
        assert manifest.read_text() == damaged, "nothing is written on the strength of a damaged manifest"
    (server.root / "site/posts/first/index.html").write_text("<p>defaced</p>")
    plan, summary = deploy(settings, output, repair=True)
    assert any("rebuilt from the files on the server" in note for note in plan.notes)
    assert [file.path for file in plan.uploads] == ["posts/first/index.html"], "only what differs is re-sent"
    assert remote_tree(server) == local_tree(output) and verify(settings, output) == []
    assert Manifest.from_json(manifest.read_bytes()).files == {
        file.path: file.sha256 for file in scan_output(output).files.values()
    }


def test_wrong_password_is_one_clear_error(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True)
    try:
        settings = load_settings(server.settings(), {"FTP_PASSWORD": "wrong"})
        with pytest.raises(DeployError, match="login refused .*530") as error:
            deploy(settings, sample_site(tmp_path / "output"))
        assert "\n" not in str(error.value) and "wrong" not in str(error.value)
    finally:
        server.stop()


def test_read_only_account_changes_nothing(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True, perm="elr")
    write_site(server.root / "site", {"index.html": "old home"})
    try:
        with pytest.raises(DeployError, match="550"):
            deploy(settings_for(server), sample_site(tmp_path / "output"))
        assert remote_tree(server) == {"index.html": b"old home"}
    finally:
        server.stop()


def test_server_refusing_deletes_keeps_everything_and_says_so(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True, perm="elrawmf")
    try:
        output = sample_site(tmp_path / "output")
        settings = settings_for(server)
        deploy(settings, output)
        (output / "rss.xml").unlink()
        (output / "index.html").write_text("<h1>home 2</h1>")
        with pytest.raises(DeployError, match="deleting rss.xml: 550"):
            deploy(settings, output)
        online = remote_tree(server)
        assert online["index.html"] == b"<h1>home 2</h1>" and online["rss.xml"] == b"<rss/>"
        manifest = json.loads((server.root / "site" / MANIFEST_NAME).read_text())
        assert "rss.xml" in manifest["files"], "the file that could not be deleted is still accounted for"
    finally:
        server.stop()


def test_server_demanding_tls_session_reuse(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True, require_session_reuse=True)
    try:
        output = sample_site(tmp_path / "output")
        stock = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(server.cafile)))
        stock.connect("127.0.0.1", server.port)
        stock.auth()
        stock.login(USER, PASSWORD)
        stock.prot_p()
        # The server really refuses a data connection without reuse: stock ftplib sees either
        # the 522 reply or, when the server hangs up first, the TLS shutdown failing.
        with pytest.raises((ftplib.Error, ssl.SSLError)) as refused:
            stock.nlst("/site")
        assert isinstance(refused.value, ssl.SSLError) or "522" in str(refused.value)
        stock.close()
        deploy(settings_for(server), output)
        assert remote_tree(server) == local_tree(output)
    finally:
        server.stop()


def test_untrusted_certificate_is_refused_with_advice(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=True)
    try:
        settings = load_settings(server.settings(cafile=None), ENV)
        with pytest.raises(DeployError, match="certificate is not trusted.*FTP_CAFILE"):
            deploy(settings, sample_site(tmp_path / "output"))
        assert remote_tree(server) == {}
    finally:
        server.stop()


def test_plain_server_is_not_used_unless_tls_is_off(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server", tls=False)
    try:
        settings = load_settings(server.settings(tls="explicit"), ENV)
        with pytest.raises(DeployError, match="does not offer TLS.*FTP_TLS=off"):
            deploy(settings, sample_site(tmp_path / "output"))
    finally:
        server.stop()


def test_progress_prints_plain_lines_when_not_a_terminal(tmp_path: Path) -> None:
    import io

    server = start_server(tmp_path / "server")
    try:
        stream = io.StringIO()
        output = sample_site(tmp_path / "output")
        deploy(settings_for(server), output, progress=Progress(stream))
        lines = stream.getvalue().splitlines()
        assert len(lines) == 6 and all(line.startswith("uploaded ") for line in lines)
        (output / "rss.xml").unlink()
        stream = io.StringIO()
        deploy(settings_for(server), output, progress=Progress(stream))
        assert stream.getvalue().splitlines() == ["deleted rss.xml"], "deletions are named like uploads"
    finally:
        server.stop()


def test_progress_bar_on_a_terminal_ends_its_line(tmp_path: Path) -> None:
    import io

    server = start_server(tmp_path / "server")
    try:
        stream = io.StringIO()
        deploy(settings_for(server), sample_site(tmp_path / "output"), progress=Progress(stream, interactive=True))
        text = stream.getvalue()
        assert text.count("\r") == 6 and text.endswith("\n")
        assert "6/6 files" in text.splitlines()[-1]
    finally:
        server.stop()


def test_settings_from_environment_and_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine ftp.example.org login stuart password from-netrc\n")
    netrc.chmod(0o600)
    conf = {"host": "ftp.example.org", "user": "stuart", "remote_dir": "public_html/"}
    settings = load_settings(conf, {}, netrc_file=netrc)
    assert (settings.password, settings.remote_dir, settings.tls, settings.port) == (
        "from-netrc",
        "/public_html",
        "explicit",
        21,
    )
    assert "from-netrc" not in repr(settings)
    env = {"FTP_PASSWORD": "from-env", "FTP_TLS": "implicit", "FTP_USER": "other", "FTP_REMOTE_DIR": "/www"}
    settings = load_settings(conf, env, netrc_file=netrc)
    assert (settings.password, settings.user, settings.port, settings.remote_dir) == ("from-env", "other", 990, "/www")
    with pytest.raises(SettingsError, match="no password for stuart@ftp.example.org"):
        load_settings(conf, {}, netrc_file=tmp_path / "missing")
    with pytest.raises(SettingsError, match="FTP_TLS must be one of"):
        load_settings(conf, {"FTP_PASSWORD": "x", "FTP_TLS": "maybe"})


def test_plan_orders_assets_pages_then_home() -> None:
    local = scan_output(Path(__file__).parent / "fixtures" / "tiny_site").files
    plan = make_plan(local, Manifest())
    assert [f.path for f in plan.uploads] == ["style.css", "about/index.html", "index.html"]


def unpublished_post(site: Path, slug: str, status: str, date: str) -> None:
    shutil.copy(site / "posts/welcome.ipynb", site / f"posts/{slug}.ipynb")
    meta = f".. title: {slug}\n.. slug: {slug}\n.. date: {date}\n.. status: {status}\n.. type: text\n"
    (site / f"posts/{slug}.meta").write_text(meta)


def test_nikola_ftp_deploy_command(tmp_path: Path, small_site: Path) -> None:
    """Through Nikola: dry run, deploy, no change, verify, a bad password; drafts and future posts stay offline."""
    server = start_server(tmp_path / "server", tls=True)
    unpublished_post(small_site, "draft-notes", "draft", "2016-01-01 10:00:00 UTC")
    unpublished_post(small_site, "next-year", "published", "2099-01-01 10:00:00 UTC")
    try:
        nikola(small_site, "build")
        output = small_site / "output"
        assert (output / "posts/draft-notes/index.html").exists() and (output / "posts/next-year/index.html").exists()
        env = deploy_environment(server)

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "nikola", *args], cwd=small_site, env=env, capture_output=True, text=True
            )

        def published() -> dict[str, bytes]:
            return {
                path: data
                for path, data in local_tree(output).items()
                if not path.startswith(("posts/draft-notes/", "posts/next-year/"))
            }

        dry = run("ftp_deploy", "--dry-run")
        assert dry.returncode == 0 and "would upload" in dry.stdout and not any((server.root / "site").iterdir())
        assert "draft-notes" not in dry.stdout and "next-year" not in dry.stdout
        assert "left out, as the site does not publish them yet" in dry.stderr
        planned = sorted(line.split()[1] for line in dry.stdout.splitlines() if line.startswith("upload "))
        first = run("deploy")
        assert first.returncode == 0, first.stderr
        assert "uploaded" in first.stderr and "-m plugins.ftp_deploy" in first.stderr, "nikola deploy ran our upload"
        assert remote_tree(server) == published(), "online: exactly what the site publishes"
        assert sorted(remote_tree(server)) == planned, "the dry run showed what the deploy did"
        again = run("ftp_deploy")
        assert "0 uploaded" in again.stderr
        checked = run("ftp_deploy", "--verify")
        assert checked.returncode == 0, checked.stdout + checked.stderr

        # The draft is published, then withdrawn again: online, then taken down.
        meta = small_site / "posts/draft-notes.meta"
        meta.write_text(meta.read_text().replace("status: draft", "status: published"))
        nikola(small_site, "build")
        assert run("ftp_deploy").returncode == 0
        assert "posts/draft-notes/index.html" in remote_tree(server) and remote_tree(server) == published() | {
            path: data for path, data in local_tree(output).items() if path.startswith("posts/draft-notes/")
        }
        meta.write_text(meta.read_text().replace("status: published", "status: draft"))
        nikola(small_site, "build")
        withdrawn = run("ftp_deploy")
        assert withdrawn.returncode == 0 and "deleted posts/draft-notes/index.html" in withdrawn.stderr
        assert remote_tree(server) == published()

        bad = subprocess.run(
            [sys.executable, "-m", "nikola", "ftp_deploy"],
            cwd=small_site,
            env={**env, "FTP_PASSWORD": "nope"},
            capture_output=True,
            text=True,
        )
        assert bad.returncode != 0 and "login refused" in bad.stderr and "Traceback" not in bad.stderr
        for result in (dry, first, again, checked, withdrawn, bad):
            assert PASSWORD not in result.stdout + result.stderr
    finally:
        server.stop()


def test_deploy_module_outside_a_site_says_where_to_run_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plugins.ftp_deploy", "--dry-run"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "no conf.py in" in result.stderr and "Traceback" not in result.stderr


def test_unpublished_posts_own_their_folder_unless_a_published_page_shares_it() -> None:
    drafts = [
        {
            "source": "posts/a.ipynb",
            "status": "draft",
            "date": "2020-01-01T00:00:00+00:00",
            "paths": ["posts/a/index.html", "posts/a/index.ipynb"],
        },
        {
            "source": "posts/b.ipynb",
            "status": "future",
            "date": "2099-01-01T00:00:00+00:00",
            "paths": ["shared/index.html"],
        },
    ]
    record = unpublished_record(drafts, ["posts/c/index.html", "shared/other/index.html"])
    by_source = {post["source"]: post for post in record["posts"]}
    assert by_source["posts/a.ipynb"]["folders"] == ["posts/a"], "its images go with it"
    assert by_source["posts/b.ipynb"]["folders"] == [], "a published page lives below its folder"
    withheld = Withheld(frozenset(["shared/index.html"]), ("posts/a",))
    assert "posts/a/plot.png" in withheld and "shared/index.html" in withheld
    assert "shared/other/index.html" not in withheld and "posts/ab/index.html" not in withheld


def test_the_deploy_imports_nothing_of_the_build() -> None:
    """The deploy reads output/ and the cache's records only: a build bug cannot reach the server's copy."""
    code = (
        "import sys, plugins.ftp_deploy.command, plugins.ftp_deploy.__main__\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('blog_build', 'nikola', 'nbconvert')))"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
