"""HTTP route: export a plan's status, targets or figures (CSV, XLSX, JSON), or the whole plan as a JSON bundle."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from app import language
from app.deps import LangDep, SessionDep, TodayDep
from app.errors import InvalidInput
from app.exchange import exporter
from app.exchange.models import ExportJson
from app.openapi import errors
from app.plans.deps import PlanDep
from app.slots import ExchangeSlotDep, release_connection
from app.status.router import AsOf

router = APIRouter(tags=["exchange"])

Content = Literal["status", "targets", "submissions", "bundle"]
Format = Literal["csv", "xlsx", "json"]


_FILE = {"schema": {"type": "string", "format": "binary"}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, as a download (`Content-Disposition: attachment`).",
        "model": ExportJson,
        "content": {
            exporter.CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            exporter.XLSX_MEDIA_TYPE: _FILE,
        },
    },
    **errors(404, 422, 503),
}

DESCRIPTION = """
What to export (`content`):

- `status`: one row per target as judged on `as_of` (default today): code, title, unit, category,
  comparison, goal, measured, expected, status, verdict_if_final, rests_on_estimate and message
  (in `lang`, else Accept-Language). The same judgement as `GET /plans/{plan_id}/status`.
- `targets`: the targets in the import column contract (English field names as headers, in order;
  checkpoints as `2019-06-30:50; 2019-09-30:75`), so the file imports back unchanged.
- `submissions`: every figure of the plan in the column contract (target_code, organization_code, ...),
  then `id` and `recorded_at` (UTC).
- `bundle` (JSON only): `{"plan": <plan file>, "figures": <figures file>}` in the shapes of `seed_data/`,
  loadable into another database with `app.seed.load_plans` and `app.seed.load_samples`.
  Figures whose note differs from the file's `note` carry their own `note`.

Formats (`format`, default `csv`, or `json` for `bundle`): `csv` is UTF-8 with a byte order mark,
comma-separated; `xlsx` has one sheet with a bold, frozen header row and number formats;
`json` is a list of objects with the same rows. `as_of` and `lang` only affect `status`.
"""


@router.get(
    "/plans/{plan_id}/export",
    summary="Export a plan's status, targets or figures (CSV, XLSX, JSON), or the whole plan as a JSON bundle",
    description=DESCRIPTION,
    response_class=Response,
    responses=RESPONSES,
)
def export_plan(
    session: SessionDep,
    plan: PlanDep,
    today: TodayDep,
    lang: LangDep,
    _slot: ExchangeSlotDep,
    content: Annotated[Content, Query(description="What to export.")] = "status",
    format_: Annotated[
        Format | None, Query(alias="format", description="File format (default: csv; json for bundle, which is JSON only).")
    ] = None,
    as_of: AsOf = None,
) -> Response:
    fmt = format_ or ("json" if content == "bundle" else "csv")
    if content == "bundle" and fmt != "json":
        raise InvalidInput.from_fields(
            "The bundle is exported as JSON only.", {"query.format": "must be json for content=bundle"}
        )

    name = exporter.filename(plan, content, fmt)
    # Load (database), then give the connection back before rendering (CPU): app/exchange/slots.py.
    if content == "bundle":
        document = exporter.bundle(session, plan)
        release_connection(session)
        body, media_type = exporter.to_json_bytes(document), exporter.JSON_MEDIA_TYPE
    else:
        if content == "status":
            table = exporter.status_table(session, plan, as_of=as_of or today, lang=lang)
        elif content == "targets":
            table = exporter.targets_table(session, plan)
        else:
            table = exporter.submissions_table(session, plan)
        release_connection(session)
        if fmt == "csv":
            body, media_type = exporter.to_csv(table), exporter.CSV_MEDIA_TYPE
        elif fmt == "xlsx":
            body, media_type = exporter.to_xlsx(table), exporter.XLSX_MEDIA_TYPE
        else:
            body, media_type = exporter.to_json_bytes(exporter.to_json_rows(table)), exporter.JSON_MEDIA_TYPE
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if content == "status":  # the verdicts' words and explanations are in `lang`
        headers.update(language.headers(lang))
    return Response(content=body, media_type=media_type, headers=headers)
