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

from test_edition_site import build_edition_library
from test_site_browser import LiveServer, browser, live, shot  # noqa: F401
from test_vertical_mn import TEXT_FRAGMENTS, overlaps

pytestmark = pytest.mark.browser

READERS = {  # (which library, path)
    "volume": ("sample", "/items/kangyur-vol-2/read?page=1"),  # a work's volume: the switcher
    "edition": ("edition", "/items/ed-hand/read?page=1a"),  # an edition: its tools, notes
    "cbeta": ("edition", "/items/cbeta/read?page=0848c"),  # image, apparatus, notes
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
    // cut to the scrolling boxes it lies in: what they scroll out of view is not on the page
    const r = el.getBoundingClientRect();
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      l = Math.max(l, c.left); t = Math.max(t, c.top); rt = Math.min(rt, c.right);
      b = Math.min(b, c.bottom);
    }
    if (rt - l < 1 || b - t < 1) continue;
    out.push({name: (el.className || el.tagName) + ':' + (el.textContent || el.value || '').trim()
                    .slice(0, 20), in_panel: !!el.closest('.download-panel'),
              box: [l + scrollX, t + scrollY, rt + scrollX, b + scrollY]});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def edition_live(tmp_path_factory, shared_dir):
    from viewer import create_app

    settings = build_edition_library(tmp_path_factory.mktemp("layout-edition") / "lib",
                                     tmp_path_factory.mktemp("layout-edition-tei"), shared_dir)
    server = LiveServer(create_app({"SUDUR_SETTINGS": settings}))
    yield server.url
    server.stop()


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


# Whether each visible text of the open download panel is drawn on top (the panel covers what
# lies under it, as a menu does), by the element found at the middle of its line boxes.
PANEL_ON_TOP = """() => {
  const panel = document.querySelector('.download-menu[open] .download-panel');
  const out = [];
  const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    if (!node.data.trim() || !node.parentElement.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
      if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) continue;
      const hit = document.elementFromPoint(x, y);
      out.push([node.data.trim().slice(0, 20), !!hit && panel.contains(hit)]);
    }
  }
  return out;
}"""


def _check(pg, name: str, vertical: bool, width: int, height: int) -> None:
    fragments = pg.evaluate(TEXT_FRAGMENTS)
    in_panel = set(pg.evaluate(
        "() => { const p = document.querySelector('.download-menu[open] .download-panel');"
        " if (!p) return []; const out = []; let i = 0;"
        " const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); let n;"
        " while ((n = w.nextNode())) { if (!n.data.trim()) continue;"
        " const el = n.parentElement;"
        " if (!el || el.closest('script, style, noscript, template, [hidden], .visually-hidden'))"
        " continue;"
        " if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}))"
        " continue; if (p.contains(n)) out.push(n.data.trim().slice(0, 24)); }"
        " return out; }"))
    panel = [f for f in fragments if f["text"] in in_panel]
    rest = [f for f in fragments if f["text"] not in in_panel]
    assert overlaps(panel) == [], f"{name}: the menu's texts overlap"
    assert overlaps(rest) == [], f"{name}: text overlaps"
    if panel:
        covered = [t for t, on_top in pg.evaluate(PANEL_ON_TOP) if not on_top]
        assert covered == [], f"{name}: the open menu is drawn under other things"
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
def test_the_reader_holds_together(browser, live, edition_live, locale, tag, width, height):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    errors: list[str] = []
    try:
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        vertical = tag == "mn-Mong"
        for kind, (library, path) in READERS.items():
            pg.goto((live if library == "sample" else edition_live) + path)
            pg.wait_for_load_state("networkidle")
            pg.evaluate("document.fonts.ready.then(() => 1)")
            assert pg.locator("html").get_attribute("lang") == tag
            if kind == "volume":
                assert pg.locator("nav.volumes").is_visible()
            elif kind == "edition":
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
