"""Initial schema: organisation tree, plans, targets and their submissions.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 17:48:35.773800
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organization',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['organization.id'], name=op.f('fk_organization_parent_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization')),
    sa.UniqueConstraint('code', name=op.f('uq_organization_code'))
    )
    op.create_index(op.f('ix_organization_parent_id'), 'organization', ['parent_id'], unique=False)

    op.create_table('plan',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('adopted_date', sa.Date(), nullable=True),
    sa.Column('adopted_by', sa.String(length=500), nullable=False),
    sa.Column('theme', sa.String(length=500), nullable=False),
    sa.Column('source_text', sa.String(length=20000), nullable=False),
    sa.Column('source_url', sa.String(length=2000), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.String(length=20000), nullable=False),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_plan_period_order')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_plan_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sa.UniqueConstraint('code', name=op.f('uq_plan_code'))
    )
    op.create_index(op.f('ix_plan_organization_id'), 'plan', ['organization_id'], unique=False)

    op.create_table('target',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('title_en', sa.String(length=500), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('comparison', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('low', sa.Float(), nullable=True),
    sa.Column('high', sa.Float(), nullable=True),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('baseline_value', sa.Float(), nullable=True),
    sa.Column('baseline_date', sa.Date(), nullable=True),
    sa.Column('change_basis', sa.String(length=24), nullable=True),
    sa.Column('aggregation', sa.String(length=16), nullable=False),
    sa.Column('clause', sa.String(length=20000), nullable=False),
    sa.Column('notes', sa.String(length=20000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_target_plan_id_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target')),
    sa.UniqueConstraint('plan_id', 'code', name='uq_target_plan_id_code')
    )
    op.create_index(op.f('ix_target_plan_id'), 'target', ['plan_id'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('period_date', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=True),
    sa.Column('is_estimate', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=20000), nullable=False),
    sa.Column('evidence_url', sa.String(length=2000), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(value IS NOT NULL AND numerator IS NULL AND denominator IS NULL AND done IS NULL) OR (value IS NULL AND numerator IS NOT NULL AND denominator > 0 AND done IS NULL) OR (value IS NULL AND numerator IS NULL AND denominator IS NULL AND done IS NOT NULL)', name=op.f('ck_submission_one_figure')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_submission_organization_id_organization')),
    sa.ForeignKeyConstraint(['target_id'], ['target.id'], name=op.f('fk_submission_target_id_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    op.create_index(op.f('ix_submission_organization_id'), 'submission', ['organization_id'], unique=False)
    op.create_index('ix_submission_target_id_period_date', 'submission', ['target_id', 'period_date'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_submission_target_id_period_date', table_name='submission')
    op.drop_index(op.f('ix_submission_organization_id'), table_name='submission')

    op.drop_table('submission')
    op.drop_index(op.f('ix_target_plan_id'), table_name='target')

    op.drop_table('target')
    op.drop_index(op.f('ix_plan_organization_id'), table_name='plan')

    op.drop_table('plan')
    op.drop_index(op.f('ix_organization_parent_id'), table_name='organization')

    op.drop_table('organization')
