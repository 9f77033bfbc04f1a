"""Bring GitHub's published contract into the cache the contract test reads: the pinned
npm packages of tests/contract/pins.json, fetched with the ordinary npm client (`npm pack
NAME@VERSION`), their integrity checked against the pin, and the files the test needs
taken out. Run by .ci/run; by hand: `python tests/contract/fetch.py`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PINS = Path(__file__).with_name("pins.json")


def cache_folder() -> Path:
    """Where the contract lives: $PRGROUPS_CONTRACT_DIR, or .cache/contract in the repository."""
    given = os.environ.get("PRGROUPS_CONTRACT_DIR")
    return Path(given) if given else Path(__file__).parents[2] / ".cache" / "contract"


def folder_of(into: Path, name: str, pin: dict[str, str]) -> Path:
    return into / f"{name.lstrip('@').replace('/', '-')}-{pin['version']}"


def contract_file(name: str, target: str) -> Path:
    """The path of one of the pinned files, fetched or not."""
    pin = json.loads(PINS.read_text())[name]
    return folder_of(cache_folder(), name, pin) / target


def fetch(into: Path) -> list[Path]:
    pins = json.loads(PINS.read_text())
    into.mkdir(parents=True, exist_ok=True)
    made = []
    for name, pin in pins.items():
        wanted = {folder_of(into, name, pin) / target for target in pin["files"].values()}
        if all(path.exists() for path in wanted):
            made += sorted(wanted)
            continue
        with tempfile.TemporaryDirectory() as scratch:
            packed = (
                subprocess.run(
                    ["npm", "pack", "--silent", f"{name}@{pin['version']}"],
                    cwd=scratch,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            tarball = Path(scratch) / packed
            algorithm, expected = pin["integrity"].split("-", 1)
            digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest())
            if digest.decode() != expected:
                raise SystemExit(
                    f"{name}@{pin['version']}: integrity {digest.decode()} is not "
                    f"the pinned {expected}"
                )
            with tarfile.open(tarball) as archive:
                for member, target in pin["files"].items():
                    path = folder_of(into, name, pin) / target
                    path.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    if source is None:
                        raise SystemExit(f"{name}@{pin['version']} has no {member}")
                    with source, path.open("wb") as out:
                        shutil.copyfileobj(source, out)
                    made.append(path)
    return made


if __name__ == "__main__":
    for path in fetch(cache_folder()):
        print(f"contract: {path}", file=sys.stderr)
