"""Categories of targets (kinh tế, đô thị, ...) and the weighted keywords that suggest one.

Pure. `lexicon` re-exports these names.
"""

from __future__ import annotations

import re

from app.exchange.vntext import fold

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
