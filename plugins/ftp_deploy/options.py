"""The deploy command's usage and switches, apart from the code that deploys.

Nikola imports every command plugin's module on every run, `nikola build` included; the
plugin module needs only these to describe the command, so the deploy code (ftplib, ssl,
hashing) is imported when the command runs.
"""

USAGE = "[--dry-run | --verify [--repair]] [--force] [--break-lock]"
PURPOSE = "upload output/ to the FTP(S) server named in FTP_DEPLOY, sending only what changed"
# (option, help) for each command-line switch.
OPTIONS = (
    ("dry-run", "print exactly what a deploy would upload and delete, and change nothing"),
    ("verify", "download everything and report each file that differs from output/"),
    ("repair", "with --verify: re-send what differs and rebuild a damaged manifest"),
    ("force", "allow a deploy that deletes most of the site"),
    ("break-lock", "take over the server's lock left by a deploy that crashed"),
)
