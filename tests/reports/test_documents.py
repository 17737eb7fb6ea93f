"""The report document (DOCX, PDF, HTML) read back: the seeded plan's headline, its 12 rows, the verdict words,
the same status as /status (as_of, known_at, language, the committee's verdict), and the DOCX's XML checked.

"Validates as Office Open XML" here means: every XML part of the package parses (lxml), every part has a
content type, every internal relationship points at a part that exists, and openxml-audit (a pure-Python
port of the Open XML SDK's validator: its schema and semantic constraints for Office 2019) reports no error.
It is not Microsoft's own SDK, nor Word itself; LibreOffice opening it is checked by the README's picture.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

import docx
from lxml import etree
from pypdf import PdfReader

from tests.api.helpers import API, assert_problem

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FINAL = {"as_of": "2019-12-31"}
VERDICTS_VI = {"Vượt", "Đạt", "Không đạt", "Chưa có số liệu"}
VERDICTS_EN = {"Exceeded", "Achieved", "Not achieved", "No data"}


def flat(text: str) -> str:
    return " ".join(text.split())


def status_of(client, plan_id: int = 1, **params) -> dict:
    r = client.get(f"{API}/plans/{plan_id}/status", params={**FINAL, **params})
    assert r.status_code == 200, r.text
    return r.json()


def report(client, fmt: str, plan_id: int = 1, **params):
    r = client.get(f"{API}/plans/{plan_id}/report", params={**FINAL, "format": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def category_tables(document) -> list:
    return [t for t in document.tables if t.rows and t.rows[0].cells[0].text in ("STT", "No.")]


def docx_of(response):
    return docx.Document(io.BytesIO(response.content))


# ------------------------------------------------------------------ DOCX


def test_docx_has_the_party_layout_the_headline_and_twelve_rows(client, seeded):
    r = report(client, "docx")
    assert r.headers["content-type"] == DOCX
    assert re.match(r'attachment; filename="bao-cao-TPLS-2019-2019-12-31\.docx"', r.headers["content-disposition"])
    document = docx_of(r)
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "BÁO CÁO" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in cells and "*" in cells
    assert "ĐẢNG BỘ THÀNH PHỐ LẠNG SƠN" in cells and "Lạng Sơn, ngày" in cells
    assert status_of(client)["headline"] in text
    assert "Nơi nhận:" in cells and "T/M BAN THƯỜNG VỤ" in cells
    tables = category_tables(document)
    assert len(tables) == 5  # kinh tế, đô thị, văn hóa - xã hội, môi trường, xây dựng Đảng
    rows = [row for t in tables for row in t.rows[1:]]
    assert len(rows) == 12
    assert [c.text for c in tables[0].rows[0].cells] == ["STT", "Chỉ tiêu", "Kế hoạch", "Thực hiện", "So với kế hoạch (%)",
                                                          "Đánh giá", "Ghi chú"]
    first = [c.text for c in rows[0].cells]
    assert first[:5] == ["1", "Tốc độ tăng giá trị sản xuất một số ngành kinh tế chủ yếu", "Từ 11 đến 13%", "12,1%", "110"]
    assert {row.cells[5].text for row in rows} == VERDICTS_VI
    assert "Tạm tính: 5/8 đơn vị đã báo cáo" in rows[2].cells[6].text  # grain: 5 of 8 wards
    # the header row repeats on every page
    assert all(t.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None for t in tables)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.bottom_margin.mm)) == (20, 20)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 13
    after = text[text.index("Các chỉ tiêu chưa có số liệu"):]
    assert "10. Tỷ lệ cán bộ lãnh đạo, quản lý hoàn thành tốt nhiệm vụ" in after
    assert "Các chỉ tiêu đánh giá tạm tính" in after and "X-MAIPHA" in after


def test_docx_is_valid_office_open_xml(client, seeded, tmp_path):
    from openxml_audit import OpenXmlValidator

    content = report(client, "docx").content
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        names = set(z.namelist())
        types = etree.fromstring(z.read("[Content_Types].xml"))
        defaults = {e.get("Extension") for e in types if e.tag.endswith("Default")}
        overrides = {e.get("PartName").lstrip("/") for e in types if e.tag.endswith("Override")}
        for name in names:
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))  # well-formed
            assert name in overrides or name.rsplit(".", 1)[-1] in defaults, f"{name} has no content type"
            if name.endswith(".rels"):
                base = posixpath.dirname(posixpath.dirname(name))
                for rel in etree.fromstring(z.read(name)):
                    if rel.get("TargetMode") != "External":
                        target = posixpath.normpath(posixpath.join(base, rel.get("Target"))).lstrip("/")
                        assert target in names, f"{name} points at a missing part {target}"
    path = tmp_path / "report.docx"
    path.write_bytes(content)
    result = OpenXmlValidator().validate(str(path))
    assert result.is_valid, [str(e) for e in result.errors]


def test_docx_in_english_is_the_same_document(client, seeded):
    document = docx_of(report(client, "docx", lang="en"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "REPORT" in text and status_of(client, lang="en")["headline"] in text
    rows = [row for t in category_tables(document) for row in t.rows[1:]]
    assert len(rows) == 12
    assert {row.cells[5].text for row in rows} == VERDICTS_EN
    assert [c.text for c in rows[2].cells[2:5]] == ["More than 5,000 tấn", "5,130 tấn", "102.6"]


# ------------------------------------------------------------------ PDF


def test_pdf_text_reads_back_with_diacritics(client, seeded):
    r = report(client, "pdf")
    assert r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    text = flat("\n".join(page.extract_text() for page in pdf.pages))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "BÁO CÁO" in text
    assert flat(status_of(client)["headline"]) in text
    status = status_of(client)
    for t in status["targets"]:
        assert flat(t["title"]) in text, t["title"]
    for word in VERDICTS_VI:
        assert word in text
    fonts = {f["/BaseFont"] for page in pdf.pages for f in page["/Resources"]["/Font"].values()}
    assert all("DejaVuSerif" in str(f) for f in fonts), fonts  # embedded, not a system font


def test_pdf_in_english(client, seeded):
    text = flat("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report(client, "pdf", lang="en").content)).pages))
    assert "COMMUNIST PARTY OF VIETNAM" in text and flat(status_of(client, lang="en")["headline"]) in text


# ------------------------------------------------------------------ HTML and what every format shares


def test_html_page_has_real_table_headers_every_row_and_the_chart(client, seeded):
    r = report(client, "html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-disposition" not in r.headers
    page = r.text
    assert '<html lang="vi">' in page
    assert page.count('<th scope="col">') == 5 * 7
    assert len(re.findall(r'<tr id="target-\d+"', page)) == 12
    assert "<svg" in page and "Kết quả theo nhóm chỉ tiêu" in page
    assert status_of(client)["headline"] in page
    assert "@page" in page and "table-header-group" in page and "break-before: page" in page
    assert '<html lang="en">' in report(client, "html", lang="en").text


def test_the_report_follows_as_of_and_known_at(client, seeded):
    mid = report(client, "html", as_of="2019-06-30").text
    assert status_of(client, as_of="2019-06-30")["headline"] in mid
    assert "Có nguy cơ không đạt" in mid and "Dự báo cả kỳ" in mid
    before = report(client, "docx", known_at="2019-01-01T00:00:00+07:00")
    rows = [row for t in category_tables(docx_of(before)) for row in t.rows[1:]]
    assert {row.cells[5].text for row in rows} == {"Chưa có số liệu"}


def test_the_committee_verdict_stands_beside_the_computed_one(client, seeded):
    r = client.post(f"{API}/targets/4/assessments", json={
        "verdict": "basically_achieved", "reason": "Thiếu 220 tấn do thời tiết", "assessed_by": "Ban Thường vụ",
        "assessed_on": "2020-01-10"})
    assert r.status_code == 201, r.text
    rows = [row for t in category_tables(docx_of(report(client, "docx"))) for row in t.rows[1:]]
    assert rows[3].cells[5].text == "Không đạt\nCấp ủy đánh giá: Cơ bản đạt"
    assert "Ban Thường vụ: Thiếu 220 tấn do thời tiết" in rows[3].cells[6].text
    assert "Cấp ủy đánh giá: Cơ bản đạt" in report(client, "html").text


def test_an_unchanged_report_answers_304_and_a_new_figure_changes_it(client, anonymous, seeded):
    first = report(client, "pdf")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-store"  # asked with a key (app/security.py)
    assert report(anonymous, "pdf").headers["cache-control"] == "public, max-age=300"
    again = client.get(f"{API}/plans/1/report", params={**FINAL, "format": "pdf"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert report(client, "docx").headers["etag"] != etag  # each format its own tag
    r = client.post(f"{API}/targets/12/submissions", json={"value": 96, "period_date": "2019-12-30", "organization_id": 1})
    assert r.status_code == 201, r.text
    assert report(client, "pdf").headers["etag"] != etag


def test_rendering_holds_no_database_connection(app, client, seeded, monkeypatch):
    from app.reports import docx as docx_report

    seen = []
    render = docx_report.render

    def spy(rep):
        seen.append(app.state.engine.pool.checkedout())
        return render(rep)

    monkeypatch.setattr(docx_report, "render", spy)
    report(client, "docx")
    assert seen == [0]


def test_bad_requests_are_problems(client, seeded):
    assert_problem(client.get(f"{API}/plans/1/report", params={"format": "xls"}), 422, fields={"query.format"})
    assert_problem(client.get(f"{API}/plans/999/report"), 404)
    assert_problem(client.get(f"{API}/plans/1/report", params={"as_of": "2019-13-01"}), 422, fields={"query.as_of"})


def test_openapi_documents_the_media_types(app):
    paths = app.openapi()["paths"]
    content = paths["/api/v1/plans/{plan_id}/report"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"text/html", DOCX, "application/pdf"}
    for path in ("/api/v1/plans/{plan_id}/chart.svg", "/api/v1/targets/{target_id}/chart.svg",
                 "/api/v1/targets/{target_id}/badge.svg"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"image/svg+xml"}
        assert "304" in paths[path]["get"]["responses"]
