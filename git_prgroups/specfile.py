"""Read prgroups.toml and validate it into the spec's values, refusing anything doubtful.

Every refusal is a SpecError naming the file, the line and the key. Lines are
looked up only when there is an error to report (see tomllines).
"""

from __future__ import annotations

import os
import re
import shlex
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from git_prgroups.errors import SpecError, did_you_mean
from git_prgroups.graph import find_cycle
from git_prgroups.model import Argv, BranchName
from git_prgroups.refname import branch_name_problem
from git_prgroups.spec import (
    FORGES,
    MERGE_METHODS,
    RESOLUTIONS,
    WORKTREE_FIELDS,
    Defaults,
    Entry,
    IssueNote,
    Spec,
    in_system_folder,
)
from git_prgroups.tomllines import KeyPath, line_of, second_definition, unclosed

MAX_JOBS = 64  # forge writes at once: more only invites a rate limit
MAX_RETRIES = 3  # a check that fails four times on one commit is not flaky
_NAME = re.compile(r"\w[\w.-]*\Z")
_TYPE = re.compile(r"[a-z][a-z0-9-]*!?\Z")

# -- reading ------------------------------------------------------------------------------


def load_spec(path: Path, root: Path) -> Spec:
    """Read and validate the spec at `path`; `root` is the main worktree's top level."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(path, "no such file") from None
    except IsADirectoryError:
        raise SpecError(path, "is a directory, not a TOML file") from None
    except OSError as error:
        raise SpecError(path, f"cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start]
        raise SpecError(path, f"is not UTF-8 text (byte 0x{byte:02x})", line=line) from None
    return parse_spec(text, path, root)


def parse_spec(text: str, path: Path, root: Path) -> Spec:
    return _Validator(text, path, root).spec(_read_toml(text, path))


def _read_toml(text: str, path: Path) -> dict[str, Any]:
    """The TOML document as plain data. The standard library's reader (Python 3.11+) is
    several times faster; tomlkit reads what it refuses, and words the message."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        pass
    else:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            pass  # tomlkit says where, in the same words as on 3.10
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        return tomlkit.parse(text).unwrap()
    except (TOMLKitError, ValueError) as error:
        left_open = unclosed(text)
        if left_open is not None:  # said where it opened, not where the reader gave up
            key, line, what, closer = left_open
            problem = f"{what} opened here is not closed: add {closer}"
            raise SpecError(path, problem, line=line, where=".".join(key) or None) from None
        message = re.sub(r" at line \d+ col \d+$", "", str(error)).rstrip(".")
        duplicate = re.fullmatch(r'Key "(.+)" already exists', message)
        if duplicate:
            found = second_definition(text, duplicate.group(1))
            twice, at = found if found else ((duplicate[1],), None)
            raise SpecError(path, "is defined twice", line=at, where=".".join(twice)) from None
        if isinstance(error, ParseError):
            raise SpecError(
                path, f"invalid TOML: {message} (column {error.col})", line=error.line
            ) from None
        raise SpecError(path, f"invalid TOML: {message}") from None


# -- validation ---------------------------------------------------------------------------


class _Validator:
    def __init__(self, text: str, path: Path, root: Path) -> None:
        self.text = text
        self.path = path
        self.root = root

    def fail(self, key: KeyPath, problem: str, *fallback: KeyPath) -> SpecError:
        line = line_of(self.text, key, *fallback, key[:2], key[:1])
        return SpecError(self.path, problem, line=line, where=".".join(key))

    def spec(self, data: dict[str, Any]) -> Spec:
        self.known_keys(data, (), ("defaults", "pr", "issue"))
        defaults = self.defaults(self.table(data, ("defaults",)))
        entries_data = self.table(data, ("pr",))
        if not entries_data:
            raise SpecError(
                self.path, 'no entries: add a table such as [pr.fix-typo] with a "title"'
            )
        for name, value in entries_data.items():
            if not isinstance(value, dict):
                raise self.fail(("pr", name), f"must be a table [pr.{name}], not a value")
        entries = [self.entry(name, body, defaults) for name, body in entries_data.items()]
        self.check_graph(entries)
        self.check_branches(entries)
        self.check_worktrees(entries, defaults.worktree)
        notes = self.issue_notes(self.table(data, ("issue",)), entries)
        return Spec(
            path=self.path, root=self.root, defaults=defaults, entries=tuple(entries),
            issue_notes=notes,
        )  # fmt: skip

    def issue_notes(self, data: dict[str, Any], entries: list[Entry]) -> dict[int, IssueNote]:
        notes = {}
        for key, body in data.items():
            at = ("issue", key)
            if not key.isdigit() or int(key) <= 0 or key.startswith("0"):
                raise self.fail(at, f"[issue.{key}]: issues are named by their number, as in "
                                    "[issue.401]")  # fmt: skip
            if not isinstance(body, dict):
                raise self.fail(at, f"must be a table [issue.{key}], not a value")
            self.known_keys(body, at, _ISSUE_KEYS)
            values = {k: self.get(body, at, k, check) for k, check in _ISSUE_KEYS.items()}
            given = {k: v for k, v in values.items() if v is not None}
            number = int(key)
            naming = [e.name for e in entries if number in e.issues]
            if given.get("resolution") == "no-fix" and "note" not in given:
                why = 'a "no-fix" issue needs a "note" saying why: "verified, no fix needed"'
                raise self.fail((*at, "resolution"), why)
            if not naming and given.get("resolution", "fixed") == "fixed" and "note" in given:
                raise self.fail(at, f"no entry names issue {number}: add it to an entry's "
                                    'issues, or give it resolution = "no-fix"')  # fmt: skip
            for name in given.get("parts", {}):
                if name not in naming:
                    hint = did_you_mean(name, [e.name for e in entries])
                    problem = f"pr.{name} does not name issue {number}{hint}"
                    raise self.fail((*at, "parts"), f"{problem}: parts are of its entries")
            notes[number] = IssueNote(number, **given)
        return notes

    # tables and keys

    def table(self, data: Mapping[str, Any], key: KeyPath) -> dict[str, Any]:
        value = data.get(key[-1], {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table [{'.'.join(key)}], not a value")
        return value

    def known_keys(self, data: Mapping[str, Any], at: KeyPath, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                where = ".".join(at) if at else "top level"
                # the likely key is enough; without one, the keys there are
                known = "" if hint else f" (known: {', '.join(allowed)})"
                problem = f'unknown key "{key}"{hint}{known}'
                line = line_of(self.text, (*at, key), at)
                raise SpecError(self.path, problem, line=line, where=where)

    def get(
        self,
        data: Mapping[str, Any],
        at: KeyPath,
        key: str,
        check: Callable[[Any], Any],
        default: Any = None,
    ) -> Any:
        if key not in data:
            return default
        try:
            return check(data[key])
        except _Invalid as problem:
            raise self.fail((*at, key), str(problem)) from None

    def defaults(self, data: dict[str, Any]) -> Defaults:
        at = ("defaults",)
        self.known_keys(data, at, _DEFAULT_KEYS)
        values = {key: self.get(data, at, key, check) for key, check in _DEFAULT_KEYS.items()}
        given = {key: value for key, value in values.items() if value is not None}
        if "templates" in given:
            folder = (self.root / given["templates"]).resolve()
            if not folder.is_dir():
                raise self.fail((*at, "templates"), f"no such folder: {folder}")
            given["templates"] = folder
        if "worktree" in given:
            _worktree_fields(given["worktree"], self.fail, (*at, "worktree"))
        if given.get("draft") == "until-green":
            given["draft"], given["until_green"] = True, True
        return Defaults(**given)

    def entry(self, name: str, data: dict[str, Any], defaults: Defaults) -> Entry:
        at = ("pr", name)
        if not _NAME.match(name):
            raise self.fail(
                at,
                "entry names use letters, digits, '-', '_' and '.', "
                "and start with a letter or digit",
            )
        problem = branch_name_problem(f"prgroups/{name}")  # it names refs of prgroups'
        if problem:
            raise self.fail(at, f"entry name {name!r} cannot name a git ref: {problem}")
        self.known_keys(data, at, _ENTRY_KEYS)
        values = {key: self.get(data, at, key, check) for key, check in _ENTRY_KEYS.items()}
        given = {key: value for key, value in values.items() if value is not None}
        if given.get("summary") is not None and "title" in given:
            raise self.fail((*at, "summary"), 'give "title" or "type"/"scope"/"summary", not both')
        if "title" not in given:
            if "summary" not in given:
                raise self.fail(at, 'needs a "title", or a "type" and a "summary"')
            if "type" not in given:
                raise self.fail(
                    (*at, "summary"), 'needs a "type" too (feat, fix, docs, refactor, ...)'
                )
        issues = given.get("issues", ())
        if len(set(issues)) != len(issues):
            raise self.fail((*at, "issues"), "names an issue twice")
        branch = given.pop("branch", None) or (f"{issues[0]}-{name}" if issues else name)
        labels = tuple(dict.fromkeys((*defaults.labels, *given.pop("labels", ()))))
        for key in ("reviewers", "assignees"):  # the entry's add to the defaults'
            given[key] = tuple(dict.fromkeys((*getattr(defaults, key), *given.get(key, ()))))
        given.setdefault("milestone", defaults.milestone)
        if given.get("draft") == "until-green":
            given["draft"], given["until_green"] = True, True
        elif "draft" in given:
            given["until_green"] = False
        given.setdefault("draft", defaults.draft)
        given.setdefault("until_green", defaults.until_green)
        given.setdefault("checks_retry", defaults.checks_retry)
        after = given.get("after", ())
        if given.get("stack") and len(after) != 1:
            why = "several" if after else "no"
            raise self.fail((*at, "stack"), f"stacks on one prerequisite, and this entry has "
                            f"{why} (after = [...]): a branch has one base")  # fmt: skip
        given.setdefault("stack", defaults.stack and len(after) == 1)
        worktree = _worktree_path(defaults.worktree, self.root, name, branch)
        return Entry(
            name=name, branch=BranchName(branch), worktree=worktree, labels=labels, **given
        )

    # relations between entries

    def check_graph(self, entries: list[Entry]) -> None:
        names = [e.name for e in entries]
        for entry in entries:
            for prerequisite in entry.after:
                if prerequisite == entry.name:
                    raise self.fail(("pr", entry.name, "after"), "an entry cannot wait for itself")
                if prerequisite not in names:
                    hint = did_you_mean(prerequisite, names)
                    raise self.fail(
                        ("pr", entry.name, "after"), f'no entry named "{prerequisite}"{hint}'
                    )
            if len(set(entry.after)) != len(entry.after):
                raise self.fail(("pr", entry.name, "after"), "names an entry twice")
        cycle = find_cycle({e.name: e.after for e in entries})
        if cycle:
            raise self.fail(
                ("pr", cycle[0], "after"), "dependency cycle: " + " → ".join([*cycle, cycle[0]])
            )

    def check_branches(self, entries: list[Entry]) -> None:
        owner: dict[str, str] = {}
        for entry in entries:
            key = ("pr", entry.name, "branch")
            problem = branch_name_problem(entry.branch)
            if problem:
                raise self.fail(
                    key, f'branch "{entry.branch}" is not a name git accepts: {problem}'
                )
            if entry.branch in owner:
                raise self.fail(
                    key, f'branch "{entry.branch}" is also the branch of pr.{owner[entry.branch]}'
                )
            owner[entry.branch] = entry.name
        for branch, name in owner.items():
            parts = branch.split("/")
            for depth in range(1, len(parts)):
                prefix = "/".join(parts[:depth])
                if prefix in owner:
                    raise self.fail(
                        ("pr", name, "branch"),
                        f'branch "{branch}" cannot coexist with branch "{prefix}" of '
                        f"pr.{owner[prefix]} (git keeps one as a folder of the other)",
                    )

    def check_worktrees(self, entries: list[Entry], pattern: str) -> None:
        root = self.root.resolve()
        owner: dict[Path, str] = {}
        where = ("defaults", "worktree")
        for entry in entries:
            path = entry.worktree  # relative or absolute, anywhere that is the user's own
            if in_system_folder(path):
                raise self.fail(
                    where,
                    f"puts the worktree of pr.{entry.name} at {path}, in a system folder; "
                    "choose a folder of yours",
                )
            if path == root or root in path.parents:
                raise self.fail(
                    where,
                    f"puts the worktree of pr.{entry.name} inside the repository ({path}); "
                    'use a path outside it, such as "../{repo}-{name}"',
                )
            if path in owner:
                raise self.fail(
                    where,
                    f"gives pr.{owner[path]} and pr.{entry.name} the same worktree ({path}); "
                    "use {name} or {branch} in it",
                )
            owner[path] = entry.name
        for path, name in owner.items():
            outer = next((p for p in path.parents if p in owner), None)
            if outer is not None:
                first, second = sorted([(outer, owner[outer]), (path, name)], key=_order(owner))
                raise self.fail(
                    where,
                    f"nests the worktrees of pr.{first[1]} and pr.{second[1]} "
                    f"({first[0]}, {second[0]})",
                )


def _order(owner: dict[Path, str]) -> Callable[[tuple[Path, str]], int]:
    """Spec order, so a message names the entries as the file lists them."""
    position = {path: i for i, path in enumerate(owner)}
    return lambda item: position[item[0]]


# -- value checks ---------------------------------------------------------------------------


class _Invalid(Exception):
    pass


def _text(value: Any, *, one_line: bool = True) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {_kind(value)}")
    if "\0" in value:
        raise _Invalid("must not contain a NUL character")
    if one_line and ("\n" in value or "\r" in value):
        raise _Invalid("must be a single line")
    return value


def _name_text(value: Any) -> str:
    text = _text(value)
    if not text.strip():
        raise _Invalid("must not be empty")
    return text


def _git_name(value: Any) -> str:
    """A branch or remote name: git's rules, so it can never be read as an option."""
    text = _name_text(value)
    problem = branch_name_problem(text)
    if problem:
        raise _Invalid(f'"{text}" is not a name git accepts: {problem}')
    return text


def _label(value: Any) -> str:
    text = _name_text(value)
    if any(c in text for c in ',"\n'):
        raise _Invalid(f'label "{text}" contains a comma or a quote, which gh cannot pass')
    return text


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _text(value)
        if text not in choices:
            raise _Invalid(f'must be one of {", ".join(choices)}, not "{text}"')
        return text

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {_kind(value)}")
    return value


def _draft(value: Any) -> bool | str:
    if isinstance(value, bool):
        return value
    if value == "until-green":
        return "until-green"
    raise _Invalid(f'must be true, false or "until-green", not {value!r}')


def _jobs(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_JOBS:
        raise _Invalid(f"must be a whole number from 1 to {MAX_JOBS}, not {value!r}")
    return value


_LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"


def _login(value: Any, *, teams: bool = False) -> str:
    text = _name_text(value)
    team = rf"{_LOGIN}/[A-Za-z0-9_.-]+"
    if not re.fullmatch(_LOGIN, text) and not (teams and re.fullmatch(team, text)):
        what = 'a GitHub login or "ORG/TEAM"' if teams else "a GitHub login"
        raise _Invalid(f"must be {what}, not {text!r}")
    return text


def _count(value: Any, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise _Invalid(f"must be a whole number from 0 to {most}, not {value!r}")
    return value


def _issue_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Invalid(f"issue numbers are positive integers, not {value!r}")
    return value


def _list_of(check: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def check_list(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Invalid(f"must be a list, not {_kind(value)}")
        return tuple(check(item) for item in value)

    return check_list


def _issues(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of issue numbers such as [401, 408], not {_kind(value)}")
    return tuple(_issue_number(item) for item in value)


def _command(value: Any) -> Argv:
    """A check command: a string split like a shell would (never run by one), or a list."""
    if isinstance(value, list):
        argv = tuple(_name_text(part) for part in value)
    else:
        try:
            argv = tuple(shlex.split(_name_text(value)))
        except ValueError as error:
            raise _Invalid(f"cannot split {value!r} into words: {error}") from None
    if not argv:
        raise _Invalid("a check command must not be empty")
    return argv


def _github_repo(value: Any) -> str:
    text = _name_text(value)
    if not re.fullmatch(r"([A-Za-z0-9.-]+/)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text):
        raise _Invalid(f'must be "OWNER/REPO" or "HOST/OWNER/REPO", not "{text}"')
    return text


def _path_text(value: Any) -> Path:
    return Path(_name_text(value))


def _conventional_type(value: Any) -> str:
    text = _name_text(value)
    if not _TYPE.match(text):
        raise _Invalid(f'must be a lowercase word such as "fix" or "docs", not "{text}"')
    return text


def _scope(value: Any) -> str:
    text = _name_text(value)
    if any(c in text for c in "():"):
        raise _Invalid(f'must not contain "(", ")" or ":", got "{text}"')
    return text


def _kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    kinds.update({list: "a list", dict: "a table"})
    return kinds.get(type(value), type(value).__name__)


_DEFAULT_KEYS: dict[str, Callable[[Any], Any]] = {
    "base": _git_name,
    "remote": _git_name,
    "forge": _choice(*FORGES),
    "github": _github_repo,
    "worktree": _name_text,
    "merge": _choice(*MERGE_METHODS),
    "labels": _list_of(_label),
    "epic": _issue_number,
    "templates": _path_text,
    "checks": _list_of(_command),
    "setup": _list_of(_command),
    "draft": _draft,
    "jobs": _jobs,
    "checks_retry": lambda value: _count(value, MAX_RETRIES),
    "reviewers": _list_of(lambda value: _login(value, teams=True)),
    "assignees": _list_of(_login),
    "milestone": _name_text,
    "stack": _boolean,
}


def _parts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Invalid('must be a table of entry names and parts, as in '
                       '{ delete-mojo-guides = "P0", fix-language-defaults = "P1" }, not '
                       f"{_kind(value)}")  # fmt: skip
    return {name: _name_text(part) for name, part in value.items()}


_ISSUE_KEYS: dict[str, Callable[[Any], Any]] = {
    "description": _name_text,
    "note": _name_text,
    "resolution": _choice(*RESOLUTIONS),
    "parts": _parts,
}

_ENTRY_KEYS: dict[str, Callable[[Any], Any]] = {
    "branch": _name_text,
    "title": _name_text,
    "type": _conventional_type,
    "scope": _scope,
    "summary": _name_text,
    "issues": _issues,
    "after": _list_of(_name_text),
    "labels": _list_of(_label),
    "body": lambda value: _text(value, one_line=False),
    "draft": _draft,
    "checks": _list_of(_command),
    "setup": _list_of(_command),
    "checks_retry": lambda value: _count(value, MAX_RETRIES),
    "reviewers": _list_of(lambda value: _login(value, teams=True)),
    "assignees": _list_of(_login),
    "milestone": _name_text,
    "stack": _boolean,
}


# -- worktree paths -------------------------------------------------------------------------


def _worktree_fields(
    pattern: str, fail: Callable[..., SpecError], key: KeyPath
) -> list[tuple[str, str | None]]:
    """Split a worktree pattern into (literal, field) pairs, refusing unknown fields."""
    try:
        pieces = list(string.Formatter().parse(pattern))
    except ValueError as error:
        raise fail(key, f"is not a valid pattern: {error}") from None
    result = []
    for literal, name, spec, conversion in pieces:
        if name is not None and (name not in WORKTREE_FIELDS or spec or conversion):
            raise fail(
                key,
                f'uses "{{{name}}}"; a worktree pattern may use only '
                + ", ".join("{" + f + "}" for f in WORKTREE_FIELDS),
            )
        result.append((literal, name))
    return result


def _worktree_path(pattern: str, root: Path, name: str, branch: str) -> Path:
    values = {"repo": root.name, "name": name, "branch": branch}
    text = "".join(
        literal + (values[field] if field else "")
        for literal, field in _worktree_fields(pattern, _never, ("defaults", "worktree"))
    )
    return Path(os.path.normpath(root.resolve() / Path(text).expanduser()))


def _never(*_: Any) -> SpecError:  # the pattern was checked when the defaults were read
    raise AssertionError("unreachable")
