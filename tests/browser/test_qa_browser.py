"""Defects found by trying the merged site in Chromium (docs/qa-2026-12-03.md): a text-only
item in an embedded frame. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest

from test_edition import live  # noqa: F401
from test_site_browser import browser, shot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, height", [(800, 600), (500, 300)])
def test_an_embedded_text_only_page_fills_the_frame(browser, live, width, height):  # noqa: F811
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(live + "/embed/ed-hand?page=1a")
        page.wait_for_load_state("networkidle")
        pane = page.locator(".text-pane")
        assert pane.is_visible(), "a text-only page shows its text in a small frame too"
        box = pane.bounding_box()
        assert box["width"] > width * 0.9, box
        assert "The first song" in page.locator("#transcription").inner_text()
        size = page.evaluate("[document.documentElement.scrollWidth,"
                             " document.documentElement.scrollHeight]")
        assert size == [width, height]  # no scrolling
        shot(page, f"qa-embed-text-only-{width}x{height}")
    finally:
        ctx.close()
