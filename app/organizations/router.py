"""HTTP routes for organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import policy
from app.auth.models import Role
from app.common import etag
from app.common.crud import transaction
from app.common.etag import IfMatch, IfNoneMatch
from app.common.types import MAX_ID, CodeFilter, Page
from app.deps import ListRequest, PrincipalDep, SessionDep, listing, open_reads
from app.openapi import errors
from app.organizations import service
from app.organizations.deps import OrganizationDep
from app.organizations.models import OrganizationCreate, OrganizationPublic, OrganizationUpdate

router = APIRouter(prefix="/organizations", tags=["organizations"])

OrganizationListing = Annotated[ListRequest, Depends(listing(service.ORGANIZATION_SORTS, default="id", searches="name"))]


@router.get(
    "",
    summary="List organisations",
    description="Every organisation (reporting units, departments, the province...), or the children of one with "
    "`parent_id`; in id order, paged.",
    response_model=Page[OrganizationPublic],
    responses=errors(422),
)
def list_organizations(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    page: OrganizationListing,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only the children of this organisation.")] = None,
    code: Annotated[CodeFilter | None, Query(description="Only the organisation with this code.")] = None,
):
    policy.require_read(principal, open_reads=open_reads(request))
    return page.answer(service.list_organizations(session=session, parent_id=parent_id, code=code, listing=page.listing))


@router.post(
    "",
    status_code=201,
    summary="Create an organisation",
    response_model=OrganizationPublic,
    responses={**etag.documented_created(), **errors(409, 422)},
)
def create_organization(
    request: Request, response: Response, session: SessionDep, principal: PrincipalDep, body: OrganizationCreate
):
    """Editors add organisations under one in their scope; only admins add a new root. The answer's `Location`
    is the new organisation's path and its `ETag` the one a read of it gives."""
    policy.require(session, principal, Role.EDITOR if body.parent_id else Role.ADMIN, body.parent_id)
    with transaction(session):
        organization = service.create_organization(session=session, organization_in=body)
    etag.created(request, response, OrganizationPublic, organization, "get_organization", organization_id=organization.id)
    return organization


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    description="The `ETag` header names this version; with `If-None-Match` naming it, 304 and no body.",
    response_model=OrganizationPublic,
    responses={**etag.documented_read(), **errors(404, 422)},
)
def get_organization(organization: OrganizationDep, response: Response, if_none_match: IfNoneMatch = None):
    return etag.read(response, OrganizationPublic, organization, if_none_match) or organization


@router.patch(
    "/{organization_id}",
    summary="Update an organisation",
    response_model=OrganizationPublic,
    responses={**etag.documented(200), **errors(404, 409, 412, 422)},
)
def update_organization(
    session: SessionDep,
    principal: PrincipalDep,
    organization: OrganizationDep,
    body: OrganizationUpdate,
    response: Response,
    if_match: IfMatch = None,
):
    """Editors change organisations in their scope (and may move them only within it); roots are admins'.

    With `If-Match`, only if the organisation is still that version (else 412).
    """
    moving_to_root = "parent_id" in body.model_fields_set and body.parent_id is None
    policy.require(session, principal, Role.ADMIN if moving_to_root else Role.EDITOR, organization.id)
    if body.parent_id is not None:
        policy.require(session, principal, Role.EDITOR, body.parent_id)
    with transaction(session):
        etag.require_match(session, organization, OrganizationPublic, if_match)
        updated = service.update_organization(session=session, organization=organization, organization_in=body)
    etag.set_etag(response, OrganizationPublic, updated)
    return updated
