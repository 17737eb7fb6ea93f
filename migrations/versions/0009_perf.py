"""The plan status by organisation, stored (issue 17): one row per plan, date and language, with the
fingerprint of what it was computed from (app/status/cache.py PlanOrganizationStatus). Derived
data, like target_evaluation: dropping any row loses nothing; rows go with their plan.

Revision ID: 0009_perf
Revises: 0008_webhooks (written on 0006_hardening; re-chained after approval and webhooks at the merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_perf"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_organization_status",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_organization_status_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "as_of", "lang", name=op.f("pk_plan_organization_status")),
    )


def downgrade() -> None:
    op.drop_table("plan_organization_status")
