"""Numbers as Vietnamese texts write them: reading them, and writing them back.

Pure: standard library only.

Reading rules (each reading says which rule it used in `reason`):

- Vietnamese convention: "." groups thousands and "," marks decimals:
  "9.720" = 9720, "17,4" = 17.4, "1.536,246" = 1536.246.
- "." followed by exactly three digits is a thousands group, never a decimal
  ("3.098" = 3098). That is the Vietnamese convention; it is not ambiguous.
- "," followed by exactly three digits ("3,098") is AMBIGUOUS: Vietnamese reads
  3.098, but English-style grouping (3098) turns up in Vietnamese documents too.
  Such a reading has value None, ambiguous=True and both readings, the
  Vietnamese (decimal) one first. Nothing is guessed here.
- A separator that cannot be a thousands group is a decimal mark, whichever it
  is: "654.1" = 654.1 (English-style, noted in the reason), "1234,567" = 1234.567
  (a group has at most three digits before the separator), "0,125" = 0.125.
- Several separators of one kind are thousands groups ("1,234,567"); mixed
  separators take the last one as the decimal mark ("1,536.25" = 1536.25).
- Leading zeros are dropped ("04" = 4) and noted.
- Thin or no-break spaces between digit groups ("9 720") group thousands.

Units follow the number, glued or spaced ("140tạ/ha", "80 %"). Per-mille forms
"%o", "‰", "0/00" and "phần nghìn" all become "‰"; "phần trăm" becomes "%";
"điểm %" and "điểm phần trăm" become "điểm phần trăm" (percentage points).

Magnitude words (nghìn/ngàn 10^3, vạn 10^4, triệu 10^6, tỷ/tỉ 10^9, and
compounds such as "nghìn tỷ" 10^12) are kept IN THE UNIT, as a target stores
them: "1.536 tỷ đồng" reads value 1536, unit "tỷ đồng", magnitude 9. The scaled
reading is offered too: `scaled` = 1.536e12 in `base_unit` "đồng". Variant
spellings are made canonical in the unit (ngàn → nghìn, tỉ → tỷ). (The clause reader
scales counts and quantities with it: "3,5 vạn tấn" becomes 35,000 tấn; money keeps its unit.)
"giường/1 vạn dân" reads as "giường/vạn dân" (per one vạn: the 1 goes).

Reading is linear in the text: each number looks back at most two words (no copy of the
text before it), and a run of digits and separators longer than 32 characters is not a
figure (skipped, never converted).

Text is normalised first (`normalize`): Unicode NFC, the PDF letter "ƣ" → "ư",
"Ð" → "Đ", runs of spaces, tabs and no-break spaces → one space, CR LF → LF,
zero-width and control characters removed. Spans that
`find_numbers` returns index the normalised text (identical to the input when
that was already NFC and clean).

Writing: `format_vi` / `format_en` give "9.720", "17,4" / "9,720", "17.4" with at
most `max_decimals` decimals and no trailing zeros; parse_number reads
format_vi's output back to the same value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Normalising and units live in their own modules; their names are importable from here too.
from app.exchange.vntext import DASHES as DASHES
from app.exchange.vntext import fold as fold
from app.exchange.vntext import normalize as normalize
from app.exchange.vnunits import COUNT_UNITS as COUNT_UNITS
from app.exchange.vnunits import MAGNITUDES as MAGNITUDES
from app.exchange.vnunits import PERCENT_FORMS as PERCENT_FORMS
from app.exchange.vnunits import UNIT_SUFFIXES as UNIT_SUFFIXES
from app.exchange.vnunits import UNITS as UNITS
from app.exchange.vnunits import read_unit as read_unit

# ---------------------------------------------------------------- reading one token


def _groups_ok(groups: list[str]) -> bool:
    head, rest = groups[0], groups[1:]
    return 1 <= len(head) <= 3 and not (head.startswith("0")) and all(len(g) == 3 for g in rest)


def interpret(token: str) -> tuple[float | None, bool, tuple[float, ...], str]:
    """Reads a digit token such as '9.720' or '3,098': (value, ambiguous, readings, reason)."""
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        last = max(token.rfind("."), token.rfind(","))
        mark, group = token[last], ("," if token[last] == "." else ".")
        whole, decimals = token[:last], token[last + 1 :]
        if mark in whole or not _groups_ok(whole.split(group)):
            return None, False, (), f"malformed grouping in {token!r}"
        value = float(whole.replace(group, "") + "." + decimals)
        style = (
            "Vietnamese: '.' groups thousands, ',' marks decimals"
            if mark == ","
            else "English style: ',' groups thousands, '.' marks decimals"
        )
        return value, False, (value,), style
    if dots or commas:
        sep = "." if dots else ","
        parts = token.split(sep)
        if len(parts) > 2:
            if _groups_ok(parts):
                value = float("".join(parts))
                style = "Vietnamese thousands grouping" if sep == "." else "English-style thousands grouping (',')"
                return value, False, (value,), style
            return None, False, (), f"malformed grouping in {token!r}"
        whole, tail = parts
        decimal = float(f"{whole}.{tail}")
        if len(tail) == 3 and _groups_ok(parts):
            grouped = float(whole + tail)
            if sep == ".":
                return grouped, False, (grouped,), "'.' before three digits groups thousands (Vietnamese convention)"
            return (
                None,
                True,
                (decimal, grouped),
                (
                    f"',' before three digits: {whole},{tail} is {whole}.{tail} (Vietnamese decimal) "
                    f"or {whole}{tail} (English-style thousands)"
                ),
            )
        if sep == ".":
            return decimal, False, (decimal,), "'.' read as a decimal point (English style): it cannot group thousands here"
        return decimal, False, (decimal,), "',' marks decimals (Vietnamese convention)"
    value = float(token)
    reason = "integer with leading zero" if len(token) > 1 and token.startswith("0") else "integer"
    return value, False, (value,), reason


# ---------------------------------------------------------------- finding numbers in text


@dataclass(frozen=True)
class ParsedNumber:
    """One number read from text, with its unit as written (magnitude words included)."""

    value: float | None
    unit: str = ""
    ambiguous: bool = False
    readings: tuple[float, ...] = ()
    reason: str = ""
    magnitude: int = 0

    @property
    def scaled(self) -> float | None:
        """The value times its magnitude word: 1536 tỷ đồng → 1.536e12."""
        return None if self.value is None else self.value * 10**self.magnitude

    @property
    def base_unit(self) -> str:
        """The unit without magnitude words: 'tỷ đồng' → 'đồng'."""
        words = [w for w in self.unit.split(" ") if w not in MAGNITUDES]
        return " ".join(words)


@dataclass(frozen=True)
class FoundNumber(ParsedNumber):
    """A number found in text: its span, unit span and what kind of figure it is."""

    start: int = 0
    end: int = 0  # end of the digits
    unit_end: int = 0  # end of the unit (== end when there is none)
    token: str = ""
    kind: str = "number"  # number | fraction | year | date | reference
    denominator: float | None = None


_NUMBER = re.compile(r"(?<![\w.,/])[0-9]+(?:[.,][0-9]+)*")
# A figure is at most this many characters of digits and separators; a longer run ("1,2,3,...")
# is not a figure anyone writes, and is skipped (never converted).
MAX_TOKEN = 32
_CODE_AFTER = re.compile(r"[-/][A-ZĐ]{2,}")
_LETTER_AFTER = re.compile(r"[-/][^\W\d]")
_YEAR_AFTER = re.compile(rf"\s*[{DASHES}/]\s*\d{{4}}(?!\d)")
_YEAR_BEFORE = re.compile(rf"\d{{4}}\s*[{DASHES}]\s*$")
_FRACTION = re.compile(r"/(\d{1,9})(?:/(\d{1,9}))?(?!\d)")
_YEAR_WORDS = ("năm", "giai đoạn", "nhiệm kỳ", "đến", "từ", "cuối", "đầu", "trước", "sau", "khóa", "tới")
_REFERENCE_WORDS = (
    "số",
    "thứ",
    "lần",
    "điều",
    "chương",
    "mục",
    "loại",
    "hạng",
    "cấp độ",
    "mức độ",
    "phụ lục",
    "quyết định",
    "chỉ thị",
    "nghị quyết",
    "kết luận",
    "thông tư",
    "nghị định",
    "công văn",
    "khóa",
)


def _word_start(folded: str, j: int) -> int:
    while j > 0 and (folded[j - 1].isalnum() or folded[j - 1] == "_"):
        j -= 1
    return j


def _previous_word(folded: str, i: int) -> str:
    """The one or two words right before position i (spaces between allowed), scanning back from i.

    Reads only those words: the cost does not grow with the text before them.
    """
    j = i
    while j > 0 and folded[j - 1].isspace():
        j -= 1
    end = j
    start = _word_start(folded, j)
    if start == end:
        return ""
    k = start
    while k > 0 and folded[k - 1].isspace():
        k -= 1
    if k < start:
        first = _word_start(folded, k)
        if first < k:
            return folded[first:end]
    return folded[start:end]


def _classify(folded: str, start: int, end: int, value: float | None, token: str, unit: str) -> str:
    before = _previous_word(folded, start)
    last = before.split()[-1] if before else ""
    if last in _REFERENCE_WORDS or before in _REFERENCE_WORDS:
        if not (last == "số" and before.endswith("tổng số")):
            return "reference"
    if _CODE_AFTER.match(folded[end : end + 4].upper()) and _LETTER_AFTER.match(folded, end):
        return "reference"
    if start > 0 and folded[start - 1] in "-/" and start > 1 and folded[start - 2].isalpha():
        return "reference"
    if value is not None and token.isdigit() and len(token) == 4 and 1900 <= value <= 2100 and unit in ("", "năm"):
        joined = _YEAR_AFTER.match(folded, end) or _YEAR_BEFORE.search(folded[max(0, start - 12) : start])
        if last in _YEAR_WORDS or before in _YEAR_WORDS or joined or not unit:
            return "year"
    return "number"


def find_numbers(text: str) -> list[FoundNumber]:
    """Every number in the (normalised) text, in order, with its span, unit and kind.

    Linear in the text. The last few texts' answers are kept (the splitter, the heading test
    and the clause reader all ask about the same clause): each clause is read once.
    """
    return list(_find_numbers(text))


@lru_cache(maxsize=32)
def _find_numbers(text: str) -> tuple[FoundNumber, ...]:
    text = normalize(text)
    folded = fold(text)
    found: list[FoundNumber] = []
    last_unit_end = -10
    for m in _NUMBER.finditer(text):
        start, end = m.start(), m.end()
        if end - start > MAX_TOKEN or (found and start < found[-1].unit_end):
            continue
        token = m.group(0)
        kind, denominator = None, None
        if len(token) > 1 and text.startswith("/00", end) and token.endswith("0") and not text[end + 3 : end + 4].isdigit():
            token, end = token[:-1], end - 1  # "1,20/00" is 1,2 per mille
        frac = _FRACTION.match(text, end) if not text.startswith("/00", end) else None
        if frac and token.isdigit():
            if frac.group(2) or _previous_word(folded, start).endswith(("ngày", "tháng")):
                kind = "date"
            else:
                kind, denominator = "fraction", float(frac.group(1))
            end_digits = frac.end()
        else:
            end_digits = end
        value, ambiguous, readings, reason = interpret(token)
        sign_at = start - 1
        if sign_at >= 0 and text[sign_at] in "-−" and value is not None:
            before = text[max(0, sign_at - 8) : sign_at].rstrip()
            glued_to_word = sign_at > 0 and text[sign_at - 1].isalnum()
            if not glued_to_word and (not before or before[-1] in "(:=") and sign_at - last_unit_end > 1:
                value, readings, start = -value, tuple(-r for r in readings), sign_at
        unit, magnitude, unit_end = read_unit(folded, end_digits)
        if not unit:
            unit_end = end_digits
        if kind is None:
            kind = _classify(folded, start, end_digits, value, token, unit)
        if kind == "date":
            unit, magnitude, unit_end = "", 0, end_digits
        found.append(
            FoundNumber(
                value=value,
                unit=unit,
                ambiguous=ambiguous,
                readings=readings,
                reason=reason,
                magnitude=magnitude,
                start=start,
                end=end_digits,
                unit_end=unit_end,
                token=text[start:end_digits],
                kind=kind,
                denominator=denominator,
            )
        )
        last_unit_end = unit_end
    return tuple(found)


def parse_number(text: str) -> ParsedNumber:
    """Reads the first number in the text with its unit; value None when there is none."""
    found = find_numbers(text)
    if not found:
        return ParsedNumber(value=None, reason="no number in the text")
    n = found[0]
    reason = n.reason if n.kind in ("number", "year") else f"{n.reason}; {n.kind}"
    return ParsedNumber(
        value=n.value, unit=n.unit, ambiguous=n.ambiguous, readings=n.readings, reason=reason, magnitude=n.magnitude
    )


# ---------------------------------------------------------------- writing


def format_en(x: float, max_decimals: int = 2) -> str:
    """English style: 9720 → '9,720', 17.4 → '17.4', at most max_decimals decimals."""
    text = f"{x:,.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_SWAP_SEPARATORS = str.maketrans(",.", ".,")  # 9,720.5 -> 9.720,5


def format_vi(x: float, max_decimals: int = 2) -> str:
    """Vietnamese style: 9720 → '9.720', 17.4 → '17,4', at most max_decimals decimals."""
    return format_en(x, max_decimals).translate(_SWAP_SEPARATORS)
