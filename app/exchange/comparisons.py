"""Comparison words around a figure, for the clause parser (written in plain spelling; matched after `fold`):
the words before a figure (MARKERS), after it (POST_MARKERS), and the rating levels a "trở lên" can belong to.

Pure data. `lexicon` re-exports these names.
"""

from __future__ import annotations

from app.engine import Comparison
from app.exchange.vntext import fold

# Words right before a figure, read from the figure backwards. The first comparison
# met (the nearest to the figure) decides; kinds other than Comparison members:
#   "filler"  carries no comparison (đạt, ở mức ...);  "from" is "từ";
#   "change"  a change verb (tăng 5%: the figure is a change, not a level);
#   "down"/"up" a level reached by falling/rising (còn 2%, lên 70%);  "typo": "khoản" for "khoảng".
_MARKERS = {
    Comparison.AT_LEAST: [
        "ít nhất",
        "tối thiểu",
        "không thấp hơn",
        "không dưới",
        "không ít hơn",
        "cao hơn hoặc bằng",
        "lớn hơn hoặc bằng",
        "≥",
        ">=",
    ],
    Comparison.MORE_THAN: ["trên", "hơn", "cao hơn", "nhiều hơn", "lớn hơn", ">"],
    Comparison.AT_MOST: [
        "không quá",
        "không vượt quá",
        "không vượt",
        "không cao hơn",
        "không nhiều hơn",
        "không lớn hơn",
        "không trên",
        "thấp hơn hoặc bằng",
        "nhỏ hơn hoặc bằng",
        "dưới hoặc bằng",
        "tối đa",
        "≤",
        "<=",
    ],
    Comparison.LESS_THAN: ["dưới", "còn dưới", "thấp hơn", "ít hơn", "nhỏ hơn", "xuống dưới", "<"],
    Comparison.APPROXIMATELY: ["khoảng", "xấp xỉ", "chừng", "gần", "ước khoảng", "trên dưới", "~"],
    "typo": ["khoản"],
    "filler": [
        "đạt",
        "đạt mức",
        "ở mức",
        "mức",
        "là",
        "chiếm",
        "đạt được",
        "được",
        "có",
        "bằng",
        "lên mức",
        ":",
        "ổn định",
        "duy trì",
        "giữ vững",
        "duy trì ổn định",
    ],
    "from": ["từ"],
    "change": [
        "tăng",
        "giảm",
        "tăng thêm",
        "giảm thêm",
        "tăng bình quân",
        "giảm bình quân",
        "bình quân tăng",
        "bình quân giảm",
        "tăng trưởng",
        "tăng trưởng bình quân",
        "giảm được",
        "tăng được",
        "tăng gấp",
        "gấp",
    ],
    "down": [
        "còn",
        "xuống còn",
        "giảm xuống còn",
        "giảm còn",
        "giảm xuống",
        "hạ xuống còn",
        "hạ xuống",
        "xuống",
        "hạ còn",
        "giảm xuống mức",
        "xuống mức",
    ],
    "up": ["lên", "tăng lên", "nâng lên", "tăng lên mức", "nâng lên mức"],
}
MARKERS: list[tuple[str, object]] = sorted(
    ((fold(p), kind) for kind, phrases in _MARKERS.items() for p in phrases), key=lambda p: -len(p[0])
)

# Words right after a figure (and its unit).
POST_MARKERS = [("trở lên", Comparison.AT_LEAST), ("trở xuống", Comparison.AT_MOST), ("trở lại", Comparison.AT_MOST)]

# A "trở lên" right after one of these belongs to a rating level, not to the figure.
RATING_WORDS = [
    fold(w)
    for w in (
        "nhiệm vụ",
        "khá",
        "tốt",
        "giỏi",
        "xuất sắc",
        "trung bình",
        "loại a",
        "loại b",
        "mức khá",
        "mức tốt",
        "vững mạnh",
        "đạt chuẩn",
        "chuẩn",
        "sao",
    )
]
