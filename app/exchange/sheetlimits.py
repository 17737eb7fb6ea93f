"""What the spreadsheet reader accepts: its size limits, the file signatures, and the two errors
it raises (an unreadable file, 400; a file that would expand past the limits, 413).

Pure: no database. `tabular` re-exports these names.
"""

from __future__ import annotations

from app.errors import FieldError, InvalidInput, PayloadTooLarge

MIB = 2**20
MAX_ROWS = 20_000  # data rows per file
MAX_ROW_NUMBER = 50_000  # the highest row number read (blank rows included)
MAX_COLUMNS = 200  # cells per row, any row
MAX_CELLS = 300_000  # cells read in total (a 20,000-figure export has 240,000)
MAX_CSV_DELIMITERS = 1_500_000
# XLSX parts, unpacked. A 20,000-figure export's sheet is 10 MB of XML (openpyxl writes its text inline).
MAX_SHEET_BYTES = 16 * MIB
MAX_SHARED_STRINGS_BYTES = 4 * MIB
MAX_PART_BYTES = 4 * MIB  # styles, workbook, relationships, theme, ...
MAX_UNPACKED_BYTES = 48 * MIB  # all parts together
MAX_PARTS = 1_000
# XML elements of the first sheet: 4 per number cell (<c>, <v>, their ends), 6 per inline text cell, 2 per row, and room.
MAX_SHEET_TAGS = 6 * MAX_CELLS + 2 * MAX_ROW_NUMBER + 10_000

XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
BOM = "\ufeff"


class UnreadableFile(InvalidInput):
    """The bytes are not a CSV (UTF-8) or XLSX file this reader can read."""

    def __init__(self, reason: str):
        problem = FieldError(field="file", message=reason, type="unreadable")
        super().__init__(f"The file cannot be read: {reason}", [problem])
        self.reason = reason


class FileTooLarge(PayloadTooLarge):
    """A file under the upload limit that would unpack or expand past what is read (413)."""

    def __init__(self, reason: str):
        super().__init__(f"The file is too large to read: {reason}", [FieldError(field="file", message=reason, type="too_large")])
        self.reason = reason
