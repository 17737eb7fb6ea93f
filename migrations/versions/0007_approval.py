"""Approval of figures (issue 14): a plan setting, each version's review state on entry, and the reviews.

- plan.approval_required (default false: every figure counts as it arrives, as before).
- submission.review ('approved' | 'submitted', default 'approved': every stored figure counted, so
  it stays approved) and submission.sent_by_key_id (null for older rows). Columns added, never a
  rebuild: the append-only triggers of 0006_hardening stay in place.
- submission_review: an approval or a return of one submitted version (submission_id UNIQUE:
  reviewed once), append-only like `submission` (the same triggers on both databases, TRUNCATE
  refused on PostgreSQL). On PostgreSQL its inserts also move the target's `target_figures.version`
  (the function of 0004), so the stored plan evaluations see a review that commits out of id order.

Revision ID: 0007_approval
Revises: 0006_hardening
"""

from alembic import op
import sqlalchemy as sa

revision = "0007_approval"
down_revision = "0006_hardening"
branch_labels = None
depends_on = None

SQLITE_OPERATIONS = ("UPDATE", "DELETE")


def _guard(table: str, dialect: str) -> None:
    """The append-only guard of 0003/0006 on `table`."""
    if dialect == "sqlite":
        for operation in SQLITE_OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {table}_append_only_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: {operation} refused'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION chitieu_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION chitieu_append_only()"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("plan", sa.Column("approval_required", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("submission", sa.Column("review", sa.String(length=16), server_default="approved", nullable=False))
    op.add_column("submission", sa.Column("sent_by_key_id", sa.Integer(), nullable=True))
    op.create_table(
        "submission_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=20000), nullable=False),
        sa.Column("reviewed_by_key_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('approved', 'returned')", name=op.f("ck_submission_review_review_action")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_submission_review_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_submission_review_submission_id_submission")
        ),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"], name=op.f("fk_submission_review_target_id_target")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_review")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_submission_review_submission_id")),
    )
    op.create_index("ix_submission_review_target_id_id", "submission_review", ["target_id", "id"], unique=False)
    _guard("submission_review", dialect)
    if dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER submission_review_counts_target_figures AFTER INSERT ON submission_review "
            "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION chitieu_count_target_figures()"
        )
    # Stored evaluations are fingerprinted without the reviews so far: drop them (derived data).
    op.execute("DELETE FROM target_evaluation")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_submission_review_target_id_id", table_name="submission_review")
    op.drop_table("submission_review")  # its triggers go with it
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("sent_by_key_id")
        batch_op.drop_column("review")
    if dialect == "sqlite":
        # The batch rebuilt `submission` (copy, drop, rename): its guard went with the old table.
        for operation in SQLITE_OPERATIONS:
            op.execute(f"DROP TRIGGER IF EXISTS submission_append_only_{operation.lower()}")
        _guard("submission", dialect)
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("approval_required")
    op.execute("DELETE FROM target_evaluation")
