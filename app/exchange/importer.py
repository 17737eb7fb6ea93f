"""Importing a plan's targets or figures from a sheet (CSV / XLSX), through the API's own models and checks.

Each row becomes the same input model the API takes (`TargetCreate`,
`TargetUpdate`, `SubmissionCreate`) and passes the same domain checks: the
target service's `_new_target` / `_validate` (the engine's `definition_errors`)
and `_follow_default_direction` (the PATCH rule for a default direction), and the
submission service's `_check` (date inside the plan's period, organisation inside
the plan's tree, figure shape). The services' public functions commit once per
call; an import must commit once per *file*, so this module calls their checking
parts and commits itself, once, at the end.

Figures go in as plain rows, not ORM objects: a file holds up to 20,000 of them, and an
ORM object per row cost more than everything else together (docs/PERFORMANCE.md, section
4). `app/audit/bulk.py` inserts them (INSERT ... RETURNING on SQLite, COPY on PostgreSQL)
and writes their audit events, the same events the recorder writes for an ORM insert.
Targets (a few hundred per file at most) still go through the ORM and the recorder.

Rules:

- All-or-nothing by default: any failing row (or a header problem) and nothing
  is stored. `keep_good_rows=True` stores the good rows and reports the others.
  `dry_run=True` checks everything and stores nothing. Header problems (unknown,
  repeated or missing columns) always store nothing.
- Targets are matched by `code` within the plan: identical -> ignored; different
  -> updated with PATCH semantics, for the columns the file has (a column the file
  lacks leaves that field alone; an empty cell in a column it has clears the field,
  or resets it to its default). Targets the file does not name are left alone.
- Figures are matched by (target, organisation, period_date, is_estimate). A row
  identical to a figure already stored under that key (the current version, one it
  superseded, or a retracted one) -> ignored, so re-importing a file, or an export,
  changes nothing. A different figure (value, ratio, done, note or evidence) where
  the key has a figure in force -> a CORRECTION of that figure's current version
  (figures are never changed in place; reason "import: <csv|xlsx> row N"), counted
  as updated; a first figure for the key (or one whose figure was retracted) ->
  created. Two rows of one file for the same key chain: the second corrects the first.
- A closed or archived plan takes no figures (409 for the whole file); rows for an
  archived target fail, and so do target rows naming one.
- Numbers given as text follow `vnnumbers`: "9.720" = 9720, "17,4" = 17.4,
  "1.536,246" = 1536.246; "3,098" is ambiguous and fails with both readings. In a
  file that elsewhere writes '.' as a decimal point ("12.1"), "9.720" is ambiguous
  too (9720 or 9.72) and fails the same way instead of being guessed.
  Dates: ISO (2019-06-30) or day/month/year (30/06/2019).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from operator import itemgetter
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit.bulk import insert_audited
from app.audit.recorder import EventContext
from app.common.crud import apply_patch, transaction
from app.common.models import as_utc, utcnow
from app.errors import Conflict, DomainError
from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS, fold
from app.exchange.vnnumbers import interpret, normalize, parse_number
from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions import versions
from app.submissions.models import Submission, SubmissionCreate
from app.organizations.service import subtree
from app.submissions.rules import FileRules
from app.submissions.service import _check as check_submission
from app.submissions.service import check_open, in_force
from app.targets.models import Target, TargetCreate, TargetUpdate
from app.targets.service import _follow_default_direction, _new_target, _stored_checkpoints, _validate

Kind = Literal["targets", "submissions"]
KINDS: tuple[str, ...] = ("targets", "submissions")

TARGET_REQUIRED = ("code", "title", "comparison")
SUBMISSION_REQUIRED = ("target_code", "organization_code", "period_date")
SUBMISSION_FIGURES = ("value", "numerator", "denominator", "done")
SUBMISSION_SERVER_COLUMNS = ("id", "recorded_at")  # in an export; set by the server, not read
# The fields PATCH /targets/{id} may clear (as in app.targets.service.update_target).
PATCH_NULLABLE = {"value", "low", "high", "tolerance", "baseline_value", "baseline_date", "change_basis", "frequency"}


# ------------------------------------------------------------------ the report


class RowError(BaseModel):
    """What is wrong with one cell (or a whole row, or the header row), in plain words."""

    row: int = Field(description="The spreadsheet row (the header is row 1).")
    column: str | None = Field(
        description="The column as headed in the file (or the contract's name); null for the whole row."
    )
    field: str | None = Field(description="The column contract's field name, when the problem is about one.")
    value: str | None = Field(description="The cell as read, when there is one.")
    reason: str


class ImportCounts(BaseModel):
    """Rows by outcome. With `stored` false these say what the import would have done."""

    created: int = 0
    updated: int = 0
    ignored: int = Field(default=0, description="Rows identical to what is stored: nothing to do.")
    failed: int = 0


class ImportReport(BaseModel):
    """The outcome of one import."""

    kind: Kind
    plan_id: int
    plan_code: str
    format: str = Field(description="csv or xlsx.")
    rows: int = Field(description="Data rows read (blank rows are skipped).")
    dry_run: bool
    keep_good_rows: bool
    stored: bool = Field(description="Whether anything was written to the database.")
    counts: ImportCounts
    summary: str = Field(description="One sentence: what was stored, or why nothing was.")
    errors: list[RowError]
    notes: list[str] = Field(
        default_factory=list, description="Remarks that are not errors (columns not read, number style)."
    )


# ------------------------------------------------------------------ reading cells


class CellError(Exception):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_NUMBER_CELL = re.compile(r"[-−]?\d+(?:[.,]\d+)*")
_DOT_GROUP = re.compile(r"[-−]?[1-9]\d{0,2}\.\d{3}")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
TRUE_WORDS = {"true", "yes", "y", "1", "x", "co", "dung", "da", "roi"}  # có, đúng, đã, rồi
FALSE_WORDS = {"false", "no", "n", "0", "khong", "sai", "chua"}  # không, sai, chưa


def _number_token(text: str) -> str | None:
    """The text as a bare number token ("9.720", "-17,4"), or None when it holds anything else."""
    token = normalize(text).strip().removeprefix("+")
    return token if _NUMBER_CELL.fullmatch(token) else None


def _english_style(token: str) -> bool:
    """'12.1', '0.125', '1,536.25', '1,234,567': '.' as the decimal point, or ',' grouping thousands."""
    value, ambiguous, _, _ = interpret(token.lstrip("-−"))
    if value is None or ambiguous:
        return False
    try:
        return float(token.lstrip("-−").replace(".", "").replace(",", ".")) != value
    except ValueError:
        return True


@dataclass
class NumberStyle:
    """Evidence of how a file writes decimals: where it first uses '.' as the decimal point, if anywhere."""

    english_at: tuple[int, str, str] | None = None  # (row, column, text)


def number_style(table: tabular.Table, figure_fields: tuple[str, ...]) -> NumberStyle:
    for row in table.rows:
        for name in figure_fields:
            raw = row.cells.get(name)
            if isinstance(raw, str) and not _never_english(raw):
                token = _number_token(raw)
                if token and _english_style(token):
                    return NumberStyle((row.number, table.column_of(name), raw))
    return NumberStyle()


def _g(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


# Number cells that mean one thing in any file, read without the general parser (which looks for
# units, words, years and references that a number cell does not have): a whole number, a decimal
# comma not followed by exactly three digits ("17,4", "0,25": "3,098" stays with the general
# parser, which reports it ambiguous), and, unless the file writes '.' as a decimal point, '.'
# grouping thousands ("9.720", "1.234.567"). ASCII digits and '-' only: anything else ('+', '−',
# spaces, other scripts' digits) goes through the general path. tests/exchange/test_number_cells.py
# checks on generated cells that this gives exactly what the general path gives.
_WHOLE = re.compile(r"-?[0-9]+")
_COMMA_DECIMAL = re.compile(r"(-?[0-9]+),([0-9]+)")
_DOT_THOUSANDS = re.compile(r"-?[1-9][0-9]{0,2}(?:\.[0-9]{3})+")


def _plain_number(text: str, style: NumberStyle) -> float | None:
    """The value of a cell that cannot be ambiguous in this file, or None to use the general parser."""
    if _WHOLE.fullmatch(text):
        return float(text)
    match = _COMMA_DECIMAL.fullmatch(text)
    if match:
        whole, decimals = match.groups()
        return None if len(decimals) == 3 else float(f"{whole}.{decimals}")
    if style.english_at is None and _DOT_THOUSANDS.fullmatch(text):
        return float(text.replace(".", ""))
    return None


def _never_english(text: str) -> bool:
    """Cells that are no evidence of '.' as a decimal point: whole numbers, one decimal comma."""
    return _WHOLE.fullmatch(text) is not None or _COMMA_DECIMAL.fullmatch(text) is not None


def read_number(raw: Any, style: NumberStyle) -> float:
    """A figure cell: a spreadsheet number, or text read the Vietnamese way (never guessed when ambiguous)."""
    if type(raw) is str and (value := _plain_number(raw, style)) is not None:
        return value
    return _read_number(raw, style)


def _read_number(raw: Any, style: NumberStyle) -> float:
    """read_number's general path: every cell can go this way (the fast path is only a shortcut)."""
    if isinstance(raw, bool):
        raise CellError(f"expected a number, not {'TRUE' if raw else 'FALSE'}")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise CellError("expected a finite number")
        return float(raw)
    if isinstance(raw, (date, datetime)):
        raise CellError(f"expected a number, not the date {raw.isoformat()}")
    text = str(raw)
    token = _number_token(text)
    if token is None:
        hint = " (write the number alone: the unit belongs in the 'unit' column)" if re.search(r"\d", text) else ""
        raise CellError(f"'{text}' is not a number{hint}")
    parsed = parse_number(token)
    whole, decimal = token.replace(",", "").replace(".", ""), token + "0"
    if parsed.ambiguous:
        raise CellError(
            f"ambiguous number '{text}': {parsed.reason}; "
            f"write {whole} for the whole number, or {decimal} for the decimal"
        )
    if parsed.value is None:
        raise CellError(f"'{text}' is not a number ({parsed.reason})")
    if style.english_at and _DOT_GROUP.fullmatch(token):
        row, column, example = style.english_at
        pointed = _g(float(token.replace("−", "-")))
        raise CellError(
            f"ambiguous number '{text}': {whole} if '.' groups thousands (Vietnamese) or {pointed} "
            f"if '.' is the decimal point, as this file writes it in row {row}, column '{column}' ('{example}'); "
            f"write {whole} for the whole number, or {decimal} for the decimal"
        )
    return parsed.value


def read_text(raw: Any, _style: NumberStyle | None = None) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return _g(raw)
    if isinstance(raw, (date, datetime)):
        return raw.isoformat()
    return str(raw)


def read_choice(raw: Any, _style: NumberStyle | None = None) -> str:
    """An enumeration cell: case, accents, spaces and '-' folded ("At least" -> "at_least")."""
    return "_".join(fold(read_text(raw)).replace("-", " ").split())


def read_date(raw: Any, _style: NumberStyle | None = None) -> date:
    if isinstance(raw, datetime):
        raise CellError(f"'{raw.isoformat()}' has a time of day; give a date")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (bool, int, float)):
        raise CellError(f"expected a date such as 2019-06-30, not {read_text(raw)}")
    text = str(raw).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        if moment.time() == datetime.min.time():
            return moment.date()
    except ValueError:
        pass
    match = _DMY.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise CellError(f"'{text}' is not a date; write it as 2019-06-30 (or day/month/year, 30/06/2019)")


def read_bool(raw: Any, _style: NumberStyle | None = None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = fold(read_text(raw))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{read_text(raw)}' is not yes or no; write true or false (có / không)")


def read_integer(raw: Any, style: NumberStyle) -> int:
    number = read_number(raw, style)
    if not number.is_integer():
        raise CellError(f"'{read_text(raw)}' is not a whole number")
    return int(number)


def read_checkpoints(raw: Any, style: NumberStyle) -> list[dict[str, Any]]:
    """'2019-06-30:50; 2019-09-30:75' -> [{"date": 2019-06-30, "share": 50.0}, ...]."""
    if not isinstance(raw, str):
        raise CellError(f"expected checkpoints such as '2019-06-30:50; 2019-09-30:75', not {read_text(raw)}")
    out = []
    for piece in (p.strip() for p in raw.split(";")):
        if not piece:
            continue
        on, sep, share = piece.rpartition(":")
        if not sep:
            raise CellError(f"checkpoint '{piece}' is not date:share, e.g. 2019-06-30:50")
        try:
            out.append({"date": read_date(on.strip()), "share": read_number(share.strip(), style)})
        except CellError as exc:
            raise CellError(f"checkpoint '{piece}': {exc.reason}") from None
    return out


TEXT, CHOICE, FIGURE, DATE, INTEGER = "text", "choice", "figure", "date", "integer"
BOOL, CHECKPOINTS = "bool", "checkpoints"
READERS = {TEXT: read_text, CHOICE: read_choice, FIGURE: read_number, DATE: read_date, INTEGER: read_integer,
           BOOL: read_bool, CHECKPOINTS: read_checkpoints}
TARGET_KINDS: dict[str, str] = {
    **{name: TEXT for name in TARGET_COLUMNS},
    **{name: CHOICE for name in ("comparison", "direction", "change_basis", "aggregation", "across_units", "frequency")},
    "is_percentage": BOOL,
    "may_exceed_whole": BOOL,
    **{name: FIGURE for name in ("value", "low", "high", "tolerance", "baseline_value")},
    "baseline_date": DATE,
    "position": INTEGER,
    "checkpoints": CHECKPOINTS,
}
SUBMISSION_KINDS: dict[str, str] = {
    **{name: TEXT for name in SUBMISSION_COLUMNS},
    "period_date": DATE,
    "period_start": DATE,
    **{name: FIGURE for name in ("value", "numerator", "denominator")},
    "done": BOOL,
    "is_estimate": BOOL,
}


def _read_cells(
    cells: dict[str, Any], kinds: dict[str, str], style: NumberStyle
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's cells read by their columns' kinds, and the cells that could not be read."""
    values, problems = {}, []
    for name, raw in cells.items():
        try:
            values[name] = READERS[kinds[name]](raw, style)
        except CellError as exc:
            problems.append((name, exc.reason))
    return values, problems


def shown(raw: Any) -> str | None:
    """A cell as the report shows it."""
    if raw is None:
        return None
    text = read_text(raw)
    return text if len(text) <= 200 else text[:199] + "…"


# ------------------------------------------------------------------ model and domain errors in plain words


def _plain(err: dict) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing":
        return "required, but the cell is empty"
    if kind == "enum":
        return f"'{err.get('input')}' is not one of: {ctx.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        return "use letters, digits and . _ - / only, starting with a letter or digit"
    message = str(err.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def model_problems(exc: ValidationError) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else None
        reason = _plain(err)
        if name == "checkpoints" and len(loc) > 1:
            reason = f"checkpoint {int(loc[1]) + 1}" + (f", {loc[2]}" if len(loc) > 2 else "") + f": {reason}"
        out.append((name, reason))
    return out


def _further(cell_problems: list[tuple[str, str]], model: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    """The model's complaints not caused by a cell that could not be read (which is left out of the model's input)."""
    if not cell_problems:
        return model
    failed = {name for name, _ in cell_problems}
    return [(name, reason) for name, reason in model if name is not None and name not in failed]


def domain_problems(exc: DomainError) -> list[tuple[str | None, str]]:
    if exc.errors:
        return [(e.field, e.message) for e in exc.errors]
    return [(None, exc.detail)]


# ------------------------------------------------------------------ the run


@dataclass
class _Run:
    """Bookkeeping shared by both imports."""

    table: tabular.Table
    contract: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)  # model field -> column (organization_id -> organization_code)
    counts: ImportCounts = field(default_factory=ImportCounts)
    errors: list[RowError] = field(default_factory=list)

    def fail(self, row: tabular.Row, problems: list[tuple[str | None, str]]) -> None:
        self.counts.failed += 1
        seen = set()
        for name, reason in problems:
            column_field = self.aliases.get(name, name) if name else None
            if column_field is not None and column_field not in self.contract:
                column_field = None
            if (column_field, reason) in seen:
                continue
            seen.add((column_field, reason))
            column = self.table.column_of(column_field) if column_field else None
            value = shown(row.cells.get(column_field)) if column_field else None
            self.errors.append(RowError(row=row.number, column=column, field=column_field, value=value, reason=reason))


def _header_failures(run: _Run) -> None:
    for p in run.table.problems:
        run.errors.append(RowError(row=p.row, column=p.column or p.field, field=p.field, value=None, reason=p.reason))
    run.counts.failed = len(run.table.rows)


def _notes(table: tabular.Table, style: NumberStyle) -> list[str]:
    notes = []
    if table.ignored_columns:
        notes.append(f"Columns {', '.join(table.ignored_columns)} are set by the server and were not read.")
    if style.english_at:
        row, column, example = style.english_at
        notes.append(f"This file writes '.' as a decimal point (row {row}, column '{column}': '{example}'); "
                     "so a number such as 9.720 is ambiguous here (9720 or 9.72) and fails rather than being guessed.")
    return notes


def _summary(counts: ImportCounts, *, rows: int, header_problems: bool, dry_run: bool, keep_good_rows: bool,
             stored: bool) -> str:
    tally = f"{counts.created} created, {counts.updated} updated, {counts.ignored} ignored (already stored)"
    failed = f"{counts.failed} row{'s' if counts.failed != 1 else ''} failed"
    if header_problems:
        return "Nothing stored: the header row has problems (see errors), so no row was imported."
    if not rows:
        return "Nothing to store: the file has no data rows."
    if dry_run:
        return f"Dry run, nothing stored. If imported: {tally}, {counts.failed} failed."
    if counts.failed and not keep_good_rows:
        return (f"Nothing stored: {failed} and the import is all-or-nothing "
                f"(keep_good_rows=true stores the good rows). The good rows would give {tally}.")
    left_out = f"; {failed} and {'was' if counts.failed == 1 else 'were'} left out" if counts.failed else ""
    if stored:
        return f"Stored: {tally}{left_out}."
    return f"Nothing to store: every good row is already stored{left_out}."


def _finish(
    *, session: Session, plan: Plan, kind: str, run: _Run, style: NumberStyle, dry_run: bool, keep_good_rows: bool,
    writes: int, store: Callable[[], None] | None = None,
) -> ImportReport:
    """Stores (`store()`, then one commit) when there is something to write and the rules allow it; the report."""
    header_problems = bool(run.table.problems)
    stored = bool(writes) and not dry_run and not header_problems and (run.counts.failed == 0 or keep_good_rows)
    plan_id, plan_code = plan.id, plan.code  # read before the commit or rollback expires the row
    if stored:
        with transaction(session, f"The {kind} could not be stored (changed meanwhile?); nothing was stored."):
            store()
    else:
        session.rollback()
    run.errors.sort(key=lambda e: e.row)
    rows = len(run.table.rows)
    summary = _summary(run.counts, rows=rows, header_problems=header_problems, dry_run=dry_run,
                       keep_good_rows=keep_good_rows, stored=stored)
    return ImportReport(
        kind=kind, plan_id=plan_id, plan_code=plan_code, format=run.table.format, rows=rows, dry_run=dry_run,
        keep_good_rows=keep_good_rows, stored=stored, counts=run.counts, summary=summary, errors=run.errors,
        notes=_notes(run.table, style),
    )


# ------------------------------------------------------------------ targets


def _target_state(target_in: TargetCreate) -> dict[str, Any]:
    """A validated row as it would be stored (enums as strings, checkpoints as sorted dicts)."""
    fields = {k: (v.value if isinstance(v, Enum) else v) for k, v in target_in.model_dump().items()}
    fields["checkpoints"] = _stored_checkpoints(fields.get("checkpoints"))
    return fields


def _planned_patch(target: Target, plan: Plan, target_in: TargetCreate, changed: list[str]) -> dict[str, Any]:
    """update_target's steps without its commit: TargetUpdate, default direction, patch, definition check (on a copy)."""
    update_in = TargetUpdate.model_validate({name: getattr(target_in, name) for name in changed})
    changes = {k: (v.value if isinstance(v, Enum) else v) for k, v in update_in.model_dump(exclude_unset=True).items()}
    if "checkpoints" in changes:
        changes["checkpoints"] = _stored_checkpoints(changes["checkpoints"])
    _follow_default_direction(target, changes)
    probe = Target.model_validate(target.model_dump())
    apply_patch(probe, dict(changes), nullable=PATCH_NULLABLE)
    _validate(probe, plan)
    return changes


def import_targets(*, session: Session, plan: Plan, table: tabular.Table, dry_run: bool = False,
                   keep_good_rows: bool = False) -> ImportReport:
    """Creates or updates the plan's targets from the rows; one commit (or none)."""
    run = _Run(table, TARGET_COLUMNS)
    style = number_style(table, tuple(n for n, k in TARGET_KINDS.items() if k == FIGURE))
    if table.problems:
        _header_failures(run)
        return _finish(session=session, plan=plan, kind="targets", run=run, style=style, dry_run=dry_run,
                       keep_good_rows=keep_good_rows, writes=0)
    existing = {t.code: t for t in session.exec(select(Target).where(Target.plan_id == plan.id)).all()}
    present = table.present
    first_row: dict[str, int] = {}
    new: list[Target] = []
    patches: list[tuple[Target, dict[str, Any]]] = []
    for row in table.rows:
        values, problems = _read_cells(row.cells, TARGET_KINDS, style)
        code = values.get("code")
        if code is not None:
            if code in first_row:
                run.fail(row, [("code", f"target '{code}' appears twice in the file (first in row {first_row[code]})")])
                continue
            first_row[code] = row.number
        try:
            target_in = TargetCreate.model_validate(values)
        except ValidationError as exc:
            run.fail(row, problems + _further(problems, model_problems(exc)))
            continue
        if problems:
            run.fail(row, problems)
            continue
        current = existing.get(target_in.code)
        if current is not None and current.archived_at is not None:
            run.fail(row, [("code", f"target '{current.code}' is archived: it can no longer be changed")])
            continue
        try:
            if current is None:
                new.append(_new_target(session, plan, target_in))
                run.counts.created += 1
                continue
            state = _target_state(target_in)
            changed = [n for n in TARGET_COLUMNS if n in present and n != "code" and state[n] != getattr(current, n)]
            if not changed:
                run.counts.ignored += 1
                continue
            patches.append((current, _planned_patch(current, plan, target_in, changed)))
            run.counts.updated += 1
        except DomainError as exc:
            run.fail(row, domain_problems(exc))

    def store() -> None:
        for target, changes in patches:
            apply_patch(target, changes, nullable=PATCH_NULLABLE)
        session.add_all(new)  # through the unit of work: the recorder writes their events

    return _finish(session=session, plan=plan, kind="targets", run=run, style=style, dry_run=dry_run,
                   keep_good_rows=keep_good_rows, writes=len(new) + len(patches), store=store)


# ------------------------------------------------------------------ submissions


# What two versions under one key are compared by; `_content(fields)` of a row's fields (or a stored row's mapping).
_content = itemgetter("value", "numerator", "denominator", "done", "note", "evidence_url")

Key = tuple[int, int, date, bool]  # (target_id, organization_id, period_date, is_estimate)

# The stored versions a file may meet, in two steps. First the ids and keys of the figures of the
# file's targets, from its organisations, within its dates (the key columns are indexed: target_id +
# period_date, organization_id); the ranges let other keys through (a file reporting for busy
# organisations over a whole year meets most of their figures), so this step reads as few columns as
# possible and Python keeps the ids whose key the file names. Then, for those ids only, the compared
# columns and whether each is its chain's version in force (never superseded, not a retraction: the
# same SQL condition as the submissions service's lists). Columns only, no ORM objects.
# A correction keeps its target but may move to another key; each row is judged by its own key,
# as before, and "in force" comes from the database, so a chain need not be loaded whole.
_STORED_KEYS = select(
    Submission.id, Submission.target_id, Submission.organization_id, Submission.period_date, Submission.is_estimate,
).where(
    Submission.target_id.in_(bindparam("target_ids", expanding=True)),
    Submission.organization_id.in_(bindparam("organization_ids", expanding=True)),
    Submission.period_date.between(bindparam("first_date"), bindparam("last_date")),
).execution_options(yield_per=10_000)
_STORED_VERSIONS = select(
    Submission.id, Submission.target_id, Submission.organization_id, Submission.period_date, Submission.is_estimate,
    Submission.value, Submission.numerator, Submission.denominator, Submission.done, Submission.note,
    Submission.evidence_url, Submission.root_id, Submission.recorded_at, in_force().label("in_force"),
).where(Submission.id.in_(bindparam("ids", expanding=True)))
_IDS_PER_QUERY = 5000
_ORGANIZATIONS_PER_QUERY = 1000


@dataclass(frozen=True)
class _InForce:
    """A stored figure in force: what a different row for its key corrects."""

    id: int
    root_id: int | None
    order: tuple[datetime, int]  # (recorded_at, id): the last recorded counts, as in the status engine


def _stored_figures(session: Session, keys: set[Key]) -> tuple[set[tuple], dict[Key, _InForce]]:
    """For the keys of the file: key + content of every stored version, and per key the figure in
    force that a different row corrects.

    Several chains may share a key (figures submitted twice); the one the status engine
    counts, the last recorded, is the one corrected.
    """
    stored: set[tuple] = set()
    latest: dict[Key, _InForce] = {}
    if not keys:
        return stored, latest
    dates = [key[2] for key in keys]
    target_ids, organization_ids = sorted({key[0] for key in keys}), sorted({key[1] for key in keys})
    # Organisations by the thousand: a file naming thousands of them must not reach SQLite's
    # limit on bound parameters (32,766); the plan's targets are already a bounded list.
    ids = []
    for first in range(0, len(organization_ids), _ORGANIZATIONS_PER_QUERY):
        params = {"target_ids": target_ids, "organization_ids": organization_ids[first:first + _ORGANIZATIONS_PER_QUERY],
                  "first_date": min(dates), "last_date": max(dates)}
        ids += [row_id for row_id, *key in session.execute(_STORED_KEYS, params) if tuple(key) in keys]
    for first in range(0, len(ids), _IDS_PER_QUERY):
        for row in session.execute(_STORED_VERSIONS, {"ids": ids[first:first + _IDS_PER_QUERY]}):
            key = (row.target_id, row.organization_id, row.period_date, row.is_estimate)
            stored.add(key + _content(row._mapping))
            if row.in_force:
                version = _InForce(row.id, row.root_id, (as_utc(row.recorded_at), row.id))
                if key not in latest or version.order > latest[key].order:
                    latest[key] = version
    return stored, latest


_INSERT_CHUNK = 2000  # rows per bulk insert: bounds the statement and the audit events held at once


def _store_figures(session: Session, rows: list[dict[str, Any]], corrects_row: dict[int, int]) -> None:
    """Inserts the new figures in file order (ids ascend with the rows, as the unit of work gave them),
    with one audit event per figure (app/audit/bulk.py), in the import's transaction.

    `corrects_row`: index of a row -> index of the earlier row of the file it corrects; that row's
    id must be known first, so the rows go in runs that end before such a row.
    """
    context = EventContext.of(session)  # one time for all the file's events, like one flush

    def insert_rows(first: int, stop: int) -> None:
        for begin in range(first, stop, _INSERT_CHUNK):
            insert_audited(session, Submission, rows[begin:min(begin + _INSERT_CHUNK, stop)], context=context)

    done = 0
    for index in sorted(corrects_row):
        earlier = rows[corrects_row[index]]
        if corrects_row[index] >= done:
            insert_rows(done, index)
            done = index
        rows[index]["supersedes_id"], rows[index]["root_id"] = earlier["id"], earlier["root_id"] or earlier["id"]
    insert_rows(done, len(rows))


def import_submissions(*, session: Session, plan: Plan, table: tabular.Table, dry_run: bool = False,
                       keep_good_rows: bool = False, scope: set[int] | None = None) -> ImportReport:
    """Adds the figures of the rows to the plan's targets; one commit (or none).

    `scope`: the organisations the caller may report for (None: all); other rows fail.
    A closed or archived plan refuses the whole file (409).

    Two passes: the first reads and checks every row (cells, target, organisation, the input
    model, the domain rules); then the stored figures of the keys the good rows name are read at
    once, and the second pass, in file order, ignores what is stored (even if the domain rules
    would now refuse it: it was checked when stored), reports the refusals and plans the new
    rows, as dicts (an ORM object per row cost more than everything else together).
    """
    if plan.archived_at is not None:
        raise Conflict(f"Plan {plan.id} is archived: its figures can be read but no longer changed.")
    check_open(plan)
    run = _Run(table, SUBMISSION_COLUMNS, aliases={"organization_id": "organization_code"})
    style = number_style(table, ("value", "numerator", "denominator"))
    if table.problems:
        _header_failures(run)
        return _finish(session=session, plan=plan, kind="submissions", run=run, style=style, dry_run=dry_run,
                       keep_good_rows=keep_good_rows, writes=0)
    targets = {t.code: t for t in session.exec(select(Target).where(Target.plan_id == plan.id)).all()}
    organizations: dict[str, Organization | None] = {}
    plan_tree = subtree(session, plan.organization_id)  # read once, not per row
    readable: list[tuple[tabular.Row, dict[str, Any], Key, list | None]] = []  # row, fields, key, refusal
    for row in table.rows:
        values, unread = _read_cells(row.cells, SUBMISSION_KINDS, style)
        problems = list(unread)
        target = organization = None
        target_code, organization_code = values.pop("target_code", None), values.pop("organization_code", None)
        if target_code is None:
            problems.append(("target_code", "required, but the cell is empty"))
        elif (target := targets.get(target_code)) is None:
            problems.append(("target_code", f"plan {plan.code} has no target with code '{target_code}'"))
        elif target.archived_at is not None:
            problems.append(("target_code", f"target '{target_code}' is archived: it takes no figures"))
        if organization_code is None:
            problems.append(("organization_code", "required, but the cell is empty"))
        else:
            if organization_code not in organizations:
                organizations[organization_code] = session.exec(
                    select(Organization).where(Organization.code == organization_code)).first()
            if (organization := organizations[organization_code]) is None:
                problems.append(("organization_code", f"no organisation has the code '{organization_code}'"))
            elif scope is not None and organization.id not in scope:
                problems.append(("organization_code", f"'{organization_code}' is outside the scope of your API key"))
        try:
            body = SubmissionCreate.model_validate({**values, "organization_id": organization.id if organization else 1})
        except ValidationError as exc:
            run.fail(row, problems + _further(unread, model_problems(exc)))
            continue
        if problems:
            run.fail(row, problems)
            continue
        try:
            check_submission(session, target, plan, body, plan_tree=plan_tree)
            refusal = None
        except DomainError as exc:
            refusal = domain_problems(exc)
        # The fields alone are kept (not the model): 20,000 of them are held until the insert.
        key = (target.id, organization.id, body.period_date, body.is_estimate)
        readable.append((row, {**body.model_dump(), "target_id": target.id}, key, refusal))

    stored, latest = _stored_figures(session, {key for _, _, key, _ in readable})
    file_rules = FileRules(session)  # values and ratios never mix on a target; increments never overlap
    targets_by_id = {t.id: t for t in targets.values()}
    new: list[dict[str, Any]] = []  # the rows to insert: every column of `submission` but the id
    corrects_row: dict[int, int] = {}  # index in `new` -> index of the earlier new row it corrects
    in_file: dict[Key, int] = {}  # key -> index in `new` of the file's latest row for it
    for row, fields, key, refusal in readable:
        version = key + _content(fields)
        if version in stored:
            run.counts.ignored += 1  # already stored (and checked then): nothing to do
            continue
        if refusal is not None:
            run.fail(row, refusal)
            continue
        if against := file_rules.problems(targets_by_id[key[0]], SubmissionCreate.model_construct(**fields)):
            run.fail(row, against)
            continue
        fields.update(recorded_at=utcnow(), kind=versions.Kind.ORIGINAL.value, supersedes_id=None, root_id=None,
                      reason="")
        if key in in_file or key in latest:  # a different figure for a key in force: it corrects the current version
            run.counts.updated += 1
            fields["kind"] = versions.Kind.CORRECTION.value
            fields["reason"] = f"import: {table.format} row {row.number}"
            if key in in_file:
                corrects_row[len(new)] = in_file[key]
            else:
                fields["supersedes_id"], fields["root_id"] = latest[key].id, latest[key].root_id or latest[key].id
        else:
            run.counts.created += 1
        stored.add(version)
        in_file[key] = len(new)
        new.append(fields)

    def store() -> None:
        try:
            _store_figures(session, new, corrects_row)
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("The figures could not be stored (changed meanwhile?); nothing was stored.") from exc

    return _finish(session=session, plan=plan, kind="submissions", run=run, style=style, dry_run=dry_run,
                   keep_good_rows=keep_good_rows, writes=len(new), store=store)


# ------------------------------------------------------------------ from bytes


def read(kind: str, data: bytes) -> tabular.Table:
    """Reads a file for one kind of import; raises tabular.UnreadableFile when it is not CSV/XLSX."""
    if kind == "targets":
        return tabular.read_table(data, TARGET_COLUMNS, required=TARGET_REQUIRED)
    return tabular.read_table(data, SUBMISSION_COLUMNS, required=SUBMISSION_REQUIRED,
                              ignored=SUBMISSION_SERVER_COLUMNS, one_of=[SUBMISSION_FIGURES])


def import_bytes(*, session: Session, plan: Plan, kind: str, data: bytes, dry_run: bool = False,
                 keep_good_rows: bool = False, scope: set[int] | None = None) -> ImportReport:
    """Reads the file and imports it (targets or submissions) into the plan.

    `scope` limits the organisations figures may be reported for (None: all; targets ignore it).
    """
    table = read(kind, data)
    if kind == "targets":
        return import_targets(session=session, plan=plan, table=table, dry_run=dry_run, keep_good_rows=keep_good_rows)
    return import_submissions(session=session, plan=plan, table=table, dry_run=dry_run, keep_good_rows=keep_good_rows,
                              scope=scope)
