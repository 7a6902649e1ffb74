"""Downloads in a real browser: the reader's download menu offers the page shown as an image
and follows the page turns; a PDF asked for from it is built with its progress shown, then
downloaded, and holds the pages and their transcription; without JavaScript the progress page
reloads itself until the PDF is there. Builds are slowed down (a pause per page) so that the
progress can be seen. Screenshots go to test-artifacts/."""
from __future__ import annotations

import dataclasses
import io
import re
import time
from typing import Iterator

import pytest

# The browser, page and requests_seen fixtures (skips, launch args, the 127.0.0.1-only and
# no-JavaScript-error checks) are shared with the site's browser tests.
from test_site_browser import LiveServer, browser, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser
import pypdf  # noqa: E402  (the test extra has it)

ITEM = "kangyur-vol-1"


@pytest.fixture(scope="module")
def slow_builds() -> Iterator[None]:
    from library import downloads

    real = downloads.write_pdf

    def slow(pages, out, *, title, progress=None):
        def step(n: int) -> None:
            time.sleep(0.5)
            if progress is not None:
                progress(n)
        return real(pages, out, title=title, progress=step)

    downloads.write_pdf = slow
    yield
    downloads.write_pdf = real


@pytest.fixture(scope="module")
def live(sample_library, slow_builds) -> Iterator[str]:
    from viewer import create_app

    settings = dataclasses.replace(sample_library, download_wait_seconds=0.0)
    server = LiveServer(create_app({"SUDUR_SETTINGS": settings}))
    yield server.url
    server.stop()


def _transcriptions(sample_library, first: int, last: int) -> list[str]:
    from catalog.db import Catalog
    from library.store import Store

    with Catalog(Store(sample_library.library).catalog_path) as cat:
        return [p.text for p in cat.pages(ITEM, first, last)]


def test_the_menu_offers_the_page_image_and_follows_page_turns(page, live) -> None:
    page.goto(f"{live}/items/{ITEM}/read?page=2")
    page.click("#download-menu > summary")
    links = page.locator(".dl-images a:visible")
    assert links.count() == 2  # 1000 px and full size: the page is 1800 px wide
    assert links.first.get_attribute("href").endswith(f"/{ITEM}.0002/full/1000,/0/default.jpg")
    shot(page, "downloads-menu")
    page.click("a.next")
    page.wait_for_function(
        "() => document.querySelector('.dl-images a').href.includes('.0003/')")
    assert page.input_value("#dl-pages") == "3"
    href = links.first.get_attribute("href")
    resp = page.request.get(live + href)
    assert resp.status == 200 and resp.headers["content-type"] == "image/jpeg"


def test_a_pdf_is_built_with_progress_then_downloaded(page, live, sample_library,
                                                      tmp_path) -> None:
    page.goto(f"{live}/items/{ITEM}/read?page=1")
    page.click("#download-menu > summary")
    page.fill("#dl-pages", "1-3")
    page.select_option("#dl-size", "2000")
    page.click(".dl-pdf button[type=submit]")
    page.wait_for_url(re.compile(rf"/items/{ITEM}/downloads/[0-9a-f]{{24}}$"))
    bar = page.locator("#job-progress")
    assert bar.get_attribute("max") == "3"
    # the bar moves while the pages are written (0.5 s each here)
    page.wait_for_function("() => { const b = document.getElementById('job-progress');"
                           " return b.value > 0 && b.value < b.max; }", timeout=20_000)
    assert page.locator(".s-building").is_visible()
    shot(page, "downloads-progress")
    link = page.locator("a.job-download")
    link.wait_for(state="visible", timeout=30_000)
    assert page.locator(".s-done").is_visible()
    assert bar.evaluate("b => b.value") == 3
    shot(page, "downloads-ready")
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "got.pdf"
    info.value.save_as(target)
    assert info.value.suggested_filename == f"{ITEM}-1-3-2000.pdf"
    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) == 3
    for pdf_page, text in zip(reader.pages, _transcriptions(sample_library, 1, 3)):
        assert re.sub(r"\s+", "", text) in re.sub(r"\s+", "", pdf_page.extract_text())


def test_without_javascript_the_progress_page_reloads_until_ready(browser, live) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        pg = context.new_page()
        pg.goto(f"{live}/items/{ITEM}/download.pdf?pages=4-5&size=2000")
        assert re.search(r"/downloads/[0-9a-f]{24}$", pg.url)
        assert pg.locator(".s-building:visible, .s-queued:visible").count() == 1
        assert pg.locator("a.job-download:visible").count() == 0
        pg.locator("a.job-download").wait_for(state="visible", timeout=30_000)
        assert pg.locator(".s-done").is_visible()
    finally:
        context.close()
