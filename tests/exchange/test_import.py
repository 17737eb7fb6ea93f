"""POST /plans/{plan_id}/import/{targets,submissions} and `chitieu import`: sheets in, through the API's own checks.

Runs on SQLite and PostgreSQL (the conftest `app`). The import routes are added
to that app here until app/main.py registers them (then the fixture does nothing).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import typer
from openpyxl import Workbook
from sqlmodel import Session
from starlette.routing import NoMatchFound
from typer.testing import CliRunner

from app.exchange.import_router import router as import_router
from app.migrate import upgrade
from tests.api.helpers import API, assert_problem

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_HEADER = ["code", "title", "unit", "comparison", "value", "low", "high"]


def include_import_router(application) -> None:
    """Adds the import routes to an app once (a no-op once app/main.py registers them)."""
    try:
        application.url_path_for("import_targets_file", plan_id=1)
    except NoMatchFound:
        application.include_router(import_router, prefix=API)
        application.openapi_schema = None
        application.state.path_patterns = None  # the 405 Allow cache, rebuilt from the new schema


@pytest.fixture
def app(app):
    """The conftest app (SQLite, PostgreSQL), with the import routes."""
    include_import_router(app)
    return app


# ------------------------------------------------------------------ helpers


def csv_bytes(rows: list[list], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, plan_id: int, kind: str, data: bytes, *, name: str = "file.csv", media: str = CSV, **params):
    return client.post(f"{API}/plans/{plan_id}/import/{kind}", files={"file": (name, data, media)}, params=params)


def imported(client, plan_id: int, kind: str, data: bytes, **params) -> dict:
    r = upload(client, plan_id, kind, data, **params)
    assert r.status_code == 200, r.text
    return r.json()


def counts(report: dict) -> tuple[int, int, int, int]:
    c = report["counts"]
    return c["created"], c["updated"], c["ignored"], c["failed"]


def targets(client, plan_id: int) -> dict[str, dict]:
    return {t["code"]: t for t in client.get(f"{API}/plans/{plan_id}/targets").json()["items"]}


def figures(client, target_id: int) -> list[dict]:
    return client.get(f"{API}/targets/{target_id}/submissions").json()["items"]


GOOD_TARGETS = [
    TARGET_HEADER,
    ["01", "Tốc độ tăng trưởng", "%", "between", "", "11", "13"],
    ["02", "Sản lượng rau", "tấn", "more_than", "9.720", "", ""],
    ["03", "Tỷ lệ che phủ rừng", "%", "at_least", "17,4", "", ""],
    ["04", "Thu ngân sách", "tỷ đồng", "at_least", "1.536,246", "", ""],
]


# ------------------------------------------------------------------ targets: formats and numbers


def test_targets_csv_with_vietnamese_numbers_then_the_same_file_again_changes_nothing(client, make):
    plan = make.plan()
    data = csv_bytes(GOOD_TARGETS)
    report = imported(client, plan["id"], "targets", data)
    assert counts(report) == (4, 0, 0, 0) and report["stored"] is True and report["errors"] == []
    assert report["format"] == "csv" and report["rows"] == 4 and report["summary"].startswith("Stored")
    stored = targets(client, plan["id"])
    assert (stored["01"]["low"], stored["01"]["high"], stored["01"]["value"]) == (11.0, 13.0, None)
    assert [stored[c]["value"] for c in ("02", "03", "04")] == [9720.0, 17.4, 1536.246]
    assert stored["02"]["direction"] == "higher_is_better"

    again = imported(client, plan["id"], "targets", data)
    assert counts(again) == (0, 0, 4, 0) and again["stored"] is False
    assert targets(client, plan["id"]) == stored  # not even updated_at moved


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (";", False), (",", True)])
def test_csv_delimiters_byte_order_mark_and_vietnamese_headers(client, make, delimiter, bom):
    plan = make.plan()
    rows = [
        ["Mã", "Tên chỉ tiêu", "Đơn vị tính", "So sánh", "Giá trị", "Mốc tiến độ", "Ngày cơ sở"],
        ["05", "Sản lượng lương thực", "tấn", "more_than", "5.000", "2019-06-30:50; 2019-09-30:75", "31/12/2018"],
        ["06", "Tỷ lệ hộ nghèo", "%", "At most", "2,5", "", ""],
    ]
    report = imported(client, plan["id"], "targets", csv_bytes(rows, delimiter=delimiter, bom=bom))
    assert counts(report) == (2, 0, 0, 0), report
    stored = targets(client, plan["id"])
    assert stored["05"]["value"] == 5000.0 and stored["05"]["baseline_date"] == "2018-12-31"
    assert stored["05"]["checkpoints"] == [{"date": "2019-06-30", "share": 50.0}, {"date": "2019-09-30", "share": 75.0}]
    assert (stored["06"]["comparison"], stored["06"]["value"]) == ("at_most", 2.5)
    assert stored["06"]["direction"] == "lower_is_better"


def test_xlsx_numbers_dates_and_text_numbers(client, make):
    org = make.org()
    plan = make.plan(org["id"])
    sheet = [
        ["code", "title", "unit", "comparison", "value", "baseline_date", "position"],
        ["07", "Giá trị sản xuất", "tỷ đồng", "at_least", 1536.246, datetime(2018, 12, 31), 2],
        [8, "Sản lượng", "tấn", "more_than", "9.720", None, "1"],
        [None, None, None, None, None, None, None],  # a blank row is skipped
    ]
    report = imported(client, plan["id"], "targets", xlsx_bytes(sheet), name="t.xlsx", media=XLSX)
    assert report["format"] == "xlsx" and counts(report) == (2, 0, 0, 0), report
    stored = targets(client, plan["id"])
    assert (stored["07"]["value"], stored["07"]["baseline_date"], stored["07"]["position"]) == (1536.246, "2018-12-31", 2)
    assert (stored["8"]["value"], stored["8"]["position"]) == (9720.0, 1)

    figures_sheet = [
        ["mã chỉ tiêu", "mã đơn vị", "ngày số liệu", "giá trị", "ước tính"],
        ["07", org["code"], date(2019, 6, 30), 700.5, True],
        ["8", org["code"], "30/06/2019", "4.100", "không"],
    ]
    report = imported(client, plan["id"], "submissions", xlsx_bytes(figures_sheet), name="f.xlsx", media=XLSX)
    assert counts(report) == (2, 0, 0, 0), report
    assert [(f["value"], f["is_estimate"], f["period_date"]) for f in figures(client, stored["07"]["id"])] == [
        (700.5, True, "2019-06-30")
    ]
    assert [(f["value"], f["is_estimate"]) for f in figures(client, stored["8"]["id"])] == [(4100.0, False)]


def test_an_ambiguous_number_fails_with_both_readings_and_nothing_is_guessed(client, make):
    plan = make.plan()
    rows = [["mã", "tên chỉ tiêu", "so sánh", "giá trị"], ["09", "Diện tích", "at_least", "3,098"],
            ["10", "Khác", "at_least", "5"]]
    report = imported(client, plan["id"], "targets", csv_bytes(rows, delimiter=";"))
    assert counts(report) == (1, 0, 0, 1) and report["stored"] is False
    [error] = report["errors"]
    assert (error["row"], error["column"], error["field"], error["value"]) == (2, "giá trị", "value", "3,098")
    assert "3.098" in error["reason"] and "3098" in error["reason"] and "ambiguous" in error["reason"]
    assert targets(client, plan["id"]) == {}


def test_in_a_file_that_writes_decimal_points_9_720_is_ambiguous_too(client, make):
    plan = make.plan()
    rows = [TARGET_HEADER, ["01", "A", "%", "at_least", "12.1", "", ""], ["02", "B", "tấn", "at_least", "9.720", "", ""]]
    report = imported(client, plan["id"], "targets", csv_bytes(rows))
    [error] = report["errors"]
    assert error["row"] == 3 and "9720" in error["reason"] and "9.72" in error["reason"] and "row 2" in error["reason"]
    assert report["notes"] and report["stored"] is False


# ------------------------------------------------------------------ targets: what is wrong, and where


def test_unknown_and_missing_columns_are_reported_and_nothing_is_stored(client, make):
    plan = make.plan()
    rows = [["code", "titel", "comparison", "value", "colour"], ["01", "A", "at_least", "5", "red"]]
    report = imported(client, plan["id"], "targets", csv_bytes(rows), keep_good_rows="true")
    assert report["stored"] is False and counts(report) == (0, 0, 0, 1)
    reasons = {e["column"]: e["reason"] for e in report["errors"]}
    assert all(e["row"] == 1 for e in report["errors"])
    assert "unknown column 'titel'" in reasons["titel"] and "did you mean 'title'" in reasons["titel"]
    assert "unknown column 'colour'" in reasons["colour"]
    assert "required column 'title'" in reasons["title"]
    assert report["summary"].startswith("Nothing stored: the header row")
    assert targets(client, plan["id"]) == {}


def test_bad_enum_and_inconsistent_definition_name_row_column_and_value(client, make):
    plan = make.plan()
    rows = [
        ["code", "title", "comparison", "cận dưới", "cận trên", "value"],
        ["01", "A", "atleast", "", "", "5"],
        ["02", "B", "between", "13", "11", ""],
        ["03", "C", "at_least", "", "", "abc"],
        ["04", "D", "at_least", "", "", "5"],
    ]
    report = imported(client, plan["id"], "targets", csv_bytes(rows))
    assert counts(report) == (1, 0, 0, 3) and report["stored"] is False
    assert "all-or-nothing" in report["summary"]
    by_row = {e["row"]: e for e in report["errors"]}
    assert (by_row[2]["column"], by_row[2]["value"]) == ("comparison", "atleast") and "at_least" in by_row[2]["reason"]
    assert (by_row[3]["column"], by_row[3]["field"], by_row[3]["value"]) == ("cận dưới", "low", "13")
    assert "greater than high" in by_row[3]["reason"]
    assert (by_row[4]["column"], by_row[4]["value"]) == ("value", "abc") and "not a number" in by_row[4]["reason"]
    assert targets(client, plan["id"]) == {}


def test_dry_run_checks_everything_and_stores_nothing(client, make):
    plan = make.plan()
    report = imported(client, plan["id"], "targets", csv_bytes(GOOD_TARGETS), dry_run="true")
    assert counts(report) == (4, 0, 0, 0) and report["stored"] is False and report["summary"].startswith("Dry run")
    assert targets(client, plan["id"]) == {}


def test_all_or_nothing_by_default_and_keep_good_rows_stores_the_good_ones(client, make):
    plan = make.plan()
    bad, twice = ["05", "Bad", "%", "between", "", "13", "11"], ["02", "Twice", "%", "at_least", "1", "", ""]
    data = csv_bytes([*GOOD_TARGETS, bad, twice])
    report = imported(client, plan["id"], "targets", data)
    assert counts(report) == (4, 0, 0, 2) and report["stored"] is False
    assert "appears twice in the file (first in row 3)" in report["errors"][1]["reason"]
    assert targets(client, plan["id"]) == {}

    kept = imported(client, plan["id"], "targets", data, keep_good_rows="true")
    assert counts(kept) == (4, 0, 0, 2) and kept["stored"] is True and "left out" in kept["summary"]
    assert sorted(targets(client, plan["id"])) == ["01", "02", "03", "04"]


def test_a_changed_row_updates_its_target_by_code_with_the_patch_rules(client, make):
    plan = make.plan()
    make.target(plan["id"], code="01", comparison="at_least", value=90, tolerance=None, notes="kept")
    rows = [["code", "title", "unit", "comparison", "value"], ["01", "Target", "%", "at_most", "5"],
            ["02", "New", "%", "at_least", "1"]]
    report = imported(client, plan["id"], "targets", csv_bytes(rows))
    assert counts(report) == (1, 1, 0, 0), report
    changed = targets(client, plan["id"])["01"]
    # the default direction follows the new comparison; a column the file lacks (notes) is left alone
    assert (changed["comparison"], changed["value"], changed["direction"], changed["notes"]) == (
        "at_most", 5.0, "lower_is_better", "kept")
    # the PATCH rules also refuse what PATCH refuses: between without low and high
    bad = imported(client, plan["id"], "targets", csv_bytes([rows[0], ["01", "Target", "%", "between", ""]]))
    assert counts(bad) == (0, 0, 0, 1) and {e["field"] for e in bad["errors"]} == {"low"}


# ------------------------------------------------------------------ submissions


def test_figures_import_then_reimport_then_a_changed_figure_is_a_new_row(client, make):
    root = make.org()
    ward = make.org(parent_id=root["id"])
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01", value=90)
    header = ["target_code", "organization_code", "period_date", "value", "is_estimate", "note"]
    rows = [header, ["01", ward["code"], "2019-06-30", "85,5", "true", "ước"],
            ["01", root["code"], "2019-06-30", "88", "", ""]]
    first = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(first) == (2, 0, 0, 0) and first["stored"] is True

    again = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(again) == (0, 0, 2, 0) and again["stored"] is False
    assert len(figures(client, target["id"])) == 2

    rows[2][3] = "89"
    changed = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(changed) == (0, 1, 1, 0) and changed["stored"] is True
    every = client.get(f"{API}/targets/{target['id']}/submissions", params={"versions": "all"}).json()["items"]
    stored = [(f["organization_id"], f["value"]) for f in every]
    assert sorted(stored) == sorted([(ward["id"], 85.5), (root["id"], 88.0), (root["id"], 89.0)])  # both kept
    # The changed row is a correction of the figure in force for its key, saying where it came from.
    old = next(f for f in every if f["value"] == 88.0)
    new = next(f for f in every if f["value"] == 89.0)
    assert (new["kind"], new["supersedes_id"], new["root_id"]) == ("correction", old["id"], old["id"])
    assert new["reason"] == "import: csv row 3"
    assert sorted(f["value"] for f in figures(client, target["id"])) == [85.5, 89.0]  # in force
    status = client.get(f"{API}/targets/{target['id']}/status", params={"as_of": "2019-07-01"})
    assert status.status_code == 200, status.text
    assert new["id"] in status.json()["submission_ids"] and old["id"] not in status.json()["submission_ids"]


def test_figures_from_outside_the_plans_tree_or_for_unknown_targets_fail_with_the_reason(client, make):
    root = make.org()
    stranger = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    make.target(plan["id"], code="M", comparison="milestone", value=None)
    rows = [
        ["target_code", "organization_code", "period_date", "value", "done"],
        ["01", stranger["code"], "2019-06-30", "80", ""],
        ["99", root["code"], "2019-06-30", "80", ""],
        ["01", "NO-SUCH-ORG", "2019-06-30", "80", ""],
        ["01", root["code"], "2020-06-30", "80", ""],
        ["M", root["code"], "2019-06-30", "", "có"],
        ["01", root["code"], "2019-06-30", "", ""],
    ]
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(report) == (1, 0, 0, 5) and report["stored"] is False
    by_row = {e["row"]: e for e in report["errors"]}
    assert (by_row[2]["column"], by_row[2]["value"]) == ("organization_code", stranger["code"])
    assert "the plan's organisation or one under it" in by_row[2]["reason"]
    assert by_row[3]["column"] == "target_code" and "no target with code '99'" in by_row[3]["reason"]
    assert "no organisation has the code 'NO-SUCH-ORG'" in by_row[4]["reason"]
    assert by_row[5]["column"] == "period_date" and "within the plan's period" in by_row[5]["reason"]
    assert by_row[7]["column"] is None and "exactly one of" in by_row[7]["reason"]


def test_an_export_imports_back_unchanged(client, seeded, session):
    from app.exchange import exporter
    from app.plans.models import Plan
    from sqlmodel import select

    plan = session.exec(select(Plan).where(Plan.code == "TPLS-2019")).one()
    tables = (("targets", exporter.targets_table(session, plan)), ("submissions", exporter.submissions_table(session, plan)))
    for kind, table in tables:
        for data, media in ((exporter.to_csv(table), CSV), (exporter.to_xlsx(table), XLSX)):
            report = imported(client, plan.id, kind, data, media=media)
            assert counts(report) == (0, 0, len(table.rows), 0), report


def test_stored_versions_are_found_by_key_whatever_made_them(client, make):
    """Identical to a superseded or a retracted version: ignored; different: corrects the version in force,
    or starts a new chain when the key's figure was retracted."""
    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    first = make.submission(target["id"], organization_id=root["id"], period_date="2019-03-31", value=10)
    r = client.post(f"{API}/submissions/{first['id']}/corrections",
                    json={"organization_id": root["id"], "period_date": "2019-03-31", "value": 11, "reason": "sửa"})
    assert r.status_code == 201, r.text
    corrected = r.json()
    gone = make.submission(target["id"], organization_id=root["id"], period_date="2019-06-30", value=20)
    r = client.post(f"{API}/submissions/{gone['id']}/retraction", json={"reason": "nhầm"})
    assert r.status_code == 201, r.text

    same = imported(client, plan["id"], "submissions", csv_bytes([
        header, ["01", root["code"], "2019-03-31", "10"], ["01", root["code"], "2019-03-31", "11"],
        ["01", root["code"], "2019-06-30", "20"]]))
    assert counts(same) == (0, 0, 3, 0) and same["stored"] is False

    changed = imported(client, plan["id"], "submissions", csv_bytes([
        header, ["01", root["code"], "2019-03-31", "12"], ["01", root["code"], "2019-06-30", "21"]]))
    assert counts(changed) == (1, 1, 0, 0), changed
    every = {f["value"]: f for f in client.get(f"{API}/targets/{target['id']}/submissions",
                                               params={"versions": "all"}).json()["items"]}
    assert (every[12.0]["kind"], every[12.0]["supersedes_id"], every[12.0]["root_id"]) == (
        "correction", corrected["id"], first["id"])
    assert (every[21.0]["kind"], every[21.0]["supersedes_id"], every[21.0]["root_id"]) == ("original", None, None)
    assert sorted(f["value"] for f in figures(client, target["id"])) == [12.0, 21.0]


def test_a_stored_figure_the_rules_would_now_refuse_is_still_ignored_and_a_changed_one_fails(client, make):
    root = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    rows = [header, ["01", root["code"], "2019-11-30", "10"]]
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (1, 0, 0, 0)
    r = client.patch(f"{API}/plans/{plan['id']}", json={"end_date": "2019-10-31"})
    assert r.status_code == 200, r.text
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (0, 0, 1, 0)
    rows[1][3] = "11"
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(report) == (0, 0, 0, 1) and "within the plan's period" in report["errors"][0]["reason"]


def test_stored_figures_are_read_for_every_organisation_of_the_file(client, make, monkeypatch):
    """The lookup goes by batches of organisations and of ids (SQLite's limit on parameters); none is missed."""
    from app.exchange.importer import figures as importer

    monkeypatch.setattr(importer, "_ORGANIZATIONS_PER_QUERY", 2)
    monkeypatch.setattr(importer, "_IDS_PER_QUERY", 2)
    root = make.org()
    wards = [make.org(parent_id=root["id"]) for _ in range(4)]
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    rows = [header] + [["01", o["code"], "2019-06-30", str(i)] for i, o in enumerate([root, *wards])]
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (5, 0, 0, 0)
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (0, 0, 5, 0)
    rows[5][3] = "40"
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (0, 1, 4, 0)
    assert sorted(f["value"] for f in figures(client, target["id"])) == [0.0, 1.0, 2.0, 3.0, 40.0]


def test_a_file_of_many_organisations_finds_exactly_its_stored_keys(app, client, make, monkeypatch, backend):
    """A file naming more organisations than one query takes reads its targets' figures within its dates at
    once; on PostgreSQL the server sends back only those whose key (organisation, day, estimate flag) the
    file names, and the exact key, the target included, is checked here. Figures that share all but one part
    of a key (another target, another day, the other estimate flag) are neither corrected nor ignored."""
    from sqlalchemy import event

    from app.exchange.importer import figures as importer

    monkeypatch.setattr(importer, "_ORGANIZATIONS_PER_QUERY", 2)
    root = make.org()
    wards = [make.org(parent_id=root["id"]) for _ in range(3)]
    plan = make.plan(root["id"])
    one, two = make.target(plan["id"], code="01"), make.target(plan["id"], code="02")
    header = ["target_code", "organization_code", "period_date", "value", "is_estimate"]
    stored = [header] + [["01", o["code"], "2019-06-30", "1", "false"] for o in wards] + [["01", wards[0]["code"], "2019-06-30", "9", "true"]]
    assert counts(imported(client, plan["id"], "submissions", csv_bytes(stored))) == (4, 0, 0, 0)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    rows = [header,
            ["01", wards[0]["code"], "2019-06-30", "1", "false"],  # stored as it is: ignored
            ["01", wards[1]["code"], "2019-06-30", "5", "false"],  # stored, another value: a correction
            ["02", wards[2]["code"], "2019-06-30", "1", "false"],  # the same key in another target: new
            ["01", wards[2]["code"], "2019-07-01", "1", "false"],  # the next day: new
            ["01", wards[2]["code"], "2019-06-30", "1", "true"],   # the estimate beside the official figure: new
            ["01", root["code"], "2019-06-30", "1", "false"]]      # another organisation: new
    try:
        report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert counts(report) == (4, 1, 1, 0), report
    assert any("unnest" in s for s in statements) == (backend == "postgresql")
    assert sorted(f["value"] for f in figures(client, one["id"])) == [1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 9.0]
    assert [f["value"] for f in figures(client, two["id"])] == [1.0]


def test_rows_of_one_file_for_one_key_chain_in_file_order(client, make):
    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    rows = [header, ["01", root["code"], "2019-03-31", "1"], ["01", root["code"], "2019-06-30", "5"],
            ["01", root["code"], "2019-03-31", "2"], ["01", root["code"], "2019-03-31", "2"],
            ["01", root["code"], "2019-03-31", "3"], ["01", root["code"], "2019-09-30", "7"]]
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(report) == (3, 2, 1, 0), report
    every = client.get(f"{API}/targets/{target['id']}/submissions", params={"versions": "all"}).json()["items"]
    by_value = {f["value"]: f for f in every}
    ids = [by_value[v]["id"] for v in (1.0, 5.0, 2.0, 3.0, 7.0)]
    assert ids == sorted(ids)  # ids ascend in file order
    assert (by_value[2.0]["supersedes_id"], by_value[2.0]["root_id"], by_value[2.0]["reason"]) == (
        by_value[1.0]["id"], by_value[1.0]["id"], "import: csv row 4")
    assert (by_value[3.0]["supersedes_id"], by_value[3.0]["root_id"], by_value[3.0]["reason"]) == (
        by_value[2.0]["id"], by_value[1.0]["id"], "import: csv row 6")
    assert sorted(f["value"] for f in figures(client, target["id"])) == [3.0, 5.0, 7.0]


@pytest.mark.parametrize("copy_from", [0, 50], ids=["copy", "insert"])
def test_a_figure_corrected_meanwhile_is_a_conflict_and_nothing_is_stored(app, client, make, monkeypatch, copy_from):
    """Between reading what is stored and writing, another request corrects the same figure: the
    UNIQUE supersedes_id refuses the second correction; 409, and no figure and no event is stored.
    On PostgreSQL both ways rows go in are tried: COPY (many rows) and INSERT (a few)."""
    from app.audit import bulk
    from app.audit.models import AuditEvent

    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    from app.exchange.importer import figures as importer
    from app.submissions.models import Submission
    from sqlalchemy import func, select as sql_select

    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    first = make.submission(target["id"], organization_id=root["id"], period_date="2019-03-31", value=10)
    header = ["target_code", "organization_code", "period_date", "value"]
    looked_up = importer._stored_figures

    def and_meanwhile(session, keys):
        found = looked_up(session, keys)
        r = client.post(f"{API}/submissions/{first['id']}/corrections",
                        json={"organization_id": root["id"], "period_date": "2019-03-31", "value": 11, "reason": "x"})
        assert r.status_code == 201, r.text
        return found

    def count(model) -> int:
        with Session(app.state.engine) as s:
            return s.execute(sql_select(func.count()).select_from(model)).scalar_one()

    figures_before, events_before = count(Submission), None
    monkeypatch.setattr(importer, "_stored_figures", and_meanwhile)
    data = csv_bytes([header, ["01", root["code"], "2019-06-30", "5"], ["01", root["code"], "2019-03-31", "12"]])
    events_before = count(AuditEvent) + 1  # + the concurrent correction's own event
    r = upload(client, plan["id"], "submissions", data)
    assert_problem(r, 409)
    assert count(Submission) == figures_before + 1  # the concurrent correction only
    assert count(AuditEvent) == events_before


@pytest.mark.parametrize("copy_from", [0, 50], ids=["copy", "insert"])
def test_bulk_events_are_the_events_the_recorder_writes(app, make, monkeypatch, copy_from):
    """app/audit/bulk.py (what the import and a new figure use) and the session events record the same
    figure alike, whichever way the rows go in on PostgreSQL (COPY for many, INSERT for a few)."""
    from app.audit import bulk
    from app.audit.bulk import insert_audited

    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    from app.audit.models import AuditEvent
    from app.auth.service import CLI
    from app.common.models import utcnow
    from app.submissions.models import Submission
    from sqlmodel import select

    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    fields = {"target_id": target["id"], "organization_id": root["id"], "period_date": date(2019, 3, 31), "period_start": None, "value": 1.5,
              "numerator": None, "denominator": None, "done": None, "is_estimate": True, "note": "ghi chú",
              "evidence_url": "", "recorded_at": utcnow(), "kind": "original", "supersedes_id": None, "root_id": None,
              "reason": "", "review": "approved", "sent_by_key_id": None}
    with Session(app.state.engine) as s:
        s.info.update(principal=CLI, request_id="orm")
        orm = Submission.model_validate(fields)
        s.add(orm)
        s.commit()
        orm_id = orm.id
    with Session(app.state.engine) as s:
        s.info.update(principal=CLI, request_id="bulk")
        rows = [{**fields, "period_date": date(2019, 6, 30)},
                {**fields, "kind": "correction", "supersedes_id": orm_id, "root_id": orm_id, "reason": "r"}]
        insert_audited(s, Submission, rows)
        s.commit()
    with Session(app.state.engine) as s:
        events = list(s.exec(select(AuditEvent).where(AuditEvent.entity == "submission").order_by(AuditEvent.id)))
    orm_event, created, corrected = events

    def shape(event, **changes):
        after = {**event.after, "id": "id", "recorded_at": "t"}
        return {**event.model_dump(exclude={"id", "occurred_at", "request_id", "entity_id", "after"}),
                "after": {**after, **changes}, "same_id": event.entity_id == event.after["id"]}

    assert list(created.after) == list(orm_event.after)  # every column, in column order
    assert shape(created, period_date="2019-03-31") == shape(orm_event)
    assert shape(corrected, kind="original", supersedes_id=None, root_id=None, reason="") == {
        **shape(orm_event), "action": "correct"}
    assert (created.request_id, orm_event.request_id) == ("bulk", "orm")
    assert created.after["recorded_at"] == orm_event.after["recorded_at"]  # same value, same JSON form
    assert created.entity_id < corrected.entity_id and orm_event.before is None and created.before is None


@pytest.mark.parametrize("copy_from", [0, 10_000], ids=["copy", "insert"])
def test_bulk_insert_gives_each_row_its_own_id_in_order(app, make, monkeypatch, copy_from):
    """Many rows at once (SQLite: the first INSERT ... RETURNING, then the ids after it in one executemany;
    PostgreSQL: COPY, or the INSERT for fewer than COPY_FROM): each dict's id is the stored row's with its
    columns, the ids ascend in the rows' order (after ids given back by a rollback), and each event names its row."""
    from sqlmodel import select

    from app.audit import bulk
    from app.audit.models import AuditEvent
    from app.auth.service import CLI
    from app.common.models import utcnow
    from app.submissions.models import Submission

    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    fields = {"target_id": target["id"], "organization_id": root["id"], "period_date": date(2019, 3, 31), "period_start": None,
              "value": 1.5, "numerator": None, "denominator": None, "done": None, "is_estimate": False, "note": "",
              "evidence_url": "", "recorded_at": utcnow(), "kind": "original", "supersedes_id": None, "root_id": None,
              "reason": "", "review": "approved", "sent_by_key_id": None}
    with Session(app.state.engine) as s:
        s.info.update(principal=CLI)
        first = [{**fields, "note": "first"}]
        bulk.insert_audited(s, Submission, first)
        s.commit()
        bulk.insert_audited(s, Submission, [{**fields, "note": "gone", "period_date": date(2019, 4, 30)} for _ in range(3)])
        s.rollback()  # ids taken and given back (SQLite gives them again; PostgreSQL's sequence leaves a gap)
    with Session(app.state.engine) as s:
        s.info.update(principal=CLI)
        rows = [{**fields, "note": f"row {i}", "value": float(i), "period_date": date(2019, 5, 1) + timedelta(days=i)} for i in range(60)]
        bulk.insert_audited(s, Submission, rows)
        s.commit()
    with Session(app.state.engine) as s:
        stored = {row.id: row for row in s.exec(select(Submission).where(Submission.note.startswith("row ")))}
        events = {e.entity_id: e for e in s.exec(select(AuditEvent).where(AuditEvent.entity == "submission").order_by(AuditEvent.id))}
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids) and len(set(ids)) == 60 and ids[0] > first[0]["id"]
    for i, row in enumerate(rows):
        assert (stored[row["id"]].note, stored[row["id"]].value, stored[row["id"]].period_date) == (f"row {i}", float(i), date(2019, 5, 1) + timedelta(days=i))
        assert events[row["id"]].after["note"] == f"row {i}" and events[row["id"]].after["period_date"] == (date(2019, 5, 1) + timedelta(days=i)).isoformat()
        assert (events[row["id"]].organization_id, events[row["id"]].action, events[row["id"]].actor) == (root["id"], "create", CLI.name)


def test_events_column_by_column_are_the_events_of_each_row():
    """EventContext.events (a bulk insert's events) gives, row by row, what EventContext.event gives."""
    from app.audit.recorder import EventContext
    from app.common.models import utcnow

    who = EventContext(actor_key_id=7, actor="a", request_id="r", now=utcnow())
    afters = [{"id": 1, "value": 1.5}, {"id": 2, "value": None}]
    columns = who.events(["create", "correct"], "submission", [1, 2], [10, None], afters)
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    assert rows == [who.event("create", "submission", 1, 10, None, afters[0]), who.event("correct", "submission", 2, None, None, afters[1])]
    assert [list(row) for row in rows] == [list(who.event("create", "submission", 1, 10, None, afters[0]))] * 2


def test_columns_values_are_column_values_of_each_row():
    """The audit events' columns built column by column are the ones `column_values` builds row by row."""
    import enum

    from app.audit.recorder import column_values, columns_values
    from app.submissions.models import Submission

    class Shade(enum.Enum):
        DARK = "dark"

    when = datetime(2019, 6, 30, 7, 8, 9, 123456).astimezone()
    rows = [
        {"id": 1, "period_date": date(2019, 6, 30), "value": 1.5, "done": None, "note": "x", "recorded_at": when, "kind": "original"},
        {"id": 2, "period_date": date(2019, 7, 1), "value": None, "done": True, "note": Shade.DARK, "recorded_at": when, "kind": "correction"},
        {"id": 3, "period_date": None, "value": 2, "done": False, "note": "", "recorded_at": None, "kind": "retraction"},
    ]
    assert columns_values(Submission, rows) == [column_values(Submission, row) for row in rows]
    assert [list(d) for d in columns_values(Submission, rows)] == [list(column_values(Submission, row)) for row in rows]
    assert columns_values(Submission, []) == []


# ------------------------------------------------------------------ the upload itself


def test_unreadable_missing_or_too_large_uploads_are_problems(client, make):
    plan = make.plan()
    url = f"{API}/plans/{plan['id']}/import/targets"
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64
    assert ".xls" in assert_problem(upload(client, plan["id"], "targets", old_excel), 422, fields={"file"})["detail"]
    utf16 = "mã;tên\n01;Hà Nội".encode("utf-16")
    assert "UTF-8" in assert_problem(upload(client, plan["id"], "targets", utf16), 422, fields={"file"})["detail"]
    assert_problem(upload(client, plan["id"], "targets", b"PK\x03\x04 not a zip", media=XLSX), 422, fields={"file"})
    assert_problem(upload(client, plan["id"], "targets", b""), 422, fields={"file"})
    assert_problem(client.post(url, data={"file": "code,title"}), 422, fields={"file"})
    assert_problem(client.post(url, json={"file": "x"}), 422, fields={"file"})
    assert_problem(upload(client, 999_999, "targets", csv_bytes(GOOD_TARGETS)), 404)
    r = upload(client, plan["id"], "targets", b"a" * (5 * 1024 * 1024 + 1))
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json", r.text
    assert r.json()["status"] == 413


def test_the_routes_are_documented(app):
    paths = app.openapi()["paths"]
    for kind in ("targets", "submissions"):
        op = paths[f"{API}/plans/{{plan_id}}/import/{kind}"]["post"]
        assert op["summary"] and op["description"] and op["tags"] == ["exchange"]
        assert "multipart/form-data" in op["requestBody"]["content"]
        assert {"200", "404", "413", "422"} <= set(op["responses"])
        assert op["responses"]["200"]["content"]["application/json"]["example"]["kind"] == kind


# ------------------------------------------------------------------ the command line


def _cli() -> typer.Typer:
    from app.cli import cli
    from app.exchange.import_cli import import_file

    if any(c.name == "import" for c in cli.registered_commands):
        return cli
    local = typer.Typer()
    local.callback()(lambda: None)
    local.command("import")(import_file)
    return local


def test_cli_imports_a_file_and_exits_1_when_rows_failed(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'import.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    from app.config import Settings
    from app.db import make_engine
    from app.seed import seed

    engine = make_engine(Settings())
    with Session(engine) as s:
        seed(s, samples=False)
    engine.dispose()
    runner, cli = CliRunner(), _cli()
    good = tmp_path / "targets.csv"
    good.write_bytes(csv_bytes([["mã", "tên chỉ tiêu", "so sánh", "giá trị"], ["N1", "Mới", "at_least", "9.720"]],
                               delimiter=";"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["code", "title", "comparison", "value"], ["N2", "Sai", "at_least", "3,098"]]))

    dry = runner.invoke(cli, ["import", str(good), "--plan", "TPLS-2019", "--kind", "targets", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "created 1 · updated 0 · ignored 0 · failed 0" in dry.output and "Dry run" in dry.output
    out = runner.invoke(cli, ["import", str(good), "--plan", "TPLS-2019", "--kind", "targets"])
    assert out.exit_code == 0 and "Stored: 1 created" in out.output, out.output
    again = runner.invoke(cli, ["import", str(good), "--plan", "TPLS-2019", "--kind", "targets"])
    assert again.exit_code == 0 and "ignored 1" in again.output, again.output
    failed = runner.invoke(cli, ["import", str(bad), "--plan", "TPLS-2019", "--kind", "targets"])
    assert failed.exit_code == 1, failed.output
    assert "row" in failed.output and "3,098" in failed.output and "3098" in failed.output
    unknown = runner.invoke(cli, ["import", str(good), "--plan", "NOPE", "--kind", "targets"])
    assert unknown.exit_code == 2


# ------------------------------------------------------------------ organisations read in bulk (issue 17, national scale)


def _organisation_lookups(app):
    """The statements that look organisations up by code or id (not the plan's subtree: a recursive query)."""
    from sqlalchemy import event

    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split()).lower()
        if "recursive" not in flat and "from organization" in flat and ("organization.code in" in flat or "organization.code =" in flat
                                            or "organization.id in" in flat or "organization.id =" in flat):
            seen.append(flat)

    event.listen(app.state.engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(app.state.engine, "before_cursor_execute", note)


def test_a_file_reads_its_organisations_at_once_with_the_same_row_errors(app, client, make):
    """Thirty units named over sixty rows: one statement for their codes, not one per code; an unknown code,
    a code in the wrong case (codes match exactly), and a unit outside the plan's tree each fail their row,
    with the reason they always had."""
    root = make.org(code="TINH")
    wards = [make.org(code=f"W-{i:02d}", parent_id=root["id"]) for i in range(30)]
    stranger = make.org(code="KHAC")
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    good = [["01", w["code"], day, str(i)] for i, w in enumerate(wards) for day in ("2019-03-31", "2019-06-30")]
    bad = [["01", "NO-SUCH", "2019-06-30", "1"], ["01", "w-01", "2019-06-30", "1"], ["01", "KHAC", "2019-06-30", "1"]]
    seen, stop = _organisation_lookups(app)
    try:
        report = imported(client, plan["id"], "submissions", csv_bytes([header, *good[:30], *bad, *good[30:]]), keep_good_rows="true")
    finally:
        stop()
    assert counts(report) == (60, 0, 0, 3), report
    assert len(seen) == 1 and ("organization.code in" in seen[0] or "organization.code = any" in seen[0]), seen
    errors = [(e["row"], e["column"], e["value"], e["reason"]) for e in report["errors"]]
    assert errors[:2] == [
        (32, "organization_code", "NO-SUCH", "no organisation has the code 'NO-SUCH'"),
        (33, "organization_code", "w-01", "no organisation has the code 'w-01'"),
    ], errors
    assert errors[2][:3] == (34, "organization_code", "KHAC") and "the plan's organisation or one under it" in errors[2][3]
    assert stranger["id"] not in {f["organization_id"] for f in figures(client, target["id"])}
    assert len(figures(client, target["id"])) == 60


def test_organisations_are_read_in_chunks_and_none_is_missed(app, client, make, monkeypatch, backend):
    """SQLite: a bound parameter per name, so many names go in chunks; PostgreSQL: one array, one statement."""
    from app.exchange.importer import figures as importer

    monkeypatch.setattr(importer, "_NAMES_PER_QUERY", 2)
    root = make.org()
    wards = [make.org(parent_id=root["id"]) for _ in range(5)]
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    header = ["target_code", "organization_code", "period_date", "value"]
    rows = [header] + [["01", o["code"], "2019-06-30", str(i)] for i, o in enumerate([root, *wards])]
    seen, stop = _organisation_lookups(app)
    try:
        assert counts(imported(client, plan["id"], "submissions", csv_bytes(rows))) == (6, 0, 0, 0)
    finally:
        stop()
    assert len(seen) == (3 if backend == "sqlite" else 1), seen  # six codes, two per statement on SQLite


def test_a_batch_by_id_and_by_code_reads_them_at_once_and_keeps_its_row_errors(app, client, make, key_for):
    """A JSON batch may name units by id or code; a reporter's key reaches its own unit only. Unknown ids and
    codes, ids out of range, and units outside the key's scope fail their rows as before."""
    root = make.org(code="TP")
    ward = make.org(code="P-1", parent_id=root["id"])
    other = make.org(code="P-2", parent_id=root["id"])
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    reporter = key_for("reporter", ward["id"])
    body = [
        {"target_code": "01", "organization_code": "P-1", "period_date": "2019-03-31", "value": 1},
        {"target_code": "01", "organization_id": ward["id"], "period_date": "2019-06-30", "value": 2},
        {"target_code": "01", "organization_code": "TP", "period_date": "2019-06-30", "value": 3},
        {"target_code": "01", "organization_id": other["id"], "period_date": "2019-06-30", "value": 4},
        {"target_code": "01", "organization_id": 987654, "period_date": "2019-06-30", "value": 5},
        {"target_code": "01", "organization_code": "P-9", "period_date": "2019-06-30", "value": 6},
    ]
    seen, stop = _organisation_lookups(app)
    try:
        r = client.post(f"{API}/plans/{plan['id']}/submissions/batch", json=body, headers=reporter)
    finally:
        stop()
    assert r.status_code == 200, r.text
    report = r.json()
    assert counts(report) == (2, 0, 0, 4), report
    assert len([s for s in seen if "organization.code in" in s or "organization.code = any" in s]) == 1
    assert len([s for s in seen if "organization.id in" in s or "organization.id = any" in s]) == 1
    errors = [(e["row"], e["column"], e["reason"]) for e in report["errors"]]
    assert errors == [
        (3, "organization_code", "'TP' is outside the scope of your API key"),
        (4, "organization_id", f"{other['id']} is outside the scope of your API key"),
        (5, "organization_id", "no organisation has the id 987654"),
        (6, "organization_code", "no organisation has the code 'P-9'"),
    ], errors


def test_file_rules_read_shapes_of_many_targets_as_of_one(app, client, make):
    """FileRules.read_shapes (every target of a file in two statements) finds what `_shapes` finds target by
    target: the oldest figure in force with a value or a ratio; none for a target without one (no figure, a
    retracted one, or no such target)."""
    from app.submissions.rules import FileRules

    root = make.org()
    plan = make.plan(root["id"])

    def target(code: str) -> int:
        return make.target(plan["id"], code=code, across_units="mean")["id"]

    values, ratios, empty, retracted, corrected = (target(code) for code in ("V", "R", "E", "X", "C"))
    make.submission(values, organization_id=root["id"], period_date="2019-03-31", value=40)
    make.submission(values, organization_id=root["id"], period_date="2019-06-30", value=41)
    make.submission(ratios, organization_id=root["id"], period_date="2019-03-31", numerator=1, denominator=2)
    gone = make.submission(retracted, organization_id=root["id"], period_date="2019-03-31", value=1)
    assert client.post(f"{API}/submissions/{gone['id']}/retraction", json={"reason": "sai"}).status_code == 201
    first = make.submission(corrected, organization_id=root["id"], period_date="2019-03-31", numerator=1, denominator=4)
    fixed = {"numerator": 2, "denominator": 4, "period_date": "2019-03-31", "organization_id": root["id"], "reason": "sai"}
    assert client.post(f"{API}/submissions/{first['id']}/corrections", json=fixed).status_code == 201
    ids = [values, ratios, empty, retracted, corrected, 987654]
    with Session(app.state.engine) as session:
        one_by_one = FileRules(session)
        expected = {target_id: one_by_one._shapes(target_id) for target_id in ids}
        at_once = FileRules(session)
        at_once.read_shapes(ids)
        assert at_once.shapes == expected
    assert expected[empty] == expected[retracted] == expected[987654] == {}
    assert set(expected[values]) == {"value"} and set(expected[ratios]) == set(expected[corrected]) == {"ratio"}
    assert expected[corrected]["ratio"] != first["id"]  # the correction, in force now


def test_file_rules_read_periods_of_many_targets_as_of_one(app, make):
    """FileRules.read (all of a file's targets at once) finds for increment targets what `_has_periods` finds
    target by target, and reads nothing for the others."""
    from app.submissions.rules import FileRules
    from app.targets.models import Target

    root = make.org()
    plan = make.plan(root["id"])

    def target(code: str, **kw) -> int:
        return make.target(plan["id"], code=code, across_units="mean", **kw)["id"]

    spans, plain, empty, latest = target("S", aggregation="sum"), target("P", aggregation="sum"), target("E", aggregation="sum"), target("L")
    make.submission(spans, organization_id=root["id"], period_start="2019-01-01", period_date="2019-03-31", value=4)
    make.submission(plain, organization_id=root["id"], period_date="2019-03-31", value=4)
    make.submission(latest, organization_id=root["id"], period_date="2019-03-31", value=4)
    ids = [spans, plain, empty]
    with Session(app.state.engine) as session:
        one_by_one = FileRules(session)
        expected = {target_id: one_by_one._has_periods(target_id) for target_id in ids}
        at_once = FileRules(session)
        at_once.read(session.get_one(Target, target_id) for target_id in [*ids, latest])
        assert at_once.with_periods == expected == {spans: True, plain: False, empty: False}  # `latest`: not asked
        assert set(at_once.shapes) == {*ids, latest}


def test_values_and_ratios_do_not_mix_in_a_file_against_the_stored_figures_or_earlier_rows(client, make):
    """FileRules reads a target's shape from one stored figure in force: a ratio against stored values names
    that figure, a value against a stored ratio too, and rows of the file itself count as they come."""
    root = make.org()
    ward = make.org(parent_id=root["id"])
    plan = make.plan(root["id"])
    values = make.target(plan["id"], code="V", across_units="mean")
    ratios = make.target(plan["id"], code="R", across_units="mean")
    fresh = make.target(plan["id"], code="N", across_units="mean")
    stored_value = make.submission(values["id"], organization_id=ward["id"], period_date="2019-03-31", value=40)
    stored_ratio = make.submission(ratios["id"], organization_id=ward["id"], period_date="2019-03-31", numerator=1, denominator=2)
    rows = [
        ["target_code", "organization_code", "period_date", "value", "numerator", "denominator"],
        ["V", root["code"], "2019-06-30", "", "1", "4"],
        ["R", root["code"], "2019-06-30", "50", "", ""],
        ["N", root["code"], "2019-06-30", "50", "", ""],
        ["N", ward["code"], "2019-06-30", "", "1", "4"],
        ["V", ward["code"], "2019-06-30", "45", "", ""],
    ]
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert counts(report) == (2, 0, 0, 3) and report["stored"] is False
    by_row = {e["row"]: e for e in report["errors"]}
    assert by_row[2]["column"] == "numerator" and f"submission {stored_value['id']}" in by_row[2]["reason"]
    assert by_row[3]["column"] == "value" and f"submission {stored_ratio['id']}" in by_row[3]["reason"]
    assert by_row[5]["column"] == "numerator" and "in this file" in by_row[5]["reason"]
    assert fresh["id"] and set(by_row) == {2, 3, 5}
