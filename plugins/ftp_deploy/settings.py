"""Where and how to deploy: conf.py's FTP_DEPLOY, overridden by FTP_* environment variables.

The password is read only from FTP_PASSWORD or ~/.netrc, never from conf.py.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TLS_MODES = ("explicit", "implicit", "off")
ENVIRONMENT = {
    "host": "FTP_HOST",
    "port": "FTP_PORT",
    "user": "FTP_USER",
    "remote_dir": "FTP_REMOTE_DIR",
    "tls": "FTP_TLS",
    "cafile": "FTP_CAFILE",
    "connections": "FTP_CONNECTIONS",
}


class SettingsError(ValueError):
    """A deploy setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class DeploySettings:
    host: str
    user: str
    password: str = field(repr=False)
    port: int = 21
    remote_dir: str = "/"
    tls: str = "explicit"
    cafile: str | None = None
    connections: int = 4
    timeout: float = 30.0  # seconds of silence on a connection that has greeted us
    greeting_timeout: float = 10.0  # a port that accepts but never greets is not an FTP server we can use
    attempts: int = 5  # per operation, each on a fresh connection
    backoff: float = 0.5  # seconds before the second attempt, doubling after each failure


def _number(name: str, value: object, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {number}")
    return number


def find_password(host: str, user: str, environ: Mapping[str, str], netrc_file: Path | None) -> tuple[str, str]:
    """Return (user, password) from FTP_PASSWORD or the netrc entry for `host`."""
    if environ.get("FTP_PASSWORD"):
        return user, environ["FTP_PASSWORD"]
    path = netrc_file or Path(environ.get("NETRC", Path.home() / ".netrc"))
    if path.exists():
        try:
            entry = netrc.netrc(str(path)).authenticators(host)
        except (netrc.NetrcParseError, OSError) as error:
            raise SettingsError(f"cannot read {path}: {error}") from None
        if entry and entry[2] and (not user or not entry[0] or entry[0] == user):
            return user or entry[0], entry[2]
    raise SettingsError(f"no password for {user or '?'}@{host}: set FTP_PASSWORD or add 'machine {host}' to {path}")


def load_settings(
    conf: Mapping[str, object], environ: Mapping[str, str] = os.environ, netrc_file: Path | None = None
) -> DeploySettings:
    """Merge conf.py's FTP_DEPLOY with the FTP_* environment variables and check the result."""
    values = dict(conf)
    for key, variable in ENVIRONMENT.items():
        if environ.get(variable):
            values[key] = environ[variable]
    host = str(values.get("host") or "")
    if not host:
        raise SettingsError("no FTP host: set FTP_DEPLOY['host'] in conf.py or FTP_HOST")
    tls = str(values.get("tls") or "explicit").lower()
    if tls not in TLS_MODES:
        raise SettingsError(f"FTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
    port = _number("FTP_PORT", values.get("port") or (990 if tls == "implicit" else 21), 1, 65535)
    cafile = values.get("cafile") or None
    if cafile and not Path(str(cafile)).is_file():
        raise SettingsError(f"FTP_CAFILE {cafile} is not a file")
    remote_dir = "/" + str(values.get("remote_dir") or "/").strip("/")
    user, password = find_password(host, str(values.get("user") or ""), environ, netrc_file)
    if not user:
        raise SettingsError("no FTP user: set FTP_DEPLOY['user'] in conf.py, FTP_USER, or 'login' in ~/.netrc")
    return DeploySettings(
        host=host,
        user=user,
        password=password,
        port=port,
        remote_dir=remote_dir,
        tls=tls,
        cafile=str(cafile) if cafile else None,
        connections=_number("FTP_CONNECTIONS", values.get("connections") or 4, 1, 16),
        timeout=float(values.get("timeout") or 30.0),
        greeting_timeout=float(values.get("greeting_timeout") or 10.0),
        attempts=_number("attempts", values.get("attempts") or 5, 1, 20),
        backoff=float(values.get("backoff", 0.5)),
    )
