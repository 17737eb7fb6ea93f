"""The first sheet of an .xlsx workbook, read row by row: a small streaming reader.

Why not openpyxl here (it still writes the exports): its read-only reader builds a descriptor
object per text cell and per shared string, and parses a sheet without a `<dimension>` twice;
a 60 KiB upload of 300,000 short text cells took 9 s of CPU. This reader walks the XML once
with ElementTree's C parser (elements cleared as soon as read) and gives each row as a list of
values, the way openpyxl's `iter_rows(values_only=True)` does, so `tabular` sees the same cells:

- numbers: int when the text has no '.', 'E' or 'e', else float; a number whose cell style has
  a date or time format becomes a datetime (or a time, or a timedelta), through openpyxl's own
  `from_excel` and format tests, with the workbook's 1900 or 1904 epoch;
- text: shared strings (`t="s"`), inline strings (`t="inlineStr"`), formula results
  (`t="str"`); a string's text is its `<t>` and its runs' `<t>`, not the phonetic `<rPh>`;
- booleans (`t="b"`), errors (`t="e"`, their text, e.g. `#N/A`), ISO dates (`t="d"`);
- formulas: their cached value (as openpyxl's data_only=True); a cell without one is None;
- a cell's column comes from its reference (`r="C7"`), else it follows the previous cell;
  rows missing between two rows come back as empty lists, so row numbers stay the sheet's.

Callers check the archive and scan the sheet first (tabular: sizes, rows, cells per row,
columns, elements), so everything read here is bounded before this starts.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any


@cache
def _openpyxl() -> SimpleNamespace:
    """openpyxl's helpers, imported with the first workbook read, not with the app: importing openpyxl
    imports numpy, PIL and lxml too, 38 MB of every worker's memory that a CSV or JSON import never
    needs (issue 17, docs/PERFORMANCE.md "The import's peak memory"). exporter.py does the same."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

    return SimpleNamespace(
        BUILTIN_FORMATS=BUILTIN_FORMATS,
        is_date_format=is_date_format,
        is_timedelta_format=is_timedelta_format,
        column_index_from_string=column_index_from_string,
        coordinate_from_string=coordinate_from_string,
        MAC_EPOCH=MAC_EPOCH,
        WINDOWS_EPOCH=WINDOWS_EPOCH,
        from_excel=from_excel,
        from_ISO8601=from_ISO8601,
    )


class BadWorkbook(Exception):
    """The package is not a workbook this reader can read (the caller says so in plain words)."""


@lru_cache(maxsize=512)  # a sheet uses a handful of names; called once per element, up to 1.9 million times
def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text_of(element) -> str:
    """A string item (<si> or <is>): its own <t>, then each run's <t>; phonetic guides (<rPh>) left out."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for t in child:
                if _local(t.tag) == "t":
                    parts.append(t.text or "")
    return "".join(parts)


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        return None


def shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    data = _read(archive, path) if path else None
    if data is None:
        return []
    out = []
    for _, element in ET.iterparse(io.BytesIO(data)):
        if _local(element.tag) == "si":
            out.append(_text_of(element).replace("x005F_", ""))
            element.clear()
    return out


def _styles(archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """The cell style indexes whose number format is a date (or time), and those that are a duration."""
    ox = _openpyxl()
    data = _read(archive, path) if path else None
    if data is None:
        return set(), set()
    root = ET.fromstring(data)
    custom: dict[int, str] = {}
    dates, durations = set(), set()
    for element in root:
        name = _local(element.tag)
        if name == "numFmts":
            for fmt in element:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "General")
                except ValueError:
                    continue
        elif name == "cellXfs":
            for index, xf in enumerate(element):
                try:
                    number_format = int(xf.get("numFmtId", "0"))
                except ValueError:
                    number_format = 0
                code = custom.get(number_format) or ox.BUILTIN_FORMATS.get(number_format, "General")
                if ox.is_date_format(code):
                    dates.add(index)
                if ox.is_timedelta_format(code):
                    durations.add(index)
    return dates, durations


def _parts(archive: zipfile.ZipFile, sheet_path: str) -> tuple[str | None, str | None, bool]:
    """(shared strings part, styles part, 1904 epoch?) from the workbook that holds the sheet."""
    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    rels = _read(archive, "_rels/.rels")
    if rels is not None:
        for rel in ET.fromstring(rels):
            target = rel.get("Target")
            if (rel.get("Type") or "").endswith("/officeDocument") and target:
                workbook = target.lstrip("/")
    folder, base = posixpath.split(workbook)
    strings = styles = None
    workbook_rels = _read(archive, posixpath.join(folder, "_rels", base + ".rels"))
    for rel in ET.fromstring(workbook_rels) if workbook_rels is not None else []:
        kind, target = (rel.get("Type") or "").rpartition("/")[2], rel.get("Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if kind == "sharedStrings" and path in names:
            strings = path
        elif kind == "styles" and path in names:
            styles = path
    strings = strings or ("xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None)
    styles = styles or ("xl/styles.xml" if "xl/styles.xml" in names else None)
    date1904 = False
    data = _read(archive, workbook)
    if data is not None:
        for element in ET.fromstring(data):
            if _local(element.tag) == "workbookPr":
                date1904 = (element.get("date1904") or "").lower() in ("1", "true")
    return strings, styles, date1904


def rows(archive: zipfile.ZipFile, sheet_path: str) -> Iterator[list[Any]]:
    """The sheet's rows, first to last, each a list of cell values (None where empty)."""
    try:
        strings_path, styles_path, date1904 = _parts(archive, sheet_path)
        strings = shared_strings(archive, strings_path)
        dates, durations = _styles(archive, styles_path)
        data = archive.read(sheet_path)
    except (ET.ParseError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BadWorkbook(type(exc).__name__) from None
    ox = _openpyxl()
    epoch = ox.MAC_EPOCH if date1904 else ox.WINDOWS_EPOCH
    expected_row = 1
    try:
        # End events only, and a cached name per element: a cell is three elements (<c>, <is>, <t>),
        # and start events as well doubled the Python work per element (the costliest workbook within
        # the limits, 300,000 inline cells: 4.2 s of CPU before, see tests/security/test_spreadsheets.py).
        # A row is cleared once read; the emptied <row> itself stays in <sheetData> until the end, at
        # most MAX_ROW_NUMBER of them (the scan counted them), a few MB at worst.
        for _, element in ET.iterparse(io.BytesIO(data)):
            if _local(element.tag) != "row":
                continue
            attribute = element.get("r")
            number = int(attribute) if attribute else expected_row
            while expected_row < number:  # rows the sheet leaves out
                expected_row += 1
                yield []
            expected_row = number + 1
            yield _row(element, strings, dates, durations, epoch, ox)
            element.clear()
    except ET.ParseError as exc:
        raise BadWorkbook(f"ParseError: {exc}") from None


def _row(element, strings: list[str], dates: set[int], durations: set[int], epoch, ox: SimpleNamespace) -> list[Any]:
    values: dict[int, Any] = {}
    column = 0
    for cell in element:
        if _local(cell.tag) != "c":
            continue
        reference = cell.get("r")
        if reference:
            try:
                column = ox.column_index_from_string(ox.coordinate_from_string(reference)[0])
            except ValueError as exc:
                raise BadWorkbook(f"cell reference {reference!r}") from exc
        else:
            column += 1
        values[column] = _value(cell, strings, dates, durations, epoch, ox)
    if not values:
        return []
    out = [None] * max(values)
    for position, value in values.items():
        out[position - 1] = value
    return out


def _value(cell, strings: list[str], dates: set[int], durations: set[int], epoch, ox: SimpleNamespace) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        for child in cell:
            if _local(child.tag) == "is":
                return _text_of(child)
        return None
    raw = None
    for child in cell:
        if _local(child.tag) == "v":
            raw = child.text
            break
    if not raw:
        return None
    try:
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            style = int(cell.get("s") or 0)
            if style in dates:
                try:
                    return ox.from_excel(number, epoch, timedelta=style in durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return ox.from_ISO8601(raw)
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)
    except (IndexError, ValueError) as exc:
        raise BadWorkbook(f"cell value {raw[:20]!r}") from exc
