"""Pace and judging settings on plans, checkpoints and reporting frequency on targets,
and the committee's recorded assessments.

New NOT NULL columns carry server defaults so that existing rows get the documented defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:47:29.152530
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=20000), nullable=False),
    sa.Column('assessed_by', sa.String(length=500), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['target.id'], name=op.f('fk_assessment_target_id_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_target_id'), ['target_id'], unique=False)

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ceiling_exceed_margin', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('near_miss_band', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('on_track_from', sa.Float(), server_default=sa.text('0.95'), nullable=False))
        batch_op.add_column(sa.Column('at_risk_from', sa.Float(), server_default=sa.text('0.85'), nullable=False))
        batch_op.add_column(sa.Column('reporting_grace_days', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkpoints', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('frequency', sa.String(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_column('frequency')
        batch_op.drop_column('checkpoints')

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('reporting_grace_days')
        batch_op.drop_column('at_risk_from')
        batch_op.drop_column('on_track_from')
        batch_op.drop_column('near_miss_band')
        batch_op.drop_column('ceiling_exceed_margin')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_target_id'))

    op.drop_table('assessment')
