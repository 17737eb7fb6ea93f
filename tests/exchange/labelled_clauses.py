"""Labelled clauses for the parser: invented, realistic Vietnamese target sentences.

Each case is (family, text, [expected drafts]). An expected draft names the fields
that must match exactly; fields not named are not checked. `D(...)` fills in the
direction the rules give (ceilings lower, everything else higher) unless told.

DEVELOPMENT holds the cases written together with the rules. HELD_OUT was written
after the rules were frozen and run once before any fix (see test_parser.py).
Issue 11 changed two conventions and the cases that state them (marked "issue 11"): a
magnitude word scales a count or a quantity ("2 vạn cây" is 20,000 "cây"; money keeps
"triệu/tỷ đồng"), and "tăng X lần so với ..." is a change by a factor (change_basis
"factor", value X, no baseline in the text).
"""

from __future__ import annotations

import unicodedata

H, L = "higher_is_better", "lower_is_better"
KT, DT, VX, MT, AN, XD = "kinh tế", "đô thị", "văn hóa - xã hội", "môi trường", "quốc phòng - an ninh", "xây dựng Đảng"


def D(comparison, value=None, unit="%", *, low=None, high=None, d=None, **extra):
    """An expected draft."""
    if d is None:
        d = L if comparison in ("at_most", "less_than") or (comparison == "change" and (value or 0) < 0) else H
    out = {"comparison": comparison, "unit": unit, "direction": d}
    if comparison == "between":
        out.update(low=low, high=high)
    elif comparison != "milestone":
        out["value"] = value
    out.update(extra)
    return out


def M(**extra):
    """An expected milestone."""
    return {"comparison": "milestone", "unit": "", "direction": H, **extra}


DEVELOPMENT = [
    # ---- at_least
    ("at_least", "Tỷ lệ hộ dân sử dụng nước sạch đạt 98% trở lên", [D("at_least", 98, category=MT)]),
    ("at_least", "Tỷ lệ lao động qua đào tạo đạt ít nhất 70%", [D("at_least", 70, category=VX)]),
    ("at_least", "Tỷ lệ che phủ rừng tối thiểu 62%", [D("at_least", 62, category=MT)]),
    ("at_least", "Tỷ lệ thu gom rác thải sinh hoạt không thấp hơn 90%", [D("at_least", 90, category=MT)]),
    ("at_least", "Thu nhập bình quân đầu người đạt 60 triệu đồng/người/năm",
     [D("at_least", 60, "triệu đồng/người/năm", category=KT, aggregation="latest",
        title="Thu nhập bình quân đầu người")]),
    ("at_least", "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ không dưới 95%", [D("at_least", 95, category=VX)]),
    ("at_least", "Số bác sĩ đạt 10 bác sĩ/vạn dân", [D("at_least", 10, "bác sĩ/vạn dân", category=VX)]),
    ("at_least", "Tỷ lệ dân số tham gia bảo hiểm y tế đạt từ 95% trở lên", [D("at_least", 95, category=VX)]),
    ("at_least", "Xây dựng 04 mô hình kinh tế tập thể",
     [D("at_least", 4, "mô hình", category=KT, title="Số mô hình kinh tế tập thể được xây dựng")]),
    ("at_least", "Tỷ lệ xã đạt chuẩn nông thôn mới ≥ 80%", [D("at_least", 80)]),
    ("at_least", "Mỗi xã có ít nhất 01 mô hình sản xuất hiệu quả",
     [D("at_least", 1, "mô hình", title="Số mô hình sản xuất hiệu quả mỗi xã")]),
    ("at_least", "Tỷ lệ phụ nữ tham gia cấp ủy từ 15% trở lên", [D("at_least", 15, category=XD)]),
    # ---- more_than
    ("more_than", "Tổng vốn đầu tư toàn xã hội đạt trên 6.000 tỷ đồng",
     [D("more_than", 6000, "tỷ đồng", category=KT, aggregation="sum")]),
    ("more_than", "Đón hơn 1,2 triệu lượt khách du lịch",
     [D("more_than", 1_200_000, "lượt khách", category=KT, title="Số lượt khách du lịch được đón")]),  # issue 11: scaled
    ("more_than", "Kim ngạch xuất khẩu qua địa bàn đạt trên 500 triệu USD", [D("more_than", 500, "triệu USD", category=KT)]),
    ("more_than", "Có trên 80% thôn, bản có nhà văn hóa", [D("more_than", 80, category=VX)]),
    ("more_than", "Tốc độ tăng thu ngân sách cao hơn 10%", [D("more_than", 10, category=KT)]),
    # ---- at_most
    ("at_most", "Tỷ lệ hộ nghèo không quá 1,5%", [D("at_most", 1.5, category=VX)]),
    ("at_most", "Bội chi ngân sách địa phương không vượt quá 3% GRDP", [D("at_most", 3, category=KT)]),
    ("at_most", "Tỷ lệ nợ xấu thấp hơn hoặc bằng 3%", [D("at_most", 3)]),
    ("at_most", "Tỷ lệ sinh con thứ 3 trở lên tối đa 5%", [D("at_most", 5, category=VX)]),
    ("at_most", "Tỷ lệ thất nghiệp ở khu vực thành thị từ 3% trở xuống", [D("at_most", 3, category=VX)]),
    ("at_most", "Chi thường xuyên tăng không quá 5%", [D("at_most", 5)]),
    # ---- less_than
    ("less_than", "Tỷ lệ hộ nghèo giảm xuống còn 2,5%", [D("less_than", 2.5, category=VX, title="Tỷ lệ hộ nghèo")]),
    ("less_than", "Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng thể thấp còi còn dưới 12%",
     [D("less_than", 12, category=VX, title="Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng thể thấp còi")]),
    ("less_than", "Tỷ lệ hộ nghèo còn 2,5% (năm 2020: 4,1%)", [D("less_than", 2.5, title="Tỷ lệ hộ nghèo")]),
    ("less_than", "Tỷ lệ hộ cận nghèo còn dưới 3%", [D("less_than", 3, category=VX)]),
    ("less_than", "Số vụ tai nạn giao thông dưới 20 vụ", [D("less_than", 20, "vụ", category=AN)]),
    ("less_than", "Tỷ suất chết của trẻ em dưới 1 tuổi ở mức dưới 10‰", [D("less_than", 10, "‰", category=VX)]),
    ("less_than", "Giảm tỷ lệ hộ nghèo từ 5,2% xuống còn 3%", [D("less_than", 3, title="Tỷ lệ hộ nghèo")]),
    # ---- between
    ("between", "Tốc độ tăng trưởng kinh tế (GRDP) đạt 7,5 – 8%", [D("between", low=7.5, high=8, category=KT)]),
    ("between", "Tốc độ tăng trưởng kinh tế đạt 7-8%", [D("between", low=7, high=8, category=KT)]),
    ("between", "Tốc độ tăng tổng sản phẩm từ 8,5 đến 9%", [D("between", low=8.5, high=9, category=KT)]),
    ("between", "Tỷ lệ đô thị hóa đạt 35—40%", [D("between", low=35, high=40, category=DT)]),
    ("between", "Thu ngân sách trên địa bàn đạt từ 1.200 đến 1.300 tỷ đồng",
     [D("between", low=1200, high=1300, unit="tỷ đồng", category=KT, aggregation="sum")]),
    ("between", "Tốc độ tăng trưởng bình quân hằng năm từ 8,5 – 9% trở lên",
     [D("between", low=8.5, high=9, aggregation="mean", warned=True)]),
    ("between", "Năng suất lúa bình quân đạt 55 ÷ 57 tạ/ha", [D("between", low=55, high=57, unit="tạ/ha", category=KT)]),
    ("between", "Giá trị sản xuất công nghiệp tăng 12–14%",
     [D("between", low=12, high=14, category=KT, title="Tốc độ tăng giá trị sản xuất công nghiệp")]),
    # ---- approximately
    ("approximately", "Tổng sản lượng lương thực đạt khoảng 45.000 tấn",
     [D("approximately", 45000, "tấn", category=KT, aggregation="sum")]),
    ("approximately", "Dân số trung bình khoảng 1,1 triệu người", [D("approximately", 1_100_000, "người", category=VX)]),  # issue 11: scaled
    ("approximately", "Tỷ lệ dân số đô thị đạt khoản 40%", [D("approximately", 40, category=DT)]),
    ("approximately", "Diện tích trồng rau xấp xỉ 1.500 ha", [D("approximately", 1500, "ha", category=KT)]),
    # ---- equal
    ("equal", "100% xã đạt chuẩn quốc gia về y tế", [D("equal", 100, category=VX, title="Tỷ lệ xã đạt chuẩn quốc gia về y tế")]),
    ("equal", "Hoàn thành 100% chỉ tiêu giao quân", [D("equal", 100, category=AN)]),
    ("equal", "Hoàn thành 100% kế hoạch thu ngân sách",
     [D("equal", 100, category=KT, title="Tỷ lệ hoàn thành kế hoạch thu ngân sách")]),
    ("equal", "Đạt 100% chỉ tiêu kế hoạch tỉnh giao", [D("equal", 100, title="Tỷ lệ thực hiện chỉ tiêu kế hoạch tỉnh giao")]),
    ("equal", "8/8 xã đạt chuẩn nông thôn mới", [D("equal", 100, title="Tỷ lệ xã đạt chuẩn nông thôn mới")]),
    ("equal", "Phấn đấu 12/12 trường học đạt chuẩn quốc gia", [D("equal", 100, category=VX)]),
    ("at_least", "Có 6/8 xã đạt chuẩn nông thôn mới kiểu mẫu", [D("at_least", 6, "xã")]),
    # ---- change: explicit baseline, points, times; bare changes (the seed's way)
    ("change", "Tỷ lệ hộ nghèo giảm 1,5% (còn 3,2%)",
     [D("change", -1.5, change_basis="percentage_points", baseline_value=4.7, warned=True, title="Tỷ lệ hộ nghèo")]),
    ("change", "Số hộ nghèo giảm 120 hộ (còn 380 hộ)",
     [D("change", -120, "hộ", change_basis="absolute", baseline_value=500)]),
    ("change", "Số hộ nghèo giảm 10%, còn 900 hộ",
     [D("change", -10, "hộ", change_basis="relative_percent", baseline_value=1000)]),
    ("change", "Tỷ lệ hộ nghèo giảm 2 điểm phần trăm",
     [D("at_least", 2, "điểm phần trăm", title="Mức giảm tỷ lệ hộ nghèo")]),
    ("change", "Tỷ lệ hộ nghèo bình quân mỗi năm giảm 1,5 điểm %",
     [D("at_least", 1.5, "điểm phần trăm", aggregation="mean", warned=True)]),
    ("change", "Thu nhập bình quân đầu người tăng 1,5 lần so với năm 2020",
     [D("change", 1.5, "", warned=True, change_basis="factor", baseline_value=None,  # issue 11: by a factor
        title="Thu nhập bình quân đầu người so với năm 2020")]),
    ("change", "Giảm 10% hộ nghèo", [D("at_least", 10, warned=True, category=VX, title="Tỷ lệ giảm hộ nghèo")]),
    ("change", "Giảm 500 hộ nghèo", [D("at_least", 500, "hộ", category=VX, title="Mức giảm hộ nghèo")]),
    ("change", "Tổng thu ngân sách tăng 15% so với năm 2023",
     [D("at_least", 15, category=KT, title="Tốc độ tăng tổng thu ngân sách so với năm 2023")]),
    ("change", "Kim ngạch xuất khẩu tăng bình quân 10%/năm",
     [D("at_least", 10, category=KT, aggregation="mean", warned=True)]),
    ("change", "Tỷ lệ hộ nghèo giảm 1,5%", [D("at_least", 1.5, warned=True)]),
    ("change", "Thu ngân sách tăng khoảng 5%", [D("approximately", 5, category=KT, title="Tốc độ tăng thu ngân sách")]),
    # ---- milestones
    ("milestone", "Hoàn thành hồ sơ đề nghị công nhận thành phố Lạng Sơn là đô thị loại II", [M(category=DT)]),
    ("milestone", "Không còn hộ đói", [M(category=VX)]),
    ("milestone", "Xóa 100% nhà tạm, nhà dột nát", [M(category=VX)]),
    ("milestone", "Giữ vững danh hiệu đơn vị văn hóa", [M(category=VX)]),
    ("milestone", "Giữ vững ổn định chính trị, trật tự an toàn xã hội", [M(category=AN)]),
    ("milestone", "Hoàn thành xây dựng nông thôn mới kiểu mẫu tại xã Mai Pha trước năm 2025", [M()]),
    # ---- rating levels
    ("rating", "Trên 65% tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên",
     [D("more_than", 65, category=XD, title="Tỷ lệ tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên")]),
    ("rating", "Hằng năm có từ 80% đảng viên trở lên hoàn thành tốt nhiệm vụ", [D("at_least", 80, category=XD)]),
    ("rating", "90% chi bộ đạt trong sạch, vững mạnh", [D("at_least", 90, category=XD)]),
    ("rating", "Hằng năm có 15% trở lên/tổng số chi bộ được xếp loại hoàn thành xuất sắc nhiệm vụ",
     [D("at_least", 15, category=XD, title="Tỷ lệ chi bộ được xếp loại hoàn thành xuất sắc nhiệm vụ")]),
    ("rating", "100% cơ quan, đơn vị được đánh giá đạt khá trở lên", [D("equal", 100)]),
    ("rating", "Kết nạp từ 150 đảng viên mới trở lên",
     [D("at_least", 150, "đảng viên", category=XD, title="Số đảng viên mới được kết nạp")]),
    ("rating", "Tỷ lệ đoàn viên, hội viên được tập hợp vào Mặt trận và các đoàn thể đạt 85%",
     [D("at_least", 85, category=XD)]),
    # ---- number traps
    ("trap", "Sản lượng thủy sản đạt 3,098 tấn", [D("at_least", 3.098, "tấn", ambiguous=(3.098, 3098.0))]),
    ("trap", "Doanh thu du lịch đạt 654.1 tỷ đồng", [D("at_least", 654.1, "tỷ đồng", category=KT)]),
    ("trap", "Tổng vốn huy động đạt 1.536,246 tỷ đồng", [D("at_least", 1536.246, "tỷ đồng")]),
    ("trap", "Năng suất rau đạt 140tạ/ha", [D("at_least", 140, "tạ/ha", category=KT)]),
    ("trap", "Tỷ lệ hộ sử dụng điện lưới quốc gia đạt 99,5 %", [D("at_least", 99.5)]),
    ("trap", "Tỷ lệ hộ sử dụng nƣớc sạch đạt 98%",
     [D("at_least", 98, category=MT, title="Tỷ lệ hộ sử dụng nước sạch")]),
    ("trap", "Tỷ lệ tăng dân số tự nhiên ở mức dưới 11%o", [D("less_than", 11, "‰", category=VX)]),
    ("trap", "Mức giảm tỷ suất sinh đạt 0,5 0/00", [D("at_least", 0.5, "‰", category=VX)]),
    ("trap", "Sản lượng rau đạt trên 9.720\u00a0tấn", [D("more_than", 9720, "tấn", category=KT)]),
    ("trap", unicodedata.normalize("NFD", "Tỷ lệ giải quyết đơn thư đạt 90% trở lên"),
     [D("at_least", 90, category=VX, title="Tỷ lệ giải quyết đơn thư")]),
    ("trap", "Tỷ lệ dân số đô thị đạt 35 – 40%", [D("between", low=35, high=40, category=DT)]),
    ("trap", "Thu nhập bình quân đầu người đạt 3.500 USD", [D("at_least", 3500, "USD", category=KT)]),
    ("trap", "Tổng mức đầu tư các dự án trọng điểm khoảng 2 nghìn tỷ đồng",
     [D("approximately", 2, "nghìn tỷ đồng", category=KT)]),
    ("trap", "Trồng mới 2 vạn cây xanh", [D("at_least", 20_000, "cây", category=MT, title="Số cây xanh được trồng mới")]),  # issue 11
    ("trap", "Thành lập mới 05 hợp tác xã", [D("at_least", 5, "hợp tác xã", category=KT)]),
    ("trap", "Tỷ lệ bao phủ bảo hiểm y tế đạt trên 95 phần trăm", [D("more_than", 95, category=VX)]),
    ("trap", "Tỷ lệ tiêm chủng mở rộng đạt 96,500%", [D("at_least", 96.5)]),
    ("trap", "Tỉ lệ hộ gia đình đạt danh hiệu gia đình văn hóa đạt 85%", [D("at_least", 85, category=VX)]),
    # ---- aggregation over a term
    ("aggregation", "Tốc độ tăng trưởng kinh tế bình quân hằng năm đạt 7% trở lên",
     [D("at_least", 7, category=KT, aggregation="mean", warned=True)]),
    ("aggregation", "Tổng vốn đầu tư toàn xã hội giai đoạn 2021–2025 đạt khoảng 50.000 tỷ đồng",
     [D("approximately", 50000, "tỷ đồng", category=KT, aggregation="sum", warned=True)]),
    ("aggregation", "Giải quyết việc làm mới cho 4.000 lao động trở lên trong 5 năm",
     [D("at_least", 4000, "lao động", category=VX, aggregation="sum", warned=True,
        title="Số lao động được giải quyết việc làm mới")]),
    # ---- sub-targets
    ("sub-target", "Tỷ lệ lao động qua đào tạo đạt 70%, trong đó có bằng cấp, chứng chỉ đạt 30%",
     [D("at_least", 70, category=VX), D("at_least", 30, category=VX, parent_index=0)]),
    ("sub-target", "Tổng sản lượng lương thực đạt 5.000 tấn; riêng sản lượng lúa đạt 3.500 tấn",
     [D("at_least", 5000, "tấn", category=KT), D("at_least", 3500, "tấn", parent_index=0, title="Sản lượng lúa")]),
    ("sub-target", "Tỷ lệ lao động qua đào tạo đạt 75%, trong đó: có bằng cấp, chứng chỉ đạt 35%",
     [D("at_least", 75), D("at_least", 35, parent_index=0)]),
    # ---- joins
    ("join", "Tỷ lệ hộ nghèo giảm còn 2% và tỷ lệ lao động qua đào tạo đạt 75%",
     [D("less_than", 2, category=VX), D("at_least", 75, category=VX)]),
    ("join", "Tỷ lệ chất thải rắn được thu gom và xử lý đạt 95%", [D("at_least", 95, category=MT)]),
    ("join", "Tốc độ tăng trưởng kinh tế đạt 7,5%, thu nhập bình quân đầu người đạt 65 triệu đồng",
     [D("at_least", 7.5, category=KT), D("at_least", 65, "triệu đồng", category=KT)]),
    # ---- bare figures for indicators where lower is better
    ("ceiling", "Tỷ lệ hộ nghèo cuối năm 1,8%", [D("at_most", 1.8, warned=True)]),
    ("label", "Tốc độ tăng trưởng kinh tế: 7 – 8%", [D("between", low=7, high=8, category=KT)]),
]

HELD_OUT = [
    ("aggregation", "Tốc độ tăng trưởng kinh tế bình quân giai đoạn 2021 - 2025 đạt từ 7% trở lên",
     [D("at_least", 7, category=KT, aggregation="mean", warned=True)]),
    ("change", "Tỷ lệ hộ nghèo theo chuẩn đa chiều giảm bình quân 1,5%/năm",
     [D("at_least", 1.5, category=VX, aggregation="mean", warned=True)]),
    ("at_least", "Thu ngân sách nhà nước trên địa bàn năm 2025 đạt 2.500 tỷ đồng",
     [D("at_least", 2500, "tỷ đồng", category=KT, aggregation="sum")]),
    ("at_least", "Tỷ lệ trường học đạt chuẩn quốc gia đạt 75% trở lên", [D("at_least", 75, category=VX)]),
    ("at_least", "Có ít nhất 3 sản phẩm đạt chuẩn OCOP 3 sao trở lên", [D("at_least", 3, "sản phẩm", category=KT)]),
    ("at_least", "Tỷ lệ hộ gia đình được sử dụng nước hợp vệ sinh đạt 99%", [D("at_least", 99, category=MT)]),
    ("less_than", "Giảm tỷ lệ sinh con thứ ba trở lên xuống dưới 10%", [D("less_than", 10, category=VX)]),
    ("approximately", "Mỗi năm tạo việc làm mới cho khoảng 2.500 lao động",
     [D("approximately", 2500, "lao động", category=VX, aggregation="sum")]),
    ("more_than", "Tỷ lệ tội phạm hình sự được điều tra, khám phá đạt trên 75%", [D("more_than", 75, category=AN)]),
    ("equal", "Tuyển quân đạt 100% chỉ tiêu trên giao", [D("equal", 100, category=AN)]),
    ("at_least", "Kết nạp mới ít nhất 200 đảng viên", [D("at_least", 200, "đảng viên", category=XD)]),
    ("equal", "Tỷ lệ chi bộ, đảng bộ cơ sở được kiểm tra, giám sát đạt 100%", [D("equal", 100, category=XD)]),
    ("at_least", "Mật độ dân số đô thị không thấp hơn 4.000 người/km2", [D("at_least", 4000, "người/km2", category=DT)]),
    ("more_than", "Diện tích lúa chất lượng cao đạt trên 1.200 ha", [D("more_than", 1200, "ha", category=KT)]),
    ("rating", "Tỷ lệ tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên đạt 80%", [D("at_least", 80, category=XD)]),
    ("more_than", "Trên 95% thôn, khu phố đạt danh hiệu văn hóa", [D("more_than", 95, category=VX)]),
    ("trap", "Giá trị sản phẩm thu được trên 1 ha đất trồng trọt đạt 120 triệu đồng",
     [D("at_least", 120, "triệu đồng", category=KT)]),
    ("equal", "Tỷ lệ thu gom, xử lý chất thải rắn y tế đạt 100%", [D("equal", 100, category=MT)]),
    ("less_than", "Tỷ lệ lao động nông nghiệp trong tổng số lao động xã hội giảm xuống còn 35%", [D("less_than", 35)]),
    ("between", "Phấn đấu thu hút từ 2 - 3 dự án đầu tư", [D("between", low=2, high=3, unit="dự án", category=KT)]),
    ("change", "Hàng năm giảm từ 1,5 đến 2% tỷ lệ hộ nghèo", [D("between", low=1.5, high=2, warned=True)]),
    ("equal", "Tỷ lệ cán bộ, công chức cấp xã đạt chuẩn 100%", [D("equal", 100, category=XD)]),
    ("change", "Số người tham gia bảo hiểm xã hội tăng thêm 3.000 người", [D("at_least", 3000, "người", category=VX)]),
    ("at_least", "Đến năm 2025, tỷ lệ đô thị hóa đạt 45%", [D("at_least", 45, category=DT)]),
    ("more_than", "Tỷ lệ người dân hài lòng với dịch vụ y tế đạt trên 85%", [D("more_than", 85, category=VX)]),
    ("more_than", "Tổng sản lượng lương thực có hạt ổn định trên 40 nghìn tấn",
     [D("more_than", 40_000, "tấn", category=KT, aggregation="sum")]),  # issue 11: scaled
    ("less_than", "Tỷ lệ đảng viên bị xử lý kỷ luật dưới 1%", [D("less_than", 1, category=XD)]),
    ("at_least", "Tỷ lệ đường giao thông nông thôn được cứng hóa đạt 90%", [D("at_least", 90, category=DT)]),
    ("milestone", "Hoàn thành việc cấp giấy chứng nhận quyền sử dụng đất lần đầu", [M()]),
    ("milestone", "Không để xảy ra cháy rừng trên diện rộng", [M()]),
    ("change", "Tỷ lệ hộ nghèo giảm 0,5 - 1%/năm", [D("between", low=0.5, high=1, aggregation="mean", warned=True)]),
    ("change", "Doanh thu từ hoạt động du lịch tăng 12% so với cùng kỳ",
     [D("at_least", 12, category=KT, title="Tốc độ tăng doanh thu từ hoạt động du lịch so với cùng kỳ")]),
    ("at_least", "Số lượt khách du lịch đạt 1.500.000 lượt", [D("at_least", 1500000, "lượt", category=KT, aggregation="sum")]),
    ("more_than", "Tỷ lệ giải quyết đơn thư khiếu nại, tố cáo thuộc thẩm quyền đạt trên 90%",
     [D("more_than", 90, category=VX)]),
    ("label", "Tỷ lệ xã đạt tiêu chí quốc gia về y tế: 100%", [D("equal", 100, category=VX)]),
]
