"""Waves, groups and cycles of the dependency graph."""

from __future__ import annotations

import json

import pytest

from git_prgroups.graph import build_graph, find_cycle, group_label

from conftest import EXAMPLE_SPEC


def test_seed_epic_has_waves_of_seven_and_two_and_groups_of_seven_one_one(world, cli):
    outcome = cli("plan", "--spec", str(EXAMPLE_SPEC), "--json", cwd=world.repo)

    assert outcome.code == 0
    plan = json.loads(outcome.out)
    assert [len(w) for w in plan["waves"]] == [7, 2]
    assert [len(g["entries"]) for g in plan["groups"]] == [7, 1, 1]
    assert plan["groups"][1] == {
        "name": "B",
        "wave": 1,
        "after": ["delete-mojo-guides"],
        "entries": ["fix-language-defaults"],
    }
    assert plan["groups"][2]["after"] == ["update-claude-md-tree"]
    assert plan["groups"][2]["entries"] == ["consolidate-docs"]
    branches = {e["name"]: e["branch"] for e in plan["entries"]}
    assert branches == {
        "fix-model-configs": "400-fix-model-configs",
        "delete-mojo-guides": "401-delete-mojo-guides",
        "remove-python-justification": "401-remove-python-justification",
        "update-claude-md-tree": "402-update-claude-md-tree",
        "config-tooling-cleanup": "404-config-tooling-cleanup",
        "code-hygiene": "415-code-hygiene",
        "remove-workspace-manager": "418-remove-workspace-manager",
        "fix-language-defaults": "401-fix-language-defaults",
        "consolidate-docs": "413-consolidate-docs",
    }
    issues = sorted(i for e in plan["entries"] for i in e["issues"])
    assert sorted(set(issues)) == [i for i in range(400, 419) if i != 403]


def test_seed_epic_text_lists_groups_in_order_with_what_they_wait_for(world, cli):
    outcome = cli("plan", "--spec", str(EXAMPLE_SPEC), cwd=world.repo)

    assert outcome.code == 0
    out = outcome.out
    assert "9 entries in 3 groups and 2 waves, epic #403" in out
    assert out.index("Group A") < out.index("Group B") < out.index("Group C")
    assert "Group A · wave 0 · from origin/main" in out
    assert "Group B · wave 1 · after delete-mojo-guides merges" in out
    assert "Group C · wave 1 · after update-claude-md-tree merges" in out
    assert "401-remove-python-justification  #401 #408" in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_a_chain_has_one_entry_per_wave():
    graph = build_graph({"a": [], "b": ["a"], "c": ["b"], "d": ["c"]})

    assert graph.waves == (("a",), ("b",), ("c",), ("d",))
    assert [g.name for g in graph.groups] == ["A", "B", "C", "D"]
    assert graph.dependents("b") == ("c",)


def test_a_diamond_waits_for_its_longest_chain():
    graph = build_graph({"top": [], "left": ["top"], "right": ["top"], "bottom": ["left", "right"]})

    assert graph.waves == (("top",), ("left", "right"), ("bottom",))
    assert [(g.name, g.entries, g.after) for g in graph.groups] == [
        ("A", ("top",), ()),
        ("B", ("left", "right"), ("top",)),
        ("C", ("bottom",), ("left", "right")),
    ]


def test_longest_chain_decides_the_wave_not_the_first_prerequisite():
    graph = build_graph({"a": [], "b": ["a"], "c": ["a", "b"]})

    assert graph.wave_of("c") == 2


def test_entries_of_one_wave_with_the_same_prerequisites_share_a_group():
    graph = build_graph({"a": [], "b": [], "x": ["a"], "y": ["b"], "z": ["a"]})

    assert [(g.name, g.entries) for g in graph.groups] == [
        ("A", ("a", "b")),
        ("B", ("x", "z")),
        ("C", ("y",)),
    ]


@pytest.mark.parametrize(
    ("after", "cycle"),
    [
        ({"a": ["c"], "b": ["a"], "c": ["b"]}, ["a", "c", "b"]),
        ({"x": [], "b": ["a"], "a": ["b"]}, ["b", "a"]),
        ({"a": ["a"]}, ["a"]),
        ({"a": [], "b": ["a"]}, None),
    ],
)
def test_find_cycle_names_it_from_the_first_entry_in_spec_order(after, cycle):
    assert find_cycle(after) == cycle


def test_group_labels_go_on_past_z():
    assert [group_label(i) for i in (0, 25, 26, 27, 51, 52)] == ["A", "Z", "AA", "AB", "AZ", "BA"]


def test_mermaid_and_dot_draw_every_edge(world, cli):
    mermaid = cli("plan", "--spec", str(EXAMPLE_SPEC), "--format", "mermaid", cwd=world.repo)
    dot = cli("plan", "--spec", str(EXAMPLE_SPEC), "--format", "dot", cwd=world.repo)

    assert mermaid.code == dot.code == 0
    assert mermaid.out.startswith("flowchart LR")
    assert mermaid.out.count(" --> ") == 2
    assert 'subgraph groupB["Group B"]' in mermaid.out
    assert dot.out.startswith("digraph prgroups {")
    assert '"delete-mojo-guides" -> "fix-language-defaults";' in dot.out
    assert '"update-claude-md-tree" -> "consolidate-docs";' in dot.out
    assert dot.out.rstrip().endswith("}")
