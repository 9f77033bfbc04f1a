"""Branch names git accepts, checked without a subprocess.

The rules are those of `git check-ref-format --branch`; tests compare this
function with the real command on many names.
"""

from __future__ import annotations

_FORBIDDEN_CHARS = frozenset(" ~^:?*[\\\x7f")


def branch_name_problem(name: str) -> str | None:
    """Why git would refuse `name` as a branch, or None when it is fine."""
    if not name:
        return "is empty"
    if name.startswith("-"):
        return "starts with '-'"
    if name == "@":
        return "is '@'"
    if name == "HEAD":
        return "is 'HEAD'"
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARS or ord(c) < 0x20})
    if bad:
        return "contains " + ", ".join(repr(c) for c in bad)
    if "@{" in name:
        return "contains '@{'"
    if ".." in name:
        return "contains '..'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "has an empty path component"
    if name.endswith("."):
        return "ends with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return f"has a component starting with '.' ({component!r})"
        if component.endswith(".lock"):
            return f"has a component ending with '.lock' ({component!r})"
    return None
