"""Which of the API's two languages (vi, en) an answer is written in, and the headers that say so.

One negotiation for every answer in a language: the status routes and reports (through the
`language` dependency, app/deps.py) and the validation problems (app/errors.py), which are
written before any dependency runs. `?lang=` wins; else the most preferred of vi/en in
Accept-Language; else Vietnamese, the users' language.
"""

from __future__ import annotations

from enum import StrEnum

LANGUAGES = ("vi", "en")


class Language(StrEnum):
    """The languages of messages and headlines (a named enum, so generated clients get a `Language` type)."""

    VI = "vi"
    EN = "en"


DEFAULT = "vi"


def negotiate(lang: str | None, accept_language: str | None) -> str:
    """`lang` when it is vi or en, else the most preferred of vi/en in Accept-Language, else Vietnamese.

    Ties go to the one listed first; q=0 means "not acceptable" (RFC 9110 §12.5.4).
    """
    if lang in LANGUAGES:
        return str(lang)
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else DEFAULT


def headers(lang: str) -> dict[str, str]:
    """What an answer written in `lang` says about it: its language, and that Accept-Language chose it
    (so a shared cache keeps one copy per language)."""
    return {"Content-Language": lang, "Vary": "Accept-Language"}


def add_vary(existing: str | None, name: str = "Accept-Language") -> str:
    """A Vary header value with `name` in it once."""
    names = [n.strip() for n in (existing or "").split(",") if n.strip()]
    if name.lower() not in (n.lower() for n in names):
        names.append(name)
    return ", ".join(names)
