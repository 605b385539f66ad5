"""Deploy benchmark: our upload against `lftp mirror -R --parallel=4`, same server, same run.

"Ours" is `python -m plugins.ftp_deploy`, the command `nikola deploy` runs (DEPLOY_COMMANDS
in conf.py); a site deploying with lftp would put lftp there instead, so `nikola deploy`'s
own start-up is the same for both and left out. For the built blog and for a generated
1,000-file site, each tool does, against a fresh server on 127.0.0.1:

- first: upload everything to an empty folder;
- no change: deploy again at once;
- rebuilt: deploy a fresh copy of the same content (new files, new timestamps).

Servers: pyftpdlib over plain FTP (so that lftp and we pay the same costs), answering at
once and holding every reply back --delay-ms milliseconds (a host that far away; only
127.0.0.1 is reachable here, and the kernel's netem is not available, so the delay is the
server's); and Debian's proftpd over FTPS with TLS session reuse required, what many web
hosts run. Seconds are medians of --runs runs; bytes are what the server received.
"Whole command" includes Python start-up; "deploy itself" is the time the upload reports
for its own work.

    .venv/bin/python benchmarks/deploy_benchmark.py [--runs 3] [--delay-ms 10] [--write]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.report import replace_section  # noqa: E402

from conftest import copy_site  # noqa: E402
from ftp_server import PASSWORD, USER, start_server  # noqa: E402
from proftpd_server import start_proftpd  # noqa: E402

SCENARIOS = ("first", "no change", "rebuilt")
READING = """
How to read it: ours sends 0 bytes after a rebuild of unchanged content, because it
compares SHA-256 hashes; lftp compares sizes and timestamps and re-sends whatever looks
newer. A first deploy costs ours two commands per file (PASV, STOR): a folder new to the
server is uploaded under a temporary name and renamed once, where lftp sends four (PASV,
STOR, SITE CHMOD, MFMT). Every deploy that changes something also takes and releases the
server's lock and writes its journal twice, checking the lock each time (about ten commands
and three data connections); a deploy with nothing to do reads the manifest only. With the
server 10 ms away ours takes 0.65-0.79x lftp's time for a first deploy and far less for
the others (lftp lists every folder to compare; ours reads one manifest). Against Debian's
proftpd over FTPS (TLS session reuse required) ours takes 0.69-0.82x lftp's time for a first
deploy; before data connections were switched to TCP_NODELAY it took 1.7-3.7x, each small
file waiting 40 ms for the server's delayed acknowledgement of its last TLS record.
proftpd's greeting sometimes comes 0.2-0.4 s late, at random, which is most of the spread
between no-change and rebuilt there. On 127.0.0.1 with no delay and pyftpdlib both tools
are bound by the CPU of the Python test server (about 1 ms per file); the built blog's
first deploy is where ours is slowest, 0.24 s against 0.13 s: starting Python and
importing the upload code takes about 0.1 s, which lftp, a compiled program, does not pay.
`nikola deploy` adds Nikola's own start-up (about 0.6 s) to either tool.
"""


def generated_site(folder: Path, files: int = 1000, seed: int = 1) -> Path:
    """`files` files of 2-40 KB in 50 folders, with fixed content for a given seed."""
    rng = random.Random(seed)
    for number in range(files):
        path = folder / f"section-{number % 50:02d}" / f"page-{number:04d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(2_000, 40_000)))
    (folder / "index.html").write_text("<h1>home</h1>")
    return folder


def fresh_copy(source: Path, dest: Path) -> Path:
    """The same bytes under new files and new timestamps, as after a rebuild in a fresh clone."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, copy_function=shutil.copyfile)
    return dest


class Ours:
    """`python -m plugins.ftp_deploy` in a copy of the site whose output/ holds the tree to deploy."""

    name = "ours"

    def __init__(self, site: Path) -> None:
        self.site = site

    def prepare(self, tree: Path, scenario: str) -> None:
        if scenario != "no change":
            fresh_copy(tree, self.site / "output")

    def deploy(self, server) -> None:
        env = {
            **os.environ,
            "FTP_HOST": "127.0.0.1",
            "FTP_PORT": str(server.port),
            "FTP_USER": USER,
            "FTP_PASSWORD": PASSWORD,
            "FTP_REMOTE_DIR": "/site",
            "FTP_TLS": "explicit" if server.cafile else "off",
            **({"FTP_CAFILE": str(server.cafile)} if server.cafile else {}),
        }
        command = [sys.executable, "-m", "plugins.ftp_deploy"]
        result = subprocess.run(command, cwd=self.site, env=env, check=True, capture_output=True, text=True)
        self.own_seconds = float(re.search(r"unchanged in ([0-9.]+) s", result.stderr).group(1))


class Lftp:
    """`lftp mirror -R --parallel=4`, the usual way to push a static site over FTP."""

    name = "lftp mirror"

    own_seconds = None  # lftp does not report its own time apart from start-up

    def prepare(self, tree: Path, scenario: str) -> None:
        self.tree = tree

    def deploy(self, server) -> None:
        tls = (
            f"set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:ca-file '{server.cafile}'"
            if server.cafile
            else "set ftp:ssl-allow no"
        )
        script = f"{tls}; mirror -R --parallel=4 '{self.tree}' /site; quit"
        subprocess.run(
            ["lftp", "-u", USER, "--env-password", "-p", str(server.port), "-e", script, "127.0.0.1"],
            env={**os.environ, "LFTP_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )


def start(server_kind: str, folder: Path, delay: float):
    if server_kind == "proftpd, FTPS":
        return start_proftpd(folder, tls=True)
    return start_server(folder, reply_delay=delay)


def received_bytes(server) -> int:
    return server.received_bytes() if hasattr(server, "received_bytes") else server.faults.received_bytes


def measure(tool, output: Path, work: Path, server_kind: str, delay: float) -> dict[str, tuple]:
    """Seconds, bytes received by the server, and the tool's own seconds, per scenario, on a fresh server."""
    server = start(server_kind, work / "server", delay)
    results = {}
    try:
        for scenario in SCENARIOS:
            tool.prepare(fresh_copy(output, work / "rebuilt") if scenario == "rebuilt" else output, scenario)
            before = received_bytes(server)
            started = time.perf_counter()
            tool.deploy(server)
            elapsed = time.perf_counter() - started
            results[scenario] = (elapsed, received_bytes(server) - before, tool.own_seconds)
    finally:
        server.stop()
    return results


def benchmark(runs: int, delays_ms: list[int]) -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="deploy-bench-") as temp:
        temp = Path(temp)
        site = copy_site(temp / "site")
        subprocess.run([sys.executable, "-m", "nikola", "build"], cwd=site, check=True, capture_output=True)
        built = fresh_copy(site / "output", temp / "built-output")
        generated = generated_site(temp / "generated")
        for label, output in (("this blog", built), ("1,000 files", generated)):
            count = sum(1 for path in output.rglob("*") if path.is_file())
            servers = [("pyftpdlib, FTP", delay) for delay in delays_ms] + [("proftpd, FTPS", 0)]
            for server_kind, delay in servers:
                tools = (Ours(site), Lftp())
                samples: dict[str, list] = {tool.name: [] for tool in tools}
                for _run in range(runs):  # the tools take turns, so the machine's drift falls on both
                    for tool in tools:
                        work = Path(tempfile.mkdtemp(dir=temp))
                        samples[tool.name].append(measure(tool, output, work, server_kind, delay / 1000))
                for tool in tools:
                    for scenario in SCENARIOS:
                        taken = samples[tool.name]
                        seconds = statistics.median(sample[scenario][0] for sample in taken)
                        sent = statistics.median(sample[scenario][1] for sample in taken)
                        own = [sample[scenario][2] for sample in taken if sample[scenario][2] is not None]
                        own_median = statistics.median(own) if own else None
                        where = f"{server_kind}, {delay} ms"
                        rows.append((f"{label} ({count} files)", where, scenario, tool.name, seconds, own_median, sent))
    lines = [
        "| site | server, reply delay | deploy | tool | seconds, whole command | seconds, deploy itself "
        "| bytes uploaded | time vs lftp |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lftp = {(site, where, scenario): seconds for site, where, scenario, tool, seconds, *_ in rows if tool == Lftp.name}
    for site, where, scenario, tool, seconds, own, sent in rows:
        ratio = seconds / lftp[(site, where, scenario)]
        own_text = "-" if own is None else f"{own:.2f}"
        lines.append(
            f"| {site} | {where} | {scenario} | {tool} | {seconds:.2f} | {own_text} | {sent:,.0f} | {ratio:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay-ms", type=int, default=10, help="the far-away server's reply delay")
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/README.md")
    args = parser.parse_args()
    if shutil.which("lftp") is None:
        sys.exit("lftp is not installed (apt-get install lftp); it is the baseline")
    table = benchmark(args.runs, [0, args.delay_ms])
    print(table)
    if args.write:
        command = f"`.venv/bin/python benchmarks/deploy_benchmark.py --runs {args.runs} --delay-ms {args.delay_ms}`"
        replace_section("Deploy", table, command, READING)


if __name__ == "__main__":
    main()
