"""The traditional-Mongolian interface is set wholly in vertical lines, with nothing overlapping.

For each main page (home, search results, record, reader, 404) in the mn-Mong interface: every
visible piece of text is in an element whose computed writing-mode is vertical-lr (Latin,
Chinese and Tibetan runs inside may turn or stand upright, as text-orientation: mixed sets them),
except the regions vertical.css keeps horizontal on purpose (the deep-zoom image, which has no
text, a transcription in a horizontal script, and Mirador on /compare); and no two text fragments (the line boxes of
different text nodes, cut to what their scrolling boxes show) overlap. The page's columns flow
from left to right: the header is left of the main content, the footer right of it; the mouse
wheel moves through them; Mirador on /compare keeps a full horizontal box.

Screenshots of these pages, and of the home and record pages in the four interface languages,
go to test-artifacts/.
"""
from __future__ import annotations

import pytest

# The browser, page and requests_seen fixtures (skips, launch args, the 127.0.0.1-only and
# no-JavaScript-error checks) are shared with the site's browser tests.
from test_site_browser import browser, live, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser

MAIN_PAGES = {
    "home": "/",
    "search": "/search?q=ᠵᠠᠩᠭᠠᠷ",
    "search-latin": "/search?q=geser",
    "record": "/items/jangar-ms-1",
    "record-zh": "/items/zh-archive-1",
    "reader": "/items/jangar-ms-1/read?page=1",
    "404": "/no-such-page",
}

# Every visible text fragment: its node's index, its element's writing mode, its line boxes in
# page coordinates, each cut to the boxes of the scrolling ancestors that show it.
TEXT_FRAGMENTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, index = 0;
  while ((node = walker.nextNode())) {
    if (!node.data.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest('script, style, noscript, template, [hidden], .visually-hidden')) continue;
    // not rendered: display none, visibility hidden, or the body of a closed <details>
    if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) continue;
    const cs = getComputedStyle(el);
    const clips = [];
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible' || s.clip !== 'auto') {
        clips.push(a.getBoundingClientRect());
      }
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    const boxes = [];
    for (const r of range.getClientRects()) {
      let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
      for (const c of clips) {
        l = Math.max(l, c.left); t = Math.max(t, c.top);
        rt = Math.min(rt, c.right); b = Math.min(b, c.bottom);
      }
      if (rt - l > 1 && b - t > 1 && rt + scrollX > 0 && b + scrollY > 0) {
        boxes.push([l + scrollX, t + scrollY, rt + scrollX, b + scrollY]);
      }
    }
    if (!boxes.length) continue;
    const kept = el.closest('#osd, .transcription:not(.mong), .mirador-box');
    out.push({index: index++, text: node.data.trim().slice(0, 24), tag: el.tagName,
              mode: cs.writingMode, horizontalOnPurpose: !!kept, boxes: boxes});
  }
  return out;
}"""

TOLERANCE = 1.0  # px: glyphs of one line may touch


def overlaps(fragments: list[dict]) -> list[tuple[str, str]]:
    """Pairs of fragments of different text nodes whose line boxes overlap."""
    found = []
    for i, a in enumerate(fragments):
        for b in fragments[i + 1:]:
            for ra in a["boxes"]:
                for rb in b["boxes"]:
                    w = min(ra[2], rb[2]) - max(ra[0], rb[0])
                    h = min(ra[3], rb[3]) - max(ra[1], rb[1])
                    if w > TOLERANCE and h > TOLERANCE:
                        found.append((a["text"], b["text"]))
    return found


def test_overlap_rule() -> None:
    """Boxes that share more than the tolerance overlap; boxes that touch do not."""
    a = {"text": "a", "boxes": [[0, 0, 20, 100]]}
    assert overlaps([a, {"text": "b", "boxes": [[20, 0, 40, 100]]}]) == []  # side by side
    assert overlaps([a, {"text": "c", "boxes": [[10, 50, 30, 150]]}]) == [("a", "c")]
    assert overlaps([a, {"text": "d", "boxes": [[50, 0, 70, 10], [19.5, 0, 40, 100]]}]) == []


@pytest.fixture(scope="module")
def mn_context(browser):
    context = browser.new_context(locale="mn-MN", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.mark.parametrize("name", list(MAIN_PAGES))
def test_mongolian_interface_is_vertical_without_overlaps(mn_context, live, name):
    pg = mn_context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        response = pg.goto(live + MAIN_PAGES[name])
        pg.wait_for_load_state("networkidle")
        pg.evaluate("document.fonts.ready.then(() => 1)")
        assert response.status == (404 if name == "404" else 200)
        if name == "404" and not pg.evaluate("!!document.querySelector('html.ui-vertical')"):
            pytest.skip("the 404 page is not yet set in the site layout (the edition task "
                        "renders error pages through base.html); nothing of the interface to test")
        assert pg.locator("html").get_attribute("lang") == "mn-Mong"
        fragments = pg.evaluate(TEXT_FRAGMENTS)
        assert len(fragments) > 10, fragments
        sideways = [(f["tag"], f["text"], f["mode"]) for f in fragments
                    if f["mode"] != "vertical-lr" and not f["horizontalOnPurpose"]]
        assert sideways == [], f"{name}: text not in vertical lines: {sideways[:20]}"
        overlapping = overlaps(fragments)
        assert overlapping == [], f"{name}: text overlaps: {overlapping[:20]}"
        # columns flow left to right: header, then main, then footer
        header = pg.locator(".site-header").bounding_box()
        main = pg.locator("main").bounding_box()
        footer = pg.locator(".site-footer").bounding_box()
        assert header["x"] + header["width"] <= main["x"] + 1
        assert main["x"] + main["width"] <= footer["x"] + 1
        assert header["height"] > header["width"]
        shot(pg, f"mn-vertical-{name}")
    finally:
        pg.close()
    assert errors == []


def test_record_headings_stand_apart(mn_context, live):
    """The record page's section headings each stand in their own column, apart from the next."""
    pg = mn_context.new_page()
    try:
        pg.goto(live + "/items/jangar-ms-1")
        pg.wait_for_load_state("networkidle")
        boxes = [b for b in (h.bounding_box() for h in pg.locator("main h2").all()) if b]
        assert len(boxes) >= 3
        boxes.sort(key=lambda b: b["x"])
        for left, right in zip(boxes, boxes[1:]):
            assert right["x"] - (left["x"] + left["width"]) >= 8, (left, right)
    finally:
        pg.close()


def test_mouse_wheel_moves_through_the_columns(mn_context, live):
    """The page scrolls sideways; the wheel turned down moves it right (vertical.js), except over
    the deep-zoom image, which zooms with it."""
    pg = mn_context.new_page()
    try:
        pg.goto(live + "/items/jangar-ms-1")
        pg.wait_for_load_state("networkidle")
        assert pg.evaluate("document.documentElement.scrollWidth > innerWidth")
        pg.mouse.move(640, 450)
        pg.mouse.wheel(0, 500)
        pg.wait_for_function("() => scrollX >= 400", timeout=5000)
        assert pg.evaluate("scrollY") == 0
        pg.goto(live + "/items/jangar-ms-1/read?page=1")
        pg.wait_for_selector("#osd[data-loaded='1']", timeout=15000)
        box = pg.locator("#osd").bounding_box()
        pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        pg.mouse.wheel(0, 300)
        pg.wait_for_timeout(500)
        assert pg.evaluate("scrollX") == 0
    finally:
        pg.close()


def test_compare_gives_mirador_the_page_beside_vertical_chrome(mn_context, live):
    """Mirador, laid out in horizontal pixels, keeps a full horizontal box; the page around it
    is vertical."""
    pg = mn_context.new_page()
    try:
        pg.goto(live + "/compare?item=geser-ms-1&item=jangar-ms-1")
        pg.wait_for_function("() => document.querySelectorAll('.mirador-window').length === 2",
                             timeout=15000)
        box = pg.locator(".mirador-box").bounding_box()
        assert box["width"] > 800 and box["height"] > 700, box
        windows = [w.bounding_box() for w in pg.locator(".mirador-window").all()]
        assert all(w["width"] > 300 and w["height"] > 500 for w in windows), windows
        fragments = pg.evaluate(TEXT_FRAGMENTS)
        outside = [f for f in fragments if not f["horizontalOnPurpose"]]
        assert outside and all(f["mode"] == "vertical-lr" for f in outside)
        assert overlaps(outside) == []
        pg.wait_for_timeout(1000)
        shot(pg, "mn-vertical-compare")
    finally:
        pg.close()


@pytest.mark.parametrize("locale,tag", [("zh-CN", "zh-Hans"), ("mn-MN", "mn-Mong"),
                                        ("bo", "bo"), ("en-US", "en")])
def test_screenshots_of_the_four_interfaces(browser, live, locale, tag):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        for name in ("home", "search", "record", "reader"):
            pg.goto(live + MAIN_PAGES[name])
            pg.wait_for_load_state("networkidle")
            assert pg.locator("html").get_attribute("lang") == tag
            vertical = pg.evaluate("getComputedStyle(document.documentElement).writingMode")
            assert vertical == ("vertical-lr" if tag == "mn-Mong" else "horizontal-tb")
            shot(pg, f"ui-{tag}-{name}")
    finally:
        context.close()
