"""An import's report (rows by outcome, each problem in plain words) and its run's bookkeeping;
`finish` stores (the import's one commit) or not, and writes the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails
from sqlmodel import Session

from app.common.crud import transaction
from app.errors import DomainError
from app.exchange import tabular
from app.exchange.importer.cells import NumberStyle, shown
from app.plans.models import Plan

ImportKind = Literal["targets", "submissions"]
M = TypeVar("M", bound=BaseModel)


class RowError(BaseModel):
    """What is wrong with one cell (or a whole row, or the header row), in plain words."""

    row: int = Field(description="The spreadsheet row (the header is row 1); in a JSON batch, the figure's position, from 1.")
    column: str | None = Field(description="The column as headed in the file (or the contract's name); null for the whole row.")
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

    kind: ImportKind
    plan_id: int
    plan_code: str
    format: str = Field(description="csv or xlsx; json for a batch of figures.")
    rows: int = Field(description="Data rows read (blank rows are skipped).")
    dry_run: bool
    keep_good_rows: bool
    stored: bool = Field(description="Whether anything was written to the database.")
    counts: ImportCounts
    summary: str = Field(description="One sentence: what was stored, or why nothing was.")
    errors: list[RowError]
    notes: list[str] = Field(default_factory=list, description="Remarks that are not errors (columns not read, number style).")


# ------------------------------------------------------------------ model and domain errors in plain words


def _plain(err: ErrorDetails) -> str:
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


def further(cell_problems: list[tuple[str, str]], model: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
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
class Run:
    """Bookkeeping shared by both imports."""

    table: tabular.Table
    contract: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)  # model field -> column (organization_id -> organization_code)
    counts: ImportCounts = field(default_factory=ImportCounts)
    errors: list[RowError] = field(default_factory=list)

    def validated(self, row: tabular.Row, model: type[M], values: dict[str, Any], problems: list, unread: list) -> M | None:
        """The row's input model; or None, the row reported failed: the model refused it, or `problems` (the
        cells `unread` and any other) are not empty."""
        try:
            body = model.model_validate(values)
        except ValidationError as exc:
            self.fail(row, problems + further(unread, model_problems(exc)))
            return None
        if problems:
            self.fail(row, problems)
            return None
        return body

    def fail(self, row: tabular.Row, problems: Sequence[tuple[str | None, str]]) -> None:
        self.counts.failed += 1
        seen = set()
        for name, reason in problems:
            # a model field the row does not have as such is reported on its column (organization_id -> organization_code)
            column_field = (name if name in row.cells else self.aliases.get(name, name)) if name else None
            if column_field is not None and column_field not in self.contract:
                column_field = None
            if (column_field, reason) in seen:
                continue
            seen.add((column_field, reason))
            column = self.table.column_of(column_field) if column_field else None
            value = shown(row.cells.get(column_field)) if column_field else None
            self.errors.append(RowError(row=row.number, column=column, field=column_field, value=value, reason=reason))


def header_failures(run: Run) -> None:
    for p in run.table.problems:
        run.errors.append(RowError(row=p.row, column=p.column or p.field, field=p.field, value=None, reason=p.reason))
    run.counts.failed = len(run.table.rows)


def _notes(table: tabular.Table, style: NumberStyle) -> list[str]:
    notes = []
    if table.ignored_columns:
        notes.append(f"Columns {', '.join(table.ignored_columns)} are set by the server and were not read.")
    if style.english_at:
        row, column, example = style.english_at
        notes.append(
            f"This file writes '.' as a decimal point (row {row}, column '{column}': '{example}'); "
            "so a number such as 9.720 is ambiguous here (9720 or 9.72) and fails rather than being guessed."
        )
    return notes


def _summary(counts: ImportCounts, *, rows: int, header_problems: bool, dry_run: bool, keep_good_rows: bool, stored: bool) -> str:
    tally = f"{counts.created} created, {counts.updated} updated, {counts.ignored} ignored (already stored)"
    failed = f"{counts.failed} row{'s' if counts.failed != 1 else ''} failed"
    if header_problems:
        return "Nothing stored: the header row has problems (see errors), so no row was imported."
    if not rows:
        return "Nothing to store: the file has no data rows."
    if dry_run:
        return f"Dry run, nothing stored. If imported: {tally}, {counts.failed} failed."
    if counts.failed and not keep_good_rows:
        return (
            f"Nothing stored: {failed} and the import is all-or-nothing "
            f"(keep_good_rows=true stores the good rows). The good rows would give {tally}."
        )
    left_out = f"; {failed} and {'was' if counts.failed == 1 else 'were'} left out" if counts.failed else ""
    if stored:
        return f"Stored: {tally}{left_out}."
    return f"Nothing to store: every good row is already stored{left_out}."


def finish(
    *,
    session: Session,
    plan: Plan,
    kind: str,
    run: Run,
    style: NumberStyle,
    dry_run: bool,
    keep_good_rows: bool,
    writes: int,
    store: Callable[[], None] | None = None,
    conflict: str | None = None,
) -> ImportReport:
    """Stores (`store()`, then the import's one commit: `transaction`, which answers a unique or foreign-key
    violation with `conflict`) when there is something to write and the rules allow it; the report."""
    header_problems = bool(run.table.problems)
    stored = (
        store is not None and bool(writes) and not dry_run and not header_problems and (run.counts.failed == 0 or keep_good_rows)
    )
    plan_id, plan_code = plan.id, plan.code  # read before the commit or rollback expires the row
    if stored and store is not None:  # (store is set whenever writes are)
        with transaction(session, conflict or f"The {kind} could not be stored (changed meanwhile?); nothing was stored."):
            store()
    else:
        session.rollback()
    run.errors.sort(key=lambda e: e.row)
    rows = len(run.table.rows)
    summary = _summary(
        run.counts, rows=rows, header_problems=header_problems, dry_run=dry_run, keep_good_rows=keep_good_rows, stored=stored
    )
    return ImportReport(
        kind=kind,
        plan_id=plan_id,
        plan_code=plan_code,
        format=run.table.format,
        rows=rows,
        dry_run=dry_run,
        keep_good_rows=keep_good_rows,
        stored=stored,
        counts=run.counts,
        summary=summary,
        errors=run.errors,
        notes=_notes(run.table, style),
    )
