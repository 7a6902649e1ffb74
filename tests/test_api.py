"""/api/search (the shape of SearchResult.to_json) and the reader's per-page JSON."""
from __future__ import annotations

import pytest

from viewer import create_app
from viewer_library import build_library, fake_matches, fake_search


@pytest.fixture()
def calls() -> list:
    return []


@pytest.fixture()
def client(tmp_path, monkeypatch, calls):
    import viewer.site

    monkeypatch.setattr(viewer.site, "run_search", fake_search(calls))
    monkeypatch.setattr(viewer.site, "matches_for_item", fake_matches)
    app = create_app({"SUDUR_SETTINGS": build_library(tmp_path / "lib"), "TESTING": True})
    return app.test_client()


def test_api_search_takes_the_same_parameters_as_the_page(client, calls):
    resp = client.get("/api/search?q=ᠵᠠᠩᠭᠠᠷ&exact=1&script=Mong&collection=epics&page=2"
                      "&genre=epic&century=19&language=mn-Mong")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    req = calls[-1]
    assert (req.text, req.exact, req.page, req.sort) == ("ᠵᠠᠩᠭᠠᠷ", True, 2, "relevance")
    assert dict(req.filters) == {"script": "Mong", "collection": "epics", "genre": "epic",
                                 "century": "19", "language": "mn-Mong"}
    data = resp.get_json()
    assert data["total"] == 45 and data["page"] == 2
    assert data["hits"][0] == {"item": "jangar-ms-1", "page": 1, "label": "1", "kind": "page",
                               "title": "jangar-ms-1", "snippet": data["hits"][0]["snippet"],
                               "kwic": data["hits"][0]["kwic"], "score": 0.0}
    assert "<mark>ᠵᠠᠩᠭᠠᠷ</mark>" in data["hits"][0]["snippet"]
    assert data["facets"]["collection"] == {"epics": 2, "canon": 1}
    assert "ᠵᠠᠩᠭᠠᠷ".encode() in resp.data  # not \u-escaped


def test_api_search_empty_and_bad(client):
    assert client.get("/api/search").get_json()["total"] == 0
    resp = client.get("/api/search?q=a&page=zz")
    assert resp.status_code == 400 and resp.get_json()["error"] == "BadRequestError"


def test_api_page_gives_text_image_spans_and_boxes(client):
    data = client.get("/api/items/jangar-ms-1/pages/1?q=ᠵᠠᠩᠭᠠᠷ").get_json()
    assert data["order"] == 1 and data["vertical"] is True and data["lang"] == "mn-Mong"
    assert data["image"]["info"] == "/iiif/3/jangar-ms-1.0001/info.json"
    assert data["spans"] == [[0, 6]]
    assert data["boxes"] == [[100, 100, 60, 300]]  # the word's box, not the line's
    data = client.get("/api/items/jangar-ms-1/pages/2?q=ᠵᠠᠩᠭᠠᠷ").get_json()
    assert data["spans"] == [] and data["boxes"] == []
    assert client.get("/api/items/qing-doc/pages/1").get_json()["image"] is None
    assert client.get("/api/items/jangar-ms-1/pages/9").status_code == 404


def test_api_item_search_lists_pages_in_order(client):
    data = client.get("/api/items/jangar-ms-1/search?q=ᠵᠠᠩᠭᠠᠷ").get_json()
    assert [h["page"] for h in data["hits"]] == [1, 3] and data["total"] == 2
    assert data["hits"][0]["boxes"] == [[100, 100, 60, 300]]
    assert client.get("/api/items/jangar-ms-1/search?q=").get_json()["hits"] == []


def test_boxes_fall_back_to_lines():
    from viewer.api import boxes_for
    from viewer_library import _mong_page

    page = _mong_page(1)
    s = page.text.index("ᠪᠤᠮᠪ")
    assert boxes_for(page, [(s, s + 4)]) == [[200, 100, 60, 900]]
