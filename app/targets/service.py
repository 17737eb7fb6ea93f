"""Target use cases. Writes flush and return: the edge commits (app.common.crud.transaction).

Whether a definition is consistent is the status engine's rule
(`definition_errors`); this service only maps rows to specs and asks it.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.assessments.models import Assessment
from app.common.crud import apply_patch, flush, get_or_404
from app.common.listing import Listing, Sorts, page_of
from app.common.models import stored_id, utcnow
from app.engine import Comparison, default_direction, definition_errors
from app.errors import Conflict, InvalidInput
from app.organizations.service import check_reporting_units
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target, TargetCreate, TargetUpdate
from app.targets.spec import spec_of

# ------------------------------------------------------------------ the write rules (API, import, CLI, seed)

# The fields a PATCH may clear.
PATCH_NULLABLE = {
    "value",
    "low",
    "high",
    "tolerance",
    "baseline_value",
    "baseline_date",
    "change_basis",
    "frequency",
    "reporting_unit_ids",
}


def stored_checkpoints(checkpoints) -> list[dict]:
    """Checkpoints as JSON-ready dicts, in date order (as stored)."""
    rows = [c if isinstance(c, dict) else c.model_dump() for c in checkpoints or ()]
    return sorted(({"date": str(r["date"]), "share": r["share"]} for r in rows), key=lambda r: r["date"])


def check_definition(target: Target, plan: Plan) -> None:
    """The engine's consistency check of a target's definition (422 naming the fields)."""
    problems = definition_errors(spec_of(target, plan))
    if problems:
        raise InvalidInput.from_fields("The target's definition is inconsistent.", problems)


def check_code_free(session: Session, plan_id: int, code: str, own_id: int | None = None) -> None:
    """No other target of the plan has this code (409 naming it)."""
    existing = session.exec(select(Target.id).where(Target.plan_id == plan_id, Target.code == code)).first()
    if existing is not None and existing != own_id:
        raise Conflict(f"This plan already has a target with code '{code}' (id {existing}).")


def follow_default_direction(target: Target, changes: dict) -> None:
    """A direction that was the default keeps following the default when the comparison or value changes.

    A direction the client chose (different from the default) is left alone.
    """
    if "direction" in changes or not ({"comparison", "value"} & changes.keys()) or changes.get("comparison", "") is None:
        return  # nothing to follow, or an invalid null that apply_patch refuses
    old_default = default_direction(Comparison(target.comparison), target.value)
    if target.direction == old_default.value:
        new_comparison = Comparison(changes.get("comparison", target.comparison))
        changes["direction"] = default_direction(new_comparison, changes.get("value", target.value)).value


def last_position(session: Session, plan: Plan) -> int:
    """The largest position among the plan's targets (0 without any)."""
    return session.exec(select(func.coalesce(func.max(Target.position), 0)).where(Target.plan_id == plan.id)).one()


def prepare_target(session: Session, plan: Plan, target_in: TargetCreate, *, after: int | None = None) -> Target:
    """A new target of the plan, checked (code free, definition consistent, reporting units in the plan's
    tree) and not yet stored (`insert_targets`). Without a position it goes after the last target: after
    `after` when the caller counts (several new targets at once), else after the stored ones."""
    check_code_free(session, stored_id(plan), target_in.code)
    fields = target_in.model_dump()
    if fields["position"] is None:
        fields["position"] = (last_position(session, plan) if after is None else after) + 1
    fields["checkpoints"] = stored_checkpoints(fields.get("checkpoints"))
    target = Target.model_validate({**fields, "plan_id": plan.id})
    check_definition(target, plan)
    check_reporting_units(session, plan.organization_id, target.reporting_unit_ids)
    return target


def insert_targets(session: Session, targets: list[Target]) -> None:
    """Stores prepared targets (flushed through the unit of work: the recorder writes their events)."""
    session.add_all(targets)
    flush(session, "The targets could not be stored (duplicate code?).")


def prepare_patch(session: Session, target: Target, plan: Plan, target_in: TargetUpdate) -> dict:
    """The changes a PATCH makes (enums as stored, checkpoints in order, a default direction followed),
    checked on a copy of the target: code free, fields that may be cleared, definition consistent,
    reporting units in the plan's tree. Changes nothing (`apply_target_patch` does)."""
    changes = {k: (v.value if isinstance(v, Enum) else v) for k, v in target_in.model_dump(exclude_unset=True).items()}
    if changes.get("code"):
        check_code_free(session, target.plan_id, changes["code"], target.id)
    if "checkpoints" in changes:
        changes["checkpoints"] = stored_checkpoints(changes["checkpoints"])
    follow_default_direction(target, changes)
    probe = Target.model_validate(target.model_dump())
    apply_patch(probe, dict(changes), nullable=PATCH_NULLABLE)
    check_definition(probe, plan)
    check_reporting_units(session, plan.organization_id, probe.reporting_unit_ids)
    return changes


def apply_target_patch(target: Target, changes: dict) -> None:
    """Applies changes made by `prepare_patch` to the stored target (flushed with the use case)."""
    apply_patch(target, changes, nullable=PATCH_NULLABLE)


# ------------------------------------------------------------------ use cases


# What `sort` may name (app.common.listing); the default is the plan's own order, `position`.
TARGET_SORTS: Sorts = {
    "position": (col(Target.position), col(Target.id)),
    "code": (col(Target.code), col(Target.id)),
    "title": (col(Target.title), col(Target.id)),
    "id": (col(Target.id),),
}


def list_targets(
    *,
    session: Session,
    plan: Plan,
    category: str | None,
    code: str | None = None,
    include_archived: bool = False,
    listing: Listing = Listing(),
):
    """Lists a plan's targets in their order; archived ones only with `include_archived`."""
    stmt = select(Target).where(Target.plan_id == plan.id).order_by(col(Target.position), col(Target.id))
    if not include_archived:
        stmt = stmt.where(col(Target.archived_at).is_(None))
    if category is not None:
        stmt = stmt.where(Target.category == category)
    if code is not None:
        stmt = stmt.where(Target.code == code)
    return page_of(session, stmt, listing, sorts=TARGET_SORTS, search=(col(Target.title), col(Target.title_en)))


def create_target(*, session: Session, plan: Plan, target_in: TargetCreate) -> Target:
    """Adds a target to a plan after checking its definition."""
    return create_targets(session=session, plan=plan, targets_in=[target_in])[0]


def create_targets(*, session: Session, plan: Plan, targets_in: list[TargetCreate]) -> list[Target]:
    """Adds several targets: all are checked first, and none is stored if one fails (the edge's one commit)."""
    codes = [t.code for t in targets_in]
    if len(set(codes)) != len(codes):
        raise Conflict("The same target code appears twice in one request.")
    targets, last = [], last_position(session, plan)
    for target_in in targets_in:
        targets.append(prepare_target(session, plan, target_in, after=last))
        last = max(last, targets[-1].position)
    insert_targets(session, targets)
    for target in targets:
        session.refresh(target)
    return targets


def update_target(*, session: Session, target: Target, target_in: TargetUpdate) -> Target:
    """Changes the given fields; the resulting definition must be consistent."""
    plan = get_or_404(session, Plan, target.plan_id, "Plan")
    apply_target_patch(target, prepare_patch(session, target, plan, target_in))
    session.add(target)
    flush(session, "The target could not be updated (duplicate code?).")
    session.refresh(target)
    return target


def has_records(session: Session, target_ids: list[int]) -> bool:
    """Whether any of the targets has a figure (any version) or an assessment."""
    if not target_ids:
        return False
    for model in (Submission, Assessment):
        if session.exec(select(col(model.id)).where(col(model.target_id).in_(target_ids)).limit(1)).first() is not None:
            return True
    return False


def delete_target(*, session: Session, target: Target) -> Target | None:
    """Archives a target that has figures or assessments (returns it); deletes one that has none."""
    if has_records(session, [stored_id(target)]):
        target.archived_at = target.updated_at = utcnow()
        session.add(target)
        flush(session, "The target could not be archived.")
        session.refresh(target)
        return target
    session.delete(target)
    flush(session, "The target could not be deleted (something refers to it).")
    return None
