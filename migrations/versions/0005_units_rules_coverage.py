"""Figures from many units: each target's rules over time and across units, percentages as a
property of the target, increments' own periods, and who is expected to report.

- target.across_units (own | sum | pooled_ratio | mean | min | max), target.is_percentage,
  target.may_exceed_whole, target.reporting_unit_ids (null: the plan's, else the default);
  target.aggregation (the rule over time) gains `cumulative` (a string column: no change).
- plan.reporting_unit_ids (null: the plan organisation's direct children marked as reporting units).
- organization.is_reporting_unit (default true).
- submission.period_start: the first day an increment covers (null: not given).
- target_evaluation.provisional: read with the status, for the headline's count.

Existing targets get the rules their data means (see `_rules_from_data`); figures are untouched
(the append-only tables are only added a nullable column).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('target', sa.Column('across_units', sa.String(length=16), server_default='own', nullable=False))
    op.add_column('target', sa.Column('is_percentage', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('target', sa.Column('may_exceed_whole', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('target', sa.Column('reporting_unit_ids', sa.JSON(), nullable=True))
    op.add_column('plan', sa.Column('reporting_unit_ids', sa.JSON(), nullable=True))
    op.add_column('organization', sa.Column('is_reporting_unit', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('submission', sa.Column('period_start', sa.Date(), nullable=True))
    op.add_column('target_evaluation', sa.Column('provisional', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Stored evaluations predate the rules: drop them (derived data, rebuilt on the next read).
    op.execute('DELETE FROM target_evaluation')
    _rules_from_data(op.get_bind())


def _rules_from_data(bind) -> None:
    """Gives each existing target the rules its figures mean.

    - is_percentage: the unit starts with '%' (how ratios were scaled until now);
    - may_exceed_whole: a stored ratio figure of it has numerator > denominator;
    - across_units: `own` when every figure comes from the plan's organisation (or there is none:
      then the figures the engine counted were that organisation's alone); otherwise what the old
      engine did with several organisations: ratios pooled (`pooled_ratio`), sums added (`sum`),
      means, maxima and minima over everything (`mean`, `max`, `min`); milestones any unit done
      (`max`); several units' latest plain values, which it reduced to one arbitrary figure, are
      added (`sum`), or averaged for a percentage (`mean`).
    """
    targets = bind.execute(sa.text(
        "SELECT t.id, t.unit, t.aggregation, t.comparison, p.organization_id FROM target t JOIN plan p ON p.id = t.plan_id"
    )).all()
    for tid, unit, aggregation, comparison, plan_org in targets:
        percent = (unit or '').strip().startswith('%')
        figures = bind.execute(sa.text(
            "SELECT organization_id, numerator, denominator FROM submission WHERE target_id = :t"
        ), {"t": tid}).all()
        ratios = [f for f in figures if f.numerator is not None and f.denominator is not None]
        over_whole = percent and any(f.numerator > f.denominator for f in ratios)
        if all(f.organization_id == plan_org for f in figures):
            across = 'own'
        elif comparison == 'milestone':
            across = 'max'
        elif ratios:
            across = 'pooled_ratio'
        elif aggregation in ('sum', 'mean', 'max', 'min'):
            across = aggregation
        else:
            across = 'mean' if percent else 'sum'
        bind.execute(sa.text(
            "UPDATE target SET across_units = :a, is_percentage = :p, may_exceed_whole = :w WHERE id = :t"
        ), {"a": across, "p": percent, "w": over_whole, "t": tid})


def downgrade() -> None:
    op.drop_column('target_evaluation', 'provisional')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('period_start')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('is_reporting_unit')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('reporting_unit_ids')
    with op.batch_alter_table('target', schema=None) as batch_op:
        for name in ('reporting_unit_ids', 'may_exceed_whole', 'is_percentage', 'across_units'):
            batch_op.drop_column(name)
