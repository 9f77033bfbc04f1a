"""The GitHub forge: pull requests through the real gh CLI.

Reads are one `gh api graphql` query for every branch of the spec (aliases,
branch names as variables), which gives the same fields on gh 2.23 as on the
newest gh, `autoMergeRequest` included. A PR is opened and armed by GraphQL
mutations that name the repository by the id that read gave: one request each,
where `gh pr create` and `gh pr merge --auto` look everything up again. Other
writes are gh's own commands or REST.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from git_prgroups.events import Progress
from git_prgroups.forges import gh as gh_clock
from git_prgroups.forges import writes
from git_prgroups.forges.base import AutoMergeDisabled, Capability
from git_prgroups.forges.gh import RETRY_DELAYS, TRANSIENT, Gh, GhError
from git_prgroups.forges.points import Points
from git_prgroups.forges.writes import Shown, Write
from git_prgroups.model import (
    NEW_PR,
    REPORT_MARK,
    Armed,
    BranchName,
    Checks,
    Issue,
    IssueFacts,
    Landing,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    Posted,
    PullFacts,
    PullRequest,
    Sha,
)
from git_prgroups.proc import CommandTimedOut, Completed

BRANCHES_PER_QUERY = 50  # keeps each query well inside GitHub's node limits
FORK_DEPTH = 5  # PRs looked at for a branch whose newest is a fork's
_FORKS_ONLY = object()  # a branch whose PRs read so far are all forks'
_PR_FIELDS = (
    "id number state title body url isDraft isCrossRepository headRefName baseRefName "
    "headRefOid mergeStateStatus mergeable autoMergeRequest { mergeMethod } "
    "reviewRequests(first: 50) { nodes { requestedReviewer { __typename ... on User { login } "
    "... on Team { combinedSlug } } } } latestReviews(first: 50) { nodes { author { login } } } "
    "assignees(first: 50) { nodes { login } } milestone { title } "
    "mergeQueueEntry { position } removals: timelineItems(last: 1, itemTypes: "
    "[REMOVED_FROM_MERGE_QUEUE_EVENT]) { nodes { ... on RemovedFromMergeQueueEvent { reason } } } "
    # a removal the head has not moved since is the last of these (GitHub's removal names
    # its own test merge commit, or none after a conflict: never the head it removed)
    "moves: timelineItems(last: 1, itemTypes: [REMOVED_FROM_MERGE_QUEUE_EVENT, "
    "HEAD_REF_FORCE_PUSHED_EVENT, PULL_REQUEST_COMMIT]) { nodes { __typename } } "
    "labels(first: 100) { nodes { name } } "
    "commits(last: 1) { nodes { commit { statusCheckRollup { state contexts(first: 50) "
    "{ nodes { __typename ... on CheckRun { name conclusion detailsUrl } "
    "... on StatusContext { context state } } } } } } }"
)
_FAILED = frozenset({"FAILURE", "ERROR", "TIMED_OUT", "CANCELLED", "STARTUP_FAILURE"})
_ACTIONS_JOB = re.compile(r"/actions/runs/\d+/job/(\d+)")
_ACTIONS_RUN = re.compile(r"/actions/runs/(\d+)")
LOG_TAIL = 20  # lines of a failed job's log shown
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ")
_ROLLUP: dict[str | None, Checks] = {
    "SUCCESS": "pass",
    "FAILURE": "fail",
    "ERROR": "fail",
    "PENDING": "pending",
    "EXPECTED": "pending",
    None: "none",
}


def _newest_prs(count: int, first: int, fields: str) -> tuple[str, str]:
    """The variables and the aliases that ask `count` branches ($b0, $b1, ...) each for
    its newest `first` PRs, these `fields` of each."""
    params = "".join(f", $b{i}: String!" for i in range(count))
    aliases = " ".join(
        f"b{i}: pullRequests(headRefName: $b{i}, first: {first}, states: [OPEN, CLOSED, MERGED], "
        f"orderBy: {{field: CREATED_AT, direction: DESC}}) {{ nodes {{ {fields} }} }}"
        for i in range(count)
    )
    return params, aliases


def pull_requests_query(count: int, first: int = 1) -> str:
    """Each branch's newest `first` PRs. One costs a fifth of GitHub's points for five
    (its cost counts every connection under each PR asked for): five are asked only
    for a branch whose newest PR is a fork's of the same name."""
    params, aliases = _newest_prs(count, first, _PR_FIELDS)
    return (
        f"query PrgroupsPullRequests($owner: String!, $repo: String!, $base: String!{params}) "
        f"{{ rateLimit {{ cost remaining resetAt }} "
        f"repository(owner: $owner, name: $repo) {{ id autoMergeAllowed "
        f"mergeQueue(branch: $base) {{ id }} {aliases} }} }}"
    )


def newest_numbers_query(count: int) -> str:
    """The number of each branch's newest PR only: a point for 50 branches, to learn
    whether a branch whose PR merged has a newer one since."""
    params, aliases = _newest_prs(count, 1, "number")
    return (
        f"query PrgroupsNewestNumbers($owner: String!, $repo: String!{params}) "
        f"{{ rateLimit {{ cost remaining resetAt }} "
        f"repository(owner: $owner, name: $repo) {{ {aliases} }} }}"
    )


def labels_query(count: int) -> str:
    params = "".join(f", $l{i}: String!" for i in range(count))
    aliases = " ".join(f"l{i}: label(name: $l{i}) {{ name }}" for i in range(count))
    return (
        f"query PrgroupsLabels($owner: String!, $repo: String!{params}) "
        f"{{ repository(owner: $owner, name: $repo) {{ {aliases} }} }}"
    )


class GitHubForge:
    merges_on_its_own = True
    capabilities: frozenset[Capability] = frozenset({"merge-queue", "server-update", "ci-reruns"})
    concurrent_writes = True
    shown_as: Shown = "would-run"

    def __init__(self, gh: Gh, base: str = "main") -> None:
        self.gh = gh
        self.base = base
        self.merge_queue = False  # the base requires one: PRs are enqueued, not armed
        self.repository = gh.repository
        self.repository_id: str | None = None  # its node id, from the first read
        self.known_labels: set[str] = set()
        self._labels_lock = threading.Lock()
        self.auto_merge_disabled = False
        # merged PRs, final: only whether a newer PR came since is asked (a point for 50)
        self.merged: dict[BranchName, PullRequest] = {}
        self.points = Points()

    def _repo_variables(self) -> dict[str, str]:
        return {"owner": self.repository.owner, "repo": self.repository.name}

    # reads

    def read(self, branches: Sequence[BranchName]) -> dict[BranchName, PullRequest]:
        """Each branch's newest PR of this repository: the newest PR of each asked first;
        where that is a fork's of the same name, its last FORK_DEPTH in one more query."""
        for branch in self._newer_than_merged([b for b in branches if b in self.merged]):
            del self.merged[branch]
        asked = [b for b in dict.fromkeys(branches) if b not in self.merged]
        found = self._read_newest(asked, 1)
        forked = [b for b in asked if found.get(b) is _FORKS_ONLY]
        found |= self._read_newest(forked, FORK_DEPTH)
        read = {b: pr for b, pr in found.items() if isinstance(pr, PullRequest)}
        self.merged |= {b: pr for b, pr in read.items() if pr.state == "merged"}
        return {b: pr for b in branches if (pr := self.merged.get(b) or read.get(b))}

    def _newer_than_merged(self, branches: Sequence[BranchName]) -> list[BranchName]:
        """Of these branches whose newest PR had merged, those with a newer PR since."""
        return [
            branch
            for _, asked in self._ask_branches(branches, newest_numbers_query)
            for branch, nodes in asked
            if not nodes or nodes[0].get("number") != self.merged[branch].number
        ]

    def _ask_branches(
        self, branches: Sequence[BranchName], query_of: Callable[[int], str], **variables: str
    ) -> Iterator[tuple[dict[str, Any], list[tuple[BranchName, list[dict[str, Any]]]]]]:
        """The branches asked BRANCHES_PER_QUERY at a time, by the query `query_of` makes
        for so many: each answer's repository, and each branch's PR nodes in it; the
        points each cost counted."""
        unique = list(dict.fromkeys(branches))
        for start in range(0, len(unique), BRANCHES_PER_QUERY):
            chunk = unique[start : start + BRANCHES_PER_QUERY]
            asked = self._repo_variables() | variables
            asked |= {f"b{i}": branch for i, branch in enumerate(chunk)}
            data = self._json(self.gh.graphql(query_of(len(chunk)), asked).stdout)["data"]
            self.points.spend(data.get("rateLimit"))
            repository = data["repository"]
            yield (
                repository,
                [
                    (branch, (repository.get(f"b{i}") or {}).get("nodes") or [])
                    for i, branch in enumerate(chunk)
                ],
            )

    def poll_pause(self) -> float:
        """Seconds before the next poll, to keep polling within its share of GitHub's
        hourly GraphQL points at what the reads since the last call cost (points.py)."""
        return self.points.pause(gh_clock.SECOND)

    def _read_newest(
        self, branches: list[BranchName], first: int
    ) -> dict[BranchName, PullRequest | object]:
        found: dict[BranchName, PullRequest | object] = {}
        query_of = functools.partial(pull_requests_query, first=first)
        for repository, asked in self._ask_branches(branches, query_of, base=self.base):
            self.repository_id = repository.get("id") or self.repository_id
            # read here, so up never asks gh to arm what the repository refuses
            self.auto_merge_disabled = repository.get("autoMergeAllowed") is False
            self.merge_queue = bool(repository.get("mergeQueue"))
            for branch, nodes in asked:
                ours = [n for n in nodes if not n.get("isCrossRepository")]
                if ours:
                    found[branch] = _pull_request(ours[0])
                elif nodes:
                    found[branch] = _FORKS_ONLY
        return found

    def _missing_labels(self, labels: Sequence[str]) -> list[str]:
        wanted = [label for label in dict.fromkeys(labels) if label not in self.known_labels]
        if not wanted:
            return []
        variables = self._repo_variables() | {f"l{i}": name for i, name in enumerate(wanted)}
        data = self._json(self.gh.graphql(labels_query(len(wanted)), variables).stdout)
        repository = data["data"]["repository"]
        self.known_labels |= {name for i, name in enumerate(wanted) if repository.get(f"l{i}")}
        return [name for name in wanted if name not in self.known_labels]

    # writes

    def describe(self, write: Write) -> list[str]:
        """The gh commands `write` would run first (what GitHub answers may add one: a
        PR found mergeable is merged at once), each as a shell would take it: a JSON
        body on its input, a PR's body or a report as a file named by its contents."""
        return [_shown(call) for call in self._calls(write)]

    def _calls(self, write: Write) -> list[_Call]:
        """The gh calls of a write, as the write itself builds them."""
        match write:
            case writes.MakeLabels(labels):
                return [self._label_call(label) for label in self._missing_labels(labels)]
            case writes.Open(request):
                labelled = [self._rest_call("POST", self._labels_path(_would_open(request)),
                                            {"labels": list(request.labels)})]  # fmt: skip
                return [self._create_call(request), *(labelled if request.labels else [])]
            case writes.Arm(pr, method):
                if self.merge_queue:
                    return [self._mutation(_ENQUEUE, {"id": self._node_id(pr)})]
                if self.auto_merge_disabled:
                    raise self._auto_merge_disabled(pr)
                return [self._mutation(_ARM, {"id": self._node_id(pr), "method": method.upper()})]
            case writes.Edit(pr, title, body):
                return [self._edit_call(pr, title, body)]
            case writes.AddLabels(pr, labels):
                return [self._rest_call("POST", self._labels_path(pr), {"labels": list(labels)})]
            case writes.AskPeople(pr, people):
                return self._people_calls(pr, people)
            case writes.MarkReady(pr):
                return [_Call(("pr", "ready", _number(pr), "-R", self.repository.slug))]
            case writes.ClosePR(pr):
                return [_Call(("pr", "close", _number(pr), "-R", self.repository.slug))]
            case writes.UpdateBranch(pr, rebase):
                return [self._update_branch_call(pr, rebase)] if pr.node_id and pr.head_oid else []
            case writes.Retarget(pr, base):
                return [self._rest_call("PATCH", f"{self._rest_path}/pulls/{_number(pr)}",
                                        {"base": base})]  # fmt: skip
            case writes.RerunFailed(runs):
                return [self._rerun_call(run) for run in runs]
            case writes.CloseIssue(number, comment):
                return [self._close_issue_call(number, comment)]
            case writes.CommentIssue(number, comment):
                return [self._comment_call(number, comment)]
            case writes.PostReport(issue, body):
                ours = self._report_comment(issue)
                if ours is not None and ours["body"].strip() == body.strip():
                    return []
                return [self._report_call(issue, body, ours)]
            case writes.RecordIssues() | writes.Land():
                return []  # GitHub keeps the issues, and merges on its own

    def _send(self, call: _Call, *, repeatable: bool = True, check: bool = True) -> Completed:
        """One write's gh call, its file (a body) written for it first."""
        if call.text is None:
            return self.gh.run(*call.args, mutating=True, repeatable=repeatable, check=check)
        with _text_file(call.text) as path:
            args = [arg.replace(_FILE, str(path)) for arg in call.args]
            return self.gh.run(*args, mutating=True, repeatable=repeatable, check=check)

    def _label_call(self, label: str) -> _Call:
        return _Call(("label", "create", "-R", self.repository.slug, "--", label))

    def ensure_labels(self, labels: Sequence[str]) -> None:
        """Make the labels the repository lacks: once, before the PRs that use them are
        opened side by side (which would otherwise each make them, racing)."""
        with self._labels_lock:
            for label in self._missing_labels(labels):
                self._send(self._label_call(label))
                self.known_labels.add(label)

    def create(self, request: NewPullRequest) -> PullRequest:
        """One mutation opens it, a REST call adds its labels. The create is never sent twice:
        after a failure that may have reached GitHub, the branch's PR is read first, and
        one found is adopted (so is one that exists already)."""
        self.ensure_labels(request.labels)  # made already, as a rule: nothing to ask
        pr = self._create(request)
        missing = [label for label in request.labels if label not in pr.labels]
        if missing:  # an adopted PR may have some already
            self._send(self._rest_call("POST", self._labels_path(pr), {"labels": missing}))
            pr = dataclasses.replace(pr, labels=(*pr.labels, *missing))
        return pr

    def _create_call(self, request: NewPullRequest) -> _Call:
        fields = {"repo": self._repository_id(), "base": request.base, "head": request.head,
                  "title": request.title}  # fmt: skip
        typed = {"draft": "true" if request.draft else "false", "body": f"@{_FILE}"}
        return self._mutation(_CREATE, fields, typed, text=request.body)

    def _labels_path(self, pr: PullRequest) -> str:
        return f"{self._rest_path}/issues/{_number(pr)}/labels"

    def _create(self, request: NewPullRequest) -> PullRequest:
        call = self._create_call(request)
        for tried in range(len(RETRY_DELAYS) + 1):
            try:
                done: Completed | None = self._send(call, repeatable=False, check=False)
            except CommandTimedOut:
                if tried == len(RETRY_DELAYS):
                    raise
                done = None  # stopped: GitHub may have made it all the same
            if done is not None and done.ok:
                node = self._json(done.stdout)["data"]["createPullRequest"]["pullRequest"]
                pr = _opened(request, node)
                break
            if done is not None and "already exists" in done.stderr:
                adopted = self._adoptable(request)
                if adopted is None:
                    raise self.gh.failure(done)
                return adopted  # never a duplicate
            if done is not None and (
                not TRANSIENT.search(done.stderr) or tried == len(RETRY_DELAYS)
            ):
                raise self.gh.failure(done)
            self.gh.pause(tried)
            adopted = self._adoptable(request)  # made before the connection failed?
            if adopted is not None:
                return adopted
        return pr

    def _adoptable(self, request: NewPullRequest) -> PullRequest | None:
        """The branch's open PR onto the same base, after a create that failed but may
        have been carried out, or that found one there already."""
        found = self.read([request.head]).get(request.head)
        if found is None or found.state != "open" or found.base != request.base:
            return None
        return found

    def _repository_id(self) -> str:
        if self.repository_id is None:  # a write before any read: asked once
            found = self.gh.graphql(
                "query PrgroupsRepositoryId($owner: String!, $repo: String!) "
                "{ repository(owner: $owner, name: $repo) { id } }",
                self._repo_variables(),
            )
            self.repository_id = self._json(found.stdout)["data"]["repository"]["id"]
        return self.repository_id

    def _node_id(self, pr: PullRequest) -> str:
        """The PR's GraphQL id: read with it, or made by us (a dry run's has none)."""
        if pr.node_id is not None:
            return pr.node_id
        if pr.number == NEW_PR:
            return f"<the new PR of {pr.head}>"
        found = self.gh.graphql(
            "query PrgroupsPullId($owner: String!, $repo: String!) { repository(owner: "
            f"$owner, name: $repo) {{ pullRequest(number: {int(pr.number)}) {{ id }} }} }}",
            self._repo_variables(),
        )
        data = self._json(found.stdout).get("data") or {}
        node_id = ((data.get("repository") or {}).get("pullRequest") or {}).get("id")
        if not node_id:
            raise GhError(f"#{pr.number} is not on GitHub")
        return str(node_id)

    def _mutation(
        self,
        query: str,
        fields: dict[str, str],
        typed: dict[str, str] | None = None,
        *,
        text: str | None = None,
    ) -> _Call:
        """One GraphQL mutation: `fields` as strings (`-f`, never read as anything else),
        `typed` as gh converts them (`-F`: booleans, `@file` for `text`)."""
        argv = ["api", "graphql", "--hostname", self.repository.host]
        argv += [arg for key, value in fields.items() for arg in ("-f", f"{key}={value}")]
        argv += [arg for key, value in (typed or {}).items() for arg in ("-F", f"{key}={value}")]
        return _Call((*argv, "-f", f"query={query}"), text)

    def _mutate(self, call: _Call) -> Completed:
        """A mutation whose failure is the caller's to read."""
        return self._send(call, check=False)

    def arm_auto_merge(self, pr: PullRequest, method: MergeMethod) -> Armed:
        """One mutation. GitHub refuses to arm a PR that is mergeable already ("clean"):
        that one is merged at once, with a second."""
        if self.merge_queue:
            return Armed(queued=self._enqueue(pr))
        if self.auto_merge_disabled:
            raise self._auto_merge_disabled(pr)
        variables = {"id": self._node_id(pr), "method": method.upper()}
        done = self._mutate(self._mutation(_ARM, variables))
        if not done.ok and "Auto merge is not allowed" in done.stderr:
            self.auto_merge_disabled = True
            raise self._auto_merge_disabled(pr)
        merged = not done.ok and bool(re.search(r"is in (clean|unstable) status", done.stderr))
        if merged:
            done = self._mutate(self._mutation(_MERGE, variables))  # mergeable now: merge it
        if not done.ok:
            raise self.gh.failure(done)
        return Armed(merged=merged)

    def _enqueue(self, pr: PullRequest) -> int | None:
        """Into the base's merge queue, whose own settings say how it merges (`gh pr merge
        --auto --squash` there only warns and enqueues nothing, and gh 2.23 knows no
        queues). No expected head: up may have pushed a new one a moment ago, which is
        the one meant."""
        done = self._mutate(self._mutation(_ENQUEUE, {"id": self._node_id(pr)}))
        if not done.ok:
            raise self.gh.failure(done)
        data = (self._json(done.stdout) if done.stdout.strip() else {}).get("data") or {}
        entry = (data.get("enqueuePullRequest") or {}).get("mergeQueueEntry") or {}
        return entry.get("position")

    def checks_output(self, pr: PullRequest) -> str:
        """Each failed check of the PR's head, named with its page; for a GitHub Actions
        job, the last lines of its log too (one request each), as `gh run view
        --log-failed` would show them."""
        found = self.gh.graphql(
            "query PrgroupsFailedChecks($owner: String!, $repo: String!) { repository(owner: "
            f"$owner, name: $repo) {{ pullRequest(number: {int(pr.number)}) {{ commits(last: 1) "
            "{ nodes { commit { statusCheckRollup { contexts(first: 50) { nodes { __typename "
            "... on CheckRun { name conclusion detailsUrl } ... on StatusContext { context "
            "state targetUrl } } } } } } } } } }",
            self._repo_variables(),
        )
        data = self._json(found.stdout).get("data") or {}
        pull = (data.get("repository") or {}).get("pullRequest") or {}
        commits = (pull.get("commits") or {}).get("nodes") or []
        rollup = (commits[0].get("commit") or {}).get("statusCheckRollup") if commits else None
        told = []
        for node in ((rollup or {}).get("contexts") or {}).get("nodes") or []:
            if not node or not (node.get("conclusion") in _FAILED or node.get("state") in _FAILED):
                continue
            name = node.get("name") or node.get("context") or "?"
            url = node.get("detailsUrl") or node.get("targetUrl") or ""
            told.append(f"{name} failed" + (f": {url}" if url else ""))
            job = _ACTIONS_JOB.search(url)
            if job:
                told += [f"  {line}" for line in self._job_log_tail(int(job.group(1)))]
        return "\n".join(told)

    def add_people(self, pr: PullRequest, people: People) -> None:
        """REST, each body from a file: no login lookups as `gh pr edit --add-reviewer`
        makes them, the same on every gh."""
        for call in self._people_calls(pr, people):
            self._send(call)

    def _people_calls(self, pr: PullRequest, people: People) -> list[_Call]:
        where = self._rest_path
        calls = []
        if people.reviewers:
            users = [r for r in people.reviewers if "/" not in r]
            teams = [r.split("/", 1)[1] for r in people.reviewers if "/" in r]
            asked = {"reviewers": users, "team_reviewers": teams}
            path = f"{where}/pulls/{_number(pr)}/requested_reviewers"
            calls.append(self._rest_call("POST", path, asked))
        if people.assignees:
            calls.append(self._rest_call("POST", f"{where}/issues/{_number(pr)}/assignees",
                                         {"assignees": list(people.assignees)}))  # fmt: skip
        if people.milestone:
            found = self.gh.run("api", "--hostname", self.repository.host,
                                f"{where}/milestones?state=open&per_page=100")  # fmt: skip
            numbers = {m["title"]: m["number"] for m in self._json(found.stdout) or []}
            if people.milestone not in numbers:
                raise GhError(
                    f"no open milestone named {people.milestone!r} in {self.repository.slug}"
                )
            calls.append(self._rest_call("PATCH", f"{where}/issues/{_number(pr)}",
                                         {"milestone": numbers[people.milestone]}))  # fmt: skip
        return calls

    @property
    def _rest_path(self) -> str:
        return f"repos/{self.repository.owner}/{self.repository.name}"

    def _rest_call(self, method: str, path: str, body: dict[str, Any]) -> _Call:
        import json

        args = ("api", "--hostname", self.repository.host, "--method", method, path,
                "--input", _FILE)  # fmt: skip
        return _Call(args, json.dumps(body))

    def update_branch(self, pr: PullRequest, rebase: bool) -> None:
        """GitHub brings the PR's branch up to date with its base itself (what the Update
        branch button does); GraphQL, as `gh pr update-branch` does from 2.42 on, so that
        older gh can too. Approvals stay where the repository's rules keep them."""
        if pr.head_oid is None or pr.node_id is None:
            return
        self._send(self._update_branch_call(pr, rebase))

    def _update_branch_call(self, pr: PullRequest, rebase: bool) -> _Call:
        return _Call((
            "api", "graphql", "--hostname", self.repository.host, "-f", f"id={pr.node_id}",
            "-f", f"head={pr.head_oid}", "-f", f"how={'REBASE' if rebase else 'MERGE'}",
            "-f", "query=mutation PrgroupsUpdateBranch($id: ID!, $head: GitObjectID!, "
            "$how: PullRequestBranchUpdateMethod!) { updatePullRequestBranch(input: "
            "{pullRequestId: $id, expectedHeadOid: $head, updateMethod: $how}) "
            "{ pullRequest { headRefOid } } }",
        ))  # fmt: skip

    def mark_ready(self, pr: PullRequest) -> None:
        self._send(_Call(("pr", "ready", _number(pr), "-R", self.repository.slug)))

    def close_pr(self, pr: PullRequest) -> None:
        self._send(_Call(("pr", "close", _number(pr), "-R", self.repository.slug)))

    def retarget(self, pr: PullRequest, base: BranchName) -> None:
        """The PR's base changed (REST: `gh pr edit --base` looks the PR up first)."""
        self._send(self._rest_call("PATCH", f"{self._rest_path}/pulls/{_number(pr)}",
                                   {"base": base}))  # fmt: skip

    def run_attempts(self, runs: Sequence[int]) -> dict[int, int]:
        """GitHub's `run_attempt` of each workflow run: a rerun of its failed jobs is an
        attempt of the same run."""
        found = {}
        for run in runs:
            done = self.gh.run(
                "api", "--hostname", self.repository.host,
                f"repos/{self.repository.owner}/{self.repository.name}/actions/runs/{int(run)}",
                "--jq", ".run_attempt", check=False,
            )  # fmt: skip
            if done.ok and done.stdout.strip().isdigit():
                found[run] = int(done.stdout.strip())
        return found

    def rerun_failed(self, runs: Sequence[int]) -> None:
        """The failed jobs of each run, started again (as `gh run rerun --failed` does)."""
        for run in runs:
            self._send(self._rerun_call(run))

    def _rerun_call(self, run: int) -> _Call:
        return _Call((
            "api", "--hostname", self.repository.host, "--method", "POST",
            f"{self._rest_path}/actions/runs/{int(run)}/rerun-failed-jobs",
        ))  # fmt: skip

    def _job_log_tail(self, job: int) -> list[str]:
        done = self.gh.run(
            "api", "--hostname", self.repository.host,
            f"repos/{self.repository.owner}/{self.repository.name}/actions/jobs/{job}/logs",
            check=False,
        )  # fmt: skip
        if not done.ok:  # expired, or no right to read it: the page is named above
            return []
        text = done.stdout.removeprefix("\ufeff")  # GitHub's job logs begin with a BOM
        lines = [_TIMESTAMP.sub("", line) for line in text.rstrip().splitlines()]
        return lines[-LOG_TAIL:]

    def pull_facts(self, prs: Sequence[PullRequest]) -> dict[int, PullFacts]:
        """One query for every PR; failed checks are counted from prgroups' own history
        (GitHub keeps a rollup per commit, which a force-push forgets)."""
        wanted = sorted({pr.number for pr in prs})
        if not wanted:
            return {}
        fields = "createdAt mergedAt changedFiles additions deletions"
        aliases = " ".join(f"p{n}: pullRequest(number: {n}) {{ {fields} }}" for n in wanted)
        repository = self._repository_read("PrgroupsPullFacts", aliases)
        return {
            n: PullFacts(
                n, found.get("createdAt"), found.get("mergedAt"), found.get("changedFiles"),
                found.get("additions"), found.get("deletions"),
            )
            for n in wanted
            if (found := repository.get(f"p{n}"))
        }  # fmt: skip

    def epic_issues(self, epic: int) -> tuple[list[IssueFacts], bool]:
        """The open sub-issues of `epic`, each with the open issues it is blocked by; and
        whether this GitHub keeps issue dependencies at all (GHES may not)."""

        def query(fields: str) -> str:
            return (
                "query PrgroupsEpic($owner: String!, $repo: String!) { repository(owner: $owner, "
                f"name: $repo) {{ issue(number: {int(epic)}) {{ subIssues(first: 100) "
                f"{{ nodes {{ {fields} }} }} }} }} }}"
            )

        return self._issue_facts(query, ("repository", "issue", "subIssues", "nodes"))

    def search_issues(self, words: str) -> tuple[list[IssueFacts], bool]:
        """The open issues an issue search finds (GitHub's search syntax)."""
        import json

        where = f"{self.repository.owner}/{self.repository.name}"
        search = json.dumps(f"repo:{where} is:issue is:open {words}")

        def query(fields: str) -> str:
            return (
                f"query PrgroupsIssueSearch {{ search(query: {search}, type: ISSUE, first: 100) "
                f"{{ nodes {{ ... on Issue {{ {fields} }} }} }} }}"
            )

        return self._issue_facts(query, ("search", "nodes"))

    def _issue_facts(
        self, query: Callable[[str], str], path: Sequence[str]
    ) -> tuple[list[IssueFacts], bool]:
        plain = "number title state labels(first: 20) { nodes { name } }"
        with_dependencies = f"{plain} blockedBy(first: 50) {{ nodes {{ number state }} }}"
        known = True
        done = self.gh.graphql(query(with_dependencies), self._repo_variables(), check=False)
        if not done.ok and "blockedBy" in done.stdout + done.stderr:
            known = False  # this GitHub keeps no issue dependencies: ask without them
            done = self.gh.graphql(query(plain), self._repo_variables())
        elif not done.ok:
            raise self.gh.failure(done)
        found: Any = self._json(done.stdout).get("data") or {}
        for key in path:
            found = (found or {}).get(key) or ([] if key == "nodes" else {})
        return [
            IssueFacts(
                node["number"], node["title"],
                tuple(label["name"] for label in (node.get("labels") or {}).get("nodes") or []),
                tuple(b["number"] for b in (node.get("blockedBy") or {}).get("nodes") or []
                      if b.get("state") == "OPEN"),
            )
            for node in found if node and node.get("state") == "OPEN"
        ], known  # fmt: skip

    def unchecked_bases(self, root: Path, bases: Sequence[BranchName]) -> frozenset[BranchName]:
        """Bases no GitHub Actions workflow runs pull requests for (`pull_request:
        branches:` filters on the base)."""
        from git_prgroups.workflows import skipped_bases

        folder = root / ".github" / "workflows"
        files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if bases else []
        texts = [f.read_text(encoding="utf-8", errors="replace") for f in files if f.is_file()]
        return frozenset(BranchName(b) for b in skipped_bases(texts, bases))

    def recorded_issues(self) -> frozenset[int] | None:
        return None  # GitHub keeps the issues

    def record_issues(self, issues: Sequence[tuple[int, str]]) -> None:
        raise NotImplementedError("GitHub keeps the issues")

    def post_report(self, issue: int, body: str) -> Posted:
        """Found again by the mark at its top, among the comments prgroups' user wrote."""
        ours = self._report_comment(issue)
        if ours is not None and ours["body"].strip() == body.strip():
            return "unchanged"
        self._send(self._report_call(issue, body, ours))
        return "updated" if ours is not None else "posted"

    def _report_call(self, issue: int, body: str, ours: dict[str, Any] | None) -> _Call:
        if ours is not None:
            return _Call((
                "api", "graphql", "--hostname", self.repository.host,
                "-f", f"id={ours['id']}", "-F", f"body=@{_FILE}",
                "-f", "query=mutation PrgroupsEditReport($id: ID!, $body: String!) "
                "{ updateIssueComment(input: {id: $id, body: $body}) { issueComment { id } } }",
            ), body)  # fmt: skip
        return _Call(("issue", "comment", str(issue), "-R", self.repository.slug,
                      f"--body-file={_FILE}"), body)  # fmt: skip

    def _report_comment(self, issue: int) -> dict[str, Any] | None:
        """The newest comment of ours on `issue` that holds the report's mark."""
        found = self.gh.graphql(
            "query PrgroupsReportComment($owner: String!, $repo: String!) { repository(owner: "
            f"$owner, name: $repo) {{ issue(number: {int(issue)}) {{ comments(last: 100) "
            "{ nodes { id body viewerDidAuthor } } } } }",
            {"owner": self.repository.owner, "repo": self.repository.name},
        )
        data = self._json(found.stdout).get("data") or {}
        comments = ((data.get("repository") or {}).get("issue") or {}).get("comments") or {}
        ours = [
            c for c in comments.get("nodes") or []
            if c and c.get("viewerDidAuthor") and REPORT_MARK in (c.get("body") or "")
        ]  # fmt: skip
        return ours[-1] if ours else None

    def issues(self, numbers: Sequence[int]) -> dict[int, Issue]:
        wanted = sorted({int(n) for n in numbers})
        if not wanted:
            return {}
        fields = "state comments(last: 20) { nodes { body } }"
        aliases = " ".join(
            f"i{n}: issueOrPullRequest(number: {n}) {{ ... on Issue {{ {fields} }} }}"
            for n in wanted
        )
        # an issue number that is a PR, or none, is an error beside the data: kept
        repository = self._repository_read("PrgroupsIssues", aliases)
        return {
            n: Issue(
                n,
                "closed" if found["state"] == "CLOSED" else "open",
                tuple(c["body"] for c in (found.get("comments") or {}).get("nodes") or []),
            )
            for n in wanted
            if (found := repository.get(f"i{n}")) and found.get("state")
        }

    def _repository_read(self, name: str, aliases: str) -> dict[str, Any]:
        """One GraphQL query of `aliases` under the repository; the data it holds, even
        beside errors about some of them."""
        query = (
            f"query {name}($owner: String!, $repo: String!) "
            f"{{ repository(owner: $owner, name: $repo) {{ {aliases} }} }}"
        )
        done = self.gh.graphql(query, self._repo_variables(), check=False)
        data = self._json(done.stdout) if done.stdout.strip() else {}
        if not done.ok and not (data.get("data") or {}).get("repository"):
            raise self.gh.failure(done)
        return (data.get("data") or {}).get("repository") or {}

    def close_issue(self, number: int, comment: str | None) -> None:
        """`gh issue close --comment` comments, then closes: two requests. A run cut off
        between them is finished by the next without a second comment."""
        self._send(self._close_issue_call(number, comment))

    def _close_issue_call(self, number: int, comment: str | None) -> _Call:
        commented = [f"--comment={comment}"] if comment is not None else []
        return _Call(("issue", "close", str(number), "-R", self.repository.slug, *commented,
                      "--reason=completed"))  # fmt: skip

    def comment_issue(self, number: int, comment: str) -> None:
        self._send(self._comment_call(number, comment))

    def _comment_call(self, number: int, comment: str) -> _Call:
        return _Call(("issue", "comment", str(number), "-R", self.repository.slug,
                      f"--body={comment}"))  # fmt: skip

    def _auto_merge_disabled(self, pr: PullRequest) -> AutoMergeDisabled:
        return AutoMergeDisabled(
            f"auto-merge is turned off for {self.repository.owner}/{self.repository.name}, so "
            f'#{pr.number} stays open: turn on "Allow auto-merge" under Settings → General → '
            f"Pull Requests ({self.repository.settings_url}) and run up again"
        )

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        self._send(self._rest_call("POST", self._labels_path(pr), {"labels": list(labels)}))

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None:
        self._send(self._edit_call(pr, title, body))

    def _edit_call(self, pr: PullRequest, title: str, body: str) -> _Call:
        return _Call(("pr", "edit", _number(pr), "-R", self.repository.slug, f"--title={title}",
                      f"--body-file={_FILE}"), body)  # fmt: skip

    def land(
        self,
        orders: Sequence[LandingOrder],
        *,
        workers: int = 1,
        progress: Progress | None = None,
    ) -> Iterator[Landing]:
        """GitHub merges armed PRs itself: prgroups never lands there."""
        return iter(())

    @staticmethod
    def _json(text: str) -> Any:
        import json

        try:
            return json.loads(text)
        except ValueError:
            raise GhError(f"gh printed something that is not JSON: {text[:200]!r}") from None


def _number(pr: PullRequest) -> str:
    """The PR as gh names it; a dry run's new PR has no number yet."""
    return f"<the new PR of {pr.head}>" if pr.number == NEW_PR else str(pr.number)


_CREATE = (
    "mutation PrgroupsOpen($repo: ID!, $base: String!, $head: String!, $title: String!, "
    "$body: String!, $draft: Boolean!) { createPullRequest(input: {repositoryId: $repo, "
    "baseRefName: $base, headRefName: $head, title: $title, body: $body, draft: $draft}) "
    "{ pullRequest { id number url } } }"
)
_ARM = (
    "mutation PrgroupsArm($id: ID!, $method: PullRequestMergeMethod!) "
    "{ enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) "
    "{ pullRequest { autoMergeRequest { mergeMethod } } } }"
)
_MERGE = (
    "mutation PrgroupsMerge($id: ID!, $method: PullRequestMergeMethod!) "
    "{ mergePullRequest(input: {pullRequestId: $id, mergeMethod: $method}) "
    "{ pullRequest { state } } }"
)
_ENQUEUE = (
    "mutation PrgroupsEnqueue($id: ID!) { enqueuePullRequest(input: {pullRequestId: $id}) "
    "{ mergeQueueEntry { position } } }"
)


def _opened(request: NewPullRequest, node: dict[str, Any]) -> PullRequest:
    return PullRequest(
        number=int(node["number"]),
        state="open",
        head=request.head,
        base=request.base,
        title=request.title,
        body=request.body,
        url=str(node["url"]),
        draft=request.draft,
        node_id=str(node["id"]),
    )


def _would_open(request: NewPullRequest) -> PullRequest:
    """The PR a dry run would open: no number, no address yet."""
    return PullRequest(NEW_PR, "open", request.head, request.base, request.title, request.body,
                       "", draft=request.draft)  # fmt: skip


_FILE = "\0file\0"  # where a call's file goes in its arguments: a NUL no argument holds
_SHOWN_WHOLE = 200  # a file of a call shown on its input in a dry run, up to this size


@dataclass(frozen=True)
class _Call:
    """One gh call of a write: its arguments, and what the file they name holds."""

    args: tuple[str, ...]
    text: str | None = None


def _shown(call: _Call) -> str:
    """The call as a dry run shows it: a short file (a JSON body) on gh's input, a long
    one (a PR's body, the report) named `-` with its text left out."""
    from git_prgroups.events import command_line

    args = ["gh", *(arg.replace(_FILE, "-") for arg in call.args)]
    short = call.text is not None and len(call.text) <= _SHOWN_WHOLE and "\n" not in call.text
    return command_line(args, stdin=call.text if short else None)


def _failed_checks(rollup: dict[str, Any] | None) -> tuple[str, ...]:
    nodes = (((rollup or {}).get("contexts") or {}).get("nodes")) or []
    return tuple(
        node.get("name") or node.get("context") or "?"
        for node in nodes
        if node and (node.get("conclusion") in _FAILED or node.get("state") in _FAILED)
    )


def _people(node: dict[str, Any]) -> People:
    def nodes(key: str) -> list[dict[str, Any]]:
        return [n for n in (node.get(key) or {}).get("nodes") or [] if n]

    asked = [n.get("requestedReviewer") or {} for n in nodes("reviewRequests")]
    reviewed = [(n.get("author") or {}).get("login") for n in nodes("latestReviews")]
    return People(
        tuple(filter(None, [*(a.get("login") or a.get("combinedSlug") for a in asked), *reviewed])),
        tuple(filter(None, (n.get("login") for n in nodes("assignees")))),
        (node.get("milestone") or {}).get("title"),
    )


def _removal(node: dict[str, Any]) -> tuple[str, Sha] | None:
    """The queue's last removal: its reason, and the head it removed when the head has
    not moved since ("" when it has: the PR may go back in, once)."""
    removals = (node.get("removals") or {}).get("nodes") or []
    last = removals[-1] if removals and removals[-1] else None
    if last is None:
        return None
    reason = str(last.get("reason") or "no reason given").replace("_", " ").lower()
    moves = (node.get("moves") or {}).get("nodes") or []
    still = bool(moves) and (moves[-1] or {}).get("__typename") == "RemovedFromMergeQueueEvent"
    return reason, Sha(node.get("headRefOid") or "") if still else Sha("")


def _failed_runs(rollup: dict[str, Any] | None) -> tuple[int, ...]:
    nodes = (((rollup or {}).get("contexts") or {}).get("nodes")) or []
    runs = [
        int(found.group(1))
        for node in nodes
        if node
        and node.get("conclusion") in _FAILED
        and (found := _ACTIONS_RUN.search(node.get("detailsUrl") or ""))
    ]
    return tuple(dict.fromkeys(runs))


def _pull_request(node: dict[str, Any]) -> PullRequest:
    commits = (node.get("commits") or {}).get("nodes") or []
    rollup = commits[0]["commit"].get("statusCheckRollup") if commits else None
    auto = node.get("autoMergeRequest")
    return PullRequest(
        number=node["number"],
        state=node["state"].lower(),
        head=node["headRefName"],
        base=node["baseRefName"],
        title=node["title"],
        body=node["body"],
        url=node["url"],
        head_oid=Sha(node["headRefOid"]) if node.get("headRefOid") else None,
        draft=bool(node.get("isDraft")),
        checks=_ROLLUP.get((rollup or {}).get("state"), "pending"),
        failed_checks=_failed_checks(rollup),
        failed_runs=_failed_runs(rollup),
        auto_merge=auto["mergeMethod"].lower() if auto else None,
        conflict=node.get("mergeStateStatus") == "DIRTY" or node.get("mergeable") == "CONFLICTING",
        behind=node.get("mergeStateStatus") == "BEHIND",
        node_id=node.get("id"),
        queued=(node.get("mergeQueueEntry") or {}).get("position"),
        people=_people(node),
        removed=_removal(node),
        labels=tuple(n["name"] for n in ((node.get("labels") or {}).get("nodes") or [])),
    )


@contextmanager
def _text_file(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="prgroups-") as folder:
        path = Path(folder) / "body.md"
        path.write_text(text, encoding="utf-8")
        yield path
