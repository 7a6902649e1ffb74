"""Mirador draws Content Search 1.0 hits from this server: a test-only page opens Mirador 4 on the
sample item jangar-ms-1 with the window's search panel showing; a search for ᠵᠠᠩᠭᠠᠷ lists every
hit /search1 returned and paints the selected hit's word box over the page image.

The page is served by the test itself (a WSGI wrapper around the app), so the site gains no route
and no Content-Security-Policy exception for its inline configuration script. Screenshots go to
test-artifacts/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

# The browser, page and requests_seen fixtures (skips, launch args, the 127.0.0.1-only and
# no-JavaScript-error checks) are shared with the site's browser tests.
from test_site_browser import LiveServer, browser, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser

MIRADOR = Path(__file__).resolve().parents[2] / "viewer" / "static" / "vendor" / "mirador" / \
    "mirador.min.js"
ITEM = "jangar-ms-1"
WORD = "ᠵᠠᠩᠭᠠᠷ"
TEST_PAGE = "/__test__/mirador-search"

# sideBarPanel is Mirador 4's per-window key for the panel the sidebar opens on.
MIRADOR_PAGE = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>Mirador search test</title><link rel="icon" href="data:,">
<style>html, body {{ margin: 0; height: 100%; }} #mirador {{ position: absolute; inset: 0; }}</style>
<div id="mirador"></div>
<script src="/static/vendor/mirador/mirador.min.js"></script>
<script>
Mirador.viewer({{
  id: "mirador",
  windows: [{{ manifestId: location.origin + "/iiif/{ITEM}/manifest",
               sideBarOpen: true, sideBarPanel: "search" }}],
  workspaceControlPanel: {{ enabled: false }}
}});
</script></html>""".encode()

# Mirador paints search hits on a 2D canvas laid over OpenSeadragon's drawer canvas; it stays
# transparent except where annotations are drawn. Counts painted pixels, and the bounding box of
# the yellow ones (the selected hit).
OVERLAY_PIXELS = """() => {
  const c = document.querySelector('.openseadragon-canvas > div > canvas');
  if (!c || !c.width) return {n: 0, yellow: 0};
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0, yellow = 0, x0 = c.width, y0 = c.height, x1 = -1, y1 = -1;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] === 0) continue;
    n++;
    if (d[i] > 180 && d[i + 1] > 180 && d[i + 2] < 120) {
      yellow++;
      const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return {n: n, yellow: yellow, w: x1 - x0 + 1, h: y1 - y0 + 1};
}"""


@pytest.fixture(scope="module")
def mirador_live(sample_library) -> Iterator[str]:
    """The site plus the test page, on one origin so Mirador's fetches need no CORS."""
    if not MIRADOR.is_file():
        pytest.skip(f"Mirador is not at {MIRADOR}: run `make assets`")
    from viewer import create_app

    app = create_app({"SUDUR_SETTINGS": sample_library})

    def with_test_page(environ, start_response):
        if environ.get("PATH_INFO") == TEST_PAGE:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [MIRADOR_PAGE]
        return app(environ, start_response)

    server = LiveServer(with_test_page)
    yield server.url
    server.stop()


def hit_box(answer: dict, hit: dict) -> tuple[int, ...]:
    """The canvas region (x, y, w, h) a Content Search 1.0 hit's first annotation targets."""
    target = {r["@id"]: r["on"] for r in answer["resources"]}[hit["annotations"][0]]
    return tuple(int(v) for v in target.split("#xywh=")[1].split(","))


def test_mirador_lists_and_draws_content_search_hits(page, mirador_live, requests_seen):
    page.goto(mirador_live + TEST_PAGE)
    box = page.get_by_role("combobox", name="search terms")
    box.wait_for(timeout=15000)
    assert page.evaluate(OVERLAY_PIXELS)["n"] == 0  # nothing highlighted before the search

    with page.expect_response(lambda r: urlsplit(r.url).path == f"/iiif/{ITEM}/search1",
                              timeout=15000) as answer:
        box.fill(WORD)
        box.press("Enter")
    response = answer.value
    assert response.ok
    assert parse_qs(urlsplit(response.url).query)["q"] == [WORD]
    hits = response.json()["hits"]
    assert hits, "the sample's search1 answered no hits"

    # every hit is listed with the match set in bold
    matches = page.locator("strong", has_text=WORD)
    matches.first.wait_for(timeout=10000)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('strong')].filter(s => s.textContent.trim() === "
        f"'{WORD}').length === {len(hits)}", timeout=10000)
    assert matches.count() == len(hits)

    # the first hit, selected, is painted over the image in its word box's proportions (tall,
    # as vertical script is)
    page.wait_for_function(f"() => ({OVERLAY_PIXELS})().yellow > 200", timeout=10000)
    pixels = page.evaluate(OVERLAY_PIXELS)
    assert pixels["yellow"] > 200, pixels
    x, y, w, h = hit_box(response.json(), hits[0])
    assert abs(pixels["h"] / pixels["w"] - h / w) < 0.25 * h / w, (pixels, (x, y, w, h))
    shot(page, "mirador-content-search")

    searched = [u for u in requests_seen if urlsplit(u).path == f"/iiif/{ITEM}/search1"]
    assert searched, requests_seen
    outside = [u for u in requests_seen if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, outside
