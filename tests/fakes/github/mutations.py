"""The fake GitHub's GraphQL mutations, and the merge they share with the test knobs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .graph import ObjectGraph
from .graphql import GraphQLError
from .model import FakeIssue, FakePR, MergeConflict, now

MERGE_METHODS = ("MERGE", "SQUASH", "REBASE")


class Mutations(ObjectGraph):
    """The mutation root: each mutation changes the state and answers with the changed object
    from the graph. Mixed into FakeGitHub; called with its lock held."""

    new_pr_merge_state: str | None
    new_pr_checks: str

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
            "updateIssueComment": mutation(self._update_comment, "UpdateIssueCommentPayload"),
            "enqueuePullRequest": mutation(self._enqueue, "EnqueuePullRequestPayload"),
            "updatePullRequestBranch": mutation(
                self._update_branch, "UpdatePullRequestBranchPayload"
            ),
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
            created_at=now(),
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
            self._close(pr)
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
        if method not in MERGE_METHODS:
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
        pr.auto_merge_enabled_at = now()
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

    def _enqueue(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        self._check_head(pr, given)
        if pr.base not in self.merge_queue_branches:
            raise GraphQLError(f"{pr.base} does not require a merge queue")
        if pr.number not in self.queue:
            self.queue.append(pr.number)
        entry = {"__typename": "MergeQueueEntry", "position": self.queue.index(pr.number) + 1,
                 "state": "QUEUED"}  # fmt: skip
        return {"mergeQueueEntry": entry}

    def _update_branch(self, given: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr_by_id(given.get("pullRequestId"))
        self._check_head(pr, given)
        rebase = str(given.get("updateMethod") or "MERGE") == "REBASE"
        try:
            pr.head_oid = self.origin.update_branch(pr.head, pr.base, rebase=rebase)
        except MergeConflict:
            raise GraphQLError("merge conflict between base and head") from None
        pr.merge_state_status = "BLOCKED"
        pr.branch_updates += 1
        return {"pullRequest": self._pr(pr)}

    def _update_comment(self, given: dict[str, Any]) -> dict[str, Any]:
        """A comment edited in place; its id is "IC_<its thread's URL>_<index>"."""
        node_id = str(given.get("id") or "")
        url, _, index = node_id.removeprefix("IC_").rpartition("_")
        number = url.rsplit("/", 1)[-1]
        table: dict[int, Any] = self.prs if "/pull/" in url else self.issues
        target = table.get(int(number)) if number.isdigit() else None
        if target is None or not index.isdigit() or int(index) >= len(target.comments):
            raise GraphQLError(f"Could not resolve to a node with the global id of '{node_id}'.")
        target.comments[int(index)] = str(given.get("body", ""))
        return {"issueComment": self._comment(url, int(index), target.comments[int(index)])}

    def _close_issue(self, given: dict[str, Any]) -> dict[str, Any]:
        issue: FakeIssue = self._lookup(given.get("issueId"), FakeIssue)
        issue.state, issue.closed_at = "CLOSED", now()
        issue.state_reason = str(given.get("stateReason") or "COMPLETED")
        return {"issue": self._issue(issue)}

    def _reopen_issue(self, given: dict[str, Any]) -> dict[str, Any]:
        issue: FakeIssue = self._lookup(given.get("issueId"), FakeIssue)
        issue.state, issue.state_reason, issue.closed_at = "OPEN", "REOPENED", None
        return {"issue": self._issue(issue)}

    # ---- shared with the knobs -------------------------------------------------------------

    def _next_number(self) -> int:
        return max([*self.prs, *self.issues], default=0) + 1

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
        pr.merged_at = pr.closed_at = now()
        pr.merge_commit = tip
        pr.auto_merge_method = pr.auto_merge_enabled_at = None
        pr.merge_state_status = "UNKNOWN"
        if pr.base == self.default_branch:  # as GitHub does: "Closes #N" closes N
            for number in _closing_references(pr.body):
                issue = self.issues.get(number)
                if issue is not None and issue.state == "OPEN":
                    issue.state, issue.state_reason, issue.closed_at = "CLOSED", "COMPLETED", now()
        return tip

    def _close(self, pr: FakePR) -> None:
        pr.state, pr.closed_at = "CLOSED", now()
        pr.auto_merge_method = pr.auto_merge_enabled_at = None


_CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#(\d+)\b", re.IGNORECASE)


def _closing_references(body: str) -> list[int]:
    """The issues a PR body closes by GitHub's keywords ("Closes #12", "fixes #3")."""
    return [int(n) for n in _CLOSING.findall(body)]
