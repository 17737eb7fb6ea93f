"""Assessment use cases. Inserted only; the latest known one is shown beside the computed status."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.assessments.models import Assessment, AssessmentCreate
from app.common.crud import flush
from app.common.listing import Listing, Sorts, page_of
from app.targets.models import Target

# What `sort` may name (app.common.listing); the default is `-recorded_at` (newest first).
ASSESSMENT_SORTS: Sorts = {
    "recorded_at": (col(Assessment.recorded_at), col(Assessment.id)),
    "assessed_on": (col(Assessment.assessed_on), col(Assessment.id)),
    "id": (col(Assessment.id),),
}


def list_assessments(*, session: Session, target: Target, listing: Listing = Listing()):
    """Lists a target's assessments, newest first."""
    stmt = (
        select(Assessment)
        .where(Assessment.target_id == target.id)
        .order_by(col(Assessment.recorded_at).desc(), col(Assessment.id).desc())
    )
    return page_of(session, stmt, listing, sorts=ASSESSMENT_SORTS)


def create_assessment(*, session: Session, target: Target, assessment_in: AssessmentCreate) -> Assessment:
    """Records a committee's verdict for a target."""
    row = Assessment.model_validate({**assessment_in.model_dump(), "target_id": target.id})
    session.add(row)
    flush(session, "The assessment could not be stored.")
    session.refresh(row)
    return row
