"""The SQLite catalogue: items, pages, collections, fixity, runs and events."""
from __future__ import annotations

import pytest

from catalog.db import Catalog, FixityRecord
from library.errors import NotFoundError
from library.models import Box, Item, Line, Page, Responsibility, TocEntry, Word


def _item(item_id="jangar-ms-1", version="v1") -> Item:
    page = Page(item_id=item_id, order=1, label="1a", image="images/0001.png", width=10,
                height=20, text="ᠵᠠᠩᠭᠠᠷ", lines=[Line("ᠵᠠᠩᠭᠠᠷ", Box(1, 2, 3, 4), 0, 6,
                                                       [Word("ᠵᠠᠩᠭᠠᠷ", Box(1, 2, 3, 4), 0, 6)])])
    return Item(id=item_id, titles={"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": f"Jangar {version}"},
                responsibility=[Responsibility("scribe", "Bayar")],
                toc=[TocEntry({"en": "Canto 1"}, 1, 1, [TocEntry({"en": "Part"}, 1)])],
                collections=["epics"], pages=[page])


def test_round_trip_and_replace(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as cat:
        run = cat.start_run("/batch")
        assert cat.put_item(_item(), version_path="items/a@1", source_hash="h1",
                            fixity=[FixityRecord("source/a.xml", "tei", 3, "ab")],
                            run_id=run) is None
        item = cat.get_item("jangar-ms-1")
        assert item.titles["en"] == "Jangar v1"
        assert item.pages[0].lines[0].words[0].box == Box(1, 2, 3, 4)
        assert item.toc[0].children[0].label == {"en": "Part"}
        old = cat.put_item(_item(version="v2"), version_path="items/a@2", source_hash="h2",
                           fixity=[], run_id=run)
        assert old == "items/a@1"
        assert cat.get_item("jangar-ms-1").titles["en"] == "Jangar v2"
        assert cat.fixity("jangar-ms-1") == []
        assert cat.get_collection("epics").items == ["jangar-ms-1"]
        cat.finish_run(run, "ok")
        events = cat.events("jangar-ms-1")
        assert [e["message"] for e in events] == ["ingested", "replaced"]
        assert events[0]["batch"] == "/batch"


def test_missing_records_are_not_found(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as cat:
        with pytest.raises(NotFoundError):
            cat.get_item("nope")
        with pytest.raises(NotFoundError):
            cat.get_page("nope", 1)
        with pytest.raises(NotFoundError):
            cat.get_collection("nope")


def test_unindexed_tracking(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as cat:
        cat.put_item(_item(), version_path="items/a@1", source_hash="h", fixity=[])
        assert cat.unindexed() == ["jangar-ms-1"]
        cat.mark_indexed(["jangar-ms-1"])
        assert cat.unindexed() == []


# --- a bad row never takes the library down (issue 11, point 6) -----------------------------

import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
from pathlib import Path  # noqa: E402


def _spoil(db: Path, good_item: str) -> dict[str, list[str]]:
    """Write rows no Sudur should write straight into SQLite; returns the bad ids by table."""
    conn = sqlite3.connect(db)
    version, record = conn.execute("SELECT version_path, record FROM items WHERE id=?",
                                   (good_item,)).fetchone()
    good = json.loads(record)
    bad_items = {
        "bad-collection-int": good | {"id": "bad-collection-int", "collections": [7]},
        "bad-titles-string": good | {"id": "bad-titles-string", "titles": "Jangar"},
        "bad-other-id": good | {"id": "somebody-else"},
        "bad-not-json": "{",
    }
    for item_id, rec in bad_items.items():
        conn.execute("INSERT INTO items VALUES (?,?,?,?,0,0,0)",
                     (item_id, version, "h", rec if isinstance(rec, str) else json.dumps(rec)))
    bad_colls = {
        "7": '{"id": 7, "label": {"en": 7}, "summary": {}, "parent": null, "items": []}',
        "epics-label": '{"id": "epics-label", "label": "Epics", "summary": {}, "parent": null, '
                       f'"items": ["{good_item}"]}}',
        "top": '{"id": "top", "label": {"en": "Top"}, "summary": {}, "parent": null, "items": []}',
        "bad-items": '{"id": "bad-items", "label": {"en": "B"}, "summary": {}, "parent": null, '
                     '"items": "all of them"}',
        "bad-garbage": "not json",
    }
    conn.executemany("INSERT INTO collections VALUES (?,?)", list(bad_colls.items()))
    conn.execute("INSERT INTO pages VALUES (?, 999, 'x', ?)",
                 (good_item, '{"item_id": "%s", "order": "nine"}' % good_item))
    conn.commit()
    conn.close()
    return {"items": list(bad_items), "collections": list(bad_colls)}


def test_the_readers_skip_and_log_bad_rows(tmp_path, caplog):
    db = tmp_path / "c.sqlite"
    with Catalog(db) as cat:
        cat.put_item(_item(), version_path="items/a@1", source_hash="h", fixity=[])
    bad = _spoil(db, "jangar-ms-1")
    caplog.set_level(logging.WARNING)
    with Catalog(db) as cat:
        assert cat.item_ids() == ["jangar-ms-1"]
        assert [i.id for i in cat.items(with_pages=True)] == ["jangar-ms-1"]
        assert [c.id for c in cat.collections()] == ["epics"]
        assert [p.order for p in cat.get_item("jangar-ms-1").pages] == [1]
        for item_id in bad["items"]:
            with pytest.raises(NotFoundError, match="cannot be read"):
                cat.get_item(item_id)
        for cid in bad["collections"]:
            with pytest.raises(NotFoundError):
                cat.get_collection(cid)
        with pytest.raises(NotFoundError):
            cat.get_page("jangar-ms-1", 999)
        # writing beside a bad collection row replaces it instead of failing
        cat.put_item(_item("other-1"), version_path="items/o@1", source_hash="h", fixity=[],
                     run_id=None)
    logged = caplog.text
    for name in bad["items"] + bad["collections"]:
        assert repr(name) in logged, name
    assert "page 999" in logged


def _images_item(batch: Path, item_id: str) -> None:
    from PIL import Image

    (batch / item_id / "images").mkdir(parents=True)
    Image.new("RGB", (200, 300), (190, 180, 170)).save(batch / item_id / "images" / "0001.png")


def test_a_bad_row_never_wedges_ingest_or_reindex(tmp_path, caplog):
    from click.testing import CliRunner

    from ingest.pipeline import ingest_batch
    from library.cli import cli
    from library.settings import Settings
    from library.store import Store

    settings = Settings.load(tmp_path / "lib")
    _images_item(tmp_path / "b1", "first-1")
    assert ingest_batch(tmp_path / "b1", settings).ingested == ["first-1"]
    # the rows `{"id": 7}` in collections.json used to leave behind, still unindexed
    _spoil(Store(settings.library).catalog_path, "first-1")
    _images_item(tmp_path / "b2", "second-1")
    caplog.set_level(logging.WARNING)
    assert ingest_batch(tmp_path / "b2", settings).ingested == ["second-1"]
    assert "'bad-collection-int'" in caplog.text
    lib = ["--library", str(settings.library)]
    res = CliRunner().invoke(cli, lib + ["reindex"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, lib + ["search", "second-1", "--json"])
    assert res.exit_code == 0, res.output


@pytest.fixture(scope="module")
def spoiled_client(sample_library, tmp_path_factory):
    """The sample library, copied, with bad item and collection rows written into it."""
    from library.settings import Settings
    from viewer import create_app

    lib = tmp_path_factory.mktemp("spoiled") / "library"
    shutil.copytree(sample_library.library, lib, symlinks=True)
    bad = _spoil(lib / "catalog.sqlite", "jangar-ms-1")
    app = create_app({"SUDUR_SETTINGS": Settings.load(lib), "TESTING": True})
    return app.test_client(), bad


@pytest.mark.parametrize("path", [
    "/", "/search?q=jangar", "/api/search?q=jangar", "/kiosk/top", "/kiosk/all",
    "/iiif/collection/top", "/iiif/collection/epics", "/oai?verb=ListRecords&metadataPrefix=oai_dc",
    "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc", "/oai?verb=ListSets",
])
def test_pages_that_list_many_leave_the_bad_ones_out(spoiled_client, path, caplog):
    client, bad = spoiled_client
    caplog.set_level(logging.WARNING)
    resp = client.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    body = resp.get_data(as_text=True)
    assert "jangar-ms-1" in body or "epics" in body or path.startswith("/kiosk")
    for name in bad["items"] + ["epics-label", "bad-items"]:
        assert name not in body, name


def test_a_bad_record_alone_is_not_found(spoiled_client):
    client, _bad = spoiled_client
    # (not the manifest: the bad rows share a good item's version, whose manifest is cached)
    for path in ("/items/bad-collection-int", "/items/bad-titles-string",
                 "/iiif/bad-other-id/annotations/1", "/iiif/collection/epics-label",
                 "/kiosk/epics-label"):
        assert client.get(path).status_code == 404, path
