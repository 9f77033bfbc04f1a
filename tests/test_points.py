"""What polling GitHub may spend: the pause that pays a round's points back at the
polling share of the hour's budget, and the wait for the hour's end when few are left."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from git_prgroups.forges.points import POINTS_PER_HOUR, POLL_SHARE, Points

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def answered(points: Points, cost: int, left: int, reset_in: float = 1800) -> None:
    reset = (NOW + timedelta(seconds=reset_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
    points.spend({"cost": cost, "remaining": left, "resetAt": reset})


def test_the_pause_pays_back_what_the_reads_since_the_last_pause_cost() -> None:
    points = Points()
    for _ in range(4):
        answered(points, 5, 4000)

    assert points.pause(now=NOW) == pytest.approx(20 * 3600 / (POINTS_PER_HOUR * POLL_SHARE))
    assert points.pause(now=NOW) == 0  # nothing read since
    answered(points, 5, 3995)
    assert points.pause(second=0.5, now=NOW) == pytest.approx(5 * 3600 / 2500 * 0.5)


def test_with_fewer_points_left_than_two_more_rounds_it_waits_for_the_hour_to_end() -> None:
    points = Points()
    answered(points, 20, 39, reset_in=900)

    assert points.pause(now=NOW) == pytest.approx(900)


def test_an_answer_without_rate_limit_costs_nothing() -> None:
    points = Points()
    points.spend(None)
    assert (points.spent, points.pause(now=NOW)) == (0, 0)
