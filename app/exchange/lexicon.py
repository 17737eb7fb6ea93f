"""Word lists the clause parser matches against (written in plain spelling; matched after `fold`).

Pure data plus two small helpers. Each list says what a phrase means to the parser;
`parser.py`'s docstring states the rules that use them.
"""

from __future__ import annotations

import re

from app.engine import Comparison
from app.exchange.vnnumbers import fold

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

# Openings of a part that can be a target of its own (used to split at ", " and " và ").
HEADS = [
    fold(w)
    for w in (
        "tỷ lệ",
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

CATEGORY_HEADINGS = {"kinh tế", "đô thị", "văn hóa - xã hội", "môi trường", "quốc phòng - an ninh", "xây dựng Đảng"}

# Category keywords and weights; a longer keyword that matches hides the shorter ones inside it.
_CATEGORY_WORDS = {
    "kinh tế": {
        3: "tăng trưởng, grdp, gdp, ngân sách, sản lượng, lương thực, du lịch, lượt khách, xuất khẩu, kim ngạch, "
        "giá trị sản xuất, giá trị sản phẩm, doanh thu, tổng sản phẩm, vốn đầu tư",
        2: "rau, lúa, ngô, đầu tư, thu nhập, doanh nghiệp, hợp tác xã, kinh tế, năng suất, chăn nuôi, thủy sản, "
        "công nghiệp, thương mại, dịch vụ, vốn, nông nghiệp, trồng trọt, nông thôn mới, ocop, bội chi",
        1: "thu hút, sản xuất",
    },
    "đô thị": {
        3: "dân số đô thị, đô thị hóa, chỉnh trang đô thị, trật tự đô thị, cấp phép xây dựng, hạ tầng",
        2: "công trình, đô thị, giao thông, quy hoạch, nhà ở, chiếu sáng, vỉa hè, đường giao thông, cứng hóa",
        1: "xây dựng",
    },
    "văn hóa - xã hội": {
        3: "hộ nghèo, cận nghèo, đơn thư, giải quyết đơn, khiếu nại, tố cáo, y tế, bảo hiểm y tế, bác sĩ, "
        "giường bệnh, giáo dục, học sinh, trường học, việc làm, gia đình văn hóa, nhà văn hóa, sinh con, "
        "suy dinh dưỡng, tiêm chủng, bảo hiểm xã hội, thể dục thể thao, nhà tạm, dột nát, thất nghiệp, "
        "tỷ suất sinh, tỷ suất chết, hộ đói, chuẩn quốc gia về y tế",
        2: "nghèo, đói, trường, lao động, đào tạo, văn hóa, dân số, trẻ em, khám chữa bệnh",
        1: "xã hội",
    },
    "môi trường": {
        4: "chất thải, rác thải, che phủ rừng",
        3: "rác, nước sạch, nước hợp vệ sinh, môi trường, cây xanh, rừng, nước thải, ô nhiễm, khí thải, trồng cây",
        2: "thu gom",
        1: "xử lý",
    },
    "quốc phòng - an ninh": {
        4: "quốc phòng, giao quân, tuyển quân, dân quân, tội phạm, ma túy, trật tự an toàn xã hội, tai nạn giao thông",
        3: "an ninh, quân sự, cháy nổ, công an, phạm pháp, ổn định chính trị",
        2: "tự vệ, điều tra, khám phá, biên giới",
    },
    "xây dựng Đảng": {
        5: "xây dựng đảng, tổ chức cơ sở đảng",
        4: "đảng viên, chi bộ",
        3: "cán bộ, đảng bộ, mặt trận, đoàn thể, đoàn viên, hội viên, kết nạp, cấp ủy, trong sạch, "
        "kỷ luật đảng, chỉ thị, nghị quyết",
        2: "chính quyền, công chức, viên chức, vững mạnh",
    },
}
CATEGORY_WORDS: list[tuple[str, str, int]] = sorted(
    (
        (fold(w.strip()), cat, weight)
        for cat, table in _CATEGORY_WORDS.items()
        for weight, words in table.items()
        for w in words.split(",")
    ),
    key=lambda t: -len(t[0]),
)
_CATEGORY_PATTERNS = [(word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)"), cat, weight) for word, cat, weight in CATEGORY_WORDS]


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


def category_scores(text: str) -> dict[str, int]:
    """Weighted keyword hits per category; a longer keyword hides the shorter ones inside it."""
    folded, taken = fold(text), [False] * len(text)
    scores: dict[str, int] = {}
    for word, pattern, cat, weight in _CATEGORY_PATTERNS:
        if word not in folded:
            continue
        for m in pattern.finditer(folded):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            scores[cat] = scores.get(cat, 0) + weight
    return scores
