"""The report as a PDF (fpdf2, pure Python): the same document as the DOCX, page for page in spirit.

No system package is needed: the serif font is DejaVu Serif, which matplotlib ships (it covers
Vietnamese), embedded as a subset; text stays extractable (fpdf2 writes a ToUnicode map).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from matplotlib import get_data_path

from app.reports.document import Report

PDF_MEDIA_TYPE = "application/pdf"

_FONTS = Path(get_data_path()) / "fonts" / "ttf"
_FAMILY = "DejaVuSerif"
_STYLES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf", "BI": "DejaVuSerif-BoldItalic.ttf"}
BODY_PT, TABLE_PT = 12, 9.5  # DejaVu Serif sets wider than Times New Roman: these match its 13 / 12 pt
LEFT, TOP, RIGHT, BOTTOM = 30, 20, 15, 20  # mm
WIDTHS = (11, 44, 24, 20, 16, 19, 31)  # mm, 165 between the margins
_ALIGN = ("CENTER", "LEFT", "CENTER", "CENTER", "CENTER", "CENTER", "LEFT")


class _Document(FPDF):
    def __init__(self, page_label: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.page_label = page_label

    def footer(self):
        self.set_y(-12)
        self.set_font(_FAMILY, "I", 9)
        self.cell(0, 5, f"{self.page_label} {self.page_no()}/{{nb}}", align="C")


def render(report: Report) -> bytes:
    """The PDF file's bytes."""
    pdf = _Document(report.label("page"))
    for style, name in _STYLES.items():
        pdf.add_font(_FAMILY, style, str(_FONTS / name))
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_title(f"{report.title}: {report.subject}")
    pdf.set_lang("vi" if report.lang == "vi" else "en")
    pdf.set_creator("chitieu")
    pdf.add_page()
    _letterhead(pdf, report)
    _text(pdf, report.title, "B", 14, align="C", before=6)
    _text(pdf, report.subject, "B", BODY_PT, align="C")
    _text(pdf, "-----", "", BODY_PT, align="C")
    _text(pdf, report.period_line, "I", BODY_PT, align="C", after=2)
    pdf.set_font(_FAMILY, "", BODY_PT)
    pdf.multi_cell(0, 6, f"**{report.label('summary')}:** {report.headline}.", markdown=True,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in report.sections:
        _text(pdf, f"{section.numeral}. {section.name}", "B", BODY_PT, before=4)
        if section.headline:
            _text(pdf, section.headline + ".", "I", BODY_PT - 1, after=1)
        _table(pdf, report, section.rows)
    for key, items in (("no_data_title", report.no_data), ("provisional_title", report.provisional)):
        _text(pdf, report.label(key), "B", BODY_PT, before=4)
        for item in items or (report.label("none"),):
            _text(pdf, f"- {item}" if items else item, "", BODY_PT - 1)
    _signature(pdf, report)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str, style: str, size: float, *, align: str = "J", before: float = 0, after: float = 0) -> None:
    if before:
        pdf.ln(before)
    pdf.set_font(_FAMILY, style, size)
    pdf.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if after:
        pdf.ln(after)


def _column(pdf: FPDF, x: float, y: float, width: float, lines: list[tuple[str, str, float]], align: str = "C") -> float:
    """Lines (text, style, size) stacked in a column starting at (x, y); returns the column's bottom."""
    pdf.set_xy(x, y)
    for text, style, size in lines:
        pdf.set_font(_FAMILY, style, size)
        pdf.set_x(x)
        pdf.multi_cell(width, size * 0.5, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _letterhead(pdf: FPDF, report: Report) -> None:
    top = pdf.get_y()
    left = ([(report.superior, "", 11)] if report.superior else []) + [
        (report.issuer, "B", 11), ("*", "", 11), (report.label("number"), "", 11)]
    bottom_left = _column(pdf, LEFT, top, 78, left)
    bottom_right = _column(pdf, LEFT + 80, top, 85, [(report.label("party"), "BU", 12), ("", "", 6),
                                                      (report.place_date, "I", 11)])
    pdf.set_xy(LEFT, max(bottom_left, bottom_right) + 2)


def _table(pdf: FPDF, report: Report, rows) -> None:
    pdf.set_font(_FAMILY, "", TABLE_PT)
    heading = FontFace(emphasis="BOLD", fill_color=(231, 230, 230))
    with pdf.table(col_widths=WIDTHS, width=sum(WIDTHS), text_align=_ALIGN, headings_style=heading, repeat_headings=1,
                   line_height=TABLE_PT * 0.48, cell_fill_mode=TableCellFillMode.NONE, padding=0.8) as table:
        header = table.row()
        for name in report.columns:
            header.cell(name, align="CENTER")
        for row in rows:
            verdict = row.verdict + (f"\n{row.committee}" if row.committee else "")
            table.row([str(row.number), row.title, row.plan, row.result, row.percent, verdict, "\n".join(row.notes)])
    pdf.ln(1)


def _signature(pdf: FPDF, report: Report) -> None:
    pdf.ln(6)
    if pdf.will_page_break(40):
        pdf.add_page()
    top = pdf.get_y()
    _column(pdf, LEFT, top, 80, [(report.label("recipients"), "BI", 11), (report.label("recipient_blank"), "", 10),
                                 (report.label("recipient_file"), "", 10)], align="L")
    _column(pdf, LEFT + 84, top, 81, [(report.label("sign_for"), "B", 12), (report.label("sign_role"), "B", 12),
                                      (report.label("sign_note"), "I", 11)])
