"""Importing a plan's targets or figures from a sheet (CSV / XLSX), through the API's own models and checks.

Each row becomes the same input model the API takes (`TargetCreate`,
`TargetUpdate`, `SubmissionCreate`) and passes the same write rules, the domains' public
functions: `targets.service.prepare_target` / `prepare_patch` (the engine's
`definition_errors`, the PATCH rule for a default direction), `submissions.service.
check_figure` / `check_open` (date inside the plan's period, organisation inside the plan's
tree, figure shape) and `crud.check_not_archived`. The services flush and never commit; an
import commits once per *file*, at its edge (`report.finish`, `crud.transaction`).

Modules: cells.py (reading cells), report.py (the report, problems in plain words, the run's
bookkeeping, `finish`), targets.py, figures.py, writer.py (where an import's new figures go: on
PostgreSQL stored by a thread while the next rows are checked, in the import's one transaction);
batch.py reads a JSON list of figures into the same `tabular.Table`, so POST
/plans/{id}/submissions/batch goes through `import_submissions` too.

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

from sqlmodel import Session

from app.common.gcpause import collections_paused
from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS
from app.exchange.importer.figures import SUBMISSION_FIGURES, SUBMISSION_REQUIRED, SUBMISSION_SERVER_COLUMNS, import_submissions
from app.exchange.importer.report import ImportCounts, ImportKind, ImportReport, RowError
from app.exchange.importer.targets import TARGET_REQUIRED, import_targets
from app.plans.models import Plan

__all__ = [
    "KINDS",
    "ImportCounts",
    "ImportKind",
    "ImportReport",
    "RowError",
    "import_bytes",
    "import_submissions",
    "import_targets",
    "read",
]

KINDS: tuple[str, ...] = ("targets", "submissions")


@collections_paused()  # 20,000 rows made and kept: no full collections meanwhile (app/common/gcpause.py)
def read(kind: str, data: bytes) -> tabular.Table:
    """Reads a file for one kind of import; raises tabular.UnreadableFile when it is not CSV/XLSX."""
    if kind == "targets":
        return tabular.read_table(data, TARGET_COLUMNS, required=TARGET_REQUIRED)
    return tabular.read_table(
        data, SUBMISSION_COLUMNS, required=SUBMISSION_REQUIRED, ignored=SUBMISSION_SERVER_COLUMNS, one_of=[SUBMISSION_FIGURES]
    )


def import_bytes(
    *,
    session: Session,
    plan: Plan,
    kind: str,
    data: bytes,
    dry_run: bool = False,
    keep_good_rows: bool = False,
    scope: set[int] | None = None,
) -> ImportReport:
    """Reads the file and imports it (targets or submissions) into the plan.

    `scope` limits the organisations figures may be reported for (None: all; targets ignore it).
    """
    table = read(kind, data)
    if kind == "targets":
        return import_targets(session=session, plan=plan, table=table, dry_run=dry_run, keep_good_rows=keep_good_rows)
    return import_submissions(
        session=session, plan=plan, table=table, dry_run=dry_run, keep_good_rows=keep_good_rows, scope=scope
    )
