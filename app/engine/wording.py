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
    "basically_achieved": ("cơ bản đạt", "basically achieved"),
    "not_achieved": ("không đạt chỉ tiêu", "not achieved"),
    "achieved_early": ("đã đạt trước thời hạn", "achieved early"),
    "on_track": ("đúng tiến độ", "on track"),
    "at_risk": ("có nguy cơ không đạt", "at risk"),
    "off_track": ("chậm tiến độ", "off track"),
    "no_data": ("chưa có số liệu", "no data"),
}

METHOD_WORDS = {
    "linear": ("theo tốc độ hiện tại", "at the current rate"),
    "checkpoints": ("theo các mốc tiến độ", "along the checkpoints"),
    "trend": ("theo xu hướng các kỳ báo cáo", "on the trend of the reports"),
    "last_value": ("giữ mức hiện tại", "holding the current level"),
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
    if kind == "change" and str(spec.change_basis) == "factor":
        base, times = _amount(spec.baseline_value, unit, lang), format_number(spec.value, lang)
        return f"gấp {times} lần mức cơ sở {base}{tol_text}" if lang == "vi" else f"{times} times the baseline {base}{tol_text}"
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
    if basis == "factor":
        return "lần" if lang == "vi" else "times"
    return spec.unit


AGGREGATION_WORDS = {  # over time, within one unit, as a report would name it
    "sum": ("tổng các kỳ", "increments added up"),
    "cumulative": ("lũy kế", "to date"),
    "mean": ("bình quân các kỳ", "mean over time"),
    "max": ("cao nhất trong kỳ", "highest in the period"),
    "min": ("thấp nhất trong kỳ", "lowest in the period"),
}


def _units_phrase(spec, ev) -> tuple[str, str]:
    """How the figure was made from units: "cộng dồn 3 đơn vị", "tỷ lệ gộp 45/70", ...; empty for one unit's own figure."""
    across, n = str(spec.across_units), ev.counted_units
    over_vi, over_en = AGGREGATION_WORDS.get(str(spec.aggregation), ("", ""))
    parts_vi, parts_en = [], []
    if across == "own" or ev.root_alone:  # the organisation's own figure: nothing was combined across units
        if ev.context_units:
            parts_vi.append(f"số của cấp mình; số của {ev.context_units} đơn vị khác chỉ để tham khảo")
            other = "other unit's figure" if ev.context_units == 1 else "other units' figures"
            parts_en.append(f"the organisation's own figure; {ev.context_units} {other} shown as context only")
    elif ev.pooled is not None:
        num, den = ev.pooled
        parts_vi.append(f"tỷ lệ gộp {format_number(num, 'vi')}/{format_number(den, 'vi')} của {n} đơn vị")
        parts_en.append(f"pooled ratio {format_number(num, 'en')}/{format_number(den, 'en')} of {n} {of_count(n, 'unit')}")
    elif n:
        word = {
            "sum": ("cộng dồn", "sum of"),
            "mean": ("bình quân", "mean of"),
            "max": ("cao nhất trong", "highest of"),
            "min": ("thấp nhất trong", "lowest of"),
            "pooled_ratio": ("số của", "figure of"),
        }[across]
        parts_vi.append(f"{word[0]} {n} đơn vị")
        parts_en.append(f"{word[1]} {n} {of_count(n, 'unit')}")
    if over_vi:
        parts_vi.append(over_vi)
        parts_en.append(over_en)
    if across != "own" and ev.context_units:
        parts_vi.append(f"{ev.context_units} đơn vị có số liệu đã nằm trong số của cấp trên")
        parts_en.append(f"{ev.context_units} {of_count(ev.context_units, 'unit')} covered by a higher level's figure")
    if not parts_vi:
        return "", ""
    return f" ({'; '.join(parts_vi)})", f" ({'; '.join(parts_en)})"


def of_count(count: int, word: str) -> str:
    """English: the noun after a count, singular for exactly one ("0 of 1 target", "3 of 12 targets")."""
    return word if count == 1 else word + "s"


def _provisional(ev) -> tuple[str, str]:
    if not ev.provisional:
        return "", ""
    c = ev.coverage
    return (
        f" (tạm tính: {c.reported}/{c.expected} đơn vị đã báo cáo)",
        f" (provisional: {c.reported} of {c.expected} {of_count(c.expected, 'unit')} reported)",
    )


def describe(spec, ev) -> tuple[str, str]:
    """One sentence per language saying what was measured, what was due, where it heads, and the verdict."""
    # Once the period is over, figures speak of its end, not of today.
    when = min(ev.as_of, spec.period_end)
    vi_when, en_when = format_date(when, "vi"), format_date(when, "en")
    title = spec.title or "Chỉ tiêu"
    title_en = spec.title_en or spec.title or "Target"
    verdict_vi, verdict_en = VERDICT_WORDS[str(ev.status)]
    crit_vi, crit_en = criterion(spec, "vi"), criterion(spec, "en")
    overdue_vi = overdue_en = ""
    if ev.overdue_since is not None:
        overdue_vi = f" Quá hạn báo cáo {ev.overdue_days} ngày (kỳ đến {format_date(ev.overdue_since, 'vi')})."
        overdue_en = f" Report overdue by {ev.overdue_days} days (due {format_date(ev.overdue_since, 'en')})."
    if not ev.started:
        start_vi, start_en = format_date(spec.period_start, "vi"), format_date(spec.period_start, "en")
        return (
            f"{title}: chưa bắt đầu kỳ thực hiện (bắt đầu từ {start_vi}; chỉ tiêu {crit_vi}).",
            f"{title_en}: the period has not started (it starts on {start_en}; target: {crit_en}).",
        )
    if str(ev.status) == "no_data":
        context_vi = context_en = ""
        if ev.context_units:
            context_vi = f" {ev.context_units} đơn vị khác có số liệu, chỉ để tham khảo."
            units = "other unit reported a figure" if ev.context_units == 1 else "other units reported figures"
            context_en = f" {ev.context_units} {units}, shown as context only."
        return (
            f"{title}: chưa có số liệu đến ngày {vi_when} (chỉ tiêu {crit_vi}).{context_vi}{overdue_vi}",
            f"{title_en}: no figure reported as of {en_when} (target: {crit_en}).{context_en}{overdue_en}",
        )
    if ev.done is not None:
        fig_vi = "đã hoàn thành" if ev.done else "chưa hoàn thành"
        fig_en = "done" if ev.done else "not done"
    else:
        fig_vi, fig_en = _amount(ev.measured, spec.unit, "vi"), _amount(ev.measured, spec.unit, "en")
        if str(spec.comparison) == "change":
            fig_vi += f" (thay đổi {_amount(ev.compared, _change_unit(spec, 'vi'), 'vi')})"
            fig_en += f" (a change of {_amount(ev.compared, _change_unit(spec, 'en'), 'en')})"
    units_vi, units_en = _units_phrase(spec, ev)
    est_vi = ", số liệu ước" if ev.rests_on_estimate else ""
    est_en = ", on estimates" if ev.rests_on_estimate else ""
    pace_vi = pace_en = ""
    status_vi, status_en = verdict_vi, verdict_en
    if str(ev.phase) == "in_progress" and ev.expected is not None and ev.done is None:
        if spec.is_flow or spec.baseline_value is not None:  # a path through time
            share = format_number(ev.expected_share * 100, "vi", 0)
            pace_vi = f"; theo tiến độ cần {_amount(ev.expected, spec.unit, 'vi')} ({share}% kỳ)"
            pace_en = f"; on pace it should be {_amount(ev.expected, spec.unit, 'en')} ({format_number(ev.expected_share * 100, 'en', 0)}% of the period)"
        else:  # a level is held to its goal all along
            pace_vi = f"; cần đạt {_amount(ev.expected, spec.unit, 'vi')}"
            pace_en = f"; it needs {_amount(ev.expected, spec.unit, 'en')}"
        if ev.forecast is not None:
            word_vi, word_en = METHOD_WORDS[ev.forecast.method]
            fc_vi, fc_en = _amount(ev.forecast.value, spec.unit, "vi"), _amount(ev.forecast.value, spec.unit, "en")
            if ev.forecast_capped_at is not None:
                cap_vi, cap_en = _amount(ev.forecast_capped_at, spec.unit, "vi"), _amount(ev.forecast_capped_at, spec.unit, "en")
                fc_vi += f", giới hạn ở {cap_vi} vì tỷ lệ không vượt quá tổng thể"
                fc_en += f", held at {cap_en}: a share cannot exceed its whole"
            pace_vi += f"; dự báo cả kỳ {fc_vi} ({word_vi}), {VERDICT_WORDS[str(ev.forecast_verdict)][0]}"
            pace_en += f"; forecast for the period {fc_en} ({word_en}), {VERDICT_WORDS[str(ev.forecast_verdict)][1]}"
            missing = str(ev.forecast_verdict) in ("not_achieved", "basically_achieved")
            if str(ev.status) == "on_track" and missing and ev.pace is not None:
                # On track today (within the band) but heading for a miss: say both, and why.
                pct_vi, pct_en = format_number(ev.pace * 100, "vi", 0), format_number(ev.pace * 100, "en", 0)
                short = abs(ev.goal - ev.forecast.value) if ev.goal is not None else None
                short_vi = f", {word_vi} sẽ thiếu {_amount(short, spec.unit, 'vi')}" if short else ""
                short_en = f", {word_en} it would fall short by {_amount(short, spec.unit, 'en')}" if short else ""
                status_vi = f"gần đúng tiến độ ({pct_vi}% mức cần có){short_vi}"
                status_en = f"close to on track ({pct_en}% of the expected level){short_en}"
    prov_vi, prov_en = _provisional(ev)
    return (
        f"{title}: {fig_vi}{units_vi} đến ngày {vi_when}{est_vi}{pace_vi}; chỉ tiêu {crit_vi}: {status_vi}{prov_vi}.{overdue_vi}",
        f"{title_en}: {fig_en}{units_en} as of {en_when}{est_en}{pace_en}; target {crit_en}: {status_en}{prov_en}.{overdue_en}",
    )


def headline(counts: dict[str, int], total: int, *, as_of: date, phase, provisional: int = 0) -> tuple[str, str]:
    """The one-line summary, as a committee's report would put it; `provisional`: verdicts on incomplete reporting."""
    no_data = counts.get("no_data", 0)
    if str(phase) == "final":
        exceeded = counts.get("exceeded", 0)
        ok = exceeded + counts.get("achieved", 0)
        basically = counts.get("basically_achieved", 0)
        missed = counts.get("not_achieved", 0)
        vi = f"Đạt và vượt {ok}/{total} chỉ tiêu, trong đó {exceeded} chỉ tiêu vượt"
        en = f"{ok} of {total} {of_count(total, 'target')} achieved or exceeded, {exceeded} exceeded"
        if basically:
            vi += f"; {basically} chỉ tiêu cơ bản đạt"
            en += f"; {basically} basically achieved"
        if missed:
            vi += f"; {missed} chỉ tiêu không đạt"
            en += f"; {missed} not achieved"
    else:
        early = counts.get("achieved_early", 0)
        on_track = counts.get("on_track", 0) + early
        risk, off = counts.get("at_risk", 0), counts.get("off_track", 0)
        vi = f"Đến ngày {format_date(as_of, 'vi')}: {on_track}/{total} chỉ tiêu đúng tiến độ"
        en = f"As of {format_date(as_of, 'en')}: {on_track} of {total} {of_count(total, 'target')} on track"
        if early:
            vi += f" (trong đó {early} chỉ tiêu đã đạt sớm)"
            en += f" ({early} achieved early)"
        vi += f", {risk} chỉ tiêu có nguy cơ không đạt, {off} chỉ tiêu chậm tiến độ"
        en += f", {risk} at risk, {off} off track"
    if no_data:
        vi += f"; {no_data} chỉ tiêu chưa có số liệu"
        en += f"; {no_data} without data"
    if provisional:
        vi += f" ({provisional} chỉ tiêu tạm tính: chưa đủ đơn vị báo cáo)"
        en += f" ({provisional} provisional: not every unit has reported)"
    return vi, en
