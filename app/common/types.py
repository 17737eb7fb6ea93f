"""Validated field types shared by every input model.

Bounds are part of the API contract and appear in the OpenAPI schema:
- ids are positive 32-bit integers (what PostgreSQL's INTEGER holds);
- figures are finite and within ±1e15 (no NaN or Infinity, which JSON parsers
  in Python accept and databases store inconsistently);
- dates lie between 1900-01-01 and 2100-12-31;
- text never contains NUL (PostgreSQL refuses it and it breaks exports); names, titles and
  other one-line text refuse every control character and the bidirectional controls (which
  can make a title read differently from what it is: "Trojan Source"); long text allows
  newline, carriage return and tab, and refuses the rest;
- dates in bodies are ISO 8601 calendar dates (YYYY-MM-DD) only: no Unix times, no date-times;
- URLs are http or https.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeAlias, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.common.models import as_utc

MAX_ID = 2_147_483_647
MAX_FIGURE = 1e15
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_PAGE = 500


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


# Bidirectional formatting characters (Unicode category Cf, not Cc): embeddings, overrides,
# isolates and the marks. Vietnamese text never needs them; in a title they can hide or reorder text.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\t")


def _unsafe_character(value: str, allowed: frozenset[str]) -> str | None:
    for char in value:
        if char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in allowed):
            return char
    return None


def _one_line(value: str) -> str:
    char = _unsafe_character(value, frozenset())
    if char is not None:
        raise ValueError(f"must not contain control or bidirectional-formatting characters (found U+{ord(char):04X})")
    return value


def _lines(value: str) -> str:
    char = _unsafe_character(value, LINE_BREAKS)
    if char is not None:
        raise ValueError(
            f"must not contain control or bidirectional-formatting characters other than newline and tab (found U+{ord(char):04X})"
        )
    return value


_ISO_CALENDAR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATE_MESSAGE = "must be an ISO 8601 calendar date (YYYY-MM-DD), e.g. 2019-06-30"


def _calendar_date_only(value: object) -> object:
    # pydantic would read 1561852800, "1561852800" and "2019-06-30T00:00:00" as dates: a body says YYYY-MM-DD.
    if isinstance(value, datetime):
        raise PydanticCustomError("date_parsing", ISO_DATE_MESSAGE)
    if isinstance(value, date) or (isinstance(value, str) and _ISO_CALENDAR_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_parsing", ISO_DATE_MESSAGE)


def _http_url(value: str) -> str:
    if value == "":
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an http:// or https:// address (or empty)")
    return _one_line(value)


def _sane_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return value


def text_checks(max_length: int, min_length: int = 0, *, controls: Literal["nul", "line", "lines"] = "nul") -> tuple[Any, ...]:
    """The checks of a string of bounded length without NUL characters, for `Annotated[str, *text_checks(...)]`.

        `controls`: "line" refuses every control and bidirectional-formatting character (names,
        titles); "lines" allows newline, carriage return and tab among them (long text).
        Written as `# A `?code=` filter: text of a code's length (a code that cannot exist simply matches nothing).
    CodeFilter: TypeAlias = Annotated[str, *text_checks(64, min_length=1)]
    Name: TypeAlias = Annotated[str, *text_checks(500)]`, the type checker reads a str
        and pydantic gets the same checks as `Text(500)`.
    """
    checks: list[Any] = [StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]
    if controls == "line":
        checks.append(AfterValidator(_one_line))
    elif controls == "lines":
        checks.append(AfterValidator(_lines))
    return tuple(checks)


def Text(max_length: int, min_length: int = 0, *, controls: Literal["nul", "line", "lines"] = "nul") -> Any:
    """`Annotated[str, *text_checks(...)]` built at run time. A type checker cannot read a call in an
    annotation: in annotations and aliases write `Annotated[str, *text_checks(...)]` instead."""
    return Annotated[str, *text_checks(max_length, min_length, controls=controls)]


Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"),
    Field(description="Short identifier: letters, digits and . _ - /, e.g. `NQ-2019`."),
]
# A `?code=` filter: text of a code's length (a code that cannot exist simply matches nothing).
CodeFilter: TypeAlias = Annotated[str, *text_checks(64, min_length=1)]
Name: TypeAlias = Annotated[str, *text_checks(500, min_length=1, controls="line")]
Line: TypeAlias = Annotated[str, *text_checks(500, controls="line")]
ShortText: TypeAlias = Annotated[str, *text_checks(120, controls="line")]
LongText: TypeAlias = Annotated[str, *text_checks(20_000, controls="lines")]
Url: TypeAlias = Annotated[
    str, *text_checks(2000), AfterValidator(_http_url), Field(description="An http:// or https:// address, or empty.")
]
# Strict: in a JSON body an id or a figure must be a JSON number, never true or "5".
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Figure = Annotated[float, Field(strict=True, ge=-MAX_FIGURE, le=MAX_FIGURE, allow_inf_nan=False)]
NonNegativeFigure = Annotated[float, Field(strict=True, ge=0, le=MAX_FIGURE, allow_inf_nan=False)]
Fraction = Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)]
Percent = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]
NearMissBand = Annotated[float, Field(strict=True, ge=0, le=0.5, allow_inf_nan=False)]
Days = Annotated[int, Field(strict=True, ge=0, le=366)]
SaneDate = Annotated[
    date,
    BeforeValidator(_calendar_date_only),
    AfterValidator(_sane_date),
    Field(description="ISO 8601 calendar date (YYYY-MM-DD), 1900-01-01 to 2100-12-31."),
]


# SQLite hands back naive datetimes, every stored one UTC; a time given with another offset is turned into
# UTC (`as_utc`), since SQLite stores the wall clock without its offset (a key's expiry at -05:00 was 5 hours off).
UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]


def _iso_only(value: object) -> object:
    # pydantic reads 0 or "1700000000" as a Unix time; the API speaks ISO 8601 only.
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise PydanticCustomError("datetime_parsing", "give an ISO 8601 date-time, e.g. 2019-07-15T00:00:00+07:00")
    return value


def _iso_date_only(value: object) -> object:
    # pydantic reads 0 or "0.0" as a Unix time (1970-01-01); the API speaks ISO 8601 only.
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise PydanticCustomError("date_parsing", "give an ISO 8601 date, e.g. 2019-06-30")
    return value


# An input date (query parameters): ISO 8601 text only.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

# An input date-time: ISO 8601 text only; no zone means UTC; within 1900..2100.
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_only),
    AfterValidator(as_utc),
    AfterValidator(lambda v: v if datetime(1900, 1, 1, tzinfo=UTC) <= v <= datetime(2101, 1, 1, tzinfo=UTC) else _out_of_range()),
]

# An input date-time that may come without a zone; the caller reads such a time in the configured
# time zone (status `known_at`) and checks the range.
IsoWallDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _out_of_range():
    raise ValueError("must lie between 1900 and 2100")


class InputModel(BaseModel):
    """Base of every request body: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total count for paging."""

    items: list[T]
    total: int
    limit: int
    offset: int
