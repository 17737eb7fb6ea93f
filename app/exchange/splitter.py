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
from bisect import bisect_left
from dataclasses import dataclass

from app.exchange.lexicon import HEADS, starts_with_any
from app.exchange.vnnumbers import find_numbers, fold

# A list marker at the start of a line ("- ", "a) ", "1. ", "II. "): it labels the line and is left out of its pieces.
LIST_MARKER = re.compile(r"^[ \t]*(?:[-+•*▪◦·–—]|\(?[a-zđ]\)|\d{1,2}[.)]|[IVX]{1,4}[.)])[ \t]+")
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
    joined: bool = False  # cut from the sentence before it at ", " / " và " (continues that sentence)


def _is_target_figure(n) -> bool:
    return n.kind in ("number", "fraction") and n.unit != "tuổi"


def has_target_figure(text: str) -> bool:
    """True when the text holds a figure that is not a year, date or reference number."""
    return any(_is_target_figure(n) for n in find_numbers(text))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


class _Brackets:
    """Bracket depth at any position of one line, from prefix counts made once (no rescans)."""

    def __init__(self, text: str, start: int, end: int):
        self.start, self.end = start, end
        depth, self.depth = 0, [0]
        for c in text[start:end]:
            depth += (c == "(") - (c == ")")
            self.depth.append(depth)
        self.last_close = text.rfind(")", start, end)

    def inside(self, at: int, start: int | None = None) -> bool:
        """True when position `at` lies inside a bracket opened after `start` that closes on the line."""
        base = self.depth[(start if start is not None else self.start) - self.start]
        return self.depth[at - self.start] > base and self.last_close >= at


def _sentences(text: str, start: int, end: int, brackets: _Brackets):
    """Yields (start, end, colon) for the pieces of one line."""
    pos = start
    for m in _SEPARATOR.finditer(text, start, end):
        if brackets.inside(m.start()):
            continue
        if m.group(0) == ".":
            k = m.start()
            while k > pos and k > m.start() - 8 and text[k - 1].isalnum():
                k -= 1
            word = text[k : m.start()]
            if word and (k == pos or not text[k - 1].isalnum()) and fold(word) in _ABBREVIATIONS:
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


def _joined(text: str, start: int, end: int, brackets: _Brackets):
    """Splits at ", " / " và " where two targets are joined; yields (start, end).

    The piece's figures and folded text are computed once: each split decision looks up
    whether a target figure lies on either side (two bisections), with no re-reading.
    """
    candidates = [m for m in _JOIN.finditer(text, start, end) if not brackets.inside(m.start(), start)]
    if not candidates:
        yield start, end
        return
    folded = fold(text[start:end])
    figures = [start + n.start for n in find_numbers(text[start:end]) if _is_target_figure(n)]
    pos = start
    for m in candidates:
        if m.start() <= pos:
            continue
        left = bisect_left(figures, m.start()) - bisect_left(figures, pos)
        right = len(figures) - bisect_left(figures, m.end())
        if left and right and starts_with_any(folded, HEADS, m.end() - start):
            yield pos, m.start()
            pos = m.end()
    yield pos, end


class TooManyPieces(ValueError):
    """More pieces than the caller's limit: splitting stopped there."""


def split_clauses(text: str, limit: int | None = None) -> list[Piece]:
    """Cuts normalised text into pieces; every character is in a piece or a separator/bullet.

    With a `limit`, stops with TooManyPieces as soon as the pieces outnumber it.
    """
    pieces: list[Piece] = []
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        bullet = LIST_MARKER.match(line)
        if bullet:
            line_start += bullet.end()
        pending_sub = ""
        brackets = _Brackets(text, line_start, line_end)
        for s_start, s_end, colon in _sentences(text, line_start, line_end, brackets):
            for p_start, p_end, sub in _sub_pieces(text, s_start, s_end):
                sub = sub or pending_sub
                pending_sub = ""
                for k, (j_start, j_end) in enumerate(_joined(text, p_start, p_end, brackets)):
                    a, b = _trimmed(text, j_start, j_end)
                    if a >= b:
                        continue
                    body = fold(text[a:b])
                    if body in ("trong đó", "riêng"):
                        pending_sub = body
                        continue
                    pieces.append(Piece(a, b, text[a:b], colon=colon and j_end == s_end, sub=sub, joined=k > 0))
                    sub = ""
                    if limit is not None and len(pieces) > limit:
                        raise TooManyPieces(f"more than {limit} pieces")
    return pieces
