"""The hidden marker at the end of the PR bodies prgroups writes.

It holds a hash of the title and body as written, so a PR a person edited by hand
can be told from one whose template changed since.
"""

from __future__ import annotations

import hashlib
import re

_MARKER = re.compile(r"\n*<!-- prgroups: (?P<digest>[0-9a-f]{12}) -->\s*\Z")


def _digest(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\0{body.rstrip()}".encode()).hexdigest()[:12]


def with_marker(title: str, body: str) -> str:
    return f"{body.rstrip()}\n\n<!-- prgroups: {_digest(title, body)} -->\n"


def body_edited_by_hand(title: str, body: str) -> bool:
    """True when the title and body are not exactly what prgroups last wrote."""
    match = _MARKER.search(body)
    if not match:
        return True
    return _digest(title, body[: match.start()]) != match["digest"]
