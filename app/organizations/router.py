"""HTTP routes for organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.common.types import MAX_ID, Page
from app.deps import OrganizationDep, PagingDep, SessionDep
from app.openapi import errors
from app.organizations import service
from app.organizations.models import OrganizationCreate, OrganizationPublic, OrganizationUpdate

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.get("", summary="List organisations", response_model=Page[OrganizationPublic], responses=errors(422))
def list_organizations(
    session: SessionDep,
    paging: PagingDep,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only the children of this organisation.")] = None,
):
    return service.list_organizations(session=session, parent_id=parent_id, limit=paging.limit, offset=paging.offset)


@router.post(
    "", status_code=201, summary="Create an organisation", response_model=OrganizationPublic, responses=errors(409, 422)
)
def create_organization(session: SessionDep, body: OrganizationCreate):
    return service.create_organization(session=session, organization_in=body)


@router.get("/{organization_id}", summary="Get an organisation", response_model=OrganizationPublic, responses=errors(404, 422))
def get_organization(organization: OrganizationDep):
    return organization


@router.patch(
    "/{organization_id}", summary="Update an organisation", response_model=OrganizationPublic, responses=errors(404, 409, 422)
)
def update_organization(session: SessionDep, organization: OrganizationDep, body: OrganizationUpdate):
    return service.update_organization(session=session, organization=organization, organization_in=body)
