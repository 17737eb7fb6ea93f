"""Held-out target clauses for measuring the resolution-text parser (issue 5).

Written from the domain page (target kinds, number formats) and the parser's public
API only, BEFORE reading the parser's rules or lexicon, and not copied from any existing
text or test: new sentences in the style of provincial / district party-committee and
people's-council resolutions (nghị quyết) on socio-economic targets.

Each `Case` holds one clause and what a careful human reads in it:
- `drafts`: one slot per target the clause states, in order; each slot lists the
  readings a careful human accepts (usually one). A reading names the fields that must
  match; fields not named are not checked.
- `unsure=True`: a careful human would not be sure (a figure that is both a decimal and
  thousands, "%" that may be points, "X lần", a range with a floor ...). The clause counts
  as right only if every draft says so (a warning, or confidence below 0.6) AND reads
  one of the accepted readings.
- `no_target=True`: the clause states no measurable target; right when the parser makes
  no draft of it (or, with `unsure=True`, a draft that is flagged).

Conventions taken from the domain page and the parser's documented contract:
a bare change with no baseline ("tăng 12%", "giảm 150 hộ") is the change itself as a
floor; "còn X" / "giảm xuống còn X" is less_than X; a magnitude word stays in the unit
("2,3 triệu lượt khách" is 2.3 "triệu lượt khách"; the plain count is accepted too);
"X/X đơn vị" is equal 100 %; "X/Y đơn vị" is at_least X of the unit; a range followed by
"trở lên" is unsure (range or floor); ceilings and falls are better lower.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.exchange.labelled_clauses import D, H, L


# One accepted reading: the same builder as the labelled clauses' expected drafts (direction
# defaults to lower for ceilings and falls, else higher).
R = D


def MS(**extra):
    """A milestone (done or not done)."""
    return {"comparison": "milestone", "direction": H, **extra}


def units(reading: dict, *alternatives: str) -> list[dict]:
    """The same reading with any of several equally right spellings of its unit."""
    return [reading] + [{**reading, "unit": u} for u in alternatives]


@dataclass
class Case:
    family: str
    text: str
    drafts: list[list[dict]] = field(default_factory=list)
    unsure: bool = False
    no_target: bool = False


def C(family, text, *slots, unsure=False, no_target=False):
    """A case; each slot is a reading (dict) or a list of accepted readings."""
    return Case(family, text, [s if isinstance(s, list) else [s] for s in slots], unsure, no_target)


CASES: list[Case] = [
    # ---------------------------------------------------------------- floors
    C("floor", "Tỷ lệ trường mầm non đạt chuẩn quốc gia đạt từ 70% trở lên", R("at_least", 70)),
    C("floor", "Đạt tối thiểu 32 giường bệnh/vạn dân",
      units(R("at_least", 32, "giường bệnh/vạn dân"), "giường/vạn dân")),
    C("floor", "Tỷ lệ hộ gia đình sử dụng Internet băng rộng cố định không thấp hơn 80%", R("at_least", 80)),
    C("floor", "Thu nhập bình quân đầu người năm 2024 đạt 72 triệu đồng", R("at_least", 72, "triệu đồng")),
    C("floor", "Tỷ lệ người dân có thẻ bảo hiểm y tế tối thiểu đạt 94,5%", R("at_least", 94.5)),
    C("floor", "100% trạm y tế xã có bác sĩ làm việc thường xuyên", R("equal", 100)),
    # ---------------------------------------------------------------- "above"
    C("above", "Giá trị sản xuất nông, lâm nghiệp và thủy sản đạt trên 4.150 tỷ đồng",
      R("more_than", 4150, "tỷ đồng")),
    C("above", "Thu hút hơn 25 dự án đầu tư vào các cụm công nghiệp", R("more_than", 25, "dự án")),
    C("above", "Tỷ lệ hồ sơ thủ tục hành chính được giải quyết đúng hạn đạt trên 98%", R("more_than", 98)),
    C("above", "Phát triển mới hơn 150 doanh nghiệp", R("more_than", 150, "doanh nghiệp")),
    # ---------------------------------------------------------------- ceilings
    C("ceiling", "Tỷ lệ hộ nghèo đa chiều cuối năm không quá 2,8%", R("at_most", 2.8)),
    C("ceiling", "Tỷ lệ lao động thất nghiệp ở khu vực thành thị dưới 3,5%", R("less_than", 3.5)),
    C("ceiling", "Tốc độ tăng chỉ số giá tiêu dùng không vượt quá 4%", R("at_most", 4)),
    C("ceiling", "Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng thể nhẹ cân tối đa 9%", R("at_most", 9)),
    # ---------------------------------------------------------------- ranges (every dash, "từ ... đến")
    C("range", "Tốc độ tăng trưởng giá trị sản xuất đạt 9-10%", R("between", low=9, high=10)),
    C("range", "Thu ngân sách nhà nước trên địa bàn tăng 8 – 10% so với dự toán", R("between", low=8, high=10)),
    C("range", "Tổng sản lượng lương thực có hạt đạt 52—54 nghìn tấn",
      [R("between", low=52, high=54, unit="nghìn tấn"), R("between", low=52000, high=54000, unit="tấn")]),
    C("range", "Diện tích gieo trồng cây hàng năm từ 28.000 đến 28.500 ha",
      R("between", low=28000, high=28500, unit="ha")),
    C("range", "Giá trị hàng hóa xuất khẩu tăng từ 15 - 17%", R("between", low=15, high=17)),
    C("range", "Tốc độ tăng trưởng kinh tế đạt 6,5 − 7%", R("between", low=6.5, high=7)),
    # ---------------------------------------------------------------- ranges with a floor (unsure: range or floor)
    C("range+floor", "Tốc độ tăng giá trị sản xuất công nghiệp - xây dựng đạt 12 – 13% trở lên",
      [R("between", low=12, high=13), R("at_least", 12)], unsure=True),
    C("range+floor", "Tỷ lệ lao động qua đào tạo nghề từ 55 đến 60% trở lên",
      [R("between", low=55, high=60), R("at_least", 55)], unsure=True),
    C("range+floor", "Tổng vốn đầu tư phát triển toàn xã hội đạt từ 3.200 - 3.500 tỷ đồng trở lên",
      [R("between", low=3200, high=3500, unit="tỷ đồng"), R("at_least", 3200, "tỷ đồng")], unsure=True),
    # ---------------------------------------------------------------- "about"
    C("about", "Tổng thu ngân sách trên địa bàn khoảng 1.850 tỷ đồng", R("approximately", 1850, "tỷ đồng")),
    C("about", "Dân số trung bình năm 2025 khoảng 215.000 người", R("approximately", 215000, "người")),
    C("about", "Chỉ số giá tiêu dùng (CPI) tăng khoảng 3,5%", R("approximately", 3.5, d=L)),
    C("about", "Diện tích trồng rừng mới xấp xỉ 2.000 ha", R("approximately", 2000, "ha")),
    # ---------------------------------------------------------------- reductions to a level
    C("fall-to-level", "Phấn đấu đến cuối năm 2025 tỷ lệ hộ nghèo đa chiều giảm còn 1,9%", R("less_than", 1.9)),
    C("fall-to-level", "Số người nghiện ma túy có hồ sơ quản lý giảm còn dưới 300 người",
      R("less_than", 300, "người")),
    C("fall-to-level", "Giảm tỷ lệ suy dinh dưỡng thấp còi ở trẻ em xuống dưới 15%", R("less_than", 15)),
    C("fall-to-level", "Giảm số vụ phạm pháp hình sự xuống còn 45 vụ", R("less_than", 45, "vụ")),
    # ---------------------------------------------------------------- reductions by an amount
    C("fall-by", "Giảm 150 hộ nghèo so với đầu năm", units(R("at_least", 150, "hộ"), "hộ nghèo")),
    C("fall-by", "Giảm tỷ lệ lao động làm việc trong ngành nông nghiệp 2,5 điểm phần trăm",
      R("at_least", 2.5, "điểm phần trăm")),
    C("fall-by", "Giảm ít nhất 10% số vụ tai nạn giao thông trên cả 3 tiêu chí", R("at_least", 10)),
    # ---------------------------------------------------------------- changes with the resulting level
    C("change+level", "Tỷ lệ hộ nghèo đa chiều giảm 0,8%, xuống còn 2,4%",
      R("change", -0.8, change_basis="percentage_points", baseline_value=3.2), unsure=True),
    C("change+level", "Số hộ cận nghèo trên địa bàn giảm 85 hộ (còn lại 415 hộ)",
      R("change", -85, "hộ", change_basis="absolute", baseline_value=500)),
    C("change+level", "Thu ngân sách xã tăng 12%, đạt 56 tỷ đồng",
      [R("change", 12, "tỷ đồng", change_basis="relative_percent", baseline_value=50),
       R("at_least", 56, "tỷ đồng")]),
    C("change+level", "Số vụ tai nạn giao thông giảm 5 vụ so với năm trước, còn 27 vụ",
      [R("change", -5, "vụ", change_basis="absolute", baseline_value=32), R("less_than", 27, "vụ")]),
    # ---------------------------------------------------------------- annual averages
    C("annual-average", "Tốc độ tăng trưởng giá trị sản xuất bình quân hằng năm 8,5%",
      R("at_least", 8.5, aggregation="mean")),
    C("annual-average", "Thu nhập bình quân đầu người tăng bình quân 9%/năm", R("at_least", 9, aggregation="mean")),
    C("annual-average", "Mỗi năm bình quân trồng mới 500 ha rừng tập trung",
      R("at_least", 500, "ha", aggregation="mean")),
    C("annual-average", "Thu nhập bình quân đầu người năm 2025 đạt 85 triệu đồng/người/năm",
      R("at_least", 85, "triệu đồng/người/năm", aggregation="latest")),
    # ---------------------------------------------------------------- counts to add
    C("count", "Phát triển thêm 12 hợp tác xã nông nghiệp kiểu mới", R("at_least", 12, "hợp tác xã")),
    C("count", "Giải quyết việc làm mới cho 3.200 lao động", R("at_least", 3200, "lao động")),
    C("count", "Xây dựng thêm 06 nhà văn hóa thôn", units(R("at_least", 6, "nhà văn hóa"), "nhà văn hóa thôn")),
    C("count", "Có thêm 4 xã đạt chuẩn nông thôn mới nâng cao", R("at_least", 4, "xã")),
    # ---------------------------------------------------------------- fractions of units
    C("fraction", "11/11 xã, thị trấn có trạm y tế đạt chuẩn quốc gia", R("equal", 100)),
    C("fraction", "Phấn đấu 7/10 phường đạt chuẩn văn minh đô thị", R("at_least", 7, "phường")),
    C("fraction", "Duy trì 18/18 trường học đạt chuẩn xanh - sạch - đẹp", R("equal", 100)),
    # ---------------------------------------------------------------- shares of a named base
    C("share", "Số đảng viên được khen thưởng đạt 10%/tổng số đảng viên của đảng bộ", R("at_least", 10)),
    C("share", "Tỷ trọng ngành dịch vụ chiếm trên 48% trong cơ cấu kinh tế", R("more_than", 48)),
    C("share", "Lao động nữ chiếm ít nhất 40% tổng số lao động được đào tạo nghề", R("at_least", 40)),
    # ---------------------------------------------------------------- rating levels
    C("rating", "Có 85% trở lên số chi bộ được xếp loại hoàn thành tốt nhiệm vụ trở lên", R("at_least", 85)),
    C("rating", "Trên 90% cán bộ, công chức được đánh giá hoàn thành nhiệm vụ trở lên", R("more_than", 90)),
    C("rating", "Tỷ lệ chi hội xếp loại vững mạnh đạt 75% trở lên", R("at_least", 75)),
    C("rating", "100% tổ chức cơ sở đảng đạt hoàn thành nhiệm vụ trở lên, không có tổ chức yếu kém",
      R("equal", 100)),
    # ---------------------------------------------------------------- milestones
    C("milestone", "Hoàn thành quy hoạch chung xây dựng đô thị Đồng Mỏ đến năm 2035", MS()),
    C("milestone", "Không còn nhà tạm, nhà dột nát trên địa bàn huyện", MS()),
    C("milestone", "Xóa hết các điểm tập kết rác thải tự phát ven quốc lộ 1A", MS()),
    C("milestone", "Giữ vững và nâng cao chất lượng phổ cập giáo dục tiểu học mức độ 3", MS()),
    C("milestone", "Hoàn thành xây dựng và đưa vào sử dụng 02 cầu dân sinh",
      units(R("at_least", 2, "cầu"), "cầu dân sinh") + units(R("equal", 2, "cầu"), "cầu dân sinh")),
    # ---------------------------------------------------------------- sub-targets ("trong đó", "riêng")
    C("sub-target", "Tổng vốn đầu tư toàn xã hội đạt 5.200 tỷ đồng, trong đó vốn ngân sách nhà nước khoảng 1.100 tỷ đồng",
      R("at_least", 5200, "tỷ đồng", parent_index=None),
      R("approximately", 1100, "tỷ đồng", parent_index=0)),
    C("sub-target", "Tỷ lệ che phủ rừng đạt 65%; riêng rừng phòng hộ đầu nguồn đạt 22%",
      R("at_least", 65, parent_index=None), R("at_least", 22, parent_index=0)),
    C("sub-target", "Giải quyết việc làm cho 2.800 lao động, trong đó: xuất khẩu lao động 150 người",
      R("at_least", 2800, "lao động", parent_index=None),
      units(R("at_least", 150, "người", parent_index=0), "lao động")),
    # ---------------------------------------------------------------- term-long targets
    C("term", "Tổng vốn đầu tư toàn xã hội 5 năm (2021 - 2025) đạt trên 25.000 tỷ đồng",
      R("more_than", 25000, "tỷ đồng", aggregation="sum")),
    C("term", "Trong nhiệm kỳ, xây dựng mới 15 km đường giao thông nông thôn",
      R("at_least", 15, "km", aggregation="sum")),
    C("term", "Đến cuối nhiệm kỳ có 90% thôn, bản có đường ô tô đến trung tâm được cứng hóa",
      R("at_least", 90, aggregation="latest")),
    C("term", "Cả giai đoạn 2026 - 2030 tạo việc làm mới cho 15.000 lao động",
      R("at_least", 15000, "lao động", aggregation="sum")),
    # ---------------------------------------------------------------- number traps
    C("trap: '.' thousands", "Sản lượng chè búp tươi đạt 12.450 tấn", R("at_least", 12450, "tấn")),
    C("trap: ',' decimal", "Tỷ lệ hộ sử dụng điện an toàn đạt 99,65%", R("at_least", 99.65)),
    C("trap: '.' and ','", "Tổng thu ngân sách nhà nước đạt 2.345,8 tỷ đồng", R("at_least", 2345.8, "tỷ đồng")),
    C("trap: ',' thousands?", "Sản lượng cá nuôi đạt 2,150 tấn",
      [R("at_least", 2.15, "tấn"), R("at_least", 2150, "tấn")], unsure=True),
    C("trap: '.' thousands (many)", "Thu hút 1.250.000 lượt khách du lịch",
      units(R("at_least", 1250000, "lượt khách"), "lượt", "lượt khách du lịch")),
    C("trap: nghìn", "Giá trị sản xuất công nghiệp đạt 1,8 nghìn tỷ đồng",
      [R("at_least", 1.8, "nghìn tỷ đồng"), R("at_least", 1800, "tỷ đồng")]),
    C("trap: triệu", "Đón 2,3 triệu lượt khách tham quan",
      units(R("at_least", 2.3, "triệu lượt khách"), "triệu lượt")
      + units(R("at_least", 2300000, "lượt khách"), "lượt")),
    C("trap: tỷ", "Kim ngạch xuất khẩu hàng hóa đạt 1,2 tỷ USD", R("at_least", 1.2, "tỷ USD")),
    C("trap: glued unit", "Năng suất lúa đạt 62tạ/ha", R("at_least", 62, "tạ/ha")),
    C("trap: glued unit", "Trồng mới 1.200ha cây ăn quả", R("at_least", 1200, "ha")),
    C("trap: spaced unit", "Tỷ lệ che phủ rừng ổn định ở mức 58 %", R("at_least", 58)),
    C("trap: leading zero", "Xây dựng 03 tuyến phố văn minh", units(R("at_least", 3, "tuyến phố"), "tuyến")),
    C("trap: per-mille ‰", "Tỷ suất sinh thô giảm 0,2‰", R("at_least", 0.2, "‰")),
    C("trap: per-mille 0/00", "Tỷ lệ tăng dân số tự nhiên giữ ở mức dưới 12 0/00", R("less_than", 12, "‰")),
    C("trap: ƣ", "Tỷ lệ ngƣời dân tham gia bảo hiểm y tế đạt 95,2%", R("at_least", 95.2)),
    C("trap: ƣ", "Tốc độ tăng trƣởng kinh tế đạt trên 7%", R("more_than", 7)),
    C("trap: ƣ in unit", "Số lao động đƣợc đào tạo nghề trong năm là 1.500 ngƣời", R("at_least", 1500, "người")),
    C("trap: age", "Tỷ lệ huy động trẻ 5 tuổi ra lớp đạt 99,5%", R("at_least", 99.5)),
    # ---------------------------------------------------------------- unsure: a careful human would ask
    C("unsure", "Giảm 3% hộ cận nghèo", R("at_least", 3), unsure=True),
    C("unsure", "Tỷ lệ trẻ em suy dinh dưỡng giảm 0,7%",
      [R("at_least", 0.7), R("change", -0.7, change_basis="percentage_points"),
       R("change", -0.7, change_basis="relative_percent")], unsure=True),
    # issue 11 changed the convention: "tăng X lần" is a change by a factor (was at_least 1.3 "lần")
    C("unsure", "Giá trị sản xuất nông nghiệp tăng 1,3 lần",
      R("change", 1.3, "", change_basis="factor", baseline_value=None), unsure=True),
    C("unsure", "Tỷ lệ lao động không có việc làm 2,5%", [R("at_most", 2.5), R("less_than", 2.5)], unsure=True),
    C("no target", "Phấn đấu thu ngân sách vượt dự toán tỉnh giao", no_target=True, unsure=True),
    C("no target", "Tiếp tục thực hiện có hiệu quả Nghị quyết số 05-NQ/HU ngày 15/3/2021 của Ban Chấp hành Đảng bộ huyện",
      no_target=True),
]
