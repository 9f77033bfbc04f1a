"""Render PR titles, bodies, commit messages and issue comments from Jinja templates.

Templates run in a sandbox with StrictUndefined; a repository overrides any
default by putting a file of the same name in the folder `defaults.templates`.
jinja2 is imported here only, when something is rendered.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from git_prgroups.errors import TemplateError
from git_prgroups.graph import Graph
from git_prgroups.spec import Entry, Spec

if TYPE_CHECKING:
    import jinja2

TITLE = "pr-title.j2"
BODY = "pr-body.md.j2"
COMMIT = "commit-message.j2"
ISSUE_COMMENT = "issue-comment.md.j2"


def default_templates_dir() -> Path:
    """Where the shipped templates are: inside the installed package, or in a source tree."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


@dataclass(frozen=True)
class Prerequisite:
    name: str
    branch: str
    pr: int | None = None


class Renderer:
    def __init__(self, spec: Spec, graph: Graph) -> None:
        self.spec = spec
        self.graph = graph
        self._environment: jinja2.Environment | None = None

    @property
    def folders(self) -> list[Path]:
        override = self.spec.defaults.templates
        return [*([override] if override else []), default_templates_dir()]

    def environment(self) -> jinja2.Environment:
        if self._environment is None:
            import jinja2
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            self._environment = ImmutableSandboxedEnvironment(
                loader=jinja2.FileSystemLoader([str(f) for f in self.folders]),
                undefined=jinja2.StrictUndefined,
                autoescape=False,
                keep_trailing_newline=True,
            )
        return self._environment

    def render(self, template_name: str, context: Mapping[str, Any]) -> str:
        import jinja2

        try:
            template = self.environment().get_template(template_name)
            with _time_limit(RENDER_SECONDS, template_name):
                return "".join(_capped(template.generate(context), template_name))
        except jinja2.TemplateSyntaxError as error:
            where = f"{error.filename or template_name}:{error.lineno}"
            raise TemplateError(f"{where}: template syntax error: {error.message}") from None
        except jinja2.TemplateNotFound:
            raise TemplateError(
                f"template {template_name} not found in " + ", ".join(map(str, self.folders))
            ) from None
        except jinja2.UndefinedError as error:
            where = _template_frame(sys.exc_info()[2], self.folders) or template_name
            raise TemplateError(f"{where}: {error.message}") from None
        except jinja2.exceptions.SecurityError as error:
            where = _template_frame(sys.exc_info()[2], self.folders) or template_name
            raise TemplateError(f"{where}: not allowed in a template: {error}") from None

    # what each template is given

    def entry_context(
        self,
        name: str,
        *,
        commits: Sequence[str] = (),
        prs: Mapping[str, int] | None = None,
        stacked: bool = False,
    ) -> dict[str, Any]:
        entry = self.spec.entry(name)
        prs = prs or {}
        shared = [i for i in entry.issues if len(self.spec.sharing(i)) > 1]
        parts = {i: p for i in entry.issues if (p := self.spec.issue(i).parts.get(name))}
        return {
            "entry": entry,
            "name": entry.name,
            "branch": entry.branch,
            "issues": list(entry.issues),
            "closes": [i for i in entry.issues if i not in shared],
            "part_of": shared,
            "parts": parts,
            "epic": self.spec.defaults.epic,
            "labels": list(entry.labels),
            "wave": self.graph.wave_of(name),
            "group": self.graph.group_of(name).name,
            "after": [Prerequisite(p, self.spec.entry(p).branch, prs.get(p)) for p in entry.after],
            # its one prerequisite, while the PR is based on that branch (before it merges)
            "stacked_on": (
                Prerequisite(
                    entry.after[0], self.spec.entry(entry.after[0]).branch, prs.get(entry.after[0])
                )
                if stacked
                else None
            ),
            "checks": [_shell_words(c) for c in (*self.spec.defaults.checks, *entry.checks)],
            "commits": list(commits),
            "base": self.spec.defaults.base,
            "merge": self.spec.defaults.merge,
        }

    def title(self, name: str) -> str:
        title = self.render(TITLE, self.entry_context(name)).strip()
        if not title or "\n" in title:
            raise TemplateError(f"{TITLE}: the title of pr.{name} must be one non-empty line")
        return title

    def body(self, name: str, **context: Any) -> str:
        return self._with_title(BODY, name, context)

    def commit_message(self, name: str, **context: Any) -> str:
        return self._with_title(COMMIT, name, context)

    def issue_comment(self, issue: int, prs: Iterable[Mapping[str, Any]]) -> str:
        said = self.spec.issue(issue)
        text = self.render(ISSUE_COMMENT, {
            "issue": issue, "prs": list(prs), "note": said.note,
            "description": said.description, "resolution": said.resolution,
        })  # fmt: skip
        return text.strip() + "\n"

    def _with_title(self, template_name: str, name: str, context: Mapping[str, Any]) -> str:
        values = self.entry_context(name, **context)
        values["title"] = self.title(name)
        text = self.render(template_name, values)
        return text.strip() + "\n"


RENDER_SECONDS = 5
RENDER_CHARACTERS = 1_000_000


def _capped(chunks: Iterable[str], template_name: str) -> Iterator[str]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > RENDER_CHARACTERS:
            raise TemplateError(
                f"{template_name}: renders more than {RENDER_CHARACTERS:,} characters; stopped"
            )
        yield chunk


@contextlib.contextmanager
def _time_limit(seconds: float, template_name: str) -> Iterator[None]:
    """Stop a template that runs too long (a loop with no end in sight). Signals reach the
    main thread only; elsewhere the size cap is the only bound."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(*_: object) -> None:
        raise TemplateError(f"{template_name}: still rendering after {seconds:g} s; stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def title_of(entry: Entry) -> str:
    """The title as the default template makes it, for listings that need no Jinja."""
    if entry.title:
        return entry.title
    scope = f"({entry.scope})" if entry.scope else ""
    return f"{entry.type}{scope}: {entry.summary}"


def _shell_words(argv: Sequence[str]) -> str:
    import shlex

    return shlex.join(argv)


def _template_frame(traceback: TracebackType | None, folders: Sequence[Path]) -> str | None:
    """`file:line` of the innermost traceback frame that is in a template file."""
    found = None
    roots = [str(f) for f in folders]
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if any(filename.startswith(root) for root in roots):
            found = f"{filename}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found
