"""Versions of a figure (app.submissions.versions): which version counts, as known when. Pure, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.submissions.versions import chain, in_force, last_known

T0 = datetime(2019, 7, 1, tzinfo=UTC)


@dataclass
class Row:
    id: int
    recorded_at: datetime
    supersedes_id: int | None = None
    kind: str = "original"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


# 1 (original, h0) -> 2 (correction, h10) -> 3 (correction, h20) -> 4 (retraction, h30); 5 alone (h5)
ROWS = [
    Row(3, at(20), 2, "correction"),
    Row(5, at(5)),
    Row(1, at(0)),
    Row(4, at(30), 3, "retraction"),
    Row(2, at(10), 1, "correction"),
]


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_chain_orders_versions_from_the_original():
    assert ids(chain([r for r in ROWS if r.id != 5])) == [1, 2, 3, 4]
    assert ids(chain([Row(9, at(0))])) == [9]
    assert chain([]) == []


@pytest.mark.parametrize(
    ("known_at", "expected"),
    [
        (None, [5]),  # now: the long chain is retracted, the lone figure counts
        (at(-1), []),  # nothing recorded yet
        (at(0), [1]),  # inclusive: recorded exactly then counts
        (at(4), [1]),
        (at(5), [5, 1]),
        (at(10), [5, 2]),  # the first correction replaces the original from when it was recorded
        (at(19.9), [5, 2]),
        (at(20), [5, 3]),
        (at(29), [5, 3]),
        (at(30), [5]),  # the retraction removes the figure from then on
    ],
)
def test_in_force_as_known_at(known_at, expected):
    assert set(ids(in_force(ROWS, known_at))) == set(expected)


def test_in_force_keeps_input_order_and_counts_each_chain_once():
    rows = [Row(1, at(0)), Row(2, at(1)), Row(3, at(2), 1, "correction"), Row(4, at(3), 3, "correction")]
    assert ids(in_force(rows)) == [2, 4]
    assert ids(in_force(reversed(rows))) == [4, 2]


def test_a_version_is_not_known_before_the_one_it_supersedes():
    # Clocks of two servers disagree: the correction claims to precede its original.
    rows = [Row(1, at(10)), Row(2, at(5), 1, "correction")]
    assert ids(in_force(rows, at(7))) == []  # the original was not known yet, so neither was its correction
    assert ids(in_force(rows, at(10))) == [2]
    assert last_known(chain(rows), at(7)) is None


def test_naive_times_are_utc():
    rows = [Row(1, datetime(2019, 7, 1, 0, 0)), Row(2, datetime(2019, 7, 1, 2, 0), 1, "correction")]
    assert ids(in_force(rows, at(1))) == [1]
    assert ids(in_force(rows, datetime(2019, 7, 1, 9, 0, tzinfo=UTC) - timedelta(hours=7))) == [2]


def test_last_known_walks_one_chain():
    versions = chain(ROWS[:1] + ROWS[2:])
    assert last_known(versions).id == 4
    assert last_known(versions, at(15)).id == 2
    assert last_known(versions, at(-1)) is None


def test_a_cycle_in_bad_data_does_not_loop():
    # The database cannot hold one (a row supersedes an earlier id), but the helper must not hang.
    loop = [Row(1, at(0), 2, "correction"), Row(2, at(1), 1, "correction")]
    assert chain(loop) == [] and in_force(loop) == []
    tail = [Row(1, at(0)), Row(2, at(1), 1, "correction"), Row(3, at(2), 2, "correction")]
    tail.append(Row(1, at(3), 3, "correction"))  # a stray row claiming id 1 again
    assert ids(chain(tail)) == [1, 2, 3]
