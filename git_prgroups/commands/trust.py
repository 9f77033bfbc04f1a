"""`git prgroups trust`: allow the spec's setup and check commands to run here, or list
them and whether each is allowed."""

from __future__ import annotations

import shlex

from git_prgroups.events import Event, Events
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.spec import Spec
from git_prgroups.store import Store
from git_prgroups.trust import spec_commands, trust, untrusted


def run_trust(spec: Spec, git: Git, forge: Forge, events: Events, *, listing: bool) -> None:
    """Each command, told with whether it is allowed; all allowed unless `listing`."""
    store = Store.of(git.common_dir())
    commands = spec_commands(spec, checks=not forge.merges_on_its_own)
    waiting = untrusted(store, commands)
    for argv in commands:
        state = "not allowed" if argv in waiting else "allowed"
        if not listing and argv in waiting:
            state = "allowed now"
        events.add(Event("trusted", f"{state}: {shlex.join(argv)}",
                         details={"argv": list(argv), "state": state}))  # fmt: skip
    if not commands:
        events.add(Event("nothing", f"{spec.path.name} asks to run no command"))
    if not listing:
        trust(store, waiting)
