"""API key use cases: create (secret shown once), who a key is (live, its use noted), list, revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.auth.models import ApiKey, ApiKeyCreate, Role
from app.common.crud import flush
from app.common.listing import Listing, Sorts, page_of
from app.common.models import as_utc, table_of, utcnow
from app.errors import InvalidInput
from app.organizations.models import Organization

KEY_PREFIX = "ct_"
# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name, role and organisation scope (None: everywhere, admins only)."""

    key_id: int | None
    name: str
    role: Role
    organization_id: int | None

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank


# The command line acts with full rights; audit events name it "cli".
CLI = Principal(key_id=None, name="cli", role=Role.ADMIN, organization_id=None)


def create_key(*, session: Session, key_in: ApiKeyCreate, created_by: Principal | None) -> tuple[ApiKey, str]:
    """Stores a new key and returns it with the secret (the only time the secret exists)."""
    problems: dict[str, str] = {}
    if key_in.role != Role.ADMIN and key_in.organization_id is None:
        problems["organization_id"] = f"a {key_in.role.value} key acts for an organisation: give organization_id"
    if key_in.organization_id is not None and session.get(Organization, key_in.organization_id) is None:
        problems["organization_id"] = f"organisation {key_in.organization_id} does not exist"
    if key_in.expires_at is not None and key_in.expires_at <= utcnow():
        problems["expires_at"] = "must be in the future"
    if problems:
        raise InvalidInput.from_fields("The key cannot be created.", problems)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=key_in.name,
        prefix=secret[:11],
        key_hash=hash_key(secret),
        role=key_in.role.value,
        organization_id=key_in.organization_id,
        expires_at=key_in.expires_at,
        created_by_key_id=created_by.key_id if created_by else None,
    )
    session.add(key)
    flush(session, "The key could not be stored.")
    session.refresh(key)
    return key, secret


_K = table_of(ApiKey)
# The columns `live` and `principal_of` read: a key read with them is a row, not an ORM entity.
KEY_COLUMNS = (_K.c.id, _K.c.name, _K.c.role, _K.c.organization_id, _K.c.revoked_at, _K.c.expires_at, _K.c.last_used_at)
_NOTE_USE = update(_K).where(_K.c.id == bindparam("key_id")).values(last_used_at=bindparam("now"))


def live(key, now: datetime) -> Any:
    """The key row (`KEY_COLUMNS`) if it is live, else None: unknown, revoked or expired."""
    if key is None or key.revoked_at is not None or (key.expires_at is not None and as_utc(key.expires_at) <= now):
        return None
    return key


def use_due(key, now: datetime) -> bool:
    """Whether the key's use is to be noted (`note_use`): at most once a minute."""
    return key.last_used_at is None or now - as_utc(key.last_used_at) >= LAST_USED_RESOLUTION


def note_use(session: Session, key_id: int, now: datetime) -> None:
    """Notes the key's use (a quiet update: no audit event), in the caller's transaction."""
    session.execute(_NOTE_USE, {"key_id": key_id, "now": now})


def principal_of(key) -> Principal:
    return Principal(key_id=key.id, name=key.name, role=Role(key.role), organization_id=key.organization_id)


# What `sort` may name (app.common.listing); the default is `id`.
KEY_SORTS: Sorts = {
    "id": (col(ApiKey.id),),
    "name": (col(ApiKey.name), col(ApiKey.id)),
    "created_at": (col(ApiKey.created_at), col(ApiKey.id)),
}


def list_keys(*, session: Session, include_revoked: bool, listing: Listing = Listing()):
    stmt = select(ApiKey).order_by(col(ApiKey.id))
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
    return page_of(session, stmt, listing, sorts=KEY_SORTS, search=(col(ApiKey.name),))


def revoke_key(*, session: Session, key: ApiKey) -> ApiKey:
    """Revokes a key (idempotent: revoking twice keeps the first time)."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        flush(session, "The key could not be revoked.")
        session.refresh(key)
    return key


def expired(key: ApiKey, now: datetime | None = None) -> bool:
    return key.expires_at is not None and as_utc(key.expires_at) <= (now or utcnow())
