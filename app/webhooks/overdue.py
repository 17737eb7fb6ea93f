"""report.overdue: the worker's periodic look for units whose report is past due, each told once.

For every active plan's live targets that have a reporting frequency, the engine's own per-unit
calendar (`engine.overdue_reports`: the first report due after a unit's latest figure, past the plan's
grace days, for each expected unit) is run on the figures in force today. Each (target, unit, due date)
is inserted into `webhook_overdue_notice`; only an insert that took (ON CONFLICT DO NOTHING ... RETURNING)
emits the event, in the same transaction. So the dedupe is the primary key: two workers checking at
once, or a worker restarted, never send one twice, and a unit that reports and later falls behind again
(a new due date) is told again. Nothing runs when nobody subscribes to report.overdue.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.common.crud import transaction
from app.common.models import table_of, utcnow
from app.config import Settings
from app.engine.engine import overdue_reports, select_in_period
from app.events import outbox
from app.events.models import EventType, OverdueNotice
from app.organizations.models import Organization
from app.plans.models import Plan, PlanState
from app.plans.rules import rules_of
from app.status import queries
from app.status.units import expected_for, load_tree
from app.targets.spec import spec_of

_N = table_of(OverdueNotice)
_O = table_of(Organization)


def _insert_new(session: Session, row: dict) -> bool:
    """True when this (target, unit, due date) had not been noted yet (and now is)."""
    stmt: PostgresInsert | SqliteInsert
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgres_insert(_N)
    else:
        stmt = sqlite_insert(_N)
    found = session.connection().execute(stmt.values(**row).on_conflict_do_nothing().returning(_N.c.target_id))
    return found.first() is not None


def check_overdue(engine: Engine, settings: Settings) -> int:
    """One pass over the active plans; the number of report.overdue events emitted (committed)."""
    today = settings.today()
    emitted = 0
    with Session(engine) as session, transaction(session):
        if not outbox.wants(session, EventType.REPORT_OVERDUE):
            return 0
        plans = session.execute(
            select(Plan).where(col(Plan.state) == PlanState.ACTIVE.value, col(Plan.archived_at).is_(None))
        ).scalars()
        for plan in list(plans):
            targets: dict[int, Any] = {
                t.id: t for t in session.execute(queries.PLAN_TARGETS, {"plan_id": plan.id}) if t.frequency
            }
            if not targets:
                continue
            rules = rules_of(plan)
            tree = load_tree(session, plan.organization_id)
            # A unit that sent a figure has reported, even while the figure awaits approval (issue 14):
            # submitted figures count here, returned ones do not.
            approval = queries.approval_of(session, plan.approval_required, list(targets), include_submitted=True)
            figures_of = {tid: figures for tid, figures, _, _ in queries.stream(session, list(targets), today, None, approval)}
            events = []
            for tid, target in targets.items():
                spec = spec_of(target, plan)
                units = tree.units(plan.organization_id, expected_for(plan, target))
                kept, _ = select_in_period(spec, figures_of.get(tid, []), today, None, [])
                for unit, due, days in overdue_reports(spec, units, kept, today, rules):
                    if not _insert_new(
                        session, {"target_id": tid, "organization_id": unit, "due_date": due, "created_at": utcnow()}
                    ):
                        continue
                    resource = {
                        "target_id": tid,
                        "plan_id": plan.id,
                        "code": target.code,
                        "title": target.title,
                        "organization_id": unit,
                        "organization_code": tree.labels.get(unit),
                        "due_date": due.isoformat(),
                        "days_overdue": days,
                        "as_of": today.isoformat(),
                    }
                    events.append((EventType.REPORT_OVERDUE.value, resource, unit))
            emitted += len(outbox.emit_many(session, events))
    return emitted
