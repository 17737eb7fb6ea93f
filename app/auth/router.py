"""HTTP routes for API keys (admins only). The secret is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.auth import service
from app.auth.models import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.common import etag
from app.common.crud import get_or_404, transaction
from app.common.etag import IfNoneMatch
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


@router.get(
    "",
    summary="List API keys",
    description="Every key's name, role, organisation scope, creation, last use and expiry; never a secret. Revoked "
    "keys only with `include_revoked=true`. Admins only.",
    response_model=Page[ApiKeyPublic],
    responses=errors(422),
)
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
    description="A key with a role (viewer < reporter < editor < admin) over an organisation and everything under "
    "it (no organisation: everything). The secret (`key`, `ct_...`) is in this answer only: only its hash is "
    "stored, and a retry with the same `Idempotency-Key` gets 409, not the secret again. Admins only. The "
    "answer's `Location` is the key's path and its `ETag` the one a read of it gives.",
    response_model=ApiKeyCreated,
    responses={**etag.documented_created(), **errors(409, 422)},
)
def create_key(request: Request, response: Response, session: SessionDep, admin: AdminDep, body: ApiKeyCreate):
    with transaction(session):
        key, secret = service.create_key(session=session, key_in=body, created_by=admin)
    etag.created(request, response, ApiKeyPublic, key, "get_key", key_id=key.id)
    return ApiKeyCreated.model_validate({**key.model_dump(), "key": secret})


@router.get(
    "/{key_id}",
    summary="Get an API key",
    description="The key's record, never its secret. The `ETag` header names this version (its last use and "
    "revocation change it); with `If-None-Match` naming it, 304 and no body. Admins only.",
    response_model=ApiKeyPublic,
    responses={**etag.documented_read(), **errors(404, 422)},
)
def get_key(key: KeyRowDep, response: Response, if_none_match: IfNoneMatch = None):
    return etag.read(response, ApiKeyPublic, key, if_none_match) or key


@router.post(
    "/{key_id}/revoke",
    summary="Revoke an API key (it stops working at once; the record stays)",
    description="From this answer on, requests with the key are 401. The record stays (the audit trail names it); "
    "revoking a revoked key changes nothing. Admins only.",
    response_model=ApiKeyPublic,
    responses=errors(404, 422),
)
def revoke_key(session: SessionDep, key: KeyRowDep):
    with transaction(session):
        return service.revoke_key(session=session, key=key)
