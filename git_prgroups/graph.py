"""The dependency graph of a spec: cycles, waves and groups. Pure functions."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """Entries of one wave that wait on the same prerequisites (wave 0 is one group)."""

    name: str
    wave: int
    after: tuple[str, ...]
    entries: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    order: tuple[str, ...]  # spec order
    after: Mapping[str, tuple[str, ...]]
    waves: tuple[tuple[str, ...], ...]
    groups: tuple[Group, ...]

    def wave_of(self, name: str) -> int:
        return next(i for i, wave in enumerate(self.waves) if name in wave)

    def group_of(self, name: str) -> Group:
        return next(g for g in self.groups if name in g.entries)

    def dependents(self, name: str) -> tuple[str, ...]:
        return tuple(n for n in self.order if name in self.after[n])


def find_cycle(after: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle as a list of names (first in spec order first), or None."""
    state: dict[str, int] = {}  # 1 while on the path, 2 when done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for prerequisite in after.get(name, ()):
            if state.get(prerequisite) == 1:
                return path[path.index(prerequisite) :]
            if prerequisite not in state:
                found = visit(prerequisite)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in after:
        if name not in state:
            cycle = visit(name)
            if cycle:
                first = min(cycle, key=list(after).index)
                start = cycle.index(first)
                return cycle[start:] + cycle[:start]
    return None


def build_graph(after: Mapping[str, Sequence[str]]) -> Graph:
    """Waves by longest prerequisite chain, and groups; `after` must have no cycle."""
    order = tuple(after)
    wave: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in wave:
            wave[name] = 1 + max((depth(p) for p in after[name]), default=-1)
        return wave[name]

    for name in order:
        depth(name)
    waves = tuple(
        tuple(n for n in order if wave[n] == w) for w in range(max(wave.values(), default=-1) + 1)
    )
    keys: dict[tuple[int, tuple[str, ...]], list[str]] = {}
    for members in waves:
        for name in members:
            prerequisites = () if wave[name] == 0 else tuple(p for p in order if p in after[name])
            keys.setdefault((wave[name], prerequisites), []).append(name)
    groups = tuple(
        Group(name=group_label(i), wave=w, after=prerequisites, entries=tuple(members))
        for i, ((w, prerequisites), members) in enumerate(keys.items())
    )
    return Graph(order=order, after={n: tuple(after[n]) for n in order}, waves=waves, groups=groups)


def group_label(index: int) -> str:
    """A, B, ..., Z, AA, AB, ...: spreadsheet column names."""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label
