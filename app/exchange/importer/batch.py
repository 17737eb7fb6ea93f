"""A batch of figures as JSON (issue 16; DHIS2's data value sets are the model): a list of objects, each
one figure, read into the same `tabular.Table` a CSV or XLSX upload becomes, so that it goes through
the figures import (`figures.import_submissions`): one write path, the same rules, the same report.

Each object's keys are the import's columns (the English names, as the JSON export writes them), and
the target and the reporting unit may also be named by id (`target_id`, `organization_id`) instead of
code: exactly one of each pair. JSON numbers, true/false and text are cells as a spreadsheet's would
be (text figures are read the Vietnamese way, as in a CSV); null is an empty cell. `id` and
`recorded_at` (set by the server: in an export) are accepted and not read, so an exported JSON list
of figures posts back unchanged (every figure "ignored").

What a sheet's header row would make a header problem makes a batch problem here, and nothing is
stored: an item that is not an object, an unknown key (named with the keys known), a value that is an
object or a list. The limits are the sheet's: at most `MAX_ROWS` figures and `MAX_CELLS` values.
"""

from __future__ import annotations

import json
from typing import Any

from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS
from app.exchange.importer.figures import SUBMISSION_SERVER_COLUMNS
from app.exchange.sheetlimits import MAX_CELLS, MAX_ROWS, FileTooLarge, UnreadableFile

# The batch's keys: the sheet's columns, and the ids a client may name instead of codes.
BATCH_FIELDS: tuple[str, ...] = ("target_id", *SUBMISSION_COLUMNS, "organization_id")
_KNOWN = set(BATCH_FIELDS) | set(SUBMISSION_SERVER_COLUMNS)
_SCALARS = (str, int, float, bool)
_LARGEST = 10**18  # beyond any id (a 64-bit column) and any figure (±1e15): refused before it reaches a float or SQL


def _problem(number: int, key: str | None, reason: str) -> tabular.HeaderProblem:
    return tabular.HeaderProblem(row=number, column=key, field=key if key in _KNOWN else None, reason=reason)


def read_batch(data: bytes) -> tabular.Table:
    """The batch as a table (format "json"); each figure's `row` is its position in the list, from 1.

    Raises UnreadableFile (422) for a body that is not a JSON list, FileTooLarge (413) past the limits.
    """
    try:
        items = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableFile(f"the body is not valid JSON ({exc})") from None
    if not isinstance(items, list):
        raise UnreadableFile("the body must be a JSON list of figures: [{...}, {...}]")
    if len(items) > MAX_ROWS:
        raise FileTooLarge(f"more than {MAX_ROWS:,} figures; split the batch")
    rows: list[tabular.Row] = []
    problems: list[tabular.HeaderProblem] = []
    ignored: set[str] = set()
    cells_read = 0
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(_problem(number, None, f"figure {number} is not an object: {type(item).__name__}"))
            continue
        cells_read += len(item)
        if cells_read > MAX_CELLS:
            raise FileTooLarge(f"more than {MAX_CELLS:,} values; split the batch")
        cells: dict[str, Any] = {}
        for key, value in item.items():
            if key not in _KNOWN:
                problems.append(_problem(number, key, f"unknown field '{key}'. The fields are: {', '.join(BATCH_FIELDS)}."))
            elif value is not None and not isinstance(value, _SCALARS):
                problems.append(_problem(number, key, f"'{key}' must be a number, text, true/false or null"))
            elif type(value) is int and abs(value) > _LARGEST:  # JSON has no limit; a float or a column has
                problems.append(_problem(number, key, f"'{key}' is out of range (at most {_LARGEST:.0e} either way)"))
            elif key in SUBMISSION_SERVER_COLUMNS:
                ignored.add(key)
            elif (value := tabular.clean(value)) is not None:
                cells[key] = value
        rows.append(tabular.Row(number=number, cells=cells))
    if problems:
        rows = [tabular.Row(number=number, cells={}) for number in range(1, len(items) + 1)]  # counted as failed
    return tabular.Table(
        format="json",
        headers=list(BATCH_FIELDS),
        fields=list(BATCH_FIELDS),
        header_row=0,
        rows=rows,
        problems=problems,
        ignored_columns=sorted(ignored),
    )
