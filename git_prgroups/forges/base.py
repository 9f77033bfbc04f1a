"""The forge interface, the pull request record every forge returns, and the choice of forge."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from git_prgroups.git import Sha

PRState = Literal["open", "closed", "merged"]
Checks = Literal["pass", "fail", "pending", "none"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    state: PRState
    head: str
    base: str
    title: str
    body: str
    url: str
    head_oid: Sha | None = None
    draft: bool = False
    checks: Checks = "none"
    checks_output: str = ""
    auto_merge: str | None = None  # the armed method, or None
    conflict: bool = False


@dataclass(frozen=True)
class NewPullRequest:
    head: str
    base: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    draft: bool = False


class Forge(Protocol):
    name: str
    merges_on_its_own: bool  # a server that merges armed PRs while prgroups is not looking

    def read(self, branches: Sequence[str]) -> dict[str, PullRequest]:
        """The newest pull request of each branch that has one, in one query."""

    def create(self, request: NewPullRequest) -> PullRequest: ...

    def arm_auto_merge(self, pr: PullRequest, method: str) -> None:
        """Turn on auto-merge (GitHub may merge a mergeable PR at once: read to know)."""

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None: ...

    def issue_states(self, numbers: Sequence[int]) -> dict[int, str]:
        """ "open" or "closed" for each issue, in one query; unknown issues are left out."""

    def close_issue(self, number: int, comment: str) -> None: ...


# Bodies end with a hidden marker holding a hash of the title and body prgroups
# wrote, so a PR a person edited by hand can be told from one whose template changed.
_MARKER = re.compile(r"\n*<!-- prgroups: (?P<digest>[0-9a-f]{12}) -->\s*\Z")


def _digest(title: str, body: str) -> str:
    import hashlib

    return hashlib.sha256(f"{title}\0{body.rstrip()}".encode()).hexdigest()[:12]


def with_marker(title: str, body: str) -> str:
    return f"{body.rstrip()}\n\n<!-- prgroups: {_digest(title, body)} -->\n"


def body_edited_by_hand(title: str, body: str) -> bool:
    """True when the title and body are not exactly what prgroups last wrote."""
    match = _MARKER.search(body)
    if not match:
        return True
    return _digest(title, body[: match.start()]) != match["digest"]
