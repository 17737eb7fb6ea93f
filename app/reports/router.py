"""HTTP routes: a plan's report (HTML, DOCX, PDF), a target's and a plan's chart (SVG), a target's badge (SVG).

Each route reads the status through `app.status.service` (the same answer as `/status`, for the
same as_of, known_at and language), closes the session so that no database connection is held
while rendering, and answers with an ETag made from that status (and what else the document
shows): `If-None-Match` with it answers 304 before anything is rendered.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlmodel import Session

from app import language
from app.auth.service import Principal
from app.common.etag import ETAG_HEADER, matches
from app.deps import PrincipalDep, SessionDep
from app.openapi import errors
from app.organizations.deps import load_organization
from app.plans.deps import PlanDep
from app.reports import document
from app.status import service
from app.status.router import Reading, ReadingDep
from app.targets.deps import TargetId, readable_target

router = APIRouter(tags=["reports"])

ReportFormat = Literal["html", "docx", "pdf"]
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"
SVG_MEDIA_TYPE = "image/svg+xml"
# format -> (the module that renders it, media type). Each module, and its library (matplotlib for the
# charts and the page, python-docx, fpdf2), is imported at its first use: a worker that never renders
# a PDF never holds fpdf2 (bench/reports.py measures each format's peak memory on its own).
_RENDERERS = {
    "html": ("app.reports.html", HTML_MEDIA_TYPE),
    "docx": ("app.reports.docx", DOCX_MEDIA_TYPE),
    "pdf": ("app.reports.pdf", PDF_MEDIA_TYPE),
}


def _module(name: str):
    return importlib.import_module(name)


IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=2000,
        description="The ETag of a copy you hold: if it is still current, 304 and no body (nothing is rendered).",
    ),
]

_HEADERS = {
    "ETag": {
        "description": "Made from the evaluation the body shows (and its format and language): send it back in "
        "`If-None-Match` to be answered 304 while it holds.",
        "schema": ETAG_HEADER["ETag"]["schema"],
    },
    "Cache-Control": {"description": "`public, max-age=300` (`private` for a draft plan's).", "schema": {"type": "string"}},
    "Server-Timing": {
        "description": "`render;dur=<ms>`: how long the rendering alone took (200 only).",
        "schema": {"type": "string"},
    },
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_TEXT = {"schema": {"type": "string"}}
_NOT_MODIFIED = {304: {"description": "Not modified: the `If-None-Match` ETag is current.", "headers": _HEADERS}}


def _responses(description: str, content: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": content, "headers": _HEADERS}, **_NOT_MODIFIED, **errors(404, 422)}


def _etag(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        digest.update(b"\x00")
    return '"' + digest.hexdigest() + '"'


def _answer(
    if_none_match: str | None,
    etag: str,
    *,
    draft: bool,
    media_type: str,
    build: Callable[[], bytes],
    lang: str,
    filename: str | None = None,
) -> Response:
    """304 when the client's copy is current; else the rendered body, with its ETag, caching and language headers."""
    headers = {"ETag": etag, "Cache-Control": f"{'private' if draft else 'public'}, max-age=300", **language.headers(lang)}
    if if_none_match is not None and matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    started = time.perf_counter()
    body = build()
    headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"  # the rendering alone, in ms
    return Response(content=body, media_type=media_type, headers=headers)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "plan"


REPORT_DESCRIPTION = """
The committee's report document ("Báo cáo kết quả thực hiện các chỉ tiêu ..."), made from the plan's
status exactly as `GET /plans/{plan_id}/status` gives it for the same `as_of`, `known_at` and
language: the headline, one table per category (STT, target, plan, result, % of plan, verdict with
the committee's recorded verdict beside it, note), the targets without data and the provisional
verdicts, then the signature block and "Nơi nhận" for the office to fill.

- `format=html` (default): a page with print CSS (A4, a page per category, table headers repeated)
  and the plan's chart inline as SVG.
- `format=docx`: Word / LibreOffice, A4, the party's document layout (Times New Roman 13 pt), a download.
- `format=pdf`: the same document as a PDF (DejaVu Serif embedded), a download.
"""


@router.get(
    "/plans/{plan_id}/report",
    summary="Get a plan's report document (HTML, DOCX or PDF)",
    description=REPORT_DESCRIPTION,
    response_class=Response,
    responses=_responses(
        "The report. DOCX and PDF come as a download (`Content-Disposition: attachment`).",
        {HTML_MEDIA_TYPE.split(";")[0]: _TEXT, DOCX_MEDIA_TYPE: _BINARY, PDF_MEDIA_TYPE: _BINARY},
    ),
)
def get_plan_report(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    plan: PlanDep,
    read: ReadingDep,
    format_: Annotated[ReportFormat, Query(alias="format", description="html (default), docx or pdf.")] = "html",
    if_none_match: IfNoneMatch = None,
) -> Response:
    as_of, today = read.as_of, read.today
    body = service.plan_status_json(session=session, plan=plan, as_of=as_of, known_at=read.known_at, lang=read.lang)
    organization = load_organization(request, session, principal, plan.organization_id)
    parent = load_organization(request, session, principal, organization.parent_id).name if organization.parent_id else None
    name, draft, code = organization.name, plan.state == "draft", plan.code
    session.close()  # everything is read: rendering holds no connection
    module, media_type = _RENDERERS[format_]

    def build() -> bytes:
        # the parsed status is freed once the report model is built, before the renderer's peak
        report = document.build_report(
            document.ReportStatus.model_validate_json(body), organization=name, parent=parent, issued_on=today
        )
        return _module(module).render(report)

    filename = None if format_ == "html" else f"bao-cao-{_safe(code)}-{as_of.isoformat()}.{format_}"
    etag = _etag(body, format_, name, parent, today)
    return _answer(if_none_match, etag, draft=draft, media_type=media_type, build=build, lang=read.lang, filename=filename)


@router.get(
    "/plans/{plan_id}/chart.svg",
    summary="Get a chart of a plan's verdicts per category (SVG)",
    description="One stacked bar per category: how many targets stand at each verdict or pace on `as_of`, in the "
    "verdicts' colours, labelled in `lang`. The `ETag` is made from the counts: `If-None-Match` gets 304.",
    response_class=Response,
    responses=_responses("Verdict counts per category, stacked bars.", {SVG_MEDIA_TYPE: _TEXT}),
)
def get_plan_chart(session: SessionDep, plan: PlanDep, read: ReadingDep, if_none_match: IfNoneMatch = None) -> Response:
    # the counts per category only: no target's answer is written out or read back
    groups = service.plan_groups(session=session, plan=plan, as_of=read.as_of, known_at=read.known_at, lang=read.lang)
    draft = plan.state == "draft"
    session.close()
    body = "".join(g.model_dump_json() for g in groups)

    def build() -> bytes:
        return _module("app.reports.charts").plan_chart([(g.key, g.counts) for g in groups], lang=read.lang)

    return _answer(
        if_none_match,
        _etag(body, read.as_of, read.known_at, "plan-chart"),
        draft=draft,
        media_type=SVG_MEDIA_TYPE,
        build=build,
        lang=read.lang,
    )


@dataclass(frozen=True)
class TargetAsked:
    """A request for a target's chart or badge: who asks, for which target, read how."""

    request: Request
    session: Session
    principal: Principal | None
    target_id: int
    read: Reading


async def target_asked(
    request: Request, session: SessionDep, principal: PrincipalDep, target_id: TargetId, read: ReadingDep
) -> TargetAsked:
    return TargetAsked(request, session, principal, target_id, read)


TargetAskedDep = Annotated[TargetAsked, Depends(target_asked)]


def _target_reads(asked: TargetAsked, history: bool):
    session, read = asked.session, asked.read
    target, plan = readable_target(asked.request, session, asked.principal, asked.target_id)
    status = service.target_status(
        session=session, target=target, plan=plan, as_of=read.as_of, known_at=read.known_at, lang=read.lang
    )
    past = service.target_history(session=session, target=target, as_of=read.as_of, known_at=read.known_at) if history else None
    end, draft = plan.end_date, plan.state == "draft"
    session.close()
    return status, past, end, draft


@router.get(
    "/targets/{target_id}/chart.svg",
    summary="Get a chart of a target's progress (SVG)",
    description="The figures over time, the expected path (as `/history`), the goal (a band for a range), the forecast "
    "dashed to the period's end, and `as_of` marked; labels in `lang`, numbers written the Vietnamese way in Vietnamese.",
    response_class=Response,
    responses=_responses("The chart.", {SVG_MEDIA_TYPE: _TEXT}),
)
def get_target_chart(asked: TargetAskedDep, if_none_match: IfNoneMatch = None) -> Response:
    status, past, end, draft = _target_reads(asked, True)
    etag = _etag(status.model_dump_json(), past.model_dump_json(), "target-chart")
    return _answer(
        if_none_match,
        etag,
        draft=draft,
        media_type=SVG_MEDIA_TYPE,
        build=lambda: _module("app.reports.charts").target_chart(status, past, period_end=end, lang=asked.read.lang),
        lang=asked.read.lang,
    )


@router.get(
    "/targets/{target_id}/badge.svg",
    summary="Get a target's status badge (SVG), for portals",
    description="The target's title, its figure and its verdict on the verdict's colour.",
    response_class=Response,
    responses=_responses("The badge.", {SVG_MEDIA_TYPE: _TEXT}),
)
def get_target_badge(asked: TargetAskedDep, if_none_match: IfNoneMatch = None) -> Response:
    status, _, _, draft = _target_reads(asked, False)
    return _answer(
        if_none_match,
        _etag(status.model_dump_json(), "badge"),
        draft=draft,
        media_type=SVG_MEDIA_TYPE,
        build=lambda: _module("app.reports.charts").badge(status, lang=asked.read.lang),
        lang=asked.read.lang,
    )
