"""What a rejected input should have been: pydantic's error types as messages that teach, in vi and en.

pydantic says `30/06/2019` has an "invalid character in year" and `"98,3"` is not "a valid number";
a client developer needs the expected form and an example (`2019-06-30`; a JSON number with a dot).
`message(error, lang)` gives that for the error types a client meets, with what was sent; any other
type keeps pydantic's own text (then the answer carries no Content-Language: see app/errors.py).
"""

from __future__ import annotations

import json
from typing import Any

# type -> (English, Vietnamese); {name} is taken from the error's ctx
_DATE = (
    'expected a date written YYYY-MM-DD (ISO 8601), e.g. "2019-06-30"',
    'cần một ngày viết dạng YYYY-MM-DD (ISO 8601), ví dụ "2019-06-30"',
)
_DATETIME = (
    'expected a date and time in ISO 8601 with its offset, e.g. "2019-06-30T17:00:00+07:00"',
    'cần ngày giờ theo ISO 8601, kèm múi giờ, ví dụ "2019-06-30T17:00:00+07:00"',
)
_NUMBER = (
    'expected a valid number: a JSON number with a dot before the decimals, e.g. 98.3 (not "98,3", not in quotes)',
    'cần một số hợp lệ: số JSON, phần thập phân sau dấu chấm, ví dụ 98.3 (không viết "98,3", không đặt trong ngoặc kép)',
)
_INTEGER = ("expected a whole number as a JSON number, e.g. 12", "cần một số nguyên dạng số JSON, ví dụ 12")
_BOOLEAN = ("expected true or false (JSON, without quotes)", "cần true hoặc false (giá trị JSON, không đặt trong ngoặc kép)")
_OBJECT = ('expected a JSON object, e.g. {"value": 98.3}', 'cần một đối tượng JSON, ví dụ {"value": 98.3}')

MESSAGES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"), _DATE),
    **dict.fromkeys(("datetime_parsing", "datetime_from_date_parsing", "datetime_type", "datetime_object_invalid"), _DATETIME),
    **dict.fromkeys(("float_parsing", "float_type", "decimal_parsing", "decimal_type"), _NUMBER),
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float", "int_parsing_size"), _INTEGER),
    **dict.fromkeys(("bool_parsing", "bool_type"), _BOOLEAN),
    **dict.fromkeys(("model_type", "model_attributes_type", "dict_type"), _OBJECT),
    "finite_number": ("expected a finite number, e.g. 98.3", "cần một số hữu hạn, ví dụ 98.3"),
    "string_type": ('expected text in double quotes, e.g. "Hà Nội"', 'cần một chuỗi trong ngoặc kép, ví dụ "Hà Nội"'),
    "list_type": ("expected a JSON array, e.g. [1, 2]", "cần một mảng JSON, ví dụ [1, 2]"),
    "missing": ("this field is required", "trường này là bắt buộc"),
    "extra_forbidden": (
        "unknown field: remove it or check its spelling",
        "trường không có trong API: bỏ đi hoặc kiểm tra chính tả",
    ),
    "literal_error": ("expected one of: {expected}", "cần một trong các giá trị: {expected}"),
    "enum": ("expected one of: {expected}", "cần một trong các giá trị: {expected}"),
    "greater_than": ("must be more than {gt}", "phải lớn hơn {gt}"),
    "greater_than_equal": ("must be at least {ge}", "phải lớn hơn hoặc bằng {ge}"),
    "less_than": ("must be less than {lt}", "phải nhỏ hơn {lt}"),
    "less_than_equal": ("must be at most {le}", "phải nhỏ hơn hoặc bằng {le}"),
    "string_too_short": ("must have at least {min_length} character(s)", "phải có ít nhất {min_length} ký tự"),
    "string_too_long": ("must have at most {max_length} characters", "tối đa {max_length} ký tự"),
    "too_short": ("must have at least {min_length} item(s)", "phải có ít nhất {min_length} phần tử"),
    "too_long": ("must have at most {max_length} items", "tối đa {max_length} phần tử"),
}

# Where echoing the value sent would not help (the whole body, or nothing was sent).
_NO_ECHO = {"missing", "extra_forbidden", "model_type", "model_attributes_type", "dict_type", "list_type"}
_GOT = {"en": "; got {}", "vi": "; đã gửi {}"}


def message(error: dict[str, Any], lang: str) -> str | None:
    """The teaching message for one pydantic error in `lang` (vi or en), or None for a type not mapped here."""
    kind = error.get("type", "")
    texts = MESSAGES.get(kind)
    if texts is None:
        return None
    template = texts[0] if lang == "en" else texts[1]
    try:
        text = template.format(**{k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, (str, int, float))})
    except (KeyError, IndexError):  # a ctx without the value the template names
        return None
    sent = error.get("input")
    if kind not in _NO_ECHO and (sent is None or isinstance(sent, (str, int, float, bool))):
        shown = json.dumps(sent, ensure_ascii=False)
        text += _GOT.get(lang, _GOT["vi"]).format(shown if len(shown) <= 40 else shown[:37] + "...")
    return text


def invalid_json(position: Any, lang: str) -> str:
    """The message for a body that is not JSON at all."""
    if lang == "en":
        return f"the body is not valid JSON (near character {position})"
    return f"nội dung gửi lên không phải JSON hợp lệ (gần ký tự thứ {position})"
