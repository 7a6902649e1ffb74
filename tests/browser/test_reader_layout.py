"""The reader after the merges of issues 14 and 15: its bar holds the page turn, the page and item
search, the downloads menu and the record link; above the panes, the volume switcher of a work;
below them, the citation; in the text pane, the edition's tools. In the four interfaces, at
1280x800 and 800x600: no two pieces of text overlap, no control overlaps another, and none is
pushed off the screen (beyond the window's width in a horizontal interface, beyond its height
in the vertical one, where the page scrolls sideways); with the downloads menu open, too.
Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import pytest

from test_site_browser import browser, live, shot  # noqa: F401
from test_vertical_mn import TEXT_FRAGMENTS, overlaps

pytestmark = pytest.mark.browser

READERS = {
    "volume": "/items/kangyur-vol-2/read?page=1",  # a work's volume: the switcher
    "edition": "/items/ed-hand/read?page=1a",  # an edition: its tools, notes
}
LOCALES = [("zh-CN", "zh-Hans"), ("mn-MN", "mn-Mong"), ("bo", "bo"), ("en-US", "en")]
SIZES = [(1280, 800), (800, 600)]

# The boxes of every visible control of the reader's page (links, buttons, fields, summaries).
CONTROLS = """() => {
  const out = [];
  for (const el of document.querySelectorAll(
      'main a[href], main button, main input:not([type=hidden]), main select, main summary')) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    if (el.closest('#osd, .visually-hidden, .embed-dialog')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    out.push({name: (el.className || el.tagName) + ':' + (el.textContent || el.value || '').trim()
                    .slice(0, 20), in_panel: !!el.closest('.download-panel'),
              box: [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY]});
  }
  return out;
}"""


def _overlapping_controls(controls: list[dict]) -> list[tuple[str, str]]:
    return overlaps([{"text": c["name"], "boxes": [c["box"]]} for c in controls])


def _off_screen(controls: list[dict], vertical: bool, width: int, height: int) -> list[str]:
    """Controls beyond the window's width (horizontal) or height (vertical), or before its
    start (there is no scrolling back past 0)."""
    out = []
    for c in controls:
        left, top, right, bottom = c["box"]
        if left < -1 or top < -1 or (not vertical and right > width + 1) or \
                (vertical and bottom > height + 1):
            out.append((c["name"], [round(v) for v in c["box"]]))
    return out


def _check(pg, name: str, vertical: bool, width: int, height: int) -> None:
    fragments = [f for f in pg.evaluate(TEXT_FRAGMENTS)]
    assert overlaps(fragments) == [], f"{name}: text overlaps"
    controls = pg.evaluate(CONTROLS)
    assert len(controls) >= 6, controls
    # an open menu lies over what is under it; its own controls must not overlap each other
    closed = [c for c in controls if not c["in_panel"]]
    opened = [c for c in controls if c["in_panel"]]
    assert _overlapping_controls(closed) == [], f"{name}: controls overlap"
    assert _overlapping_controls(opened) == [], f"{name}: menu controls overlap"
    assert _off_screen(controls, vertical, width, height) == [], f"{name}: off screen"
    if not vertical:
        assert pg.evaluate("document.documentElement.scrollWidth") <= width + 1, \
            f"{name}: the page scrolls sideways"


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("locale,tag", LOCALES)
def test_the_reader_holds_together(browser, live, locale, tag, width, height):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    errors: list[str] = []
    try:
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        vertical = tag == "mn-Mong"
        for kind, path in READERS.items():
            pg.goto(live + path)
            pg.wait_for_load_state("networkidle")
            pg.evaluate("document.fonts.ready.then(() => 1)")
            assert pg.locator("html").get_attribute("lang") == tag
            if kind == "volume":
                assert pg.locator("nav.volumes").is_visible()
            else:
                pg.locator(".edition-tools").wait_for(state="visible")
            name = f"reader-{kind}-{tag}-{width}x{height}"
            _check(pg, name, vertical, width, height)
            shot(pg, name)
            pg.locator(".download-menu summary").click()
            assert pg.locator(".download-panel").is_visible()
            _check(pg, name + " (downloads open)", vertical, width, height)
            shot(pg, name + "-downloads")
    finally:
        context.close()
    assert errors == []
