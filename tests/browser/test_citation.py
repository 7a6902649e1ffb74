"""Citations in a real browser: the record and reader pages carry the Highwire meta tags Zotero
reads, the copy button puts the suggested citation on the clipboard, and without JavaScript the
citation is plain selectable text and the button stays hidden. Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

import pytest

# The browser fixture (skips, launch args) and the live server are the site tests'.
from test_site_browser import LiveServer, browser, shot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(sample_library) -> Iterator[str]:
    from viewer import create_app

    server = LiveServer(create_app({"SUDUR_SETTINGS": sample_library}))
    yield server.url
    server.stop()


def _context(browser, **options):  # noqa: F811
    requests: list[str] = []
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900},
                                  **options)
    context.on("request", lambda r: requests.append(r.url))
    return context, requests


def _only_local(requests: list[str]) -> None:
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, f"requests left 127.0.0.1: {outside}"


@pytest.fixture()
def clip_page(browser, live):  # noqa: F811
    context, requests = _context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    _only_local(requests)
    assert not errors, f"JavaScript errors: {errors}"


def _meta(pg, name: str) -> list[str]:
    return pg.eval_on_selector_all(f'meta[name="{name}"]', "els => els.map(e => e.content)")


def _clipboard_after_copy(pg) -> str:
    button = pg.locator("button.copy-citation")
    assert button.is_visible()
    button.click()
    pg.wait_for_function(
        "() => document.querySelector('.copy-status').textContent.trim() !== ''", timeout=5000)
    assert pg.locator(".copy-status").inner_text().strip() == "Copied"
    return pg.evaluate("() => navigator.clipboard.readText()")


def test_record_page_meta_tags_and_copy_button(clip_page, live):
    pg = clip_page
    pg.goto(live + "/items/jangar-ms-1")
    assert _meta(pg, "citation_title") == ["ᠵᠠᠩᠭᠠᠷ [Jangar (manuscript excerpt)]"]
    assert _meta(pg, "citation_author") == ["Eelyan Ovla (attributed)"]
    assert _meta(pg, "citation_publisher") == ["Sudur"]
    assert _meta(pg, "citation_date") == ["1950"]
    assert _meta(pg, "citation_language") == ["mn-Mong"]
    assert _meta(pg, "citation_public_url") == [live + "/items/jangar-ms-1"]
    assert _meta(pg, "citation_pdf_url") == []
    # the meta tags sit in the head, where Zotero's translator looks
    assert pg.evaluate("() => document.head.querySelectorAll('meta[name^=citation_]').length") \
        == pg.evaluate("() => document.querySelectorAll('meta[name^=citation_]').length") >= 6
    shown = re.sub(r"\s+", " ", pg.locator("#cite-text").inner_text()).strip()
    copied = _clipboard_after_copy(pg)
    assert copied == shown
    assert copied.startswith("Eelyan Ovla (attributed), bard. ᠵᠠᠩᠭᠠᠷ")  # the scribe is unnamed
    assert copied.endswith(")."), copied
    pg.locator("#cite").scroll_into_view_if_needed()
    shot(pg, "citation-record")


def test_reader_page_cites_the_leaf(clip_page, live):
    pg = clip_page
    pg.goto(live + "/items/kangyur-vol-1/read?page=2b")
    assert pg.locator("#reader").get_attribute("data-page") == "4"
    assert _meta(pg, "citation_firstpage") == ["2b"]
    assert _meta(pg, "citation_public_url") == [live + "/items/kangyur-vol-1/read?page=2b"]
    pg.locator("#cite summary").click()
    copied = _clipboard_after_copy(pg)
    assert f"f. 2b. {live}/items/kangyur-vol-1/read?page=2b (accessed " in copied
    links = pg.eval_on_selector_all(".cite-exports a", "els => els.map(e => e.href)")
    assert links == [f"{live}/items/kangyur-vol-1/cite.{f}?page=2b" for f in ("ris", "bib", "json")]
    shot(pg, "citation-reader")
    # the script turns the page in place: the citation follows it
    pg.locator(".page-turn a.next").click()
    pg.wait_for_function("() => document.getElementById('cite-text').textContent"
                         ".includes('f. 3a.')", timeout=10000)
    assert _meta(pg, "citation_firstpage") == ["3a"]
    assert _meta(pg, "citation_public_url") == [live + "/items/kangyur-vol-1/read?page=3a"]
    links = pg.eval_on_selector_all(".cite-exports a", "els => els.map(e => e.href)")
    assert links == [f"{live}/items/kangyur-vol-1/cite.{f}?page=3a" for f in ("ris", "bib", "json")]
    assert pg.locator("a.cite-url").get_attribute("href") == \
        live + "/items/kangyur-vol-1/read?page=3a"
    assert f"f. 3a. {live}/items/kangyur-vol-1/read?page=3a" in _clipboard_after_copy(pg)


def test_without_javascript_the_citation_is_selectable_text(browser, live):  # noqa: F811
    context, requests = _context(browser, java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live + "/items/jangar-ms-1")
    assert pg.locator("button.copy-citation").is_hidden()
    text = pg.locator("#cite-text")
    assert text.is_visible() and "Eelyan Ovla (attributed), bard" in text.inner_text()
    assert text.evaluate("e => getComputedStyle(e).userSelect") != "none"
    context.close()
    _only_local(requests)
