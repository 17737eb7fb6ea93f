"""Sentences for statuses, in Vietnamese and English. Pure: standard library only.

Vietnamese text writes numbers the Vietnamese way ("9.720", "17,4") and dates as
dd/mm/yyyy; English text uses "9,720", "17.4" and ISO dates. The engine passes
its own values in; this module never imports the engine, to keep one direction.
"""

from __future__ import annotations

from datetime import date


def format_number(x: float, lang: str = "vi", max_decimals: int = 2) -> str:
    """Formats a number for a sentence: 9720 → "9.720" (vi) / "9,720" (en)."""
    text = f"{x:,.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_date(d: date, lang: str = "vi") -> str:
    """30/06/2019 in Vietnamese, 2019-06-30 in English."""
    return d.strftime("%d/%m/%Y") if lang == "vi" else d.isoformat()


VERDICT_WORDS = {
    "exceeded": ("vượt chỉ tiêu", "exceeded"),
    "achieved": ("đạt chỉ tiêu", "achieved"),
    "not_achieved": ("không đạt chỉ tiêu", "not achieved"),
    "met_so_far": ("đến nay đã đạt mức chỉ tiêu", "met so far"),
    "not_yet_met": ("chưa đạt mức chỉ tiêu", "not yet met"),
    "no_data": ("chưa có số liệu", "no data"),
}


def _amount(x: float, unit: str, lang: str) -> str:
    number = format_number(x, lang)
    if not unit:
        return number
    return f"{number}{unit}" if unit.startswith("%") or unit == "‰" else f"{number} {unit}"


def criterion(spec, lang: str) -> str:
    """The target's condition in words, e.g. "trên 9.720 tấn" / "more than 9,720 tấn"."""
    kind, unit = str(spec.comparison), spec.unit
    if kind == "milestone":
        return "hoàn thành" if lang == "vi" else "done"
    if kind == "between":
        lo, hi = format_number(spec.low, lang), _amount(spec.high, unit, lang)
        return f"từ {lo} đến {hi}" if lang == "vi" else f"between {lo} and {hi}"
    amount = _amount(spec.value, unit, lang) if kind != "change" else ""
    tol = spec.tolerance
    tol_text = f" ± {format_number(tol, lang)}" if tol else ""
    words = {
        "at_least": ("từ {a} trở lên", "at least {a}"),
        "more_than": ("trên {a}", "more than {a}"),
        "at_most": ("không quá {a}", "at most {a}"),
        "less_than": ("dưới {a}", "less than {a}"),
        "approximately": ("khoảng {a}{t}", "about {a}{t}"),
        "equal": ("{a}", "exactly {a}"),
    }
    if kind == "change":
        base = _amount(spec.baseline_value, unit, lang)
        up = spec.value >= 0
        a = _amount(abs(spec.value), _change_unit(spec, lang), lang)
        if lang == "vi":
            return f"{'tăng' if up else 'giảm'} {a}{tol_text} so với mức cơ sở {base}"
        return f"{'an increase' if up else 'a decrease'} of {a}{tol_text} from the baseline {base}"
    vi, en = words[kind]
    return (vi if lang == "vi" else en).format(a=amount, t=tol_text)


def _change_unit(spec, lang: str) -> str:
    basis = str(spec.change_basis)
    if basis == "relative_percent":
        return "%"
    if basis == "percentage_points":
        return "điểm phần trăm" if lang == "vi" else "percentage points"
    return spec.unit


def describe(spec, ev) -> tuple[str, str]:
    """One sentence per language saying what was measured and what it means."""
    # Once the period is over, figures speak of its end, not of today.
    when = min(ev.as_of, spec.period_end)
    vi_when, en_when = format_date(when, "vi"), format_date(when, "en")
    title = spec.title or "Chỉ tiêu"
    title_en = spec.title_en or spec.title or "Target"
    verdict_vi, verdict_en = VERDICT_WORDS[str(ev.status)]
    crit_vi, crit_en = criterion(spec, "vi"), criterion(spec, "en")
    if str(ev.status) == "no_data":
        return (
            f"{title}: chưa có số liệu đến ngày {vi_when} (chỉ tiêu {crit_vi}).",
            f"{title_en}: no figure reported as of {en_when} (target: {crit_en}).",
        )
    if ev.done is not None:
        fig_vi = "đã hoàn thành" if ev.done else "chưa hoàn thành"
        fig_en = "done" if ev.done else "not done"
    else:
        fig_vi = _amount(ev.measured, spec.unit, "vi")
        fig_en = _amount(ev.measured, spec.unit, "en")
        if str(spec.comparison) == "change":
            fig_vi += f" (thay đổi {_amount(ev.compared, _change_unit(spec, 'vi'), 'vi')})"
            fig_en += f" (a change of {_amount(ev.compared, _change_unit(spec, 'en'), 'en')})"
    est_vi = ", số liệu ước" if ev.rests_on_estimate else ""
    est_en = ", on estimates" if ev.rests_on_estimate else ""
    return (
        f"{title}: {fig_vi} đến ngày {vi_when}{est_vi}; chỉ tiêu {crit_vi}: {verdict_vi}.",
        f"{title_en}: {fig_en} as of {en_when}{est_en}; target {crit_en}: {verdict_en}.",
    )


def headline(counts: dict[str, int], total: int, *, as_of: date, phase) -> tuple[str, str]:
    """The plan's one-line summary, as a committee's report would put it."""
    no_data = counts.get("no_data", 0)
    if str(phase) == "final":
        exceeded = counts.get("exceeded", 0)
        ok = exceeded + counts.get("achieved", 0)
        missed = counts.get("not_achieved", 0)
        vi = f"Đạt và vượt {ok}/{total} chỉ tiêu, trong đó {exceeded} chỉ tiêu vượt"
        en = f"{ok} of {total} targets achieved or exceeded, {exceeded} exceeded"
        if missed:
            vi += f"; {missed} chỉ tiêu không đạt"
            en += f"; {missed} not achieved"
    else:
        met = counts.get("met_so_far", 0)
        behind = counts.get("not_yet_met", 0)
        vi = f"Đến ngày {format_date(as_of, 'vi')}: {met}/{total} chỉ tiêu đã đạt mức đề ra, {behind} chỉ tiêu chưa đạt"
        en = f"As of {format_date(as_of, 'en')}: {met} of {total} targets met so far, {behind} not yet met"
    if no_data:
        vi += f"; {no_data} chỉ tiêu chưa có số liệu"
        en += f"; {no_data} without data"
    return vi, en
