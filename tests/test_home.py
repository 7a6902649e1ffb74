"""The home page is paged and browsable by collection (issue 14): collection cards with their
counts, ``/?collection=`` for one collection's items, pages of ``HOME_PAGE_SIZE`` items."""
from __future__ import annotations

import re

from catalog.db import Catalog
from library.store import Store
from viewer import listing, site


def _page(client, url: str) -> str:
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_data(as_text=True)


def _items(page: str) -> list[str]:
    return re.findall(r'<li class="item-card">\s*<a href="/items/([^"]+)"', page)


def _sample_ids(sample_library) -> list[str]:
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        return cat.item_ids()


def test_the_home_page_lists_one_page_of_items_at_a_time(client, sample_library, monkeypatch):
    every = _items(_page(client, "/"))
    ids = _sample_ids(sample_library)
    assert len(ids) > 5 and every == sorted(ids)
    monkeypatch.setattr(site, "HOME_PAGE_SIZE", 4)
    first, second = _page(client, "/"), _page(client, "/?page=2")
    assert _items(first) == every[:4] and _items(second) == every[4:8]
    assert 'href="/?page=2"' in first and 'rel="next"' in first
    assert 'rel="prev" href="/"' in second
    assert f"Items 5–{min(8, len(ids))} of {len(ids)}" in second
    assert client.get(f"/?page={(len(ids) + 3) // 4 + 1}").status_code == 404
    assert client.get("/?page=0").status_code == 404
    assert client.get("/?page=x").status_code == 400


def test_the_home_page_is_browsable_by_collection(client, sample_library, monkeypatch):
    page = _page(client, "/")
    cards = dict(re.findall(r'<a href="/\?collection=([^"]+)"[^>]*>.*?</a>\s*'
                            r'<span class="count">(\d+) items?</span>', page))
    # the kangyur collection holds the three volumes of the sample's work (issue 15)
    assert cards == {"archives": "2", "epics": "2", "kangyur": "3", "oirat": "1"}
    assert re.search(r'All items</a>\s*<span class="count">%d items</span>'
                     % len(_sample_ids(sample_library)), page)
    epics = _page(client, "/?collection=epics")
    assert sorted(_items(epics)) == ["geser-ms-1", "jangar-ms-1"]
    assert 'href="/?collection=epics" aria-current="page"' in epics
    assert 'The Mongolian epics of Jangar and Geser.' in epics
    monkeypatch.setattr(site, "HOME_PAGE_SIZE", 1)
    one = _page(client, "/?collection=epics")
    assert len(_items(one)) == 1 and 'href="/?collection=epics&amp;page=2"' in one
    assert client.get("/?collection=nowhere").status_code == 404


def test_a_collection_holds_the_items_of_its_sub_collections():
    from library.models import Collection

    colls = [Collection("top", items=["a"]), Collection("sub", parent="top", items=["b", "a"]),
             Collection("loop", parent="loop", items=["c"]), Collection("x", items=["gone"])]
    present = {"a", "b", "c"}
    assert listing.collection_items("top", colls, present) == ["a", "b"]
    assert listing.collection_items("loop", colls, present) == ["c"]
    assert listing.collection_items("x", colls, present) == []
