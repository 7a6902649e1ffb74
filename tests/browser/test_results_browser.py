"""The results page in headless Chromium: items with the thumbnail of their best page and
their best pages beneath, "N items, M pages", and a hit that opens the reader with the match
marked. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest

from test_site_browser import browser, live, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser


def test_results_are_grouped_by_item_with_thumbnails(page, live):
    page.goto(live + "/search?q=Gesar")
    heading = page.locator(".result-count").inner_text()
    assert re.fullmatch(r"\s*3 items, \d+ pages\s*", heading), heading
    items = page.locator(".result-item")
    assert items.count() == 3
    first = items.nth(0)
    thumb = first.locator(".result-thumb img")
    thumb.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.result-thumb img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    box, title = thumb.bounding_box(), first.locator("h3").bounding_box()
    assert box["width"] > 40 and box["x"] + box["width"] <= title["x"]  # beside the title
    hits = first.locator(".page-hit .hit-link")
    assert 1 <= hits.count() <= 3
    shot(page, "search-results-grouped")
    hits.nth(0).click()
    page.wait_for_url(re.compile(r"/read\?page=\d+&q=Gesar"))
    page.wait_for_function("() => document.querySelectorAll('#transcription mark').length > 0",
                           timeout=10000)
    page.goto(live + "/search?q=Gesar&sort=reading")
    assert page.locator(".result-item").count() == 3
    assert page.locator("#q-sort").input_value() == "reading"
    shot(page, "search-results-library-order")


def test_home_page_collections_and_paging(page, live):
    page.goto(live + "/")
    cards = page.locator(".collection-card")
    assert cards.count() == 5
    cards.filter(has_text="Epics").locator("a").first.click()
    page.wait_for_url(re.compile(r"/\?collection=epics$"))
    assert page.locator(".item-card").count() == 2
    shot(page, "home-collection-epics")


@pytest.mark.parametrize("code", ["zh-Hans", "mn-Mong", "bo"])
def test_results_in_the_other_interfaces(page, live, code):
    page.goto(live + f"/lang/{code}?next=/search%3Fq%3DGesar")
    page.wait_for_url(re.compile(r"/search\?q=Gesar$"))
    assert page.locator("html").get_attribute("lang") == code
    assert page.locator(".result-item").count() == 3
    assert "Most relevant" not in page.locator(".result-order").inner_text()  # translated
    for img in page.locator(".result-thumb img").all():  # lazy: the mn columns run off-screen
        img.scroll_into_view_if_needed()
    page.evaluate("scrollTo(0, 0)")
    page.wait_for_function("() => [...document.querySelectorAll('.result-thumb img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    shot(page, f"search-results-{code}")
