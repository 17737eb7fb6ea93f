"""Who may do what: one place for every role and scope decision.

Routes never compare roles themselves; they call `require` (through the
loaders in app/deps.py) with the role the action needs and the organisation
the object belongs to. Scope is an organisation and everything under it.
"""

from __future__ import annotations

from sqlmodel import Session

from app.auth.models import Role
from app.auth.service import Principal
from app.errors import Forbidden, NotFound, Unauthorized
from app.organizations.service import ancestors, is_within, subtree
from app.plans.models import Plan, PlanState

NO_KEY = "This request needs an API key: send it as 'Authorization: Bearer <key>'."


def in_scope(session: Session, principal: Principal, organization_id: int, *, above: set[int] | None = None) -> bool:
    """True when the key may act for this organisation (admins: everywhere). `above`: the organisation's
    `ancestors`, when the caller read them already."""
    if principal.role == Role.ADMIN:
        return True
    if principal.organization_id is None:
        return False
    if above is not None:
        return principal.organization_id in above
    return is_within(session, organization_id, principal.organization_id)


def require(
    session: Session,
    principal: Principal | None,
    role: Role,
    organization_id: int | None = None,
    *,
    above: set[int] | None = None,
) -> Principal:
    """The principal, if it has `role` (or higher) and, when given, the organisation in scope.

    401 without a key; 403 with a key that lacks the role or the scope. An organisation that
    does not exist is left to the service, which answers 422 naming the field. `above`: the
    organisation's `ancestors` when the caller read them already (POST a figure reads them once
    for this and for the plan's tree); admins need no look at all.
    """
    if principal is None:
        raise Unauthorized(NO_KEY)
    if not principal.has_role(role):
        raise Forbidden(f"This needs the {role.value} role or higher; the key '{principal.name}' is {principal.role.value}.")
    if organization_id is not None and principal.role != Role.ADMIN:
        # One query: the organisation and those above it (none: it does not exist, which the service answers).
        above = above if above is not None else ancestors(session, organization_id)
        if above and not in_scope(session, principal, organization_id, above=above):
            raise Forbidden(
                f"Organisation {organization_id} is outside the scope of the key '{principal.name}' "
                f"(organisation {principal.organization_id} and those under it)."
            )
    return principal


def may_read_plan(session: Session, principal: Principal | None, plan: Plan, *, open_reads: bool) -> bool:
    """Active and closed plans are public when reads are open; drafts (and, with reads closed,
    every plan) need a key in scope of the plan's organisation."""
    if open_reads and plan.state != PlanState.DRAFT.value:
        return True
    return principal is not None and in_scope(session, principal, plan.organization_id)


def require_read_plan(
    session: Session, principal: Principal | None, plan: Plan, *, open_reads: bool, hidden: str | None = None
) -> None:
    """Answers as if the thing did not exist (404, with `hidden`, the message a missing id gets)
    when the caller may not read the plan: neither 401 nor 403 tells a draft exists, or whose it is.

    Reads closed and no key: 401, as for every read (loaders check that before looking the id up).
    """
    require_read(principal, open_reads=open_reads)
    if not may_read_plan(session, principal, plan, open_reads=open_reads):
        raise NotFound(hidden or f"Plan {plan.id} does not exist.")


def require_read(principal: Principal | None, *, open_reads: bool) -> None:
    """Reads that concern no plan (organisations): public when reads are open, else any key."""
    if not open_reads and principal is None:
        raise Unauthorized(NO_KEY)


def scope_of(session: Session, principal: Principal) -> set[int] | None:
    """The organisations a key may act for: None means all (admins)."""
    if principal.role == Role.ADMIN:
        return None
    return subtree(session, principal.organization_id) if principal.organization_id else set()


def visible_draft_organizations(session: Session, principal: Principal | None) -> set[int] | None:
    """Organisations whose draft plans this caller may list: None means all (admins)."""
    return set() if principal is None else scope_of(session, principal)


def require_to_change_figures(session: Session, principal: Principal | None, plan: Plan, *organization_ids: int) -> None:
    """Correcting or retracting figures: a reporter in scope of each organisation; on a closed plan, an editor."""
    closed = plan.state == PlanState.CLOSED.value
    for organization_id in dict.fromkeys(organization_ids):
        try:
            require(session, principal, Role.EDITOR if closed else Role.REPORTER, organization_id)
        except Forbidden as exc:
            if closed:
                raise Forbidden(
                    f"Plan {plan.id} ({plan.code}) is closed: only an editor may correct or retract its figures. {exc.detail}"
                ) from exc
            raise


def approves_on_entry(session: Session, principal: Principal | None, plan: Plan) -> bool:
    """On a plan with `approval_required`: a figure sent by an editor or admin of the plan's organisation
    (its scope covers the plan's organisation) is approved as it arrives. No key (the command line,
    the seed): approved, as they act with full rights."""
    if principal is None or principal.role == Role.ADMIN:
        return True
    if not principal.has_role(Role.EDITOR) or principal.organization_id is None:
        return False
    return principal.organization_id == plan.organization_id or is_within(
        session, plan.organization_id, principal.organization_id
    )


def require_to_review(
    session: Session, principal: Principal | None, organization_id: int, sent_by_key_id: int | None
) -> Principal:
    """Approving or returning a figure: an editor of an organisation above the reporting unit (an admin
    anywhere), never the key that sent it. 401 without a key, 403 otherwise."""
    who = require(session, principal, Role.EDITOR)
    if who.key_id is not None and who.key_id == sent_by_key_id:
        raise Forbidden(f"The key '{who.name}' sent this figure: a key never approves or returns its own figure.")
    if who.role == Role.ADMIN:
        return who
    above = (
        who.organization_id is not None
        and who.organization_id != organization_id
        and is_within(session, organization_id, who.organization_id)
    )
    if not above:
        raise Forbidden(
            f"Only an editor of an organisation above the reporting unit (organisation {organization_id}) may approve or "
            f"return its figure; the key '{who.name}' acts for organisation {who.organization_id}."
        )
    return who
