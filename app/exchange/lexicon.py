"""Word lists the clause parser matches against (written in plain spelling; matched after `fold`).

Pure data plus two small helpers. Each list says what a phrase means to the parser;
`parser.py`'s docstring states the rules that use them.
"""

from __future__ import annotations

import re

# Comparison words and categories live in their own modules; their names are importable from here too.
from app.exchange.categories import CATEGORY_HEADINGS as CATEGORY_HEADINGS
from app.exchange.categories import CATEGORY_WORDS as CATEGORY_WORDS
from app.exchange.categories import category_scores as category_scores
from app.exchange.comparisons import MARKERS as MARKERS
from app.exchange.comparisons import POST_MARKERS as POST_MARKERS
from app.exchange.comparisons import RATING_WORDS as RATING_WORDS
from app.exchange.vntext import fold

# Phrases that open a clause and carry no meaning for the target.
LEAD_INS = [
    fold(w)
    for w in (
        "phấn đấu",
        "phấn đấu để",
        "bảo đảm",
        "đảm bảo",
        "hằng năm",
        "hàng năm",
        "mỗi năm",
        "trong năm",
        "có",
        "và",
        "đồng thời",
    )
]
LEAD_IN_TIME = re.compile(r"^(?:đến|tới|trong|vào)?\s*(?:cuối|đầu|hết)?\s*(?:năm|nhiệm kỳ|giai đoạn)\s*[\d\s–—-]*,?\s*")

# Milestones: "không còn ...", "xóa 100% ..." are milestones whatever figures they hold;
# the verbs of MILESTONE_VERBS make one only when the clause has no target figure.
STRONG_MILESTONES = [
    fold(w)
    for w in (
        "không còn",
        "không để xảy ra",
        "không để",
        "xóa hết",
        "xóa bỏ",
        "xóa xong",
        "xóa toàn bộ",
        "xóa 100%",
        "chấm dứt",
        "xóa sạch",
    )
]
MILESTONE_VERBS = [
    fold(w)
    for w in (
        "hoàn thành",
        "hoàn thiện",
        "giữ vững",
        "duy trì",
        "xây dựng thành công",
        "đưa vào sử dụng",
        "được công nhận",
        "tổ chức thành công",
        "khởi công",
        "khánh thành",
        "đạt chuẩn",
        "xóa",
        "giữ",
        "bảo đảm",
        "đảm bảo",
        "tiếp tục giữ vững",
        "thực hiện xong",
    )
]

# Nouns that head an indicator and open a part of their own (in both HEADS and NOUN_HEADS).
_INDICATOR_NOUNS = (
    "tổng",
    "số",
    "sản lượng",
    "tốc độ",
    "thu",
    "chi",
    "giá trị",
    "mức",
    "diện tích",
    "năng suất",
    "kim ngạch",
    "thu nhập",
    "doanh thu",
)

# Openings of a part that can be a target of its own (used to split at ", " and " và ").
HEADS = [
    fold(w)
    for w in (
        "tỷ lệ",
        *_INDICATOR_NOUNS,
        "giảm",
        "tăng",
        "có",
        "phấn đấu",
        "giữ",
        "duy trì",
        "trên",
        "dưới",
        "khoảng",
        "ít nhất",
        "tối thiểu",
        "tối đa",
        "không quá",
        "hơn",
        "xây dựng",
        "trồng",
        "kết nạp",
        "giải quyết",
        "đào tạo",
        "thành lập",
        "hoàn thành",
        "nâng",
        "xóa",
        "dân số",
        "bình quân",
        "kiểm tra",
        "đón",
        "thu hút",
        "mật độ",
        "độ che phủ",
        "grdp",
        "gdp",
        "100%",
    )
]

# Openings of headings and introductions (skipped, never targets).
HEADING_OPENINGS = [
    fold(w)
    for w in (
        "về",
        "trong công tác",
        "lĩnh vực",
        "các chỉ tiêu",
        "chỉ tiêu",
        "mục tiêu",
        "nhóm chỉ tiêu",
        "các mục tiêu",
        "nhiệm vụ",
        "trong lĩnh vực",
        "đối với",
    )
]

# Sentences that state no target (issue 11): skipped with the reason, whatever figures they hold.
# Matched on the folded clause; the first that matches gives the reason.
NO_TARGET = [
    (re.compile(p), reason)
    for p, reason in (
        (
            r"(?<!\w)(?:tán thành|biểu quyết|phiếu thuận|số phiếu|nhất trí thông qua)(?!\w)",
            "a vote or its count: states no target",
        ),
        (r"(?<!\w)đại biểu(?!\w).*(?<!\w)(?:được triệu tập|có mặt|vắng mặt)(?!\w)", "who attended the meeting: states no target"),
        (r"(?<!\w)(?:có hiệu lực|hiệu lực thi hành|thi hành kể từ)(?!\w)", "a date of entry into force: states no target"),
        (
            r"^(?:kết quả|tình hình thực hiện)(?!\w)|(?<!\w)(?:năm qua|vừa qua|ước đạt|ước thực hiện|ước tính đạt|"
            r"đạt và vượt|đã đạt được)(?!\w)",
            "a result already achieved (or its estimate), not a target",
        ),
    )
]
# Words that mark a target: they end a passage of results within a paragraph.
TARGET_CUES = re.compile(r"(?<!\w)(?:phấn đấu|chỉ tiêu|mục tiêu|kế hoạch|đến năm|tới năm|nhiệm kỳ|giai đoạn)(?!\w)")
# "đã" (already) before the first figure: "toàn huyện đã giảm được 320 hộ nghèo" reports a result.
PAST = re.compile(r"(?<!\w)đã(?!\w)")
# Headings that open a report of results ("Kết quả thực hiện năm 2023:"): what follows, up to the
# next heading, reports results, not targets.
RESULT_HEADINGS = re.compile(
    r"^(?:kết quả|tình hình thực hiện|đánh giá (?:kết quả|tình hình))(?!\w)|"
    r"(?<!\w)(?:năm qua|vừa qua)(?!\w)"
)

# Heads of an indicator that names itself (a noun phrase), as opposed to a verb.
NOUN_HEADS = [
    fold(w)
    for w in (
        "tỷ lệ",
        "tỷ suất",
        *_INDICATOR_NOUNS,
        "dân số",
        "mật độ",
        "độ che phủ",
        "chỉ số",
        "bội chi",
        "vốn",
        "lượng",
        "quy mô",
        "cơ cấu",
        "tuổi thọ",
    )
]
RATE_HEADS = [fold(w) for w in ("tỷ lệ", "tỷ suất", "mật độ", "độ che phủ", "chỉ số")]

# Indicators where lower is better: a bare figure for them reads as a ceiling.
BAD_INDICATORS = [
    fold(w)
    for w in (
        "hộ nghèo",
        "cận nghèo",
        "thất nghiệp",
        "suy dinh dưỡng",
        "tai nạn",
        "tội phạm",
        "ma túy",
        "ô nhiễm",
        "nợ xấu",
        "sinh con thứ",
        "tử vong",
        "bội chi",
        "nợ đọng",
        "tồn đọng",
        "cháy rừng",
        "bỏ học",
        "hộ đói",
        "tái nghèo",
        "nhà tạm",
        "tỷ suất chết",
        "không có việc làm",
        "chỉ số giá tiêu dùng",
        "lạm phát",
    )
]
GOOD_VERBS = [
    fold(w)
    for w in (
        "thoát",
        "giải quyết",
        "phát hiện",
        "khám phá",
        "điều tra",
        "xử lý",
        "bắt giữ",
        "kiểm soát",
        "cai nghiện",
        "xóa",
        "giảm",
    )
]

# Indicators that are flows: figures for successive periods add up (aggregation sum).
FLOW_WORDS = [
    fold(w)
    for w in (
        "sản lượng",
        "vốn đầu tư",
        "thu ngân sách",
        "doanh thu",
        "kim ngạch",
        "lượt khách",
        "việc làm mới",
        "giải quyết việc làm",
        "kết nạp",
        "trồng mới",
        "tổng vốn",
        "thu hút",
    )
]

# Subjects whose change is a money or quantity amount: "%" after them is a relative change, not points.
AMOUNT_WORDS = [
    fold(w)
    for w in (
        "thu",
        "ngân sách",
        "vốn",
        "giá trị",
        "sản lượng",
        "doanh thu",
        "thu nhập",
        "kim ngạch",
        "tổng sản phẩm",
        "grdp",
        "gdp",
        "chi",
        "lượt khách",
        "năng suất",
    )
]


_BY_LENGTH: dict[int, tuple[list[str], tuple[str, ...]]] = {}


def _longest_first(phrases: list[str]) -> tuple[str, ...]:
    """The phrases sorted longest first, sorted once per list (keyed by the list's identity)."""
    cached = _BY_LENGTH.get(id(phrases))
    if cached is None or cached[0] is not phrases or len(cached[1]) != len(phrases):
        cached = (phrases, tuple(sorted(phrases, key=len, reverse=True)))
        if len(_BY_LENGTH) < 256:
            _BY_LENGTH[id(phrases)] = cached
    return cached[1]


def starts_with_any(folded: str, phrases: list[str], pos: int = 0) -> str | None:
    """The longest phrase the folded text starts with (at `pos`), as a whole word; None if none."""
    n = len(folded)
    for p in _longest_first(phrases):
        end = pos + len(p)
        if folded.startswith(p, pos) and (end == n or not folded[end].isalnum() or not p[-1].isalnum()):
            return p
    return None
