"""Reading an import's cells by their column's kind: numbers the Vietnamese way (never guessed when
ambiguous), dates, yes/no, choices, checkpoints."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.exchange import tabular
from app.exchange.columns import SUBMISSION_COLUMNS, TARGET_COLUMNS, fold
from app.exchange.vnnumbers import interpret, normalize, parse_number


class CellError(Exception):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_NUMBER_CELL = re.compile(r"[-−]?\d+(?:[.,]\d+)*")
_DOT_GROUP = re.compile(r"[-−]?[1-9]\d{0,2}\.\d{3}")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
TRUE_WORDS = {"true", "yes", "y", "1", "x", "co", "dung", "da", "roi"}  # có, đúng, đã, rồi
FALSE_WORDS = {"false", "no", "n", "0", "khong", "sai", "chua"}  # không, sai, chưa


def _number_token(text: str) -> str | None:
    """The text as a bare number token ("9.720", "-17,4"), or None when it holds anything else."""
    token = normalize(text).strip().removeprefix("+")
    return token if _NUMBER_CELL.fullmatch(token) else None


def _english_style(token: str) -> bool:
    """'12.1', '0.125', '1,536.25', '1,234,567': '.' as the decimal point, or ',' grouping thousands."""
    value, ambiguous, _, _ = interpret(token.lstrip("-−"))
    if value is None or ambiguous:
        return False
    try:
        return float(token.lstrip("-−").replace(".", "").replace(",", ".")) != value
    except ValueError:
        return True


@dataclass
class NumberStyle:
    """Evidence of how a file writes decimals: where it first uses '.' as the decimal point, if anywhere."""

    english_at: tuple[int, str, str] | None = None  # (row, column, text)


def number_style(table: tabular.Table, figure_fields: tuple[str, ...]) -> NumberStyle:
    for row in table.rows:
        for name in figure_fields:
            raw = row.cells.get(name)
            if isinstance(raw, str) and not _never_english(raw):
                token = _number_token(raw)
                if token and _english_style(token):
                    return NumberStyle((row.number, table.column_of(name), raw))
    return NumberStyle()


def _g(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


# Number cells that mean one thing in any file, read without the general parser (which looks for
# units, words, years and references that a number cell does not have): a whole number, a decimal
# comma not followed by exactly three digits ("17,4", "0,25": "3,098" stays with the general
# parser, which reports it ambiguous), and, unless the file writes '.' as a decimal point, '.'
# grouping thousands ("9.720", "1.234.567"). ASCII digits and '-' only: anything else ('+', '−',
# spaces, other scripts' digits) goes through the general path. tests/exchange/test_number_cells.py
# checks on generated cells that this gives exactly what the general path gives.
_WHOLE = re.compile(r"-?[0-9]+")
_COMMA_DECIMAL = re.compile(r"(-?[0-9]+),([0-9]+)")
_DOT_THOUSANDS = re.compile(r"-?[1-9][0-9]{0,2}(?:\.[0-9]{3})+")


def _plain_number(text: str, style: NumberStyle) -> float | None:
    """The value of a cell that cannot be ambiguous in this file, or None to use the general parser."""
    if _WHOLE.fullmatch(text):
        return float(text)
    match = _COMMA_DECIMAL.fullmatch(text)
    if match:
        whole, decimals = match.groups()
        return None if len(decimals) == 3 else float(f"{whole}.{decimals}")
    if style.english_at is None and _DOT_THOUSANDS.fullmatch(text):
        return float(text.replace(".", ""))
    return None


def _never_english(text: str) -> bool:
    """Cells that are no evidence of '.' as a decimal point: whole numbers, one decimal comma."""
    return _WHOLE.fullmatch(text) is not None or _COMMA_DECIMAL.fullmatch(text) is not None


def read_number(raw: Any, style: NumberStyle) -> float:
    """A figure cell: a spreadsheet number, or text read the Vietnamese way (never guessed when ambiguous)."""
    if type(raw) is str and (value := _plain_number(raw, style)) is not None:
        return value
    return _read_number(raw, style)


def _read_number(raw: Any, style: NumberStyle) -> float:
    """read_number's general path: every cell can go this way (the fast path is only a shortcut)."""
    if isinstance(raw, bool):
        raise CellError(f"expected a number, not {'TRUE' if raw else 'FALSE'}")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise CellError("expected a finite number")
        return float(raw)
    if isinstance(raw, (date, datetime)):
        raise CellError(f"expected a number, not the date {raw.isoformat()}")
    text = str(raw)
    token = _number_token(text)
    if token is None:
        hint = " (write the number alone: the unit belongs in the 'unit' column)" if re.search(r"\d", text) else ""
        raise CellError(f"'{text}' is not a number{hint}")
    parsed = parse_number(token)
    whole, decimal = token.replace(",", "").replace(".", ""), token + "0"
    if parsed.ambiguous:
        raise CellError(
            f"ambiguous number '{text}': {parsed.reason}; write {whole} for the whole number, or {decimal} for the decimal"
        )
    if parsed.value is None:
        raise CellError(f"'{text}' is not a number ({parsed.reason})")
    if style.english_at and _DOT_GROUP.fullmatch(token):
        row, column, example = style.english_at
        pointed = _g(float(token.replace("−", "-")))
        raise CellError(
            f"ambiguous number '{text}': {whole} if '.' groups thousands (Vietnamese) or {pointed} "
            f"if '.' is the decimal point, as this file writes it in row {row}, column '{column}' ('{example}'); "
            f"write {whole} for the whole number, or {decimal} for the decimal"
        )
    return parsed.value


def read_text(raw: Any, _style: NumberStyle | None = None) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return _g(raw)
    if isinstance(raw, (date, datetime)):
        return raw.isoformat()
    return str(raw)


def read_choice(raw: Any, _style: NumberStyle | None = None) -> str:
    """An enumeration cell: case, accents, spaces and '-' folded ("At least" -> "at_least")."""
    return "_".join(fold(read_text(raw)).replace("-", " ").split())


def read_date(raw: Any, _style: NumberStyle | None = None) -> date:
    if isinstance(raw, datetime):
        raise CellError(f"'{raw.isoformat()}' has a time of day; give a date")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (bool, int, float)):
        raise CellError(f"expected a date such as 2019-06-30, not {read_text(raw)}")
    text = str(raw).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        if moment.time() == datetime.min.time():
            return moment.date()
    except ValueError:
        pass
    match = _DMY.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise CellError(f"'{text}' is not a date; write it as 2019-06-30 (or day/month/year, 30/06/2019)")


def read_bool(raw: Any, _style: NumberStyle | None = None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = fold(read_text(raw))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{read_text(raw)}' is not yes or no; write true or false (có / không)")


def read_integer(raw: Any, style: NumberStyle) -> int:
    number = read_number(raw, style)
    if not number.is_integer():
        raise CellError(f"'{read_text(raw)}' is not a whole number")
    return int(number)


def read_checkpoints(raw: Any, style: NumberStyle) -> list[dict[str, Any]]:
    """'2019-06-30:50; 2019-09-30:75' -> [{"date": 2019-06-30, "share": 50.0}, ...]."""
    if not isinstance(raw, str):
        raise CellError(f"expected checkpoints such as '2019-06-30:50; 2019-09-30:75', not {read_text(raw)}")
    out = []
    for piece in (p.strip() for p in raw.split(";")):
        if not piece:
            continue
        on, sep, share = piece.rpartition(":")
        if not sep:
            raise CellError(f"checkpoint '{piece}' is not date:share, e.g. 2019-06-30:50")
        try:
            out.append({"date": read_date(on.strip()), "share": read_number(share.strip(), style)})
        except CellError as exc:
            raise CellError(f"checkpoint '{piece}': {exc.reason}") from None
    return out


TEXT, CHOICE, FIGURE, DATE, INTEGER = "text", "choice", "figure", "date", "integer"
BOOL, CHECKPOINTS = "bool", "checkpoints"
READERS: dict[str, Callable[[Any, NumberStyle], Any]] = {
    TEXT: read_text,
    CHOICE: read_choice,
    FIGURE: read_number,
    DATE: read_date,
    INTEGER: read_integer,
    BOOL: read_bool,
    CHECKPOINTS: read_checkpoints,
}
TARGET_KINDS: dict[str, str] = {
    **{name: TEXT for name in TARGET_COLUMNS},
    **{name: CHOICE for name in ("comparison", "direction", "change_basis", "aggregation", "across_units", "frequency")},
    "is_percentage": BOOL,
    "may_exceed_whole": BOOL,
    **{name: FIGURE for name in ("value", "low", "high", "tolerance", "baseline_value")},
    "baseline_date": DATE,
    "position": INTEGER,
    "checkpoints": CHECKPOINTS,
}
SUBMISSION_KINDS: dict[str, str] = {
    **{name: TEXT for name in SUBMISSION_COLUMNS},
    "period_date": DATE,
    "period_start": DATE,
    **{name: FIGURE for name in ("value", "numerator", "denominator")},
    "done": BOOL,
    "is_estimate": BOOL,
    # a JSON batch (batch.py) may name the target and the unit by id instead of code
    "target_id": INTEGER,
    "organization_id": INTEGER,
}


def read_cells(
    cells: dict[str, Any],
    kinds: dict[str, str],
    style: NumberStyle,
    memo: dict[tuple[str, str], tuple[Any, str | None]] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's cells read by their columns' kinds, and the cells that could not be read.

    `memo`: one dict for all the rows of a file (one style), which then reads each distinct text once per
    column: (column, text) -> (value, None) or (None, the reason it cannot be read). A file repeats its
    codes, dates and many figures row after row; reading them again was a tenth of an import. Text cells
    only (other cells may be equal and not the same: 1, 1.0, True), and no checkpoints (a list: each row
    gets its own); the values kept are immutable, so rows may share them."""
    values, problems = {}, []
    for name, raw in cells.items():
        kind = kinds[name]
        if memo is not None and type(raw) is str and kind != CHECKPOINTS:
            read = memo.get((name, raw))
            if read is None:
                read = memo[name, raw] = _read_cell(kind, raw, style)
        else:
            read = _read_cell(kind, raw, style)
        value, reason = read
        if reason is None:
            values[name] = value
        else:
            problems.append((name, reason))
    return values, problems


def _read_cell(kind: str, raw: Any, style: NumberStyle) -> tuple[Any, str | None]:
    """(the cell's value, None) or (None, why it cannot be read)."""
    try:
        return READERS[kind](raw, style), None
    except CellError as exc:
        return None, exc.reason


def shown(raw: Any) -> str | None:
    """A cell as the report shows it."""
    if raw is None:
        return None
    text = read_text(raw)
    return text if len(text) <= 200 else text[:199] + "…"
