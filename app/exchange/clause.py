"""Reading one clause into a draft target. The rules are listed in `app.exchange.parser`.

Pure: standard library only. The clause must already be normalised (`vnnumbers.normalize`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.engine import Aggregation, Comparison, Direction
from app.exchange import lexicon as lx
from app.exchange.clausefigures import MONEY as MONEY
from app.exchange.clausefigures import explicit_change, factor_change, set_figures
from app.exchange.clausefigures import resolve_reading as resolve_reading
from app.exchange.draft import Draft, default_direction
from app.exchange.titles import title_for
from app.exchange.vnnumbers import DASHES, FoundNumber, find_numbers, fold, format_en

RATE_UNITS = ("%", "‰", "điểm phần trăm", "%/năm")
_RANGE_SEPARATORS = set(DASHES) | {"đến", "tới", "÷", "~", "đến mức"}
_LEVEL_SEPARATORS = {"xuống", "xuống còn", "còn", "lên", "lên mức", "xuống mức", "xuống dưới", "lên trên"}
_TIME_LEAD = re.compile(
    r"^(?:(?:đến|tới|trong|vào)\s+)?(?:(?:cuối|đầu|hết)\s+)?(?:năm|nhiệm kỳ|giai đoạn)\s+\d{4}"
    rf"(?:\s*[{DASHES}]\s*\d{{4}})?\s*,?\s*|^(?:đến|tới)\s+(?:cuối\s+)?(?:nhiệm kỳ|năm)\s*,\s*"
)
_MEAN = re.compile(
    r"bình quân\s*(?:hằng|hàng|mỗi)\s*năm|(?:hằng|hàng|mỗi)\s*năm,?\s*bình quân(?!\s*đầu người)|bình quân\s*(?:cả\s*)?giai đoạn|(?:tăng|giảm)(?: trưởng)?\s+"
    r"bình quân|bình quân\s+(?:tăng|giảm)"
)
_LEVEL_WORDS = re.compile(r"(?<!\w)(?:còn|xuống|lên)(?!\w)")
_TRO = re.compile(r"\s*trở (?:lên|xuống|lại)(?!\w)")
_POST = re.compile(r"\s*(trở lên|trở xuống|trở lại)(?!\w)")
_SHARE = re.compile(r"\s*/\s*(?:tổng số\s*)?")
_TERM_TOTAL = re.compile(
    rf"giai đoạn\s*\d{{4}}\s*[{DASHES}]\s*\d{{4}}|(?<!\w)\d+\s+năm(?!\w)|cả nhiệm kỳ|"
    r"trong nhiệm kỳ|cộng dồn|cả giai đoạn"
)


@dataclass
class Scan:
    """What the words just before a figure say."""

    cut: int  # where the marker words start (the indicator ends there)
    comparison: Comparison | None = None
    kinds: list = field(default_factory=list)
    change: str = ""  # the change verb as written, if the figure is a change


def scan_markers(folded: str, text: str, start: int, end: int) -> Scan:
    """Reads marker words backwards from `end` (a figure's start) down to `start`."""
    pos = end
    scan = Scan(cut=end)
    reached = False  # a phrase of a level reached ("còn", "xuống", "lên") was read
    while True:
        while pos > start and folded[pos - 1] in " \t":
            pos -= 1
        hit = next(
            (
                (p, k)
                for p, k in lx.MARKERS
                if folded.startswith(p, pos - len(p))
                and pos - len(p) >= start
                and (pos - len(p) == start or not folded[pos - len(p) - 1].isalnum() or not p[0].isalnum())
            ),
            None,
        )
        if hit is None or _after_tro(folded, pos, hit):
            break
        phrase, kind = hit
        if kind == "change" and ("down" in scan.kinds or "up" in scan.kinds or reached):
            kind = "filler"  # "giảm ... xuống còn 2%", "giảm còn dưới 2%": the level is the target
        reached = reached or bool(_LEVEL_WORDS.search(phrase))
        if isinstance(kind, Comparison) and scan.comparison is None:
            scan.comparison = kind
        if kind == "typo" and scan.comparison is None:
            scan.comparison = Comparison.APPROXIMATELY
        if kind == "change" and not scan.change:
            scan.change = text[pos - len(phrase) : pos]
        scan.kinds.append(kind)
        pos -= len(phrase)
        scan.cut = pos
    if scan.change:  # the words before the markers, read backwards from them (no copy of the clause)
        k = scan.cut
        while k > start and folded[k - 1] in " ,:":
            k -= 1
        head = folded[max(start, k - 8) : k]
        if head.endswith(("tốc độ", "tỷ lệ", "mức")) or k == start and "tăng trưởng" in fold(scan.change):
            scan.change = ""  # "Tốc độ tăng 11%": the verb belongs to the indicator's name
    return scan


def _after_tro(folded: str, pos: int, hit: tuple) -> bool:
    """True when the marker is the 'lên'/'xuống' of 'trở lên'/'trở xuống', which belongs to a rating or level."""
    phrase = hit[0]
    at = pos - len(phrase)
    return phrase in ("lên", "xuống") and folded[max(0, at - 12) : at].rstrip().endswith("trở")


def _lead_in_end(folded: str, start: int, skip_words: bool) -> int:
    """Skips 'phấn đấu', time phrases and (if asked) filler words at the start of the clause."""
    while True:
        rest = folded[start:]
        m = _TIME_LEAD.match(rest)
        word = lx.starts_with_any(rest, ["phấn đấu", "phấn đấu để", "trong đó", "riêng"] + (lx.LEAD_INS if skip_words else []))
        if m and m.end():
            start += m.end()
        elif word:
            start += len(word)
        elif rest[:1] in (" ", ",", ":", "-"):
            start += 1
        else:
            return start


def _qualifier(n: FoundNumber, folded: str) -> bool:
    """Figures inside the indicator's name: ages, durations ('trong 5 năm'), 'per' units ('trên 1 ha')."""
    if n.unit in ("tuổi", "sao"):  # "trẻ em dưới 5 tuổi", "sản phẩm OCOP từ 3 sao trở lên": part of the name
        return True
    last = _last_token(folded, n.start)
    if n.value == 1 and n.unit and last in ("trên", "mỗi", "cho", "/"):
        return True  # "trên 1 ha": per hectare
    return n.unit in ("năm", "tháng", "ngày") and last in ("trong", "sau", "mỗi", "hằng", "qua", "cả")


def _last_token(folded: str, i: int) -> str:
    """The last space-separated token before position i (read backwards: no prefix copy)."""
    j = i
    while j > 0 and folded[j - 1].isspace():
        j -= 1
    k = j
    while k > 0 and not folded[k - 1].isspace():
        k -= 1
    return folded[k:j]


def _bracketed(text: str, numbers) -> set[int]:
    """The starts of the figures that lie inside brackets (more '(' than ')' before them), in one pass."""
    starts = sorted({n.start for n in numbers})
    inside, depth, prev = set(), 0, 0
    for at in starts:
        depth += text.count("(", prev, at) - text.count(")", prev, at)
        prev = at
        if depth > 0:
            inside.add(at)
    return inside


def _joined(folded: str, a: FoundNumber, b: FoundNumber, seps: set[str]) -> bool:
    between = folded[(a.unit_end if a.unit else a.end) : b.start].strip()
    return between in seps and a.unit in ("", b.unit)


def _milestone(text: str, start: int) -> Draft:
    title = text[start:].strip(" .;,")
    draft = Draft(clause=text, title=title[:1].upper() + title[1:], comparison=Comparison.MILESTONE, confidence=0.8)
    draft.notes.append("A milestone: judged done or not done.")
    return draft


def no_target(text: str) -> str | None:
    """Why the clause states no target (a vote, attendance, entry into force, a past result), or None."""
    folded = fold(text)
    start = _lead_in_end(folded, 0, skip_words=False)
    body = folded[start:]
    for pattern, reason in lx.NO_TARGET:
        if pattern.search(body):
            return reason
    past = lx.PAST.search(body)
    if past:
        figures = [n for n in find_numbers(text) if n.kind in ("number", "fraction") and n.start >= start]
        if figures and past.start() + start < figures[0].start and "phấn đấu" not in folded[: past.start() + start]:
            return "a result already achieved ('đã' before the figure), not a target"
    return None


def analyse(text: str) -> Draft | str:
    """Reads one normalised clause into a Draft, or returns the reason it cannot."""
    folded = fold(text)
    head = _lead_in_end(folded, 0, skip_words=False)
    start = _lead_in_end(folded, head, skip_words=True)
    numbers = find_numbers(text)
    figures = [
        n
        for n in numbers
        if n.kind in ("number", "fraction") and (n.value is not None or n.ambiguous) and not _qualifier(n, folded)
    ]
    durations = [n for n in figures if n.unit in ("năm", "tháng", "ngày")]
    if len(durations) < len(figures):  # "Tổng vốn đầu tư 5 năm đạt ...": the duration names the period
        figures = [n for n in figures if n not in durations]
    bracketed = _bracketed(text, numbers)
    outside = [n for n in figures if n.start not in bracketed]
    body = folded[head:]
    if lx.starts_with_any(body, lx.STRONG_MILESTONES) or (not outside and lx.starts_with_any(body, lx.MILESTONE_VERBS)):
        return _milestone(text, head)
    if not figures:
        if numbers:
            return "Only years, dates or reference numbers: no target figure."
        return "No target figure and no milestone wording."
    candidates = outside or figures
    return _numeric(text, folded, start, candidates, numbers, parenthesised_only=not outside, bracketed=bracketed)


def _score(folded: str, text: str, start: int, n: FoundNumber) -> float:
    scan = scan_markers(folded, text, start, n.start)
    score = 2.0 if scan.kinds else 0.0
    if _TRO.match(folded, n.unit_end):
        score += 2
    return score + (1.0 if n.unit in RATE_UNITS else 0.5 if n.unit else 0.0)


def _numeric(text, folded, start, candidates, numbers, parenthesised_only, bracketed) -> Draft | str:
    """The figure-bearing clause: picks the figure(s), the comparison, then the title."""
    scores = [_score(folded, text, start, n) for n in candidates]
    for k in range(len(candidates) - 1):  # "từ 5,2% xuống còn 3%": the starting level is not the target
        if _joined(folded, candidates[k], candidates[k + 1], _LEVEL_SEPARATORS):
            scores[k] -= 3
    i = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    first = last = candidates[i]
    mode = "fraction" if first.kind == "fraction" else "single"
    if i + 1 < len(candidates) and _joined(folded, first, candidates[i + 1], _RANGE_SEPARATORS):
        last, mode = candidates[i + 1], "range"
    elif i > 0 and _joined(folded, candidates[i - 1], first, _RANGE_SEPARATORS):
        first, mode = candidates[i - 1], "range"
    elif (
        i > 0
        and _joined(folded, candidates[i - 1], first, _LEVEL_SEPARATORS)
        and scan_markers(folded, text, start, candidates[i - 1].start).kinds[:1] == ["from"]
    ):
        first, mode = candidates[i - 1], "from"
    scan = scan_markers(folded, text, start, first.start)
    draft = Draft(clause=text, title="", comparison=Comparison.AT_LEAST)
    if mode == "from":
        inner = scan_markers(folded, text, first.unit_end, last.start)
        scan = Scan(
            cut=scan_markers(folded, text, start, first.start).cut,
            comparison=inner.comparison,
            kinds=inner.kinds + ["from-level"],
        )
        draft.notes.append(f"Starting level stated: {first.token}{first.unit}.")
    if parenthesised_only:
        draft.warn("The only figures are in parentheses; check that they state the target.", 0.5)
    post, baseline, tail = _after_figure(draft, text, folded, numbers, last.unit_end, scan, mode)
    others = [n for n in candidates if n not in (first, last, baseline) and n.start not in bracketed]
    if others:
        listed = ", ".join(n.token + (n.unit and f" {n.unit}") for n in others)
        draft.warn(f"The clause holds other figures ({listed}); check that the right one was taken as the target.", 0.5)
    set_figures(draft, first, last, mode)
    _comparison(draft, scan, post, mode, first, last, baseline, folded)
    title_for(draft, text[start : scan.cut], tail, scan.change, first, mode)
    _aggregation(draft, folded)
    if draft.comparison != Comparison.CHANGE:
        draft.direction = default_direction(draft.comparison, draft.value)
    if draft.comparison == Comparison.APPROXIMATELY and _lower_is_better(folded):
        draft.direction = Direction.LOWER_IS_BETTER  # "CPI tăng khoảng 4%": 2.79 % beats it
        draft.notes.append("'About' a figure for an indicator where lower is better: direction lower is better.")
    return draft if draft.title else "A figure was found but no indicator could be identified."


def _lower_is_better(folded: str) -> bool:
    """An indicator where lower is better (poverty, prices), not its reduction ('giảm', 'xử lý' ...)."""
    return any(w in folded for w in lx.BAD_INDICATORS) and not any(w in folded for w in lx.GOOD_VERBS)


def _after_figure(draft, text, folded, numbers, pos, scan, mode):
    """Reads what follows the figure: 'trở lên', '/tổng số', the level a change reaches; returns the rest."""
    post = None
    m = _POST.match(folded, pos)
    if m:
        post = dict(lx.POST_MARKERS)[m.group(1)]
        pos = m.end()
    share = _SHARE.match(folded, pos)
    if share:
        pos = share.end()
        draft.notes.append("The figure is a share of the total named after it.")
    late_floor = None
    if post is None and (scan.comparison is None or scan.kinds[:1] == ["from"]):
        # "từ 80% đảng viên trở lên": a floor further on, unless it closes a rating ("tốt nhiệm vụ trở lên")
        for lm in re.finditer(r"(?<!\w)trở lên(?!\w)", folded[pos:]):
            before = folded[: pos + lm.start()].rstrip()
            if not before.endswith(tuple(lx.RATING_WORDS)) and not re.search(r"\d\s*\w*$", before):
                late_floor = (pos + lm.start(), pos + lm.end())
                post = Comparison.AT_LEAST
            break
    baseline = None
    if scan.change and mode == "single":
        # the level reached, after an optional "so với năm trước": "giảm 5 vụ so với năm trước, còn 27 vụ"
        bm = re.match(
            r"\s*(?:so với [^,;()\d]*(?:\d{4})?\s*)?[,(]?\s*"
            r"(?:xuống còn|còn lại|còn|lên mức|lên|đạt|tương đương)\s+",
            folded[pos:],
        )
        if bm:
            baseline = next((n for n in numbers if n.start == pos + bm.end() and n.value is not None), None)
            if baseline is not None:
                pos = baseline.unit_end
                pos += len(folded[pos:]) - len(folded[pos:].lstrip(" )"))
    tail = text[pos : late_floor[0]] + text[late_floor[1] :] if late_floor else text[pos:]
    return post, baseline, tail


def _comparison(draft, scan, post, mode, first, last, baseline, folded) -> None:
    """Decides the comparison from the markers around the figure."""
    kinds = scan.kinds
    if mode == "range":
        draft.comparison = Comparison.BETWEEN
        if post == Comparison.AT_LEAST:
            draft.warn(
                f"A range followed by 'trở lên' (or more): read as between {format_en(draft.low)} and "
                f"{format_en(draft.high)}, where above the range counts as exceeded; 'at least "
                f"{format_en(draft.low)}' is the other reading.",
                0.6,
            )
        if scan.comparison == Comparison.APPROXIMATELY:
            draft.notes.append("'khoảng' before a range: read as the range itself.")
        return
    if scan.change and mode == "single" and last.unit == "lần" and baseline is None:
        factor_change(draft, scan.change)
        return
    if scan.change and baseline is not None and explicit_change(draft, scan.change, last, baseline):
        return
    if (
        "typo" in kinds
        and scan.comparison == Comparison.APPROXIMATELY
        and "typo" == next(k for k in kinds if isinstance(k, Comparison) or k == "typo")
    ):
        draft.notes.append("'khoản' read as 'khoảng' (about), a common typo.")
        draft.cap(0.85)
    if mode == "fraction" and first.value == first.denominator:
        draft.comparison = scan.comparison or Comparison.EQUAL
    elif scan.comparison:
        draft.comparison = scan.comparison
    elif post:
        draft.comparison = post
    elif "down" in kinds:
        draft.comparison = Comparison.LESS_THAN
    elif "up" in kinds or "from" in kinds:
        draft.comparison = Comparison.AT_LEAST
    elif scan.change:
        draft.comparison = Comparison.AT_LEAST
    elif draft.value == 100 and draft.unit == "%":
        draft.comparison = Comparison.EQUAL
    elif _lower_is_better(folded):
        draft.comparison = Comparison.AT_MOST
        draft.warn(
            "A bare figure for an indicator where lower is better: read as a ceiling (at most); "
            "it could also be a level to reach.",
            0.5,
        )
    else:
        draft.comparison = Comparison.AT_LEAST
        draft.notes.append("A bare figure is read as a floor (at least), as plans usually mean it.")
        draft.cap(0.8)


def _aggregation(draft: Draft, folded: str) -> None:
    """Suggests how figures combine: mean for annual averages, sum for totals and flows."""
    rate_like = draft.unit in RATE_UNITS or draft.unit == "lần" or "/" in draft.unit
    if _MEAN.search(folded) or "%/năm" in folded.replace(" ", ""):
        draft.aggregation = Aggregation.MEAN
        draft.warn(
            "Stated as an annual average over the term: record each year's figure; aggregation 'mean' "
            "suggested (a plain mean of the yearly figures, not a compound rate).",
            0.75,
        )
    elif not rate_like and _TERM_TOTAL.search(folded):
        draft.aggregation = Aggregation.SUM
        draft.warn(
            "Stated as a total over the term: aggregation 'sum' suggested; check that each report gives "
            "the figure for its own period, not a running total.",
            0.75,
        )
    elif (
        not rate_like
        and draft.comparison in (Comparison.AT_LEAST, Comparison.MORE_THAN, Comparison.APPROXIMATELY, Comparison.BETWEEN)
        and any(w in folded for w in lx.FLOW_WORDS)
    ):
        draft.aggregation = Aggregation.SUM
        draft.notes.append("A flow: each report's figure for its own period adds up (aggregation sum).")
    elif re.search(r"(?<!\w)(?:hằng|hàng|mỗi) năm(?!\w)", folded):
        draft.notes.append("The figure applies to each year.")
