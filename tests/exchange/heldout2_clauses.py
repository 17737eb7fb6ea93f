"""Second held-out set of target clauses for the rule-based parser (written 2026-11-27).

Written blind: from the domain page (/work/shared/docs/domain.md), the parser's public
API (the `Draft` fields, the enums, the module docstring of app/exchange/parser.py) and
the scorer in test_parser_heldout.py only. The first held-out set, the other parser test
sentences, and the parser's rules and lexicon (clause.py, lexicon.py) were NOT read
before these clauses and their expected readings were written. They are new sentences
in the style of provincial, district and commune party-committee resolutions and
people's-council socio-economic plans, across sectors.

Format (the `Case` of the first held-out set, reused): `drafts` has one slot per target
the clause states, in order; a slot lists the accepted readings, and a draft is right
when it matches any one of them on the fields the reading names (fields not named are
not checked). Several readings are accepted only where the same target can be written
in equivalent ways (value 1.2 in "triệu lượt khách" or 1 200 000 in "lượt khách"; "%"
or "%/năm"), or where the domain page allows two encodings (a bare "giảm X" as a floor
on the change itself, or as a `change`). `unsure` marks a clause a careful human reader
would really find ambiguous: every draft must then be flagged. `no_target`: the clause
states no target; right when no (unflagged) draft comes out.

These are held-out ONLY until the parser is changed in their light; after that, a new
set is needed for an honest figure.
"""

from __future__ import annotations

from tests.exchange.heldout_clauses import Case

H = "higher_is_better"
L = "lower_is_better"
MEAN = "mean"
SUM = "sum"
PP = "percentage_points"
REL = "relative_percent"
ABS = "absolute"


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


def B(low: float, high: float, unit: str | None = None, direction: str = H, **more) -> dict:
    """A range reading."""
    return R("between", None, unit, direction, low=low, high=high, **more)


def units(reading: dict, *names: str) -> list[dict]:
    """The same reading with any of several equivalent unit spellings."""
    return [{**reading, "unit": u} for u in names]


def forms(reading: dict, *pairs: tuple[float, str]) -> list[dict]:
    """The same reading written at different magnitudes: (value, unit) pairs."""
    return [{**reading, "value": v, "unit": u} for v, u in pairs]


def C(family: str, text: str, *slots, unsure: bool = False) -> Case:
    """A clause; each slot is a reading or a list of accepted readings."""
    return Case(family=family, text=text,
                drafts=[s if isinstance(s, list) else [s] for s in slots], unsure=unsure)


def NONE(family: str, text: str, unsure: bool = False) -> Case:
    return Case(family=family, text=text, drafts=[], unsure=unsure, no_target=True)


CASES: list[Case] = [
    # --- floors: "đạt", "ít nhất", "tối thiểu", "từ ... trở lên", "không thấp hơn", "đạt từ"
    C("floor:ít nhất", "Tổng sản lượng lương thực có hạt đạt ít nhất 45.000 tấn.",
      R("at_least", 45000, "tấn", H)),
    C("floor:từ trở lên", "Tỷ lệ dân số tham gia bảo hiểm y tế đạt từ 95% trở lên.",
      R("at_least", 95, "%", H)),
    C("floor:tối thiểu", "Thu ngân sách nhà nước trên địa bàn huyện đạt tối thiểu 320 tỷ đồng.",
      R("at_least", 320, "tỷ đồng", H)),
    C("floor:không thấp hơn", "Tỷ lệ hộ gia đình được công nhận gia đình văn hóa không thấp hơn 90%.",
      R("at_least", 90, "%", H)),
    C("floor:đạt từ", "Tỷ lệ xã, phường, thị trấn đạt Bộ tiêu chí quốc gia về y tế xã đạt từ 92%.",
      R("at_least", 92, "%", H)),
    C("floor:bare, 1 ha trap", "Giá trị sản phẩm thu được trên 1 ha đất trồng trọt và nuôi trồng thủy sản đạt 150 triệu đồng.",
      forms(R("at_least", direction=H), (150, "triệu đồng"), (150, "triệu đồng/ha"), (150e6, "đồng"),
            (150e6, "đồng/ha"))),
    C("floor:trở lên, age trap", "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ các loại vắc xin đạt 97% trở lên.",
      R("at_least", 97, "%", H)),
    C("floor:decimal", "Tỷ lệ học sinh hoàn thành chương trình tiểu học đạt 99,5% trở lên.",
      R("at_least", 99.5, "%", H)),
    C("floor:% of plan", "Thu ngân sách nhà nước đạt 110% dự toán tỉnh giao.",
      R("at_least", 110, "%", H)),
    C("floor:defence", "Tỷ lệ đảng viên trong lực lượng dân quân tự vệ đạt 25% trở lên.",
      R("at_least", 25, "%", H)),

    # --- above: "trên", "hơn"
    C("above:trên", "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng trên 12.500 tỷ đồng.",
      R("more_than", 12500, "tỷ đồng", H)),
    C("above:đạt trên", "Tỷ lệ hồ sơ thủ tục hành chính được giải quyết đúng hạn đạt trên 98%.",
      R("more_than", 98, "%", H)),
    C("above:hơn", "Có hơn 60% số thôn, bản có nhà văn hóa đạt chuẩn.",
      R("more_than", 60, "%", H)),
    C("above:tỷ USD", "Kim ngạch xuất khẩu hàng hóa trên địa bàn tỉnh đạt trên 2,3 tỷ USD.",
      forms(R("more_than", direction=H), (2.3, "tỷ USD"), (2.3e9, "USD"))),
    C("above:digital", "Tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận, xử lý trực tuyến toàn trình đạt trên 50%.",
      R("more_than", 50, "%", H)),

    # --- ceilings: "dưới", "không quá", "không vượt quá", "giảm xuống dưới"
    C("ceiling:dưới", "Tỷ lệ thất nghiệp ở khu vực thành thị dưới 3%.",
      R("less_than", 3, "%", L)),
    C("ceiling:dưới, age trap", "Tỷ lệ suy dinh dưỡng thể thấp còi ở trẻ em dưới 5 tuổi dưới 19%.",
      R("less_than", 19, "%", L)),
    C("ceiling:không quá", "Tốc độ tăng chỉ số giá tiêu dùng (CPI) không quá 4%.",
      R("at_most", 4, "%", L)),
    C("ceiling:giảm xuống dưới", "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều giảm xuống dưới 1,5%.",
      R("less_than", 1.5, "%", L)),
    C("ceiling:không vượt quá", "Tỷ lệ nợ đọng thuế không vượt quá 5% tổng thu ngân sách.",
      R("at_most", 5, "%", L)),
    C("ceiling:thứ 3 trở lên trap", "Tỷ lệ sinh con thứ 3 trở lên dưới 8%.",
      R("less_than", 8, "%", L)),
    C("ceiling:tỷ số giới tính", "Tỷ số giới tính khi sinh không quá 110 bé trai/100 bé gái.",
      R("at_most", 110, "bé trai/100 bé gái", L)),
    C("ceiling:share of a base", "Tỷ lệ nợ xấu của các tổ chức tín dụng dưới 2% tổng dư nợ.",
      R("less_than", 2, "%", L)),

    # --- ranges: en dash, em dash, hyphen (spaced and glued), "từ ... đến"
    C("range:en dash", "Tốc độ tăng trưởng kinh tế (GRDP) đạt 7 – 7,5%.",
      B(7, 7.5, "%")),
    C("range:em dash", "Giá trị sản xuất công nghiệp tăng 12—14% so với năm 2023.",
      B(12, 14, "%")),
    C("range:hyphen glued", "Thu ngân sách nhà nước tăng 8-10% so với dự toán tỉnh giao.",
      B(8, 10, "%")),
    C("range:hyphen spaced", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý đạt 90 - 92%.",
      B(90, 92, "%")),
    C("range:từ đến, unit", "Năng suất lúa bình quân từ 58 đến 60 tạ/ha.",
      B(58, 60, "tạ/ha")),
    C("range:từ X% đến Y%", "Tỷ lệ đô thị hóa đạt từ 38% đến 40%.",
      B(38, 40, "%")),
    C("range:thousands", "Tổng vốn đầu tư phát triển toàn xã hội đạt 9.500 – 10.000 tỷ đồng.",
      B(9500, 10000, "tỷ đồng")),
    C("range:en dash glued", "Tốc độ tăng trưởng giá trị sản xuất nông, lâm nghiệp và thủy sản 3,5–4%.",
      B(3.5, 4, "%")),
    C("range:hyphen thousands", "Sản lượng lương thực có hạt 41.000-42.000 tấn.",
      B(41000, 42000, "tấn")),

    # --- ranges with a floor: a range (warned) or the floor
    C("range_floor:en dash", "Tăng trưởng GRDP đạt từ 6,5 – 7% trở lên.",
      [B(6.5, 7, "%"), R("at_least", 6.5, "%", H)]),
    C("range_floor:hyphen", "Tỷ lệ thu gom, xử lý rác thải ở khu vực nông thôn đạt 70-75% trở lên.",
      [B(70, 75, "%"), R("at_least", 70, "%", H)]),

    # --- about: "khoảng", "khoảng trên"
    C("about:income", "Thu nhập bình quân đầu người đạt khoảng 72 triệu đồng/năm.",
      forms(R("approximately", direction=H), (72, "triệu đồng/năm"), (72, "triệu đồng/người/năm"),
            (72, "triệu đồng"), (72e6, "đồng/năm"), (72e6, "đồng/người/năm"))),
    C("about:triệu lượt", "Tổng lượt khách du lịch đến tham quan khoảng 1,8 triệu lượt.",
      forms(R("approximately", direction=H), (1.8e6, "lượt"), (1.8, "triệu lượt"), (1.8e6, "lượt khách"))),
    C("about:lower is better", "Tỷ lệ thất nghiệp khu vực thành thị khoảng 3,2%.",
      R("approximately", 3.2, "%", L)),
    C("about:khoảng trên", "Tổng vốn đầu tư toàn xã hội khoảng trên 4.200 tỷ đồng.",
      [R("approximately", 4200, "tỷ đồng", H), R("more_than", 4200, "tỷ đồng", H)]),
    C("about:ha", "Diện tích gieo trồng cây hàng năm khoảng 21.600 ha.",
      R("approximately", 21600, "ha", H)),
    C("about:share of a base", "Thu từ khu vực dịch vụ chiếm khoảng 35% tổng thu ngân sách.",
      R("approximately", 35, "%", H)),

    # --- reductions to a level: "giảm xuống còn", "còn dưới"
    C("reduce_level:giảm xuống còn", "Tỷ lệ hộ nghèo giảm xuống còn 2,8%.",
      R("less_than", 2.8, "%", L)),
    C("reduce_level:share", "Tỷ trọng nông, lâm nghiệp, thủy sản trong cơ cấu kinh tế giảm xuống còn 18%.",
      R("less_than", 18, "%", L)),
    C("reduce_level:còn dưới, year trap", "Đến cuối năm 2025, số hộ nghèo trên địa bàn huyện còn dưới 300 hộ.",
      units(R("less_than", 300, direction=L), "hộ", "hộ nghèo")),
    C("reduce_level:labour", "Tỷ lệ lao động nông nghiệp trong tổng lao động xã hội giảm xuống còn 35%.",
      R("less_than", 35, "%", L)),
    C("reduce_level:‰ as %o", "Tỷ suất sinh thô giảm xuống còn 14,5%o.",
      R("less_than", 14.5, "‰", L)),

    # --- reductions by an amount, no level given: the change itself as a floor, or a change
    C("reduce_amount:households", "Giảm 120 hộ nghèo trong năm.",
      units(R("at_least", 120, direction=H), "hộ", "hộ nghèo")
      + units(R("change", -120, direction=L, change_basis=ABS), "hộ", "hộ nghèo")),
    C("reduce_amount:ít nhất X% số vụ", "Giảm ít nhất 5% số vụ tai nạn giao thông so với năm trước.",
      [R("at_least", 5, "%", H), R("change", -5, "%", L, change_basis=REL)]),
    C("reduce_amount:kéo giảm", "Kéo giảm 10% số vụ phạm pháp hình sự so với năm 2023.",
      [R("at_least", 10, "%", H), R("change", -10, "%", L, change_basis=REL)]),

    # --- changes with the level reached
    C("change_level:rate, points", "Tỷ lệ hộ cận nghèo giảm 0,8%, còn 4,5%.",
      R("change", -0.8, "%", L, change_basis=PP, baseline_value=5.3)),
    C("change_level:households", "Số hộ nghèo giảm 95 hộ, xuống còn 410 hộ.",
      R("change", -95, "hộ", L, change_basis=ABS, baseline_value=505)),
    C("change_level:tăng ... lên", "Tỷ lệ che phủ rừng tăng 1,5% lên 47%.",
      R("change", 1.5, "%", H, change_basis=PP, baseline_value=45.5)),
    C("change_level:count", "Số doanh nghiệp đang hoạt động tăng 150 doanh nghiệp, đạt 2.150 doanh nghiệp.",
      R("change", 150, "doanh nghiệp", H, change_basis=ABS, baseline_value=2000)),

    # --- annual averages
    C("annual_avg:floor", "Tốc độ tăng trưởng kinh tế bình quân hằng năm đạt 8% trở lên.",
      R("at_least", 8, "%", H, aggregation=MEAN)),
    C("annual_avg:range", "Thu ngân sách trên địa bàn tăng bình quân hằng năm 10 – 12%.",
      B(10, 12, "%", aggregation=MEAN)),
    C("annual_avg:%/năm", "Giá trị sản xuất nông nghiệp tăng bình quân 3,5%/năm.",
      units(R("at_least", 3.5, direction=H, aggregation=MEAN), "%", "%/năm")),
    C("annual_avg:about", "Hằng năm, bình quân tạo việc làm mới cho khoảng 3.000 lao động.",
      units(R("approximately", 3000, direction=H, aggregation=MEAN), "lao động", "người")),

    # --- counts to add
    C("add_count:xây mới thêm", "Xây mới thêm 15 phòng học kiên cố.",
      units(R("at_least", 15, direction=H), "phòng học", "phòng")),
    C("add_count:thành lập mới", "Thành lập mới 40 doanh nghiệp.",
      R("at_least", 40, "doanh nghiệp", H)),
    C("add_count:leading zero", "Công nhận thêm 03 xã đạt chuẩn nông thôn mới nâng cao.",
      R("at_least", 3, "xã", H)),
    C("add_count:phát triển thêm", "Phát triển thêm 2 hợp tác xã nông nghiệp kiểu mới.",
      units(R("at_least", 2, direction=H), "hợp tác xã", "HTX")),
    C("add_count:cầu", "Xây dựng mới 05 cầu dân sinh.",
      R("at_least", 5, "cầu", H)),

    # --- fractions of units
    C("fraction:all", "10/10 xã đạt chuẩn nông thôn mới.",
      R("equal", 100, "%", H)),
    C("fraction:part", "Có 12/15 xã, thị trấn đạt chuẩn quốc gia về y tế.",
      units(R("at_least", 12, direction=H), "xã", "xã, thị trấn")),
    C("fraction:duy trì all", "Duy trì 7/7 trạm y tế xã có bác sĩ làm việc.",
      R("equal", 100, "%", H)),
    C("fraction:phấn đấu part", "Phấn đấu 18/21 trường học đạt chuẩn quốc gia.",
      units(R("at_least", 18, direction=H), "trường", "trường học")),

    # --- shares of a named base
    C("share:GRDP bare", "Kinh tế số chiếm 20% GRDP.",
      units(R("at_least", 20, direction=H), "%", "% GRDP")),
    C("share:GRDP trên, dash in name", "Tỷ trọng công nghiệp – xây dựng chiếm trên 42% GRDP.",
      units(R("more_than", 42, direction=H), "%", "% GRDP")),
    C("share:/tổng số chi bộ", "Tỷ lệ chi bộ đạt hoàn thành xuất sắc nhiệm vụ 20% trở lên/tổng số chi bộ.",
      R("at_least", 20, "%", H)),

    # --- ratings as targets
    C("rating:từ X% trở lên", "Có từ 85% trở lên tổ chức cơ sở đảng được đánh giá, xếp loại hoàn thành tốt nhiệm vụ trở lên.",
      R("at_least", 85, "%", H)),
    C("rating:trên X%", "Trên 90% đảng viên được xếp loại hoàn thành tốt nhiệm vụ trở lên.",
      R("more_than", 90, "%", H)),
    C("rating:100%, hyphen in name", "100% chính quyền, Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội được xếp loại hoàn thành nhiệm vụ trở lên.",
      R("equal", 100, "%", H)),
    C("rating:no figure", "Đảng bộ huyện hằng năm được đánh giá, xếp loại hoàn thành tốt nhiệm vụ trở lên.",
      R("milestone")),
    C("rating:figure at the end", "Tỷ lệ cán bộ, công chức cấp xã được đánh giá hoàn thành tốt nhiệm vụ trở lên đạt 85%.",
      R("at_least", 85, "%", H)),

    # --- milestones
    C("milestone:trước năm", "Hoàn thành xây dựng huyện nông thôn mới trước năm 2025.",
      R("milestone")),
    C("milestone:không còn", "Không còn nhà tạm, nhà dột nát trên địa bàn.",
      R("milestone")),
    C("milestone:giữ vững", "Giữ vững danh hiệu cơ quan đạt chuẩn văn hóa.",
      R("milestone")),
    C("milestone:date trap", "Hoàn thành việc số hóa hồ sơ, kết quả giải quyết thủ tục hành chính trước ngày 31/12/2025.",
      R("milestone")),
    C("milestone:đô thị loại", "Phấn đấu đến năm 2025, thành phố được công nhận là đô thị loại I.",
      R("milestone")),
    C("milestone:xóa 100%", "Xóa 100% nhà ở tạm bợ cho hộ nghèo, hộ có hoàn cảnh khó khăn.",
      R("milestone")),
    C("milestone:không để xảy ra", "Không để xảy ra điểm nóng về an ninh, trật tự trên địa bàn.",
      R("milestone")),

    # --- sub-targets: "trong đó", "riêng"
    C("subtarget:trong đó", "Tỷ lệ lao động qua đào tạo đạt 70%, trong đó có bằng cấp, chứng chỉ đạt 28%.",
      R("at_least", 70, "%", H), R("at_least", 28, "%", H, parent_index=0)),
    C("subtarget:; trong đó", "Tổng thu ngân sách nhà nước trên địa bàn đạt 1.250 tỷ đồng; trong đó thu nội địa 1.100 tỷ đồng.",
      R("at_least", 1250, "tỷ đồng", H), R("at_least", 1100, "tỷ đồng", H, parent_index=0)),
    C("subtarget:riêng", "Kết nạp 200 đảng viên mới trở lên, riêng khu vực doanh nghiệp ngoài nhà nước ít nhất 20 đảng viên.",
      units(R("at_least", 200, direction=H), "đảng viên", "đảng viên mới"),
      units(R("at_least", 20, direction=H, parent_index=0), "đảng viên", "đảng viên mới")),
    C("subtarget:rating", "Có 95% trở lên tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên, trong đó 20% hoàn thành xuất sắc nhiệm vụ.",
      R("at_least", 95, "%", H), R("at_least", 20, "%", H, parent_index=0)),
    C("subtarget:security", "Tỷ lệ điều tra, khám phá án hình sự đạt trên 75%, trong đó án rất nghiêm trọng và đặc biệt nghiêm trọng đạt trên 95%.",
      R("more_than", 75, "%", H), R("more_than", 95, "%", H, parent_index=0)),

    # --- term-long targets
    C("term:total, en dash years", "Giai đoạn 2021–2025, tổng vốn đầu tư toàn xã hội đạt 65.000 tỷ đồng.",
      R("at_least", 65000, "tỷ đồng", H, aggregation=SUM)),
    C("term:total, spaced hyphen years", "Trong giai đoạn 2020 - 2025, tạo việc làm mới cho 25.000 lao động.",
      units(R("at_least", 25000, direction=H, aggregation=SUM), "lao động", "người")),
    C("term:average, glued years", "Tốc độ tăng trưởng GRDP bình quân giai đoạn 2021-2025 đạt 7,5%/năm.",
      units(R("at_least", 7.5, direction=H, aggregation=MEAN), "%", "%/năm")),
    C("term:trong 5 năm", "Trong 5 năm, trồng mới 6.000 ha rừng tập trung.",
      R("at_least", 6000, "ha", H, aggregation=SUM)),

    # --- number traps
    C("numbers:dot and comma", "Tổng thu ngân sách nhà nước trên địa bàn thị xã đạt 2.148,75 tỷ đồng.",
      R("at_least", 2148.75, "tỷ đồng", H)),
    C("numbers:glued unit", "Năng suất lúa đạt 62tạ/ha.",
      R("at_least", 62, "tạ/ha", H)),
    C("numbers:spaced %", "Tỷ lệ hộ dân nông thôn sử dụng nước hợp vệ sinh đạt 98 %.",
      R("at_least", 98, "%", H)),
    C("numbers:leading zero", "Xây dựng 04 mô hình sản xuất nông nghiệp ứng dụng công nghệ cao.",
      R("at_least", 4, "mô hình", H)),
    C("numbers:ƣ artefact", "Tỷ lệ ngƣời dân tham gia bảo hiểm y tế đạt trên 93%.",
      R("more_than", 93, "%", H)),
    C("numbers:ƣ artefact, thousands", "Số lao động đƣợc giải quyết việc làm mới 1.850 ngƣời.",
      units(R("at_least", 1850, direction=H), "người", "ngƣời", "lao động")),
    C("numbers:nghìn tỷ", "Giá trị sản xuất công nghiệp đạt 2,5 nghìn tỷ đồng.",
      forms(R("at_least", direction=H), (2500, "tỷ đồng"), (2.5e12, "đồng"), (2.5, "nghìn tỷ đồng"))),
    C("numbers:triệu lượt", "Thu hút 1,2 triệu lượt khách du lịch.",
      forms(R("at_least", direction=H), (1.2e6, "lượt khách"), (1.2e6, "lượt"), (1.2, "triệu lượt khách"),
            (1.2, "triệu lượt"))),
    C("numbers:dot decimal (rule broken, unambiguous)", "Kim ngạch xuất khẩu đạt 450.5 triệu USD.",
      forms(R("at_least", direction=H), (450.5, "triệu USD"), (450.5e6, "USD"))),
    C("numbers:thousands tấn", "Sản lượng thủy sản đạt 12.350 tấn.",
      R("at_least", 12350, "tấn", H)),
    C("numbers:‰", "Tỷ suất chết trẻ em dưới 1 tuổi dưới 10‰.",
      R("less_than", 10, "‰", L)),
    C("numbers:per 100.000 (unit not checked)", "Tỷ số tử vong mẹ dưới 45/100.000 trẻ đẻ sống.",
      R("less_than", 45, direction=L)),
    C("numbers:vạn in unit", "Đạt 12 bác sĩ/vạn dân.",
      R("at_least", 12, "bác sĩ/vạn dân", H)),
    C("numbers:vạn in unit 2", "Số giường bệnh đạt 35 giường/vạn dân.",
      units(R("at_least", 35, direction=H), "giường/vạn dân", "giường bệnh/vạn dân")),
    C("numbers:triệu đồng/người/năm", "Thu nhập bình quân đầu người khu vực nông thôn đạt 55 triệu đồng/người/năm.",
      forms(R("at_least", direction=H), (55, "triệu đồng/người/năm"), (55e6, "đồng/người/năm"))),

    # --- equal 100 %
    C("equal:defence", "Giao quân hằng năm đạt 100% chỉ tiêu trên giao.",
      R("equal", 100, "%", H)),
    C("equal:digital, parenthesis", "100% cơ quan nhà nước cấp huyện, cấp xã sử dụng văn bản điện tử (trừ văn bản mật).",
      R("equal", 100, "%", H)),
    C("equal:environment", "Tỷ lệ cụm công nghiệp có hệ thống xử lý nước thải tập trung đạt tiêu chuẩn môi trường đạt 100%.",
      R("equal", 100, "%", H)),

    # --- clauses a careful reader finds ambiguous: every draft must be flagged
    C("unsure:giảm X% <group>", "Giảm 2% hộ nghèo so với cuối năm 2023.",
      [R("at_least", 2, "%", H), R("change", -2, "%", L, change_basis=REL), R("change", -2, "%", L, change_basis=PP)],
      unsure=True),
    C("unsure:rate giảm X%", "Tỷ lệ hộ nghèo giảm 1,5%.",
      [R("at_least", 1.5, "%", H), R("change", -1.5, "%", L, change_basis=PP),
       R("change", -1.5, "%", L, change_basis=REL)],
      unsure=True),
    C("unsure:comma with 3 digits", "Sản lượng nuôi trồng thủy sản đạt 2,450 tấn.",
      [R("at_least", 2450, "tấn", H), R("at_least", 2.45, "tấn", H)],
      unsure=True),
    C("unsure:tăng X lần", "Doanh thu từ hoạt động du lịch tăng 1,5 lần so với năm 2020.",
      # issue 11 changed the convention: a change by a factor (the first reading was at_least 1.5 "lần")
      [R("change", 1.5, "", H, change_basis="factor", baseline_value=None),
       R("change", 50, direction=H, change_basis=REL), R("change", 150, direction=H, change_basis=REL)],
      unsure=True),

    # --- no target in the clause
    NONE("no_target:vote", "Hội nghị đã thống nhất thông qua Nghị quyết với 100% đại biểu tán thành."),
    NONE("no_target:task", "Tiếp tục đẩy mạnh cải cách hành chính, cải thiện môi trường đầu tư kinh doanh."),
    NONE("no_target:date", "Nghị quyết này có hiệu lực kể từ ngày 15 tháng 12 năm 2023."),
    NONE("no_target:past result", "Kết quả năm 2023: tốc độ tăng trưởng kinh tế đạt 8,2%, vượt kế hoạch đề ra."),
]
