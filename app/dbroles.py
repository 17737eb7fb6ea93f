"""PostgreSQL: the API's role, which does not own the tables.

The append-only guard (triggers refusing UPDATE, DELETE and TRUNCATE of `submission` and
`audit_event`) binds every role but the tables' owner, who may disable triggers
(`ALTER TABLE ... DISABLE TRIGGER`) and, as a superuser, `SET session_replication_role =
replica`. So in production the owner only migrates (MIGRATION_DATABASE_URL) and the API
connects as another role (DATABASE_URL), granted here what it needs and no more:

- USAGE on the schema;
- SELECT and INSERT only on the append-only tables (`submission`, `audit_event`);
- SELECT, INSERT, UPDATE, DELETE on every other table of the schema but `alembic_version`
  (SELECT only there);
- USAGE and SELECT on the schema's sequences (ids; the bulk insert takes ids from them).
No TRUNCATE, no ownership, no DDL. `chitieu migrate` calls `grant_api_role` after upgrading
when DATABASE_APP_ROLE is set (new tables need their grants after each migration);
`chitieu grant ROLE` does it alone. docs/ARCHITECTURE.md, "Database roles".
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY = ("submission", "submission_review", "audit_event")
READ_ONLY = ("alembic_version",)


def _ident(conn: Connection, name: str) -> str:
    return conn.execute(text("SELECT quote_ident(:name)"), {"name": name}).scalar_one()


def grant_api_role(conn: Connection, role: str, schema: str | None = None) -> list[str]:
    """Grants `role` the API's privileges on `schema` (default: the connection's current schema).

    Returns the tables granted. Run by the tables' owner, in a transaction.
    """
    if conn.dialect.name != "postgresql":
        raise ValueError("database roles are PostgreSQL's; SQLite has none")
    schema = schema or conn.execute(text("SELECT current_schema()")).scalar_one()
    who, where = _ident(conn, role), _ident(conn, schema)
    tables = (
        conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"), {"schema": schema})
        .scalars()
        .all()
    )
    conn.execute(text(f"GRANT USAGE ON SCHEMA {where} TO {who}"))
    for table in tables:
        name = f"{where}.{_ident(conn, table)}"
        conn.execute(text(f"REVOKE ALL ON {name} FROM {who}"))
        if table in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        elif table in READ_ONLY:
            privileges = "SELECT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        conn.execute(text(f"GRANT {privileges} ON {name} TO {who}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}"))
    return list(tables)
