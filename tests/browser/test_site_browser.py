"""The site in a real browser: Debian's headless Chromium driven by Playwright against a live
server over the sample library.

Searches in five scripts and transliterations open the right page in the reader with the image
drawn and the hit marked; Mongolian snippets stand vertically; only /embed may be framed by
another origin; the kiosk advances and returns to the start; the interface language persists;
basic accessibility holds; and no request leaves 127.0.0.1. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class LiveServer:
    """A WSGI app served from a thread on 127.0.0.1 at a free port."""

    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(sample_library) -> Iterator[str]:
    from viewer import create_app

    server = LiveServer(create_app({"SUDUR_SETTINGS": sample_library}))
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def other_origin(live) -> Iterator[str]:
    """A page on another port framing the embed page and a record page."""
    html = (f'<!doctype html><html lang="en"><title>framing test</title>'
            f'<iframe id="embed" src="{live}/embed/jangar-ms-1?page=2" width="800" height="600">'
            f'</iframe><iframe id="record" src="{live}/items/jangar-ms-1" width="800" '
            f'height="600"></iframe></html>').encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    server = LiveServer(app)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    vendor = Path(__file__).resolve().parents[2] / "viewer" / "static" / "vendor"
    if not (vendor / "openseadragon" / "openseadragon.min.js").is_file():
        pytest.skip(f"the npm assets are not in {vendor}: run `make assets`")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def requests_seen() -> list[str]:
    return []


@pytest.fixture()
def page(browser, requests_seen):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.on("request", lambda r: requests_seen.append(r.url))
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    outside = [u for u in requests_seen if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


CANVAS_PIXELS = """() => {
  const c = document.querySelector('#osd canvas');
  if (!c || !c.width) return {n: 0, colours: 0};
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const colours = new Set(); let n = 0;
  for (let i = 0; i < d.length; i += 4 * 31) {
    if (d[i + 3] > 0) { n++; colours.add((d[i] >> 4) + ',' + (d[i + 1] >> 4) + ',' + (d[i + 2] >> 4)); }
  }
  return {n: n, colours: colours.size};
}"""


def wait_drawn(pg) -> dict:
    pg.wait_for_function("() => document.getElementById('osd').dataset.drawn === '1'", timeout=15000)
    pg.wait_for_timeout(300)  # let the remaining tiles of the first view land
    return pg.evaluate(CANVAS_PIXELS)


@pytest.mark.parametrize("name,query,item,order,marked", [
    ("mongolian", "ᠵᠠᠩᠭᠠᠷ", "jangar-ms-1", 1, "ᠵᠠᠩᠭᠠᠷ"),
    ("tibetan", "བྱང་ཆུབ", "kangyur-vol-1", 2, "བྱང་ཆུབ"),
    ("wylie", "byang chub", "kangyur-vol-1", 2, "བྱང་ཆུབ"),
    ("pinyin", "qianlong", "zh-archive-1", 1, "乾隆"),
    ("cyrillic", "жангар", "jangar-ms-1", 1, "ᠵᠠᠩᠭᠠᠷ"),
])
def test_search_then_read_the_hit(page, live, name, query, item, order, marked):
    page.goto(live + "/")
    page.get_by_label("Search in any script or transliteration").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    link = page.locator(f'a.hit-link[href^="/items/{item}/read?page={order}&"]')
    assert link.count() >= 1
    shot(page, f"search-{name}")
    link.first.click()
    page.wait_for_url(re.compile(rf"/items/{item}/read\?page={order}\b"))
    assert page.locator("#reader").get_attribute("data-page") == str(order)
    pixels = wait_drawn(page)
    assert pixels["n"] > 100 and pixels["colours"] > 8, pixels  # the page image, not a blank
    marks = page.locator("#transcription mark")
    assert marks.count() >= 1
    assert marked in marks.all_inner_texts()[0].replace(" ", "") or marked in "".join(
        marks.all_inner_texts())
    shot(page, f"reader-{name}")


def test_mongolian_snippet_is_vertical_and_tibetan_horizontal(page, live):
    page.goto(live + "/search?q=ᠵᠠᠩᠭᠠᠷ")
    box = page.locator('p.kwic.mong[lang="mn-Mong"]').first.bounding_box()
    assert box["height"] > box["width"], box
    page.goto(live + "/search?q=byang+chub")
    box = page.locator('p.kwic[lang="bo"]').first.bounding_box()
    assert box["width"] > box["height"], box


def test_reader_keyboard_region_url_search_and_embed_code(page, live, requests_seen):
    page.goto(live + "/items/jangar-ms-1/read?page=1")
    wait_drawn(page)
    page.locator("h1.reader-title").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '2'")
    assert "page=2" in page.url
    assert page.locator(".current-label").inner_text() == "2"
    # turning the page moved the image too
    wait_drawn(page)
    assert any("/iiif/3/jangar-ms-1.0002/info.json" in u for u in requests_seen)
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '4'")
    page.keyboard.press("Home")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '1'")
    # zooming names the region in the URL, and the embed code follows it
    wait_drawn(page)
    osd = page.locator("#osd").bounding_box()
    page.mouse.move(osd["x"] + osd["width"] / 2, osd["y"] + osd["height"] / 3)
    page.mouse.wheel(0, -600)
    page.wait_for_function("() => location.search.includes('region=')", timeout=10000)
    region = re.search(r"region=(\d+)%2C(\d+)%2C(\d+)%2C(\d+)|region=(\d+),(\d+),(\d+),(\d+)",
                       page.url)
    assert region, page.url
    assert "region=" in page.locator("#embed-code").input_value()
    # search inside the item: pages listed, hits marked, boxes drawn over the image
    page.locator("#item-q").fill("ᠵᠠᠩᠭᠠᠷ")
    page.locator("#item-q").press("Enter")
    page.wait_for_selector("#item-hits li")
    assert page.locator("#item-hits li").count() >= 3
    page.wait_for_selector("#transcription mark")
    page.wait_for_selector(".hit-box", state="attached", timeout=10000)
    assert "q=" in page.url
    assert any("/iiif/jangar-ms-1/search?q=" in u for u in requests_seen)  # Content Search
    assert "ᠵᠠᠩᠭᠠᠷ" in page.locator("#item-hits li mark").first.inner_text()
    # the hits' labels come by range of orders, not from a list of every page in the HTML
    assert any("/api/items/jangar-ms-1/pages?from=1&to=1000" in u for u in requests_seen)
    assert page.locator("#item-hits li .hit-jump").first.inner_text() == "Page 1"
    shot(page, "reader-in-item-search")


def test_region_in_the_url_is_the_view_shown(page, live):
    page.goto(live + "/items/jangar-ms-1/read?page=1&region=100,100,300,300")
    wait_drawn(page)
    page.wait_for_timeout(500)
    m = re.search(r"region=(\d+)(?:,|%2C)(\d+)(?:,|%2C)(\d+)(?:,|%2C)(\d+)", page.url)
    assert m, page.url  # still a zoomed region, not the whole page
    x, y, w, h = map(int, m.groups())
    # the shown view contains the asked region (its aspect ratio may widen it)
    assert x <= 100 and y <= 100 and x + w >= 400 and y + h >= 400 and max(w, h) < 1000
    assert "region=" in page.locator("#embed-code").input_value()


def test_right_to_left_item_turns_with_the_left_arrow(page, live):
    page.goto(live + "/items/zh-archive-1/read?page=1")
    page.wait_for_selector("#reader")
    direction = page.locator("#reader").get_attribute("data-direction")
    page.locator("h1.reader-title").click()
    page.keyboard.press("ArrowLeft" if direction == "right-to-left" else "ArrowRight")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '2'")
    assert page.locator('#transcription[lang^="zh"]').count() == 1


def test_only_embed_may_be_framed_by_another_origin(page, live, other_origin):
    page.goto(other_origin + "/")
    page.wait_for_timeout(500)
    embed = page.frame_locator("#embed")
    embed.locator("#reader").wait_for(timeout=10000)
    frames = {f.url: f for f in page.frames}
    embed_frame = next(f for u, f in frames.items() if "/embed/jangar-ms-1" in u)
    embed_frame.wait_for_function("() => document.getElementById('osd').dataset.drawn === '1'",
                                  timeout=15000)
    assert not any("/items/jangar-ms-1" in u and f.query_selector(".record") for u, f in
                   frames.items() if not u.startswith("chrome-error"))
    assert page.frame_locator("#record").locator(".record").count() == 0
    shot(page, "framing")


def test_kiosk_advances_and_returns_to_start_when_idle(page, live):
    page.goto(live + "/kiosk/all?advance=0.6&idle=2")
    page.wait_for_function("() => document.body.dataset.slide !== '0'", timeout=5000)
    shot(page, "kiosk")
    page.locator(".k-next").click()
    page.locator(".k-next").click()
    after = int(page.locator("body").get_attribute("data-slide"))
    page.wait_for_timeout(1300)  # paused by the visitor: no advance
    assert int(page.locator("body").get_attribute("data-slide")) == after
    page.wait_for_function("() => document.body.dataset.returns === '1'", timeout=5000)
    assert page.locator("body").get_attribute("data-slide") in ("0", "1")
    assert page.locator("a[href], input, textarea, form").count() == 0  # no way out


def test_language_switch_persists(page, live):
    page.goto(live + "/items/jangar-ms-1")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator('nav.langs a[hreflang="bo"]').click()
    page.wait_for_url(re.compile(r"/items/jangar-ms-1$"))
    assert page.locator("html").get_attribute("lang") == "bo"
    page.goto(live + "/search?q=geser")
    assert page.locator("html").get_attribute("lang") == "bo"
    shot(page, "search-in-tibetan-ui")
    page.locator('nav.langs a[hreflang="mn-Mong"]').click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "mn-Mong"
    header = page.locator(".site-header").bounding_box()
    assert header["height"] > header["width"]  # the Mongolian interface's chrome stands vertically
    shot(page, "search-in-mongolian-ui")


A11Y = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html without lang');
  document.querySelectorAll('img').forEach(img => {
    if (!img.closest('#osd') && !img.getAttribute('alt')) problems.push('img without alt: ' + img.src);
  });
  document.querySelectorAll('input, select, textarea').forEach(el => {
    if (el.type === 'hidden' || el.closest('#osd')) return;
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) ||
      el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label');
    if (!labelled) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
  });
  const needs = [[/[\\u1800-\\u18AF]/, /(-Mong$|^(mn|xal|mnc)$)/i, 'Mongolian'],
                 [/[\\u0F00-\\u0FFF]/, /^(bo|dz)\\b/i, 'Tibetan'],
                 [/[\\u4E00-\\u9FFF]/, /^(zh|lzh|ja)\\b/i, 'Chinese']];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const p = node.parentElement;
    if (!p || p.closest('script, style, #osd, .mirador-box')) continue;
    const lang = (p.closest('[lang]') || document.documentElement).getAttribute('lang');
    for (const [chars, tag, name] of needs) {
      if (chars.test(node.data) && !tag.test(lang))
        problems.push(name + ' text under lang=' + lang + ': ' + node.data.trim().slice(0, 30));
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("path", ["/", "/search?q=ᠵᠠᠩᠭᠠᠷ", "/search?q=jangghar",
                                  "/items/jangar-ms-1", "/items/zh-archive-1",
                                  "/items/kangyur-vol-1/read?page=2", "/embed/todo-xiyouji-1",
                                  "/kiosk/all"])
def test_accessibility_basics(page, live, path):
    page.goto(live + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(A11Y) == []
    if not path.startswith(("/kiosk", "/embed")):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className")
        assert focused == "skip-link"  # the first Tab offers to skip to the content
        box = page.locator(".skip-link").bounding_box()
        assert box["x"] >= 0  # and it shows itself when focused
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    shot(page, f"a11y-{name}")


def test_search_and_record_work_without_javascript(browser, live):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        pg = context.new_page()
        pg.goto(live + "/")
        pg.get_by_label("Search in any script or transliteration").fill("geser")
        pg.get_by_label("Exact spelling").check()
        pg.locator("form.search-form button[type=submit]").click()
        pg.wait_for_url(re.compile(r"/search\?q=geser&exact=1"))
        assert pg.locator(".result-item").count() >= 1
        pg.locator(".facet a").first.click()  # a facet link narrows the search
        assert pg.locator(".active-filters li").count() == 1
        pg.goto(live + "/items/geser-ms-1")
        assert pg.locator(".thumbs img").count() >= 3
        assert pg.locator(".thumbs img").first.evaluate("img => img.naturalWidth") > 0
        pg.locator("#compare-with").select_option("jangar-ms-1")
        pg.get_by_role("button", name="Compare").click()
        assert "item=geser-ms-1&item=jangar-ms-1" in pg.url
        pg.goto(live + "/items/geser-ms-1/read?page=2")
        pg.locator("a.next").click()  # page turning by plain links
        assert "page=3" in pg.url and pg.locator(".current-label").inner_text() == "3"
    finally:
        context.close()


def test_compare_opens_two_mirador_windows(page, live):
    page.goto(live + "/items/geser-ms-1")
    page.locator("#compare-with").select_option("jangar-ms-1")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector(".mirador-window", timeout=15000)
    page.wait_for_function("() => document.querySelectorAll('.mirador-window').length === 2",
                           timeout=15000)
    page.wait_for_timeout(1000)
    shot(page, "compare")


@pytest.mark.parametrize("locale,tag", [("zh-CN", "zh-Hans"), ("bo", "bo"), ("mn-MN", "mn-Mong")])
def test_accessibility_in_the_other_interface_languages(browser, live, locale, tag):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        for path in ("/search?q=jangghar", "/items/zh-archive-1"):
            pg.goto(live + path)
            pg.wait_for_load_state("networkidle")
            assert pg.locator("html").get_attribute("lang") == tag
            assert pg.evaluate(A11Y) == [], (locale, path)
        shot(pg, f"record-{tag}")
    finally:
        context.close()
