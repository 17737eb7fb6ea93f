"""Lists, one vocabulary (issue 16): `limit`/`offset`, `sort`, `q`, and the page's `total`.

Every list route takes a `Listing` (made by `app.deps.listing`, which also answers the RFC 8288
`Link` header), and every list service hands its statement to `page_of`, which applies the search
and the order and counts the total. A service names what may be sorted on (`Sorts`: a key ->
the columns, the last one the tie-break) and what `q` searches (`Search`: text columns); the
route documents exactly those, so a client never sends a value that is silently ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

Sorts = dict[str, Sequence[Any]]  # key -> the columns it orders by (ascending; `-key` reverses all)
Search = Sequence[Any]  # text columns `q` looks in


@dataclass(frozen=True)
class Listing:
    """What a client asked of a list: one page, in an order, optionally searched."""

    limit: int = 100
    offset: int = 0
    sort: str | None = None  # a key of the service's Sorts, `-` first for descending; None: its default
    q: str | None = None


def sort_pattern(sorts: Sorts) -> str:
    """The regular expression `sort` must match (`key` or `-key`)."""
    return "^-?(" + "|".join(sorted(sorts)) + ")$"


def ordered(statement, listing: Listing, sorts: Sorts):
    """The statement in the order the listing asks (`sort`), or its own when none is asked: for lists whose
    page is read by the service itself (an inbox with counts, a log with its attempts)."""
    return _ordered(statement, sorts, listing.sort) if listing.sort else statement


def _ordered(statement, sorts: Sorts, sort: str):
    descending = sort.startswith("-")
    columns = sorts[sort.lstrip("-")]
    return statement.order_by(None).order_by(*(column.desc() if descending else column for column in columns))


def _searched(statement, search: Search, q: str):
    """Case-insensitive substring match on any of the columns. PostgreSQL's lower() folds every
    letter; SQLite's only ASCII ones (Đ and đ differ there): docs/ARCHITECTURE.md."""
    needle = q.lower()
    return statement.where(or_(*(func.lower(column).contains(needle, autoescape=True) for column in search)))


def page_of(session: Session, statement, listing: Listing, *, sorts: Sorts | None = None, search: Search = ()) -> dict[str, Any]:
    """One page of the statement (its own order unless `listing.sort`), and the total it has."""
    if listing.q and search:
        statement = _searched(statement, search, listing.q)
    if listing.sort and sorts:
        statement = _ordered(statement, sorts, listing.sort)
    total = session.exec(select(func.count()).select_from(statement.order_by(None).subquery())).one()
    items = session.exec(statement.limit(listing.limit).offset(listing.offset)).all()
    return {"items": items, "total": total, "limit": listing.limit, "offset": listing.offset}
