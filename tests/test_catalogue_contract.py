"""The catalogue contract, run against both backends: SQLite in the library folder and
PostgreSQL (a database of its own per test, on the session's server: tests/pg_fixtures.py)."""
from __future__ import annotations

import pytest

from catalog.catalogue import Catalogue, FixityRecord, catalog_exists, open_catalog
from catalog.migrations import LATEST
from library.errors import NotFoundError
from library.models import Box, Collection, Item, Line, Page, Responsibility, TocEntry, Word
from library.settings import Settings
from pg_fixtures import new_pg_url, pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path) -> Settings:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return Settings.load(tmp_path / "lib", catalog_url=url)


@pytest.fixture
def cat(settings) -> Catalogue:
    with open_catalog(settings) as cat:
        yield cat


def _page(item_id: str, order: int, label: str) -> Page:
    return Page(item_id=item_id, order=order, label=label, image=f"images/{order:04}.png",
                width=10, height=20, text="ᠵᠠᠩᠭᠠᠷ",
                lines=[Line("ᠵᠠᠩᠭᠠᠷ", Box(1, 2, 3, 4), 0, 6,
                            [Word("ᠵᠠᠩᠭᠠᠷ", Box(1, 2, 3, 4), 0, 6)])])


def _item(item_id="jangar-ms-1", version="v1", pages=3, collections=("epics",)) -> Item:
    return Item(id=item_id, titles={"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": f"Jangar {version}"},
                responsibility=[Responsibility("scribe", "Bayar")],
                toc=[TocEntry({"en": "Canto 1"}, 1, 1, [TocEntry({"en": "Part"}, 1)])],
                collections=list(collections),
                pages=[_page(item_id, n, f"{n}a") for n in range(1, pages + 1)])


def test_round_trip_replace_and_events(cat):
    run = cat.start_run("/batch")
    assert cat.put_item(_item(), version_path="items/a@1", source_hash="h1",
                        fixity=[FixityRecord("source/a.xml", "tei", 3, "ab")],
                        run_id=run) is None
    item = cat.get_item("jangar-ms-1")
    assert item.titles["en"] == "Jangar v1"
    assert item.pages[0].lines[0].words[0].box == Box(1, 2, 3, 4)
    assert item.toc[0].children[0].label == {"en": "Part"}
    assert cat.fixity("jangar-ms-1") == [("jangar-ms-1",
                                          FixityRecord("source/a.xml", "tei", 3, "ab"))]
    row = cat.item_row("jangar-ms-1")
    assert (row.version_path, row.source_hash, row.indexed) == ("items/a@1", "h1", False)
    old = cat.put_item(_item(version="v2", pages=2), version_path="items/a@2",
                       source_hash="h2", fixity=[], run_id=run)
    assert old == "items/a@1"
    assert cat.get_item("jangar-ms-1").titles["en"] == "Jangar v2"
    assert cat.page_count("jangar-ms-1") == 2 and cat.fixity("jangar-ms-1") == []
    assert cat.version_path("jangar-ms-1") == "items/a@2"
    assert cat.live_versions() == ["items/a@2"]
    cat.finish_run(run, "ok")
    events = cat.events("jangar-ms-1")
    assert [e["message"] for e in events] == ["ingested", "replaced"]
    assert events[0]["batch"] == "/batch" and events[0]["user"] and events[0]["host"]
    cat.event(None, None, "warning", "a note of no run")
    assert cat.events()[-1]["message"] == "a note of no run"


def test_pages_in_ranges_and_their_labels(cat):
    cat.put_item(_item(pages=5), version_path="items/a@1", source_hash="h", fixity=[])
    assert [p.order for p in cat.pages("jangar-ms-1")] == [1, 2, 3, 4, 5]
    assert [p.order for p in cat.pages("jangar-ms-1", 2, 3)] == [2, 3]
    assert [p.order for p in cat.pages("jangar-ms-1", 4)] == [4, 5]
    assert cat.page_labels("jangar-ms-1") == [(n, f"{n}a") for n in range(1, 6)]
    assert cat.get_page("jangar-ms-1", 3).label == "3a"
    assert cat.pages("nope") == [] and cat.page_count("nope") == 0


def test_missing_records_are_not_found(cat):
    for call in (lambda: cat.get_item("nope"), lambda: cat.get_page("nope", 1),
                 lambda: cat.get_collection("nope"), lambda: cat.version_path("nope")):
        with pytest.raises(NotFoundError):
            call()
    assert cat.item_row("nope") is None and cat.get_collection("nope", missing_ok=True) is None
    assert cat.delete_item("nope") is None


def test_listings_indexing_and_forgetting(cat):
    for n in (2, 1, 3):
        cat.put_item(_item(f"item-{n}", collections=()), version_path=f"items/i{n}@1",
                     source_hash=f"h{n}", fixity=[])
    assert cat.item_ids() == ["item-1", "item-2", "item-3"]
    assert [i.id for i in cat.items()] == ["item-1", "item-2", "item-3"]
    assert [len(i.pages) for i in cat.items(["item-2"], with_pages=True)] == [3]
    assert sorted(cat.unindexed()) == ["item-1", "item-2", "item-3"]
    cat.mark_indexed(["item-1", "item-3"])
    assert cat.unindexed() == ["item-2"]
    cat.mark_indexed(["item-1"], False)
    assert sorted(cat.unindexed()) == ["item-1", "item-2"]
    assert cat.forget_source_hash("item-2") is True
    assert cat.forget_source_hash("item-2") is False
    assert cat.item_row("item-2").source_hash == ""


def test_collections_merge_their_members(cat):
    cat.put_item(_item("a-1"), version_path="items/a@1", source_hash="h", fixity=[])
    cat.put_item(_item("b-1"), version_path="items/b@1", source_hash="h", fixity=[])
    assert cat.get_collection("epics").items == ["a-1", "b-1"]
    cat.put_collection(Collection(id="epics", label={"en": "Epics"}, items=["c-1", "a-1"]))
    coll = cat.get_collection("epics")
    assert coll.label == {"en": "Epics"} and coll.items == ["a-1", "b-1", "c-1"]
    cat.put_collection(Collection(id="annals", label={"en": "Annals"}))
    assert [c.id for c in cat.collections()] == ["annals", "epics"]


def test_the_activity_log_follows_publications_and_deletions(cat):
    cat.put_item(_item(), version_path="items/a@1", source_hash="h", fixity=[])
    cat.put_item(_item(), version_path="items/a@2", source_hash="h2", fixity=[])
    assert cat.delete_item("jangar-ms-1") == "items/a@2"
    assert cat.item_ids() == [] and cat.pages("jangar-ms-1") == []
    assert cat.activity_count() == 3
    log = cat.activities(0, 10)
    assert [(a.position, a.item_id, a.type) for a in log] == [
        (0, "jangar-ms-1", "Create"), (1, "jangar-ms-1", "Update"),
        (2, "jangar-ms-1", "Delete")]
    assert log[0].end_time <= log[1].end_time <= log[2].end_time
    assert [a.type for a in cat.activities(1, 1)] == ["Update"]


def test_the_schema_is_versioned_and_opening_again_changes_nothing(settings, cat):
    cat.put_item(_item(), version_path="items/a@1", source_hash="h", fixity=[])
    version = cat.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert version[0] == str(LATEST)
    assert catalog_exists(settings)
    with open_catalog(settings) as again, open_catalog(settings, readonly=True) as reader:
        assert again.item_ids() == reader.item_ids() == ["jangar-ms-1"]
        assert reader.activity_count() == 1


def test_a_new_library_has_no_catalogue_until_written(tmp_path, new_pg_url):  # noqa: F811
    assert not catalog_exists(Settings.load(tmp_path / "lib"))
    settings = Settings.load(tmp_path / "lib", catalog_url=new_pg_url())
    assert not catalog_exists(settings)
    with open_catalog(settings) as cat:
        assert cat.item_ids() == []
    assert catalog_exists(settings)


def test_a_driver_error_leaves_the_catalogue_as_a_catalog_error(tmp_path, pg_url):
    import sqlite3

    from library.errors import CatalogError

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "catalog.sqlite").write_bytes(b"not a database, " * 64)
    with pytest.raises(CatalogError, match="SQLite catalogue failed") as info:
        open_catalog(Settings.load(tmp_path / "lib"))
    assert isinstance(info.value.__cause__, sqlite3.Error)
    with open_catalog(Settings.load(tmp_path / "pg", catalog_url=pg_url)) as cat:
        cat.conn.execute("DROP TABLE pages")
        with pytest.raises(CatalogError, match="PostgreSQL catalogue failed"):
            cat.pages("x")
        cat.conn.execute("DROP TABLE items CASCADE")
        with pytest.raises(CatalogError):
            list(cat.items())  # a generator's errors too
