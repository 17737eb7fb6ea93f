"""Draft targets from the text of a resolution: rule-based, deterministic, pure (standard library only).

`parse_resolution(text)` cuts the text into clauses (`splitter`), reads each clause
(`clause`, `titles`) and returns a `ParseResult`: `drafts`, `unrecognised` (clauses
that may state a target but could not be read, with the reason) and `skipped`
(headings, introductions, punctuation, with the reason). Every piece of text lands in
exactly one of the three lists; nothing is dropped silently.

Reading a clause
- Figures: `vnnumbers.find_numbers`. Years, dates and reference numbers ("Chỉ thị số
  05", "lần thứ 15") are never targets; ages ("dưới 5 tuổi") and durations ("trong
  5 năm") belong to the indicator's name. When several figures remain, the one with
  marker words around it wins and the draft warns about the others.
- Comparison, from the words nearest the figure: "trên/hơn" more_than; "ít nhất,
  tối thiểu, không thấp hơn, không dưới" and "X trở lên" at_least; "không quá, không
  vượt quá, tối đa, thấp hơn hoặc bằng" and "X trở xuống" at_most; "dưới, còn dưới",
  and a level reached by falling ("còn X", "giảm xuống còn X") less_than; "khoảng"
  (and the typo "khoản") approximately; "từ X đến Y", "X – Y", "X-Y%", "X ÷ Y" between.
- A bare figure is a floor (at_least), except "100%" which is equal, and a bare figure
  for an indicator where lower is better ("tỷ lệ hộ nghèo 1,8%"), read as at_most with
  a warning.
- "trở lên" right after a rating ("hoàn thành tốt nhiệm vụ trở lên", "đạt khá trở
  lên") belongs to the rating, not to the figure: "trên 65% tổ chức cơ sở Đảng hoàn
  thành tốt nhiệm vụ trở lên" is more_than 65 %.
- A range followed by "trở lên" ("từ 8,5 – 9% trở lên") stays a range, with a warning
  naming the at_least reading: the engine already counts values above the range as
  exceeded, which is what "or more" asks.
- Changes. "tăng/giảm X" with no baseline in the text records the change itself as
  the figure, as the seed plan does ("Thu ngân sách tăng khoảng 5%" is approximately
  5 %, "Giảm 10% hộ nghèo" at least 10 %, direction higher): a `change` target needs a
  baseline the text does not give. The `change` encoding is offered in `alternatives`.
  When the text gives the level reached ("giảm 1,5% (còn 3,2%)"), the draft IS a
  `change` with the baseline derived: percentage points when the level is a
  percentage (with a warning that "%" stood for points), relative for "X% (còn Y
  hộ)", absolute for same-unit amounts.
- A change by a factor: "tăng 1,6 lần so với năm 2020", "gấp 2 lần", "tăng gấp 1,5 lần" is a
  `change` with change_basis `factor` and value X ("giảm 2 lần": 0.5, lower is better); the
  unit is the indicator's (the level reached gives it, and the baseline: "tăng 1,5 lần (đạt
  3.000 tỷ đồng)" has baseline 2.000). Without a baseline in the text the draft warns, and
  applying it is refused until it is left out or created with its baseline.
- A level reached is not a cut: a change verb before "còn", "xuống", "lên" ("giảm còn dưới
  2%", "giảm xuống dưới 40 vụ") belongs to the level phrase: less_than 2 %, no `change`
  alternatives.
- Units and magnitudes: "32 giường/1 vạn dân" is "giường/vạn dân"; "25 km đường" is 25 km;
  "3 huyện" counts huyện; "N sao" (OCOP stars) and "N tuổi" are part of the name. A magnitude
  word scales a count or a quantity ("3,5 vạn tấn" = 35,000 tấn, "1,05 triệu người" =
  1,050,000 người); money keeps its unit as plans state it ("70 triệu đồng", "1.250 tỷ đồng").
- No target (skipped, with the reason): votes and their counts ("100% đại biểu tán thành"),
  attendance, dates of entry into force ("có hiệu lực ..."), results already achieved
  ("ước đạt", "năm qua", "đạt và vượt", "đã" before the figure), and everything under a
  heading of results ("Kết quả thực hiện năm 2023:") up to the next heading; a piece cut from
  such a sentence at ", " / " và " too (a label "Kết quả ...:" followed by text on its line covers
  that line only); and the rest of a paragraph once one of its pieces
  reported a result, up to a piece with a target word ("phấn đấu", "chỉ tiêu", "mục tiêu",
  "kế hoạch", "đến năm") or a new line (the seed report's 2018 paragraph).
- Limits: a piece over 2,000 characters is unrecognised (not read as one clause); with a
  `Budget`, a text over its characters or pieces raises ParseLimitExceeded and passing its
  deadline ParseTimeout. The cost is linear in the text.
- "giảm X% <group>" ("Giảm 10% hộ nghèo") warns that it has three readings (relative,
  percentage points, a share of all); "giảm X%" of a rate warns of two.
- Milestones: "không còn ...", "xóa 100% ...", "xóa hết ..." always; "hoàn thành,
  giữ vững, duy trì, ..." when no target figure is in the clause.
- Fractions: "8/8 xã" is equal 100 % (numerator and denominator in notes); "6/8 xã"
  is at_least 6 xã. Shares of a named base ("15% trở lên/tổng số chi bộ") keep the base
  in the title and a note.
- Aggregation: "bình quân hằng năm" → mean (warning); a total over the term ("giai
  đoạn 2021–2025", "trong 5 năm") → sum (warning); flows (sản lượng, vốn đầu tư, lượt
  khách ...) → sum (note); otherwise latest.
- Direction: ceilings (at_most, less_than) and negative changes are better lower;
  everything else higher.
- Category: a heading naming one category ("Trong công tác xây dựng Đảng:") sets it for
  what follows (confidence 0.9) until the next heading; otherwise weighted keywords.
- Sub-targets: a clause opened by "trong đó" or "riêng" is a draft of its own whose
  `parent_index` points to the previous main draft.
- Confidence starts at 0.95 and each doubt caps it; every doubt that could make the
  draft wrong also adds a warning (plain English sentences).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from app.exchange import lexicon as lx
from app.exchange.clause import analyse, no_target
from app.exchange.draft import Draft, ParseResult, Skipped, Unrecognised
from app.exchange.splitter import Piece, TooManyPieces, has_target_figure, split_clauses
from app.exchange.vnnumbers import fold, normalize

__all__ = [
    "Budget",
    "Draft",
    "ParseLimitExceeded",
    "ParseResult",
    "ParseTimeout",
    "Skipped",
    "Unrecognised",
    "parse_resolution",
    "parse_clause",
    "guess_category",
]


def guess_category(text: str) -> tuple[str, float]:
    """The category the keywords point to, with a confidence; ('', 0.0) when none."""
    scores = lx.category_scores(text)
    if not scores:
        return "", 0.0
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top, s1 = ranked[0]
    s2 = ranked[1][1] if len(ranked) > 1 else 0
    return top, round(0.5 + 0.35 * (s1 - s2) / s1, 2)


def _heading_category(text: str) -> str | None:
    scores = sorted(lx.category_scores(text).values(), reverse=True)
    if scores and (len(scores) == 1 or scores[0] >= 2 * scores[1]):
        return guess_category(text)[0]
    return None


def _is_heading(piece: Piece) -> bool:
    if has_target_figure(piece.text):
        return False
    folded = fold(piece.text)
    return piece.colon or bool(lx.starts_with_any(folded, lx.HEADING_OPENINGS)) or (piece.text.isupper() and len(piece.text) > 3)


def _merge_labels(pieces: list[Piece], text: str) -> list[Piece]:
    """'Tốc độ tăng trưởng: 7 – 8%': a label ending in ':' and its figure make one clause."""
    out: list[Piece] = []
    for piece in pieces:
        prev = out[-1] if out else None
        if (
            prev
            and prev.colon
            and not has_target_figure(prev.text)
            and lx.starts_with_any(fold(prev.text), lx.NOUN_HEADS)
            and not lx.starts_with_any(fold(prev.text), lx.HEADING_OPENINGS)
        ):
            opening = fold(piece.text).removeprefix("đạt ").lstrip()
            if opening[:1].isdigit() or any(opening.startswith(p) for p, k in lx.MARKERS if k != "filler"):
                out[-1] = Piece(prev.start, piece.end, text[prev.start : piece.end], sub=prev.sub)
                continue
        out.append(piece)
    return out


MAX_CHARS = 200_000  # characters of text per call (the API's limit too)
MAX_CLAUSES = 5_000  # pieces (clauses, headings, skipped text) per call
MAX_CLAUSE_CHARS = 2_000  # a longer piece is not read as one clause
TOO_LONG = f"Longer than {MAX_CLAUSE_CHARS:,} characters without '.', ';' or a line break: not read as one clause (split it)."


class ParseLimitExceeded(ValueError):
    """The text is over one of the parser's limits (characters, clauses): nothing was read."""

    def __init__(self, detail: str, field: str = "text"):
        super().__init__(detail)
        self.detail, self.field = detail, field


class ParseTimeout(TimeoutError):
    """The parser ran out of its time budget (the deadline passed): the text was not read to the end."""


@dataclass(frozen=True)
class Budget:
    """Limits on one call of `parse_resolution`; `deadline` is a `time.monotonic()` instant (None: no limit)."""

    max_chars: int = MAX_CHARS
    max_clauses: int = MAX_CLAUSES
    deadline: float | None = None

    @classmethod
    def seconds(cls, limit: float | None, **more) -> Budget:
        return cls(deadline=None if limit is None else time.monotonic() + limit, **more)

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ParseTimeout("The text could not be read within the time limit.")


def parse_clause(text: str) -> Draft | Unrecognised:
    """Reads a single clause (no splitting) into a Draft, or says why it cannot."""
    text = normalize(text).strip()
    if len(text) > MAX_CLAUSE_CHARS:
        return Unrecognised(text=text, reason=TOO_LONG, span=(0, len(text)))
    why = no_target(text)
    if why:
        return Unrecognised(text=text, reason=why, span=(0, len(text)))
    result = analyse(text)
    if isinstance(result, str):
        return Unrecognised(text=text, reason=result, span=(0, len(text)))
    result.category, result.category_confidence = guess_category(text)
    result.span = (0, len(text))
    return result


def parse_resolution(text: str, budget: Budget | None = None) -> ParseResult:
    """Cuts a resolution's text into clauses and reads each into a draft target where it can.

    Linear in the text: numbers and folded text are computed once per clause. With a
    `budget`, a text over its characters or clauses raises `ParseLimitExceeded` before any
    clause is read, and passing its deadline raises `ParseTimeout`.
    """
    budget = budget or Budget()
    if len(text) > budget.max_chars:
        raise ParseLimitExceeded(
            f"The text has {len(text):,} characters; at most {budget.max_chars:,} are read at once. Send it in parts."
        )
    norm = normalize(text)
    result = ParseResult(text=norm)
    context: str | None = None
    results = False  # under a heading of results ("Kết quả thực hiện năm 2023:")
    results_line_only = False  # ... a label at the head of a line ("Kết quả năm 2023: ..."): that line only
    past_passage = False  # a piece of this paragraph reported a result: the rest of it does too
    previous_end = 0
    last_no_target: int | None = None
    last_main: int | None = None
    try:
        pieces = split_clauses(norm, limit=budget.max_clauses)
    except TooManyPieces:
        raise ParseLimitExceeded(
            f"The text has more than {budget.max_clauses:,} clauses, headings and other "
            f"pieces; at most {budget.max_clauses:,} are read at once. Send it in parts."
        ) from None
    budget.check_time()
    for piece in _merge_labels(pieces, norm):
        budget.check_time()
        span = (piece.start, piece.end)
        if not any(c.isalnum() for c in piece.text):
            result.skipped.append(Skipped(piece.text, "punctuation only", span))
            continue
        if len(piece.text) > MAX_CLAUSE_CHARS:
            result.unrecognised.append(Unrecognised(piece.text, TOO_LONG, span))
            continue
        if _is_heading(piece):
            context = _heading_category(piece.text)
            results = bool(lx.RESULT_HEADINGS.search(fold(piece.text)))
            line_end = norm.find("\n", piece.end)
            # "Kết quả năm 2023: thu ... đạt ..." on one line labels that line; on a line of its own, a section
            results_line_only = results and any(c.isalnum() for c in norm[piece.end : line_end if line_end >= 0 else None])
            reason = (
                f"heading; sets the category '{context}' for what follows"
                if context
                else "heading of results already achieved: what follows reports results, not targets"
                if results
                else "heading or introduction (no target figure)"
            )
            result.skipped.append(Skipped(piece.text, reason, span))
            past_passage, previous_end = False, piece.end
            continue
        if "\n" in norm[previous_end : piece.start]:
            past_passage = False  # a new line (paragraph) starts
            results = results and not results_line_only
        previous_end = piece.end
        why = no_target(piece.text)
        if why is None and results:
            why = "under a heading of results already achieved: a past figure, not a target"
        if why is None and piece.joined and last_no_target is not None and last_no_target == len(result.skipped) - 1:
            why = "continues a sentence that states no target"
        if why is None and past_passage and not lx.TARGET_CUES.search(fold(piece.text)):
            why = "in a passage reporting results already achieved (same paragraph): a past figure, not a target"
        if why:
            last_no_target = len(result.skipped)
            past_passage = past_passage or why.startswith(("a result", "in a passage"))
            result.skipped.append(Skipped(piece.text, why, span))
            continue
        past_passage = False
        draft = analyse(piece.text)
        if isinstance(draft, str):
            result.unrecognised.append(Unrecognised(piece.text, draft, span))
            continue
        draft.span = span
        if context:
            draft.category, draft.category_confidence = context, 0.9
        else:
            draft.category, draft.category_confidence = guess_category(piece.text)
        if piece.sub:
            _attach(draft, piece.sub, result.drafts, last_main)
        else:
            last_main = len(result.drafts)
        result.drafts.append(draft)
    return result


def _attach(draft: Draft, marker: str, drafts: list[Draft], parent: int | None) -> None:
    """Marks a 'trong đó' / 'riêng' draft as a sub-target of the previous main draft."""
    if parent is None:
        draft.warn(f"Opens with '{marker}' (a sub-target) but no earlier target was read.", 0.5)
        return
    draft.parent_index = parent
    main = drafts[parent]
    if not draft.category:
        draft.category, draft.category_confidence = main.category, main.category_confidence
    own = fold(draft.clause)
    own = own[len(lx.starts_with_any(own, [marker]) or "") :].lstrip(" :,")
    own = own[len(lx.starts_with_any(own, lx.LEAD_INS) or "") :].lstrip()
    if not lx.starts_with_any(own, lx.NOUN_HEADS):  # "trong đó có bằng cấp ... đạt 30%": name it from the parent
        core = draft.title
        for head in ("Tỷ lệ ", "Số "):
            if core.startswith(head) and main.title.startswith(head):
                core = core[len(head) :]
        draft.title = f"{main.title}, {marker} {core[:1].lower()}{core[1:]}"
    draft.notes.append(f"Sub-target ('{marker}') of: {main.title}.")
