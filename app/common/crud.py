"""Helpers every service uses: load-or-404, paging, PATCH, committing with conflicts."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from app.common.models import utcnow
from app.errors import Conflict, InvalidInput, NotFound

M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], row_id: int, label: str) -> M:
    """Gets a row by id or raises NotFound naming what was missing."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{label} {row_id} does not exist.")
    return row


def paginate(session: Session, statement, *, limit: int, offset: int) -> dict[str, Any]:
    """Runs a select for one page and counts the whole result."""
    total = session.exec(select(func.count()).select_from(statement.order_by(None).subquery())).one()
    items = session.exec(statement.limit(limit).offset(offset)).all()
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def apply_patch(row: SQLModel, changes: dict[str, Any], *, nullable: set[str]) -> None:
    """Copies a PATCH body onto a row; null is allowed only for optional fields."""
    nulled = {k: "this field cannot be null" for k, v in changes.items() if v is None and k not in nullable}
    if nulled:
        raise InvalidInput.from_fields("Some fields cannot be cleared.", nulled)
    for key, value in changes.items():
        setattr(row, key, value)
    if hasattr(row, "updated_at"):
        row.updated_at = utcnow()


def commit_or_conflict(session: Session, detail: str) -> None:
    """Commits; a unique or foreign-key violation becomes 409 and nothing is kept."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(detail) from exc
