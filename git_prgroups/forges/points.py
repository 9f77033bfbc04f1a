"""GitHub's GraphQL points: what the reads cost, and how long polling pauses to keep
within the hour's budget (docs.github.com, "Rate limits and query limits for the
GraphQL API": 5,000 points an hour for a user's token; a query's cost is in its answer
when it asks for `rateLimit { cost remaining resetAt }`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, timezone

POINTS_PER_HOUR = 5000
# What polling may spend of them: the rest is for the user's other tools and for the
# writes the polling leads to.
POLL_SHARE = 0.5


class Points:
    """The points the reads have cost, and what GitHub said was left."""

    def __init__(self) -> None:
        self.spent = 0
        self.left: int | None = None
        self.reset_at: datetime | None = None
        self._told = 0  # spent at the last pause
        self._lock = threading.Lock()

    def spend(self, rate_limit: Mapping[str, object] | None) -> None:
        """Count a query's cost from its answer's `rateLimit`."""
        if not rate_limit:
            return
        with self._lock:
            self.spent += int(str(rate_limit.get("cost") or 0))
            left = rate_limit.get("remaining")
            self.left = int(str(left)) if left is not None else None
            reset = str(rate_limit.get("resetAt") or "")
            self.reset_at = datetime.fromisoformat(reset.replace("Z", "+00:00")) if reset else None

    def pause(self, second: float = 1.0, now: datetime | None = None) -> float:
        """Real seconds before the next poll: the points spent since the last pause,
        paid back at POLL_SHARE of the hourly rate (`second`: real seconds to GitHub's);
        until the hour's reset when fewer are left than two more such polls."""
        with self._lock:
            spent, self._told = self.spent - self._told, self.spent
            pause = spent * 3600 / (POINTS_PER_HOUR * POLL_SHARE) * second
            if self.left is not None and self.reset_at is not None and self.left < 2 * spent:
                until = self.reset_at - (now or datetime.now(timezone.utc))
                pause = max(pause, until.total_seconds())
            return pause
