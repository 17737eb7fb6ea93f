"""Organisation use cases. Writes flush and return: the edge commits (app.common.crud.transaction)."""

from __future__ import annotations

from sqlalchemy import String, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from app.common.crud import apply_patch, flush, get_or_404
from app.common.listing import Listing, Sorts, page_of
from app.common.models import table_of
from app.common.prepared import Prepared
from app.errors import Conflict, InvalidInput
from app.organizations.models import Organization, OrganizationCreate, OrganizationTreeVersion, OrganizationUpdate


def get_organization(*, session: Session, organization_id: int) -> Organization:
    """Gets an organisation by id."""
    return get_or_404(session, Organization, organization_id, "Organisation")


# What `sort` may name (app.common.listing); the default is `id`.
ORGANIZATION_SORTS: Sorts = {
    "id": (col(Organization.id),),
    "code": (col(Organization.code), col(Organization.id)),
    "name": (col(Organization.name), col(Organization.id)),
}


def list_organizations(*, session: Session, parent_id: int | None, code: str | None = None, listing: Listing = Listing()):
    """Lists organisations, optionally the children of one."""
    stmt = select(Organization).order_by(col(Organization.id))
    if parent_id is not None:
        stmt = stmt.where(Organization.parent_id == parent_id)
    if code is not None:
        stmt = stmt.where(Organization.code == code)
    return page_of(session, stmt, listing, sorts=ORGANIZATION_SORTS, search=(col(Organization.name),))


def _ancestors_statement():
    """A recursive CTE with UNION (not UNION ALL): it stops by itself even if the data held a
    cycle, and has no depth limit. Built once (bind parameter `organization_id`): building it is
    most of its cost, and SQLAlchemy caches its compiled form."""
    org = Organization.__table__
    up = select(org.c.id, org.c.parent_id).where(org.c.id == bindparam("organization_id")).cte("up", recursive=True)
    # an explicit JOIN: with a WHERE instead, SQLAlchemy's FROM linter took the statement that embeds this
    # in a LATERAL subquery (app/targets/deps.py) for a cartesian product and warned at each compile
    up = up.union(select(org.c.id, org.c.parent_id).select_from(org.join(up, org.c.id == up.c.parent_id)))
    return select(up.c.id)


class _IdsText(FunctionElement[str]):
    """Integers joined with commas into one text value, the comma written into the SQL (SQLAlchemy's
    `aggregate_strings` sends its separator as a parameter rendered at each execution, which a
    `Prepared` statement, compiled once, hands back to SQLAlchemy)."""

    type = String()
    name = "ids_text"
    inherit_cache = True


@compiles(_IdsText, "postgresql")
def _ids_text_postgresql(element, compiler, **kw):
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


@compiles(_IdsText)
def _ids_text(element, compiler, **kw):  # SQLite
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


def _ancestors_in_one_column():
    """The ids of an organisation (bind parameter `organization_id`) and of those above it, as one text
    value ("7,3,1"; NULL when it does not exist): a scalar subquery another statement reads in the same
    round trip (POST a figure's target read, app/targets/deps.py). `above_of` makes it a set."""
    up = _ancestors_statement().subquery()
    return core_select(_IdsText(up.c.id)).scalar_subquery()


ANCESTORS_COLUMN = _ancestors_in_one_column()


def above_of(text: str | None) -> set[int]:
    """The set of ids an `ANCESTORS_COLUMN` value names (empty: no such organisation)."""
    return {int(part) for part in text.split(",")} if text else set()


def _subtree_statement():
    org = Organization.__table__
    down = select(org.c.id).where(org.c.id == bindparam("organization_id")).cte("down", recursive=True)
    down = down.union(select(org.c.id).where(org.c.parent_id == down.c.id))
    return select(down.c.id)


def _subtree_rows_statement():
    """The subtree with the columns the status needs, in one recursive query (a row is fixed by its id,
    so UNION still stops on cycles)."""
    org = Organization.__table__
    cols = (org.c.id, org.c.parent_id, org.c.code, org.c.is_reporting_unit, org.c.name)
    down = select(*cols).where(org.c.id == bindparam("organization_id")).cte("down_rows", recursive=True)
    down = down.union(select(*cols).where(org.c.parent_id == down.c.id))
    return select(down.c.id, down.c.parent_id, down.c.code, down.c.is_reporting_unit, down.c.name)


_ANCESTORS = Prepared(_ancestors_statement())
_SUBTREE = _subtree_statement()
_SUBTREE_ROWS = _subtree_rows_statement()


_TREE = table_of(OrganizationTreeVersion)
# The tree's version (OrganizationTreeVersion): a scalar subquery, so a status query reads it in the same round trip.
TREE_VERSION = core_select(_TREE.c.version).where(_TREE.c.id == 1).scalar_subquery()


def tree_version(session: Session) -> int | None:
    """The organisation tree's version now (None only if its row was deleted by hand: the next change
    of an organisation inserts it again, from the clock). Read it before reading the tree."""
    return session.execute(core_select(TREE_VERSION)).scalar()


def ancestors(session: Session, organization_id: int) -> set[int]:
    """Ids of the organisation itself and every organisation above it, in one query."""
    return {row[0] for row in _ANCESTORS.rows(session.connection(), {"organization_id": organization_id})}


def is_within(session: Session, organization_id: int, root_id: int) -> bool:
    """True when the organisation is root_id or one of its descendants."""
    return root_id in ancestors(session, organization_id)


def _check_code_free(session: Session, code: str, own_id: int | None = None) -> None:
    existing = session.exec(select(Organization.id).where(Organization.code == code)).first()
    if existing is not None and existing != own_id:
        raise Conflict(f"An organisation with code '{code}' already exists (id {existing}).")


def _check_parent(session: Session, parent_id: int | None, own_id: int | None = None) -> None:
    if parent_id is None:
        return
    if session.get(Organization, parent_id) is None:
        raise InvalidInput.from_fields("The parent does not exist.", {"parent_id": f"organisation {parent_id} does not exist"})
    if own_id is not None and own_id in ancestors(session, parent_id):
        raise InvalidInput.from_fields(
            "An organisation cannot sit under itself.", {"parent_id": "this parent would make a cycle"}
        )


def create_organization(*, session: Session, organization_in: OrganizationCreate) -> Organization:
    """Creates an organisation."""
    _check_code_free(session, organization_in.code)
    _check_parent(session, organization_in.parent_id)
    org = Organization.model_validate(organization_in)
    session.add(org)
    flush(session, f"Organisation '{organization_in.code}' could not be stored (duplicate code?).")
    session.refresh(org)
    return org


def update_organization(*, session: Session, organization: Organization, organization_in: OrganizationUpdate) -> Organization:
    """Changes the given fields of an organisation."""
    changes = organization_in.model_dump(exclude_unset=True)
    if changes.get("code"):
        _check_code_free(session, changes["code"], organization.id)
    if "parent_id" in changes:
        _check_parent(session, changes["parent_id"], organization.id)
    apply_patch(organization, changes, nullable={"parent_id"})
    session.add(organization)
    flush(session, "The organisation could not be updated (duplicate code?).")
    session.refresh(organization)
    return organization


def subtree(session: Session, organization_id: int) -> set[int]:
    """Ids of the organisation and every organisation under it, in one query (UNION stops on cycles)."""
    return set(session.execute(_SUBTREE, {"organization_id": organization_id}).scalars())


def subtree_rows(session: Session, organization_id: int) -> list:
    """(id, parent_id, code, is_reporting_unit, name) of the organisation and every one under it, in one query."""
    return list(session.execute(_SUBTREE_ROWS, {"organization_id": organization_id}).all())


def check_reporting_units(session: Session, organization_id: int, ids: list[int] | None) -> None:
    """A list of units expected to report must name organisations in the plan organisation's tree, once each (422)."""
    if not ids:
        return
    if len(set(ids)) != len(ids):
        raise InvalidInput.from_fields(
            "The list of reporting units is not valid.", {"reporting_unit_ids": "an organisation is named twice"}
        )
    outside = sorted(set(ids) - subtree(session, organization_id))
    if outside:
        raise InvalidInput.from_fields(
            "The list of reporting units is not valid.",
            {"reporting_unit_ids": f"not the plan's organisation or one under it: {', '.join(map(str, outside[:20]))}"},
        )
