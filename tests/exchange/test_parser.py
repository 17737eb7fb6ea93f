"""The clause parser (app/exchange/parser.py): the Lạng Sơn seed paragraph, labelled clauses, accounting.

Accuracy is measured on three sets: the seed's 12 clauses, DEVELOPMENT (written with the
rules) and HELD_OUT (written after the rules were frozen). HELD_OUT's first run, before
any fix, was 33/35: "trên 1 ha" (per hectare) was taken as the target (flagged: a warning
and confidence 0.5) and "giảm từ 1,5 đến 2% tỷ lệ hộ nghèo" lacked its two-readings
warning (not flagged). Both rules were then fixed; the figure printed below is after.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.common.types import BIDI_CONTROLS
from app.exchange.parser import Draft, Unrecognised, parse_clause, parse_resolution
from app.exchange.splitter import LIST_MARKER
from app.engine import Aggregation, ChangeBasis, Comparison, Direction, TargetSpec, definition_errors
from app.targets.models import TargetCreate
from tests.exchange.labelled_clauses import DEVELOPMENT, HELD_OUT, D
from tests.exchange.scoring import mismatches, unsure

SEED = Path(__file__).resolve().parents[2] / "seed_data"


def seed_text() -> str:
    lines = (SEED / "langson_2019_clauses.txt").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#"))


def seed_targets() -> list[dict]:
    return json.loads((SEED / "langson_2019.json").read_text(encoding="utf-8"))["plans"][0]["targets"]


def seed_cases() -> list[tuple]:
    """The seed's own clauses, labelled from the hand-made encoding."""
    cases = []
    for t in seed_targets():
        want = D(t["comparison"], t.get("value"), t["unit"], low=t.get("low"), high=t.get("high"),
                 d=t["direction"], category=t["category"], aggregation=t["aggregation"])
        cases.append(("seed", t["clause"], [want]))
    return cases


def spec_errors(fields: dict) -> dict:
    """The engine's consistency check on a draft's fields, as the targets service runs it."""
    spec = TargetSpec(
        comparison=Comparison(fields["comparison"]), period_start=date(2019, 1, 1), period_end=date(2019, 12, 31),
        direction=Direction(fields["direction"]), value=fields["value"], low=fields["low"], high=fields["high"],
        baseline_value=fields.get("baseline_value"),
        change_basis=ChangeBasis(fields["change_basis"]) if fields.get("change_basis") else None,
        aggregation=Aggregation(fields["aggregation"]), unit=fields["unit"],
    )
    return definition_errors(spec)


# ---------------------------------------------------------------- (1) the seed paragraph


def test_seed_paragraph_gives_the_twelve_hand_made_targets():
    result = parse_resolution(seed_text())
    targets = seed_targets()
    assert len(result.drafts) == 12
    report, failures = [], []
    for i, (draft, t) in enumerate(zip(result.drafts, targets), start=1):
        checks = {
            "comparison": draft.comparison.value == t["comparison"],
            "figures": (draft.value, draft.low, draft.high) == (t.get("value"), t.get("low"), t.get("high")),
            "unit": draft.unit == t["unit"],
            "direction": draft.direction.value == t["direction"],
            "aggregation": draft.aggregation.value == t["aggregation"],
            "category": draft.category == t["category"],
            "title": draft.title == t["title"],
            "clause": draft.clause == t["clause"],
        }
        report.append(f"target {t['code']}: " + " ".join(f"{k}={'ok' if v else 'DIFF'}" for k, v in checks.items()))
        failures += [f"{t['code']} {k}" for k, v in checks.items() if not v and k not in ("title", "clause")]
    print("\n".join(report))
    assert failures == []


def test_seed_paragraph_flags_the_poor_households_target_and_leaves_nothing_unread():
    result = parse_resolution(seed_text())
    poor = result.drafts[5]
    assert poor.clause == "Giảm 10% hộ nghèo"
    assert poor.warnings and "three readings" in poor.warnings[0] and "percentage points" in poor.warnings[0]
    assert poor.confidence < 0.6
    assert {a["change_basis"] for a in poor.alternatives} == {"relative_percent", "percentage_points"}
    assert all(a["value"] == -10 for a in poor.alternatives)
    assert result.unrecognised == []
    assert [s.reason.split(";")[0] for s in result.skipped] == ["heading or introduction (no target figure)", "heading"]
    assert "xây dựng Đảng" in result.skipped[1].reason


def test_seed_drafts_become_valid_target_bodies():
    for i, draft in enumerate(parse_resolution(seed_text()).drafts, start=1):
        fields = draft.to_target_fields(f"{i:02d}", position=i)
        body = TargetCreate(**fields)
        assert body.comparison == draft.comparison and body.direction == draft.direction
        assert spec_errors(fields) == {}


def test_every_character_is_accounted_for():
    text = seed_text() + "\nVề quốc phòng - an ninh:\n- Tăng cường lãnh đạo của cấp ủy.\n+ 100% xã có lực lượng dân quân."
    result = parse_resolution(text)
    covered = [False] * len(result.text)
    for item in [*result.drafts, *result.unrecognised, *result.skipped]:
        a, b = item.span
        assert result.text[a:b] == (item.clause if isinstance(item, Draft) else item.text)
        covered[a:b] = [True] * (b - a)
    missed = "".join(c if not seen else " " for c, seen in zip(result.text, covered))
    assert set(re.findall(r"\w+", missed)) <= {"và"}  # only the word joining two targets


FRAGMENTS = ["tỷ lệ", "hộ nghèo", "giảm", "tăng", "trên", "dưới", "khoảng", "khoản", "từ", "đến", "trở lên", "%", "‰",
             "0/00", "9.720", "3,098", "1,5", "-", "–", "(", ")", "còn", "trong đó", "riêng", "và", ",", ";", ":", ".",
             "\n", "- ", "100%", "8/8 xã", "tấn", "tỷ đồng", "lần", "năm 2025", "2021-2025", "hoàn thành", "không còn",
             "xóa 100%", "bình quân hằng năm", "điểm phần trăm", "/tổng số", "chi bộ", "đạt", "khá", "trở xuống",
             "so với", "gấp", "ƣ", "\u00a0", "0", "12", "1.234,5", "triệu", "/", "≥", "~", "÷", "a)", "Về kinh tế:"]


# Text the API accepts (POST /plans/{id}/parse takes long text: no control or bidirectional characters
# but newline, carriage return and tab; issue 12 item 10), so its drafts must make valid targets.
_ACCEPTED = st.characters().filter(lambda c: c in "\n\r\t" or (unicodedata.category(c) not in ("Cc", "Cs")
                                                                and c not in BIDI_CONTROLS))


@settings(max_examples=250, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(_ACCEPTED, max_size=3)), max_size=20))
@example(["0.", "tỷ lệ"])  # "0." opens the line as a list number would: a list marker, not a figure lost
@example(["giảm", "9.720", "lần", "tỷ lệ"])  # a change by a factor without its baseline
def test_any_text_gives_consistent_drafts_and_loses_no_words(parts):
    result = parse_resolution(" ".join(parts))
    covered = [False] * len(result.text)
    for item in [*result.drafts, *result.unrecognised, *result.skipped]:
        a, b = item.span
        assert result.text[a:b] == (item.clause if isinstance(item, Draft) else item.text)
        covered[a:b] = [True] * (b - a)
    for i, draft in enumerate(result.drafts):
        fields = draft.to_target_fields(f"T{i}")
        TargetCreate(**fields)
        errors = spec_errors(fields)
        if draft.comparison == Comparison.CHANGE and draft.baseline_value is None:
            # "giảm 2 lần": a change by a factor whose baseline the text does not give. The draft says so,
            # and applying it is a 422 asking for the baseline (parse_service.apply_drafts): that is the one
            # thing missing (a case Hypothesis found: ["giảm", "9.720", "lần", "tỷ lệ"]).
            assert set(errors) == {"baseline_value"}
            assert any("baseline" in warning for warning in draft.warnings)
        else:
            assert errors == {}
        assert 0 <= draft.confidence <= 1
    for line in re.finditer(r"[^\n]*", result.text):  # a list marker opening a line ("a)", "1.") labels it
        marker = LIST_MARKER.match(line.group(0))
        if marker:
            covered[line.start() : line.start() + marker.end()] = [True] * marker.end()
    missed = "".join(c if not seen else " " for c, seen in zip(result.text, covered))
    # only connectors lie between pieces
    assert set(re.findall(r"\w+", missed)) <= {"và", "trong", "đó", "riêng"}


# ---------------------------------------------------------------- (2) labelled clauses


@pytest.mark.parametrize(("family", "text", "expected"), DEVELOPMENT + HELD_OUT, ids=lambda v: v if isinstance(v, str) else "")
def test_labelled_clause(family, text, expected):
    assert mismatches(expected, text) == []


VARIANTS = {
    "NFD": lambda t: unicodedata.normalize("NFD", t),
    "PDF ƣ": lambda t: t.replace("ư", "ƣ").replace("Ư", "Ƣ"),
    "double spaces": lambda t: t.replace(" ", "  "),
    "no-break spaces": lambda t: t.replace(" ", "\u00a0"),
    "old tone marks": lambda t: t.replace("hóa", "hoá").replace("thủy", "thuỷ").replace("Tỷ lệ", "Tỉ lệ"),
    "full stop": lambda t: t + ".",
    "bullet": lambda t: "- " + t + ";",
    "heading and CRLF": lambda t: "Về chỉ tiêu:\r\n" + t,
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_reading_does_not_depend_on_encoding_or_layout(variant):
    def key(text):
        return [(d.comparison, d.value, d.low, d.high, d.unit, d.direction, d.aggregation, d.parent_index)
                for d in parse_resolution(text).drafts]

    changed = [text for _, text, _ in DEVELOPMENT + HELD_OUT if key(VARIANTS[variant](text)) != key(text)]
    assert changed == []


def test_the_labelled_set_covers_every_family():
    families = {family for family, _, _ in DEVELOPMENT}
    assert {"at_least", "more_than", "at_most", "less_than", "between", "approximately", "equal", "change",
            "milestone", "rating", "trap", "aggregation", "sub-target", "join", "ceiling", "label"} <= families
    assert len(DEVELOPMENT) >= 60


@pytest.mark.parametrize(("family", "text", "expected"), DEVELOPMENT + HELD_OUT + seed_cases(), ids=lambda v: "")
def test_every_draft_is_a_valid_target_body(family, text, expected):
    for i, draft in enumerate(parse_resolution(text).drafts):
        fields = draft.to_target_fields(f"T{i}")
        TargetCreate(**fields)
        if draft.comparison.value == "change" and draft.baseline_value is None:
            # "tăng 1,5 lần so với năm 2020": the baseline is not in the text; the draft says so, and
            # applying it is refused until one is given (test_parse_api)
            assert spec_errors(fields) == {"baseline_value": "a 'change' target needs a baseline value"}
            assert any("baseline" in w for w in draft.warnings), draft.warnings
            continue
        assert spec_errors(fields) == {}, (text, fields)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Tỷ lệ sinh con thứ 3 trở lên tối đa 5%", "Tỷ lệ sinh con thứ 3 trở lên"),
        ("Tỷ lệ tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên đạt 80%",
         "Tỷ lệ tổ chức cơ sở Đảng hoàn thành tốt nhiệm vụ trở lên"),
        ("Giảm tỷ lệ sinh con thứ ba trở lên xuống dưới 10%", "Tỷ lệ sinh con thứ ba trở lên"),
        ("Phấn đấu đến năm 2025, tỷ lệ che phủ rừng đạt 65%", "Tỷ lệ che phủ rừng"),
        ("Thu ngân sách tăng khoảng 5%", "Tốc độ tăng thu ngân sách"),
        ("Giải quyết việc làm mới cho 4.000 lao động trở lên trong 5 năm", "Số lao động được giải quyết việc làm mới"),
        ("Trồng mới 500 ha rừng", "Diện tích rừng trồng mới"),
    ],
)
def test_titles_name_the_indicator_without_figure_or_comparison(text, title):
    assert [d.title for d in parse_resolution(text).drafts] == [title]


def test_change_with_the_level_reached_derives_its_baseline():
    draft = parse_resolution("Tỷ lệ hộ nghèo giảm 1,5% (còn 3,2%)").drafts[0]
    assert (draft.comparison, draft.change_basis, draft.value, draft.baseline_value) == (
        Comparison.CHANGE, ChangeBasis.PERCENTAGE_POINTS, -1.5, 4.7)
    assert draft.direction == Direction.LOWER_IS_BETTER
    fields = draft.to_target_fields("HN")
    assert fields["change_basis"] == "percentage_points" and fields["baseline_value"] == 4.7


def test_sub_targets_point_to_their_parent():
    result = parse_resolution("Tỷ lệ lao động qua đào tạo đạt 70%, trong đó có bằng cấp, chứng chỉ đạt 30%")
    main, sub = result.drafts
    assert sub.parent_index == 0 and main.parent_index is None
    assert sub.title == "Tỷ lệ lao động qua đào tạo, trong đó bằng cấp, chứng chỉ"
    assert sub.clause.startswith("trong đó")


def test_a_sectioned_resolution_with_bullets():
    result = parse_resolution((Path(__file__).parent / "sample_resolution.txt").read_text(encoding="utf-8"))
    got = [(d.comparison.value, d.value if d.value is not None else (d.low, d.high), d.unit, d.aggregation.value,
            d.category, d.parent_index) for d in result.drafts]
    kt, vx, mt, xd = "kinh tế", "văn hóa - xã hội", "môi trường", "xây dựng Đảng"
    assert got == [
        ("between", (7.5, 8), "%", "mean", kt, None),
        ("approximately", 3500, "USD", "latest", kt, None),
        ("approximately", 100000, "tỷ đồng", "sum", kt, None),
        ("between", (8, 10), "%", "mean", kt, None),
        ("at_least", 10, "%", "mean", kt, 3),
        ("between", (1.5, 2), "%", "mean", vx, None),
        ("at_least", 95, "%", "latest", vx, None),
        ("at_least", 70, "%", "latest", vx, None),
        ("at_least", 28, "%", "latest", vx, 7),
        ("at_least", 32, "giường", "latest", vx, None),
        ("at_least", 10, "bác sĩ/vạn dân", "latest", vx, None),
        ("at_least", 62, "%", "latest", mt, None),
        ("equal", 100, "%", "latest", mt, None),
        ("more_than", 90, "%", "latest", xd, None),
        ("at_least", 1200, "đảng viên", "sum", xd, None),
    ]
    assert result.drafts[1].title == "GRDP bình quân đầu người"
    assert [u.text for u in result.unrecognised] == ["Tăng cường công tác xây dựng Đảng về chính trị, tư tưởng, đạo đức"]
    assert [s.text for s in result.skipped] == ["CÁC CHỈ TIÊU CHỦ YẾU", "Về kinh tế", "Về văn hóa - xã hội", "Về môi trường",
                                                "Về xây dựng Đảng", "NHIỆM VỤ, GIẢI PHÁP"]


def test_headings_set_the_category_until_the_next_heading():
    text = ("Về kinh tế:\n- Tỷ lệ đơn vị hoàn thành kế hoạch đạt 100%.\nVề xây dựng Đảng:\n"
            "- Tỷ lệ đơn vị hoàn thành kế hoạch đạt 100%.")
    result = parse_resolution(text)
    assert [d.category for d in result.drafts] == ["kinh tế", "xây dựng Đảng"]
    assert all(d.category_confidence == 0.9 for d in result.drafts)
    assert len(result.skipped) == 2


def test_parsing_is_deterministic():
    text = seed_text()
    assert parse_resolution(text) == parse_resolution(text)


# ---------------------------------------------------------------- (3) what cannot be read comes back


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Tăng cường sự lãnh đạo của cấp ủy đối với công tác dân vận", "No target figure"),
        ("Năm 2018, kinh tế của thành phố tiếp tục phát triển ổn định", "Only years"),
        ("Thực hiện Chỉ thị số 05-CT/TW của Bộ Chính trị", "Only years"),
        ("đạt 95%", "no indicator"),
    ],
)
def test_unrecognised_text_comes_back_with_its_reason(text, reason):
    result = parse_resolution(text)
    assert result.drafts == []
    assert [u.text for u in result.unrecognised] == [text]
    assert reason in result.unrecognised[0].reason
    single = parse_clause(text)
    assert isinstance(single, Unrecognised) and single.text == text


def test_unrecognised_clauses_sit_among_the_drafts_in_order():
    result = parse_resolution("Tỷ lệ hộ nghèo còn dưới 2%; đẩy mạnh cải cách hành chính; thu ngân sách tăng 10%")
    assert len(result.drafts) == 2
    assert [u.text for u in result.unrecognised] == ["đẩy mạnh cải cách hành chính"]
    assert result.drafts[0].span[1] < result.unrecognised[0].span[0] < result.drafts[1].span[0]


# ---------------------------------------------------------------- (4) measured accuracy


def test_accuracy_on_all_labelled_clauses():
    cases = seed_cases() + DEVELOPMENT + HELD_OUT
    wrong = [(text, problems) for _, text, want in cases if (problems := mismatches(want, text))]
    accuracy = 1 - len(wrong) / len(cases)
    held = sum(not mismatches(want, text) for _, text, want in HELD_OUT)
    print(f"\nparser accuracy: {len(cases) - len(wrong)}/{len(cases)} = {accuracy:.3f} "
          f"(seed {len(seed_cases())}, development {len(DEVELOPMENT)}, held-out {held}/{len(HELD_OUT)}; "
          f"held-out first run before fixes: 33/35)")
    for text, problems in wrong:
        print("  wrong:", text, problems)
    assert accuracy >= 0.95
    assert [text for text, _ in wrong if not unsure(text)] == []


def test_the_parser_says_when_it_is_unsure():
    """Cases built to be hard: each draft must carry a warning or a confidence under 0.6."""
    for text in ["Sản lượng thủy sản đạt 3,098 tấn", "Giảm 10% hộ nghèo", "Tỷ lệ hộ nghèo giảm 1,5%",
                 "Thu nhập tăng 2 lần", "Tỷ lệ hộ nghèo cuối năm 1,8%", "Có 3 xã và 5 thôn đạt chuẩn",
                 "Tốc độ tăng trưởng từ 8,5 – 9% trở lên", "Tỷ lệ hộ nghèo (2%)"]:
        assert unsure(text), text


def test_clause_words_are_kept_verbatim():
    text = "  Tỷ lệ hộ dân sử dụng nước sạch đạt 98% trở lên;  sản lượng rau đạt trên 9.720 tấn.  "
    assert [d.clause for d in parse_resolution(text).drafts] == [
        "Tỷ lệ hộ dân sử dụng nước sạch đạt 98% trở lên", "sản lượng rau đạt trên 9.720 tấn"]
    assert not re.search(r"\d", parse_resolution(text).drafts[1].title)


def test_a_range_of_factors_without_baseline_is_read():
    """'tăng 1,5 - 2 lần' (a range of factors): the readings quote the range; it used to raise TypeError."""
    (draft,) = parse_resolution("Thu nhập bình quân đầu người tăng 1,5 - 2 lần so với năm 2020.").drafts
    assert (draft.low, draft.high, draft.unit) == (1.5, 2.0, "lần")
    assert any("(to 2.5–3 times it)" in warning for warning in draft.warnings)
