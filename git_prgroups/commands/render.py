"""`git prgroups render NAME`: one entry's title, body or commit message."""

from __future__ import annotations

from git_prgroups.errors import UsageError, did_you_mean
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec


def require_entry(spec: Spec, name: str) -> None:
    if name not in spec:
        hint = did_you_mean(name, spec.names)
        raise UsageError(f'no entry named "{name}" in {spec.path.name}{hint}')


def render_entry(spec: Spec, name: str, what: str) -> str:
    require_entry(spec, name)
    renderer = Renderer(spec, spec.graph())
    if what == "title":
        return renderer.title(name) + "\n"
    if what == "commit":
        return renderer.commit_message(name)
    return renderer.body(name)
