"""viewer.resources: per-request resources are closed at teardown; the one item loader."""
from __future__ import annotations

import sqlite3

import pytest

from library.errors import NotFoundError
from viewer import create_app, resources
from viewer_library import build_library


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = build_library(tmp_path_factory.mktemp("lib") / "lib")
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True})


def test_the_catalogue_is_opened_once_and_closed_at_teardown(app):
    with app.test_request_context("/items/jangar-ms-1"):
        catalog = resources.get_catalog()
        assert resources.get_catalog() is catalog
        assert catalog.conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(sqlite3.ProgrammingError):
        catalog.conn.execute("SELECT 1")


def test_load_item_or_404(app):
    with app.test_request_context("/"):
        assert [p.order for p in resources.load_item("jangar-ms-1").pages] == [1, 2, 3]
        assert resources.load_item("jangar-ms-1", with_pages=False).pages == []
        assert resources.load_item_row("jangar-ms-1").id == "jangar-ms-1"
        for bad in ("nope", "../etc", "Jangar", "3", "collection"):
            with pytest.raises(NotFoundError):
                resources.load_item(bad)
            with pytest.raises(NotFoundError):
                resources.load_item_row(bad)


def test_every_kind_of_page_answers_404_for_an_unknown_item(app):
    client = app.test_client()
    for url in ("/items/nope", "/items/nope/read", "/items/nope/tei", "/items/nope/text",
                "/embed/nope", "/compare?item=nope", "/api/items/nope/pages/1",
                "/api/items/nope/search?q=x", "/iiif/nope/manifest", "/iiif/nope/annotations/1",
                "/iiif/nope/search?q=x", "/iiif/nope/search1", "/iiif/nope/autocomplete?q=x",
                "/iiif/nope/autocomplete1?q=x", "/oembed?url=/items/nope"):
        assert client.get(url).status_code == 404, url
