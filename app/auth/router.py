"""HTTP routes for API keys (admins only). The secret is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.auth import service
from app.auth.models import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.common.crud import get_or_404, transaction
from app.common.types import MAX_ID, Page
from app.deps import AdminDep, ListRequest, SessionDep, listing
from app.openapi import errors

router = APIRouter(prefix="/api-keys", tags=["api keys"])

KeyListing = Annotated[ListRequest, Depends(listing(service.KEY_SORTS, default="id", searches="name"))]


def load_key(
    session: SessionDep, _admin: AdminDep, key_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The key's id.")]
) -> ApiKey:
    return get_or_404(session, ApiKey, key_id, "API key")


KeyRowDep = Annotated[ApiKey, Depends(load_key)]


@router.get("", summary="List API keys", response_model=Page[ApiKeyPublic], responses=errors(422))
def list_keys(
    session: SessionDep,
    _admin: AdminDep,
    page: KeyListing,
    include_revoked: Annotated[bool, Query(description="Also list revoked keys.")] = False,
):
    return page.answer(service.list_keys(session=session, include_revoked=include_revoked, listing=page.listing))


@router.post(
    "",
    status_code=201,
    summary="Create an API key (the key is in this answer only)",
    response_model=ApiKeyCreated,
    responses=errors(409, 422),
)
def create_key(session: SessionDep, admin: AdminDep, body: ApiKeyCreate):
    with transaction(session):
        key, secret = service.create_key(session=session, key_in=body, created_by=admin)
    return ApiKeyCreated.model_validate({**key.model_dump(), "key": secret})


@router.get("/{key_id}", summary="Get an API key", response_model=ApiKeyPublic, responses=errors(404, 422))
def get_key(key: KeyRowDep):
    return key


@router.post(
    "/{key_id}/revoke",
    summary="Revoke an API key (it stops working at once; the record stays)",
    response_model=ApiKeyPublic,
    responses=errors(404, 422),
)
def revoke_key(session: SessionDep, key: KeyRowDep):
    with transaction(session):
        return service.revoke_key(session=session, key=key)
