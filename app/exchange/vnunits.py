"""Units as Vietnamese texts write them after a number: percent and per-mille forms, magnitude
words (nghìn, vạn, triệu, tỷ) and the units counted or measured; `read_unit` reads one.

Pure: standard library only. See `vnnumbers` for how numbers and their units are read.
"""

from __future__ import annotations

import re

from app.exchange.vntext import fold

MAGNITUDES = {"nghìn": 3, "ngàn": 3, "vạn": 4, "triệu": 6, "tỷ": 9}
_MAGNITUDE_WORD = re.compile(r"(nghìn|ngàn|vạn|triệu|tỷ)(?!\w)")
_MAGNITUDE_CANON = {"ngàn": "nghìn"}

# (form as folded, canonical unit); the first that matches wins, so longer forms come first.
PERCENT_FORMS = [
    ("điểm phần trăm", "điểm phần trăm"),
    ("điểm %", "điểm phần trăm"),
    ("điểm%", "điểm phần trăm"),
    ("phần trăm", "%"),
    ("phần nghìn", "‰"),
    ("%o", "‰"),
    ("‰", "‰"),
    ("0/00", "‰"),
    ("%", "%"),
]
# Units measured (amounts, lengths, money, time ...), then units counted (COUNT_UNITS); UNITS is both,
# in this order.
MEASURE_UNITS = [
    "tấn/ha",
    "tạ/ha",
    "tấn",
    "tạ",
    "kg",
    "ha",
    "km2",
    "km²",
    "km",
    "m2",
    "m²",
    "m3",
    "m³",
    "m",
    "lít",
    "đồng",
    "USD",
    "lần",
    "năm",
    "tuổi",
    "tháng",
    "ngày",
    "giờ",
    "điểm",
]
_COUNTED = [
    "lượt khách",
    "lượt người",
    "lượt",
    "người",
    "hộ gia đình",
    "hộ",
    "lao động",
    "xã",
    "phường",
    "thị trấn",
    "thôn",
    "bản",
    "khu dân cư",
    "tổ dân phố",
    "trường học",
    "trường",
    "công trình",
    "mô hình",
    "doanh nghiệp",
    "hợp tác xã",
    "dự án",
    "cơ sở",
    "sản phẩm",
    "đảng viên",
    "chi bộ",
    "tổ chức cơ sở đảng",
    "tổ chức",
    "cây",
    "con",
    "căn nhà",
    "căn",
    "nhà",
    "phòng học",
    "vụ",
    "cuộc",
    "lớp",
    "học sinh",
    "trẻ",
    "giường bệnh",
    "giường",
    "bác sĩ",
    "tiêu chí",
    "đơn vị",
    "chiếc",
    "cụm",
    "nhà văn hóa",
    "cầu",
    "tuyến phố",
    "tuyến đường",
    "tuyến",
    "chợ",
    "trạm",
    # issue 11: administrative units and institutions counted in plans; "sao" is a rating level (OCOP 3 sao)
    "huyện",
    "tỉnh",
    "thành phố",
    "quận",
    "thị xã",
    "làng",
    "bệnh viện",
    "nhà máy",
    "khu công nghiệp",
    "cụm công nghiệp",
    "hồ sơ",
    "thủ tục",
    "hội viên",
    "đoàn viên",
    "cán bộ",
    "giáo viên",
    "thuê bao",
    "sao",
]
UNITS = MEASURE_UNITS + _COUNTED
UNIT_SUFFIXES = ["vạn dân", "nghìn dân", "người", "năm", "ha", "tháng", "ngày", "km2", "km²", "hộ", "lao động", "sào"]
COUNT_UNITS = frozenset(_COUNTED)

_PER_ONE = re.compile(r"1 ?(?=\D)")
_UNITS_FOLDED = sorted(((fold(u), u) for u in UNITS), key=lambda p: -len(p[0]))
_SUFFIXES_FOLDED = sorted(((fold(u), u) for u in UNIT_SUFFIXES), key=lambda p: -len(p[0]))


def _boundary(folded: str, i: int) -> bool:
    return i >= len(folded) or not folded[i].isalnum()


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def read_unit(folded: str, i: int) -> tuple[str, int, int]:
    """Reads the unit that starts at or after position i; returns (unit, magnitude, end)."""
    j = _skip_spaces(folded, i)
    for form, canon in PERCENT_FORMS:
        if folded.startswith(form, j) and (not form[-1].isalnum() or _boundary(folded, j + len(form))):
            end = j + len(form)
            if canon == "%" and folded.startswith("/năm", end) and _boundary(folded, end + 4):
                return "%/năm", 0, end + 4
            return canon, 0, end
    words, magnitude, k, end = [], 0, j, i
    while True:
        m = _MAGNITUDE_WORD.match(folded, k)
        if not m:
            break
        words.append(_MAGNITUDE_CANON.get(m.group(1), m.group(1)))
        magnitude += MAGNITUDES[m.group(1)]
        end = m.end()
        k = _skip_spaces(folded, end)
    base = ""
    for form, canon in _UNITS_FOLDED:
        if folded.startswith(form, k) and _boundary(folded, k + len(form)):
            base, end = canon, k + len(form)
            while folded.startswith("/", end):
                # "giường/vạn dân", and "giường/1 vạn dân" (per one vạn: the 1 goes)
                at = end + 1
                one = _PER_ONE.match(folded, at)
                if one:
                    at = one.end()
                suffix = next(
                    (c for f, c in _SUFFIXES_FOLDED if folded.startswith(f, at) and _boundary(folded, at + len(f))), None
                )
                if suffix is None:
                    break
                base, end = f"{base}/{suffix}", at + len(fold(suffix))
            break
    if not words and not base:
        return "", 0, i
    return " ".join(words + ([base] if base else [])), magnitude, end
