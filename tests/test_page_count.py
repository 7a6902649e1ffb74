"""Items with very many pages (issue 11, point 12): a page limit refused at ``check`` and at
ingest, and views whose size does not grow with the page count.

The big items are written straight into the catalogue (no ingest, no images, no index): what is
tested is what the views read and send, not how the pages got there. Timings are not asserted
here; bench/bench_pages.py measures them (docs/benchmarks.md).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog.db import Catalog
from ingest.pipeline import check_batch, ingest_batch
from library.models import Item, Page
from library.settings import Settings
from library.store import Store
from viewer import create_app

BIG = 10_000

TEI_PAGES = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title xml:lang="en">Many leaves</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><div><p>{pages}</p></div></body></text>
</TEI>
"""


def _tei_batch(root: Path, item_id: str, pages: int, text: bool = True) -> Path:
    folder = root / "batch" / item_id
    folder.mkdir(parents=True)
    body = "".join(f'<pb n="{n}"/>leaf {n}\n' if text else f'<pb n="{n}"/>\n'
                   for n in range(1, pages + 1))
    (folder / f"{item_id}.xml").write_text(TEI_PAGES.format(pages=body), encoding="utf-8")
    return folder.parent


# --- the limit ---------------------------------------------------------------------------------

def test_the_default_limit_holds_a_whole_kangyur_volume_with_room() -> None:
    limit = Settings().max_pages_per_item
    assert 2 * 1000 * 2 <= limit <= 20_000  # twice the largest volume (1,000 leaves, 2 sides)


def test_check_refuses_an_item_with_more_pages_than_the_limit(tmp_path) -> None:
    batch = _tei_batch(tmp_path, "many", 7)
    settings = Settings.load(tmp_path / "lib", max_pages_per_item=6)
    [plan] = check_batch(batch, settings, validate_tei=False)
    [error] = plan.errors
    assert error.message.startswith("7 pages, more than max_pages_per_item (6)")
    assert str(error).startswith("many/many.xml: error: 7 pages, more than max_pages_per_item")
    exactly = Settings.load(tmp_path / "lib", max_pages_per_item=7)
    assert not check_batch(batch, exactly, validate_tei=False)[0].errors


@pytest.mark.slow  # seconds of end-to-end work: `make test-slow`, and CI, run it
def test_the_issues_thirty_thousand_empty_pages_are_refused_by_default(tmp_path) -> None:
    batch = _tei_batch(tmp_path, "x", 30_000, text=False)  # ~0.5 MB, as in the issue
    [plan] = check_batch(batch, Settings.load(tmp_path / "lib"), validate_tei=False)
    assert [str(e).split(";")[0] for e in plan.errors] == [
        "x/x.xml: error: 30000 pages, more than max_pages_per_item (20000)"]


def test_ingest_refuses_it_too_and_writes_nothing(tmp_path) -> None:
    batch = _tei_batch(tmp_path, "many", 7)
    (tmp_path / "lib").mkdir()  # as an archivist sets it: the workers read the library's file
    (tmp_path / "lib" / "sudur.json").write_text('{"max_pages_per_item": 6}', encoding="utf-8")
    settings = Settings.load(tmp_path / "lib")
    summary = ingest_batch(batch, settings, workers=1)
    assert not summary.ok
    assert any("max_pages_per_item" in str(d) for d in summary.failed["many"])
    with Catalog(Store(settings.library).catalog_path) as cat:
        assert cat.item_ids() == []


def test_a_folder_of_images_only_is_counted_too(tmp_path) -> None:
    from PIL import Image

    folder = tmp_path / "batch" / "loose"
    (folder / "images").mkdir(parents=True)
    for n in range(1, 4):
        Image.new("L", (8, 8), 200).save(folder / "images" / f"{n:04d}.png")
    settings = Settings.load(tmp_path / "lib", max_pages_per_item=2)
    [plan] = check_batch(folder.parent, settings, validate_tei=False)
    assert [e.message.split(";")[0] for e in plan.errors] == [
        "3 pages, more than max_pages_per_item (2)"]


# --- views of a big item -----------------------------------------------------------------------

def big_item(item_id: str, pages: int) -> Item:
    """An item of ``pages`` imaged pages (the images are never read by these tests)."""
    return Item(id=item_id, titles={"en": f"{pages} leaves"}, languages=["bo"],
                scripts=["Tibt"], writing_system="bo",
                pages=[Page(item_id=item_id, order=n,
                            label=f"{(n + 1) // 2}{'a' if n % 2 else 'b'}",
                            image=f"images/{n:05d}.tif", width=2400, height=600,
                            text=f"ཀ་ཁ་ག་ {n}") for n in range(1, pages + 1)])


@pytest.fixture(scope="module")
def big_library(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("big") / "lib"
    settings = Settings.load(root)
    store = Store(root)
    store.ensure()
    with Catalog(store.catalog_path) as cat:
        for item in (big_item("big", BIG), big_item("small", 10)):
            version = f"items/{item.id}@v1"
            (root / version / "source").mkdir(parents=True)
            cat.put_item(item, version_path=version, source_hash="h", fixity=[])
    return settings


@pytest.fixture()
def client(big_library):
    return create_app({"SUDUR_SETTINGS": big_library, "TESTING": True}).test_client()


def _get(client, url: str) -> str:
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == 200, (url, resp.data[:300])
    return resp.get_data(as_text=True)


def test_record_page_of_ten_thousand_pages_is_small_and_paged(client) -> None:
    page = _get(client, "/items/big")
    assert len(page.encode()) < 200_000
    assert "10000" in page.replace(",", "").replace("\u202f", "").replace(" ", "")
    thumbs = re.findall(r'src="/iiif/3/big\.(\d{4,5})/full/200,/0/default.jpg"', page)
    assert thumbs and len(thumbs) < 500 and thumbs[0] == "0001"
    assert 'href="/items/big?pages=2"' in page
    second = _get(client, "/items/big?pages=2")
    later = re.findall(r'src="/iiif/3/big\.(\d{4,5})/full/200,/0/default.jpg"', second)
    assert int(later[0]) == len(thumbs) + 1
    assert 'href="/items/big?pages=100"' in page or "pages=" in page
    last = _get(client, f"/items/big?pages={-(-BIG // len(thumbs))}")
    assert re.findall(r'src="/iiif/3/big\.(\d+)/', last)[-1] == str(BIG)


@pytest.mark.parametrize("query", ["pages=0", "pages=x", "pages=999999", "pages=1e3"])
def test_a_page_list_beyond_the_item_is_a_client_error(client, query) -> None:
    assert client.get("/items/big?" + query).status_code in (400, 404)


def test_small_records_list_every_page_without_a_pager(client) -> None:
    page = _get(client, "/items/small")
    assert len(re.findall(r'src="/iiif/3/small\.\d{4}/full/200,', page)) == 10
    assert "?pages=" not in page


@pytest.mark.parametrize("view", ["/items/{}/read?page=2", "/embed/{}?page=2"])
def test_reader_and_embed_do_not_grow_with_the_page_count(client, view) -> None:
    big = _get(client, view.format("big"))
    small = _get(client, view.format("small"))
    # the same page of a 10-page and a 10,000-page item: only the title and ids differ
    assert abs(len(big) - len(small)) < 300, (len(big), len(small))
    assert 'data-first="1"' in big and f'data-last="{BIG}"' in big
    assert "data-pages=" not in big


def test_reader_names_its_neighbours_and_the_page_api_does_too(client) -> None:
    page = _get(client, "/items/big/read?page=5000")
    assert 'rel="prev" href="/items/big/read?page=4999"' in page
    assert 'rel="next" href="/items/big/read?page=5001"' in page
    data = client.get("/api/items/big/pages/5000").get_json()
    assert (data["prev"], data["next"], data["label"]) == (4999, 5001, "2500b")
    assert client.get(f"/api/items/big/pages/{BIG}").get_json()["next"] is None
    assert client.get("/api/items/big/pages/1").get_json()["prev"] is None


def test_reader_finds_a_page_by_the_label_written_on_the_leaf(client) -> None:
    page = _get(client, "/items/big/read?page=2500b")
    assert 'data-page="5000"' in page
    # a name of no page is a 404 (DESIGN.md's URL contract)
    assert client.get("/items/big/read?page=nosuch").status_code == 404


def test_page_labels_are_listed_in_bounded_ranges(client) -> None:
    data = client.get("/api/items/big/pages?from=4999&to=5002").get_json()
    assert data["total"] == BIG and (data["first"], data["last"]) == (1, BIG)
    assert data["pages"] == [{"order": 4999, "label": "2500a"}, {"order": 5000, "label": "2500b"},
                             {"order": 5001, "label": "2501a"}, {"order": 5002, "label": "2501b"}]
    whole = client.get("/api/items/big/pages").get_json()
    assert len(whole["pages"]) == 1000 and whole["pages"][-1]["order"] == 1000
    assert client.get("/api/items/big/pages?from=1&to=5000").status_code == 400
    assert client.get("/api/items/big/pages?from=x").status_code == 400
    assert client.get("/api/items/nosuch/pages").status_code == 404
