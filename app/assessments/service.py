"""Assessment use cases. Inserted only; the latest known one is shown beside the computed status."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.assessments.models import Assessment, AssessmentCreate
from app.common.crud import commit_or_conflict, paginate
from app.common.models import as_utc
from app.targets.models import Target


def list_assessments(*, session: Session, target: Target, limit: int, offset: int):
    """Lists a target's assessments, newest first."""
    stmt = select(Assessment).where(Assessment.target_id == target.id).order_by(Assessment.recorded_at.desc(), Assessment.id.desc())
    return paginate(session, stmt, limit=limit, offset=offset)


def create_assessment(*, session: Session, target: Target, assessment_in: AssessmentCreate) -> Assessment:
    """Records a committee's verdict for a target."""
    row = Assessment.model_validate({**assessment_in.model_dump(), "target_id": target.id})
    session.add(row)
    commit_or_conflict(session, "The assessment could not be stored.")
    session.refresh(row)
    return row


def latest_assessments(session: Session, target_ids: list[int], known_at: datetime | None) -> dict[int, Assessment]:
    """The latest assessment per target, among those recorded by `known_at`.

    The time filter runs here, on timezone-aware values, not in SQL: SQLite keeps
    datetimes as text without an offset, so comparing there would mix clocks.
    """
    if not target_ids:
        return {}
    stmt = select(Assessment).where(Assessment.target_id.in_(target_ids)).order_by(Assessment.recorded_at, Assessment.id)
    latest: dict[int, Assessment] = {}
    for row in session.exec(stmt).all():
        if known_at is None or as_utc(row.recorded_at) <= known_at:
            latest[row.target_id] = row
    return latest
