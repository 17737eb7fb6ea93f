"""Plan use cases. Writes flush and return: the edge commits (app.common.crud.transaction)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.common.crud import apply_patch, flush, get_or_404
from app.common.listing import Listing, Sorts, page_of
from app.common.models import stored_id, utcnow
from app.errors import Conflict, InvalidInput
from app.organizations.models import Organization
from app.organizations.service import check_reporting_units
from app.plans.models import Plan, PlanCreate, PlanState, PlanUpdate
from app.targets.models import Target
from app.targets.service import has_records


def get_plan(*, session: Session, plan_id: int) -> Plan:
    """Gets a plan by id."""
    return get_or_404(session, Plan, plan_id, "Plan")


def list_plans(
    *,
    session: Session,
    organization_id: int | None,
    state: PlanState | None,
    year: int | None,
    code: str | None = None,
    drafts_of: set[int] | None = None,
    include_archived: bool = False,
    listing: Listing = Listing(),
):
    """Lists plans, filtered by issuing organisation, state and a year the period touches.

    Archived plans are left out unless `include_archived`. Drafts are listed only for the
    organisations in `drafts_of` (None: all drafts).
    """
    stmt = select(Plan).order_by(col(Plan.start_date).desc(), col(Plan.id))
    if not include_archived:
        stmt = stmt.where(col(Plan.archived_at).is_(None))
    if drafts_of is not None:
        stmt = stmt.where((col(Plan.state) != PlanState.DRAFT.value) | col(Plan.organization_id).in_(drafts_of))
    if organization_id is not None:
        stmt = stmt.where(Plan.organization_id == organization_id)
    if state is not None:
        stmt = stmt.where(Plan.state == state.value)
    if year is not None:
        stmt = stmt.where(Plan.start_date <= date(year, 12, 31), Plan.end_date >= date(year, 1, 1))
    if code is not None:
        stmt = stmt.where(Plan.code == code)
    return page_of(session, stmt, listing, sorts=PLAN_SORTS, search=(col(Plan.title),))


# What `sort` may name (app.common.listing); the default order is `-start_date` (newest plans first).
PLAN_SORTS: Sorts = {
    "start_date": (col(Plan.start_date), col(Plan.id)),
    "code": (col(Plan.code), col(Plan.id)),
    "title": (col(Plan.title), col(Plan.id)),
    "id": (col(Plan.id),),
}


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput.from_fields("The period ends before it starts.", {"end_date": "end_date is before start_date"})


def _check_bands(on_track_from: float, at_risk_from: float) -> None:
    if at_risk_from > on_track_from:
        raise InvalidInput.from_fields("The pace bands overlap.", {"at_risk_from": "must not be above on_track_from"})


def _check(session: Session, *, code: str, organization_id: int, own_id: int | None = None) -> None:
    existing = session.exec(select(Plan.id).where(Plan.code == code)).first()
    if existing is not None and existing != own_id:
        raise Conflict(f"A plan with code '{code}' already exists (id {existing}).")
    if session.get(Organization, organization_id) is None:
        raise InvalidInput.from_fields(
            "The issuing organisation does not exist.", {"organization_id": f"organisation {organization_id} does not exist"}
        )


def create_plan(*, session: Session, plan_in: PlanCreate) -> Plan:
    """Creates a plan."""
    _check_period(plan_in.start_date, plan_in.end_date)
    _check_bands(plan_in.on_track_from, plan_in.at_risk_from)
    _check(session, code=plan_in.code, organization_id=plan_in.organization_id)
    check_reporting_units(session, plan_in.organization_id, plan_in.reporting_unit_ids)
    plan = Plan.model_validate(plan_in.model_dump())
    session.add(plan)
    flush(session, f"Plan '{plan_in.code}' could not be stored (duplicate code?).")
    session.refresh(plan)
    return plan


def update_plan(*, session: Session, plan: Plan, plan_in: PlanUpdate) -> Plan:
    """Changes the given fields of a plan; the period must stay in order."""
    changes = plan_in.model_dump(exclude_unset=True)
    _check_period(changes.get("start_date") or plan.start_date, changes.get("end_date") or plan.end_date)
    _check_bands(changes.get("on_track_from") or plan.on_track_from, changes.get("at_risk_from") or plan.at_risk_from)
    _check(
        session,
        code=changes.get("code") or plan.code,
        organization_id=changes.get("organization_id") or plan.organization_id,
        own_id=plan.id,
    )
    if "state" in changes and changes["state"] is not None:
        changes["state"] = PlanState(changes["state"]).value
    apply_patch(plan, changes, nullable={"adopted_date", "ceiling_exceed_margin", "near_miss_band", "reporting_unit_ids"})
    check_reporting_units(session, plan.organization_id, plan.reporting_unit_ids)
    session.add(plan)
    flush(session, "The plan could not be updated (duplicate code?).")
    session.refresh(plan)
    return plan


def delete_plan(*, session: Session, plan: Plan) -> Plan | None:
    """Archives a plan that has figures or assessments (returns it); deletes one that has none, with its targets.

    Figures are never lost: an archived plan keeps everything, can still be read (and its
    status computed) but leaves the lists and refuses changes.
    """
    targets = list(session.exec(select(Target).where(Target.plan_id == plan.id)).all())
    if has_records(session, [stored_id(t) for t in targets]):
        plan.archived_at = plan.updated_at = utcnow()
        session.add(plan)
        flush(session, "The plan could not be archived.")
        session.refresh(plan)
        return plan
    for target in targets:
        session.delete(target)
    session.flush()
    session.delete(plan)
    flush(session, "The plan could not be deleted (something refers to it).")
    return None
