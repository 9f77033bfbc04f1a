"""`git prgroups commit`: commit in an entry's worktree with its rendered message.

Hooks always run. When a pre-commit hook rewrote files and failed (a formatter
that fixes and then says so), what it rewrote is staged and the commit is tried
once more, as a person would.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path

from git_prgroups.errors import PrgroupsError, UsageError
from git_prgroups.events import Event, Events
from git_prgroups.git import Git
from git_prgroups.proc import Completed
from git_prgroups.render import Renderer
from git_prgroups.spec import Entry, Spec


def entry_here(spec: Spec, git: Git) -> Entry:
    """The entry whose worktree the current directory is in."""
    top = git.toplevel()
    for entry in spec.entries:
        if top is not None and entry.worktree.resolve() == top.resolve():
            return entry
    where = f"{top}" if top else "here"
    raise UsageError(
        f"{where} is not the worktree of an entry of {spec.path.name}: run commit in one "
        "(git prgroups status lists them)"
    )


def run_commit(
    spec: Spec,
    git: Git,
    events: Events,
    *,
    all_files: bool = False,
    edit: bool = False,
    extra: Sequence[str] = (),
) -> None:
    entry = entry_here(spec, git)
    worktree = entry.worktree
    message = Renderer(spec, spec.graph()).commit_message(entry.name)
    staged = set(git.changed_paths(worktree, staged=True))
    unstaged = git.changed_paths(worktree, staged=False)
    if (
        not staged
        and not (all_files and unstaged)
        and not {"--amend", "--allow-empty"} & set(extra)
    ):
        raise PrgroupsError(_nothing_staged(git, worktree, unstaged))
    with tempfile.TemporaryDirectory(prefix="prgroups-") as folder:
        message_file = Path(folder) / "COMMIT_MSG"
        message_file.write_text(message, encoding="utf-8")
        before = _fingerprint(worktree, unstaged + sorted(staged))
        done = git.commit(worktree, message_file, all_files=all_files, edit=edit, extra=extra)
        if not done.ok:
            rewritten = _rewritten_by_hook(git, worktree, staged, before, all_files=all_files)
            if not rewritten:
                raise _failed(done, worktree)
            partly = sorted(set(rewritten) & set(unstaged)) if not all_files else []
            if partly:  # staging them now would add changes the user kept out on purpose
                raise PrgroupsError(
                    f"the hooks rewrote {', '.join(partly)}, which also had changes you had "
                    "not staged: look at them, stage what belongs, and commit again"
                )
            text = f"the hooks rewrote {', '.join(rewritten)}: staged, committing once more"
            events.add(Event("restaged", text, entry.name))
            git.stage(worktree, [] if all_files else rewritten)
            done = git.commit(worktree, message_file, all_files=all_files, edit=edit, extra=extra)
            if not done.ok:
                raise _failed(done, worktree)
    # the subject as committed: --edit may have changed it
    events.add(Event("committed", git.subject(worktree), entry.name))


def _nothing_staged(git: Git, worktree: Path, unstaged: list[str]) -> str:
    if unstaged:
        return (
            f"nothing staged in {worktree}: use -a to commit the changed tracked files, or "
            "git add what belongs, then commit again"
        )
    if git.untracked_files(worktree):
        return f"nothing staged in {worktree}: git add the new files, then commit again"
    return f"nothing to commit in {worktree}: change something, then commit again"


def _failed(done: Completed, worktree: Path) -> PrgroupsError:
    """git commit's refusal in plain words: what git or the hook said, not the command
    with prgroups' temporary message file."""
    said = [line for line in (done.stdout + done.stderr).strip().splitlines() if line.strip()]
    if not said:
        return PrgroupsError(f"git commit failed in {worktree} (exit {done.returncode})")
    shown = "\n".join(f"  {line}" for line in said[-15:])
    return PrgroupsError(f"the commit in {worktree} was refused (a hook, or git):\n{shown}")


def _rewritten_by_hook(
    git: Git, worktree: Path, staged: set[str], before: dict[str, str], *, all_files: bool
) -> list[str]:
    """Files meant for the commit whose content the failed attempt changed."""
    meant = set(git.changed_paths(worktree, staged=False)) if all_files else staged
    after = _fingerprint(worktree, sorted(meant))
    return sorted(path for path in meant if after.get(path) != before.get(path))


def _fingerprint(worktree: Path, paths: Sequence[str]) -> dict[str, str]:
    prints = {}
    for path in paths:
        try:
            prints[path] = hashlib.sha256((worktree / path).read_bytes()).hexdigest()
        except OSError:
            prints[path] = "missing"
    return prints
