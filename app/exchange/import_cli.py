"""`chitieu import FILE --plan CODE --kind targets|submissions`: the same import as the API, from a file on disk.

Registered in app/cli.py as `cli.command("import")(import_file)`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine
from app.errors import DomainError
from app.exchange import importer
from app.exchange.importer import ImportReport
from app.exchange.tabular import UnreadableFile
from app.plans.models import Plan
from app.status.service import judge_plan


class KindOption(StrEnum):
    TARGETS = "targets"
    SUBMISSIONS = "submissions"


def _cut(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: ImportReport) -> list[str]:
    """The report as lines: a heading, a table of the problems, the counts and the summary."""
    mode = "dry run" if report.dry_run else ("keep good rows" if report.keep_good_rows else "all-or-nothing")
    lines = [f"Import of {report.kind} into plan {report.plan_code} ({report.format}, {report.rows} rows, {mode})"]
    if report.errors:
        rows = [(str(e.row), _cut(e.column, 24), _cut(e.value, 24), e.reason) for e in report.errors]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("row", "column", "value"))]
        lines.append(f"{'row':>{widths[0]}}  {'column':<{widths[1]}}  {'value':<{widths[2]}}  reason")
        lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}  {'-' * 6}")
        for row, column, value, reason in rows:
            lines.append(f"{row:>{widths[0]}}  {column:<{widths[1]}}  {value:<{widths[2]}}  {reason}")
    c = report.counts
    lines.append(f"created {c.created} · updated {c.updated} · ignored {c.ignored} · failed {c.failed}")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(report.summary)
    return lines


def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV (UTF-8) or XLSX file.")],
    plan: Annotated[str, typer.Option(help="The code of the plan to import into.")],
    kind: Annotated[KindOption, typer.Option(help="What the file holds: targets or submissions (figures).")],
    dry_run: Annotated[bool, typer.Option(help="Check every row and report, but store nothing.")] = False,
    keep_good_rows: Annotated[bool, typer.Option(help="Store the good rows even when some fail.")] = False,
) -> None:
    """Imports a plan's targets or figures from a CSV or XLSX file; exits 1 when rows failed."""
    data = path.read_bytes()
    with Session(make_engine(Settings())) as session:
        row = session.exec(select(Plan).where(Plan.code == plan)).first()
        if row is None:
            raise typer.BadParameter(f"no plan with code {plan!r}", param_hint="--plan")
        try:
            report = importer.import_bytes(
                session=session, plan=row, kind=kind.value, data=data, dry_run=dry_run, keep_good_rows=keep_good_rows
            )
        except UnreadableFile as exc:
            typer.echo(f"error: {path.name}: {exc.reason}", err=True)
            raise typer.Exit(2) from None
        except DomainError as exc:  # e.g. a conflicting change stored meanwhile: nothing was stored
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from None
        if report.stored and report.kind == "submissions" and report.counts.created + report.counts.updated:
            # judged before exit, so the next plan-status read finds the evaluations stored (issue 17)
            judge_plan(session.get_bind(), report.plan_id, Settings().today())
    for line in render(report):
        typer.echo(line)
    if report.errors:
        raise typer.Exit(1)
