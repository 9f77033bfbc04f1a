"""Typed git verbs. Commands call these; none of them builds raw argv.

Reads parse machine output (`-z`, NUL-separated formats). Every verb that
changes a ref, a worktree or the remote says so (`mutating=True`), which is
what the idempotency tests count.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.model import BranchName, CommitGraph, Sha, Worktree
from git_prgroups.proc import CommandFailed, Completed, Runner
from git_prgroups.worktree_reads import (
    WORKTREE_LIST,
    can_batch_from,
    dirty_in_batch,
    main_worktree,
    status_batch,
    worktree_records,
)

LITERAL_PATHS = {"GIT_LITERAL_PATHSPECS": "1"}  # file names, never patterns or magic
NULL_SHA = Sha("0" * 40)


@dataclass(frozen=True)
class PushUpdate:
    """One ref of a batched push: `lease` is the remote tip it may overwrite, if any."""

    branch: str
    lease: Sha | None = None


@dataclass(frozen=True)
class Git:
    runner: Runner
    cwd: Path

    def _run(
        self,
        *args: str,
        mutating: bool = False,
        check: bool = True,
        cwd: Path | None = None,
        stdin: str | None = None,
        cached: bool = False,
        reads_refs: bool = True,
        changes_refs: bool = False,
        interactive: bool = False,
        env: dict[str, str] | None = None,
    ) -> Completed:
        return self.runner.run(
            ["git", *args],
            cwd=cwd or self.cwd,
            mutating=mutating,
            check=check,
            stdin=stdin,
            env=env,
            cached=cached,
            reads_refs=reads_refs,
            changes_refs=changes_refs,
            interactive=interactive,
        )

    def at(self, path: Path) -> Git:
        return Git(self.runner, path)

    # reads

    def main_worktree(self) -> Path | None:
        """The main worktree's top level (the first `git worktree list` shows), or None
        outside a repository or in a bare one."""
        result = self.runner.run(
            WORKTREE_LIST, cwd=self.cwd, check=False, cached=True, reads_refs=False
        )
        main = main_worktree(worktree_records(result.stdout)) if result.ok else None
        return Path(main) if main is not None else None

    def worktrees(self) -> list[Worktree]:
        result = self.runner.run(WORKTREE_LIST, cwd=self.cwd, cached=True, reads_refs=False)
        return parse_worktrees(result.stdout)

    def refs(self, *prefixes: str) -> dict[str, Sha]:
        """Full ref name → object name, for every ref named by or under `prefixes`.

        Every ref is read in one call, kept until something changes a ref, so the
        callers' different questions cost one `for-each-ref` between changes."""
        folders = tuple(p.rstrip("/") + "/" for p in prefixes)
        return {
            name: Sha(sha)
            for name, sha, _ in self._ref_lines()
            if name in prefixes or name.startswith(folders)
        }

    def upstreams(self) -> dict[str, str]:
        """Local branch → the remote-tracking ref it follows, for those that follow one
        (read in the same cached `for-each-ref` as `refs`)."""
        return {
            name.removeprefix("refs/heads/"): upstream
            for name, _, upstream in self._ref_lines()
            if upstream and name.startswith("refs/heads/")
        }

    def _ref_lines(self) -> list[list[str]]:
        fmt = "--format=%(refname)%00%(objectname)%00%(upstream)"
        out = self._run("for-each-ref", fmt, cached=True).stdout
        return [line.split("\0") for line in out.splitlines()]

    def set_upstream(self, branch: str, remote: str) -> None:
        self._run(
            "branch", "--quiet", f"--set-upstream-to=refs/remotes/{remote}/{branch}",
            "--", branch, mutating=True,
        )  # fmt: skip

    def remote_url(self, remote: str) -> str | None:
        result = self._run(
            "config", "--get", f"remote.{remote}.url", check=False, cached=True, reads_refs=False
        )
        return result.stdout.strip() or None

    def common_dir(self) -> Path:
        """The repository's git directory, shared by all its worktrees."""
        main = self.main_worktree()
        if main is not None and (main / ".git").is_dir():
            return main / ".git"  # no call needed: the usual layout
        out = self._run(
            "rev-parse", "--path-format=absolute", "--git-common-dir", cached=True, reads_refs=False
        )
        return Path(out.stdout.strip())

    def is_dirty(self, worktree: Path) -> bool:
        """Uncommitted changes or untracked files (ignored files do not count)."""
        out = self._run(
            "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=normal",
            cwd=worktree,
        )  # fmt: skip
        return bool(out.stdout)

    def dirty_worktrees(self, worktrees: Sequence[Path]) -> dict[Path, bool]:
        """`is_dirty` of many worktrees from one git process (`for-each-repo` runs
        `git status` in each, in order). The worktrees after one that fails are asked one
        by one, so that one's failure is reported as itself. Where no batch can run
        (`can_batch_from`), each worktree is asked alone."""
        if not can_batch_from(self.cwd):
            return {w: self.is_dirty(w) for w in worktrees}
        batch = self.runner.run(status_batch(worktrees), cwd=self.cwd, check=False)
        return self.dirty_from_batch(worktrees, batch)

    def dirty_from_batch(self, worktrees: Sequence[Path], batch: Completed) -> dict[Path, bool]:
        """What `batch` (`status_batch(worktrees)`, run here) says of each worktree; those
        it did not reach asked one by one."""
        dirty = dirty_in_batch(batch.stdout, worktrees)
        for worktree in worktrees:
            if worktree not in dirty:
                dirty[worktree] = self.is_dirty(worktree)
        return dirty

    def commit_graph(self, tips: Iterable[Sha], exclude: Iterable[Sha] = ()) -> CommitGraph:
        """Parents and subject of every commit reachable from `tips` but not `exclude`."""
        args = ["log", "--format=%H%x00%P%x00%s", *tips, "--not", *exclude, "--"]
        graph = CommitGraph()
        for line in self._run(*args).stdout.splitlines():
            sha, parents, subject = line.split("\0", 2)
            graph.parents[Sha(sha)] = [Sha(p) for p in parents.split()]
            graph.subjects[Sha(sha)] = subject
        return graph

    def diff_stat(self, old: Sha, new: Sha) -> tuple[int, int, int]:
        """Files changed, lines added and lines removed from `old` to `new`."""
        out = self._run("diff", "--shortstat", old, new).stdout
        counts = [re.search(rf"(\d+) {word}", out) for word in ("file", "insertion", "deletion")]
        files, added, removed = (int(m.group(1)) if m else 0 for m in counts)
        return files, added, removed

    def merge_base_all(self, commits: Sequence[Sha]) -> Sha | None:
        if len(set(commits)) < 2:
            return commits[0] if commits else None
        result = self._run("merge-base", "--octopus", *commits, check=False)
        return Sha(result.stdout.strip()) if result.stdout.strip() else None

    # writes

    def fetch(self, remote: str) -> None:
        # Fetching updates remote-tracking refs only: it reads the remote, and a
        # fetch that finds nothing new writes nothing, so it is not counted.
        self._run("fetch", "--quiet", "--prune", remote, changes_refs=True)

    def begin_fetch(self, remote: str) -> Callable[[], None]:
        """The fetch, begun now in a thread of its own, so that what loads meanwhile (the
        rest of a command) runs beside it; the call returned waits for it, and raises
        as `fetch` would."""
        import concurrent.futures
        import threading

        from git_prgroups.interrupt import result_of

        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def fetch() -> None:
            try:
                self.fetch(remote)
            except BaseException as error:  # handed to whoever waits for it
                done.set_exception(error)
            else:
                done.set_result(None)

        threading.Thread(target=fetch, name="fetch", daemon=True).start()
        return lambda: result_of(done)

    def worktree_register(self, path: Path, branch: BranchName) -> None:
        """`git worktree add --no-checkout` of an existing branch: the worktree's files
        come with `check_out`. Registrations run one at a time: each reads every other
        worktree's registration, and dies on one another is still writing."""
        self._run("worktree", "add", "--quiet", "--no-checkout", str(path), branch, mutating=True)

    def check_out(self, worktree: Path, commit: Sha, *, hook: bool | None = None) -> None:
        """What `git worktree add` does after registering: the files and index of HEAD,
        then the post-checkout hook, if there is one (`hook`, when the caller looked).
        Checkouts of different worktrees may run side by side."""
        self._run(
            "reset", "--quiet", "--hard", "--no-recurse-submodules", cwd=worktree, mutating=True
        )
        if hook if hook is not None else self.hook_exists("post-checkout"):
            self._run(
                "hook", "run", "--ignore-missing", "post-checkout", "--", NULL_SHA, commit, "1",
                cwd=worktree, mutating=True,
            )  # fmt: skip

    def hook_exists(self, name: str) -> bool:
        hooks = self._run(
            "rev-parse", "--path-format=absolute", "--git-path", "hooks", cached=True,
            reads_refs=False,
        ).stdout.strip()  # fmt: skip
        return os.access(Path(hooks) / name, os.X_OK)

    def push(self, remote: str, updates: Sequence[PushUpdate]) -> Completed:
        """Push every branch in one `git push`; leased ones may be rewritten, only if the
        remote still has the tip we last saw there."""
        leases = [f"--force-with-lease=refs/heads/{u.branch}:{u.lease}" for u in updates if u.lease]
        refspecs = [f"refs/heads/{u.branch}:refs/heads/{u.branch}" for u in updates]
        return self._run(
            "push",
            "--porcelain",
            "--set-upstream",
            *leases,
            remote,
            *refspecs,
            mutating=True,
            check=False,
        )

    def worktree_add_detached(self, path: Path, *, checkout: bool = True) -> None:
        files = [] if checkout else ["--no-checkout"]
        self._run("worktree", "add", "--quiet", "--detach", *files, str(path), mutating=True)

    def clean_checkout(self, commit: Sha) -> None:
        """This worktree at `commit`, with no file git does not track (ignored ones too):
        what a CI runner starts from."""
        self._run("checkout", "--quiet", "--force", "--detach", commit, mutating=True)
        self._run("clean", "-q", "-ffdx", mutating=True)

    def worktree_remove(self, path: Path, *, force: bool = False, check: bool = True) -> None:
        """Remove a worktree; without `force` git refuses one with changes or untracked files."""
        forced = ["--force"] if force else []
        self._run("worktree", "remove", *forced, str(path), mutating=True, check=check)

    def worktree_prune(self) -> None:
        self._run("worktree", "prune", mutating=True)

    def delete_branches(self, branches: Sequence[str]) -> None:
        if branches:
            self._run("branch", "--quiet", "-D", *branches, mutating=True)

    def delete_remote_branches(
        self, remote: str, leases: Mapping[BranchName, Sha]
    ) -> set[BranchName]:
        """Delete branches on the remote, each only while it still has the tip given;
        returns the ones deleted."""
        result = self._run(
            "push", "--porcelain",
            *(f"--force-with-lease=refs/heads/{b}:{sha}" for b, sha in leases.items()),
            remote, *(f":refs/heads/{b}" for b in leases),
            mutating=True, check=False,
        )  # fmt: skip
        return push_outcome(result.stdout).accepted

    def delete_refs(self, refs: Iterable[str]) -> None:
        """Delete several refs in one transaction."""
        lines = "".join(f"delete {ref}\n" for ref in refs)
        if lines:
            self._run("update-ref", "--stdin", stdin=lines, mutating=True)

    def commits_missing_from(self, tip: Sha, merged: Sha) -> list[str] | None:
        """`tip`'s commits that `merged` lacks ("abc1234 subject"), or None when `merged`
        is not in this repository, so nothing can be said."""
        result = self._run(
            "log", "--format=%h %s", tip, "--not", merged, "--", check=False, cached=True
        )
        return result.stdout.splitlines() if result.ok else None

    def commits_on_no_remote(self, tip: Sha) -> list[str] | None:
        """`tip`'s commits that no remote-tracking branch holds ("abc1234 subject")."""
        result = self._run(
            "log", "--format=%h %s", tip, "--not", "--remotes", "--", check=False, cached=True
        )
        return result.stdout.splitlines() if result.ok else None

    def changed_files(self, worktree: Path) -> list[str]:
        """`git status --short` lines: what removing the worktree would lose."""
        out = self._run("status", "--short", "--untracked-files=all", cwd=worktree).stdout
        return out.splitlines()

    def untracked_matching(self, patterns: Path) -> list[str]:
        """Untracked files of this worktree that the gitignore-style `patterns` name."""
        out = self._run(
            "ls-files", "--others", "--ignored", f"--exclude-from={patterns}", "-z"
        ).stdout
        return [path for path in out.split("\0") if path]

    def ignored(self, paths: Sequence[str]) -> list[str]:
        """Those of `paths` that git ignores here."""
        result = self._run(
            "check-ignore", "--stdin", "-z", stdin="\0".join(paths) + "\0", check=False
        )
        if result.returncode not in (0, 1):  # 1: none is ignored
            raise CommandFailed(result, self.cwd)
        return [path for path in result.stdout.split("\0") if path]

    def untracked_files(self, worktree: Path) -> list[str]:
        out = self._run("ls-files", "--others", "--exclude-standard", "-z", cwd=worktree).stdout
        return [path for path in out.split("\0") if path]

    def written_from(
        self, folder: Path, commit: Sha, paths: Sequence[str], *, whole: bool = False
    ) -> list[str]:
        """Those of `paths` (files under `folder`, a worktree of `commit`'s repository,
        perhaps without its `.git` any more) whose bytes are their content in `commit`:
        whole, or cut short (as a killed checkout leaves a file it was writing) unless
        `whole`."""
        if not paths:
            return []
        listing = self._run(
            "ls-tree", "-z", "-l", "--full-tree", commit, "--", *paths, env=LITERAL_PATHS
        ).stdout  # fmt: skip
        blobs: dict[str, Sha] = {}
        for line in filter(None, listing.split("\0")):
            meta, _, path = line.partition("\t")
            _mode, kind, sha, size = meta.split()
            written = folder / path
            if kind == "blob" and written.is_file() and written.stat().st_size <= int(size):
                blobs[path] = Sha(sha)
        if not blobs:
            return []
        contents = self._blobs(list(blobs.values()))
        found = []
        for path, sha in blobs.items():
            data = (folder / path).read_bytes()
            if data == contents[sha] or (not whole and contents[sha].startswith(data)):
                found.append(path)
        return found

    def _blobs(self, shas: Sequence[Sha]) -> dict[Sha, bytes]:
        """The contents of blobs, read in one `git cat-file --batch`."""
        out = self._run("cat-file", "--batch", stdin="\n".join(shas) + "\n").stdout
        data, at = out.encode("utf-8", "surrogateescape"), 0
        contents: dict[Sha, bytes] = {}
        while at < len(data):
            header_end = data.index(b"\n", at)
            sha, _kind, size = data[at:header_end].decode().split()
            start = header_end + 1
            contents[Sha(sha)] = data[start : start + int(size)]
            at = start + int(size) + 1
        return contents

    def checkout_detached(self, commit: Sha) -> None:
        self._run("checkout", "--quiet", "--detach", commit, mutating=True)

    def cherry_pick(self, commits: str, committer: tuple[str, str] | None = None) -> None:
        """`committer`: who the new commits name as committer, as a forge's rebase merge
        does; they are then new commits even where the branch was already on the base."""
        env = (
            {"GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1]}
            if (committer)
            else None
        )
        self._run("cherry-pick", "--allow-empty", commits, mutating=True, env=env)

    def messages(self, base: Sha, head: Sha) -> list[str]:
        """The whole messages of `head`'s commits that `base` lacks, oldest first."""
        out = self._run("log", "--reverse", "--format=%B%x00", head, "--not", base, "--").stdout
        return [message.strip("\n") for message in out.split("\0")[:-1]]

    def squash_commit(self, head: Sha, message: str) -> None:
        self._run("merge", "--squash", "--quiet", head, mutating=True)
        self._run("commit", "--quiet", "--allow-empty", f"--message={message}", mutating=True)

    def merge_as(self, commit: Sha, message: str, who: tuple[str, str]) -> bool:
        """Merge `commit` into this worktree's HEAD, the merge made by `who` (so no
        identity of the user's is needed); False when it stopped (a conflict)."""
        env = {"GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
               "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1]}  # fmt: skip
        result = self._run(
            "merge", "--quiet", "--no-edit", f"--message={message}", commit,
            mutating=True, check=False, env=env,
        )  # fmt: skip
        return result.ok

    def merge_commit(self, head: Sha, message: str) -> None:
        self._run("merge", "--no-ff", "--quiet", f"--message={message}", head, mutating=True)

    def abandon_operation(self) -> None:
        """Leave a failed cherry-pick or merge: back to HEAD, nothing in progress."""
        self._run("reset", "--quiet", "--hard", mutating=True)
        self._run("cherry-pick", "--abort", mutating=True, check=False)

    def rebase(self, worktree: Path, onto: Sha, *, upstream: Sha | None = None) -> bool:
        """Rebase the worktree's branch onto `onto` (only its commits above `upstream`,
        where given: `--onto`); False when it stopped (a conflict)."""
        moving = ("--onto", onto, upstream) if upstream is not None else (onto,)
        result = self._run(
            "rebase", "--quiet", "--no-autostash", *moving,
            cwd=worktree, mutating=True, check=False,
        )  # fmt: skip
        return result.ok

    def merge_into(self, worktree: Path, commit: Sha, message: str) -> bool:
        """Merge `commit` into the worktree's branch; False when it stopped (a conflict)."""
        result = self._run(
            "merge", "--quiet", "--no-edit", f"--message={message}", commit,
            cwd=worktree, mutating=True, check=False,
        )  # fmt: skip
        return result.ok

    def conflicted_files(self, worktree: Path) -> list[str]:
        out = self._run("diff", "--name-only", "--diff-filter=U", "-z", cwd=worktree).stdout
        return [name for name in out.split("\0") if name]

    def abort(self, worktree: Path, operation: str) -> bool:
        """`git rebase --abort` or `git merge --abort`: the branch, index and files back
        as they were before the operation began. False when git could not."""
        return self._run(operation, "--abort", cwd=worktree, mutating=True, check=False).ok

    def drop_rebase(self, worktree: Path) -> None:
        """Forget a rebase's state and put index and files back to HEAD."""
        self._run("rebase", "--quit", cwd=worktree, mutating=True, check=False)
        self._run("reset", "--quiet", "--hard", cwd=worktree, mutating=True)

    def same_tree(self, one: Sha, other: Sha) -> bool:
        """Whether two commits hold the same files."""
        out = self._run("rev-parse", f"{one}^{{tree}}", f"{other}^{{tree}}", cached=True).stdout
        trees = out.split()
        return len(trees) == 2 and trees[0] == trees[1]

    def head_of(self, worktree: Path) -> Sha:
        return Sha(self._run("rev-parse", "HEAD", cwd=worktree).stdout.strip())

    def clashes(self, one: Sha, other: Sha) -> list[str] | None:
        """Files that merging `one` and `other` would conflict on (a merge in memory: no
        worktree, index or ref is touched); None when git is older than 2.38."""
        result = self._run(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", one, other, check=False
        )
        if result.returncode not in (0, 1) or not result.stdout:
            return None
        return result.stdout.splitlines()[1:] if result.returncode == 1 else []

    def patches_missing_from(self, base: Sha, head: Sha) -> list[Sha]:
        """`head`'s commits whose change `base` lacks (`git cherry`: a commit applied
        by hand with another hash counts as present)."""
        out = self._run("cherry", base, head).stdout
        return [Sha(line[2:]) for line in out.splitlines() if line.startswith("+ ")]

    def fast_forward(self, worktree: Path, commit: Sha) -> None:
        self._run("merge", "--quiet", "--ff-only", commit, cwd=worktree, mutating=True)

    def toplevel(self) -> Path | None:
        result = self._run("rev-parse", "--show-toplevel", check=False)
        return Path(result.stdout.strip()) if result.ok else None

    def changed_paths(self, worktree: Path, *, staged: bool) -> list[str]:
        """Paths with staged (or unstaged) changes to tracked files."""
        cached = ["--cached"] if staged else []
        out = self._run("diff", *cached, "--name-only", "-z", cwd=worktree).stdout
        return [path for path in out.split("\0") if path]

    def stage(self, worktree: Path, paths: Sequence[str]) -> None:
        if paths:
            self._run("add", "--", *paths, cwd=worktree, mutating=True)

    def commit(
        self, worktree: Path, message: Path, *, all_files: bool, edit: bool, extra: Sequence[str]
    ) -> Completed:
        """`git commit` with the message in a file; hooks run (never --no-verify)."""
        return self._run(
            "commit", f"--file={message}", *(["--all"] if all_files else []),
            *(["--edit"] if edit else []), *extra,
            cwd=worktree, mutating=True, check=False, interactive=edit,
        )  # fmt: skip

    def subject(self, worktree: Path) -> str:
        """The subject of HEAD's commit."""
        return self._run("log", "-1", "--format=%s", cwd=worktree).stdout.strip()

    def head(self) -> Sha:
        return Sha(self._run("rev-parse", "HEAD").stdout.strip())

    def push_commit(self, remote: str, commit: Sha, branch: str) -> bool:
        """Fast-forward `branch` on the remote to `commit`; False when the remote refused."""
        result = self._run(
            "push",
            "--porcelain",
            remote,
            f"{commit}:refs/heads/{branch}",
            mutating=True,
            check=False,
        )
        return result.ok

    def update_refs(
        self, updates: Mapping[str, Sha], *, create: Mapping[str, Sha] | None = None
    ) -> None:
        """Set several refs in one transaction; those in `create` only if they do not
        exist yet (else nothing of it is done)."""
        lines = "".join(f"update {ref} {sha}\n" for ref, sha in updates.items())
        lines += "".join(f"create {ref} {sha}\n" for ref, sha in (create or {}).items())
        if lines:
            self._run("update-ref", "--stdin", stdin=lines, mutating=True)


def parse_worktrees(text: str) -> list[Worktree]:
    """Parse `git worktree list --porcelain -z`."""
    worktrees = []
    for values in worktree_records(text):
        branch = values.get("branch")
        head = values.get("HEAD")
        worktrees.append(
            Worktree(
                path=Path(values["worktree"]),
                head=Sha(head) if head else None,
                branch=BranchName(branch.removeprefix("refs/heads/")) if branch else None,
                bare="bare" in values,
                locked="locked" in values,
                prunable="prunable" in values,
            )
        )
    return worktrees


@dataclass(frozen=True)
class PushOutcome:
    accepted: set[BranchName]
    rejected: dict[BranchName, str]  # branch → the remote's words ("[rejected] (stale info)")


def push_outcome(porcelain: str) -> PushOutcome:
    """What `git push --porcelain` did to each branch (a deletion names the branch after
    the colon)."""
    accepted: set[BranchName] = set()
    rejected: dict[BranchName, str] = {}
    for line in porcelain.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        flag, refs, summary = parts[0], parts[1], parts[2]
        source, _, target = refs.partition(":")
        ref = target if flag == "-" or not source else source
        if not ref.startswith("refs/heads/"):
            continue
        branch = BranchName(ref.removeprefix("refs/heads/"))
        if flag == "!":
            rejected[branch] = summary
        else:
            accepted.add(branch)
    return PushOutcome(accepted, rejected)
