"""Naming the indicator of a draft, and reading a change stated without its baseline.

Pure: standard library only. Titles keep the clause's own words: the figure, the
comparison words and "phấn đấu" go; what is left is the indicator. When the figure
comes before the thing counted ("90% cán bộ ...", "04 mô hình ..."), the title is
built as "Tỷ lệ ..." / "Số ..." / a measure's name ("Diện tích ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.engine import Comparison
from app.exchange import lexicon as lx
from app.exchange.draft import Draft
from app.exchange.vnnumbers import COUNT_UNITS, MAGNITUDES, FoundNumber, fold, format_en, format_vi

VERBS = [
    fold(w)
    for w in (
        "xây dựng",
        "trồng mới",
        "trồng",
        "kết nạp",
        "thành lập mới",
        "thành lập",
        "giải quyết",
        "đào tạo",
        "đón",
        "thu hút",
        "tạo việc làm",
        "tạo",
        "hỗ trợ",
        "cấp",
        "kiểm tra",
        "hoàn thành",
        "thực hiện",
        "tiêm chủng",
        "nâng cấp",
        "cứng hóa",
        "làm mới",
        "sửa chữa",
        "mở mới",
        "mở",
        "phát triển",
        "tuyển",
        "khám",
        "đầu tư",
        "xử lý",
        "thu gom",
        "di dời",
        "giải ngân",
        "bàn giao",
        "duy trì",
        "giữ vững",
        "đạt",
        "có",
        "sản xuất",
        "xuất khẩu",
        "huy động",
        "đưa",
        "bố trí",
    )
]
MEASURE_HEADS = {
    "ha": "Diện tích",
    "tấn": "Sản lượng",
    "tạ": "Sản lượng",
    "kg": "Sản lượng",
    "km": "Chiều dài",
    "m": "Chiều dài",
    "đồng": "Giá trị",
    "USD": "Giá trị",
    "lít": "Lượng",
    "m3": "Khối lượng",
    "m³": "Khối lượng",
    "m2": "Diện tích",
    "m²": "Diện tích",
}
_TIME = re.compile(
    r"(?:^|,\s*|\s+)(?:(?:vào|đến|trong|tới|sau)\s+)?(?:(?:cuối|đầu)\s+)?(?:năm\s+\d{4}|giai đoạn(?!\w)|"
    r"nhiệm kỳ(?!\w)|\d+\s+năm(?!\w)|mỗi năm|hằng năm|hàng năm)"
)
_SUBJECT_TIME = re.compile(r"[\s,]+(?:(?:đến|vào|tới|trong)\s+)?(?:(?:cuối|đầu)\s+)?năm\s+\d{4}\s*,?\s*$")
_SO_VOI = re.compile(r"(?:^|,\s*|\s+)so với(?!\w)")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:.–—-/")


def _join(*parts: str) -> str:
    return " ".join(p for p in (_clean(p) for p in parts) if p)


def _lower_first(text: str) -> str:
    """'Hoàn thành' → 'hoàn thành' inside a longer title; acronyms ('GRDP') stay."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def capitalised(text: str) -> str:
    """First letter upper case, the rest as written."""
    return text[:1].upper() + text[1:]


def split_tail(draft: Draft, tail: str) -> tuple[str, str]:
    """Splits the words after the figure into (object, 'so với ...'); time phrases go to notes."""
    tail = _clean(tail)
    if fold(tail).startswith("tổng số "):
        tail = tail[len("tổng số ") :]
    so = _SO_VOI.search(fold(tail))
    so_voi = _clean(tail[so.start() :]) if so else ""
    tail = tail[: so.start()] if so else tail
    time = _TIME.search(fold(tail))
    if time:
        draft.notes.append(f"Time words in the clause: '{_clean(tail[time.start() :])}'.")
        tail = tail[: time.start()]
    return _clean(tail), so_voi


def title_for(draft: Draft, subject: str, tail: str, change: str, first: FoundNumber, mode: str) -> None:
    """Sets draft.title from the words before and after the figure (and reads a bare change)."""
    subject = _clean(subject)
    when = _SUBJECT_TIME.search(fold(subject))
    if when:  # "GRDP bình quân đầu người đến năm 2025 đạt ...": the date is not part of the name
        draft.notes.append(f"Time words in the clause: '{_clean(subject[when.start() :])}'.")
        subject = _clean(subject[: when.start()])
    lead_verb = lx.starts_with_any(fold(subject), ["giảm", "tăng", "nâng", "hạ", "đưa"])
    if lead_verb and lx.starts_with_any(fold(subject)[len(lead_verb) :].lstrip(), lx.NOUN_HEADS):
        subject = capitalised(subject[len(lead_verb) :].lstrip())  # "Giảm tỷ lệ hộ nghèo xuống còn 3%"
    obj, so_voi = split_tail(draft, tail)
    per = ""
    if fold(subject).startswith("mỗi "):  # "Mỗi xã có ít nhất 01 mô hình ...": a figure per unit
        per, subject = _lower_first(subject), ""
    f_subject = fold(subject)
    verb = lx.starts_with_any(f_subject, VERBS) if subject else None
    base_unit = " ".join(w for w in draft.unit.split(" ") if w not in MAGNITUDES)
    counted = _join(base_unit, obj) if (base_unit.split("/")[0] in COUNT_UNITS or not base_unit) else obj
    if change and draft.comparison != Comparison.CHANGE:
        thing = subject or counted
        draft.title = capitalised(_join(_change_title(draft, change, thing), so_voi))
        if subject and obj:
            draft.notes.append(f"Words after the figure, not in the title: '{obj}'.")
        return
    rate = draft.unit in ("%", "‰") or mode == "fraction" and draft.unit == "%"
    if subject and not verb and (not rate or lx.starts_with_any(f_subject, lx.NOUN_HEADS)):
        title = _join(subject, so_voi)
        if obj:
            draft.notes.append(f"Words after the figure, not in the title: '{obj}'.")
    elif rate:
        counted_unit = first.unit if mode == "fraction" else ""
        doing = "thực hiện" if not subject and lx.starts_with_any(fold(obj), ["chỉ tiêu", "kế hoạch"]) else ""
        title = _join("Tỷ lệ", doing, _lower_first(subject), counted_unit, obj, per, so_voi)
    elif base_unit.split("/")[0] in COUNT_UNITS or not base_unit:
        doer = re.sub(r"\s+(?:cho|cho các|tại)$", "", subject) if verb else ""
        title = _join("Số", counted, f"được {doer[:1].lower()}{doer[1:]}" if doer else "", per, so_voi)
    else:
        title = _join(MEASURE_HEADS.get(base_unit.split("/")[0], ""), obj, subject.lower() if verb else subject, per, so_voi)
    draft.title = capitalised(title) if _clean(title) not in ("Tỷ lệ", "Số") else ""


def _change_title(draft: Draft, change: str, thing: str) -> str:
    """'Thu ngân sách tăng khoảng 5%': the target is the rate of change itself (no baseline in the text)."""
    words = [w for w in fold(change).split() if w not in ("bình quân", "được", "thêm", "gấp")]
    words = [w for w in words if w not in ("bình", "quân")]
    verb = " ".join(words) or "tăng"
    falling = verb.startswith("giảm")
    thing = _lower_first(thing)
    f_thing = fold(thing)
    is_rate = bool(lx.starts_with_any(f_thing, lx.RATE_HEADS))
    if draft.unit in ("%", "‰"):
        head = "Mức" if is_rate else "Tỷ lệ" if falling else "Tốc độ"
    else:
        head = "Mức"
    title = _join(head, verb, thing) + (" bình quân hằng năm" if "bình quân" in fold(change) else "")
    draft.notes.append(
        "Stated as a change with no baseline in the text: recorded as the size of the change itself "
        "(the figure reported is the change achieved); see alternatives for a 'change' target."
    )
    _change_readings(draft, verb, thing, fold(change))
    return title


def _figure(draft: Draft, style: Callable[[float], str], plus: float = 0) -> str:
    """The draft's figure, or its range low–high, written in `style` (each number plus `plus`)."""
    if draft.value is not None:
        return style(draft.value + plus)
    if draft.low is None or draft.high is None:
        raise ValueError("a change stated without its figure")
    return f"{style(draft.low + plus)}–{style(draft.high + plus)}"


def _change_readings(draft: Draft, verb: str, thing: str, change: str) -> None:
    """Warnings and the 'change' alternatives for a change stated without its baseline."""
    falling, x = verb.startswith("giảm"), draft.value
    f_thing = fold(thing)
    shown = _figure(draft, format_vi)  # as quoted
    en = _figure(draft, format_en)  # in the English prose
    alt = None
    if x is not None:
        signed = -x if falling else x
        alt = {
            "comparison": "change",
            "value": signed,
            "unit": draft.unit,
            "needs": "baseline_value",
            "direction": "lower_is_better" if signed < 0 else "higher_is_better",
        }
    alts: list[str] = []
    if draft.unit == "%":
        alts = ["relative_percent"]
        if lx.starts_with_any(f_thing, lx.RATE_HEADS):
            alts.append("percentage_points")
            draft.warn(
                f"'{verb} {shown}%' of a rate has two readings: a relative change of {en}% of the rate, or "
                f"{en} percentage points; recorded as the relative reading.",
                0.55,
            )
        elif thing and not lx.starts_with_any(f_thing, lx.AMOUNT_WORDS + ["tổng", "số"]):
            alts.append("percentage_points")
            draft.warn(
                f"'{verb} {shown}% {thing}' has three readings: (a) {en}% {'fewer' if falling else 'more'} "
                f"{thing} than at the start (a relative change; recorded so), (b) the rate of {thing} moves by "
                f"{en} percentage points, (c) a change equal to {en}% of the whole population the rate is "
                f"measured over. Check the plan's intent.",
                0.5,
            )
        else:
            draft.cap(0.85)
    elif draft.unit == "điểm phần trăm":
        alts = ["percentage_points"]
        draft.cap(0.85)
    elif draft.unit == "lần":
        if x is not None and alt:
            alt.update(value=round((x - 1) * 100, 6), unit="%", direction="higher_is_better")
            alts = ["relative_percent"]
        if "gấp" in change:
            draft.notes.append(f"'gấp {shown} lần': {en} times the baseline.")
            draft.cap(0.8)
        else:
            draft.warn(
                f"'{verb} {shown} lần' usually means the level becomes {en} times the baseline, but can be "
                f"read as rising by {en} times the baseline (to {_figure(draft, format_en, plus=1)} times it).",
                0.5,
            )
    else:
        alts = ["absolute"]
        draft.cap(0.85)
    if alt:
        draft.alternatives.extend({**alt, "change_basis": basis} for basis in alts)
