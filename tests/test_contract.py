"""The contract test, tested: a request with a field GitHub's schema lacks, variables of
the wrong type, or a REST body GitHub's OpenAPI description refuses, fails it, named with
the contract's complaint; what GitHub takes passes; gh's own queries are not held."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from contract.github import MissingContract, Request, check, check_log, schema

from git_prgroups.forges.github import labels_query, pull_requests_query


@pytest.fixture(autouse=True)
def contract() -> None:
    """Fetched by .ci/run (python tests/contract/fetch.py); never skipped in CI."""
    try:
        schema()
    except MissingContract as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))


def graphql(query: str, variables: dict | None = None) -> Request:
    return Request("POST", "/graphql", query, variables or {})


def test_prgroups_own_reads_pass() -> None:
    variables = {"owner": "octo", "repo": "scylla", "base": "main", "b0": "1-a"}
    assert check(graphql(pull_requests_query(1), variables)) == []
    labels = {"owner": "octo", "repo": "scylla", "l0": "bug"}
    assert check(graphql(labels_query(1), labels)) == []


def test_a_field_github_does_not_have_fails() -> None:
    query = pull_requests_query(1).replace("headRefOid", "headRefOid headRefSha", 1)
    variables = {"owner": "octo", "repo": "scylla", "base": "main", "b0": "1-a"}

    problems = check(graphql(query, variables))

    assert len(problems) == 1
    assert problems[0].startswith("Cannot query field 'headRefSha' on type 'PullRequest'.")


def test_variables_of_the_wrong_type_fail() -> None:
    query = "query PrgroupsPullId($owner: String!, $repo: String!, $n: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $n) { id } } }"

    problems = check(graphql(query, {"owner": "octo", "repo": "scylla", "n": "seven"}))

    assert len(problems) == 1 and "$n" in problems[0] and "Int" in problems[0]


def test_a_field_newer_than_the_pinned_schema_passes_only_where_allow_listed() -> None:
    base = "query PrgroupsDeps($owner: String!, $repo: String!) { repository(owner: $owner, name: $repo) { issue(number: 1) { FIELD } } }"
    variables = {"owner": "octo", "repo": "scylla"}

    allowed = check(
        graphql(base.replace("FIELD", "blockedBy(first: 5) { nodes { number } }"), variables)
    )
    unknown = check(
        graphql(base.replace("FIELD", "blocks(first: 5) { nodes { number } }"), variables)
    )

    assert allowed == [] and unknown and "blocks" in unknown[0]


@pytest.mark.parametrize(
    ("method", "path", "body", "said"),
    [
        ("POST", "/repos/octo/scylla/labels", {"name": "bug"}, []),
        ("POST", "/repos/octo/scylla/labels", {"name": 5}, ["5 is not of type 'string'"]),
        ("POST", "/repos/octo/scylla/labels", {"colour": "red"}, ["'name' is a required property"]),
        ("POST", "/repos/octo/scylla/actions/runs/9/rerun-failed-jobs", None, []),
        ("GET", "/repos/octo/scylla/actions/runs/9", None, []),
        ("POST", "/repos/octo/scylla/pulls/3/requested_reviewers", {"reviewers": "alice"}, ["'alice' is not of type 'array'"]),
        ("POST", "/repos/octo/scylla/pull/3/reviewers", {}, ["no route"]),
        ("PUT", "/repos/octo/scylla/labels", {"name": "bug"}, ["takes no PUT"]),
    ],
)  # fmt: skip
def test_rest_calls_are_held_to_githubs_openapi_description(method, path, body, said) -> None:
    problems = check(Request(method, path, "", body))

    assert len(problems) == len(said) and all(
        part in problem for part, problem in zip(said, problems, strict=True)
    ), problems


def test_the_runs_log_names_each_broken_request_and_leaves_out_ghs_own(tmp_path: Path) -> None:
    lines = [
        {"method": "POST", "path": "/graphql", "query": "query PullRequestByNumber { viewer { nope } }", "variables": {}},
        {"method": "POST", "path": "/graphql", "query": "query PrgroupsBad { viewer { nope } }", "variables": {}},
        {"method": "POST", "path": "/repos/octo/scylla/labels", "query": "", "variables": {"name": "bug"}},
        {"method": "POST", "path": "/repos/octo/scylla/labels", "query": "", "variables": {"name": "bug"}},
    ]  # fmt: skip
    (tmp_path / "1.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    seen, broken = check_log(tmp_path)

    assert seen == 2  # gh's own query left to GitHub; the same request counted once
    assert [(r.label(), problems) for r, problems in broken] == [
        (
            "GraphQL query PrgroupsBad",
            ["Cannot query field 'nope' on type 'User'. Did you mean 'name'?"],
        )
    ]
