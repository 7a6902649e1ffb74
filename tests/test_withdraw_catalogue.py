"""The catalogue's side of withdrawing an item (catalog.tombstones, ``withdraw_item``), run
against both backends as tests/test_catalogue_contract.py is: SQLite in the library folder and
PostgreSQL (a database of its own per test, on the session's server: tests/pg_fixtures.py)."""
from __future__ import annotations

import sqlite3

import pytest

from catalog import migrations
from catalog.catalogue import Catalogue, FixityRecord, open_catalog
from library.errors import CatalogVersionError, NotFoundError, WithdrawnError
from library.models import Item, Page, Volume, Work
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


def _item(item_id: str = "jangar-ms-1", title: str = "Jangar", collections=("epics",)) -> Item:
    return Item(id=item_id, titles={"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": title},
                collections=list(collections),
                pages=[Page(item_id=item_id, order=n, label=f"{n}a", text="ᠵᠠᠩᠭᠠᠷ")
                       for n in (1, 2)])


def test_withdrawing_deletes_the_item_and_keeps_its_tombstone(cat):
    cat.put_item(_item(), version_path="items/j@1", source_hash="h",
                 fixity=[FixityRecord("source/j.xml", "tei", 3, "ab")])
    cat.put_item(_item("geser-ms-1", "Geser"), version_path="items/g@1", source_hash="h",
                 fixity=[])
    tomb, old = cat.withdraw_item("jangar-ms-1", "a rights claim")
    assert old == "items/j@1"
    assert (tomb.item_id, tomb.title, tomb.reason) == ("jangar-ms-1", "Jangar", "a rights claim")
    assert tomb.titles["mn-Mong"] == "ᠵᠠᠩᠭᠠᠷ" and tomb.collections == ("epics",)
    # gone from every listing and lookup; the other item untouched
    assert cat.item_ids() == ["geser-ms-1"] and cat.item_row("jangar-ms-1") is None
    assert cat.pages("jangar-ms-1") == [] and cat.fixity("jangar-ms-1") == []
    assert cat.live_versions() == ["items/g@1"]
    with pytest.raises(NotFoundError):
        cat.get_item("jangar-ms-1")
    # what stays: the tombstone, the Delete activity, the event with the reason
    assert cat.tombstone("jangar-ms-1") == tomb and cat.tombstone("geser-ms-1") is None
    assert cat.tombstones() == [tomb] and cat.withdrawn_ids() == ["jangar-ms-1"]
    log = cat.activities(0, 10)
    assert [(a.item_id, a.type) for a in log][-1] == ("jangar-ms-1", "Delete")
    assert cat.events("jangar-ms-1")[-1]["message"] == "withdrawn: a rights claim"
    error = tomb.error()
    assert isinstance(error, WithdrawnError) and isinstance(error, NotFoundError)
    assert error.http_status == 410
    assert error.to_dict()["reason"] == "a rights claim"
    assert error.to_dict()["withdrawn"].endswith("Z")


def test_an_unknown_item_is_not_withdrawn_and_nothing_is_written(cat):
    cat.put_item(_item(), version_path="items/j@1", source_hash="h", fixity=[])
    before = cat.activity_count()
    with pytest.raises(NotFoundError):
        cat.withdraw_item("nope", "why")
    assert cat.tombstones() == [] and cat.activity_count() == before
    assert cat.item_ids() == ["jangar-ms-1"]


def test_publishing_again_removes_the_tombstone(cat):
    cat.put_item(_item(), version_path="items/j@1", source_hash="h", fixity=[])
    cat.withdraw_item("jangar-ms-1", "an error")
    assert cat.put_item(_item(), version_path="items/j@2", source_hash="h",
                        fixity=[]) is None  # nothing replaced: it was gone
    assert cat.tombstone("jangar-ms-1") is None and cat.tombstones() == []
    assert cat.get_item("jangar-ms-1").titles["en"] == "Jangar"
    assert [a.type for a in cat.activities(0, 10)] == ["Create", "Delete", "Create"]
    # withdrawn again later: a new tombstone, with the new reason
    tomb, _ = cat.withdraw_item("jangar-ms-1", "a duplicate")
    assert [t.reason for t in cat.tombstones()] == ["a duplicate"] and tomb.reason == "a duplicate"


def test_a_withdrawn_volume_stays_named_by_its_work(cat):
    for n in (1, 2, 3):
        cat.put_item(_item(f"vol-{n}", f"Volume {n}"), version_path=f"items/v{n}@1",
                     source_hash="h", fixity=[])
    work = Work(id="kangyur", titles={"en": "Kangyur"},
                volumes=[Volume("vol-1", "ka"), Volume("vol-2", "kha"), Volume("vol-3", "ga")])
    cat.put_work(work)
    cat.withdraw_item("vol-2", "a rights claim")
    assert [v.item for v in cat.get_work("kangyur").volumes] == ["vol-1", "vol-2", "vol-3"]
    assert cat.get_item("vol-1").works == ["kangyur"] == cat.get_item("vol-3").works
    assert cat.work_ids_of("vol-2") == ["kangyur"]  # re-ingesting it restores it in its work
    # the work page asks for its absent volumes' tombstones at once
    gone = cat.tombstones_of(v.item for v in cat.get_work("kangyur").volumes)
    assert list(gone) == ["vol-2"] and gone["vol-2"] == cat.tombstone("vol-2")
    assert gone["vol-2"].reason == "a rights claim" and cat.tombstones_of([]) == {}


def test_tombstones_of_many_ids_are_asked_for_in_chunks(cat):
    for n in (1, 700, 1299):  # in the first, second and third chunk of 500 ids
        cat.put_item(_item(f"vol-{n:04}"), version_path=f"items/v{n}@1", source_hash="h",
                     fixity=[])
        cat.withdraw_item(f"vol-{n:04}", f"reason {n}")
    asked = [f"vol-{n:04}" for n in range(1300)] + ["vol-0700"]  # a repeat is one id
    gone = cat.tombstones_of(iter(asked))
    assert sorted(gone) == ["vol-0001", "vol-0700", "vol-1299"]
    assert [gone[i].reason for i in sorted(gone)] == ["reason 1", "reason 700", "reason 1299"]


def test_a_withdrawal_is_refused_by_a_catalogue_that_may_not_write(cat):
    cat.put_item(_item(), version_path="items/j@1", source_hash="h", fixity=[])
    cat.writable = False  # as a node of older code in a rolling upgrade finds it
    with pytest.raises(CatalogVersionError):
        cat.withdraw_item("jangar-ms-1", "why")
    cat.writable = True
    assert cat.item_ids() == ["jangar-ms-1"] and cat.tombstones() == []


def test_the_search_rows_go_with_the_withdrawal_on_postgres(pg_url, tmp_path):
    from catalog.pg_search_write import TABLE

    with open_catalog(Settings.load(tmp_path / "lib", catalog_url=pg_url)) as cat:
        cat.put_item(_item(), version_path="items/j@1", source_hash="h", fixity=[])
        count = f"SELECT count(*) FROM {TABLE} WHERE item = %s"
        assert cat.conn.execute(count, ("jangar-ms-1",)).fetchone()[0] == 3  # 2 pages + record
        cat.withdraw_item("jangar-ms-1", "why")
        assert cat.conn.execute(count, ("jangar-ms-1",)).fetchone()[0] == 0


def test_step_4_adds_the_tombstones_to_a_catalogue_of_version_3(tmp_path):
    """A library made before tombstones is brought up to date on opening; older code still
    reads a catalogue that has them (old_readers_ok)."""
    path = tmp_path / "catalog.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(migrations._META)
    for step in migrations.STEPS[:3]:
        for sql in migrations.statements(step.sqlite):
            conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.commit()
    conn.close()
    settings = Settings.load(tmp_path)
    with open_catalog(settings) as cat:
        assert cat.tombstones() == []
        cat.put_item(_item(), version_path="items/j@1", source_hash="h", fixity=[])
        cat.withdraw_item("jangar-ms-1", "why")
    step = next(s for s in migrations.STEPS if s.number == 4)
    assert step.old_readers_ok and "tombstones" in step.sqlite and "tombstones" in step.postgres
    assert migrations.readers_from(4) == migrations.readers_from(3)
