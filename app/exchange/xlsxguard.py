"""XLSX workbooks checked against the limits before anything is parsed: the parts' declared sizes,
then the first sheet's elements, rows and cells counted with byte searches; `xlsx_rows` then reads
the first sheet (with `xlsx`).

Pure: no database.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from app.exchange.sheetlimits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_ROW_NUMBER,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEET_BYTES,
    MAX_SHEET_TAGS,
    MAX_UNPACKED_BYTES,
    MIB,
    FileTooLarge,
    UnreadableFile,
)

_NAME = rb"<(?:[A-Za-z_][\w.\-]*:)?"  # an element's start, with any namespace prefix
_ROW = re.compile(_NAME + rb"row[\s/>]")
_CELL = re.compile(_NAME + rb"c[\s/>]")
_ROW_NUMBER = re.compile(_NAME + rb"row\s[^>]*?\br\s*=\s*[\"'](\d{1,12})")
_CELL_REF = re.compile(_NAME + rb"c\s[^>]*?\br\s*=\s*[\"']\$?([A-Za-z]{1,8})\$?(\d{1,12})")


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuses a workbook whose parts declare more than the limits (before anything is unpacked)."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise FileTooLarge(f"the workbook has more than {MAX_PARTS} parts")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise FileTooLarge(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // MIB} MiB; split it or upload a CSV")
    for info in infos:
        name = info.filename.lower()
        if name.endswith("sharedstrings.xml"):
            limit, what = MAX_SHARED_STRINGS_BYTES, "its shared strings (the text of the cells)"
        elif "/worksheets/" in name or name.startswith("worksheets/"):
            limit, what = MAX_SHEET_BYTES, f"the sheet {info.filename}"
        else:
            limit, what = MAX_PART_BYTES, f"the part {info.filename}"
        if info.file_size > limit:
            raise FileTooLarge(f"{what} unpacks to more than {limit // MIB} MiB; split the file or upload a CSV")


def _scan_sheet(xml: bytes) -> None:
    """Counts the sheet's elements, rows and cells with byte searches, and refuses it before it is parsed
    when a row is too wide or the sheet too long or too big. Every loop below is bounded by the
    element count, checked first at C speed."""
    from openpyxl.utils import column_index_from_string

    if xml.count(b"<") > MAX_SHEET_TAGS:
        raise FileTooLarge(f"the sheet holds more than {MAX_SHEET_TAGS:,} XML elements")
    starts = [m.start() for m in _ROW.finditer(xml)]
    if len(starts) > MAX_ROW_NUMBER:
        raise FileTooLarge(f"more than {MAX_ROW_NUMBER:,} rows; split the file")
    # The cells counted in C (findall), row by row: the element count above bounds every list built here.
    cells = 0
    for first, end in zip(starts, [*starts[1:], len(xml)], strict=True):
        in_row = len(_CELL.findall(xml, first, end))
        if in_row > MAX_COLUMNS:
            raise UnreadableFile(f"a row has more than {MAX_COLUMNS} cells")
        cells += in_row
        if cells > MAX_CELLS:
            raise FileTooLarge(f"more than {MAX_CELLS:,} cells; split the file")
    highest_row = max((int(m.group(1)) for m in _ROW_NUMBER.finditer(xml)), default=0)
    letters: set[bytes] = set()
    for m in _CELL_REF.finditer(xml):
        letters.add(m.group(1))
        highest_row = max(highest_row, int(m.group(2)))
    if highest_row > MAX_ROW_NUMBER:
        raise FileTooLarge(f"the sheet has rows numbered beyond {MAX_ROW_NUMBER:,}; split the file")
    for raw in letters:
        column = raw.decode("ascii").upper()
        try:
            index = column_index_from_string(column)
        except ValueError:
            raise UnreadableFile(f"the cell reference column '{column}' is not valid") from None
        if index > MAX_COLUMNS:
            raise UnreadableFile(
                f"the sheet has cells in column {column} (beyond column {MAX_COLUMNS}); remove them or upload a CSV"
            )


_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The part of the workbook's first sheet, found as openpyxl finds it (package relationships ->
    workbook -> its first <sheet> -> the workbook's relationships); None when that cannot be told."""
    import posixpath
    import xml.etree.ElementTree as ET

    def parsed(name: str):
        data = archive.read(name)  # within MAX_PART_BYTES (checked)
        if data.count(b"<") > 100_000:
            raise FileTooLarge(f"the part {name} holds more than 100,000 XML elements")
        return ET.fromstring(data)

    def target_of(rels, wanted) -> str | None:
        for rel in rels.iter(f"{{{_PACKAGE_RELS}}}Relationship"):
            if wanted(rel):
                return rel.get("Target")
        return None

    try:
        names = set(archive.namelist())
        workbook = "xl/workbook.xml"
        if "_rels/.rels" in names:
            found = target_of(parsed("_rels/.rels"), lambda r: (r.get("Type") or "").endswith("/officeDocument"))
            workbook = (found or workbook).lstrip("/")
        folder, base = posixpath.split(workbook)
        sheet = next(parsed(workbook).iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"), None)
        if sheet is None:
            return None
        rid = sheet.get(f"{{{_OFFICE_RELS}}}id")
        target = target_of(parsed(posixpath.join(folder, "_rels", base + ".rels")), lambda r: r.get("Id") == rid)
        if not target:
            return None
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        return path if path in names else None
    except FileTooLarge:
        raise
    except Exception:  # a damaged or unusual package: every part is scanned instead
        return None


def _scan_before_parsing(archive: zipfile.ZipFile, path: str) -> None:
    """The first sheet scanned (`_scan_sheet`) before anything of it is parsed."""
    try:
        xml = archive.read(path)
    except Exception:  # a damaged part
        raise UnreadableFile("not a readable .xlsx workbook (the archive is damaged)") from None
    _scan_sheet(xml)


def xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows, once the archive's parts and the sheet passed the limits (app/exchange/xlsx.py reads them)."""
    from app.exchange import xlsx

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a zip archive at all
        raise UnreadableFile("not a readable .xlsx workbook (the archive is damaged)") from None
    with archive:
        _check_parts(archive)
        path = _first_sheet_path(archive)
        if path is None:
            raise UnreadableFile("not a readable .xlsx workbook (it has no sheet, or the archive is damaged)")
        _scan_before_parsing(archive, path)
        try:
            yield from xlsx.rows(archive, path)
        except xlsx.BadWorkbook as exc:
            raise UnreadableFile(f"the first sheet cannot be read ({exc})") from None
        except (zipfile.BadZipFile, EOFError, OSError):
            raise UnreadableFile("not a readable .xlsx workbook (the archive is damaged)") from None
