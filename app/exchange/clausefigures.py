"""A clause's figures set on its draft target: value or range, unit and magnitude, ambiguous readings
settled (`resolve_reading`), and a change stated with the level it reaches or by a factor.

Pure: standard library only. `clause` reads the clause and calls these; the rules are listed in
`app.exchange.parser`.
"""

from __future__ import annotations

from app.engine import ChangeBasis, Comparison, Direction
from app.exchange.draft import Draft, default_direction
from app.exchange.vnnumbers import FoundNumber, fold, format_en


def set_figures(draft: Draft, first: FoundNumber, last: FoundNumber, mode: str) -> None:
    """Sets value or low/high and the unit, resolving ambiguous readings."""
    unit = last.unit or first.unit
    draft.unit = "%" if unit == "%/năm" else unit
    for n in {id(first): first, id(last): last}.values():
        if n.reason.startswith(("'.' read as", "integer with leading", "English")):
            draft.notes.append(f"{n.token}: {n.reason}.")
            draft.cap(0.9)
    if mode == "range":
        draft.low, draft.high = resolve_reading(draft, first, unit), resolve_reading(draft, last, unit)
        if draft.low > draft.high:
            draft.low, draft.high = draft.high, draft.low
            draft.warn("The range was written high to low; it was read as low to high.", 0.6)
    elif mode == "fraction":
        if first.value == first.denominator:
            draft.value, draft.unit = 100.0, "%"
            draft.notes.append(
                f"{first.token} {first.unit}: all of them (numerator {first.value:g}, "
                f"denominator {first.denominator:g}).".replace("  ", " ")
            )
        else:
            draft.value = first.value
            draft.notes.append(f"{first.token} {first.unit}: {first.value:g} of {first.denominator:g}.")
    else:
        draft.value = resolve_reading(draft, last, unit)
    scale(draft, last if last.unit else first)


MONEY = ("đồng", "USD")


def scale(draft: Draft, n: FoundNumber) -> None:
    """'3,5 vạn tấn' is 35,000 tấn: a magnitude word scales a count or a quantity; money keeps its unit
    as plans state it ('70 triệu đồng', '1.250 tỷ đồng'), and so does a magnitude with no unit after it."""
    base = n.base_unit
    if not n.magnitude or not base or base.split("/")[0] in MONEY or draft.unit != n.unit:
        return
    factor = 10**n.magnitude
    for name in ("value", "low", "high"):
        x = getattr(draft, name)
        if x is not None:
            setattr(draft, name, round(x * factor, 6))
    figure = draft.value if draft.value is not None else draft.high
    if figure is not None:
        draft.notes.append(f"'{n.unit}': the magnitude word scales the figure ({n.token} {n.unit} = {format_en(figure)} {base}).")
    draft.unit = base


def resolve_reading(draft: Draft, n: FoundNumber, unit: str) -> float:
    """The value of a figure; an ambiguous one is settled by its unit or kept as decimal with a warning."""
    if not n.ambiguous:
        if n.value is None:  # not a figure: the candidates are figures or ambiguous ones
            raise ValueError(f"'{n.token}' is not a figure")
        return n.value
    decimal, grouped = n.readings
    limit = 100 if unit.startswith("%") else 1000 if unit == "‰" else None
    if limit and decimal <= limit < grouped:
        draft.notes.append(f"'{n.token}' read as {decimal:g}: {grouped:g}{unit} is not a plausible share.")
        draft.cap(0.8)
        return decimal
    draft.warn(
        f"'{n.token}' is ambiguous: {decimal:g} (Vietnamese decimal comma) or {grouped:g} (English-style "
        f"thousands separator); the decimal reading is kept until someone checks.",
        0.4,
    )
    return decimal


def explicit_change(draft: Draft, change: str, amount: FoundNumber, level: FoundNumber) -> bool:
    """'giảm 1,5% (còn 3,2%)': a change whose baseline follows from the level reached; False if none can."""
    sign = -1.0 if "giảm" in fold(change) else 1.0
    if draft.value is None or level.value is None:
        return False
    x, y = abs(draft.value), level.value
    if amount.unit == "lần":  # "tăng 1,5 lần (đạt 3.000 tỷ đồng)": the baseline is the level over the factor
        factor = 1 / x if sign < 0 and x else x
        if not factor or y <= 0:
            return False
        factor_change(draft, change, baseline=round(y / factor, 6), unit=level.unit)
        draft.notes.append(f"Baseline derived from the level reached ({format_en(y)} {level.unit}).")
        return True
    relative = amount.unit == "%" and level.unit != "%"
    if relative and (1 + sign * x / 100 == 0 or y == 0):
        draft.warn("The level reached gives no usable baseline for a relative change.", 0.5)
        return False
    draft.comparison = Comparison.CHANGE
    if amount.unit in ("%", "điểm phần trăm") and level.unit == "%":
        draft.change_basis, draft.baseline_value, draft.unit = ChangeBasis.PERCENTAGE_POINTS, round(y - sign * x, 6), "%"
        if amount.unit == "%":
            draft.warn(
                f"'%' is read as percentage points, since the level reached ({format_en(y)}%) is itself a "
                f"percentage; a relative change of {format_en(x)}% is the other reading.",
                0.6,
            )
    elif relative:
        draft.change_basis, draft.unit = ChangeBasis.RELATIVE_PERCENT, level.unit
        draft.baseline_value = round(y / (1 + sign * x / 100), 6)
    else:
        draft.change_basis, draft.unit = ChangeBasis.ABSOLUTE, level.unit or amount.unit
        draft.baseline_value = round(y - sign * x, 6)
    draft.value = sign * x
    draft.direction = default_direction(Comparison.CHANGE, draft.value)
    draft.notes.append(f"Baseline derived from the level reached ({format_en(y)} {level.unit}).".replace(" %", "%"))
    draft.cap(0.8)
    return True


def factor_change(draft: Draft, change: str, baseline: float | None = None, unit: str = "") -> None:
    """'tăng 1,6 lần so với năm 2020', 'gấp 2 lần': a change by a factor of the baseline ('giảm 2 lần': 0.5)."""
    verb = fold(change)
    falling = "giảm" in verb
    x = draft.value
    if x is None:  # called for a single figure, always read by then
        raise ValueError("a change by a factor without its figure")
    draft.comparison, draft.change_basis = Comparison.CHANGE, ChangeBasis.FACTOR
    draft.value = round(1 / x, 6) if falling and x else x
    draft.unit, draft.baseline_value = unit, baseline
    draft.direction = Direction.LOWER_IS_BETTER if falling else Direction.HIGHER_IS_BETTER
    shown = format_en(x)
    draft.notes.append(
        f"'{change} {shown} lần': a change by a factor: the figure reported is the level, judged "
        f"as level / baseline against {format_en(draft.value)}."
    )
    if baseline is None:
        draft.warn(
            "A change by a factor whose baseline (the level it is compared with) is not in the text: set "
            "baseline_value before storing it.",
            0.6,
        )
    if "gấp" not in verb and not falling:
        draft.warn(
            f"'{change} {shown} lần' usually means the level becomes {shown} times the baseline (read so), "
            f"but can be read as rising by {shown} times it (to {format_en(x + 1)} times).",
            0.55,
        )
