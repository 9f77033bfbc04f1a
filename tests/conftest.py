"""Real git worlds for the tests: a bare origin, a clone, isolated configuration."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from git_prgroups.commands.up import run_up
from git_prgroups.entry import main  # as installed: status begins its reads first
from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, Events, event_line
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec
from git_prgroups.store import Store
from git_prgroups.trust import spec_commands, trust

EXAMPLE_SPEC = Path(__file__).parent.parent / "examples" / "prgroups.toml"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


# ---- GitHub's contract: every request the fake GitHub receives, checked at the end ----------


def pytest_configure(config: pytest.Config) -> None:
    """The run's folder of requests, which xdist's workers inherit; and the tests' worlds
    in memory where the machine has a memory-backed folder (see in_memory)."""
    from fakes.github.server import CONTRACT_LOG

    if hasattr(config, "workerinput"):
        return
    if not os.environ.get(CONTRACT_LOG):
        import tempfile

        os.environ[CONTRACT_LOG] = tempfile.mkdtemp(prefix="prgroups-contract-")
    if config.option.basetemp is None:
        config.option.basetemp = in_memory()


MEMORY = Path("/dev/shm")  # a folder of our own is made in it
KEPT_RUNS = 3  # the newest runs' folders are kept there, as pytest keeps its own


def in_memory() -> str | None:
    """A fresh folder for this run's temporary paths in memory (Linux's /dev/shm), or None
    (pytest's own, on disk). The tests are real git on real worktrees: on a disk shared
    with other machines (CI's), writing them took half the suite's time. The folders of
    older runs go, past the newest few."""
    import shutil
    import tempfile

    if not MEMORY.is_dir() or not os.access(MEMORY, os.W_OK):
        return None
    if shutil.disk_usage(MEMORY).free < 4 * 2**30:
        return None
    prefix = f"prgroups-tests-{os.getuid()}-"
    older = sorted(MEMORY.glob(f"{prefix}*"), key=lambda p: p.stat().st_mtime)
    for folder in older[: max(0, len(older) - (KEPT_RUNS - 1))]:
        shutil.rmtree(folder, ignore_errors=True)
    return tempfile.mkdtemp(prefix=prefix, dir=MEMORY)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Each distinct request prgroups sent, held against GitHub's published contract; one
    that breaks it fails the run, named with the contract's complaint."""
    from contract.github import MissingContract, check_log
    from fakes.github.server import CONTRACT_LOG

    if hasattr(session.config, "workerinput") or not os.environ.get(CONTRACT_LOG):
        return
    say = session.config.pluginmanager.get_plugin("terminalreporter")
    folder = Path(os.environ[CONTRACT_LOG])
    if not any(folder.glob("*.jsonl")):
        return  # no test talked to the fake GitHub
    try:
        seen, broken = check_log(folder)
    except MissingContract as missing:
        if os.environ.get("CI"):  # never skipped in CI
            say.write_line(f"contract: FAILED: {missing}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        else:
            say.write_line(f"contract: not checked: {missing}", yellow=True)
        return
    for request, problems in broken:
        say.write_line(f"contract: {request.label()}: {'; '.join(problems)}", red=True)
    if broken:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    say.write_line(
        f"contract: {seen} distinct requests held against GitHub's schema and OpenAPI "
        f"description, {len(broken)} broke it"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The kill-point loops take a minute or more each: started first, the two workers
    end together rather than one waiting on the last of them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads or writes the real home or the real git configuration."""
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Test Author\n\temail = author@example.com\n"
        "[init]\n\tdefaultBranch = main\n\ttemplateDir =\n"
        "[advice]\n\tdetachedHead = false\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    for key in list(os.environ):
        if key.startswith(("GIT_", "GH_", "GITHUB_")) or key in ("NO_COLOR", "XDG_CONFIG_HOME"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PRGROUPS_DEBUG", "")  # `--debug` sets it; put back after the test
    monkeypatch.setenv("HOME", str(home))
    # text output is broken at 80 columns when piped; tests read whole lines, and the
    # tests of fitting to a page set their own width
    monkeypatch.setenv("COLUMNS", "10000")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-02-12T10:00:00+00:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-02-12T10:00:00+00:00")
    return home


@dataclass
class World:
    """A bare origin and a clone of it (the main worktree), side by side in `base`."""

    base: Path
    origin: Path
    repo: Path

    def write_spec(self, text: str, *, trusted: bool = True) -> Path:
        """The spec; its setup and check commands allowed to run here, as a user who
        wrote them would have (`trusted=False`: a clone of someone else's)."""
        path = self.repo / "prgroups.toml"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        if trusted:
            with contextlib.suppress(PrgroupsError):  # a spec the test means to be bad
                spec = load_spec(path, self.repo)
                trust(Store.of(self.repo / ".git"), spec_commands(spec, checks=True))
        return path

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return git(*args, cwd=cwd or self.repo)


def make_world(base: Path, name: str = "scylla") -> World:
    origin = base / "origin.git"
    repo = base / name
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=base)
    git("clone", "-q", str(origin), str(repo), cwd=base)
    (repo / "README.md").write_text("# scylla\n")
    git("add", "README.md", cwd=repo)
    git("commit", "-q", "-m", "initial commit", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    return World(base=base, origin=origin, repo=repo)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the command line in this process, in a directory; returns code and output."""

    def run(*args: str, cwd: Path) -> Outcome:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def typed(path: Path, cwd: Path) -> str:
    """A path as text output shows it to someone in `cwd`: relative, `../scylla-x`."""
    return os.path.relpath(path, cwd)


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file and folder under `roots` with a hash of its content: what 'nothing
    changed on disk' compares."""
    seen: dict[str, str] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                seen[os.path.join(folder, name)] = "dir"
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    seen[path] = hashlib.sha256(handle.read()).hexdigest()
    return seen


@pytest.fixture
def installed_command() -> Iterator[Path]:
    """The console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "git-prgroups"
    if not script.exists():
        pytest.fail(f"{script} is missing: install the project (pip install '.[test]') first")
    yield script


# ---- the seed epic (examples/prgroups.toml) ------------------------------------------------

GROUP_A = [
    "fix-model-configs", "delete-mojo-guides", "remove-python-justification",
    "update-claude-md-tree", "config-tooling-cleanup", "code-hygiene", "remove-workspace-manager",
]  # fmt: skip


@pytest.fixture
def epic(tmp_path: Path) -> World:
    """A world whose main branch holds the example spec."""
    world = make_world(tmp_path)
    world.write_spec(EXAMPLE_SPEC.read_text())
    world.git("add", "prgroups.toml")
    world.git("commit", "-q", "-m", "add the spec")
    world.git("push", "-q", "origin", "main")
    return world


def up(world: World, *names: str, force_body: bool = False) -> tuple[Runner, list[str]]:
    """Run up through the library with a fresh runner; returns it (for its calls) and the lines."""
    runner = Runner()
    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    git_ = Git(runner, world.repo)
    lines: list[str] = []
    run_up(spec, git_, choose_forge(spec, git_), telling(lines), only=names, force_body=force_body)
    return runner, lines


def telling(lines: list[str], then: Callable[[str], None] | None = None) -> Events:
    """Events that append each as the text line a person sees (and hand it to `then`)."""

    def listen(event: Event) -> None:
        lines.append(event_line(event))
        if then is not None:
            then(lines[-1])

    return Events(listen)


def commit_in(path: Path, name: str) -> str:
    (path / f"{name}.txt").write_text(f"{name}\n")
    git("add", f"{name}.txt", cwd=path)
    git("commit", "-q", "-m", f"change {name}", cwd=path)
    return git("rev-parse", "HEAD", cwd=path)


def status(world: World, cli) -> dict[str, dict]:
    outcome = cli("status", "--json", cwd=world.repo)
    assert outcome.code == 0, outcome.err
    return {e["name"]: e for e in json.loads(outcome.out)["entries"]}


def worktree_paths(world: World) -> set[str]:
    out = world.git("worktree", "list", "--porcelain")
    return {line[9:] for line in out.splitlines() if line.startswith("worktree ")} - {
        str(world.repo)
    }


def verbs(runner: Runner) -> list[str]:
    """Each call's git subcommand (its first word that is not an option), or gh's first words."""
    return [
        next(word for word in argv[1:] if not word.startswith("-") and "=" not in word)
        if argv[0] == "git"
        else " ".join(argv[:3])
        for argv, _ in runner.calls
    ]
