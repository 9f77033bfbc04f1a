"""What prgroups sends GitHub, held against GitHub's own published contract: GraphQL
documents against the schema of @octokit/graphql-schema (with tests/contract/newer.graphql),
REST calls against the OpenAPI description of @octokit/openapi.

Only prgroups' own GraphQL operations (named `Prgroups...`) are checked: gh's internal
queries are GitHub's to serve. Every REST call is.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.fetch import contract_file

OURS = re.compile(r"^(query|mutation)\s+Prgroups\w*")
NEWER = Path(__file__).with_name("newer.graphql")


class MissingContract(Exception):
    pass


def _required(path: Path) -> Path:
    if not path.exists():
        raise MissingContract(f"{path} is missing: python tests/contract/fetch.py brings it")
    return path


@functools.cache
def schema() -> Any:
    from graphql import build_schema

    sdl = _required(contract_file("@octokit/graphql-schema", "schema.graphql")).read_text()
    # The SDL repeats two enterprise fields and breaks some of the type system's own rules
    # (deprecations that interfaces lack): built as GitHub serves it, and taken as valid.
    built = build_schema(sdl + "\n" + NEWER.read_text(), assume_valid_sdl=True)
    built._validation_errors = []  # graphql-core's mark of a schema already validated
    return built


@functools.cache
def openapi() -> dict[str, Any]:
    path = _required(contract_file("@octokit/openapi", "api.github.com.json"))
    return json.loads(path.read_text())


@functools.cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    """Each OpenAPI path as a pattern ({owner} matches one segment; a parameter GitHub
    marks `x-multi-segment`, such as a ref's `heads/feature`, several), literal paths
    before templated ones so that `/repos/{o}/{r}/labels` is not a label's route."""
    found = []
    for template, operations in openapi()["paths"].items():
        multi = {
            parameter.get("name")
            for operation in operations.values()
            if isinstance(operation, dict)
            for parameter in _resolved(operation.get("parameters") or [])
            if parameter.get("x-multi-segment")
        }
        pattern = re.sub(
            r"\\\{([^}]+)\\\}",
            lambda m, multi=multi: ".+" if m.group(1) in multi else "[^/]+",
            re.escape(template),
        )
        found.append((re.compile(f"^{pattern}$"), template))
    return sorted(found, key=lambda item: item[1].count("{"))


@dataclass(frozen=True)
class Request:
    """One request the fake GitHub received, as the contract log keeps it."""

    method: str
    path: str
    query: str = ""  # a GraphQL document
    variables: Any = None  # GraphQL variables, or a REST call's JSON body

    @property
    def graphql(self) -> bool:
        return self.path in ("/graphql", "/api/graphql")

    @property
    def ours(self) -> bool:
        """prgroups' own: every REST call, and the GraphQL operations it names."""
        return not self.graphql or bool(OURS.match(self.query.lstrip()))

    def label(self) -> str:
        if self.graphql:
            found = OURS.match(self.query.lstrip())
            return f"GraphQL {found.group(0) if found else self.query[:40]}"
        return f"REST {self.method} {self.path}"


def check(request: Request) -> list[str]:
    """What GitHub's contract says is wrong with the request (nothing: [])."""
    if request.graphql:
        return check_graphql(request.query, request.variables or {})
    return check_rest(request.method, request.path, request.variables)


def check_graphql(query: str, variables: dict[str, Any]) -> list[str]:
    from graphql import GraphQLError, parse, validate
    from graphql.execution.values import get_variable_values

    try:
        document = parse(query)
    except GraphQLError as error:
        return [f"does not parse: {error.message}"]
    problems = [error.message for error in validate(schema(), document)]
    if problems:
        return problems
    for operation in document.definitions:
        definitions = getattr(operation, "variable_definitions", None) or []
        coerced = get_variable_values(schema(), definitions, variables)
        if isinstance(coerced, list):
            problems += [error.message for error in coerced]
    return problems


def check_rest(method: str, path: str, body: Any) -> list[str]:
    path = re.sub(r"^/api/v3", "", path.split("?")[0])
    template = next((t for pattern, t in _routes() if pattern.match(path)), None)
    if template is None:
        return [f"no route {path} in GitHub's REST API"]
    operation = openapi()["paths"][template].get(method.lower())
    if operation is None:
        return [f"{template} takes no {method}"]
    schema_of_body = (
        ((operation.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
    ).get("schema")
    if schema_of_body is None or body in (None, {}):
        return []
    from jsonschema import Draft7Validator

    validator = Draft7Validator(_as_json_schema(_resolved(schema_of_body)))
    return [
        f"{template}: {'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def _resolved(node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """`node` with its `#/components/...` references put in place (a reference already
    being resolved further up is left as any value: the schema recurses there)."""
    if isinstance(node, list):
        return [_resolved(item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in seen:
            return {}
        target: Any = openapi()
        for part in ref[2:].split("/"):
            target = target[part]
        return _resolved(target, seen | {ref})
    return {key: _resolved(value, seen) for key, value in node.items()}


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _as_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def check_log(folder: Path) -> tuple[int, list[tuple[Request, list[str]]]]:
    """The distinct requests of prgroups' own in the fake GitHub's logs in `folder`, and
    those that break GitHub's contract with what is wrong with each."""
    seen: dict[str, Request] = {}
    for log in sorted(folder.glob("*.jsonl")):
        for line in log.read_text().splitlines():
            request = Request(**json.loads(line))
            if request.ours:
                seen.setdefault(line, request)
    broken = [(request, problems) for request in seen.values() if (problems := check(request))]
    return len(seen), broken
