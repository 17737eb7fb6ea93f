"""Who reports for a plan: the organisation tree under it and the units expected to report.

Reads the plan organisation's subtree once per request (one recursive query plus one read of
the organisations' columns) and turns it into the engine's `Units` for the plan, a target, or
one unit's own view (the roll-up by organisation uses the same rules from that unit down).

Expected units, most specific first: the target's `reporting_unit_ids`, the plan's, or by
default the root organisation's direct children marked `is_reporting_unit` (if it has none,
the root itself).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.common.models import table_of
from app.engine import Units
from app.organizations.models import Organization
from app.organizations.service import subtree

_O = table_of(Organization)
_ORGS = select(_O.c.id, _O.c.parent_id, _O.c.code, _O.c.is_reporting_unit).where(_O.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Tree:
    """The organisations under (and including) a root."""

    root: int
    parent: dict[int, int | None]
    labels: dict[int, str]
    reporting: frozenset[int]  # marked is_reporting_unit
    key: str  # a digest of all of the above: part of the stored evaluations' fingerprint

    def children(self, org: int) -> list[int]:
        return sorted((o for o, p in self.parent.items() if p == org and o != org), key=lambda o: self.labels.get(o, ""))

    def default_expected(self, org: int) -> tuple[int, ...]:
        """The organisation's direct children marked as reporting units; the organisation itself when it has none."""
        marked = tuple(c for c in self.children(org) if c in self.reporting)
        return marked or (org,)

    def units(self, root: int, expected: list[int] | None = None) -> Units:
        """The engine's view for `root` (the plan's organisation, or a unit for its own view)."""
        chosen = tuple(expected) if expected else self.default_expected(root)
        return Units(root=root, parent=self.parent, expected=chosen, labels=self.labels)


def load_tree(session: Session, root: int) -> Tree:
    ids = sorted(subtree(session, root))
    rows = session.execute(_ORGS, {"ids": ids}).all() if ids else []
    parent = {r.id: (r.parent_id if r.id != root else None) for r in rows}
    labels = {r.id: r.code for r in rows}
    reporting = frozenset(r.id for r in rows if r.is_reporting_unit)
    digest = hashlib.blake2b(
        repr(sorted((r.id, r.parent_id, r.code, bool(r.is_reporting_unit)) for r in rows)).encode(), digest_size=12
    ).hexdigest()
    return Tree(root=root, parent=parent, labels=labels, reporting=reporting, key=digest)


def expected_for(plan, target) -> list[int] | None:
    """The explicit list that applies to a target: its own, else its plan's (None: the default)."""
    return getattr(target, "reporting_unit_ids", None) or plan.reporting_unit_ids or None
