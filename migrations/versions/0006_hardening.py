"""Append-only, enforced everywhere: SQLite gets the guard PostgreSQL had; PostgreSQL refuses TRUNCATE too.

- SQLite: triggers that raise on UPDATE and DELETE of `submission` and `audit_event` (INSERT is
  untouched). Generic (no column named), so columns added later need no change here. Note:
  a batch migration that REBUILDS one of these tables on SQLite (copy, drop, rename) drops its
  triggers with the old table; tests/security/test_append_only.py checks they exist at head.
- PostgreSQL: a BEFORE TRUNCATE trigger on both tables (the row triggers of 0003 do not fire on
  TRUNCATE). The role that owns the tables can still disable triggers (ALTER TABLE ... DISABLE
  TRIGGER): run the API as a role that does not own them (docs/ARCHITECTURE.md, "Database roles").

Emptying these tables is a maintenance act of the owner: app/maintenance.py `empty_tables` lifts
the guard inside one transaction (the test fixtures use it).

Revision ID: 0006_hardening
Revises: 0005 (re-chained after 0005 at merge)
"""

from alembic import op

revision = "0006_hardening"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_event", "submission")
SQLITE_OPERATIONS = ("UPDATE", "DELETE")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for operation in SQLITE_OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: {operation} refused'); END"
                )
        elif dialect == "postgresql":
            # chitieu_append_only() (0003) raises naming TG_TABLE_NAME and TG_OP: it serves statement triggers too.
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION chitieu_append_only()"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for operation in SQLITE_OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_{operation.lower()}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
