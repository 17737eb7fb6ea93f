"""Assessment use cases. Inserted only; the latest known one is shown beside the computed status."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.assessments.models import Assessment, AssessmentCreate
from app.common.crud import flush, paginate
from app.targets.models import Target


def list_assessments(*, session: Session, target: Target, limit: int, offset: int):
    """Lists a target's assessments, newest first."""
    stmt = (
        select(Assessment)
        .where(Assessment.target_id == target.id)
        .order_by(col(Assessment.recorded_at).desc(), col(Assessment.id).desc())
    )
    return paginate(session, stmt, limit=limit, offset=offset)


def create_assessment(*, session: Session, target: Target, assessment_in: AssessmentCreate) -> Assessment:
    """Records a committee's verdict for a target."""
    row = Assessment.model_validate({**assessment_in.model_dump(), "target_id": target.id})
    session.add(row)
    flush(session, "The assessment could not be stored.")
    session.refresh(row)
    return row
