"""The one executor: carries out the actions every command plans, and says what happened.

Each action runs through the git and forge verbs. Before a risky step (a worktree
made or removed, a rebase or merge) its undo record is written, so a run killed in
the middle is finished or undone by the next (recovery.py); before a destructive one
what it would destroy is looked at again. What the plan batched runs side by side,
told in plan order. Its rooms: `core` (dispatch), `git_steps`, `local_steps` (worktrees
made and set up, exec's commands), `forge_steps` (every forge write, and the dry run).
"""

from git_prgroups.execute.core import execute
from git_prgroups.execute.run import FORGE_JOBS, Done, Execution, cores

__all__ = ["FORGE_JOBS", "Done", "Execution", "cores", "execute"]
