"""Issue 11 regression set: new clauses for each family of misses the issue names.

Written for issue 11 BEFORE any change to the parser for that issue (2026-11-28), from the
issue's list of miss families and the domain page; the outside held-out set the issue
measured was not looked for. These clauses are NOT held out: the parser was then changed
in their light. They stay as a regression set (tests/exchange/test_parser_issue11.py).

Families:
- unit:       units lost or swallowed ("32 giường/1 vạn dân" is "giường/vạn dân";
              "3 huyện" has the unit "huyện"; "25 km đường" is 25 "km", the road is the thing
              measured); controls whose units were already read right.
- magnitude:  a magnitude word scales a count or a physical quantity ("3,5 vạn tấn" is 35 000
              "tấn"; "1,05 triệu người" 1 050 000 "người"); money keeps its unit as written
              ("70 triệu đồng", "1.250 tỷ đồng", "2,3 tỷ USD").
- factor:     "tăng X lần", "gấp X lần" (so với năm ...) is a change by a factor: comparison
              `change`, change_basis `factor`, value X; the baseline is the level of the year
              named, absent from the text (baseline_value None) unless the level reached is
              given ("tăng 1,5 lần (đạt 3.000 tỷ đồng)": baseline 2 000). "giảm 2 lần" is
              factor 0.5, lower is better. The level's unit is the indicator's, not "lần".
- level:      "giảm còn X", "giảm xuống còn X", "giảm còn dưới X" state the level to reach
              (less_than X, lower is better), "tăng lên đạt X" / "tăng lên X" a floor: no
              `change` alternatives (checked: `alternatives == []`).
- cut:        controls: "giảm N%" of a group is still the size of the cut (at_least N, as the
              seed plan reads "Giảm 10% hộ nghèo"), flagged.
- no_target:  sentences that state no target: votes, meeting facts, last year's results,
              estimates of results, dates of entry into force: no draft.
"""

from __future__ import annotations

from tests.exchange.heldout_clauses import Case

H = "higher_is_better"
L = "lower_is_better"


def R(comparison: str, value: float | None = None, unit: str | None = None, direction: str | None = None,
      **more) -> dict:
    """One accepted reading; only the fields given are checked."""
    reading: dict = {"comparison": comparison}
    if value is not None:
        reading["value"] = value
    if unit is not None:
        reading["unit"] = unit
    if direction is not None:
        reading["direction"] = direction
    reading.update(more)
    return reading


def F(value: float, unit: str = "", direction: str = H, baseline: float | None = None) -> dict:
    """A change by a factor."""
    return R("change", value, unit, direction, change_basis="factor", baseline_value=baseline)


def C(family: str, text: str, *slots, unsure: bool = False) -> Case:
    return Case(family=family, text=text, drafts=[s if isinstance(s, list) else [s] for s in slots], unsure=unsure)


def NONE(family: str, text: str) -> Case:
    return Case(family=family, text=text, drafts=[], no_target=True)


CASES: list[Case] = [
    # ---- units lost or swallowed
    C("unit:per 1 vạn dân", "Số giường bệnh đạt 32 giường/1 vạn dân.", R("at_least", 32, "giường/vạn dân", H)),
    C("unit:per 1 vạn dân", "Phấn đấu đạt 12 bác sĩ/1 vạn dân.", R("at_least", 12, "bác sĩ/vạn dân", H)),
    C("unit:per vạn dân", "Số giường bệnh trên vạn dân đạt trên 30 giường.", R("more_than", 30, "giường", H)),
    C("unit:huyện", "Có ít nhất 3 huyện đạt chuẩn nông thôn mới.", R("at_least", 3, "huyện", H)),
    C("unit:huyện", "Phấn đấu có thêm 2 huyện được công nhận hoàn thành nhiệm vụ xây dựng nông thôn mới.",
      R("at_least", 2, "huyện", H)),
    C("unit:km đường", "Cứng hóa 25 km đường giao thông nông thôn.", R("at_least", 25, "km", H)),
    C("unit:km đường", "Xây dựng mới ít nhất 12 km đường trục xã, liên xã.", R("at_least", 12, "km", H)),
    C("unit:bệnh viện", "Có 2 bệnh viện tuyến huyện đạt tiêu chuẩn hạng II.", R("at_least", 2, "bệnh viện", H)),
    C("unit:trạm", "Xây dựng 4 trạm y tế xã đạt chuẩn quốc gia.", [R("at_least", 4, "trạm", H),
                                                                  R("at_least", 4, "trạm y tế", H)]),
    C("unit:chợ", "Nâng cấp 3 chợ nông thôn.", R("at_least", 3, "chợ", H)),
    C("unit:sản phẩm, star trap", "Có thêm 15 sản phẩm đạt chuẩn OCOP từ 3 sao trở lên.",
      R("at_least", 15, "sản phẩm", H)),
    C("unit:control ha", "Trồng mới 1.500 ha rừng tập trung.", R("at_least", 1500, "ha", H)),
    C("unit:control người/km2", "Mật độ dân số khu vực nội thị đạt 1.200 người/km2.",
      R("at_least", 1200, "người/km2", H)),
    C("unit:control tạ/ha", "Năng suất lúa bình quân đạt 58 tạ/ha.", R("at_least", 58, "tạ/ha", H)),
    C("unit:control xã", "Có thêm 3 xã đạt chuẩn nông thôn mới nâng cao.", R("at_least", 3, "xã", H)),
    C("unit:control đảng viên", "Kết nạp ít nhất 250 đảng viên mới.", R("at_least", 250, "đảng viên", H)),

    # ---- magnitude words: scale counts and quantities, money keeps its unit
    C("magnitude:vạn tấn", "Sản lượng thủy sản đạt 3,5 vạn tấn.", R("at_least", 35000, "tấn", H)),
    C("magnitude:vạn tấn", "Sản lượng lương thực có hạt đạt trên 12 vạn tấn.", R("more_than", 120000, "tấn", H)),
    C("magnitude:triệu người", "Dân số trung bình của tỉnh đạt 1,05 triệu người.", R("at_least", 1050000, "người", H)),
    C("magnitude:nghìn lượt khách", "Đón 1.200 nghìn lượt khách du lịch.", R("at_least", 1200000, "lượt khách", H)),
    C("magnitude:triệu lượt khách", "Thu hút khoảng 2,5 triệu lượt khách du lịch.",
      R("approximately", 2500000, "lượt khách", H)),
    C("magnitude:nghìn ha", "Trồng mới 1,2 nghìn ha rừng sản xuất.", R("at_least", 1200, "ha", H)),
    C("magnitude:nghìn lao động", "Giải quyết việc làm mới cho 3,2 nghìn lao động.", R("at_least", 3200, "lao động", H)),
    C("magnitude:vạn con", "Tổng đàn gia súc đạt 2,1 vạn con.", R("at_least", 21000, "con", H)),
    C("magnitude:money triệu đồng", "Thu nhập bình quân đầu người đạt 70 triệu đồng.",
      R("at_least", 70, "triệu đồng", H)),
    C("magnitude:money tỷ đồng", "Thu ngân sách nhà nước trên địa bàn đạt 1.250 tỷ đồng.",
      R("at_least", 1250, "tỷ đồng", H)),
    C("magnitude:money tỷ USD", "Kim ngạch xuất khẩu đạt 2,3 tỷ USD.", R("at_least", 2.3, "tỷ USD", H)),
    C("magnitude:money nghìn tỷ", "Tổng vốn đầu tư toàn xã hội giai đoạn 2021 - 2025 đạt 45 nghìn tỷ đồng.",
      R("at_least", 45, "nghìn tỷ đồng", H)),

    # ---- change by a factor
    C("factor:tăng lần so với", "Giá trị sản xuất công nghiệp tăng 1,6 lần so với năm 2020.", F(1.6)),
    C("factor:gấp lần", "Thu nhập bình quân đầu người năm 2025 gấp 2 lần năm 2020.", F(2)),
    C("factor:tăng gấp", "Kim ngạch xuất khẩu tăng gấp 1,5 lần so với năm 2020.", F(1.5)),
    C("factor:đầu nhiệm kỳ", "Số doanh nghiệp đang hoạt động tăng 2 lần so với đầu nhiệm kỳ.", F(2)),
    C("factor:1 ha trap", "Giá trị sản phẩm thu được trên 1 ha đất canh tác tăng 1,3 lần so với năm 2020.", F(1.3)),
    C("factor:level given", "Thu ngân sách tăng 1,5 lần (đạt 3.000 tỷ đồng).", F(1.5, "tỷ đồng", H, 2000)),
    C("factor:giảm lần", "Số hộ nghèo giảm 2 lần so với năm 2020.", F(0.5, "", L)),

    # ---- a level reached, not a cut
    C("level:giảm còn dưới", "Tỷ lệ hộ nghèo giảm còn dưới 2%.", R("less_than", 2, "%", L, alternatives=[])),
    C("level:giảm còn", "Tỷ lệ thất nghiệp ở khu vực thành thị giảm còn 3%.",
      R("less_than", 3, "%", L, alternatives=[])),
    C("level:giảm xuống còn", "Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng thể nhẹ cân giảm xuống còn 8,5%.",
      R("less_than", 8.5, "%", L, alternatives=[])),
    C("level:giảm xuống dưới", "Số vụ tai nạn giao thông giảm xuống dưới 40 vụ.",
      R("less_than", 40, "vụ", L, alternatives=[])),
    C("level:giảm còn dưới, verb first", "Giảm tỷ lệ hộ cận nghèo còn dưới 4%.",
      R("less_than", 4, "%", L, alternatives=[])),
    C("level:tăng lên đạt", "Tỷ lệ đô thị hóa tăng lên đạt 45%.", R("at_least", 45, "%", H, alternatives=[])),
    C("level:tăng lên", "Tỷ lệ lao động qua đào tạo tăng lên 75%.", R("at_least", 75, "%", H, alternatives=[])),
    C("level:từ xuống còn", "Tỷ lệ hộ nghèo đa chiều giảm từ 4,2% xuống còn 2,5%.",
      [R("less_than", 2.5, "%", L), R("change", -1.7, "%", L, change_basis="percentage_points", baseline_value=4.2)]),

    # ---- cuts (controls): the size of the cut, flagged
    C("cut:giảm N% group", "Giảm 15% số vụ tai nạn giao thông.", R("at_least", 15, "%", H), unsure=True),
    C("cut:giảm N% rate", "Tỷ lệ hộ nghèo giảm 1,5%.", R("at_least", 1.5, "%", H), unsure=True),

    # ---- sentences that state no target
    NONE("no_target:vote", "Tại kỳ họp, 100% đại biểu có mặt đã biểu quyết tán thành."),
    NONE("no_target:vote", "Nghị quyết được thông qua với 48/50 đại biểu tán thành."),
    NONE("no_target:meeting", "Hội nghị có 52 đại biểu được triệu tập, có mặt 50 đồng chí."),
    NONE("no_target:entry into force", "Nghị quyết có hiệu lực thi hành kể từ ngày 01 tháng 01 năm 2025."),
    NONE("no_target:entry into force", "Nghị quyết này có hiệu lực từ ngày 10/12/2024."),
    NONE("no_target:last year", "Năm 2023, tốc độ tăng trưởng kinh tế ước đạt 7,2%."),
    NONE("no_target:last year", "Kết quả thực hiện năm 2023: thu ngân sách đạt 1.150 tỷ đồng, bằng 112% dự toán."),
    NONE("no_target:last year", "Năm qua, toàn huyện đã giảm được 320 hộ nghèo."),
    NONE("no_target:last year", "Trong năm 2023 đã kết nạp 215 đảng viên mới."),
    NONE("no_target:last year", "Năm 2023 có 24/25 chỉ tiêu chủ yếu đạt và vượt kế hoạch."),

    # ---- targets that look like the above (controls)
    C("control:target year", "Phấn đấu năm 2025 thu ngân sách đạt 1.500 tỷ đồng.", R("at_least", 1500, "tỷ đồng", H)),
    C("control:target year", "Đến năm 2025, tỷ lệ đô thị hóa đạt 40%.", R("at_least", 40, "%", H)),
    C("control:100%", "Phấn đấu 100% thôn, bản có đường ô tô đến trung tâm.", R("equal", 100, "%", H)),
]
