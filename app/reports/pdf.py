"""The report as a PDF (fpdf2, pure Python): the same document as the DOCX, page for page in spirit.

No system package is needed: the serif font is DejaVu Serif, which matplotlib ships (it covers
Vietnamese), embedded as a subset; text stays extractable (fpdf2 writes a ToUnicode map).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.reports.document import Report


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed")
    return Path(spec.submodule_search_locations[0])


# matplotlib's own folder, found without importing matplotlib (numpy and all): the PDF needs only its fonts.
_FONTS = _package_folder("matplotlib") / "mpl-data" / "fonts" / "ttf"
_FAMILY = "DejaVuSerif"
_STYLES = {
    "": "DejaVuSerif.ttf",
    "B": "DejaVuSerif-Bold.ttf",
    "I": "DejaVuSerif-Italic.ttf",
}  # no bold italic: each font parsed costs memory
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
    pdf.multi_cell(0, 6, f"**{report.label('summary')}:** {report.headline}.", markdown=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in report.sections:
        if pdf.will_page_break(40):  # a heading, its headline, the table's header and a row stay together
            pdf.add_page()
        _text(pdf, f"{section.numeral}. {section.name}", "B", BODY_PT, before=4)
        if section.headline:
            _text(pdf, section.headline + ".", "I", BODY_PT - 1, after=1)
        _table(pdf, report, section.rows)
    for key, items in (("no_data_title", report.no_data), ("provisional_title", report.provisional)):
        _text(pdf, report.label(key), "B", BODY_PT, before=4)
        _list(pdf, [f"- {item}" for item in items] or [report.label("none")])
    _signature(pdf, report)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str, style: str, size: float, *, align: str = "J", before: float = 0, after: float = 0) -> None:
    if before:
        pdf.ln(before)
    pdf.set_font(_FAMILY, style, size)
    pdf.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if after:
        pdf.ln(after)


def _column(pdf: FPDF, x: float, y: float, width: float, lines: Sequence[tuple[str, str, float]], align: str = "C") -> float:
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
        (report.issuer, "B", 11),
        ("*", "", 11),
        (report.label("number"), "", 11),
    ]
    bottom_left = _column(pdf, LEFT, top, 78, left)
    bottom_right = _column(
        pdf, LEFT + 80, top, 85, [(report.label("party"), "BU", 12), ("", "", 6), (report.place_date, "I", 11)]
    )
    pdf.set_xy(LEFT, max(bottom_left, bottom_right) + 2)


def _table(pdf: FPDF, report: Report, rows) -> None:
    """A category's table, laid out here: fpdf2's own table breaks lines character by character (seconds for a
    thousand rows); words measured once each and drawn line by line take a fraction of that."""
    widths = _Widths(pdf)
    header = [[(name, "B")] for name in report.columns]
    _table_row(pdf, widths, header, fill=True)
    for row in rows:
        verdict = [(row.verdict, "B")] + ([(row.committee, "I")] if row.committee else [])
        cells = [
            [(str(row.number), "")],
            [(row.title, "")],
            [(row.plan, "")],
            [(row.result, "")],
            [(row.percent, "")],
            verdict,
            [(note, "") for note in row.notes],
        ]
        if pdf.will_page_break(_height(widths, cells)):
            pdf.add_page()
            _table_row(pdf, widths, header, fill=True)  # the header row again on each page
        _table_row(pdf, widths, cells)
    pdf.ln(2)


_LINE = TABLE_PT * 0.45  # mm per line of table text
_PAD = 1.0  # mm inside each cell


def _list(pdf: FPDF, items: list[str], size: float = BODY_PT - 1) -> None:
    """Lines of plain text, wrapped here (multi_cell is slow for a thousand items), continued on new pages."""
    widths, line = _Widths(pdf, size), size * 0.5
    pdf.set_font(_FAMILY, "", size)
    for item in items:
        for k, text in enumerate(widths.wrap(item, "", pdf.epw - 5)):
            if pdf.will_page_break(line):
                pdf.add_page()
                pdf.set_font(_FAMILY, "", size)
            pdf.text(pdf.l_margin + (5 if k else 0), pdf.get_y() + line * 0.78, text)
            pdf.set_y(pdf.get_y() + line)


class _Widths:
    """Text widths in one font size, per style, each word measured once."""

    def __init__(self, pdf: FPDF, size: float = TABLE_PT):
        self.pdf, self.size = pdf, size
        self.cache: dict[tuple[str, str], float] = {}

    def __call__(self, text: str, style: str) -> float:
        key = (text, style)
        if key not in self.cache:
            self.pdf.set_font(_FAMILY, style, self.size)
            self.cache[key] = self.pdf.get_string_width(text)
        return self.cache[key]

    def wrap(self, text: str, style: str, width: float) -> list[str]:
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        space = self(" ", style)
        for word in text.split():
            w = self(word, style)
            if current and used + space + w > width:
                lines.append(" ".join(current))
                current, used = [], 0.0
            used += (space if current else 0) + w
            current.append(word)
        return [*lines, " ".join(current)] if current else lines


def _lines(widths: _Widths, cells) -> list[list[tuple[str, str]]]:
    return [
        [(line, style) for text, style in paragraphs for line in widths.wrap(text, style, w - 2 * _PAD)]
        for w, paragraphs in zip(WIDTHS, cells, strict=True)
    ]


def _height(widths: _Widths, cells) -> float:
    return max(len(lines) for lines in _lines(widths, cells)) * _LINE + 2 * _PAD


def _table_row(pdf: FPDF, widths: _Widths, cells, *, fill: bool = False) -> None:
    laid = _lines(widths, cells)
    height = max(len(lines) for lines in laid) * _LINE + 2 * _PAD
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(231, 230, 230)
    for w, align, lines in zip(WIDTHS, _ALIGN, laid, strict=True):
        pdf.rect(x, y, w, height, style="DF" if fill else "D")
        top = y + (height - len(lines) * _LINE) / 2  # vertically centred
        for k, (line, style) in enumerate(lines):
            pdf.set_font(_FAMILY, style, TABLE_PT)
            offset = _PAD if align == "LEFT" and not fill else (w - widths(line, style)) / 2
            pdf.text(x + offset, top + (k + 0.78) * _LINE, line)
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


def _signature(pdf: FPDF, report: Report) -> None:
    pdf.ln(6)
    if pdf.will_page_break(40):
        pdf.add_page()
    top = pdf.get_y()
    _column(
        pdf,
        LEFT,
        top,
        80,
        [
            (report.label("recipients"), "B", 11),
            (report.label("recipient_blank"), "", 10),
            (report.label("recipient_file"), "", 10),
        ],
        align="L",
    )
    _column(
        pdf,
        LEFT + 84,
        top,
        81,
        [(report.label("sign_for"), "B", 12), (report.label("sign_role"), "B", 12), (report.label("sign_note"), "I", 11)],
    )
