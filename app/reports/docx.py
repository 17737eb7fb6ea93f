"""The report as a Word document (DOCX), in the party's document layout (guidance 36-HD/VPTW).

A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman 13 pt (tables 12 pt).
Letterhead: the superior and issuing bodies with the star line and number on the left,
"ĐẢNG CỘNG SẢN VIỆT NAM" underlined and the place-and-date line in italics on the right; the
title "BÁO CÁO" and its subject; the headline; one table per category (header row repeated on
each page); the targets without data and the provisional verdicts; the signature block and
"Nơi nhận" with lines for the office to fill.

The category tables are written as WordprocessingML directly (one parsed string per table):
python-docx's row-by-row API takes over a second for a thousand rows.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from app.reports.document import Report, Row

FONT = "Times New Roman"
BODY_PT, TABLE_PT = 13, 12
# Column widths in mm (160 mm between the margins): STT, target, plan, result, % of plan, verdict, note.
WIDTHS_MM = (12, 43, 24, 20, 16, 19, 26)
_TWIPS_PER_MM = 56.6929
_ALIGN = ("center", "left", "center", "center", "center", "center", "left")


def render(report: Report) -> bytes:
    """The DOCX file's bytes."""
    doc = Document()
    _without_styles_with_effects(doc)
    _page_and_fonts(doc)
    _letterhead(doc, report)
    _paragraph(doc, report.title, bold=True, size=15, align=WD_ALIGN_PARAGRAPH.CENTER, before=12)
    _paragraph(doc, report.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, report.period_line, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    headline = doc.add_paragraph()
    headline.paragraph_format.first_line_indent = Mm(10)
    headline.add_run(report.label("summary") + ": ").bold = True
    headline.add_run(report.headline + ".")
    for section in report.sections:
        heading = _paragraph(doc, f"{section.numeral}. {section.name}", bold=True, before=10)
        heading.paragraph_format.keep_with_next = True  # never alone at the foot of a page
        if section.headline:
            _paragraph(doc, section.headline + ".", italic=True, after=4).paragraph_format.keep_with_next = True
        doc.element.body.insert_element_before(parse_xml(_table_xml(report, section.rows)), "w:sectPr")
    for key, items in (("no_data_title", report.no_data), ("provisional_title", report.provisional)):
        _paragraph(doc, report.label(key), bold=True, before=10)
        for item in items or (report.label("none"),):
            _paragraph(doc, f"- {item}" if items else item, indent=True)
    _signature(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _without_styles_with_effects(doc) -> None:
    """Drops the Word 2010 `stylesWithEffects` part python-docx's template carries: it no longer matches
    the styles we change, and Word and the Open XML SDK's checks treat a mismatch as a defect."""
    part = doc.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(rel_id)


def _page_and_fonts(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.1


def _paragraph(
    container,
    text: str,
    *,
    bold=False,
    italic=False,
    underline=False,
    size=None,
    align=None,
    before=None,
    after=None,
    indent=False,
):
    p = container.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if before is not None:
        p.paragraph_format.space_before = Pt(before)
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    if indent:
        p.paragraph_format.left_indent = Mm(5)
    return p


def _two_columns(doc, widths_mm: tuple[int, int]):
    """A borderless table of one row and two cells, for the letterhead and the signature block."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    for cell, width in ((left, widths_mm[0]), (right, widths_mm[1])):
        cell.width = Mm(width)
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    return left, right


def _cell_lines(cell, lines: list[tuple[str, dict]], align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    first = True
    for text, style in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.alignment = style.pop("align", align)
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        run.bold, run.italic, run.underline = style.get("bold", False), style.get("italic", False), style.get("underline", False)
        run.font.size = Pt(style.get("size", BODY_PT))


def _letterhead(doc, report: Report) -> None:
    left, right = _two_columns(doc, (72, 88))
    lines = [(report.superior, {"size": 13})] if report.superior else []
    lines += [(report.issuer, {"bold": True, "size": 13}), ("*", {}), (report.label("number"), {"size": 13})]
    _cell_lines(left, lines)
    _cell_lines(
        right,
        [
            (report.label("party"), {"bold": True, "underline": True, "size": 14}),
            ("", {}),
            (report.place_date, {"italic": True, "size": 13}),
        ],
    )


def _signature(doc, report: Report) -> None:
    _paragraph(doc, "", before=12)
    left, right = _two_columns(doc, (80, 80))
    _cell_lines(
        left,
        [
            (report.label("recipients"), {"bold": True, "italic": True, "size": 12}),
            (report.label("recipient_blank"), {"size": 11}),
            (report.label("recipient_file"), {"size": 11}),
        ],
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _cell_lines(
        right,
        [
            (report.label("sign_for"), {"bold": True, "size": 14}),
            (report.label("sign_role"), {"bold": True, "size": 14}),
            (report.label("sign_note"), {"italic": True, "size": 12}),
            ("", {}),
            ("", {}),
            ("", {}),
        ],
    )


# ------------------------------------------------------------------ the category tables, as WordprocessingML


def _run(text: str, *, bold: bool = False, italic: bool = False) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + f'<w:sz w:val="{TABLE_PT * 2}"/>'
    return f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _cell(width: float, align: str, paragraphs: list[str], fill: str | None = None) -> str:
    shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    body = "".join(
        f'<w:p><w:pPr><w:spacing w:before="20" w:after="20"/><w:jc w:val="{align}"/></w:pPr>{p}</w:p>' for p in paragraphs or [""]
    )
    return f'<w:tc><w:tcPr><w:tcW w:w="{round(width)}" w:type="dxa"/>{shading}<w:vAlign w:val="center"/></w:tcPr>{body}</w:tc>'


def _row_cells(row: Row) -> list[list[str]]:
    verdict = [_run(row.verdict, bold=True)] + ([_run(row.committee, italic=True)] if row.committee else [])
    return [
        [_run(str(row.number))],
        [_run(row.title)],
        [_run(row.plan)],
        [_run(row.result)],
        [_run(row.percent)],
        verdict,
        [_run(note) for note in row.notes],
    ]


def _table_xml(report: Report, rows: tuple[Row, ...]) -> str:
    widths = [w * _TWIPS_PER_MM for w in WIDTHS_MM]
    grid = "".join(f'<w:gridCol w:w="{round(w)}"/>' for w in widths)
    header = "".join(
        _cell(w, "center", [_run(name, bold=True)], fill="E7E6E6") for w, name in zip(widths, report.columns, strict=True)
    )
    out = [
        (
            f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{round(sum(widths))}" w:type="dxa"/>'
            '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        ),
        f"<w:tblGrid>{grid}</w:tblGrid>",
        f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{header}</w:tr>",  # repeated on every page
    ]
    for row in rows:
        cells = "".join(_cell(w, a, ps) for w, a, ps in zip(widths, _ALIGN, _row_cells(row), strict=True))
        out.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{cells}</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)
