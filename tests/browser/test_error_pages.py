"""The 400, 404 and 500 pages are styled (error.css: a card, the status in the accent colour, the
ways on as buttons) and, in the traditional-Mongolian interface, set in vertical lines like the
rest of it, with nothing overlapping and the card on the screen. Screenshots go to
test-artifacts/.
"""
from __future__ import annotations

import pytest

from test_site_browser import LiveServer, browser, shot  # noqa: F401
from test_vertical_mn import TEXT_FRAGMENTS, overlaps

pytestmark = pytest.mark.browser

PAGES = {400: "/compare", 404: "/no-such-page", 500: "/boom"}


@pytest.fixture(scope="module")
def failing_live(sample_library):
    """The site, with one page that fails (a 500 is otherwise not to be had)."""
    from viewer import create_app

    app = create_app({"SUDUR_SETTINGS": sample_library, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("a fault the page must not show")

    server = LiveServer(app)
    yield server.url
    server.stop()


def _card(pg) -> dict:
    return pg.evaluate("""() => {
      const card = document.querySelector('main .error');
      const cs = getComputedStyle(card), st = getComputedStyle(card.querySelector('.error-status'));
      const a = getComputedStyle(card.querySelector('.error-next a'));
      return {border: cs.borderTopStyle, background: cs.backgroundColor, mode: cs.writingMode,
              status: st.color, statusSize: parseFloat(st.fontSize),
              bodySize: parseFloat(getComputedStyle(document.body).fontSize),
              linkBorder: a.borderTopStyle, box: card.getBoundingClientRect().toJSON()};
    }""")


@pytest.mark.parametrize("status", list(PAGES))
@pytest.mark.parametrize("locale,tag", [("mn-MN", "mn-Mong"), ("en-US", "en")])
def test_error_pages_are_styled_and_vertical_in_mongolian(browser, failing_live, status, locale,
                                                          tag):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    try:
        pg = context.new_page()
        response = pg.goto(failing_live + PAGES[status])
        pg.wait_for_load_state("networkidle")
        pg.evaluate("document.fonts.ready.then(() => 1)")
        assert response.status == status
        assert pg.locator("html").get_attribute("lang") == tag
        card = _card(pg)
        assert card["border"] == "solid" and card["background"] == "rgb(255, 255, 255)"
        assert card["status"] == "rgb(138, 43, 26)" and card["statusSize"] > 1.5 * card["bodySize"]
        assert card["linkBorder"] == "solid"
        assert "a fault" not in pg.content()
        fragments = pg.evaluate(TEXT_FRAGMENTS)
        assert overlaps(fragments) == []
        box = card["box"]
        assert box["top"] >= 0 and box["bottom"] <= 800 + 1, box
        if tag == "mn-Mong":
            assert card["mode"] == "vertical-lr"
            sideways = [(f["tag"], f["text"], f["mode"]) for f in fragments
                        if f["mode"] != "vertical-lr"]
            assert sideways == [], sideways
            assert box["height"] > box["width"], box
        else:
            assert card["mode"] == "horizontal-tb" and box["width"] > box["height"], box
        shot(pg, f"error-{status}-{tag}")
    finally:
        context.close()
