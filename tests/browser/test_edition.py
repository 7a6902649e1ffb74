"""The edition in a real browser: a note opens as a pop-up over the text and closes with Escape,
a choice swaps its readings on click and from the toolbar, the apparatus shows its readings and
can be hidden, and a page turned by script keeps all of it. Screenshots go to test-artifacts/."""
from __future__ import annotations

from typing import Iterator

import pytest

from test_edition_site import build_edition_library
from test_site_browser import A11Y, LiveServer, browser, page, requests_seen, shot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory, shared_dir) -> Iterator[str]:
    from viewer import create_app

    settings = build_edition_library(tmp_path_factory.mktemp("edition-browser") / "lib",
                                     tmp_path_factory.mktemp("edition-browser-tei"), shared_dir)
    server = LiveServer(create_app({"SUDUR_SETTINGS": settings}))
    yield server.url
    server.stop()


def test_note_popup_choice_toggle_and_apparatus(page, live):
    page.goto(live + "/items/ed-hand/read?page=1a")
    tools = page.locator(".edition-tools")
    tools.wait_for(state="visible")
    # a text-only page: the transcription has the reader's width, no empty image box
    pane = page.locator(".text-pane").bounding_box()
    assert pane["width"] > 1000, pane
    assert not page.locator(".image-pane").is_visible()

    # the note: a pop-up under its number, closed by Escape with the focus back on the number
    ref = page.locator("#transcription .ed-note-ref").first
    assert ref.get_attribute("aria-expanded") == "false"
    ref.click()
    pop = page.locator("#transcription .ed-note-pop")
    pop.wait_for(state="visible")
    assert "The scribe wrote the past tense." in pop.inner_text()
    assert ref.get_attribute("aria-expanded") == "true"
    box, ref_box = pop.bounding_box(), ref.bounding_box()
    assert box["y"] >= ref_box["y"] + ref_box["height"] - 2, (box, ref_box)
    shot(page, "edition-note-popup")
    page.keyboard.press("Escape")
    assert pop.count() == 0
    assert page.evaluate("document.activeElement.classList.contains('ed-note-ref')")

    # the choice: "rides" shown, "rode" (as written) on click
    choice = page.locator("#transcription .ed-choice").first
    assert choice.inner_text().strip() == "rides"
    assert choice.get_attribute("role") == "button"
    choice.click()
    assert choice.get_attribute("aria-pressed") == "true"
    assert "rode" in choice.inner_text() and "rides" not in choice.inner_text()
    choice.focus()
    page.keyboard.press("Enter")
    assert choice.inner_text().strip() == "rides"
    page.locator(".toggle-readings").click()
    assert "rode" in choice.inner_text()
    shot(page, "edition-choice-swapped")

    # the apparatus: the variant and its witness beside the lemma, hidden on demand
    rdgs = page.locator("#transcription .ed-rdgs").first
    assert rdgs.is_visible() and " ".join(rdgs.inner_text().split()) == "MS B bay"
    shot(page, "edition-apparatus")
    page.locator(".toggle-apparatus").click()
    assert not rdgs.is_visible()
    page.locator(".toggle-apparatus").click()
    assert rdgs.is_visible()


def test_turning_the_page_keeps_the_edition(page, live):
    page.goto(live + "/items/ed-hand/read?page=1b")
    assert "The second leaf." in page.locator("#transcription").inner_text()
    page.locator(".page-turn a.prev").click()
    page.wait_for_selector("#transcription .ed-note-ref")
    page.locator("#transcription .ed-note-ref").first.click()
    page.locator("#transcription .ed-note-pop").wait_for(state="visible")
    assert page.locator(".edition-tools").is_visible()


def test_cbeta_apparatus_and_notes_on_a_chinese_page(page, live):
    page.goto(live + "/items/cbeta/read?page=0848c")
    rdgs = page.locator("#transcription .ed-rdgs")
    assert rdgs.count() >= 5
    assert "奘奉詔" in page.locator("#transcription").inner_text()
    page.locator("#transcription .ed-note-ref").first.click()
    pop = page.locator("#transcription .ed-note-pop")
    pop.wait_for(state="visible")
    assert "Prajñāpāramitā" in pop.inner_text()
    shot(page, "edition-cbeta")


def test_placeholder_and_error_page_in_chinese(browser, live):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(live + "/items/placeholder/read")
    assert "本条目仅有编目记录" in pg.locator(".placeholder-note").inner_text()
    resp = pg.goto(live + "/items/no-such-item")
    assert resp.status == 404
    assert "未找到" in pg.locator("main h1").inner_text()
    shot(pg, "error-404-zh")
    context.close()


@pytest.mark.parametrize("path", ["/items/ed-hand/read?page=1", "/items/cbeta/read?page=0848c",
                                  "/items/tara/read?page=2", "/items/cbeta/edition",
                                  "/items/tara/edition"])
def test_edition_pages_pass_the_accessibility_basics(page, live, path):
    page.goto(live + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(A11Y) == []
    refs = page.locator(".ed-note-ref")
    if refs.count():
        # every note number names its note and leads to it without script
        target = refs.first.get_attribute("href")
        assert target.startswith("#") and page.locator(target).count() == 1
