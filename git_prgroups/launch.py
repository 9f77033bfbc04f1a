"""Starting a git or gh process: its environment, where its program is, the process.

The standard library only, so that the read-ahead (readahead.py) can start the
worktrees' statuses before the rest of prgroups is imported. Everything else goes
through the runner (proc.py), which starts its processes here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess

TYPE_CHECKING = False  # typing costs 6 ms to import: for the type checker only
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import IO

# Inherited GIT_* variables that describe the user's setup rather than one repository.
_KEPT_GIT_VARIABLES = (
    "GIT_ASKPASS",
    "GIT_AUTHOR_DATE",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_NAME",
    "GIT_COMMITTER_DATE",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_EDITOR",
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSL_CAINFO",
    "GIT_SEQUENCE_EDITOR",
    "GIT_SSL_NO_VERIFY",
    "GIT_TRACE",
)
_CHILD_DEFAULTS = {
    "GIT_TERMINAL_PROMPT": "0",
    "GH_PROMPT_DISABLED": "1",
    "GH_NO_UPDATE_NOTIFIER": "1",
    "GH_NO_EXTENSION_UPDATE_NOTIFIER": "1",
    "GH_TELEMETRY": "false",
    "GH_PAGER": "cat",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "NO_COLOR": "1",
    "LANGUAGE": "C",  # git and gh messages in English, which error handling reads
}

PIPE = subprocess.PIPE


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or key in _KEPT_GIT_VARIABLES
    }
    env.update(_CHILD_DEFAULTS)
    if extra:
        env.update(extra)
    return env


def find_program(
    name: str, cwd: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> str | None:
    """Where `name` is: on PATH, or (`./run-tests.sh`, `bin/lint`) in the folder the
    command runs in, as a shell would take it."""
    if os.sep in name:
        path = os.path.join(cwd, name) if cwd is not None else name
        return path if os.access(path, os.X_OK) and os.path.isfile(path) else None
    return shutil.which(name, path=env.get("PATH"))


def start(
    argv: Sequence[str],
    cwd: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None = None,
    *,
    stdin: int | IO[bytes] | None = PIPE,
    stdout: int | IO[bytes] | None = PIPE,
    stderr: int | IO[bytes] | None = PIPE,
    own_session: bool = False,
) -> subprocess.Popen[bytes] | None:
    """`argv` started in `cwd` with the cleaned environment (plus `env`), or None when
    its program is nowhere to be found."""
    child_env = child_environment(env)
    program = find_program(argv[0], cwd, child_env)
    if program is None:
        return None
    return subprocess.Popen(  # an argv list: never a shell
        [program, *argv[1:]],
        cwd=os.fspath(cwd) if cwd is not None else None,
        env=child_env,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=own_session,
    )
