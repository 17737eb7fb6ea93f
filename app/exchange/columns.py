"""The column contract shared by import and export: one name per field, English or Vietnamese headers.

Exports write the English names; imports accept either language (case, accents
and spacing folded), so a file exported here imports back unchanged, and an
office's own sheet with Vietnamese headers imports too.
"""

from __future__ import annotations

import unicodedata

# field -> Vietnamese header (the English header is the field name itself)
TARGET_COLUMNS: dict[str, str] = {
    "code": "mã",
    "title": "tên chỉ tiêu",
    "title_en": "tên tiếng anh",
    "category": "nhóm",
    "unit": "đơn vị tính",
    "comparison": "so sánh",
    "value": "giá trị",
    "low": "cận dưới",
    "high": "cận trên",
    "tolerance": "dung sai",
    "direction": "chiều",
    "baseline_value": "giá trị cơ sở",
    "baseline_date": "ngày cơ sở",
    "change_basis": "cách tính thay đổi",
    "aggregation": "cách tổng hợp",  # over time, within one unit
    "across_units": "tổng hợp các đơn vị",
    "is_percentage": "là tỷ lệ phần trăm",
    "may_exceed_whole": "được vượt 100%",
    "frequency": "tần suất báo cáo",
    "checkpoints": "mốc tiến độ",  # "2019-06-30:50; 2019-09-30:75"
    "clause": "nguyên văn",
    "notes": "ghi chú",
    "position": "thứ tự",
}

SUBMISSION_COLUMNS: dict[str, str] = {
    "target_code": "mã chỉ tiêu",
    "organization_code": "mã đơn vị",
    "period_date": "ngày số liệu",
    "period_start": "từ ngày",
    "value": "giá trị",
    "numerator": "tử số",
    "denominator": "mẫu số",
    "done": "hoàn thành",
    "is_estimate": "ước tính",
    "note": "ghi chú",
    "evidence_url": "minh chứng",
}


def fold(header: str) -> str:
    """A header folded for matching: lower case, no accents, single spaces, '_' as space."""
    text = unicodedata.normalize("NFD", header.replace("ƣ", "ư").replace("đ", "d").replace("Đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(text.lower().replace("_", " ").split())


def header_map(columns: dict[str, str]) -> dict[str, str]:
    """Folded header (English or Vietnamese) -> field name."""
    out: dict[str, str] = {}
    for name, vietnamese in columns.items():
        out[fold(name)] = name
        out[fold(vietnamese)] = name
    return out


def format_checkpoints(checkpoints: list[dict]) -> str:
    """[{"date": "2019-06-30", "share": 50}] -> "2019-06-30:50"."""
    return "; ".join(f"{c['date']}:{c['share']:g}" for c in checkpoints)
