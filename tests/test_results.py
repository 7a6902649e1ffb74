"""Results a researcher can scan (issue 14): hits grouped by item with a thumbnail and the
item's best pages, counts of items and pages, facets that count items, items by relevance by
default and in library order on request, and the century facet over the date range."""
from __future__ import annotations

import re
from array import array
from collections import Counter

import pytest

from catalog import grouped, index as cindex
from catalog.grouped import ItemTable, PAGES_PER_ITEM, search_items
from catalog.matching import Scanned
from catalog.search import SearchRequest, open_searcher, search
from library.models import Item, Page


def _json(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def _every_page(sample_library, q: str):
    """Every matching page of the whole library, in reading order (the flat search)."""
    with open_searcher(sample_library.library / "index") as s:
        return search(s, SearchRequest(q, page_size=1000, time_budget=10.0)).hits


def test_api_groups_hits_by_item_and_keeps_its_shape(client, sample_library):
    data = _json(client, "/api/search?q=Gesar")
    every = _every_page(sample_library, "Gesar")
    items = [g["item"] for g in data["items"]]
    assert data["total"] == len(every) and data["total_items"] == len({h.item_id for h in every})
    assert len(items) == len(set(items)) == data["total_items"] and not data["total_is_estimate"]
    # hits keep their keys, and come item by item, in the groups' order
    assert {"item", "page", "label", "snippet", "score", "kind", "kwic"} <= set(data["hits"][0])
    runs = [h["item"] for n, h in enumerate(data["hits"])
            if n == 0 or data["hits"][n - 1]["item"] != h["item"]]
    assert runs == items
    for g in data["items"]:
        assert len(g["pages"]) + g["record"] <= PAGES_PER_ITEM
        assert g["pages"] == sorted(g["pages"])  # reading order within an item
        assert g["matched"] == sum(1 for h in every if h.item_id == g["item"])


def test_items_come_by_relevance_by_default_and_in_library_order_on_request(client,
                                                                            sample_library):
    ranked = _json(client, "/api/search?q=Gesar")
    assert ranked["sort"] == "relevance"
    scores = [g["score"] for g in ranked["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    library = _json(client, "/api/search?q=Gesar&sort=reading")
    assert library["sort"] == "reading"
    first_seen = list(dict.fromkeys(h.item_id for h in _every_page(sample_library, "Gesar")))
    assert [g["item"] for g in library["items"]] == first_seen
    assert [g["item"] for g in ranked["items"]] != first_seen  # the sample ranks otherwise
    # in library order, an item's pages are its first matches
    for g in library["items"]:
        firsts = [h.order for h in _every_page(sample_library, "Gesar")
                  if h.item_id == g["item"] and h.kind == "page"][:len(g["pages"])]
        assert g["pages"] == firsts


def test_facets_count_items_not_pages(client, sample_library):
    data = _json(client, "/api/search?q=Gesar")
    every = _every_page(sample_library, "Gesar")
    per_item = Counter(h.item_id for h in every)
    assert max(per_item.values()) > 1  # else counting pages would look the same
    from catalog.db import Catalog

    with Catalog(sample_library.library / "catalog.sqlite", readonly=True) as cat:
        expected = Counter(c for i in per_item
                           for c in cat.get_item(i, with_pages=False).collections)
    assert data["facets"]["collection"] == dict(expected)
    assert sum(data["facets"]["collection"].values()) < len(every)


def test_the_page_says_items_and_pages_with_thumbnails_and_links(client, sample_library):
    page = client.get("/search?q=Gesar", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    every = _every_page(sample_library, "Gesar")
    n_items = len({h.item_id for h in every})
    assert f"{n_items} items, {len(every)} pages" in page
    assert len(re.findall(r'<li class="result-item">', page)) == n_items
    thumbs = re.findall(r'class="result-thumb" href="([^"]+)"><img src="([^"]+)" alt="Page ', page)
    assert thumbs and all("/iiif/3/" in src and "/full/200," in src for _href, src in thumbs)
    # each page hit opens the reader on that page with the query, so the hit is marked
    links = re.findall(r'class="hit-link" href="([^"]+)"', page)
    assert links and all("read?page=" in u and "q=Gesar" in u for u in links)
    reader = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "<mark>" in reader
    assert 'href="/static/results.css"' in page
    # the other order is offered, and chosen by sort=reading
    assert 'href="/search?q=Gesar&amp;sort=reading"' in page
    other = client.get("/search?q=Gesar&sort=reading",
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "order; pages in reading order." in other and "Most relevant items first<" in other


def test_result_pages_are_pages_of_items(client, sample_library, monkeypatch):
    monkeypatch.setattr(grouped, "ITEMS_PER_PAGE", 2)
    every = _every_page(sample_library, "Gesar")
    n_items = len({h.item_id for h in every})
    assert n_items == 3
    seen = []
    for n in (1, 2):
        data = _json(client, f"/api/search?q=Gesar&page={n}")
        assert data["page_size"] == 2 and data["total_items"] == n_items
        seen += [g["item"] for g in data["items"]]
    assert sorted(seen) == sorted({h.item_id for h in every})
    page = client.get("/search?q=Gesar", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert 'href="/search?q=Gesar&amp;page=2"' in page


def test_the_century_facet_counts_every_century_of_the_range(client):
    data = _json(client, "/api/search?q=a")
    # the Kangyur volume (1700-1799) is the 18th century only; Todo Xiyouji (1770-1830) the
    # 18th and the 19th; Jangar (1950s) the 20th
    centuries = data["facets"]["century"]
    assert "17" not in centuries
    kangyur = _json(client, "/api/search?q=" + "item:kangyur-vol-1")
    assert kangyur["facets"]["century"] == {"18": 1}
    todo = _json(client, "/api/search?q=" + "item:todo-xiyouji-1")
    assert todo["facets"]["century"] == {"18": 1, "19": 1}
    page = client.get("/search?q=item:todo-xiyouji-1",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">18th century</a>" in page and ">19th century</a>" in page


def _table(sizes: list[int]) -> ItemTable:
    of, lo, hi, d = array("i"), [], [], 0
    for i, n in enumerate(sizes):
        of.extend([i] * n)
        lo.append(d)
        d += n
        hi.append(d)
    return ItemTable(of, [f"i{i}" for i in range(len(sizes))], lo, hi, set())


def test_an_item_count_from_samples_stands_for_the_items_the_windows_could_not_meet():
    """100 items of 10 pages, every page of the even ones matching; the first 100 documents
    read exactly, then 5 windows of 64 sampled: about 50 items, not the 17 met nor 17 times
    the scale of pages."""
    items = _table([10] * 100)
    matches = lambda lo, hi: [d for d in range(lo, hi) if items.of[d] % 2 == 0]  # noqa: E731
    exact = matches(0, 100)
    sampled = [d for start in range(100, 1000, 200) for d in matches(start, start + 64)]
    scanned = Scanned(exact + sampled, 100, len(exact), 5 * 64, 1000)
    total, estimate, scale = grouped._item_estimate(items, scanned,
                                                     grouped._split(items, scanned))
    assert estimate and 40 <= total <= 60 and scale > 1
    complete = Scanned(matches(0, 1000), 1000, 500, 0, 1000)
    assert grouped._item_estimate(items, complete, grouped._split(items, complete)) == \
        (50, False, 1.0)


@pytest.fixture(scope="module")
def many_items(tmp_path_factory):
    """40 items: the word 'steppe' once on each page of the first 30, and three times on one
    page of item 35, whose title holds it too."""
    items = []
    for k in range(40):
        it = Item(id=f"it-{k:02d}", titles={"en": f"Item {k}"}, writing_system="en",
                  languages=["en"], collections=["c"] if k % 2 else ["d"])
        for i in range(5):
            text = "the khan of the horse"
            if k < 30:
                text += " steppe"
            if k == 35 and i == 3:
                text = "steppe steppe steppe"
            it.pages.append(Page(item_id=it.id, order=i + 1, label=str(i + 1), text=text))
        items.append(it)
    d = tmp_path_factory.mktemp("grouped") / "index"
    cindex.update_items(d, items)
    return d


def test_relevance_puts_the_item_of_strongest_pages_first(many_items):
    with open_searcher(many_items) as s:
        r = search_items(s, SearchRequest("steppe", sort="relevance", page_size=5,
                                          time_budget=10.0))
        assert r.total_items == 31 and r.total == 151 and not r.total_items_is_estimate
        assert r.items[0].item_id == "it-35" and r.items[0].best == 4
        assert dict(r.facets["collection"]) == {"c": 16, "d": 15}
        library = search_items(s, SearchRequest("steppe", sort="reading", page_size=5,
                                                time_budget=10.0))
        assert [g.item_id for g in library.items] == [f"it-{k:02d}" for k in range(5)]
        last = search_items(s, SearchRequest("steppe", sort="reading", page=7, page_size=5,
                                             time_budget=10.0))
        assert [g.item_id for g in last.items] == ["it-35"]
        assert [h.order for h in library.items[0].hits] == [1, 2, 3]


def test_estimated_counts_are_marked_about(client, monkeypatch):
    from catalog.querying import Understood
    from catalog.search import SearchResult
    from viewer import site

    def estimated(params):
        return SearchResult(query=params.text, total=1200, total_is_estimate=True, hits=[],
                            items=[], facets={"century": [("18", 40)]},
                            facets_are_estimates=True, understood=Understood(text=params.text),
                            page=1,
                            page_size=params.page_size, elapsed=0.0, total_items=41,
                            total_items_is_estimate=True, sort=params.sort)

    monkeypatch.setattr(site, "run_search", estimated)
    page = client.get("/search?q=khan", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "About 41 items, 1200 pages" in page and "≈40" in page
    data = _json(client, "/api/search?q=khan")
    assert data["total_items"] == 41 and data["total_items_is_estimate"] is True


def test_the_grouped_search_estimates_when_the_budget_runs_out(many_items, monkeypatch):
    from catalog import matching, relevance

    monkeypatch.setattr(relevance, "MAX_CANDIDATES", 16)  # the first page: 16 matches
    monkeypatch.setattr(matching, "_FIRST_WINDOW", 16)
    monkeypatch.setattr(matching, "_MAX_WINDOW", 16)
    with open_searcher(many_items) as s:
        r = search_items(s, SearchRequest("horse", sort="relevance", page_size=5,
                                          time_budget=0.0))
        assert r.total_items_is_estimate and r.total_is_estimate and r.facets_are_estimates
        assert 1 <= r.total_items <= 40 and len(r.items) == 5
        library = search_items(s, SearchRequest("horse", sort="reading", page=7, page_size=5,
                                                time_budget=0.0))
        # the page's items come in library order all the same, each with its first pages
        assert [g.item_id for g in library.items] == [f"it-{k:02d}" for k in range(30, 35)]
        assert all([h.order for h in g.hits if h.kind == "page"] == [1, 2, 3]
                   for g in library.items)
