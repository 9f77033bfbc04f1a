"""`git prgroups status` on 50 entries against its floor, and the calls a no-op `up` makes.

The floor: python start, the imports status needs, one for-each-ref, one worktree
list and the 50 worktree statuses two at a time. It also times `git machete status` on
the same 50 branches. Run: pip install '.[bench]' && python benchmarks/status_50.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENTRIES = 50
RUNS = 7
FLOOR = """
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


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def build(base: Path) -> Path:
    git("init", "-q", "--bare", "-b", "main", str(base / "origin.git"), cwd=base)
    repo = base / "repo"
    git("clone", "-q", str(base / "origin.git"), str(repo), cwd=base)
    (repo / "README.md").write_text("x\n")
    spec = "".join(
        f'[pr.e{i:02d}]\ntitle = "fix: entry {i}"\nissues = [{100 + i}]\n\n' for i in range(ENTRIES)
    )
    (repo / "prgroups.toml").write_text(spec)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "spec", cwd=repo)
    git("push", "-q", "origin", "main", cwd=repo)
    done = subprocess.run(["git", "prgroups", "up"], cwd=repo, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return repo


def timed(argv: list[str], cwd: Path) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def machete_layout(repo: Path) -> bool:
    """The same 50 branches as children of main in git-machete's layout; False when
    git-machete is not installed (pip install git-machete)."""
    if shutil.which("git-machete") is None:
        return False
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname:short)", "refs/heads/"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    layout = "main\n" + "".join(f"  {b}\n" for b in out if b != "main")
    (repo / ".git" / "machete").write_text(layout)
    return True


def calls_of(*argv: str, cwd: Path) -> int:
    done = subprocess.run(
        ["git-prgroups", "--verbose", *argv], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stderr.count("$ ")


def main() -> None:
    os.environ.update(
        GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@b",
    )  # fmt: skip
    # Users run installed bytecode; a PYTHONDONTWRITEBYTECODE inherited from a sandbox
    # would time compiling our sources on every run instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        repo = build(Path(folder))
        floor = timed([sys.executable, "-c", FLOOR, str(repo)], repo)
        status = timed(["git-prgroups", "status"], repo)
        print(f"{ENTRIES} entries, median of {RUNS} runs")
        print(f"floor          {floor * 1000:7.1f} ms")
        print(
            f"status         {status * 1000:7.1f} ms  ({status / floor:.2f}x the floor, "
            f"{calls_of('status', cwd=repo)} git calls)"
        )
        if machete_layout(repo):
            machete = timed(["git", "machete", "status"], repo)
            print(f"machete status {machete * 1000:7.1f} ms  ({status / machete:.2f}x of it)")
        else:
            print("machete status skipped: pip install git-machete")
        print(f"no-op up: {calls_of('up', cwd=repo)} git calls")


if __name__ == "__main__":
    main()
