"""The report as an HTML page (Jinja2): the same document, with print CSS (A4, a page per category,
table headers repeated) and the plan's chart inline as SVG; readable on a phone."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports import charts
from app.reports.document import STATUS_COLOURS, Report

# One environment for the process: templates compile once; rendering is thread-safe.
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(report: Report) -> bytes:
    """The page's bytes (UTF-8)."""
    chart = charts.inline(charts.plan_chart(list(report.counts), lang=report.lang))
    page = _ENV.get_template("report.html").render(report=report, chart=chart, colours=STATUS_COLOURS)
    return page.encode("utf-8")
