"""A stored plan's judging settings as the engine sees them: row → `Rules`."""

from __future__ import annotations

from app.engine import Rules
from app.plans.models import Plan


def rules_of(plan: Plan) -> Rules:
    """The engine's judging settings for a plan."""
    return Rules(
        ceiling_exceed_margin=plan.ceiling_exceed_margin,
        near_miss_band=plan.near_miss_band,
        on_track_from=plan.on_track_from,
        at_risk_from=plan.at_risk_from,
        reporting_grace_days=plan.reporting_grace_days,
    )
