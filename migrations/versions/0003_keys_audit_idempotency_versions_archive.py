"""API keys, the audit trail, idempotency records, figure versions, archiving.

- api_key: keys stored as SHA-256 hashes, with role and organisation scope.
- audit_event: one row per change; on PostgreSQL a trigger refuses UPDATE and DELETE.
- idempotency_record: stored answers to retried POSTs.
- submission: kind / supersedes_id / root_id / reason for corrections and retractions;
  on PostgreSQL the same trigger makes the table append-only.
- plan, target: archived_at (DELETE archives; figures stay).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 02:00:19.489742
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


APPEND_ONLY = ("audit_event", "submission")


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_key_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=500), nullable=False),
    sa.Column('request_id', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_key_id'), ['actor_key_id'], unique=False)
        batch_op.create_index('ix_audit_event_entity_entity_id', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_organization_id'), ['organization_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.String(length=20000), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('owner', 'key', name='uq_idempotency_record_owner_key')
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_expires_at'), ['expires_at'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_key_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_key_id'], ['api_key.id'], name=op.f('fk_api_key_created_by_key_id_api_key')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_api_key_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='original', nullable=False))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('root_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=20000), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_submission_root_id'), ['root_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_submission_supersedes_id'), ['supersedes_id'])
        batch_op.create_foreign_key(batch_op.f('fk_submission_root_id_submission'), 'submission', ['root_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_submission_supersedes_id_submission'), 'submission', ['supersedes_id'], ['id'])

    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION chitieu_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION chitieu_append_only()"
            )



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION chitieu_append_only()")

    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_supersedes_id_submission'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_submission_root_id_submission'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_submission_supersedes_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_submission_root_id'))
        batch_op.drop_column('reason')
        batch_op.drop_column('root_id')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_organization_id'))

    op.drop_table('api_key')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_expires_at'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_organization_id'))
        batch_op.drop_index('ix_audit_event_entity_entity_id')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_key_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
