"""The Nikola versions a plugin that replaces or patches Nikola's code was written and tested for.

Nikola 8.3 reads no version range from a `.plugin` file, so each such plugin checks its
own `[Nikola] MinVersion` / `MaxVersion` (inclusive; MaxVersion may end in `.*`) when it
is loaded, and stops the build with one line instead of misbehaving on an untested Nikola.
"""

from __future__ import annotations

import configparser
from pathlib import Path


def parts(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def in_range(version: str, minimum: str, maximum: str) -> bool:
    """Whether `version` lies in [minimum, maximum]; "8.3.*" as maximum means any 8.3 release."""
    found = parts(version)
    if maximum.endswith(".*"):
        prefix = parts(maximum[:-2])
        return parts(minimum) <= found and found[: len(prefix)] <= prefix
    return parts(minimum) <= found <= parts(maximum)


def check_nikola(module_file: str) -> None:
    """Stop with one line if the running Nikola is outside the range the module's .plugin file names."""
    import nikola
    from nikola.utils import LOGGER

    descriptor = Path(module_file).with_suffix(".plugin")
    config = configparser.ConfigParser()
    config.read(descriptor, encoding="utf-8")
    minimum = config.get("Nikola", "MinVersion", fallback="0")
    maximum = config.get("Nikola", "MaxVersion", fallback="*")
    if maximum != "*" and not in_range(nikola.__version__, minimum, maximum):
        LOGGER.error(
            f"{descriptor}: written for Nikola {minimum} to {maximum}, but Nikola {nikola.__version__} is installed;"
            " install the version requirements/site.lock pins (make build does)"
        )
        raise SystemExit(1)
