"""Who reports for a plan: the organisation tree under it and the units expected to report.

Reads the plan organisation's subtree (one recursive query) when a status is computed, and turns it into the engine's `Units` for the plan, a target, or
one unit's own view (the roll-up by organisation uses the same rules from that unit down).

Expected units, most specific first: the target's `reporting_unit_ids`, the plan's, or by
default the root organisation's direct children marked `is_reporting_unit` (if it has none,
the root itself).

The stored status answers do not read the tree to know whether it changed: they fingerprint the tree's
version (app/organizations/models.py OrganizationTreeVersion), which triggers move on every change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlmodel import Session

from app.engine import Units
from app.organizations.service import subtree_rows
from app.targets.spec import json_value


@dataclass(frozen=True)
class Tree:
    """The organisations under (and including) a root."""

    root: int
    parent: dict[int, int | None]
    labels: dict[int, str]
    reporting: frozenset[int]  # marked is_reporting_unit

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
    return Tree(root=root, parent=parent, labels=labels, reporting=reporting)


def expected_for(plan, target) -> list[int] | None:
    """The explicit list that applies to a target: its own, else its plan's (None: the default)."""
    return json_value(getattr(target, "reporting_unit_ids", None)) or plan.reporting_unit_ids or None
