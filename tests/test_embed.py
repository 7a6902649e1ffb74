"""The embeddable reader, its framing headers, the Embed dialog and oEmbed."""
from __future__ import annotations

import re

import pytest

from viewer import create_app
from viewer_library import build_library, fake_matches


@pytest.fixture()
def client(tmp_path, monkeypatch):
    import viewer.site

    monkeypatch.setattr(viewer.site, "matches_for_item", fake_matches)
    app = create_app({"SUDUR_SETTINGS": build_library(tmp_path / "lib"), "TESTING": True})
    return app.test_client()


def test_embed_is_the_reader_without_chrome(client):
    resp = client.get("/embed/jangar-ms-1?page=2&region=10,20,300,400&q=ᠵᠠᠩᠭᠠᠷ")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'class="reader embedded"' in page and 'data-page="2"' in page
    assert 'data-region="10,20,300,400"' in page
    assert 'class="site-header"' not in page and "site-footer" not in page
    assert "vendor/openseadragon/openseadragon.min.js" in page
    assert 'href="/embed/jangar-ms-1?page=3&amp;q=' in page  # page turning stays embedded
    assert 'target="_blank"' in page  # the only way out opens a new tab


def test_only_embed_may_be_framed(client):
    resp = client.get("/embed/jangar-ms-1")
    assert "X-Frame-Options" not in resp.headers
    assert "frame-ancestors *" in resp.headers["Content-Security-Policy"]
    for url in ("/items/jangar-ms-1", "/items/jangar-ms-1/read", "/kiosk/epics", "/oembed"):
        resp = client.get(url)
        assert resp.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], url


def test_embed_of_unknown_item_is_404(client):
    assert client.get("/embed/none-such").status_code == 404


def test_reader_has_embed_dialog_with_current_page_and_region(client):
    page = client.get("/items/kangyur-vol-1/read?page=2&region=1,2,3,4").get_data(as_text=True)
    assert 'id="embed-code"' in page and 'for="embed-code"' in page
    assert "http://localhost/embed/kangyur-vol-1?page=2&amp;amp;region=1%2C2%2C3%2C4" in page


def test_oembed_rich_iframe(client):
    resp = client.get("/oembed?url=http://localhost/items/jangar-ms-1/read%3Fpage%3D2"
                      "%26region%3D1,2,3,4&maxwidth=640")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["width"] == 640 and data["height"] == 480
    assert 'src="http://localhost/embed/jangar-ms-1?page=2&amp;region=1%2C2%2C3%2C4"' in data["html"]
    assert data["title"] == "Jangar"
    assert data["thumbnail_url"].endswith("/iiif/3/jangar-ms-1.0001/full/200,/0/default.jpg")
    assert data["thumbnail_height"] == 300


@pytest.mark.parametrize("query,status", [
    ("url=http://localhost/search?q=x", 404),
    ("url=http://localhost/items/none-such", 404),
    ("url=http://localhost/items/jangar-ms-1&format=xml", 501),
    ("url=http://localhost/items/jangar-ms-1&maxwidth=abc", 400),
])
def test_oembed_refusals(client, query, status):
    resp = client.get("/oembed?" + query)
    assert resp.status_code == status
    assert resp.mimetype == "application/json"


def test_record_and_reader_advertise_oembed(client):
    for url in ("/items/jangar-ms-1", "/items/jangar-ms-1/read?page=2"):
        page = client.get(url).get_data(as_text=True)
        link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"',
                         page)
        assert link, url
        href = link.group(1).replace("&amp;", "&")
        assert client.get(href).get_json()["type"] == "rich"
