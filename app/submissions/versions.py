"""PURE: versions of a figure (original → corrections → retraction) and which one counts.

A figure is never changed in place. A correction or a retraction is a new row
that supersedes exactly one earlier version (`supersedes_id`, unique: a chain
never forks) and names the chain's original (`root_id`). The version that
counts is the last one of its chain; a chain whose last version is a
retraction has no figure at all.

"Last" depends on what was known: as known at `known_at`, a chain ends at the
last version recorded by then, so a correction recorded after a review does not
change what that review saw, and a retraction removes the figure only from the
moment it was recorded.

Stdlib only: rows are anything with `id`, `supersedes_id`, `kind` and
`recorded_at` (the stored `Submission` rows, in practice).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TypeVar


class Kind(StrEnum):
    """What a stored row is: a first figure, a new version of one, or its withdrawal."""

    ORIGINAL = "original"
    CORRECTION = "correction"
    RETRACTION = "retraction"


class Review(StrEnum):
    """Where a figure stands in a plan's approval workflow (issue 14).

    A version is recorded `approved` or `submitted`; a submitted one is then approved or
    returned once (a `submission_review` row). A returned figure comes back as a correction,
    a new version, `submitted` again.
    """

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class Version(Protocol):
    id: int | None
    supersedes_id: int | None
    kind: str
    recorded_at: datetime


V = TypeVar("V", bound=Version)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored one is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _known(row: Version, known_at: datetime | None) -> bool:
    return known_at is None or _aware(row.recorded_at) <= _aware(known_at)


def _successors(rows: Iterable[V]) -> dict[int | None, V]:
    # Keyed by int | None: looked up by a row's id, which the Version protocol leaves optional (None: no successor).
    return {row.supersedes_id: row for row in rows if row.supersedes_id is not None}


def chain(rows: Iterable[V]) -> list[V]:
    """The versions of ONE chain in order, original first (rows in any order; strays are left out)."""
    rows = list(rows)
    after = _successors(rows)
    starts = [row for row in rows if row.supersedes_id is None]
    if not starts:
        return []
    out, seen = [starts[0]], {starts[0].id}
    while (nxt := after.get(out[-1].id)) is not None and nxt.id not in seen:
        out.append(nxt)
        seen.add(nxt.id)
    return out


def last_known(versions: list[V], known_at: datetime | None = None) -> V | None:
    """The last version of an ordered chain recorded by `known_at` (None: the original was not known yet).

    A version cannot be known before the one it supersedes, so the walk stops at the
    first version recorded after `known_at`.
    """
    current = None
    for row in versions:
        if not _known(row, known_at):
            break
        current = row
    return current


def in_force(rows: Iterable[V], known_at: datetime | None = None) -> list[V]:
    """The version that counts of every chain among `rows`, as known at `known_at` (None: now).

    `rows` must hold whole chains (any number of them, in any order). Chains whose
    original was recorded after `known_at` are left out, and so are chains whose
    counting version is a retraction. The result keeps the order of `rows`.
    """
    rows = list(rows)
    after = _successors(rows)
    keep: set[int] = set()
    for start in rows:
        if start.supersedes_id is not None or not _known(start, known_at):
            continue
        current, seen = start, {start.id}
        while (nxt := after.get(current.id)) is not None and nxt.id not in seen and _known(nxt, known_at):
            current = nxt
            seen.add(nxt.id)
        if current.kind != Kind.RETRACTION:
            keep.add(id(current))
    return [row for row in rows if id(row) in keep]
