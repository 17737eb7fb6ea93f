"""The rules a figure must follow against its target and the figures already stored.

Two parts, so that the API and the import share them:
- `shape_problems` (pure): what the target's rules allow a single figure to be;
- `check_against_stored` (reads the figures in force): one unit, one figure per date and
  estimate flag (409 naming it); values and ratios never mix on one target; increments of one
  unit never overlap. The import applies the same rules over the whole file at once
  (`app/exchange/importer/figures.py`), where a figure for a key already in force is a correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, func, literal, null, select, union_all, update
from sqlmodel import Session

from app.common.models import stored_id, table_of
from app.common.prepared import Prepared
from app.common.types import MAX_FIGURE
from app.engine import AcrossUnits, Aggregation, Comparison
from app.errors import Conflict, FieldError, InvalidInput
from app.submissions.models import Submission
from app.targets.models import Target

_S = table_of(Submission)
_T = table_of(Target)
# The vocabulary's values as plain strings: an enum member's `.value` is a property call, and an import
# asks these for every row.
_MILESTONE = Comparison.MILESTONE.value
_SUM_ACROSS, _POOLED_RATIO = AcrossUnits.SUM.value, AcrossUnits.POOLED_RATIO.value
_SUM_OVER_TIME = Aggregation.SUM.value


def shape_problems(target: Target, plan, body) -> dict[str, str]:
    """What is wrong with one figure's shape for this target, by field (empty: nothing)."""
    problems: dict[str, str] = {}
    if target.comparison == _MILESTONE:
        return problems
    ratio = body.numerator is not None and body.denominator is not None
    across = target.across_units
    if ratio:
        if target.is_percentage and not target.may_exceed_whole and body.numerator > body.denominator:
            problems["numerator"] = (
                f"a share cannot exceed its whole: numerator {body.numerator:g} > denominator {body.denominator:g} "
                "(a target that may exceed 100 % says so with may_exceed_whole)"
            )
        elif body.denominator > 0 and body.numerator / body.denominator * (100.0 if target.is_percentage else 1.0) > MAX_FIGURE:
            problems["denominator"] = f"the ratio's value would exceed {MAX_FIGURE:g}: the denominator is too small"
        if across == _SUM_ACROSS:
            problems["numerator"] = "this target adds the units' figures (across_units: sum): report a value, not a ratio"
    elif body.value is not None and across == _POOLED_RATIO:
        problems["value"] = "this target pools shares across units (across_units: pooled_ratio): report numerator and denominator"
    if body.period_start is not None:
        if target.aggregation != _SUM_OVER_TIME:
            problems["period_start"] = "period_start is for increments: only targets with aggregation 'sum' take it"
        elif body.period_start < plan.start_date:
            problems["period_start"] = f"must not come before the plan's start, {plan.start_date.isoformat()}"
    return problems


# The figures in force of one target: each chain's current version, retractions left out.
_later = _S.alias("later")
_IN_FORCE = (~select(_later.c.id).where(_later.c.supersedes_id == _S.c.id).exists()) & (_S.c.kind != "retraction")
_OTHER_SHAPE_VALUE = (
    select(_S.c.id)
    .where(
        _S.c.target_id == bindparam("target_id"),
        _IN_FORCE,
        _S.c.value.is_not(None),
        (_S.c.root_id.is_(None) & (_S.c.id != bindparam("chain"))) | (_S.c.root_id != bindparam("chain")),
    )
    .limit(1)
)
_OTHER_SHAPE_RATIO = (
    select(_S.c.id)
    .where(
        _S.c.target_id == bindparam("target_id"),
        _IN_FORCE,
        _S.c.numerator.is_not(None),
        (_S.c.root_id.is_(None) & (_S.c.id != bindparam("chain"))) | (_S.c.root_id != bindparam("chain")),
    )
    .limit(1)
)
_SAME_UNIT = select(_S.c.id, _S.c.root_id, _S.c.period_date, _S.c.period_start, _S.c.is_estimate).where(
    _S.c.target_id == bindparam("target_id"),
    _S.c.organization_id == bindparam("organization_id"),
    _IN_FORCE,
)
# check_against_stored reads both in one round trip (issue 17): the unit's figures in force that the new
# figure could clash with, then (a row whose `other_shape` is true) a figure of the other shape, if any.
# Only the figures `check_rows` may refuse it for come back: those with its estimate flag whose period
# (period_start, or the day itself, to period_date) meets the new figure's (the same, from its parameters), which
# takes in a figure for the same day (409) and every increment it may overlap (422). All of the unit's figures
# came back before, each with its in-force test: a unit reporting daily made each POST dearer by the year.
# The parameters are named as the figure's own columns: POST's statement shares them with the figure's INSERT
# (tests/test_prepared.py: that statement must stay within psycopg's parse cache, at most 50 parameters).
_UNIT_ROWS = select(
    _S.c.id, _S.c.root_id, _S.c.period_date, _S.c.period_start, _S.c.is_estimate, literal(False).label("other_shape")
).where(
    _S.c.target_id == bindparam("target_id"),
    _S.c.organization_id == bindparam("organization_id"),
    _S.c.is_estimate == bindparam("is_estimate", type_=Boolean),
    _S.c.period_date >= func.coalesce(bindparam("period_start", type_=Date), bindparam("period_date", type_=Date)),
    func.coalesce(_S.c.period_start, _S.c.period_date) <= bindparam("period_date", type_=Date),
    _IN_FORCE,
)


def _with_other_shape(other_shape):
    found = other_shape.subquery("other")
    return union_all(_UNIT_ROWS, select(found.c.id, null(), null(), null(), null(), literal(True)))


_AGAINST_STORED = {
    "value": Prepared(_with_other_shape(_OTHER_SHAPE_RATIO)),  # a value may not join ratios
    "ratio": Prepared(_with_other_shape(_OTHER_SHAPE_VALUE)),  # a ratio may not join values
    "milestone": Prepared(_UNIT_ROWS),  # done/not done: no shapes to mix
}
_LOCK_TARGET = Prepared(update(_T).where(_T.c.id == bindparam("target_id")).values(id=_T.c.id))


def correction_path(submission_id: int) -> str:
    return f"/api/v1/submissions/{submission_id}/corrections"


def overlaps(a_start: date | None, a_end: date, b_start: date | None, b_end: date) -> bool:
    """Whether two increments' periods share a day (a figure without period_start covers its own date)."""
    return (a_start or a_end) <= b_end and (b_start or b_end) <= a_end


def check_against_stored(session, target: Target, body, *, chain: int | None = None, locked: bool = False) -> None:
    """The rules against the figures in force; `chain`: the original id of the figure being corrected (left out).

    The target's row is locked first (a no-op UPDATE: a row lock on PostgreSQL, the write lock
    on SQLite), so two concurrent figures for one key cannot both pass the check. `locked`: the
    caller holds that lock already in this transaction. POST a figure on PostgreSQL does not come
    here: its loader reads the target FOR NO KEY UPDATE (app.targets.deps.reportable), and its
    figure's statement runs `against_stored`'s read, judged by `check_rows`.
    """
    connection = session.connection()  # Core statements: none of the ORM session's execute (issue 17)
    if not locked:
        _LOCK_TARGET.rows(connection, {"target_id": target.id})
    statement, params = against_stored(target, body, chain=chain)
    check_rows(target, body, statement.rows(connection, params), chain=chain)


def against_stored(target: Target, body, *, chain: int | None = None) -> tuple[Prepared, dict[str, Any]]:
    """The read of `check_against_stored` (the unit's figures in force the figure may clash with, and one of the
    other shape if any) and its parameters, for a caller that runs it in a statement of its own making: POST a figure on PostgreSQL
    reads these rows in the statement that writes the figure (`app.audit.bulk.insert_audited`'s `reading`),
    after the target's lock, and judges them with `check_rows` before its commit. Its parameters but `chain` are
    the figure's own columns of those names (`target_id`, `organization_id`, `is_estimate`, `period_start`,
    `period_date`)."""
    shape = "milestone" if target.comparison == _MILESTONE else "ratio" if body.numerator is not None else "value"
    return _AGAINST_STORED[shape], {
        "target_id": target.id,
        "organization_id": body.organization_id,
        "chain": chain or 0,
        "is_estimate": body.is_estimate,
        "period_start": body.period_start,
        "period_date": body.period_date,
    }


def check_rows(target: Target, body, found: Iterable, *, chain: int | None = None) -> None:
    """Judges the rows `against_stored` read (409 for a second figure of one unit, date and estimate flag;
    422 for shapes mixed or increments overlapping). A row whose `id` is None is no figure (a statement
    that read none may give one such row: `insert_audited`'s `reading`)."""
    ratio = body.numerator is not None
    rows = []
    for row in found:
        if row.id is None:
            continue
        if not row.other_shape:
            rows.append(row)
            continue
        other = row.id
        mine, theirs = ("a ratio", "values") if ratio else ("a value", "ratios (numerator and denominator)")
        raise InvalidInput.from_fields(
            f"Target {target.id} already has {theirs} (submission {other}): {mine} cannot be mixed with them.",
            {"numerator" if ratio else "value": f"this target takes {theirs}; see submission {other}"},
        )
    for row in rows:
        if chain is not None and (row.root_id or row.id) == chain:
            continue
        if row.period_date == body.period_date and row.is_estimate == body.is_estimate:
            kind = "estimate" if body.is_estimate else "official figure"
            raise Conflict(
                f"Organisation {body.organization_id} already has an {kind} for {body.period_date.isoformat()} on target "
                f"{target.id}: submission {row.id}. To change it, correct it: POST {correction_path(row.id)}.",
                extra={"existing_submission_id": row.id, "correction_url": correction_path(row.id)},
            )
        if (
            target.aggregation == _SUM_OVER_TIME
            and row.is_estimate == body.is_estimate
            and (body.period_start is not None or row.period_start is not None)
            and overlaps(body.period_start, body.period_date, row.period_start, row.period_date)
        ):
            start = (row.period_start or row.period_date).isoformat()
            raise InvalidInput(
                f"This increment overlaps submission {row.id} of the same organisation ({start} to "
                f"{row.period_date.isoformat()}): increments of one unit must cover separate periods.",
                [FieldError(field="period_start", message=f"overlaps submission {row.id}")],
                extra={"overlapping_submission_id": row.id},
            )


# ------------------------------------------------------------------ the same rules over a file

_HAS_PERIOD = select(_S.c.id).where(_S.c.target_id == bindparam("target_id"), _S.c.period_start.is_not(None)).limit(1)
# The shape of a target's figures in force, from the first one that has a value or a ratio. Every write
# path checks a new figure or correction against the figures in force of the other shape (above, and
# FileRules), so those never mix and one of them tells the shape of all. Asking for each shape instead
# read every figure of the target for the shape it does not have (10,000 figures a target at national
# scale, each with the in-force test: most of the import's rule checks, issue 17).
_SHAPE = (
    select(_S.c.id, _S.c.numerator.is_not(None).label("is_ratio"))
    .where(_S.c.target_id == bindparam("target_id"), _IN_FORCE, _S.c.value.is_not(None) | _S.c.numerator.is_not(None))
    .order_by(_S.c.id)  # the oldest in force: the same answer every time
    .limit(1)
)

# The same for many targets at once (FileRules.read_shapes): per target, the id `_SHAPE` finds (the same
# conditions, order and limit, as a correlated subquery: one index probe per target, as before), then
# the shape of those figures. Two statements, not one per target (a plan of 1,000 targets: 1,000 round
# trips per file, an eighth of an import's time on PostgreSQL).
_FIRST_SHAPED = (
    select(_S.c.id)
    .where(_S.c.target_id == _T.c.id, _IN_FORCE, _S.c.value.is_not(None) | _S.c.numerator.is_not(None))
    .order_by(_S.c.id)
    .limit(1)
    .correlate(_T)
    .scalar_subquery()
)
_FIRST_SHAPED_OF = select(_T.c.id, _FIRST_SHAPED.label("first_id")).where(_T.c.id.in_(bindparam("target_ids", expanding=True)))
_IS_RATIO = select(_S.c.id, _S.c.numerator.is_not(None).label("is_ratio")).where(_S.c.id.in_(bindparam("ids", expanding=True)))
# Which of many targets have an increment naming its period_start (what `_HAS_PERIOD` asks of one): EXISTS
# stops at the first such figure, as LIMIT 1 did.
_WITH_PERIODS = select(_T.c.id).where(
    _T.c.id.in_(bindparam("target_ids", expanding=True)),
    select(_S.c.id).where(_S.c.target_id == _T.c.id, _S.c.period_start.is_not(None)).exists(),
)
_TARGETS_PER_QUERY = 5000  # bound parameters per statement: far below SQLite's limit (32,766)


class FileRules:
    """`check_against_stored` for an import: rows are checked in file order against what is stored
    and what the file added before them. A row for a key already in force is a correction (the
    importer's rule), so the one-figure-per-key rule is the importer's own; values and ratios
    must not mix on a target, and increments of one unit must not overlap. Stored figures are read
    once per target (its shapes) and once per (target, unit) of an increment target."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.shapes: dict[int, dict[str, int]] = {}  # target -> {"value": an id or 0, "ratio": ...}
        self.periods: dict[tuple[int, int], dict[tuple, tuple]] = {}  # (target, org) -> {(date, est): (start, id)}
        self.with_periods: dict[int, bool] = {}

    def _shapes(self, target_id: int) -> dict[str, int]:
        if target_id not in self.shapes:
            found = self.session.connection().execute(_SHAPE, {"target_id": target_id}).first()
            self.shapes[target_id] = {} if found is None else {"ratio" if found.is_ratio else "value": found.id}
        return self.shapes[target_id]

    def read(self, targets: Iterable[Target]) -> None:
        """Reads at once, before the rows are checked, what `problems` would read target by target: the shapes
        of the targets that take numbers, and whether the increment targets' figures name their periods."""
        targets = list(targets)
        self.read_shapes(stored_id(t) for t in targets if t.comparison != _MILESTONE)
        self.read_periods(stored_id(t) for t in targets if t.comparison != _MILESTONE and t.aggregation == _SUM_OVER_TIME)

    def read_periods(self, target_ids: Iterable[int]) -> None:
        """`_has_periods` of many targets at once."""
        wanted = sorted(set(target_ids) - self.with_periods.keys())
        connection = self.session.connection()
        for first in range(0, len(wanted), _TARGETS_PER_QUERY):
            chunk = wanted[first : first + _TARGETS_PER_QUERY]
            found = {row.id for row in connection.execute(_WITH_PERIODS, {"target_ids": chunk})}
            for target_id in chunk:
                self.with_periods[target_id] = target_id in found

    def read_shapes(self, target_ids: Iterable[int]) -> None:
        """Reads the shapes of many targets at once (what `_shapes` reads for one), before their rows are checked."""
        wanted = sorted(set(target_ids) - self.shapes.keys())
        connection = self.session.connection()
        for first in range(0, len(wanted), _TARGETS_PER_QUERY):
            chunk = wanted[first : first + _TARGETS_PER_QUERY]
            found = {row.id: row.first_id for row in connection.execute(_FIRST_SHAPED_OF, {"target_ids": chunk})}
            ids = [row_id for row_id in found.values() if row_id is not None]
            is_ratio = {row.id: row.is_ratio for row in connection.execute(_IS_RATIO, {"ids": ids})} if ids else {}
            for target_id in chunk:
                row_id = found.get(target_id)
                self.shapes[target_id] = {} if row_id is None else {"ratio" if is_ratio[row_id] else "value": row_id}

    def _has_periods(self, target_id: int) -> bool:
        """Whether any increment of the target (stored or earlier in the file) names its period_start."""
        if target_id not in self.with_periods:
            found = self.session.execute(_HAS_PERIOD, {"target_id": target_id}).scalar()
            self.with_periods[target_id] = found is not None
        return self.with_periods[target_id]

    def _periods(self, target_id: int, org: int) -> dict[tuple, tuple]:
        key = (target_id, org)
        if key not in self.periods:
            rows = self.session.execute(_SAME_UNIT, {"target_id": target_id, "organization_id": org}).all()
            self.periods[key] = {(r.period_date, r.is_estimate): (r.period_start, r.id) for r in rows}
        return self.periods[key]

    def problems(self, target: Target, body) -> list[tuple[str, str]]:
        """What is wrong with the row against the stored figures and the file so far (empty: nothing); then remembers it."""
        if target.comparison == _MILESTONE:
            return []
        if target.id is None:
            raise ValueError("FileRules checks figures of stored targets only: this target has no id")
        target_id = target.id
        shapes = self._shapes(target_id)
        mine, other = ("ratio", "value") if body.numerator is not None else ("value", "ratio")
        if other in shapes:
            theirs = "values" if other == "value" else "ratios (numerator and denominator)"
            field = "numerator" if mine == "ratio" else "value"
            return [
                (
                    field,
                    f"this target already has {theirs} (submission {shapes[other] or 'in this file'}): "
                    f"a {mine} cannot be mixed with them",
                )
            ]
        if target.aggregation == _SUM_OVER_TIME and (body.period_start is not None or self._has_periods(target_id)):
            periods = self._periods(target_id, body.organization_id)
            for (day, est), (start, row_id) in periods.items():
                if (day, est) == (body.period_date, body.is_estimate) or est != body.is_estimate:
                    continue
                if (body.period_start is not None or start is not None) and overlaps(
                    body.period_start, body.period_date, start, day
                ):
                    where = f"submission {row_id}" if row_id else "an earlier row of this file"
                    return [
                        (
                            "period_start",
                            f"overlaps {where} of the same organisation ({(start or day).isoformat()} "
                            f"to {day.isoformat()}): increments of one unit must cover separate periods",
                        )
                    ]
            periods[(body.period_date, body.is_estimate)] = (body.period_start, 0)
            self.with_periods[target_id] = self.with_periods.get(target_id, False) or body.period_start is not None
        shapes.setdefault(mine, 0)
        return []
