"""Which of the spec's commands may run here.

`setup` and the local forge's `checks` come from a committed file and run with the
user's rights, like a Makefile's. A repository cloned from someone else must not run
them unasked: each command is allowed once, by its digest, per repository
(`.git/prgroups/trusted`); a new or changed command is asked about again.
"""

from __future__ import annotations

import hashlib

from git_prgroups.model import Argv
from git_prgroups.spec import Spec
from git_prgroups.store import Store


def spec_commands(spec: Spec, *, checks: bool) -> list[Argv]:
    """Every command the spec would have run: setup, and checks where prgroups runs
    them (the local forge), each once, in spec order."""
    found = [*spec.defaults.setup, *(spec.defaults.checks if checks else ())]
    for entry in spec.entries:
        found += [*entry.setup, *(entry.checks if checks else ())]
    return list(dict.fromkeys(found))


def digest(argv: Argv) -> str:
    return hashlib.sha256("\0".join(argv).encode()).hexdigest()


def untrusted(store: Store, commands: list[Argv]) -> list[Argv]:
    try:
        allowed = set(store.trusted.read_text(encoding="utf-8").split())
    except FileNotFoundError:
        allowed = set()
    return [argv for argv in commands if digest(argv) not in allowed]


def trust(store: Store, commands: list[Argv]) -> None:
    """Allow `commands` here from now on."""
    new = [digest(argv) for argv in untrusted(store, commands)]
    if new:
        store.folder.mkdir(parents=True, exist_ok=True)
        with store.trusted.open("a", encoding="utf-8") as file:
            file.write("".join(f"{line}\n" for line in new))
