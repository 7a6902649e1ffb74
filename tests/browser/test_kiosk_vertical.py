"""The kiosk in the traditional-Mongolian interface is vertical like the rest of it: every piece of
text stands in vertical lines, nothing overlaps, the page, its caption and the controls stand as
columns from left to right, all on the screen, and the deep-zoom page still draws and turns. The
other interfaces keep the horizontal kiosk. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import pytest

from test_site_browser import browser, live, shot  # noqa: F401
from test_vertical_mn import TEXT_FRAGMENTS, overlaps

pytestmark = pytest.mark.browser

KIOSK = "/kiosk/all?advance=600&idle=600"
SHOWN = ".slide:not([hidden])"


def _open(browser, live, locale: str, width: int, height: int):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(live + KIOSK)
    pg.wait_for_function(f"() => document.querySelector('{SHOWN} .k-osd')?.dataset.drawn === '1'",
                         timeout=15000)
    pg.evaluate("document.fonts.ready.then(() => 1)")
    return context, pg, errors


def _inside(box: dict, width: int, height: int) -> bool:
    return (box["x"] >= -1 and box["y"] >= -1 and box["x"] + box["width"] <= width + 1
            and box["y"] + box["height"] <= height + 1)


@pytest.mark.parametrize("width,height", [(1280, 800), (800, 600)])
def test_the_mongolian_kiosk_is_vertical_without_overlaps(browser, live, width, height):
    context, pg, errors = _open(browser, live, "mn-MN", width, height)
    try:
        assert pg.locator("html").get_attribute("lang") == "mn-Mong"
        assert pg.evaluate("getComputedStyle(document.documentElement).writingMode") == \
            "vertical-lr"
        fragments = pg.evaluate(TEXT_FRAGMENTS)
        assert len(fragments) >= 2, fragments  # the caption's title and page at least
        sideways = [(f["tag"], f["text"], f["mode"]) for f in fragments
                    if f["mode"] != "vertical-lr"]
        assert sideways == [], sideways
        assert overlaps(fragments) == []
        # columns from left to right: the page, its caption, the controls; all on the screen
        view = pg.locator(f"{SHOWN} .k-view").bounding_box()
        caption = pg.locator(f"{SHOWN} figcaption").bounding_box()
        controls = pg.locator(".kiosk-controls").bounding_box()
        assert view["x"] + view["width"] <= caption["x"] + 1, (view, caption)
        assert caption["x"] + caption["width"] <= controls["x"] + 1, (caption, controls)
        assert controls["height"] > controls["width"]
        assert view["width"] > 0.4 * width and view["height"] > 0.8 * height, view
        for button in pg.locator(".kiosk-controls button").all():
            assert _inside(button.bounding_box(), width, height), button.get_attribute("class")
        assert _inside(caption, width, height), caption
        # the deep-zoom box keeps horizontal pixels, and the next page still comes
        assert pg.evaluate(f"getComputedStyle(document.querySelector('{SHOWN} .k-view'))"
                           ".writingMode") == "horizontal-tb"
        shot(pg, f"kiosk-mn-vertical-{width}x{height}")
        pg.locator(".k-next").click()
        assert pg.locator("body").get_attribute("data-slide") == "1"
    finally:
        context.close()
    assert errors == []


@pytest.mark.parametrize("locale", ["en-US", "zh-CN", "bo"])
def test_the_other_kiosks_stay_horizontal(browser, live, locale):
    context, pg, errors = _open(browser, live, locale, 1280, 800)
    try:
        assert pg.evaluate("getComputedStyle(document.documentElement).writingMode") == \
            "horizontal-tb"
        controls = pg.locator(".kiosk-controls").bounding_box()
        assert controls["width"] > controls["height"] and controls["y"] > 600
    finally:
        context.close()
    assert errors == []
