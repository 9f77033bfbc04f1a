"""GraphQL for the fake GitHub: a parser and an executor for the subset gh sends.

Enough of the language for what gh and the code under test write: operations with variables
and defaults, aliases, arguments, directives (@include/@skip), named and inline fragments. The
executor resolves a selection set against plain dicts, so every answer holds exactly the
fields asked for, which gh's strict decoding of mutations and introspection needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

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
class Operation:
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
class Document:
    operations: tuple[Operation, ...]
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

    def document(self) -> Document:
        operations: list[Operation] = []
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
        return Document(tuple(operations), fragments)

    def operation(self) -> Operation:
        if self.peek() == "{":
            return Operation("query", None, {}, self.selection_set())
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
        return Operation(kind, name, defaults, self.selection_set())

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


def parse(query: str) -> Document:
    """The document in `query`; GraphQLSyntaxError if it is not one."""
    return _Parser(query).document()


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


class Executor:
    """Resolves a selection set against plain dicts. A dict value that is callable is called
    with the field's arguments, so costly or argument-dependent fields stay lazy."""

    def __init__(self, document: Document, variables: dict[str, Any]) -> None:
        self.document = document
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.unknown: set[str] = set()

    def run(self, operation: Operation, root: dict[str, Any]) -> dict[str, Any]:
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


def connection(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
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


def empty(args: dict[str, Any]) -> dict[str, Any]:
    return connection([], args)


def query_cost(document: Document, operation: Operation, variables: dict[str, Any]) -> int:
    """GitHub's primary rate-limit score of a query (docs.github.com, "Rate limits and
    query limits for the GraphQL API"): each connection asked for (a field given `first`
    or `last`) counts the requests that could fill it (the product of the page sizes
    above it), the sum divided by 100 and rounded, at least 1."""
    values = {**operation.defaults, **variables}

    def size(value: Any) -> int:
        value = values.get(value.name) if isinstance(value, _Var) else value
        return int(value or 0)

    def requests(selections: tuple[_Selection, ...], times: int) -> int:
        total = 0
        for selection in selections:
            if isinstance(selection, _Spread):
                total += requests(document.fragments[selection.name].selections, times)
            elif isinstance(selection, _InlineFragment):
                total += requests(selection.selections, times)
            elif "first" in selection.args or "last" in selection.args:
                page = size(selection.args.get("first", selection.args.get("last")))
                total += times + requests(selection.selections, times * page)
            else:
                total += requests(selection.selections, times)
        return total

    return max(1, int(requests(operation.selections, 1) / 100 + 0.5))
