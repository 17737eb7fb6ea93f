"""Stored per-target evaluations (a disposable cache of the plan status) and the index that
fingerprints them.

- target_evaluation: one target's evaluation on one as_of, with the fingerprint of what it was
  computed from (app/status/cache.py). Derived data: dropping it, or any row of it, loses
  nothing; rows go with their target (ON DELETE CASCADE).
- submission (target_id, id): the largest submission id per target in one index probe.
- target_figures and, on PostgreSQL, the trigger that counts each target's inserted figures in
  the inserting transaction (ids may commit out of order there; see app/status/cache.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('target_evaluation',
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['target.id'], name=op.f('fk_target_evaluation_target_id_target'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('target_id', 'as_of', name=op.f('pk_target_evaluation'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_target_id_id', ['target_id', 'id'], unique=False)
    op.create_table('target_figures',
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['target.id'], name=op.f('fk_target_figures_target_id_target'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('target_id', name=op.f('pk_target_figures'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # One statement-level trigger: an import of 20,000 rows costs one upsert per target, not per row.
        op.execute(
            """
            CREATE FUNCTION chitieu_count_target_figures() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO target_figures (target_id, version)
                SELECT target_id, count(*) FROM inserted GROUP BY target_id ORDER BY target_id
                ON CONFLICT (target_id) DO UPDATE SET version = target_figures.version + EXCLUDED.version;
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER submission_counts_target_figures AFTER INSERT ON submission "
            "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION chitieu_count_target_figures()"
        )
        # Targets that already have figures start from their count.
        op.execute(
            "INSERT INTO target_figures (target_id, version) SELECT target_id, count(*) FROM submission GROUP BY target_id"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS submission_counts_target_figures ON submission")
        op.execute("DROP FUNCTION IF EXISTS chitieu_count_target_figures()")
    op.drop_table('target_figures')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_target_id_id')
    op.drop_table('target_evaluation')
