"""Who reports for a plan: the organisation tree under it and the units expected to report.

Reads the plan organisation's subtree once per request (one recursive query plus one read of
the organisations' columns) and turns it into the engine's `Units` for the plan, a target, or
one unit's own view (the roll-up by organisation uses the same rules from that unit down).

Expected units, most specific first: the target's `reporting_unit_ids`, the plan's, or by
default the root organisation's direct children marked `is_reporting_unit` (if it has none,
the root itself).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session

from app.engine import Units
from app.organizations.service import subtree_rows


@dataclass(frozen=True)
class Tree:
    """The organisations under (and including) a root."""

    root: int
    parent: dict[int, int | None]
    labels: dict[int, str]
    reporting: frozenset[int]  # marked is_reporting_unit
    _root_parent: int | None = None  # the root's own parent (in the digest, as it always was)
    names: dict[int, str] = field(default_factory=dict, compare=False)  # not in `key`: the views that show names hash them

    @functools.cached_property
    def key(self) -> str:
        """A digest of all of the above: part of the stored evaluations' fingerprint (only the plan views need it)."""
        rows = sorted(
            (o, p if o != self.root else self._root_parent, self.labels[o], o in self.reporting) for o, p in self.parent.items()
        )
        return hashlib.blake2b(repr(rows).encode(), digest_size=12).hexdigest()

    @functools.cached_property
    def _kids(self) -> dict[int, list[int]]:
        """org -> the organisations right under it, built once (children() ran over the whole tree per call:
        the roll-up by organisation asks it for every organisation that reported)."""
        kids: dict[int, list[int]] = {}
        for o, p in self.parent.items():
            if p is not None and o != p:
                kids.setdefault(p, []).append(o)
        return kids

    def children(self, org: int) -> list[int]:
        return sorted(self._kids.get(org, ()), key=lambda o: self.labels.get(o, ""))

    def default_expected(self, org: int) -> tuple[int, ...]:
        """The organisation's direct children marked as reporting units; the organisation itself when it has none."""
        marked = tuple(c for c in self.children(org) if c in self.reporting)
        return marked or (org,)

    def units(self, root: int, expected: list[int] | None = None) -> Units:
        """The engine's view for `root` (the plan's organisation, or a unit for its own view)."""
        chosen = tuple(expected) if expected else self.default_expected(root)
        return Units(root=root, parent=self.parent, expected=chosen, labels=self.labels)


def load_tree(session: Session, root: int) -> Tree:
    """One recursive query for the subtree and its columns (it was the ids, then their columns)."""
    rows = subtree_rows(session, root)
    parent = {r.id: (r.parent_id if r.id != root else None) for r in rows}
    labels = {r.id: r.code for r in rows}
    reporting = frozenset(r.id for r in rows if r.is_reporting_unit)
    root_parent = next((r.parent_id for r in rows if r.id == root), None)
    names = {r.id: r.name for r in rows}
    return Tree(root=root, parent=parent, labels=labels, reporting=reporting, _root_parent=root_parent, names=names)


def expected_for(plan, target) -> list[int] | None:
    """The explicit list that applies to a target: its own, else its plan's (None: the default)."""
    return getattr(target, "reporting_unit_ids", None) or plan.reporting_unit_ids or None
