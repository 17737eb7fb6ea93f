"""`chitieu keys create|list|revoke`: keys from the command line (how the first admin key is made)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from app.auth import service
from app.auth.models import ApiKey, ApiKeyCreate, Role
from app.common.crud import transaction
from app.config import Settings
from app.db import make_engine
from app.errors import DomainError
from app.organizations.models import Organization

keys = typer.Typer(help="API keys: create (the key is printed once), list, revoke.", no_args_is_help=True)


def _session() -> Session:
    # audit events name "cli"; rows keep their values after the commit, to be printed
    return Session(make_engine(Settings()), info={"principal": service.CLI}, expire_on_commit=False)


@keys.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "admin",
    role: Annotated[Role, typer.Option(help="viewer, reporter, editor or admin.")] = Role.ADMIN,
    organization: Annotated[
        str | None, typer.Option(help="Code of the organisation the key acts for (required except for admin).")
    ] = None,
    expires_at: Annotated[datetime | None, typer.Option(help="When the key stops working (UTC).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the key (for scripts).")] = False,
) -> None:
    """Creates a key and prints it. It is shown this once; only its hash is stored."""
    with _session() as session:
        organization_id = None
        if organization is not None:
            organization_id = session.exec(select(Organization.id).where(Organization.code == organization)).first()
            if organization_id is None:
                typer.echo(f"error: no organisation has the code {organization!r}", err=True)
                raise typer.Exit(2)
        try:
            key_in = ApiKeyCreate(name=name, role=role, organization_id=organization_id, expires_at=expires_at)
            with transaction(session):
                key, secret = service.create_key(session=session, key_in=key_in, created_by=service.CLI)
        except (DomainError, ValueError) as exc:
            typer.echo(f"error: {getattr(exc, 'errors', None) or exc}", err=True)
            raise typer.Exit(2) from exc
    if quiet:
        typer.echo(secret)
        return
    typer.echo(f"created key {key.id} ({key.role}, {key.name!r}); it is shown only now:\n\n  {secret}\n")
    typer.echo(f"Use it as:  curl -H 'Authorization: Bearer {secret}' ...")


@keys.command("list")
def list_keys(include_revoked: Annotated[bool, typer.Option(help="Also list revoked keys.")] = False) -> None:
    """Lists keys (never the secrets)."""
    with _session() as session:
        stmt = select(ApiKey).order_by(col(ApiKey.id))
        if not include_revoked:
            stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
        for key in session.exec(stmt):
            state = "revoked" if key.revoked_at else ("expired" if service.expired(key) else "live")
            typer.echo(f"{key.id}\t{key.prefix}…\t{key.role}\torg={key.organization_id}\t{state}\t{key.name}")


@keys.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `chitieu keys list`).")]) -> None:
    """Revokes a key; it stops working at once."""
    with _session() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            typer.echo(f"error: no key {key_id}", err=True)
            raise typer.Exit(2)
        with transaction(session):
            service.revoke_key(session=session, key=key)
    typer.echo(f"key {key_id} revoked")
