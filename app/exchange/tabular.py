"""Reading an uploaded sheet: CSV or XLSX bytes -> header and rows keyed by the column contract's fields.

Pure: no database. What it accepts:

- CSV in UTF-8, with or without a byte order mark; the delimiter (comma or
  semicolon) is sniffed from the header line. Cells come back as text.
- XLSX (the first sheet, app/exchange/xlsx.py): numbers come back as numbers, dates as
  dates, booleans as booleans, text as text.

Headers are matched with `columns.header_map` (English field names or the
Vietnamese headers; case, accents and spacing folded). A header the contract does
not know, a column named twice, a missing required column, or data under a column
without a header is a *header problem*: it is reported (row 1), never ignored.
Row numbers are the spreadsheet's (1-based; the header is row 1 unless blank rows
come first). Entirely empty rows are skipped. A file that is not CSV or XLSX at
all, or not UTF-8, raises `UnreadableFile` (a 422 problem on the API).

Limits (issue 12, item 3: a small upload must not buy minutes of CPU or a gigabyte of memory).
Every file under the 5 MiB upload limit is read in about a second or refused:

- rows: at most MAX_ROWS data rows, and no row numbered beyond MAX_ROW_NUMBER (blank rows
  count: a sheet is read row by row, blank or not);
- cells: at most MAX_COLUMNS in any row (not only the header), and MAX_CELLS read in total;
- XLSX (a zip of XML): the declared unpacked size of each part is checked before anything is
  unpacked (Python's zipfile stops at the declared size, so it cannot lie): the sheets at most
  MAX_SHEET_BYTES, the shared strings MAX_SHARED_STRINGS_BYTES, any other part MAX_PART_BYTES,
  the whole MAX_UNPACKED_BYTES. Then the first sheet's XML is scanned with byte searches (no
  parsing) for its rows, cells, highest column and row, and elements, and refused before it is
  parsed when any is over its limit; then app/exchange/xlsx.py reads it in one streaming pass;
- CSV: at most MAX_CSV_DELIMITERS delimiters in the whole file (a line of millions of commas
  would otherwise become one row of millions of cells in memory).
Sizes are refused with 413 (`FileTooLarge`), shapes (a row wider than MAX_COLUMNS) with 422.

CSV cells that a spreadsheet would run as a formula are written with a leading `'` by the
exporter (`neutralise`); the reader takes that `'` off again (`restore`), so export -> import
gives back the text exactly. XLSX keeps such text as text and needs neither.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from app.exchange.columns import fold, header_map
from app.exchange.sheetlimits import BOM as BOM
from app.exchange.sheetlimits import MAX_CELLS as MAX_CELLS
from app.exchange.sheetlimits import MAX_COLUMNS as MAX_COLUMNS
from app.exchange.sheetlimits import MAX_CSV_DELIMITERS as MAX_CSV_DELIMITERS
from app.exchange.sheetlimits import MAX_PART_BYTES as MAX_PART_BYTES
from app.exchange.sheetlimits import MAX_PARTS as MAX_PARTS
from app.exchange.sheetlimits import MAX_ROW_NUMBER as MAX_ROW_NUMBER
from app.exchange.sheetlimits import MAX_ROWS as MAX_ROWS
from app.exchange.sheetlimits import MAX_SHARED_STRINGS_BYTES as MAX_SHARED_STRINGS_BYTES
from app.exchange.sheetlimits import MAX_SHEET_BYTES as MAX_SHEET_BYTES
from app.exchange.sheetlimits import MAX_SHEET_TAGS as MAX_SHEET_TAGS
from app.exchange.sheetlimits import MAX_UNPACKED_BYTES as MAX_UNPACKED_BYTES

# The limits, the errors and the XLSX checks live in their own modules; their names are importable from here too.
from app.exchange.sheetlimits import MIB as MIB
from app.exchange.sheetlimits import OLE_SIGNATURE as OLE_SIGNATURE
from app.exchange.sheetlimits import XLSX_SIGNATURE as XLSX_SIGNATURE
from app.exchange.sheetlimits import FileTooLarge as FileTooLarge
from app.exchange.sheetlimits import UnreadableFile as UnreadableFile
from app.exchange.xlsxguard import xlsx_rows


@dataclass(frozen=True)
class HeaderProblem:
    """Something wrong with the header row: an unknown, repeated or missing column."""

    row: int
    column: str | None  # the header as written (None for a missing column)
    field: str | None  # the contract's field, when known
    reason: str


@dataclass(frozen=True, slots=True)  # slots: 20,000 of them are held through an import (issue 17, peak RSS)
class Row:
    """One data row: its spreadsheet row number and its non-empty cells by field name."""

    number: int
    cells: dict[str, Any]


@dataclass
class Table:
    """A read file: the header as written, what each column maps to, the rows, and any header problems."""

    format: str  # "csv" | "xlsx"
    headers: list[str]
    fields: list[str | None]  # per column: the field, or None (unknown, ignored, repeated)
    header_row: int
    rows: list[Row]
    problems: list[HeaderProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # known but not read (e.g. an export's `id`)
    delimiter: str | None = None  # CSV only

    def column_of(self, name: str) -> str:
        """The header as written in the file for a field (the field name when the file has no such column)."""
        for header, mapped in zip(self.headers, self.fields, strict=True):
            if mapped == name:
                return header
        return name

    @property
    def present(self) -> set[str]:
        """The fields the file has a column for."""
        return {f for f in self.fields if f}


# ------------------------------------------------------------------ reading


def read_table(
    data: bytes,
    columns: dict[str, str],
    *,
    required: Iterable[str] = (),
    ignored: Iterable[str] = (),
    one_of: Iterable[Iterable[str]] = (),
) -> Table:
    """Reads CSV or XLSX bytes against a column contract.

    `required`: fields that must have a column. `ignored`: extra known headers that
    are accepted but not read (reported in `ignored_columns`). `one_of`: groups of
    which at least one field must have a column (e.g. the figure columns).
    """
    if not data or not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith(OLE_SIGNATURE):
        raise UnreadableFile("this is an old Excel .xls file; save it as .xlsx or CSV (UTF-8)")
    if data.startswith(XLSX_SIGNATURE):
        fmt, lines, delimiter = "xlsx", xlsx_rows(data), None
    else:
        text = _decode(data)
        delimiter = sniff_delimiter(text)
        if text.count(delimiter) > MAX_CSV_DELIMITERS:
            raise FileTooLarge(f"more than {MAX_CSV_DELIMITERS:,} '{delimiter}' in the file; split it")
        fmt, lines = "csv", _csv_rows(text, delimiter)
    return _table(fmt, lines, delimiter, columns, set(required), set(ignored), [tuple(g) for g in one_of])


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"not UTF-8 text (byte {exc.start + 1}); save the CSV as 'CSV UTF-8', or upload an .xlsx file"
        ) from None
    text = text.removeprefix(BOM)
    if "\x00" in text:
        raise UnreadableFile("not a CSV or XLSX file (it holds binary data)")
    return text


def sniff_delimiter(text: str) -> str:
    """',' or ';', whichever the header line (outside quotes) uses more; ',' when it uses neither."""
    counts = {",": 0, ";": 0}
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


# ------------------------------------------------------------------ formulas in CSV

# A text cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(text: str) -> str:
    """A text cell as written into a CSV: with a leading `'` when a spreadsheet would run it as a
    formula, or when it already starts with `'` (so that `restore` is exact)."""
    return QUOTE + text if text.startswith(FORMULA_STARTS) or text.startswith(QUOTE) else text


class Verbatim(str):
    """A CSV cell whose leading `'` was taken off: its text is exactly what was exported, so `clean`
    does not strip it (a note starting with a tab keeps its tab)."""


def restore(text: str) -> str:
    """The text `neutralise` was given (a cell read from a CSV)."""
    if text.startswith(QUOTE) and text[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return Verbatim(text[1:])
    return text


def _csv_rows(text: str, delimiter: str) -> Iterator[list[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield [restore(cell) if cell[:1] == QUOTE else cell for cell in row]
    except csv.Error as exc:
        raise UnreadableFile(f"not a well-formed CSV near record {reader.line_num}: {exc}") from None


# ------------------------------------------------------------------ cells


def clean(value: Any) -> Any:
    """A cell as the importer sees it: text stripped (empty -> None), midnight datetimes as dates."""
    if isinstance(value, str):
        if type(value) is Verbatim:
            return str(value)
        value = value.strip()
        return value or None
    if isinstance(value, datetime) and value.time() == time(0, 0):
        return value.date()
    return value


def _blank(values: list[Any]) -> bool:
    if values.count(None) == len(values):  # most blank rows: no per-cell call
        return True
    if values and type(values[0]) is str and values[0].strip():  # most data rows: a first cell of text
        return False
    return all(clean(v) is None for v in values)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).removeprefix(BOM).strip()


def _known_names(columns: dict[str, str]) -> str:
    return ", ".join(f"{name} ({vietnamese})" for name, vietnamese in columns.items())


def _check_row(number: int, values: list[Any]) -> None:
    """Every row, blank or not: within the row numbers read, and not wider than MAX_COLUMNS unless only blanks follow."""
    if number > MAX_ROW_NUMBER:
        raise FileTooLarge(f"more than {MAX_ROW_NUMBER:,} rows (blank rows included); split the file")
    if len(values) > MAX_COLUMNS and not _blank(values[MAX_COLUMNS:]):
        raise UnreadableFile(f"row {number} has more than {MAX_COLUMNS} cells")


def _table(
    fmt: str,
    lines: Iterator[list[Any]],
    delimiter: str | None,
    columns: dict[str, str],
    required: set[str],
    ignored: set[str],
    one_of: list[tuple[str, ...]],
) -> Table:
    number = 0
    header: list[Any] | None = None
    for values in lines:
        number += 1
        _check_row(number, values)
        if not _blank(values):
            header = values
            break
    if header is None:
        raise UnreadableFile("the file has no header row (it is blank)")
    if len(header) > MAX_COLUMNS and not _blank(header[MAX_COLUMNS:]):
        raise UnreadableFile(f"more than {MAX_COLUMNS} columns")

    header_row = number
    lookup = header_map(columns)
    ignorable = {fold(name): name for name in ignored}
    headers = [_header_text(v) for v in header]
    while headers and not headers[-1]:
        headers.pop()
    fields: list[str | None] = []
    problems: list[HeaderProblem] = []
    ignored_found: list[str] = []
    seen: dict[str, str] = {}
    for position, text in enumerate(headers, start=1):
        folded = fold(text)
        name = lookup.get(folded)
        if not text:
            fields.append(None)  # a column without a header: fine while it stays empty (checked below)
            continue
        if name is None:
            if folded in ignorable:
                ignored_found.append(text)
            else:
                hint = difflib.get_close_matches(folded, list(lookup), n=1, cutoff=0.75)
                suggestion = f"; did you mean '{lookup[hint[0]]}'?" if hint else "."
                problems.append(
                    HeaderProblem(
                        header_row,
                        text,
                        None,
                        (f"unknown column '{text}' (column {position}){suggestion} The columns are: {_known_names(columns)}."),
                    )
                )
            fields.append(None)
            continue
        if name in seen:
            problems.append(
                HeaderProblem(
                    header_row, text, name, (f"column '{text}' repeats '{seen[name]}' (both mean '{name}'); keep one of them")
                )
            )
            fields.append(None)
            continue
        seen[name] = text
        fields.append(name)
    for name in columns:
        if name in required and name not in seen:
            problems.append(HeaderProblem(header_row, None, name, (f"the required column '{name}' ({columns[name]}) is missing")))
    for group in one_of:
        if not any(name in seen for name in group):
            names = ", ".join(f"'{n}' ({columns[n]})" for n in group)
            problems.append(HeaderProblem(header_row, None, None, f"the file needs at least one of the columns {names}"))

    rows: list[Row] = []
    headless_reported = False
    cells_read = len(header)
    for values in lines:
        number += 1
        _check_row(number, values)
        if _blank(values):
            continue
        cells_read += len(values)
        if cells_read > MAX_CELLS:
            raise FileTooLarge(f"more than {MAX_CELLS:,} cells; split the file")
        if len(rows) >= MAX_ROWS:
            raise UnreadableFile(f"more than {MAX_ROWS} data rows; split the file")
        cells: dict[str, Any] = {}
        for position, value in enumerate(values):
            # clean(), inlined for plain text (every CSV cell): a call per cell was a tenth of reading a file
            value = (value.strip() or None) if type(value) is str else clean(value)
            if value is None:
                continue
            name = fields[position] if position < len(fields) else None
            if name is not None:
                cells[name] = value
            elif (position >= len(headers) or not headers[position]) and not headless_reported:
                headless_reported = True
                problems.append(
                    HeaderProblem(
                        number,
                        None,
                        None,
                        (
                            f"row {number} has data in column {position + 1}, which has no header; "
                            "name the column or remove the data"
                        ),
                    )
                )
        rows.append(Row(number, cells))
    return Table(fmt, headers, fields, header_row, rows, problems, ignored_found, delimiter)
