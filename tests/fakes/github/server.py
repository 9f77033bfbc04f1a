"""The fake GitHub itself: its state, the knobs tests turn, and the answer to each request.

Each request is handled in two steps under the fake's lock: on arrival it is recorded and
told whether it hangs (`hang_next`); then it is done and answered. A hang waits between the
two, holding no lock, so the other requests and the test's own reads go on meanwhile.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from .graphql import Document, Executor, GraphQLSyntaxError, Operation, parse, query_cost
from .http_server import Server
from .model import FakeIssue, FakePR, MergeConflict, Origin, Received
from .mutations import MERGE_METHODS, Mutations

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
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimits:
    """GitHub's limits on how hard a client may push (docs.github.com, "Rate limits for
    the REST API" and "... for the GraphQL API"), on a clock `second` real seconds to
    GitHub's second, so that a test sees minutes pass in a moment. Over any of them a
    request is refused as GitHub refuses it: 403, a secondary rate limit, with
    `retry-after` (seconds, on GitHub's clock) unless `retry_after` is off."""

    concurrent: int = 100  # requests under way at once
    writes_per_minute: int = 80  # content-creating requests (every write, here)
    writes_per_hour: int = 500
    rest_points_per_minute: int = 900  # a GET costs 1, a write 5
    graphql_points_per_minute: int = 2000  # a query costs 1, a mutation 5
    graphql_points_per_hour: int = 5000  # the primary limit: each query's computed cost
    second: float = 1.0
    retry_after: bool = True

    def over(self, seen: list[tuple[float, bool, bool]], now: float) -> float | None:
        """Seconds (GitHub's) until a request now would be within the limits, given the
        requests seen (when, whether a write, whether GraphQL); None: within them."""
        minute, hour = 60 * self.second, 3600 * self.second
        last_minute = [s for s in seen if now - s[0] < minute]
        writes = [s for s in last_minute if s[1]]
        hourly = [s for s in seen if s[1] and now - s[0] < hour]
        points = {
            graphql: sum(5 if write else 1 for _, write, kind in last_minute if kind == graphql)
            for graphql in (False, True)
        }
        if len(writes) >= self.writes_per_minute or (
            points[False] >= self.rest_points_per_minute
            or points[True] >= self.graphql_points_per_minute
        ):
            return max(1.0, (last_minute[0][0] + minute - now) / self.second)
        if len(hourly) >= self.writes_per_hour:
            return max(1.0, (hourly[0][0] + hour - now) / self.second)
        return None


@dataclass(eq=False)
class Hang:
    """One request `hang_next` makes late. It is recorded when it arrives, then waits
    `seconds` (or until `release()`) holding no lock, then it is done and answered."""

    operation: str
    seconds: float
    started: threading.Event = field(default_factory=threading.Event)  # arrived, now waiting
    answered: threading.Event = field(default_factory=threading.Event)  # done, reply made
    thread: threading.Thread | None = field(default=None, init=False)  # the one serving it
    _released: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def release(self) -> None:
        """End the wait now."""
        self._released.set()

    def _wait_out(self) -> None:
        self.thread = threading.current_thread()
        self.started.set()
        self._released.wait(self.seconds)


@dataclass
class _Pending:
    """A request recorded on arrival: what answers it, the hang to wait out first, and
    the status that replaces its answer once it is carried out (lose_answer_next)."""

    answer: Callable[[], Reply]
    hang: Hang | None
    lost: tuple[int, bool] | None = None  # the status instead, and whether it was done


def _is_mutation(body: bytes) -> bool:
    try:
        query = json.loads(body or b"{}").get("query", "")
    except ValueError:
        return False
    return str(query).lstrip().startswith("mutation")


CONTRACT_LOG = "PRGROUPS_CONTRACT_LOG"  # a folder: every request received, for tests/contract
_LOGGING = threading.Lock()


def contract_log(received: Received) -> None:
    """Keep the request for the contract test at the end of the run (conftest.py)."""
    folder = os.environ.get(CONTRACT_LOG)
    if not folder:
        return
    line = json.dumps({"method": received.method, "path": received.path,
                       "query": received.query, "variables": received.variables})  # fmt: skip
    with _LOGGING, open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a") as log:
        log.write(line + "\n")


class FakeGitHub(Mutations):
    """GitHub for one repository, served to the real gh on 127.0.0.1.

    Run gh with `env()` merged into its environment and `-R slug`. State is plain data (`prs`,
    `issues`, `labels`) that tests may read and change; `requests`/`mutations` log what gh
    asked for, in order (injected failures included). Knobs:

    - new PRs get `new_pr_merge_state` ("BLOCKED": gh arms auto-merge; "CLEAN": gh merges at
      once; None: CLEAN when `new_pr_checks` is SUCCESS, else BLOCKED) and `new_pr_checks`;
    - mergeability is never computed: `set_merge_state` says what gh will read, except that a
      merge that conflicts in git marks the PR DIRTY;
    - labels must exist, as on GitHub (gh 2.24+ matches names itself): seed them with
      `add_label`, or let the code under test run `gh label create`;
    - `fail_next` fails requests, `hang_next` answers one late (a slow GitHub) without
      holding up the others.
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
        latency: float = 0.0,
        merge_queue: bool = False,
        limits: RateLimits | None = None,
    ) -> None:
        self.owner = owner
        self.limits = limits  # GitHub's rate limits, enforced (None: none)
        self.refused: list[str] = []  # requests refused for a rate limit
        self._seen: list[tuple[float, bool, bool]] = []  # when, a write?, GraphQL?
        # GraphQL's primary limit: each operation's computed cost (query_cost), and when
        # the hour began whose points are counted (GitHub resets an hour after its start)
        self.points: list[tuple[str, int]] = []  # operation, cost
        self._hour: tuple[float, int] = (0.0, 0)  # began (monotonic), points used in it
        self._under_way = 0
        self.latency = latency  # seconds every request takes, as over a real network
        self.name = name
        self.auto_merge_allowed = auto_merge_allowed
        self.default_branch = default_branch
        # the default branch requires a merge queue: PRs are enqueued, not armed
        self.merge_queue_branches = {default_branch} if merge_queue else set()
        self.queue: list[int] = []  # PR numbers, in the queue's order
        self.milestones: dict[str, int] = {}  # open milestones: title → number
        self.retargets: list[tuple[int, str]] = []  # (PR, new base) of each PATCH that moved one
        self.new_pr_merge_state = new_pr_merge_state
        self.new_pr_checks = new_pr_checks
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="fake-github-", dir=self.workdir))
        self.origin = Origin(Path(origin), self.home / "merges")
        self.prs: dict[int, FakePR] = {}
        self.issues: dict[int, FakeIssue] = {}
        self.labels: dict[str, str] = {n: f"LA_{i}" for i, n in enumerate(_DEFAULT_LABELS, 1)}
        self.requests: list[str] = []
        self.mutations: list[str] = []
        self.received: list[Received] = []
        self.unknown_fields: set[str] = set()  # selected fields the fake does not model
        self.server_errors: list[str] = []  # tracebacks of requests the fake failed on
        self._failures: list[_Failure] = []
        self._hangs: list[Hang] = []
        self._lost: list[tuple[str, int, bool]] = []
        self._lock = threading.RLock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        server = Server(self)
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

    def hang_next(self, operation: str, seconds: float) -> Hang:
        """Answer the next `operation` request (as `requests` names it) `seconds` late, doing
        it then all the same: a slow server, which a client that stopped waiting never hears
        from. It is recorded when it arrives; the wait holds no lock, so other requests and
        the test go on meanwhile. The Hang returned tells when the request started waiting
        and when it was answered, and can end the wait early."""
        hang = Hang(operation, seconds)
        with self._lock:
            self._hangs.append(hang)
        return hang

    def lose_answer_next(self, operation: str, status: int = 502, *, done: bool = True) -> None:
        """Carry out the next `operation` request (or not, `done=False`), then answer
        `status` instead (0: drop the connection): a proxy's 502 or a reset after GitHub
        did the work, which only a read can tell from a request that never arrived."""
        with self._lock:
            self._lost.append((operation, status, done))

    def _take_lost(self, operation: str) -> tuple[int, bool] | None:
        found = next((lost for lost in self._lost if lost[0] == operation), None)
        if found is None:
            return None
        self._lost.remove(found)
        return found[1], found[2]

    def merge(self, number: int, method: str | None = None) -> str:
        """Merge the PR for real on the origin; returns the new tip of its base branch."""
        with self._lock:
            pr = self.prs[number]
            method = (method or pr.auto_merge_method or "MERGE").upper()
            if method not in MERGE_METHODS:
                raise ValueError(f"unknown merge method {method!r}")
            if pr.state != "OPEN":
                raise ValueError(f"#{number} is {pr.state}, not OPEN")
            if number in self.queue:  # the queue merged it
                self.queue.remove(number)
            return self._merge(pr, method, None, None)

    def eject(self, number: int, reason: str) -> None:
        """GitHub drops a PR from its queue (its checks failed in the merge group): the
        removal names the queue's own test merge commit, none after a conflict."""
        with self._lock:
            pr = self.prs[number]
            self.queue.remove(number)
            head = self._head_oid(pr)
            tested = None if reason == "MERGE_CONFLICT" else self.origin.test_merge(pr.base, head)
            pr.removals.append((reason, tested, head))

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
            self._close(self.prs[number])

    # ---- request handling ------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request: record it, wait out its hang with the lock released, then do
        it and make the reply."""
        with self._lock:
            refused = self._limited(method, target, body)
            if refused is not None:
                return refused
            self._under_way += 1
        try:
            return self._handle(method, target, headers, body)
        finally:
            with self._lock:
                self._under_way -= 1

    def _limited(self, method: str, target: str, body: bytes) -> Reply | None:
        """GitHub's refusal of a request over its rate limits (None: within them)."""
        if self.limits is None:
            return None
        graphql = urlsplit(target).path.endswith("/graphql")
        write = method != "GET" and not (graphql and not _is_mutation(body))
        now = time.monotonic()
        wait = self.limits.over(self._seen, now)
        if wait is None and self._under_way < self.limits.concurrent:
            self._seen.append((now, write, graphql))
            return None
        self.refused.append(f"{method} {urlsplit(target).path}")
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again. If you reach out to GitHub Support for help, please include the "
            "request ID."
        )
        headers = {"retry-after": str(round(wait or 60))} if self.limits.retry_after else {}
        return Reply(403, {"message": message,
                           "documentation_url": "https://docs.github.com/rest/overview/"
                           "rate-limits-for-the-rest-api#about-secondary-rate-limits"},
                     headers)  # fmt: skip

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._lock:
            pending = self._arrive(method, target, headers, body)
        if isinstance(pending, Reply):
            return pending
        if self.latency:
            time.sleep(self.latency)  # no lock held: requests overlap as GitHub's do
        if pending.hang is not None:
            pending.hang._wait_out()
        with self._lock:
            self.origin.forget()
            try:
                if pending.lost is None:
                    return pending.answer()
                status, done = pending.lost
                if done:
                    pending.answer()
                return Reply(status, {"message": HTTPStatus(status).phrase} if status else None)
            except Exception as error:
                return self._crashed(error)
            finally:
                if pending.hang is not None:
                    pending.hang.answered.set()

    def _arrive(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Reply | _Pending:
        """Record the request; a Reply if it is answered at once, else what answers it."""
        url = urlsplit(target)
        host = (url.hostname or headers.get("Host", "")).split(":")[0]
        if not host.endswith(self.host):
            self.requests.append(f"{method} {host}{url.path}")
            return Reply(502, {"message": f"fake github does not serve {host}"})
        try:
            if url.path in ("/graphql", "/api/graphql") and method == "POST":
                return self._graphql(json.loads(body or b"{}"), headers)
            return self._rest(method, url.path, json.loads(body) if body else None, headers)
        except Exception as error:
            return self._crashed(error)

    def _crashed(self, error: Exception) -> Reply:
        """A fake bug: tell gh, and keep the traceback for the test."""
        self.server_errors.append(traceback.format_exc())
        return Reply(500, {"message": f"fake github crashed: {error!r}"})

    def _record_server_error(self, text: str) -> None:
        with self._lock:
            self.server_errors.append(text)

    def _take_hang(self, operation: str) -> Hang | None:
        hang = next((h for h in self._hangs if h.operation == operation), None)
        if hang is not None:
            self._hangs.remove(hang)
        return hang

    def _injected(self, headers: dict[str, str]) -> Reply | None:
        cached = any(k.lower() == "x-gh-cache-ttl" for k in headers)
        if not self._failures or cached:
            return None
        failure = self._failures.pop(0)
        if failure.status == 0:
            return Reply(0)  # the connection drops without an answer
        if failure.graphql_error_type:
            error = {
                "type": failure.graphql_error_type,
                "message": failure.message or f"injected {failure.graphql_error_type}",
            }
            return Reply(200, {"data": None, "errors": [error]})
        message = failure.message or HTTPStatus(failure.status).phrase
        return Reply(
            failure.status,
            {"message": message, "documentation_url": "https://docs.github.com/rest"},
        )

    def _record(self, received: Received, mutating: bool) -> None:
        contract_log(received)
        self.requests.append(received.operation)
        if mutating:
            self.mutations.append(received.operation)
        self.received.append(received)

    def _graphql(self, payload: dict[str, Any], headers: dict[str, str]) -> Reply | _Pending:
        query = payload.get("query", "")
        variables = payload.get("variables") or {}
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            self._record(
                Received("POST", "/graphql", "graphql:<unparsable>", variables, query), False
            )
            return Reply(200, {"errors": [{"message": f"Parse error: {error}"}]})
        wanted = payload.get("operationName")
        operation = next(
            (o for o in document.operations if not wanted or o.name == wanted),
            document.operations[0],
        )
        mutating = operation.kind == "mutation"
        self._record(Received("POST", "/graphql", operation.label, variables, query), mutating)
        cost = query_cost(document, operation, variables)
        spent = self._spend(cost)
        if spent is None:
            return self._out_of_points()
        self.points.append((operation.label, cost))
        answer = functools.partial(
            self._answer_graphql, document, operation, variables, headers, spent
        )
        return _Pending(answer, self._take_hang(operation.label), self._take_lost(operation.label))

    def _answer_graphql(
        self,
        document: Document,
        operation: Operation,
        variables: dict[str, Any],
        headers: dict[str, str],
        spent: dict[str, Any],
    ) -> Reply:
        injected = self._injected(headers)
        if injected:
            return injected
        executor = Executor(document, variables)
        root = self._mutation_root() if operation.kind == "mutation" else self._query_root()
        root["rateLimit"] = spent
        reply = executor.run(operation, root)
        self.unknown_fields |= executor.unknown
        return Reply(200, reply)

    def _spend(self, cost: int) -> dict[str, Any] | None:
        """Take a query's points from the hour's budget: GitHub's `rateLimit` then, or None
        when they are not left."""
        limit = self.limits.graphql_points_per_hour if self.limits else 5000
        hour = 3600 * (self.limits.second if self.limits else 1.0)
        began, used = self._hour
        now = time.monotonic()
        if not used or now - began >= hour:
            began, used = now, 0
        if self.limits is not None and used + cost > limit:
            return None
        self._hour = (began, used + cost)
        reset = datetime.now(timezone.utc) + timedelta(seconds=(began + hour - now))
        return {"__typename": "RateLimit", "limit": limit, "cost": cost, "used": used + cost,
                "remaining": limit - used - cost, "nodeCount": 0,
                "resetAt": reset.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip

    def _out_of_points(self) -> Reply:
        """GitHub's answer to a query over the hour's points: 200, an error of type
        RATE_LIMITED, and when the hour ends."""
        assert self.limits is not None
        began, _ = self._hour
        left = began + 3600 * self.limits.second - time.monotonic()
        reset = time.time() + max(1.0, left / self.limits.second)
        self.refused.append("POST /graphql (points)")
        return Reply(
            200,
            {"errors": [{"type": "RATE_LIMITED",
                         "message": "API rate limit exceeded for user ID 1."}]},
            {"x-ratelimit-limit": str(self.limits.graphql_points_per_hour),
             "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset)),
             "x-ratelimit-resource": "graphql"},
        )  # fmt: skip

    def _rest(self, method: str, path: str, body: Any, headers: dict[str, str]) -> _Pending:
        path = re.sub(r"^/api/v3", "", path)
        received = Received(method, path, f"REST {method} {path}", body or {}, "")
        self._record(received, method != "GET")
        answer = functools.partial(self._answer_rest, method, path, body, headers)
        return _Pending(
            answer, self._take_hang(received.operation), self._take_lost(received.operation)
        )

    def _answer_rest(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Reply:
        injected = self._injected(headers)
        if injected:
            return injected
        repo_path = f"/repos/{self.owner}/{self.name}"
        if path == repo_path and method == "GET":
            return Reply(200, self._rest_repo())
        ref = re.fullmatch(re.escape(repo_path) + r"/git/refs/(.+)", path)
        if ref and method == "DELETE":
            branch = unquote(ref.group(1)).removeprefix("heads/")
            if branch in self.origin.branches():
                self.origin.delete_branch(branch)
                self._close_based_on(branch)
                return Reply(204)
            return Reply(422, {"message": "Reference does not exist"})
        if path == f"{repo_path}/labels" and method == "POST":
            name = str((body or {}).get("name", ""))
            if self._label(name):
                error = {"resource": "Label", "code": "already_exists", "field": "name"}
                return Reply(422, {"message": "Validation Failed", "errors": [error]})
            return Reply(201, self._rest_label(name, self.add_label(name)))
        label = re.fullmatch(re.escape(repo_path) + r"/labels/(.+)", path)
        if label and method in ("GET", "PATCH"):
            found = self._label(unquote(label.group(1)))
            if found:
                return Reply(200, self._rest_label(found["name"], found["id"]))
        labels = re.fullmatch(re.escape(repo_path) + r"/issues/(\d+)/labels", path)
        if labels and method == "POST":  # a name the repository lacks is made (ededed)
            number = int(labels.group(1))
            target = self.prs.get(number) or self.issues.get(number)
            if target is None:
                return Reply(404, {"message": "Not Found"})
            names = [self._label(n)["name"] if self._label(n) else n
                     for n in map(str, (body or {}).get("labels", []))]  # fmt: skip
            for name in names:
                self.add_label(name)
                if name not in target.labels:
                    target.labels.append(name)
            return Reply(200, [self._rest_label(n, self.labels[n]) for n in target.labels])
        people = re.fullmatch(re.escape(repo_path) + r"/(pulls|issues)/(\d+)/(\w+)", path)
        if people and method == "POST" and people.group(3) in ("requested_reviewers", "assignees"):
            pr = self.prs.get(int(people.group(2)))
            if pr is None:
                return Reply(404, {"message": "Not Found"})
            if people.group(3) == "assignees":
                pr.assignees += [a for a in body.get("assignees", []) if a not in pr.assignees]
            else:
                teams = [f"{self.owner}/{t}" for t in body.get("team_reviewers", [])]
                pr.reviewers += [r for r in [*body.get("reviewers", []), *teams]
                                 if r not in pr.reviewers]  # fmt: skip
            return Reply(201, {"number": pr.number})
        if path.split("?")[0] == f"{repo_path}/milestones" and method == "GET":
            return Reply(200, [{"title": t, "number": n, "state": "open"}
                               for t, n in self.milestones.items()])  # fmt: skip
        pull = re.fullmatch(re.escape(repo_path) + r"/pulls/(\d+)", path)
        if pull and method == "PATCH" and int(pull.group(1)) in self.prs:
            return self._update_pull(self.prs[int(pull.group(1))], body or {})
        issue = re.fullmatch(re.escape(repo_path) + r"/issues/(\d+)", path)
        if issue and method == "PATCH" and int(issue.group(1)) in self.prs:
            pr = self.prs[int(issue.group(1))]
            by_number = {n: t for t, n in self.milestones.items()}
            pr.milestone = by_number.get((body or {}).get("milestone"), pr.milestone)
            return Reply(200, {"number": pr.number})
        rerun = re.fullmatch(re.escape(repo_path) + r"/actions/runs/(\d+)/rerun-failed-jobs", path)
        if rerun and method == "POST":  # the run of a PR's one check run has the PR's number
            pr = self.prs.get(int(rerun.group(1)))
            if pr is None or pr.checks not in ("FAILURE", "ERROR"):
                return Reply(403, {"message": "This workflow run cannot be rerun"})
            pr.checks, pr.reruns = "PENDING", pr.reruns + 1
            head = self._head_oid(pr)
            pr.attempts[head] = pr.attempts.get(head, 1) + 1  # GitHub's run_attempt
            return Reply(201, {})
        run = re.fullmatch(re.escape(repo_path) + r"/actions/runs/(\d+)", path)
        if run and method == "GET":  # the run of a PR's head: each rerun is an attempt
            pr = self.prs.get(int(run.group(1)))
            if pr is None:
                return Reply(404, {"message": "Not Found"})
            head = self._head_oid(pr)
            return Reply(200, {"id": pr.number, "head_sha": head, "status": "completed",
                               "run_attempt": pr.attempts.get(head, 1),
                               "conclusion": "failure" if pr.checks == "FAILURE" else None})  # fmt: skip
        job = re.fullmatch(re.escape(repo_path) + r"/actions/jobs/(\d+)/logs", path)
        if job and method == "GET":  # GitHub redirects to the log; served here directly
            pr = self.prs.get(int(job.group(1)) // 100)
            if pr is not None and pr.check_log:  # as GitHub serves it: UTF-8 with a BOM
                return Reply(200, "\ufeff".encode() + pr.check_log.encode())
        if path == "/user" and method == "GET":
            return Reply(200, {"login": self.owner, "id": 1, "node_id": "U_1", "type": "User"})
        return Reply(
            404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        )

    def _update_pull(self, pr: FakePR, body: dict[str, Any]) -> Reply:
        """`PATCH /repos/O/R/pulls/N`: a new base (title, body) as GitHub takes it: the base
        must be a branch of the repository, and a closed PR keeps its own."""
        base = body.get("base")
        if base is not None:
            if base not in self.origin.branches():
                error = {"resource": "PullRequest", "field": "base", "code": "invalid"}
                return Reply(422, {"message": "Validation Failed", "errors": [error]})
            if pr.state != "OPEN":
                return Reply(422, {"message": "Validation Failed",
                                   "errors": [{"message": "Cannot change the base branch of a "
                                                          "closed pull request."}]})  # fmt: skip
            pr.base = str(base)
            self.retargets.append((pr.number, pr.base))
        pr.title = str(body.get("title", pr.title))
        pr.body = str(body.get("body", pr.body))
        return Reply(200, {"number": pr.number, "state": pr.state.lower(),
                           "base": {"ref": pr.base}, "head": {"ref": pr.head}})  # fmt: skip

    def _close_based_on(self, branch: str) -> None:
        """GitHub closes each open PR whose base branch was deleted through the API (it
        retargets them only for the web's Delete branch button; cli/cli#14223); such a PR
        cannot be reopened."""
        for pr in self.prs.values():
            if pr.state == "OPEN" and pr.base == branch:
                pr.state, pr.auto_merge_method = "CLOSED", None
                pr.closed_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

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
