"""HTTP routes: import a plan's targets or figures from a CSV or XLSX upload (multipart field `file`)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth import policy
from app.auth.models import Role
from app.common import memory
from app.common.models import stored_id
from app.common.types import MAX_FIGURE, MAX_ID
from app.deps import PrincipalDep, SessionDep
from app.errors import PROBLEM_MEDIA_TYPE, InvalidInput, PayloadTooLarge, Problem
from app.exchange import importer, tabular
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS
from app.exchange.importer import ImportReport, batch
from app.limits import MAX_IMPORT_BYTES
from app.openapi import errors
from app.plans.deps import EditablePlanDep, PlanDep
from app.plans.models import Plan
from app.slots import ExchangeSlotDep, release_connection_async
from app.status.service import judge_plan

# One thread per worker judges plans after imports, one plan at a time, off the requests: a queue of
# work, not state (its results are the stored evaluations, which every worker reads). A plan is
# judged JUDGE_DELAY seconds after its last import: an import of several files in a row is not
# slowed by judging between them, and the plan is judged once, after the last one. Nor is it judged
# while this worker receives, reads or imports a file into it (`importing`): a file that takes longer than JUDGE_DELAY (a
# loaded machine, a large plan) would otherwise be imported beside the judging of the files before
# it, both holding their rows at once (issue 17: that was the import's peak RSS under load).
JUDGE_AFTER_IMPORT = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge-after-import")
JUDGE_DELAY = 2.0
_pending: dict[int, threading.Timer] = {}
_importing: Counter[int] = Counter()  # plan id -> imports into it running in this worker
_pending_lock = threading.Lock()


def _arm(engine, plan_id: int, as_of) -> None:
    """(Re)starts the plan's timer; with _pending_lock held."""

    def due() -> None:
        with _pending_lock:
            if _pending.get(plan_id) is not timer:
                return
            if _importing[plan_id]:  # after that import, not beside it
                _arm(engine, plan_id, as_of)
                return
            del _pending[plan_id]
            # queued under the lock: a drop (`judging_after_imports_dropped`) that finds the timer gone then queues
            # its marker after this judging, and waits for it (submit only queues; the judging never takes the lock)
            JUDGE_AFTER_IMPORT.submit(judge_plan, engine, plan_id, as_of)

    earlier = _pending.pop(plan_id, None)
    if earlier is not None:
        earlier.cancel()
    timer = threading.Timer(JUDGE_DELAY, due)
    timer.daemon = True
    _pending[plan_id] = timer
    timer.start()


def judge_after_import(engine, plan_id: int, as_of) -> None:
    """Judges the plan JUDGE_DELAY seconds from now, unless another import of it comes first (then after that
    one), and never while an import into it runs in this worker (then JUDGE_DELAY after it)."""
    with _pending_lock:
        _arm(engine, plan_id, as_of)


@contextmanager
def importing(plan_id: int) -> Iterator[None]:
    """Marks an import into the plan as running: its pending judging waits (see above)."""
    with _pending_lock:
        _importing[plan_id] += 1
    try:
        yield
    finally:
        with _pending_lock:
            _importing[plan_id] -= 1
            if not _importing[plan_id]:
                del _importing[plan_id]


def judged_after_imports(timeout: float = 60.0) -> None:
    """Runs what is pending now and waits until the judging queued so far is done (tests, shutdown)."""
    with _pending_lock:
        timers = list(_pending.values())
    for timer in timers:
        timer.cancel()
        timer.function()  # due(): submits it unless a later import replaced it
    _queued_done(timeout)


def _queued_done(timeout: float) -> None:
    """Waits until the judging queued so far is done (one thread: a marker queued now runs after it)."""
    JUDGE_AFTER_IMPORT.submit(lambda: None).result(timeout=timeout)


def judging_after_imports_dropped(timeout: float = 60.0) -> None:
    """Drops the judging not yet due and waits until what was queued before is done (tests, which empty the
    tables after each test: a judging of one test's plan must not run into the next test's emptying)."""
    with _pending_lock:
        timers = list(_pending.values())
        _pending.clear()  # a timer that fires after this finds itself gone (`due`) and submits nothing
    for timer in timers:
        timer.cancel()
    _queued_done(timeout)


router = APIRouter(tags=["exchange"])

MAX_UPLOAD_BYTES = MAX_IMPORT_BYTES  # the one number, in app/limits.py (whose middleware also enforces it)


async def uploaded_file(request: Request) -> bytes:
    """The bytes of the multipart field `file`; a body over 5 MiB is refused before it is parsed."""
    too_large = f"The upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; split the file."
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(too_large)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    # A malformed multipart body is answered 400 by Starlette (a problem, through the app's handler).
    form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            reason = "a text field, not a file" if upload is not None else "missing"
            raise InvalidInput.from_fields(
                "Upload the file as multipart/form-data in the field 'file'.", {"file": f"the field 'file' is {reason}"}
            )
        return await upload.read()
    finally:
        await form.close()


FileDep = Annotated[bytes, Depends(uploaded_file)]


@dataclass
class Upload:
    """A parsed upload for a plan the caller may import into (`scope`: the organisations it may report for)."""

    plan: Plan
    table: tabular.Table
    scope: set[int] | None = None


async def _received_and_read(request: Request, session, kind: str) -> tabular.Table:
    """After the access checks: no connection held while the body arrives and is parsed (app/slots.py)."""
    await release_connection_async(session)
    data = await uploaded_file(request)
    return await run_in_threadpool(importer.read, kind, data)


async def targets_upload(request: Request, session: SessionDep, plan: EditablePlanDep, _slot: ExchangeSlotDep) -> Upload:
    return Upload(plan, await _received_and_read(request, session, "targets"))


def _reporter_scope(session: SessionDep, principal: PrincipalDep, plan: PlanDep) -> tuple[Plan, set[int] | None]:
    reporter = policy.require(session, principal, Role.REPORTER)
    return plan, policy.scope_of(session, reporter)


async def submissions_upload(
    request: Request, session: SessionDep, access: Annotated[tuple, Depends(_reporter_scope)], _slot: ExchangeSlotDep
) -> AsyncIterator[Upload]:
    plan, scope = access
    with importing(stored_id(plan)):  # from the upload to the answer, the plan's judging waits
        yield Upload(plan, await _received_and_read(request, session, "submissions"), scope)


async def figures_batch(
    request: Request, session: SessionDep, access: Annotated[tuple, Depends(_reporter_scope)], _slot: ExchangeSlotDep
) -> AsyncIterator[Upload]:
    """The JSON list of figures, read after the access checks with no connection held (as an upload)."""
    plan, scope = access
    with importing(stored_id(plan)):  # as an upload's
        await release_connection_async(session)
        data = await request.body()  # at most 5 MiB: app/limits.py refuses more before it is read
        yield Upload(plan, await run_in_threadpool(batch.read_batch, data), scope)


TargetsUploadDep = Annotated[Upload, Depends(targets_upload)]
BatchDep = Annotated[Upload, Depends(figures_batch)]
SubmissionsUploadDep = Annotated[Upload, Depends(submissions_upload)]
DryRun = Annotated[bool, Query(description="Check every row and report, but store nothing.")]
KeepGoodRows = Annotated[
    bool, Query(description="Store the good rows even when some fail (default: all-or-nothing: nothing stored on any failure).")
]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A CSV (UTF-8, comma or semicolon) or XLSX file, at most 5 MiB.",
                        }
                    },
                }
            }
        },
    }
}

_TOO_LARGE = {
    413: {
        "description": "The upload is larger than 5 MiB.",
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


def _responses(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The report, also when rows failed: `stored` says whether anything was written.",
            "content": {"application/json": {"example": example}},
        },
        **errors(400, 401, 403, 404, 409, 422, 503),
        **_TOO_LARGE,
    }


def _columns(columns: dict[str, str]) -> str:
    return ", ".join(f"`{name}` ({vietnamese})" for name, vietnamese in columns.items())


COMMON = """
The file: CSV in UTF-8 (with or without a byte order mark; comma or semicolon, sniffed from the header
line) or XLSX (first sheet). Row 1 holds the headers, in English (the field names, as the export writes
them) or in Vietnamese; case, accents and spacing do not matter. An unknown, repeated or missing column
is reported and nothing is stored.

Numbers in text cells are read the Vietnamese way: `9.720` = 9720, `17,4` = 17.4, `1.536,246` = 1536.246.
An ambiguous `3,098` (3.098 or 3098?) fails with both readings; nothing is guessed. Dates: `2019-06-30`
or `30/06/2019`. Yes/no: `true`/`false`, `có`/`không`, `1`/`0`.

Every row goes through the same input model and domain checks as the single-item API. The report
counts rows as created, updated, ignored (identical to what is stored) and failed, and lists every
problem as `{row, column, value, reason}`.

- Default: all-or-nothing, in one transaction: any failure and nothing is stored.
- `keep_good_rows=true`: the good rows are stored, the failing ones reported.
- `dry_run=true`: everything is checked, nothing is stored.

The answer is 200 with the report whenever the file could be read; 422 when it is not a readable
CSV/XLSX (or not UTF-8), 413 when the body exceeds 5 MiB.
"""

TARGETS_DESCRIPTION = f"""
Creates or updates the plan's targets from a sheet.

Columns: {_columns(TARGET_COLUMNS)}. `code`, `title` and `comparison` are required; checkpoints are
written `2019-06-30:50; 2019-09-30:75` (date:share %).

A row whose `code` the plan already has updates that target with the PATCH rules, for the columns
the file has (a column it lacks leaves that field alone; an empty cell clears it, or resets it to its
default); a row identical
to the stored target is ignored, so importing the same file twice changes nothing. Targets the file
does not name are left alone.
{COMMON}"""

SUBMISSIONS_DESCRIPTION = f"""
Adds figures to the plan's targets from a sheet.

Columns: {_columns(SUBMISSION_COLUMNS)}. `target_code` (a target of this plan), `organization_code`
(the plan's organisation or one under it) and `period_date` are required, and each row gives one
figure: `value`, or `numerator` and `denominator`, or `done`. The `id` and `recorded_at` columns of an
export are accepted and not read.

Figures are matched by (target, organisation, period_date, is_estimate). A row identical to a figure
stored under that key is ignored; a different one is stored as a NEW figure that supersedes the
older one (figures are never changed in place) and is counted as updated.
{COMMON}"""

TARGETS_EXAMPLE = {
    "kind": "targets",
    "plan_id": 1,
    "plan_code": "TPLS-2019",
    "format": "csv",
    "rows": 3,
    "dry_run": False,
    "keep_good_rows": False,
    "stored": False,
    "counts": {"created": 1, "updated": 0, "ignored": 1, "failed": 1},
    "summary": "Nothing stored: 1 row failed and the import is all-or-nothing (keep_good_rows=true stores the good "
    "rows). The good rows would give 1 created, 0 updated, 1 ignored (already stored).",
    "errors": [{"row": 4, "column": "cận dưới", "field": "low", "value": "13", "reason": "low (13) is greater than high (11)"}],
    "notes": [],
}
SUBMISSIONS_EXAMPLE = {
    "kind": "submissions",
    "plan_id": 1,
    "plan_code": "TPLS-2019",
    "format": "xlsx",
    "rows": 2,
    "dry_run": False,
    "keep_good_rows": True,
    "stored": True,
    "counts": {"created": 1, "updated": 0, "ignored": 0, "failed": 1},
    "summary": "Stored: 1 created, 0 updated, 0 ignored (already stored); 1 row failed and was left out.",
    "errors": [
        {
            "row": 3,
            "column": "giá trị",
            "field": "value",
            "value": "3,098",
            "reason": "ambiguous number '3,098': ',' before three digits: 3,098 is 3.098 (Vietnamese decimal) or 3098 "
            "(English-style thousands); write 3098 for the whole number, or 3,0980 for the decimal",
        }
    ],
    "notes": [],
}


@router.post(
    "/plans/{plan_id}/import/targets",
    summary="Import a plan's targets from a CSV or XLSX file",
    description=TARGETS_DESCRIPTION,
    response_model=ImportReport,
    responses=_responses(TARGETS_EXAMPLE),
    openapi_extra=_UPLOAD_BODY,
)
def import_targets_file(
    upload: TargetsUploadDep, session: SessionDep, dry_run: DryRun = False, keep_good_rows: KeepGoodRows = False
) -> ImportReport:
    return importer.import_targets(
        session=session, plan=upload.plan, table=upload.table, dry_run=dry_run, keep_good_rows=keep_good_rows
    )


@router.post(
    "/plans/{plan_id}/import/submissions",
    summary="Import figures for a plan's targets from a CSV or XLSX file",
    description=SUBMISSIONS_DESCRIPTION,
    response_model=ImportReport,
    responses=_responses(SUBMISSIONS_EXAMPLE),
    openapi_extra=_UPLOAD_BODY,
)
def import_submissions_file(
    request: Request,
    upload: SubmissionsUploadDep,
    session: SessionDep,
    dry_run: DryRun = False,
    keep_good_rows: KeepGoodRows = False,
) -> ImportReport:
    return _import_figures(request, session, upload, dry_run=dry_run, keep_good_rows=keep_good_rows)


def _import_figures(request: Request, session: Session, upload: Upload, *, dry_run: bool, keep_good_rows: bool) -> ImportReport:
    """What a sheet's import of figures and the JSON batch do once their rows are read (the upload's dependency
    holds `importing` until the answer): import them, give the rows' memory back, judge the plan in its wake."""
    report = importer.import_submissions(
        session=session,
        plan=upload.plan,
        table=upload.table,
        dry_run=dry_run,
        keep_good_rows=keep_good_rows,
        scope=upload.scope,
    )
    memory.give_back()  # the file's rows, fields and events (20,000 of each) are freed: back to the system
    if report.stored and report.counts.created + report.counts.updated:
        # In the import's wake, after its commit and its answer: the plan is judged on today's date and
        # the evaluations stored, so the next plan-status read does not judge every target (issue 17).
        # Not BackgroundTasks: the idempotency layer holds the answer until the app returns, tasks included.
        state = request.app.state
        judge_after_import(state.engine, report.plan_id, state.settings.today())
    return report


BATCH_DESCRIPTION = f"""
Adds figures to the plan's targets from a JSON list, one object per figure (DHIS2's data value sets
are the model): the same rules, checks, options and report as the CSV/XLSX import of figures
(`/plans/{{plan_id}}/import/submissions`), through the same code; only the reading differs.

Each object: the target by `target_id` or `target_code` (a target of this plan), the reporting unit by
`organization_id` or `organization_code` (the plan's organisation or one under it; exactly one of each
pair), `period_date`, and one figure: `value`, or `numerator` and `denominator`, or `done`; optionally
`period_start`, `is_estimate`, `note`, `evidence_url`. `id` and `recorded_at` (in an export) are accepted
and not read, so the JSON export of a plan's figures (`/export?content=submissions&format=json`) posts
back unchanged. `null` is an absent field. Numbers in text (`"9.720"`) are read the Vietnamese way, as
in a CSV; JSON numbers are taken as they are.

In the report, `row` is the figure's position in the list, from 1, and `column` its field. An item that
is not an object, an unknown field or a value that is an object or a list stores nothing (as a sheet's
unknown column does). At most {tabular.MAX_ROWS:,} figures and {tabular.MAX_CELLS:,} values in all;
the body at most 5 MiB.

- Default: all-or-nothing, in one transaction: any failure and nothing is stored.
- `keep_good_rows=true`: the good figures are stored, the failing ones reported.
- `dry_run=true`: everything is checked, nothing is stored.

The answer is 200 with the report whenever the body is a JSON list; 422 when it is not.
"""

BATCH_EXAMPLE = {
    **SUBMISSIONS_EXAMPLE,
    "format": "json",
    "errors": [
        {
            "row": 2,
            "column": "organization_code",
            "field": "organization_code",
            "value": "P-NOWHERE",
            "reason": "no organisation has the code 'P-NOWHERE'",
        }
    ],
}

_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": tabular.MAX_ROWS,
                    "items": {
                        "type": "object",
                        # What a figure takes (the rules themselves are the import's, row by row).
                        "properties": {
                            "target_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                            "target_code": {"type": "string", "maxLength": 64},
                            "organization_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                            "organization_code": {"type": "string", "maxLength": 64},
                            "period_date": {"type": "string", "format": "date"},
                            "period_start": {"type": ["string", "null"], "format": "date"},
                            "value": {"type": ["number", "null"], "minimum": -MAX_FIGURE, "maximum": MAX_FIGURE},
                            "numerator": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_FIGURE},
                            "denominator": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": MAX_FIGURE},
                            "done": {"type": ["boolean", "null"]},
                            "is_estimate": {"type": ["boolean", "null"]},
                            "note": {"type": ["string", "null"], "maxLength": 20_000},
                            "evidence_url": {"type": ["string", "null"], "maxLength": 2000},
                        },
                        "additionalProperties": False,
                    },
                },
                "example": [
                    {"target_code": "03", "organization_code": "P-CHILANG", "period_date": "2019-06-30", "value": 450},
                    {"target_id": 9, "organization_id": 3, "period_date": "2019-12-31", "numerator": 10, "denominator": 30},
                ],
            }
        },
    }
}


@router.post(
    "/plans/{plan_id}/submissions/batch",
    summary="Add figures for a plan's targets from a JSON list",
    description=BATCH_DESCRIPTION,
    response_model=ImportReport,
    responses=_responses(BATCH_EXAMPLE),
    openapi_extra=_BATCH_BODY,
)
def import_submissions_batch(
    request: Request,
    upload: BatchDep,
    session: SessionDep,
    dry_run: DryRun = False,
    keep_good_rows: KeepGoodRows = False,
) -> ImportReport:
    # The one write path of imported figures: the rows of the JSON list go where a sheet's rows go.
    return _import_figures(request, session, upload, dry_run=dry_run, keep_good_rows=keep_good_rows)
