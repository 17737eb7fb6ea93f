"""GET /plans/{plan_id}/export: status, targets and figures as CSV / XLSX / JSON, and the JSON bundle.

Runs on SQLite and PostgreSQL (the conftest `app`). The export router is added
to that app here until app/main.py registers it (then the fixture does nothing).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session
from starlette.routing import NoMatchFound

from app.config import Settings
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS
from app.exchange.export_router import router as export_router
from app.exchange.exporter import number_text
from app.exchange.vnnumbers import parse_number
from app.main import create_app
from app.migrate import upgrade
from app.seed import SeedReport, load_plans, load_samples
from app.targets.models import TargetCreate
from tests.api.helpers import assert_problem

API = "/api/v1"
EXPORT_PATH = f"{API}/plans/{{plan_id}}/export"
BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX, "json": "application/json"}
SAMPLE_NOTE = "DỮ LIỆU MẪU, không phải số liệu thật / SAMPLE DATA, not a real report"

STATUS_HEADER = ["code", "title", "unit", "category", "comparison", "goal", "measured", "expected", "status",
                 "verdict_if_final", "rests_on_estimate", "provisional", "units_reported", "units_expected", "message"]
TARGETS_HEADER = list(TARGET_COLUMNS)
SUBMISSIONS_HEADER = [*SUBMISSION_COLUMNS, "id", "recorded_at"]
HEADERS = {"status": STATUS_HEADER, "targets": TARGETS_HEADER, "submissions": SUBMISSIONS_HEADER}
FIGURE_COLUMNS = {"goal", "measured", "expected", "value", "low", "high", "tolerance", "baseline_value", "numerator", "denominator"}

# The sample wards and communes that report on targets 03 and 09 (seed_data/samples_langson_2019.json).
SAMPLE_UNITS = {"P-CHILANG", "P-DONGKINH", "P-HOANGVANTHU", "P-TAMTHANH", "P-VINHTRAI", "X-HOANGDONG", "X-MAIPHA", "X-QUANGLAC"}


def include_export_router(application) -> None:
    """Adds the export route to an app once (a no-op once app/main.py registers it)."""
    try:
        application.url_path_for("export_plan", plan_id=1)
    except NoMatchFound:
        application.include_router(export_router, prefix=API)
        application.openapi_schema = None
        application.state.path_patterns = None  # the 405 Allow cache, rebuilt from the new schema


@pytest.fixture
def app(app):
    """The conftest app (SQLite, PostgreSQL), with the export route."""
    include_export_router(app)
    return app


@pytest.fixture
def plan_id(seeded, client) -> int:
    return client.get(f"{API}/plans").json()["items"][0]["id"]


def export(client, plan_id: int, content: str, fmt: str | None = None, **params):
    query = {"content": content, **params}
    if fmt:
        query["format"] = fmt
    return client.get(f"{API}/plans/{plan_id}/export", params=query)


def read_rows(response, fmt: str) -> tuple[list[str], list[dict]]:
    """(header, rows) of an export: CSV cells as text, XLSX and JSON cells typed."""
    if fmt == "csv":
        assert response.content.startswith(BOM)
        table = list(csv.reader(io.StringIO(response.content[3:].decode("utf-8"), newline="")))
        return table[0], [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    if fmt == "xlsx":
        values = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        header = list(values[0])
        return header, [dict(zip(header, r, strict=True)) for r in values[1:]]
    data = response.json()
    assert isinstance(data, list)
    return (list(data[0]) if data else []), data


def figure(text: str) -> float | None:
    return None if text == "" else float(text)


# ------------------------------------------------------------------ every content × format


@pytest.mark.parametrize("content", ["status", "targets", "submissions"])
def test_every_content_and_format(client, plan_id, content):
    for fmt in ("csv", "xlsx", "json"):
        r = export(client, plan_id, content, fmt, as_of="2019-12-31")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == MEDIA[fmt]
        assert r.headers["content-disposition"] == f'attachment; filename="TPLS-2019-{content}.{fmt}"'
        header, rows = read_rows(r, fmt)
        assert header == HEADERS[content], fmt
        assert len(rows) == (28 if content == "submissions" else 12)
        if content == "submissions":
            assert {row["target_code"] for row in rows} >= {"01", "03", "12"}
            assert {row["organization_code"] for row in rows} == {"DB-TPLANGSON"} | SAMPLE_UNITS
        else:
            assert "Tổng sản lượng lương thực có hạt" in {row["title"] for row in rows}
    if content == "status":  # the defaults: status, as CSV
        r = client.get(f"{API}/plans/{plan_id}/export")
        assert r.status_code == 200 and r.headers["content-type"] == MEDIA["csv"]
        assert read_rows(r, "csv")[0] == STATUS_HEADER


# ------------------------------------------------------------------ status


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_status_rows_are_the_status_endpoint_exactly(client, plan_id, lang):
    api = client.get(f"{API}/plans/{plan_id}/status", params={"as_of": "2019-12-31", "lang": lang}).json()["targets"]
    comparisons = {t["code"]: t["comparison"] for t in client.get(f"{API}/plans/{plan_id}/targets").json()["items"]}
    for fmt in ("csv", "xlsx", "json"):
        _check_status_rows(client, plan_id, fmt, lang, api, comparisons)
    # as_of decides what counts
    mid = {r["code"]: r for r in export(client, plan_id, "status", "json", as_of="2019-06-30").json()}
    end = {r["code"]: r for r in export(client, plan_id, "status", "json", as_of="2019-12-31").json()}
    assert mid["03"]["measured"] == 2350 and mid["03"]["expected"] is not None
    assert end["03"]["measured"] == 5130 and end["03"]["expected"] is None


def _check_status_rows(client, plan_id, fmt, lang, api, comparisons):
    _, rows = read_rows(export(client, plan_id, "status", fmt, as_of="2019-12-31", lang=lang), fmt)
    assert [row["code"] for row in rows] == [t["code"] for t in api]
    if fmt == "csv":
        rows = [{**row, **{k: figure(row[k]) for k in ("goal", "measured", "expected")},
                 "rests_on_estimate": {"true": True, "false": False}[row["rests_on_estimate"]],
                 "provisional": {"true": True, "false": False}[row["provisional"]]} for row in rows]
    for row, t in zip(rows, api, strict=True):
        for name in ("code", "title", "unit", "category", "goal", "measured", "expected", "status",
                     "verdict_if_final", "rests_on_estimate", "provisional", "message"):
            assert row[name] == t[name], (name, row, t)  # numbers exact, Vietnamese intact
        expected_units = (t["coverage"]["reported"], t["coverage"]["expected"]) if t["coverage"] else (None, None)
        got_units = tuple(int(row[k]) if row[k] not in (None, "") else None for k in ("units_reported", "units_expected"))
        assert got_units == expected_units, row
        assert row["comparison"] == comparisons[t["code"]]
        assert row["message"] == t[f"message_{lang}"]
    by_code = {row["code"]: row for row in rows}
    assert by_code["07"]["measured"] == pytest.approx(97.6095617529880) and by_code["07"]["measured"] != round(
        by_code["07"]["measured"], 2)  # a ratio, not rounded on the way out
    assert by_code["03"]["measured"] == 5130 and by_code["03"]["unit"] == "tấn"


# ------------------------------------------------------------------ XLSX


def test_xlsx_header_frozen_bold_formats_and_exact_numbers(client, plan_id, make):
    target = make.target(plan_id, code="13", title="Số hộ dùng nước sạch", unit="hộ", comparison="at_least", value=12345.678,
                         notes="=SUM(A1:A2) stays text", checkpoints=[{"date": "2019-06-30", "share": 50}])
    make.submission(target["id"], period_date="2019-03-31", organization_id=1, value=1234.5678, note="ước")
    wb = load_workbook(io.BytesIO(export(client, plan_id, "submissions", "xlsx").content))
    ws = wb.active
    assert ws.title == "submissions"
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    header = [c.value for c in ws[1]]
    assert header == SUBMISSIONS_HEADER
    col = {name: i for i, name in enumerate(header)}
    row = next(r for r in ws.iter_rows(min_row=2) if r[col["target_code"]].value == "13")
    assert row[col["value"]].value == 1234.5678
    assert row[col["value"]].number_format == "#,##0.##"
    assert row[col["period_date"]].number_format == "yyyy-mm-dd"
    assert row[col["period_date"]].value.date().isoformat() == "2019-03-31"
    assert row[col["recorded_at"]].number_format == "yyyy-mm-dd hh:mm:ss"
    assert row[col["id"]].number_format == "0"
    assert row[col["is_estimate"]].value is False and row[col["note"]].value == "ước"
    assert ws.column_dimensions["A"].width >= len("target_code")

    ws = load_workbook(io.BytesIO(export(client, plan_id, "targets", "xlsx").content)).active
    header = [c.value for c in ws[1]]
    assert header == TARGETS_HEADER
    col = {name: i for i, name in enumerate(header)}
    row = next(r for r in ws.iter_rows(min_row=2) if r[col["code"]].value == "13")
    assert row[col["value"]].value == 12345.678 and row[col["value"]].number_format == "#,##0.##"
    assert row[col["notes"]].data_type == "s" and row[col["notes"]].value == "=SUM(A1:A2) stays text"  # never a formula
    assert row[col["checkpoints"]].value == "2019-06-30:50"
    assert row[col["title"]].value == "Số hộ dùng nước sạch"
    assert 8 <= ws.column_dimensions[chr(ord("A") + col["clause"])].width <= 60


# ------------------------------------------------------------------ targets and submissions


def test_targets_rows_follow_the_column_contract(client, plan_id, make):
    # A title is one line (issue 12 item 10); the line break goes in the clause, which is long text.
    make.target(plan_id, code="13", title='Tỷ lệ "xanh, sạch" đẹp', clause="dòng một,\n\"dòng\" hai", category="môi trường",
                unit="%", comparison="change",
                value=-10, tolerance=0.5, baseline_value=40, baseline_date="2018-12-31", change_basis="relative_percent",
                frequency="quarterly", checkpoints=[{"date": "2019-09-30", "share": 75}, {"date": "2019-06-30", "share": 50}],
                position=13)
    json_rows = {r["code"]: r for r in export(client, plan_id, "targets", "json").json()}
    csv_rows = {r["code"]: r for r in read_rows(export(client, plan_id, "targets", "csv"), "csv")[1]}
    new = json_rows["13"]
    assert list(new) == TARGETS_HEADER
    assert new["checkpoints"] == "2019-06-30:50; 2019-09-30:75"
    assert (new["value"], new["tolerance"], new["baseline_value"], new["baseline_date"]) == (-10, 0.5, 40, "2018-12-31")
    assert (new["direction"], new["change_basis"], new["frequency"], new["position"]) == (
        "lower_is_better", "relative_percent", "quarterly", 13)
    row = csv_rows["13"]
    assert row["title"] == 'Tỷ lệ "xanh, sạch" đẹp'  # quotes and comma survive CSV quoting
    assert row["clause"] == 'dòng một,\n"dòng" hai'  # and a line break
    assert row["checkpoints"] == "2019-06-30:50; 2019-09-30:75"
    assert (row["value"], row["low"], row["tolerance"], row["baseline_date"]) == ("-10", "", "0.5", "2018-12-31")
    assert csv_rows["01"]["low"] == "11" and csv_rows["01"]["high"] == "13" and csv_rows["01"]["category"] == "kinh tế"
    # every row re-validates as a target definition (checkpoints aside, which the importer splits)
    for r in json_rows.values():
        TargetCreate.model_validate({k: v for k, v in r.items() if v is not None and k != "checkpoints"})


def test_submissions_rows_carry_codes_flags_then_id_and_recorded_at(client, plan_id, make):
    ward = make.org(code="DU-PHUONG-CHILANG", name="Đảng ủy phường Chi Lăng", parent_id=1)
    milestone = make.target(plan_id, code="13", title="Hoàn thành đề án", comparison="milestone", unit="", value=None,
                            position=13)
    posted = make.submission(milestone["id"], period_date="2019-11-30", organization_id=ward["id"], done=True,
                             evidence_url="https://example.org/bien-ban.pdf", note="Biên bản nghiệm thu")
    rows = export(client, plan_id, "submissions", "json").json()
    assert [r["target_code"] for r in rows] == sorted(r["target_code"] for r in rows)  # target order
    mine = rows[-1]
    assert list(mine) == SUBMISSIONS_HEADER
    assert mine == {"target_code": "13", "organization_code": "DU-PHUONG-CHILANG", "period_date": "2019-11-30", "period_start": None,
                    "value": None, "numerator": None, "denominator": None, "done": True, "is_estimate": False,
                    "note": "Biên bản nghiệm thu", "evidence_url": "https://example.org/bien-ban.pdf",
                    "id": posted["id"], "recorded_at": mine["recorded_at"]}
    assert mine["recorded_at"].endswith("+00:00")
    ratio = next(r for r in rows if r["target_code"] == "07")
    assert (ratio["numerator"], ratio["denominator"], ratio["value"]) == (245, 251, None)
    estimates = [(r["target_code"], r["period_date"]) for r in rows if r["is_estimate"]]
    assert estimates == [("01", "2019-06-30"), ("02", "2019-12-31"), ("04", "2019-06-30"), ("12", "2019-06-30")]

    csv_rows = read_rows(export(client, plan_id, "submissions", "csv"), "csv")[1]
    assert csv_rows[-1]["done"] == "true" and csv_rows[-1]["value"] == "" and csv_rows[-1]["is_estimate"] == "false"
    assert csv_rows[-1]["note"] == "Biên bản nghiệm thu" and csv_rows[0]["note"] == SAMPLE_NOTE
    assert [r["id"] for r in csv_rows] == [str(r["id"]) for r in rows]


@pytest.mark.parametrize("x", [5000.0, 12.1, 12.345, -1.234, 999.999, 1e-05, 97.60956175298804, 1234.5678, 0.1 + 0.2, 1.5e15])
def test_csv_numbers_are_exact_and_never_look_like_thousands(x):
    text = number_text(x)
    assert float(text) == x and "e" not in text
    assert parse_number(text).value == x  # read the Vietnamese way ('.' + 3 digits groups thousands), still x
    assert not parse_number(text).ambiguous


def test_exported_files_import_back_unchanged(client, plan_id, make, session):
    importer = pytest.importorskip("app.exchange.importer")
    from app.plans.models import Plan

    target = make.target(plan_id, code="13", title="Tỷ lệ che phủ rừng", unit="%", comparison="at_least", value=12.345,
                         checkpoints=[{"date": "2019-06-30", "share": 40}], position=13)
    make.submission(target["id"], period_date="2019-03-31", organization_id=1, value=1.234, note="ước, quý I")
    plan = session.get(Plan, plan_id)
    for kind, rows in (("targets", 13), ("submissions", 29)):
        for fmt in ("csv", "xlsx"):
            report = importer.import_bytes(session=session, plan=plan, kind=kind, data=export(client, plan_id, kind, fmt).content,
                                           dry_run=True)
            assert report.errors == [], (kind, fmt, report.errors)
            assert report.counts.model_dump() == {"created": 0, "updated": 0, "ignored": rows, "failed": 0}, (kind, fmt)


# ------------------------------------------------------------------ errors


def test_unknown_plan_is_404(client):
    assert_problem(export(client, 999_999, "targets", "csv"), 404)


BAD_QUERIES = [
    ({"content": "everything"}, "query.content"),
    ({"content": "targets", "format": "pdf"}, "query.format"),
    ({"content": "bundle", "format": "csv"}, "query.format"),
    ({"content": "bundle", "format": "xlsx"}, "query.format"),
    ({"content": "status", "as_of": "2019-02-30"}, "query.as_of"),
    ({"content": "status", "lang": "fr"}, "query.lang"),
]


def test_bad_query_is_422(client, make):
    plan = make.plan()
    for params, field in BAD_QUERIES:
        assert_problem(client.get(f"{API}/plans/{plan['id']}/export", params=params), 422, fields={field})


def test_openapi_documents_the_three_media_types():
    application = create_app(Settings(database_url="sqlite://"))
    include_export_router(application)
    op = application.openapi()["paths"][EXPORT_PATH]["get"]
    assert op["summary"] and op["description"]
    assert set(op["responses"]["200"]["content"]) == {"text/csv", XLSX, "application/json"}
    assert {"404", "422"} <= set(op["responses"])
    application.state.engine.dispose()


# ------------------------------------------------------------------ bundle


def test_bundle_has_the_seed_file_shapes(client, plan_id):
    r = export(client, plan_id, "bundle")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="TPLS-2019-bundle.json"'
    doc = r.json()
    seed_plan = json.loads(open("seed_data/langson_2019.json", encoding="utf-8").read())
    assert set(doc) == {"plan", "figures"}
    seed_units = json.loads(open("seed_data/samples_langson_2019.json", encoding="utf-8").read())["organizations"]
    assert doc["plan"]["organizations"] == [{**seed_plan["organizations"][0], "parent_code": None, "is_reporting_unit": True}] + [
        {**{k: v for k, v in unit.items() if k != "sample"}, "is_reporting_unit": True} for unit in seed_units]
    plan = doc["plan"]["plans"][0]
    assert plan["organization_code"] == "DB-TPLANGSON" and plan["code"] == "TPLS-2019"
    assert plan["notes"].startswith("Kết quả năm 2018")  # the seed's context, stored as notes, travels as notes
    assert "context_2018" not in plan
    for exported, seeded in zip(plan["targets"], seed_plan["plans"][0]["targets"], strict=True):
        assert {k: exported[k] for k in seeded} == seeded
        assert exported["checkpoints"] == []
    figures = doc["figures"]
    assert figures["plan_code"] == "TPLS-2019" and figures["note"] == SAMPLE_NOTE
    seed_figures = json.loads(open("seed_data/samples_langson_2019.json", encoding="utf-8").read())["submissions"]
    assert [{k: v for k, v in f.items() if k != "sample"} for f in seed_figures] == [
        {k: v for k, v in f.items() if k in seed or (k == "is_estimate" and v)}
        for f, seed in zip(figures["submissions"], seed_figures, strict=True)
    ]
    assert not any("sample" in f or "note" in f for f in figures["submissions"])


def _add_variety(make, plan_id: int, note: str, ward_note: str) -> None:
    """Targets and figures the seed lacks: checkpoints, frequency, a change, a milestone, a ward reporting."""
    ward = make.org(code="DU-PHUONG-CHILANG", name="Đảng ủy phường Chi Lăng", kind="party_committee", parent_id=1)
    flow = make.target(plan_id, code="13", title="Số lượt khách du lịch", title_en="Tourist arrivals", category="du lịch",
                       unit="lượt khách", comparison="at_least", value=1_250_000.5, frequency="quarterly", position=13,
                       checkpoints=[{"date": "2019-06-30", "share": 40}, {"date": "2019-09-30", "share": 72.5}],
                       aggregation="sum", clause="Thu hút trên 1.250.000 lượt khách", notes="Ghi chú: \"ước\", 2019")
    change = make.target(plan_id, code="14", title="Giảm tỷ lệ hộ nghèo", unit="%", comparison="change", value=-10,
                         tolerance=0.5, baseline_value=3.21, baseline_date="2018-12-31", change_basis="relative_percent",
                         position=14)
    milestone = make.target(plan_id, code="15", title="Hoàn thành hồ sơ đô thị loại II", comparison="milestone", unit="",
                            value=None, position=15)
    make.submission(flow["id"], period_date="2019-03-31", organization_id=ward["id"], value=300_000.25, is_estimate=True,
                    note=ward_note, evidence_url="https://example.org/q1.pdf")
    make.submission(flow["id"], period_date="2019-03-31", organization_id=ward["id"], value=310_000, note=note)
    make.submission(change["id"], period_date="2019-12-31", organization_id=1, value=2.9, note=note)
    make.submission(milestone["id"], period_date="2019-12-31", organization_id=1, done=False, note=note)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    """An empty SQLite database at migration head, copied for each fresh database (migrating once is enough)."""
    path = tmp_path_factory.mktemp("export") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _load_into_fresh_database(template: Path, tmp_path, doc: dict):
    """A fresh migrated SQLite app with the bundle loaded through app.seed's loaders; returns (app, report)."""
    shutil.copyfile(template, tmp_path / "copy.db")
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    fresh = create_app(Settings(database_url=url))
    include_export_router(fresh)
    report = SeedReport()
    with Session(fresh.state.engine) as s:
        load_plans(s, doc["plan"], report)
        load_samples(s, doc["figures"], report)
    return fresh, report


def _comparable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("id", "recorded_at")} for r in rows]


def test_bundle_round_trip_into_an_empty_database(client, plan_id, make, tmp_path, migrated_template):
    _add_variety(make, plan_id, note=SAMPLE_NOTE, ward_note=SAMPLE_NOTE)
    original = export(client, plan_id, "bundle").json()
    fresh, report = _load_into_fresh_database(migrated_template, tmp_path, original)
    try:
        assert report.created == {"organizations": 10, "plans": 1, "targets": 15, "submissions": 32}
        with TestClient(fresh, raise_server_exceptions=False) as copy:
            copy_id = copy.get(f"{API}/plans").json()["items"][0]["id"]
            assert export(copy, copy_id, "bundle").json() == original  # field by field, nothing lost or changed
            for content in ("targets", "submissions"):
                assert _comparable(export(copy, copy_id, content, "json").json()) == _comparable(
                    export(client, plan_id, content, "json").json())
            for as_of in ("2019-06-30", "2019-12-31"):
                before = client.get(f"{API}/plans/{plan_id}/status", params={"as_of": as_of}).json()
                after = copy.get(f"{API}/plans/{copy_id}/status", params={"as_of": as_of}).json()
                assert after["counts"] == before["counts"] and after["total"] == before["total"] == 15
                assert export(copy, copy_id, "status", "json", as_of=as_of).json() == export(
                    client, plan_id, "status", "json", as_of=as_of).json()
            plan_before = client.get(f"{API}/plans/{plan_id}").json()
            plan_after = copy.get(f"{API}/plans/{copy_id}").json()
            skip = {"id", "organization_id", "created_at", "updated_at"}
            assert {k: v for k, v in plan_after.items() if k not in skip} == {
                k: v for k, v in plan_before.items() if k not in skip}
    finally:
        fresh.state.engine.dispose()


def test_bundle_marks_notes_that_differ_from_the_default(client, plan_id, make):
    _add_variety(make, plan_id, note=SAMPLE_NOTE, ward_note="Số ước quý I")
    figures = export(client, plan_id, "bundle").json()["figures"]
    assert figures["note"] == SAMPLE_NOTE
    own = [f for f in figures["submissions"] if "note" in f]
    assert own == [{"target_code": "13", "organization_code": "DU-PHUONG-CHILANG", "period_date": "2019-03-31",
                    "value": 300_000.25, "is_estimate": True, "note": "Số ước quý I",
                    "evidence_url": "https://example.org/q1.pdf"}]


def test_bundle_round_trip_keeps_each_figures_own_note(backend, client, plan_id, make, tmp_path, migrated_template):
    if backend != "sqlite":
        pytest.skip("about app.seed.load_samples, whatever the source database: SQLite shows it")
    _add_variety(make, plan_id, note=SAMPLE_NOTE, ward_note="Số ước quý I")
    original = export(client, plan_id, "bundle").json()
    fresh, _ = _load_into_fresh_database(migrated_template, tmp_path, original)
    try:
        with TestClient(fresh) as copy:
            assert export(copy, copy.get(f"{API}/plans").json()["items"][0]["id"], "bundle").json() == original
    finally:
        fresh.state.engine.dispose()
