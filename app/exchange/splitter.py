"""Cutting a resolution's text into clauses, each with its span in the normalised text.

Pure: standard library only. Rules:

- Lines are cut first; a bullet at the start of a line ("-", "+", "•", "a)", "1.", "I.")
  is dropped (it is a separator, not text).
- Within a line, ".", ";", ":", "!", "?" followed by a space or the end, and "./.",
  end a piece, unless they sit inside brackets that close on the same line. A "." between digits ("9.720") or after a short abbreviation ("TP.")
  does not. A piece that ended with ":" is remembered (a heading, or a label whose
  figure follows).
- "trong đó" / "riêng" after a comma or at the start of a piece opens a sub-target:
  the words stay in the sub-target's clause, and the piece is marked `sub`.
- ", " and " và " cut a piece only where both sides carry a target figure and the right
  side opens like an indicator of its own (see lexicon.HEADS): "… đạt khá trở lên và
  tỷ lệ đảng viên … đạt 95%" is two targets; "thu gom và xử lý đạt 95%" is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.exchange.lexicon import HEADS, starts_with_any
from app.exchange.vnnumbers import find_numbers, fold

_BULLET = re.compile(r"^[ \t]*(?:[-+•*▪◦·–—]|\(?[a-zđ]\)|\d{1,2}[.)]|[IVX]{1,4}[.)])[ \t]+")
_SEPARATOR = re.compile(r"\./\.|[.;:!?…](?=\s|$)")
_ABBREVIATIONS = {"tp", "tx", "tt", "ths", "ts", "pgs", "gs", "bs", "q", "p", "h", "nxb", "v.v", "vv"}
_SUB = re.compile(r"(?:^\s*|,\s*|;\s*)(trong đó|riêng)(?!\w)\s*:?\s*")
_JOIN = re.compile(r",\s+|\s+và\s+")


@dataclass(frozen=True)
class Piece:
    """A clause candidate: its span in the normalised text and how it was cut."""

    start: int
    end: int
    text: str
    colon: bool = False  # the piece ended with ":"
    sub: str = ""  # "trong đó" / "riêng" when the piece is a sub-target


def has_target_figure(text: str) -> bool:
    """True when the text holds a figure that is not a year, date or reference number."""
    return any(n.kind in ("number", "fraction") and n.unit != "tuổi" for n in find_numbers(text))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


def _in_parentheses(text: str, start: int, at: int, end: int) -> bool:
    """True when position `at` lies inside a bracket that closes before `end`."""
    before = text[start:at]
    return before.count("(") > before.count(")") and ")" in text[at:end]


def _sentences(text: str, start: int, end: int):
    """Yields (start, end, colon) for the pieces of one line."""
    pos = start
    for m in _SEPARATOR.finditer(text, start, end):
        if _in_parentheses(text, start, m.start(), end):
            continue
        if m.group(0) == ".":
            word = re.search(r"(\w+)$", text[pos:m.start()])
            if word and fold(word.group(1)) in _ABBREVIATIONS:
                continue
        yield pos, m.start(), m.group(0) == ":"
        pos = m.end()
    yield pos, end, False


def _sub_pieces(text: str, start: int, end: int):
    """Splits off "trong đó ..." / "riêng ..." parts; yields (start, end, sub)."""
    folded = fold(text[start:end])
    cuts = [(m.start(1), m.group(1)) for m in _SUB.finditer(folded)]
    if not cuts:
        yield start, end, ""
        return
    if cuts[0][0] > 0:
        yield start, start + cuts[0][0], ""
    for i, (at, marker) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(folded)
        yield start + at, start + stop, marker


def _joined(text: str, start: int, end: int):
    """Splits at ", " / " và " where two targets are joined; yields (start, end)."""
    pos = start
    for m in _JOIN.finditer(text, start, end):
        if m.start() <= pos or _in_parentheses(text, start, m.start(), end):
            continue
        left, right = text[pos:m.start()], text[m.end():end]
        if starts_with_any(fold(right), HEADS) and has_target_figure(left) and has_target_figure(right):
            yield pos, m.start()
            pos = m.end()
    yield pos, end


def split_clauses(text: str) -> list[Piece]:
    """Cuts normalised text into pieces; every character is in a piece or a separator/bullet."""
    pieces: list[Piece] = []
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        bullet = _BULLET.match(line)
        if bullet:
            line_start += bullet.end()
        pending_sub = ""
        for s_start, s_end, colon in _sentences(text, line_start, line_end):
            for p_start, p_end, sub in _sub_pieces(text, s_start, s_end):
                sub = sub or pending_sub
                pending_sub = ""
                for j_start, j_end in _joined(text, p_start, p_end):
                    a, b = _trimmed(text, j_start, j_end)
                    if a >= b:
                        continue
                    body = fold(text[a:b])
                    if body in ("trong đó", "riêng"):
                        pending_sub = body
                        continue
                    pieces.append(Piece(a, b, text[a:b], colon=colon and j_end == s_end, sub=sub))
                    sub = ""
    return pieces
