"""The report as a neutral model, built from a plan's status only: what the DOCX, PDF and HTML all draw.

Nothing here judges: every verdict, headline, coverage and provisional mark comes from
`app.status` (PlanStatus, as `/plans/{id}/status` answers it), and the words and number
formats from `app.engine.wording`. The renderers (docx.py, pdf.py, html.py) only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from pydantic import BaseModel

from app.engine import wording
from app.status.models import PlanStatus, TargetStatus

# Verdict colours, shared by the charts, the badge and the HTML page.
STATUS_COLOURS = {
    "exceeded": "#116329",
    "achieved_early": "#116329",
    "achieved": "#2da44e",
    "on_track": "#2da44e",
    "basically_achieved": "#9a6700",
    "at_risk": "#bf8700",
    "not_achieved": "#cf222e",
    "off_track": "#cf222e",
    "no_data": "#6e7781",
}

# (vi, en) for every fixed word of the document.
LABELS: dict[str, tuple[str, str]] = {
    "party": ("ĐẢNG CỘNG SẢN VIỆT NAM", "COMMUNIST PARTY OF VIETNAM"),
    "number": ("Số:      -BC/", "No.      -BC/"),
    "title": ("BÁO CÁO", "REPORT"),
    "subject": ("Kết quả thực hiện các chỉ tiêu chủ yếu: {title}", "Results against the main targets: {title}"),
    "as_of": ("Số liệu đến ngày {day}", "Figures as of {day}"),
    "known_at": ("chỉ tính số liệu ghi nhận đến {moment}", "counting only figures recorded by {moment}"),
    "in_progress": ("đánh giá giữa kỳ, theo tiến độ", "a mid-period review, judged on pace"),
    "summary": ("Kết quả chung", "Overall"),
    "stt": ("STT", "No."),
    "target": ("Chỉ tiêu", "Target"),
    "plan": ("Kế hoạch", "Plan"),
    "result": ("Thực hiện", "Result"),
    "percent": ("So với kế hoạch (%)", "% of plan"),
    "verdict": ("Đánh giá", "Verdict"),
    "note": ("Ghi chú", "Note"),
    "committee": ("Cấp ủy đánh giá: {verdict}", "Committee's verdict: {verdict}"),
    "no_data_title": ("Các chỉ tiêu chưa có số liệu", "Targets without data"),
    "provisional_title": (
        "Các chỉ tiêu đánh giá tạm tính (chưa đủ đơn vị báo cáo)",
        "Provisional verdicts (not every unit has reported)",
    ),
    "none": ("Không có.", "None."),
    "estimate": ("Số liệu ước", "Estimate"),
    "provisional": ("Tạm tính: {reported}/{expected} đơn vị đã báo cáo", "Provisional: {reported} of {expected} units reported"),
    "missing": ("chưa báo cáo: {codes}", "not reported: {codes}"),
    "overdue": ("Quá hạn báo cáo {days} ngày", "Report {days} days overdue"),
    "forecast": ("Dự báo cả kỳ: {value}", "Forecast for the period: {value}"),
    "done": ("Hoàn thành", "Done"),
    "not_done": ("Chưa hoàn thành", "Not done"),
    "recipients": ("Nơi nhận:", "Recipients:"),
    "recipient_blank": ("- ..............................,", "- ..............................,"),
    "recipient_file": ("- Lưu Văn phòng.", "- Filed: the office."),
    "sign_for": ("T/M BAN THƯỜNG VỤ", "FOR THE STANDING COMMITTEE"),
    "sign_role": ("BÍ THƯ", "SECRETARY"),
    "sign_note": ("(Ký tên, đóng dấu)", "(Signature and seal)"),
    "chart_title": ("Kết quả theo nhóm chỉ tiêu", "Verdicts by category"),
    "chart_axis": ("Số chỉ tiêu", "Targets"),
    "page": ("Trang", "Page"),
}

EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Prefixes an organisation's name starts with, dropped to name the place on the date line.
_PLACE_PREFIXES = (
    "đảng bộ",
    "đảng ủy",
    "thành ủy",
    "tỉnh ủy",
    "huyện ủy",
    "quận ủy",
    "thị ủy",
    "ban thường vụ",
    "ủy ban nhân dân",
    "hội đồng nhân dân",
    "tỉnh",
    "thành phố",
    "huyện",
    "quận",
    "thị xã",
    "phường",
    "xã",
    "thị trấn",
)


class Facts(BaseModel):
    """The facts of a target's evaluation (`explanation`) that a report prints; the rest is not read."""

    comparison: str | None = None
    target: float | None = None
    threshold: float | None = None
    low: float | None = None
    high: float | None = None
    tolerance: float | None = None
    baseline: float | None = None
    change_basis: str | None = None


class ReportTarget(TargetStatus):
    """A target's status as the report reads it: `explanation` cut down to its Facts."""

    explanation: Facts  # type: ignore[assignment]  # a narrower field, only ever parsed into: never assigned


class ReportStatus(PlanStatus):
    """A plan's status (`/plans/{id}/status`) read for a report: a thousand targets' explanations (their units,
    figures not counted, ...) are skipped while parsing instead of being built and thrown away."""

    targets: list[ReportTarget]  # type: ignore[assignment]  # as above: a narrower field, only parsed into


def facts(t: TargetStatus) -> Facts:
    """The Facts of a target's status, whether it was read as a ReportTarget or in full."""
    return t.explanation if isinstance(t.explanation, Facts) else Facts.model_validate(t.explanation)


def label(key: str, lang: str, **values) -> str:
    """A fixed word of the document in `lang`, with its placeholders filled."""
    text = LABELS[key][0 if lang == "vi" else 1]
    return text.format(**values) if values else text


def verdict_word(status: str, lang: str) -> str:
    """The short verdict a report table prints: "Vượt", "Đạt", "Không đạt", "Chưa có số liệu" / "Exceeded", ..."""
    vi, en = wording.VERDICT_WORDS[status]
    text = vi.removesuffix(" chỉ tiêu") if lang == "vi" else en
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Row:
    """One target's line in a category table."""

    number: int
    target_id: int
    code: str
    title: str
    plan: str
    result: str
    percent: str
    status: str
    verdict: str
    committee: str  # the committee's recorded verdict, "" when none
    notes: tuple[str, ...]
    provisional: bool


@dataclass(frozen=True)
class Section:
    """A category: its heading, its headline and its table."""

    numeral: str
    name: str
    headline: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Report:
    """Everything a report document says, in one language."""

    lang: str
    plan_id: int
    superior: str  # the superior body on the letterhead ("" when the organisation has no parent)
    issuer: str
    place_date: str
    title: str
    subject: str
    period_line: str
    headline: str
    sections: tuple[Section, ...]
    no_data: tuple[str, ...]
    provisional: tuple[str, ...]
    counts: tuple[tuple[str, dict[str, int]], ...]  # (category, counts) for the chart
    columns: tuple[str, ...] = field(default=())

    def label(self, key: str, **values) -> str:
        return label(key, self.lang, **values)

    @property
    def rows(self) -> list[Row]:
        return [row for section in self.sections for row in section.rows]


def build_report(status: PlanStatus, *, organization: str, parent: str | None, issued_on: date) -> Report:
    """The report of a plan's status (in the status's language), issued by `organization` on `issued_on`."""
    lang = status.lang
    by_key: dict[str, list[TargetStatus]] = {t.category: [] for t in status.targets}
    for t in status.targets:
        by_key[t.category].append(t)
    headlines = {g.key: g.headline for g in status.by_category}
    sections, number = [], 0
    for index, (category, targets) in enumerate(by_key.items(), start=1):
        rows = []
        for t in targets:
            number += 1
            rows.append(_row(number, t, lang))
        name = category[:1].upper() + category[1:] if category else ("Khác" if lang == "vi" else "Other")
        sections.append(Section(_roman(index), name, headlines.get(category, ""), tuple(rows)))
    period = label("as_of", lang, day=wording.format_date(status.as_of, lang))
    if status.known_at is not None:
        period += ", " + label(
            "known_at", lang, moment=status.known_at.strftime("%d/%m/%Y %H:%M %z" if lang == "vi" else "%Y-%m-%d %H:%M %z")
        )
    if status.phase != "final":
        period += " (" + label("in_progress", lang) + ")"
    return Report(
        lang=lang,
        plan_id=status.plan_id,
        superior=(parent or "").upper(),
        issuer=organization.upper(),
        place_date=place_date(place_of(organization), issued_on, lang),
        title=label("title", lang),
        subject=label("subject", lang, title=status.title),
        period_line=period + ".",
        headline=status.headline,
        sections=tuple(sections),
        no_data=tuple(f"{t.code}. {t.title}" for t in status.targets if t.status == "no_data"),
        provisional=tuple(
            f"{t.code}. {t.title}: {verdict_word(t.status, lang)} ({_provisional_note(t, lang)})"
            for t in status.targets
            if t.provisional
        ),
        counts=tuple((g.key, dict(g.counts)) for g in status.by_category),
        columns=tuple(label(k, lang) for k in ("stt", "target", "plan", "result", "percent", "verdict", "note")),
    )


def place_of(organization: str) -> str:
    """The place an organisation's name ends with: "Đảng bộ thành phố Lạng Sơn" → "Lạng Sơn"."""
    name = organization.strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PLACE_PREFIXES:
            if name.lower().startswith(prefix + " ") and len(name) > len(prefix) + 1:
                name, changed = name[len(prefix) + 1 :].strip(), True
    return name


def place_date(place: str, day: date, lang: str) -> str:
    """ "Lạng Sơn, ngày 15 tháng 01 năm 2020" / "Lạng Sơn, 15 January 2020"."""
    if lang == "vi":
        return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def amount(x: float, unit: str, lang: str) -> str:
    """A figure with its unit, as the sentences write it: "98,6%", "5.130 tấn"."""
    number = wording.format_number(x, lang)
    if not unit:
        return number
    return f"{number}{unit}" if unit.startswith("%") or unit == "‰" else f"{number} {unit}"


def plan_text(t: TargetStatus, lang: str) -> str:
    """The target as planned ("Trên 5.000 tấn"), from the facts its evaluation states."""
    f = facts(t)
    kind = f.comparison
    value = next((v for v in (f.target, f.threshold, t.goal) if v is not None), None)
    spec = SimpleNamespace(
        comparison=kind,
        unit=t.unit,
        value=value,
        low=f.low,
        high=f.high,
        tolerance=f.tolerance,
        baseline_value=f.baseline,
        change_basis=f.change_basis,
    )
    checks: dict[str | None, bool] = {
        "milestone": True,
        "between": spec.low is not None and spec.high is not None,
        "change": spec.value is not None and spec.baseline_value is not None and spec.change_basis is not None,
    }
    complete = checks.get(kind, spec.value is not None)
    if kind and complete:
        text = wording.criterion(spec, lang)
    elif t.goal is not None:  # no figure yet: the evaluation names the goal only
        text = amount(t.goal, t.unit, lang)
    else:
        return ""
    return text[:1].upper() + text[1:]


def _result(t: TargetStatus, lang: str) -> str:
    if t.done is not None and t.measured is None:
        return label("done" if t.done else "not_done", lang)
    if t.measured is None:
        return "—"
    return amount(t.measured, t.unit, lang)


def _percent(t: TargetStatus, lang: str) -> str:
    """Result against plan, in %: the change against the planned change, else the figure against the goal."""
    f = facts(t)
    base = f.target if f.comparison == "change" else t.goal
    if t.compared is None or not base or f.comparison == "milestone":
        return ""
    return wording.format_number(t.compared / base * 100, lang, 1)


def _provisional_note(t: TargetStatus, lang: str) -> str:
    c = t.coverage
    if c is None:
        return ""
    text = label("provisional", lang, reported=c.reported, expected=c.expected)
    if c.missing:
        text += "; " + label("missing", lang, codes=", ".join(m.code for m in c.missing))
    return text


def _row(number: int, t: TargetStatus, lang: str) -> Row:
    notes = []
    if t.rests_on_estimate:
        notes.append(label("estimate", lang))
    if t.provisional and t.coverage is not None:  # the units still missing are listed after the tables
        notes.append(label("provisional", lang, reported=t.coverage.reported, expected=t.coverage.expected))
    if t.overdue is not None:
        notes.append(label("overdue", lang, days=t.overdue.days))
    if t.forecast is not None and t.phase != "final":
        notes.append(label("forecast", lang, value=amount(t.forecast.value, t.unit, lang)))
    committee = ""
    if t.assessment is not None:
        committee = label("committee", lang, verdict=verdict_word(str(t.assessment.verdict), lang))
        if t.assessment.reason:
            notes.append(
                f"{t.assessment.assessed_by}: {t.assessment.reason}" if t.assessment.assessed_by else t.assessment.reason
            )
    return Row(
        number=number,
        target_id=t.target_id,
        code=t.code,
        title=t.title,
        plan=plan_text(t, lang),
        result=_result(t, lang),
        percent=_percent(t, lang),
        status=str(t.status),
        verdict=verdict_word(str(t.status), lang),
        committee=committee,
        notes=tuple(notes),
        provisional=t.provisional,
    )


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out, n = out + numeral, n - value
    return out
