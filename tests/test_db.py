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
