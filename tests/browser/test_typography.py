"""The shipped fonts in Chromium: a page loads only the font slices its characters need, the
historic combining e (U+0364) is drawn by the complete Noto Sans, traditional Chinese by Noto
Serif TC, and Mirador (/compare) draws its interface with the same faces as the site.

tests/test_fonts.py shows from the font files that every character has a glyph; this shows the
browser picks those faces. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import re
from typing import Iterator

import pytest

# The browser, page and requests_seen fixtures (skips, launch args, the 127.0.0.1-only and
# no-JavaScript-error checks) are shared with the site's browser tests.
from test_site_browser import LiveServer, browser, live, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser

# Test-only pages, served beside the site so that they use its static files.
PAGES = {
    "/__test__/latin": '<p lang="en">Plain Latin, and IAST: ḍākinī, ṃ, ṇ, ṭ, ḥ.</p>',
    "/__test__/combining-e": '<p lang="de">Beantwortung der Frage: Was iſt Aufkla\u0364rung?</p>',
    "/__test__/hant": '<p lang="zh-Hant">婬呪經</p>',
}
HEAD = ('<!doctype html><html lang="en"><meta charset="utf-8"><title>fonts</title>'
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/vendor/fonts/fonts.css">'
        '<link rel="stylesheet" href="/static/site.css">')
LOADED = "() => document.fonts.ready.then(() => [...document.fonts]" \
         ".filter(f => f.status === 'loaded').map(f => f.family))"


@pytest.fixture(scope="module")
def font_pages(sample_library) -> Iterator[str]:
    from viewer import create_app

    app = create_app({"SUDUR_SETTINGS": sample_library})

    def with_test_pages(environ, start_response):
        body = PAGES.get(environ.get("PATH_INFO"))
        if body:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [(HEAD + body).encode()]
        return app(environ, start_response)

    server = LiveServer(with_test_pages)
    yield server.url
    server.stop()


def fonts_fetched(requests_seen: list[str]) -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in requests_seen if re.search(r"\.(woff2|ttf)$", u)]


def test_latin_page_loads_only_the_latin_slices(page, font_pages, requests_seen):
    page.goto(font_pages + "/__test__/latin")
    assert set(page.evaluate(LOADED)) == {"Noto Sans"}
    fetched = fonts_fetched(requests_seen)
    assert set(fetched) == {"noto-sans-latin-400-normal.woff2",
                            "noto-sans-latin-ext-400-normal.woff2"}, fetched


def test_combining_e_is_drawn_by_the_complete_noto_sans(page, font_pages, requests_seen):
    page.goto(font_pages + "/__test__/combining-e")
    assert "Noto Sans Full" in page.evaluate(LOADED)
    assert "noto-sans-full-400-normal.ttf" in fonts_fetched(requests_seen)
    # the mark sits on its letter: "aͤ" is no wider than "a"
    widths = page.evaluate("""() => {
      const p = document.querySelector('p'), s = document.createElement('span');
      p.append(s); s.textContent = 'a'; const a = s.getBoundingClientRect().width;
      s.textContent = 'a\\u0364'; const ae = s.getBoundingClientRect().width;
      return [a, ae];
    }""")
    assert widths[0] > 0 and abs(widths[1] - widths[0]) < 0.5, widths
    shot(page, "font-combining-e")


def test_traditional_chinese_loads_a_few_serif_slices(page, font_pages, requests_seen):
    page.goto(font_pages + "/__test__/hant")
    loaded = page.evaluate(LOADED)
    assert "Noto Serif TC" in loaded and "Noto Sans SC" not in loaded
    fetched = fonts_fetched(requests_seen)
    tc = [f for f in fetched if f.startswith("noto-serif-tc-")]
    # three characters, three slices of about a hundred: the page loads what it shows
    assert 1 <= len(tc) <= 3, fetched
    assert "noto-sans-full-400-normal.ttf" not in fetched
    family = page.locator("p").evaluate("p => getComputedStyle(p).fontFamily")
    assert family.index("Noto Serif TC") < family.index("Noto Sans SC")


def test_record_page_sets_traditional_chinese_in_serif(page, live):
    page.goto(live + "/items/zh-archive-1")
    page.wait_for_load_state("networkidle")
    family = page.locator('main [lang="zh-Hant"]').first.evaluate(
        "el => getComputedStyle(el).fontFamily")
    assert family.index("Noto Serif TC") < family.index("Noto Sans SC")
    assert "Noto Serif TC" in page.evaluate(LOADED)


# Mirador speaks English or Chinese; a Mongolian or Tibetan reader gets Chinese (see README).
@pytest.mark.parametrize("locale", ["zh-CN", "mn-MN", "en-US"])
def test_mirador_draws_with_the_site_fonts(browser, live, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(live + "/compare?item=geser-ms-1&item=jangar-ms-1")
        pg.wait_for_function("() => document.querySelectorAll('.mirador-window').length === 2",
                             timeout=15000)
        pg.wait_for_timeout(1000)
        # every element of Mirador's own interface is given the page's chain
        families = pg.evaluate("""() => [...new Set([...document.querySelectorAll(
            '.mirador-box *')].filter(e => e.childNodes.length && [...e.childNodes].some(
            n => n.nodeType === 3 && n.data.trim())).map(e => getComputedStyle(e).fontFamily))]""")
        assert families, "Mirador shows no text"
        # the chain typography.css gives Mirador's language, the lang of Mirador's own box
        chain = pg.evaluate("""() => { const s = document.createElement('span');
            s.lang = document.querySelector('#mirador [lang]').lang;
            document.body.append(s); return getComputedStyle(s).fontFamily; }""")
        assert "Noto Sans Mongolian" in chain and "Noto Serif TC" in chain
        assert families == [chain]
        # the window titles are drawn with a shipped face of their script
        titles = " ".join(pg.locator(".mirador-window-top-bar h2").all_inner_texts())
        han = re.search("[\u4e00-\u9fff]", titles)
        assert han or re.search("[A-Za-z]", titles), titles
        assert ("Noto Sans SC" if han else "Noto Sans") in pg.evaluate(LOADED)
        shot(pg, f"compare-fonts-{locale}")
    finally:
        context.close()
