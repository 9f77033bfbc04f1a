"""`try`: which entries are tried together, in what order, and where to look next when
the combination fails. Pure: the merging and the check runs are the executor's.

The members are merged onto the base in the spec's topological order, so each prefix
of them holds its members' prerequisites (a prerequisite that has not merged is tried
with its dependents). The combination of the first k members is prefix k; prefix 0 is
the base. When the whole fails, the smallest failing prefix names the culprit: the
member whose addition breaks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass

from git_prgroups.model import Argv, BranchName, Sha
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.world import World
from git_prgroups.spec import Spec


@dataclass(frozen=True)
class Member:
    name: str
    branch: BranchName
    head: Sha  # its pushed head: what its PR holds


@dataclass(frozen=True)
class Trial:
    base: Sha
    members: tuple[Member, ...]
    checks: tuple[Argv, ...]

    def prefix(self, count: int) -> Trial:
        return Trial(self.base, self.members[:count], self.checks)

    @property
    def digest(self) -> str:
        """What the trial's verdict depends on: the base, each head in order, the checks."""
        text = json.dumps([self.base, [m.head for m in self.members], self.checks])
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]


class NotTried(Exception):
    """Why nothing can be tried: said to the user as it is."""


def choose(
    spec: Spec, world: World, names: Collection[str] = (), *, wave: int | None = None
) -> Trial:
    """The entries named (or those of `wave`; by default every entry with a pushed branch
    and an open PR, drafts included), with the unmerged prerequisites they need, in
    topological order, on the fetched base."""
    if world.base_tip is None:
        raise NotTried(f"{spec.defaults.remote}/{spec.defaults.base} does not exist")
    states = entry_states(spec, world)
    order = [n for group in spec.graph().waves for n in group]
    if names:
        wanted = set(names)
    elif wave is not None:
        waves = spec.graph().waves
        if not 0 <= wave < len(waves):
            raise NotTried(f"no wave {wave}: the spec has waves 0 to {len(waves) - 1}")
        wanted = set(waves[wave])
    else:
        wanted = {
            n for n in order
            if (pr := states[n].pr) is not None and pr.state == "open"
            and spec.entry(n).branch in world.remote_branches
        }  # fmt: skip
    wanted = {n for n in wanted if states[n].state != "merged"}
    chosen = set()
    for name in wanted:
        chosen |= {name, *(p for p in _prerequisites(spec, name) if states[p].state != "merged")}
    if not chosen:
        raise NotTried("nothing to try: no entry has a pushed branch and an open PR")
    members = []
    for name in (n for n in order if n in chosen):
        branch = spec.entry(name).branch
        head = world.remote_branches.get(branch)
        if head is None:
            needed = sorted(n for n in wanted if name in _prerequisites(spec, n))
            why = f" (needed by {', '.join(needed)}, which wait for it)" if needed else ""
            raise NotTried(f"{name} has no pushed branch to try{why}: git prgroups up first")
        members.append(Member(name, branch, head))
    checks = tuple(dict.fromkeys(
        [*spec.defaults.checks, *(c for m in members for c in spec.entry(m.name).checks)]
    ))  # fmt: skip
    if not checks:
        raise NotTried("the spec names no checks to try them with: add checks under [defaults]")
    return Trial(world.base_tip, tuple(members), checks)


def _prerequisites(spec: Spec, name: str) -> set[str]:
    found: set[str] = set()
    stack = list(spec.entry(name).after)
    while stack:
        prerequisite = stack.pop()
        if prerequisite not in found:
            found.add(prerequisite)
            stack.extend(spec.entry(prerequisite).after)
    return found


def next_probes(passing: int, failing: int, width: int) -> list[int]:
    """The prefixes to check next, `width` at once, strictly between the largest known to
    pass and the smallest known to fail, evenly spaced: a search of width + 1 ways."""
    inside = failing - passing - 1
    if inside <= 0:
        return []
    count = min(width, inside)
    return sorted({passing + (inside + 1) * (i + 1) // (count + 1) for i in range(count)})


def narrowed(passing: int, failing: int, results: dict[int, bool]) -> tuple[int, int]:
    """The bounds after the results of some prefixes: the smallest failing one, and the
    largest passing one below it."""
    failing = min([k for k, ok in results.items() if not ok] + [failing])
    passing = max([k for k, ok in results.items() if ok and k < failing] + [passing])
    return passing, failing
