"""The fake GitHub's GraphQL query side: its state as the object graph gh queries.

Objects are plain dicts; a callable value is a field resolved with its arguments when asked
for, so costly fields (git history, check rollups) cost nothing unless selected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .graphql import GraphQLError, connection, empty
from .model import FakeIssue, FakePR, Origin, now


def job_id(pr: int) -> int:
    """The id of the Actions job behind a PR's one check run."""
    return pr * 100 + 1


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


class ObjectGraph:
    """The query root and every object under it, read from the state FakeGitHub keeps (the
    attributes below). Mixed into FakeGitHub; called with its lock held."""

    host: str
    owner: str
    name: str
    default_branch: str
    auto_merge_allowed: bool
    web_url: str  # a property of FakeGitHub
    origin: Origin
    prs: dict[int, FakePR]
    issues: dict[int, FakeIssue]
    labels: dict[str, str]
    merge_queue_branches: set[str]
    queue: list[int]

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
            # "rateLimit": the server's, with the query's cost and the hour's budget
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
            "mergeQueue": lambda a: (
                {"__typename": "MergeQueue", "id": f"MQ_{a.get('branch')}"}
                if (a.get("branch") or self.default_branch) in self.merge_queue_branches
                else None
            ),
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
            "assignableUsers": lambda a: connection([self._user()], a),
            "mentionableUsers": lambda a: connection([self._user()], a),
            "milestones": empty,
            "projects": empty,
            "projectsV2": empty,
            "repositoryTopics": empty,
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
        return connection([self._label(n) for n in names], args)

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
        return connection([self._pr(pr) for pr in chosen], args)

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
        return connection([self._issue(i) for i in chosen], args)

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
        words = str(args.get("query") or "").split()
        terms = dict(t.split(":", 1) for t in words if ":" in t)
        kinds = {t.split(":", 1)[1] for t in words if t.startswith("is:")}
        if "issue" in kinds:  # an issue search: its state, labels and words of its title
            text = [w.lower() for w in words if ":" not in w]
            issues = [
                i for i in sorted(self.issues.values(), key=lambda i: i.number)
                if ("open" not in kinds or i.state == "OPEN")
                and ("closed" not in kinds or i.state == "CLOSED")
                and ("label" not in terms or terms["label"].strip('"') in i.labels)
                and all(w in i.title.lower() for w in text)
            ]  # fmt: skip
            result = connection([self._issue(i) for i in issues], args)
            result["issueCount"] = len(issues)
            return result
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
        result = connection([self._pr(pr) for pr in found], args)
        result["issueCount"] = len(found)
        return result

    def _size(self, pr: FakePR) -> tuple[int, int, int]:
        head = self._head_oid(pr)
        base = self.origin.branches().get(pr.base, "")
        if not head or not base:
            return 0, 0, 0
        return self.origin.diff_stat(self.origin.git("merge-base", base, head), head)

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
            "name": pr.check_name,
            "status": status,
            "conclusion": conclusion,
            "startedAt": pr.created_at,
            "completedAt": pr.created_at if status == "COMPLETED" else None,
            "detailsUrl": f"{self.web_url}/actions/runs/{pr.number}/job/{job_id(pr.number)}",
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
                **connection([run], a),
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
            "authors": lambda a: connection(
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

    def _timeline(self, pr: FakePR, kinds: list[str] | None) -> list[dict[str, Any]]:
        """The queue removals, each followed by the push that changed the head after it,
        if one did (a commit added, or the branch force-pushed), as GitHub lists them."""
        items: list[tuple[str, dict[str, Any]]] = []
        head = self._head_oid(pr)
        for number, (reason, tested, then) in enumerate(pr.removals):
            items.append(("REMOVED_FROM_MERGE_QUEUE_EVENT", {
                "__typename": "RemovedFromMergeQueueEvent", "reason": reason,
                "beforeCommit": {"__typename": "Commit", "oid": tested} if tested else None,
            }))  # fmt: skip
            later = pr.removals[number + 1][2] if number + 1 < len(pr.removals) else head
            if later and later != then:
                if self.origin.is_ancestor(then, later):
                    items.append(("PULL_REQUEST_COMMIT", {
                        "__typename": "PullRequestCommit",
                        "commit": {"__typename": "Commit", "oid": later},
                    }))  # fmt: skip
                else:
                    items.append(("HEAD_REF_FORCE_PUSHED_EVENT", {
                        "__typename": "HeadRefForcePushedEvent",
                        "afterCommit": {"__typename": "Commit", "oid": later},
                    }))  # fmt: skip
        return [item for kind, item in items if kinds is None or kind in kinds]

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
        return connection(nodes, page)

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
            "isCrossRepository": pr.from_fork,
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
            "labels": lambda a: connection([self._label(n) for n in pr.labels], a),
            "comments": lambda a: connection(
                [self._comment(url, i, text) for i, text in enumerate(pr.comments)], a
            ),
            "commits": lambda a: self._commits(pr, a),
            "mergeQueueEntry": lambda _a: (
                {
                    "__typename": "MergeQueueEntry",
                    "position": self.queue.index(pr.number) + 1,
                    "state": "QUEUED",
                }
                if pr.number in self.queue
                else None
            ),
            "timelineItems": lambda a: connection(
                self._timeline(pr, a.get("itemTypes"))[-int(a.get("last") or 100) :], a
            ),
            # as GitHub counts them: the head against where it forked from the base
            "additions": lambda _a: self._size(pr)[1],
            "deletions": lambda _a: self._size(pr)[2],
            "changedFiles": lambda _a: self._size(pr)[0],
            "milestone": (
                {"__typename": "Milestone", "title": pr.milestone} if pr.milestone else None
            ),
            "reactionGroups": [],
            "assignees": lambda a: connection(
                [{"__typename": "User", "login": login} for login in pr.assignees], a
            ),
            "assignedActors": empty,
            "reviewRequests": lambda a: connection(
                [
                    {
                        "__typename": "ReviewRequest",
                        "requestedReviewer": (
                            {"__typename": "Team", "combinedSlug": who}
                            if "/" in who
                            else {"__typename": "User", "login": who}
                        ),
                    }
                    for who in pr.reviewers
                ],
                a,
            ),
            "reviews": empty,
            "latestReviews": empty,
            "projectCards": empty,
            "projectItems": empty,
            "closingIssuesReferences": empty,
            "files": empty,
        }

    def _comment(self, url: str, index: int, text: str) -> dict[str, Any]:
        return {
            "__typename": "IssueComment",
            "id": f"IC_{url}_{index}",
            "body": text,
            "url": f"{url}#issuecomment-{index + 1}",
            "author": self._user(),
            "authorAssociation": "OWNER",
            "createdAt": now(),
            "includesCreatedEdit": False,
            "isMinimized": False,
            "minimizedReason": "",
            "reactionGroups": [],
            "viewerDidAuthor": True,
        }

    def _issues_numbered(self, numbers: list[int], args: dict[str, Any]) -> dict[str, Any]:
        return connection([self._issue(self.issues[n]) for n in numbers if n in self.issues], args)

    def _parent(self, issue: FakeIssue) -> dict[str, Any] | None:
        parent = next((i for i in self.issues.values() if issue.number in i.sub_issues), None)
        return self._issue(parent) if parent else None

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
            "createdAt": now(),
            "updatedAt": now(),
            "url": url,
            "author": self._user(),
            "isPinned": False,
            "milestone": None,
            "reactionGroups": [],
            "labels": lambda a: connection([self._label(n) for n in issue.labels], a),
            "comments": lambda a: connection(
                [self._comment(url, i, text) for i, text in enumerate(issue.comments)], a
            ),
            "issueType": None,
            "parent": lambda _a: self._parent(issue),
            "subIssuesSummary": {
                "total": len(issue.sub_issues),
                "completed": 0,
                "percentCompleted": 0,
            },
            "blockedBy": lambda a: self._issues_numbered(issue.blocked_by, a),
            "blocking": lambda a: self._issues_numbered(
                [i.number for i in self.issues.values() if issue.number in i.blocked_by], a
            ),
            "closedByPullRequestsReferences": empty,
            "subIssues": lambda a: self._issues_numbered(issue.sub_issues, a),
            "assignees": empty,
            "assignedActors": empty,
            "projectCards": empty,
            "projectItems": empty,
        }
