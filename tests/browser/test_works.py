"""A multi-volume work in a real browser: from the work page to a volume, then reading across
the boundary (next page on volume ka's last leaf opens volume kha's first leaf, previous page
comes back), the citation naming volume and folio, the volume switcher; the same in the embed;
and Mirador opening the work's multi-part Collection and one of its volumes.

Uses the site's browser fixtures (Chromium, the 127.0.0.1-only and no-JavaScript-error checks).
Screenshots go to test-artifacts/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from test_site_browser import LiveServer, browser, live, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser

WORK = "kangyur-sher-phyin"
MIRADOR = Path(__file__).resolve().parents[2] / "viewer" / "static" / "vendor" / "mirador" / \
    "mirador.min.js"
TEST_PAGE = "/__test__/mirador-work"
MIRADOR_PAGE = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>Mirador work test</title><link rel="icon" href="data:,">
<style>html, body {{ margin: 0; height: 100%; }} #mirador {{ position: absolute; inset: 0; }}</style>
<div id="mirador"></div>
<script src="/static/vendor/mirador/mirador.min.js"></script>
<script>
Mirador.viewer({{
  id: "mirador",
  windows: [{{ manifestId: location.origin + "/iiif/work/{WORK}" }}],
  workspaceControlPanel: {{ enabled: false }}
}});
</script></html>""".encode()


def _where(pg) -> tuple[str, str]:
    """(path, page parameter) of the page's URL."""
    parts = urlsplit(pg.url)
    return parts.path, parse_qs(parts.query).get("page", [""])[0]


def _label(pg) -> str:
    return pg.locator("#page-select").input_value()


def test_work_to_volume_and_across_the_boundary(page, live):
    page.goto(f"{live}/works/{WORK}")
    assert page.locator(".volumes-list li").count() == 3
    page.wait_for_function("() => [...document.querySelectorAll('.volumes-list img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=15000)
    shot(page, "work-page")

    # the work page → volume ka, then to its last leaf
    page.locator(".volumes-list li[data-volume=ka] a").first.click()
    page.wait_for_url("**/items/kangyur-vol-1/read*")
    page.goto(f"{live}/items/kangyur-vol-1/read?page=3b")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '6'")
    assert page.locator(".volume-cite .cite-link").inner_text() == "vol. ka, f. 3b"

    # next page on the last leaf: volume kha, folio 1a
    nxt = page.locator(".page-turn a.next")
    nxt.wait_for(timeout=10000)
    nxt.click()
    page.wait_for_url("**/items/kangyur-vol-2/read*", timeout=15000)
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '1'")
    assert _label(page) == "1a"
    # the address names the volume and the folio label, as it is cited
    page.wait_for_function("() => location.search.includes('page=1a')", timeout=5000)
    assert _where(page) == ("/items/kangyur-vol-2/read", "1a")
    assert page.locator("#volume-select").input_value() == "kha"
    cite = page.locator(".volume-cite .cite-link")
    assert cite.inner_text() == "vol. kha, f. 1a"
    assert cite.get_attribute("href").endswith(f"/works/{WORK}/read?volume=kha&page=1a")
    shot(page, "work-across-the-boundary")

    # turning within the volume updates the citation; the key turns pages too
    page.keyboard.press("n")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '2'")
    assert cite.inner_text() == "vol. kha, f. 1b"
    assert _where(page) == ("/items/kangyur-vol-2/read", "1b")
    page.keyboard.press("p")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '1'")

    # previous page on the first leaf: back to volume ka's last leaf
    page.locator(".page-turn a.prev").click()
    page.wait_for_url("**/items/kangyur-vol-1/read*", timeout=15000)
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '6'")
    assert _label(page) == "3b"

    # the volume switcher opens the chosen volume
    page.select_option("#volume-select", "ga")
    page.wait_for_url("**/items/kangyur-vol-3/read*", timeout=15000)
    assert page.locator(".volume-cite .cite-link").inner_text() == "vol. ga, f. 1a"
    # the last volume's last leaf has nowhere further to go
    page.goto(f"{live}/items/kangyur-vol-3/read?page=2a")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '3'")
    assert page.locator(".page-turn .next.disabled").count() == 1


def test_the_embed_turns_across_the_boundary_too(page, live):
    page.goto(f"{live}/embed/kangyur-vol-2?page=2a")
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '3'")
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/embed/kangyur-vol-3*", timeout=15000)
    path, folio = _where(page)
    assert path == "/embed/kangyur-vol-3"
    page.wait_for_function("() => document.getElementById('reader').dataset.page === '1'")
    assert _label(page) == "1a"
    shot(page, "work-embed-across-the-boundary")


@pytest.fixture(scope="module")
def mirador_live(sample_library) -> Iterator[str]:
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


def test_mirador_opens_the_work_collection(page, mirador_live, requests_seen):
    page.goto(mirador_live + TEST_PAGE)
    # Mirador shows a multi-part collection as a window to choose one of its volumes from
    show = page.get_by_role("button", name="Show collection")
    show.wait_for(timeout=60000)  # Mirador is a large script: slow to start on a loaded machine
    show.click()
    page.get_by_text("3 manifests").wait_for(timeout=10000)
    listed = page.get_by_text("Kangyur, Perfection of Wisdom miscellany, volume")
    texts = [t.split(",")[2].split("(")[0].strip() for t in listed.all_inner_texts()]
    assert texts == ["volume ka", "volume kha", "volume ga"]
    shot(page, "mirador-work-collection")
    with page.expect_response(lambda r: urlsplit(r.url).path == "/iiif/kangyur-vol-2/manifest",
                              timeout=15000) as answer:
        listed.nth(1).click()
    assert answer.value.ok
    assert any(urlsplit(u).path == f"/iiif/work/{WORK}" for u in requests_seen)
