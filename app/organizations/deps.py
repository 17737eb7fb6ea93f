"""The organisation loader: 404 for a missing id, 401 when reads need a key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.auth import policy
from app.common.crud import get_or_404
from app.common.types import MAX_ID
from app.deps import PrincipalDep, SessionDep, open_reads
from app.organizations.models import Organization

OrganizationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The organisation's id.")]


def load_organization(
    request: Request, session: SessionDep, principal: PrincipalDep, organization_id: OrganizationId
) -> Organization:
    policy.require_read(principal, open_reads=open_reads(request))
    return get_or_404(session, Organization, organization_id, "Organisation")


OrganizationDep = Annotated[Organization, Depends(load_organization)]
