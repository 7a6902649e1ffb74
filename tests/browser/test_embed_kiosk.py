"""For halls and embedders (issue 14), in headless Chromium: /embed fits the frame it is given
(at 800×600 nothing scrolls; at 500×300 the region asked for is what the viewer shows), and
the kiosk zooms on a pinch or the wheel (OpenSeadragon) and still returns to its first page,
at the home zoom, after the idle time (``?idle=`` seconds). Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import pytest

# The live server, browser, page and requests_seen fixtures (skips, launch args, the
# 127.0.0.1-only and no-JavaScript-error checks) are shared with the site's browser tests.
from test_site_browser import browser, live, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser

FITS = "() => [document.documentElement.scrollHeight, document.body.scrollHeight, innerHeight," \
       " document.documentElement.scrollWidth, innerWidth]"
# The part of the image the embed's viewer shows, in image pixels.
VISIBLE = """() => {
  const v = OpenSeadragon.getViewer(document.getElementById('osd'));
  const vp = v.viewport;
  const r = vp.viewportToImageRectangle(vp.getBounds(true));
  return [r.x, r.y, r.width, r.height];
}"""


def _loaded(pg) -> None:
    pg.wait_for_function("() => document.getElementById('osd').dataset.drawn === '1'",
                         timeout=15000)


def _fits(pg) -> None:
    doc_h, body_h, inner_h, doc_w, inner_w = pg.evaluate(FITS)
    assert doc_h <= inner_h and body_h <= inner_h, (doc_h, body_h, inner_h)
    assert doc_w <= inner_w, (doc_w, inner_w)


def test_embed_fits_800_by_600_without_scrolling(page, live):
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(live + "/embed/jangar-ms-1?page=2&q=ᠵᠠᠩᠭᠠᠷ")
    _loaded(page)
    _fits(page)
    osd = page.locator("#osd").bounding_box()
    text = page.locator("#transcription").bounding_box()
    assert osd["height"] > 400 and text["height"] > 300  # the frame is used, not left empty
    assert osd["y"] + osd["height"] <= 600 and text["y"] + text["height"] <= 600
    assert page.locator(".embed-credit").is_visible()
    shot(page, "embed-800x600")


@pytest.mark.parametrize("region", [(200, 300, 400, 300), (600, 100, 300, 900)])
def test_embed_at_500_by_300_shows_the_region_asked_for(page, live, region):
    page.set_viewport_size({"width": 500, "height": 300})
    page.goto(live + "/embed/jangar-ms-1?page=1&region=" + ",".join(map(str, region)))
    _loaded(page)
    _fits(page)
    page.wait_for_timeout(300)
    x, y, w, h = page.evaluate(VISIBLE)
    rx, ry, rw, rh = region
    slack = 0.03 * max(rw, rh)
    # the region is all in view, and fills the view in one direction (fitted, not lost in it)
    assert x <= rx + slack and y <= ry + slack, (x, y, w, h)
    assert x + w >= rx + rw - slack and y + h >= ry + rh - slack, (x, y, w, h)
    assert abs(w - rw) <= 0.05 * rw or abs(h - rh) <= 0.05 * rh, (x, y, w, h)
    osd = page.locator("#osd").bounding_box()
    assert osd["width"] > 400 and osd["height"] > 180
    shot(page, f"embed-500x300-{'-'.join(map(str, region))}")


ZOOM = """() => {
  const v = OpenSeadragon.getViewer(document.querySelector('.slide:not([hidden]) .k-osd'));
  return v ? [v.viewport.getZoom(true), v.viewport.getHomeZoom()] : null;
}"""


def _zoom(pg) -> tuple[float, float]:
    found = pg.evaluate(ZOOM)
    assert found is not None, "the slide shown has no deep-zoom viewer"
    return found[0], found[1]


def test_kiosk_zooms_on_wheel_and_returns_after_idle(page, live):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live + "/kiosk/all?advance=600&idle=2")
    page.wait_for_function("() => document.querySelector('.slide:not([hidden]) .k-osd')"
                           "?.dataset.drawn === '1'", timeout=15000)
    zoom, home = _zoom(page)
    assert abs(zoom - home) <= 0.01 * home
    box = page.locator(".slide:not([hidden]) .k-osd").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(120)
    page.wait_for_timeout(600)
    zoom, home = _zoom(page)
    assert zoom > 1.5 * home, (zoom, home)
    assert page.locator("body").get_attribute("data-zoomed") == "1"
    shot(page, "kiosk-zoomed")
    # the visitor leaves: after the idle time, the first slide at its home zoom
    page.wait_for_function("() => document.body.dataset.returns === '1'", timeout=8000)
    page.wait_for_timeout(800)
    assert page.locator("body").get_attribute("data-slide") == "0"
    zoom, home = _zoom(page)
    assert abs(zoom - home) <= 0.02 * home, (zoom, home)


def test_kiosk_zooms_on_a_pinch(page, live):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live + "/kiosk/all?advance=600&idle=30")
    page.wait_for_function("() => document.querySelector('.slide:not([hidden]) .k-osd')"
                           "?.dataset.drawn === '1'", timeout=15000)
    box = page.locator(".slide:not([hidden]) .k-osd").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    # two fingers moving apart: Chromium's synthetic pinch, as a touch screen sends it
    cdp.send("Input.synthesizePinchGesture", {"x": cx, "y": cy, "scaleFactor": 2.5,
                                              "gestureSourceType": "touch"})
    page.wait_for_timeout(800)
    zoom, home = _zoom(page)
    assert zoom > 1.5 * home, (zoom, home)
    shot(page, "kiosk-pinched")
