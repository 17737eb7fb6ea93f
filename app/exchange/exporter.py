"""Exports of a plan: status, targets and figures as rows (CSV, XLSX, JSON), or a JSON bundle.

Rows use the column contract of `app.exchange.columns` (English field names as
headers, in that order), so an exported targets or figures file imports back
unchanged. Statuses come from `app.status.service.plan_status`: nothing is
judged here.

The bundle has the shapes of `seed_data/`: `bundle["plan"]` is a plan file
(organisations, the plan, its targets) for `app.seed.load_plans`, and
`bundle["figures"]` a figures file for `app.seed.load_samples`.

Exports hold what is in force: archived targets are left out, and each figure
appears once, as its current version (a correction in place of what it
corrected; a retracted figure not at all). Earlier versions stay readable through
the API (`GET /submissions/{id}`, `?versions=all`), not in files: a file, or a
bundle loaded elsewhere, describes the plan as it stands, and re-importing it
changes nothing.

Values inside rows are Python values (float, date, datetime, bool, str, None);
`to_csv`, `to_xlsx` and `to_json_rows` render them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.common.crud import get_or_404
from app.common.models import as_utc, stored_id, table_of
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS, format_checkpoints
from app.exchange.tabular import neutralise
from app.organizations.models import Organization
from app.plans.models import Plan, PlanCreate
from app.status.service import plan_status
from app.submissions.models import Submission
from app.submissions.service import in_force
from app.targets.models import Target

# Column kinds: how a value is written in CSV and which number format it gets in XLSX.
TEXT, FIGURE, INTEGER, BOOL, DATE, DATETIME = "text", "figure", "integer", "bool", "date", "datetime"

XLSX_FORMATS = {FIGURE: "#,##0.##", INTEGER: "0", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm:ss"}

STATUS_KINDS: dict[str, str] = {
    "code": TEXT,
    "title": TEXT,
    "unit": TEXT,
    "category": TEXT,
    "comparison": TEXT,
    "goal": FIGURE,
    "measured": FIGURE,
    "expected": FIGURE,
    "status": TEXT,
    "verdict_if_final": TEXT,
    "rests_on_estimate": BOOL,
    "provisional": BOOL,
    "units_reported": INTEGER,
    "units_expected": INTEGER,
    "message": TEXT,
}
_TARGET_KINDS = {
    "value": FIGURE,
    "low": FIGURE,
    "high": FIGURE,
    "tolerance": FIGURE,
    "baseline_value": FIGURE,
    "baseline_date": DATE,
    "position": INTEGER,
    "is_percentage": BOOL,
    "may_exceed_whole": BOOL,
}
TARGET_KINDS: dict[str, str] = {name: _TARGET_KINDS.get(name, TEXT) for name in TARGET_COLUMNS}
_SUBMISSION_KINDS = {
    "period_date": DATE,
    "period_start": DATE,
    "value": FIGURE,
    "numerator": FIGURE,
    "denominator": FIGURE,
    "done": BOOL,
    "is_estimate": BOOL,
}
SUBMISSION_KINDS: dict[str, str] = {
    **{name: _SUBMISSION_KINDS.get(name, TEXT) for name in SUBMISSION_COLUMNS},
    "id": INTEGER,
    "recorded_at": DATETIME,
}

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class Table:
    """Rows to write: each row has exactly the columns' keys, in the columns' order."""

    name: str
    kinds: dict[str, str]  # column -> kind, in order
    rows: list[dict[str, Any]]

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)


# ------------------------------------------------------------------ loading

_T, _S = table_of(Target).c, table_of(Submission).c


def _targets(session: Session, plan: Plan) -> list[Target]:
    stmt = select(Target).where(_T.plan_id == plan.id, _T.archived_at.is_(None)).order_by(_T.position, _T.id)
    return list(session.exec(stmt).all())


def _submissions(session: Session, plan: Plan) -> list[tuple[Submission, str, str]]:
    """The plan's figures in force (current versions, not retracted; archived targets left out) with their target
    and organisation codes, in target order, then date and recording order."""
    stmt = (
        select(Submission, Target.code, Organization.code)
        .join(Target, _S.target_id == _T.id)
        .join(Organization, _S.organization_id == col(Organization.id))
        .where(_T.plan_id == plan.id, _T.archived_at.is_(None), in_force())
        .order_by(_T.position, _T.id, _S.period_date, _S.recorded_at, _S.id)
    )
    return [(sub, target_code, org_code) for sub, target_code, org_code in session.exec(stmt).all()]


# ------------------------------------------------------------------ tables


def status_table(session: Session, plan: Plan, *, as_of: date, lang: str) -> Table:
    """One row per target: where it stands on `as_of`, with the message in `lang` (from plan_status)."""
    answer = plan_status(session=session, plan=plan, as_of=as_of, known_at=None, lang=lang)
    comparison = {t.id: t.comparison for t in _targets(session, plan)}
    rows = [
        {
            "code": t.code,
            "title": t.title,
            "unit": t.unit,
            "category": t.category,
            "comparison": comparison.get(t.target_id, ""),
            "goal": t.goal,
            "measured": t.measured,
            "expected": t.expected,
            "status": str(t.status),
            "verdict_if_final": str(t.verdict_if_final),
            "rests_on_estimate": t.rests_on_estimate,
            "provisional": t.provisional,
            "units_reported": t.coverage.reported if t.coverage else None,
            "units_expected": t.coverage.expected if t.coverage else None,
            "message": t.message,
        }
        for t in answer.targets
    ]
    return Table("status", STATUS_KINDS, rows)


def _target_row(target: Target) -> dict[str, Any]:
    row = {name: getattr(target, name) for name in TARGET_COLUMNS}
    row["checkpoints"] = format_checkpoints(target.checkpoints or [])
    return row


def targets_table(session: Session, plan: Plan) -> Table:
    """The plan's targets in the column contract's fields (checkpoints as '2019-06-30:50; ...')."""
    return Table("targets", TARGET_KINDS, [_target_row(t) for t in _targets(session, plan)])


def submissions_table(session: Session, plan: Plan) -> Table:
    """The plan's figures in the column contract's fields, then id and recorded_at."""
    rows = []
    for sub, target_code, org_code in _submissions(session, plan):
        row: dict[str, Any] = {"target_code": target_code, "organization_code": org_code}
        row.update({name: getattr(sub, name) for name in SUBMISSION_COLUMNS if name not in row})
        row["id"] = sub.id
        row["recorded_at"] = as_utc(sub.recorded_at)
        rows.append(row)
    return Table("submissions", SUBMISSION_KINDS, rows)


# ------------------------------------------------------------------ bundle


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _without_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in fields.items() if v is not None}


def _organizations(session: Session, ids: set[int]) -> list[dict[str, Any]]:
    """The organisations and all their ancestors, parents before children, with parent_code."""
    found: dict[int, Organization] = {}
    pending = set(ids)
    while pending:
        rows = session.exec(select(Organization).where(col(Organization.id).in_(list(pending)))).all()
        found.update({stored_id(o): o for o in rows})
        pending = {o.parent_id for o in rows if o.parent_id is not None} - set(found)

    def depth(org: Organization) -> int:
        n = 0
        while org.parent_id is not None and n <= len(found):
            org, n = found[org.parent_id], n + 1
        return n

    ordered = sorted(found.values(), key=lambda o: (depth(o), o.code))
    return [
        {
            "code": o.code,
            "name": o.name,
            "kind": o.kind,
            "parent_code": found[o.parent_id].code if o.parent_id else None,
            "is_reporting_unit": o.is_reporting_unit,
        }
        for o in ordered
    ]


def _plan_entry(plan: Plan, organization_code: str, targets: list[Target]) -> dict[str, Any]:
    """The plan's PlanCreate fields in their order, organization_code where organization_id stands, then targets."""
    fields = {
        ("organization_code" if name == "organization_id" else name): (
            organization_code if name == "organization_id" else getattr(plan, name)
        )
        for name in PlanCreate.model_fields
        if name != "reporting_unit_ids"  # ids do not travel between databases (left out of the bundle)
    }
    return {**_without_none(fields), "targets": [_target_entry(t) for t in targets]}


def _target_entry(target: Target) -> dict[str, Any]:
    fields = {name: getattr(target, name) for name in TARGET_COLUMNS}
    fields["checkpoints"] = [{"date": c["date"], "share": c["share"]} for c in target.checkpoints or []]
    return _without_none(fields)


def bundle(session: Session, plan: Plan) -> dict[str, Any]:
    """{"plan": <plan file>, "figures": <figures file>}, loadable by app.seed.load_plans / load_samples.

    The figures file's top-level `note` is the most common note of the figures; a
    figure whose note differs carries its own `note` (a per-figure override).
    """
    targets = _targets(session, plan)
    figures = _submissions(session, plan)
    organizations = _organizations(session, {plan.organization_id} | {sub.organization_id for sub, _, _ in figures})
    plan_org_code = get_or_404(session, Organization, plan.organization_id, "Organisation").code

    notes = Counter(sub.note for sub, _, _ in figures)
    default_note = notes.most_common(1)[0][0] if notes else ""
    submissions = []
    for sub, target_code, org_code in figures:
        item: dict[str, Any] = {"target_code": target_code, "organization_code": org_code}
        item.update({name: getattr(sub, name) for name in SUBMISSION_COLUMNS if name not in item})
        if item["note"] == default_note:
            del item["note"]
        submissions.append(_without_none(item))

    return {
        "plan": {
            "about": f"Plan {plan.code} exported from chitieu: its organisations, the plan and its targets.",
            "organizations": organizations,
            "plans": [_plan_entry(plan, plan_org_code, targets)],
        },
        "figures": {
            "about": f"The figures of plan {plan.code} exported from chitieu.",
            "plan_code": plan.code,
            "note": default_note,
            "submissions": submissions,
        },
    }


# ------------------------------------------------------------------ rendering


_THOUSANDS_LOOKALIKE = re.compile(r"-?[1-9]\d{0,2}\.\d{3}")


def number_text(x: float) -> str:
    """Exact, plain digits that read back unambiguously: 5000.0 -> '5000', 12.1 -> '12.1', 1e-05 -> '0.00001'.

    The shortest text that round-trips the float (repr), written without an exponent.
    '12.345' would read as twelve thousand three hundred forty-five to a Vietnamese
    reader (and to the importer: '.' before three digits groups thousands), so such a
    number gets a trailing zero: '12.3450'.
    """
    x = float(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    text = format(Decimal(repr(x)), "f")
    return text + "0" if _THOUSANDS_LOOKALIKE.fullmatch(text) else text


def _csv_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == BOOL:
        return "true" if value else "false"
    if kind == FIGURE:
        return number_text(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if kind == TEXT:  # a formula to a spreadsheet ('=', '+', '-', '@', tab, CR first) gets a leading '
        return neutralise(str(value))
    return str(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (Excel then reads Vietnamese correctly), comma-separated, CRLF, header row first.

    Text cells that a spreadsheet would run as a formula get a leading `'` (tabular.neutralise;
    the importer takes it off again); numbers, dates and booleans are written as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_text(row[name], kind) for name, kind in table.kinds.items()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json_rows(table: Table) -> list[dict[str, Any]]:
    """The same rows as a list of objects (dates and times as ISO 8601 text)."""
    return [{name: _jsonable(row[name]) for name in table.columns} for row in table.rows]


def to_json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _xlsx_value(value: Any, kind: str, illegal: re.Pattern[str]) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    if isinstance(value, str):
        return illegal.sub("", value)  # openpyxl's ILLEGAL_CHARACTERS_RE
    return value


def _display_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == DATE:
        return 10
    if kind == DATETIME:
        return 19
    if kind == FIGURE:
        return len(f"{value:,.2f}")
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def to_xlsx(table: Table) -> bytes:
    """One sheet: bold frozen header, number and date formats per column, widths from the content."""
    # openpyxl is imported with the first XLSX, not with the app: with numpy, PIL and lxml, which it imports,
    # it is 38 MB of every worker's memory (issue 17; app/exchange/xlsx.py reads workbooks the same way).
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = table.name
    bold = Font(bold=True)
    widths = {name: len(name) for name in table.columns}
    for column, name in enumerate(table.columns, start=1):
        ws.cell(row=1, column=column, value=name).font = bold
    for r, row in enumerate(table.rows, start=2):
        for column, (name, kind) in enumerate(table.kinds.items(), start=1):
            value = row[name]
            cell = ws.cell(row=r, column=column, value=_xlsx_value(value, kind, ILLEGAL_CHARACTERS_RE))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text starting with '=' stays text, never a formula
            if kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[kind]
            widths[name] = max(widths[name], _display_width(value, kind))
    for column, name in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(column)].width = min(max(widths[name] + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(plan: Plan, content: str, extension: str) -> str:
    """'<plan code>-<content>.<ext>', with characters a file name cannot hold replaced."""
    return f"{_UNSAFE.sub('_', plan.code)}-{content}.{extension}"
