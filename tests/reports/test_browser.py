"""The HTML report in a real browser: Debian's chromium, driven by Playwright for Python.

No console error, every target row present, readable on a phone (nothing wider than the screen but
the tables' own scrolling), and a screenshot and a print-to-PDF made in the run, kept under the
test's temporary folder (the CI artefacts). Playwright's own browser download is never used: it
launches /usr/bin/chromium (`.ci/run` installs it when absent). The test skips, saying why, only
when that executable or the playwright package cannot be found.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest
from pypdf import PdfReader

from tests.api.helpers import API

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


def chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"no chromium at {CHROMIUM} nor on PATH (CI installs it: apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed: pip install -e '.[test]'")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture
def browser():
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        yield b
        b.close()


def test_the_html_report_in_chromium(client, seeded, browser, tmp_path):
    r = client.get(f"{API}/plans/1/report", params={"as_of": "2019-12-31", "format": "html"})
    assert r.status_code == 200, r.text
    page_file = tmp_path / "report.html"
    page_file.write_bytes(r.content)

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.goto(page_file.as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.locator("tbody tr[id^=target-]").count() == 12
    assert page.locator("thead th[scope=col]").count() == 5 * 7
    assert page.locator("figure svg").count() == 1
    assert "Đạt và vượt 8/12 chỉ tiêu" in page.locator("p.headline").inner_text()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(tmp_path / "report-print.pdf"), format="A4", prefer_css_page_size=True)
    printed = PdfReader(io.BytesIO((tmp_path / "report-print.pdf").read_bytes()))
    assert len(printed.pages) >= 5  # a page per category
    # chromium's PDF splits text into glyph runs: compare without spaces
    assert "ĐẢNGCỘNGSẢNVIỆTNAM" in "".join(printed.pages[0].extract_text().split())

    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.goto(page_file.as_uri(), wait_until="load")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    phone.screenshot(path=str(tmp_path / "report-phone.png"))
    assert not problems, problems
    print(f"\nbrowser artefacts: {tmp_path}")
