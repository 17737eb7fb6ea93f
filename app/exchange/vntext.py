"""Vietnamese text made comparable: `normalize` (NFC, clean spaces, no control characters) and
`fold` (lower case, one tone placement, 'tỉ' → 'tỷ'), as `vnnumbers` and the word lists use them.

Pure: standard library only.
"""

from __future__ import annotations

import re
import unicodedata

_CHAR_FIXES = str.maketrans({"ƣ": "ư", "Ƣ": "Ư", "Ð": "Đ", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " "})
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE_RUNS = re.compile(r"[ \t]+")
_SPACE_GROUPS = re.compile(r"(?<=\d)[\u00a0\u2007\u202f\u2009](?=\d{3}(?!\d))")
# Old-style tone placement in open syllables (hoá, thuỷ) → the placement used in the word lists.
_TONE_PAIRS = {
    "oá": "óa",
    "oà": "òa",
    "oả": "ỏa",
    "oã": "õa",
    "oạ": "ọa",
    "oé": "óe",
    "oè": "òe",
    "oẻ": "ỏe",
    "oẽ": "õe",
    "oẹ": "ọe",
    "uý": "úy",
    "uỳ": "ùy",
    "uỷ": "ủy",
    "uỹ": "ũy",
    "uỵ": "ụy",
}
_TONE_RE = re.compile("(?:" + "|".join(_TONE_PAIRS) + r")(?!\w)")
_TI_RE = re.compile(r"(?<!\w)tỉ(?!\w)")

DASHES = "-–—‒―−"


def normalize(text: str) -> str:
    """NFC, 'ƣ' → 'ư', one space for any run of (no-break) spaces, no control or zero-width characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _SPACE_GROUPS.sub("", text)
    return _SPACE_RUNS.sub(" ", text.translate(_CHAR_FIXES))


def fold(text: str) -> str:
    """Lower case with one tone placement and 'tỉ' → 'tỷ', for matching; keeps the length."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: keep the text as is
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    low = _TONE_RE.sub(lambda m: _TONE_PAIRS[m.group(0)], low)
    return _TI_RE.sub("tỷ", low)
