"""Whether a target's definition is consistent: the one rule the API and the import ask. Stdlib only."""

from __future__ import annotations

from app.engine.types import TargetSpec
from app.engine.vocabulary import AcrossUnits, Aggregation, ChangeBasis, Comparison


def definition_errors(spec: TargetSpec) -> dict[str, str]:
    """Lists what makes a target definition inconsistent, by field name."""
    errors: dict[str, str] = {}
    kind = spec.comparison
    if spec.period_end < spec.period_start:
        errors["period_end"] = "the period ends before it starts"
    if kind == Comparison.BETWEEN:
        if spec.low is None or spec.high is None:
            errors["low" if spec.low is None else "high"] = "a 'between' target needs both low and high"
        elif spec.low > spec.high:
            errors["low"] = f"low ({spec.low:g}) is greater than high ({spec.high:g})"
        if spec.value is not None:
            errors["value"] = "a 'between' target uses low and high, not value"
    elif kind == Comparison.MILESTONE:
        for name in ("value", "low", "high", "tolerance", "baseline_value"):
            if getattr(spec, name) is not None:
                errors[name] = "a milestone is done or not done; it takes no numbers"
    else:
        if spec.value is None:
            errors["value"] = f"a '{kind}' target needs a value"
        for name in ("low", "high"):
            if getattr(spec, name) is not None:
                errors[name] = f"only 'between' targets take {name}"
    if kind == Comparison.CHANGE:
        if spec.baseline_value is None:
            errors["baseline_value"] = "a 'change' target needs a baseline value"
        if spec.change_basis is None:
            errors["change_basis"] = "a 'change' target needs a change basis"
        elif spec.change_basis == ChangeBasis.RELATIVE_PERCENT and spec.baseline_value == 0:
            errors["baseline_value"] = "a relative change cannot be measured from a baseline of 0"
        elif spec.change_basis == ChangeBasis.FACTOR and spec.baseline_value is not None and spec.baseline_value <= 0:
            errors["baseline_value"] = "a change by a factor needs a baseline above 0"
        elif spec.change_basis == ChangeBasis.FACTOR and spec.value is not None and spec.value <= 0:
            errors["value"] = "a factor must be above 0 (0.5 halves the baseline, 2 doubles it)"
    elif spec.change_basis is not None:
        errors["change_basis"] = "only 'change' targets take a change basis"
    if spec.tolerance is not None:
        if spec.tolerance < 0:
            errors["tolerance"] = "tolerance cannot be negative"
        elif kind not in (Comparison.APPROXIMATELY, Comparison.CHANGE):
            errors["tolerance"] = "only 'approximately' and 'change' targets take a tolerance"
    if kind == Comparison.MILESTONE and spec.aggregation != Aggregation.LATEST:
        errors["aggregation"] = "a milestone is judged on its latest report"
    if kind == Comparison.MILESTONE and spec.across_units not in (AcrossUnits.OWN, AcrossUnits.MIN, AcrossUnits.MAX):
        errors["across_units"] = (
            "a milestone takes own (the plan organisation's report), min (every unit done) or max (any unit done)"
        )
    if spec.may_exceed_whole and not spec.is_percentage:
        errors["may_exceed_whole"] = "only a percentage target is a share of a whole"
    checkpoints = sorted(spec.checkpoints, key=lambda c: c.on)
    if any(not spec.period_start <= c.on <= spec.period_end for c in checkpoints):
        errors["checkpoints"] = "every checkpoint must fall within the plan's period"
    elif any(not 0 <= c.share <= 100 for c in checkpoints):
        errors["checkpoints"] = "a checkpoint's share is a percentage from 0 to 100"
    elif any(b.share < a.share for a, b in zip(checkpoints, checkpoints[1:], strict=False)):
        errors["checkpoints"] = "shares must not fall from one checkpoint to the next"
    elif len({c.on for c in checkpoints}) != len(checkpoints):
        errors["checkpoints"] = "two checkpoints on the same date"
    elif any(c.on == spec.period_end and c.share != 100 for c in checkpoints):
        errors["checkpoints"] = "the whole goal is due on the period's last day: a checkpoint there must be 100"
    return errors
