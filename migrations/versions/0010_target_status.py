"""A target's own status, stored (issue 17): `target_evaluation.target_payload`, the untrimmed judged
part `GET /targets/{id}/status` writes beside the plan views' trimmed one, under the same fingerprint.
Derived data: NULL (or any row deleted) only means the next read computes it again.

Revision ID: 0010_target_status
Revises: 0009_perf
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_target_status"
down_revision = "0009_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("target_evaluation") as batch:
        batch.add_column(sa.Column("target_payload", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("target_evaluation") as batch:
        batch.drop_column("target_payload")
