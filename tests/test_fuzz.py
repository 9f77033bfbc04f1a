"""Property tests: any text either loads as a spec or is refused with one located message;
waves respect every prerequisite; plan output is deterministic."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from git_prgroups.commands.plan import plan_data
from git_prgroups.errors import SpecError
from git_prgroups.specfile import parse_spec

ROOT = Path("/tmp/fuzz-root/repo")
LOCATED = re.compile(r"\S*prgroups\.toml(:\d+)?: ")
BUDGET = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

toml_like = st.text(
    alphabet=st.sampled_from(
        list("[].\"=\n #{},-_abcpr0123456789'\\ttruefalse\u202e\U0001f600\x00")
    ),
    max_size=120,
)
names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
titles = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda t: t.strip())


@BUDGET
@given(text=toml_like)
def test_any_text_loads_or_is_refused_with_a_located_message(text: str) -> None:
    try:
        spec = parse_spec(text, ROOT / "prgroups.toml", ROOT)
    except SpecError as error:
        message = str(error)
        assert LOCATED.match(message), message
        assert "\n" not in message
        return
    assert spec.entries


@st.composite
def specs(draw: st.DrawFn) -> tuple[str, dict[str, list[str]]]:
    chosen = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    after: dict[str, list[str]] = {}
    text = ""
    for index, name in enumerate(chosen):
        earlier = chosen[:index]
        prerequisites = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        after[name] = prerequisites
        title = draw(titles)
        text += f"[pr.{json.dumps(name)}]\ntitle = {json.dumps(title)}\n"
        text += f"after = {json.dumps(prerequisites)}\n\n"
    return text, after


@BUDGET
@given(drawn=specs())
def test_waves_respect_every_prerequisite_and_plan_is_deterministic(drawn) -> None:
    text, after = drawn
    try:
        spec = parse_spec(text, ROOT / "prgroups.toml", ROOT)
    except SpecError as error:  # e.g. two names whose branches collide: refused, located
        assert LOCATED.match(str(error)), str(error)
        return
    graph = spec.graph()
    for name, prerequisites in after.items():
        for prerequisite in prerequisites:
            assert graph.wave_of(prerequisite) < graph.wave_of(name)
    assert sorted(n for wave in graph.waves for n in wave) == sorted(after)
    again = parse_spec(text, ROOT / "prgroups.toml", ROOT)
    assert plan_data(spec, graph) == plan_data(again, again.graph())


@BUDGET
@given(ring=st.lists(names, min_size=2, max_size=8, unique=True))
def test_a_cycle_is_refused_naming_it(ring: list[str]) -> None:
    text = "".join(
        f'[pr.{json.dumps(name)}]\ntitle = "t"\nafter = [{json.dumps(ring[i - 1])}]\n\n'
        for i, name in enumerate(ring)
    )
    try:
        parse_spec(text, ROOT / "prgroups.toml", ROOT)
    except SpecError as error:
        message = str(error)
        assert LOCATED.match(message), message
        assert "dependency cycle" in message and all(name in message for name in ring)
        return
    raise AssertionError("a spec with a cycle was accepted")
