"""The organisation tree's version (issue 17, national scale): `organization_tree`, one row whose
`version` changes with every insert, update or delete of `organization` (and TRUNCATE on
PostgreSQL), kept by triggers in the changing transaction. The stored status answers fingerprint
it instead of reading and hashing the whole tree on each request (app/organizations/models.py
OrganizationTreeVersion). A missing row is inserted again from the clock, so no value comes back.

SQLite: row triggers (it has no statement triggers); a later batch rebuild of `organization` drops
them and must create them again.

Revision ID: 0011_organization_tree
Revises: 0010_target_status
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_organization_tree"
down_revision = "0010_target_status"
branch_labels = None
depends_on = None

_SQLITE_BUMP = (
    "INSERT INTO organization_tree (id, version) "
    "VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)) "
    "ON CONFLICT (id) DO UPDATE SET version = version + 1;"
)


def upgrade() -> None:
    op.create_table(
        "organization_tree",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_tree")),
    )
    op.execute("INSERT INTO organization_tree (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        # One statement trigger: a statement changing many organisations moves the version once.
        op.execute(
            """
            CREATE FUNCTION chitieu_organization_tree_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO organization_tree (id, version)
                VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
                ON CONFLICT (id) DO UPDATE SET version = organization_tree.version + 1;
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER organization_changes_tree AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organization "
            "FOR EACH STATEMENT EXECUTE FUNCTION chitieu_organization_tree_changed()"
        )
    else:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER organization_changes_tree_{operation.lower()} AFTER {operation} ON organization "
                f"FOR EACH ROW BEGIN {_SQLITE_BUMP} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS organization_changes_tree ON organization")
        op.execute("DROP FUNCTION IF EXISTS chitieu_organization_tree_changed()")
    else:
        for operation in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS organization_changes_tree_{operation}")
    op.drop_table("organization_tree")
