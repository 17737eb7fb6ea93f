"""Runs Alembic from code, so no alembic.ini is needed at the top level."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Brings the database schema up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Takes the database schema down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)


def schema_state(database_url: str) -> str:
    """Where the database's schema stands: "current" (at head), "empty" (no migration applied: a new
    database), "behind" (an older revision) or "unknown" (a revision these migrations do not know).

    Connects once; an unreachable or malformed URL raises SQLAlchemy's error (the CLI words it).
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(database_url))
    if current is None:
        return "empty"
    if current == script.get_current_head():
        return "current"
    known = {revision.revision for revision in script.walk_revisions()}
    return "behind" if current in known else "unknown"
