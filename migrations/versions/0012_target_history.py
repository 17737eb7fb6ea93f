"""A target's history, stored (issue 17): `target_evaluation.history_payload`, the JSON answer of
`GET /targets/{id}/history` (zlib-compressed) beside the evaluation of the same target and date, under
the same fingerprint. Derived data: NULL (or any row deleted) only means the next read computes it again.

Revision ID: 0012_target_history
Revises: 0011_organization_tree
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_target_history"
down_revision = "0011_organization_tree"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("target_evaluation") as batch:
        batch.add_column(sa.Column("history_payload", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("target_evaluation") as batch:
        batch.drop_column("history_payload")
