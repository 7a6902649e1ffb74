"""IIIF Change Discovery 1.0: the catalogue's activity log (catalog/activities.py), the documents
(library/iiif_discovery.py) checked against the specification's own examples and a JSON schema
written from it (tests/iiif_discovery_schema.json), and /iiif/discovery over HTTP."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from catalog.db import Catalog
from library import iiif_discovery as discovery
from library.models import Item, Page
from library.settings import Settings
from library.store import Store
from viewer import create_app

SCHEMA = json.loads((Path(__file__).parent / "iiif_discovery_schema.json").read_text("utf-8"))
CONTEXT = "http://iiif.io/api/discovery/1/context.json"

# The specification's examples (sections 2.2 and 2.3, and 3.2's complete page), verbatim.
SPEC_PAGE = {
    "@context": CONTEXT, "id": "https://example.org/activity/page-1",
    "type": "OrderedCollectionPage",
    "partOf": {"id": "https://example.org/activity/all-changes", "type": "OrderedCollection"},
    "prev": {"id": "https://example.org/activity/page-0", "type": "OrderedCollectionPage"},
    "next": {"id": "https://example.org/activity/page-2", "type": "OrderedCollectionPage"},
    "orderedItems": [
        {"type": "Update", "object": {"id": "https://example.org/iiif/9/manifest",
                                      "type": "Manifest"}, "endTime": "2018-03-10T10:00:00Z"},
        {"type": "Update", "object": {"id": "https://example.org/iiif/2/manifest",
                                      "type": "Manifest"}, "endTime": "2018-03-11T16:30:00Z"}]}
SPEC_COLLECTION = {
    "@context": CONTEXT, "id": "https://example.org/activity/all-changes",
    "type": "OrderedCollection", "totalItems": 21456,
    "first": {"id": "https://example.org/activity/page-0", "type": "OrderedCollectionPage"},
    "last": {"id": "https://example.org/activity/page-214", "type": "OrderedCollectionPage"}}
SPEC_COMPLETE_PAGE = {
    "@context": CONTEXT, "id": "https://example.org/activity/page-1",
    "type": "OrderedCollectionPage", "startIndex": 20,
    "partOf": {"id": "https://example.org/activity/all-changes", "type": "OrderedCollection"},
    "prev": {"id": "https://example.org/activity/page-0", "type": "OrderedCollectionPage"},
    "next": {"id": "https://example.org/activity/page-2", "type": "OrderedCollectionPage"},
    "orderedItems": [{"type": "Update", "object": {"id": "https://example.org/iiif/1/manifest",
                                                   "type": "Manifest"},
                      "endTime": "2018-03-10T10:00:00Z"}]}


def _epoch(stamp: str) -> float:
    return time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


@dataclass
class Row:
    item_id: str
    type: str
    end_time: float


def _same_shape(ours: dict, spec: dict, urls: dict[str, str]) -> None:
    """``ours`` equals ``spec`` once the spec's URLs are read as ours (``urls``)."""
    text = json.dumps(spec)
    for theirs, mine in urls.items():
        text = text.replace(f'"{theirs}"', f'"{mine}"')
    assert ours == json.loads(text)


def test_the_schema_accepts_the_spec_examples_and_refuses_broken_ones():
    for doc in (SPEC_PAGE, SPEC_COLLECTION, SPEC_COMPLETE_PAGE):
        jsonschema.validate(doc, SCHEMA)
    broken = [
        {k: v for k, v in SPEC_COLLECTION.items() if k != "last"},  # last is a MUST
        {**SPEC_PAGE, "orderedItems": []},
        {**SPEC_PAGE, "orderedItems": [{"type": "Update"}]},  # no object
        {**SPEC_PAGE, "orderedItems": [{**SPEC_PAGE["orderedItems"][0],
                                        "endTime": "2018-03-10 10:00"}]},
        {**SPEC_COLLECTION, "first": {"id": "https://example.org/p0", "type": "Page"}},
        {**SPEC_COLLECTION, "@context": "http://iiif.io/api/presentation/3/context.json"},
    ]
    for doc in broken:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, SCHEMA)


def test_golden_activities_and_collection():
    base = "https://example.org"
    rows = [Row("9", "Update", _epoch("2018-03-10T10:00:00Z")),
            Row("2", "Update", _epoch("2018-03-11T16:30:00Z"))]
    page = discovery.page(base, 1, 250, rows, size=100)
    jsonschema.validate(page, SCHEMA)
    assert page["orderedItems"] == SPEC_PAGE["orderedItems"]
    ours = {"https://example.org/activity/all-changes": base + "/iiif/discovery",
            **{f"https://example.org/activity/page-{n}": f"{base}/iiif/discovery/page/{n}"
               for n in range(215)}}
    _same_shape({k: v for k, v in page.items() if k != "startIndex"}, SPEC_PAGE, ours)
    assert page["startIndex"] == 100
    coll = discovery.collection(base, 21456, size=100)
    jsonschema.validate(coll, SCHEMA)
    _same_shape(coll, SPEC_COLLECTION, ours)
    assert list(coll)[0] == "@context"  # first, as section 3.4.1 asks
    # the first page has no prev, the last no next; no page past the last
    assert "prev" not in discovery.page(base, 0, 250, rows, size=100)
    assert "next" not in discovery.page(base, 2, 250, rows, size=100)
    assert discovery.page(base, 3, 250, rows, size=100) is None


def _item(item_id: str) -> Item:
    return Item(id=item_id, titles={"en": item_id},
                pages=[Page(item_id=item_id, order=1, label="1", text="x")])


@pytest.fixture()
def library(tmp_path) -> Settings:
    settings = Settings.load(tmp_path / "lib")
    store = Store(tmp_path / "lib")
    store.ensure()
    with Catalog(store.catalog_path) as cat:
        for item_id in ("a", "b", "c"):
            cat.put_item(_item(item_id), version_path=f"items/{item_id}@v1", source_hash="h",
                         fixity=[])
        cat.put_item(_item("b"), version_path="items/b@v2", source_hash="h2", fixity=[])
        cat.delete_item("a")
    return settings


def _get(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/ld+json"
    assert resp.mimetype_params["profile"] == CONTEXT
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    doc = resp.get_json(force=True)
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_the_catalogue_logs_publications_and_deletions(library):
    client = create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()
    coll = _get(client, "/iiif/discovery")
    assert coll["id"] == "http://localhost/iiif/discovery" and coll["totalItems"] == 5
    assert coll["first"]["id"] == coll["last"]["id"] == "http://localhost/iiif/discovery/page/0"
    page = _get(client, "/iiif/discovery/page/0")
    assert page["partOf"] == {"id": coll["id"], "type": "OrderedCollection"}
    assert "prev" not in page and "next" not in page and page["startIndex"] == 0
    seen = [(a["type"], a["object"]["id"].split("/")[-2]) for a in page["orderedItems"]]
    assert seen == [("Create", "a"), ("Create", "b"), ("Create", "c"), ("Update", "b"),
                    ("Delete", "a")]  # newest last
    assert all(a["object"]["type"] == "Manifest" for a in page["orderedItems"])
    times = [a["endTime"] for a in page["orderedItems"]]
    assert times == sorted(times)
    assert client.get("/iiif/discovery/page/1").status_code == 404
    assert client.get("/iiif/discovery/page/-1").status_code == 404


def test_paged_with_prev_and_next(library, monkeypatch):
    monkeypatch.setattr(discovery, "PAGE_SIZE", 2)
    client = create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()
    coll = _get(client, "/iiif/discovery")
    assert coll["last"]["id"].endswith("/iiif/discovery/page/2")
    pages = [_get(client, f"/iiif/discovery/page/{n}") for n in range(3)]
    assert [len(p["orderedItems"]) for p in pages] == [2, 2, 1]
    assert [p["startIndex"] for p in pages] == [0, 2, 4]
    assert pages[1]["prev"]["id"] == pages[0]["id"] and pages[1]["next"]["id"] == pages[2]["id"]
    assert pages[2]["orderedItems"][0]["type"] == "Delete"
    assert client.get("/iiif/discovery/page/3").status_code == 404


def test_a_library_older_than_the_log_is_backfilled_once(tmp_path):
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as cat:
        for item_id in ("x", "y"):
            cat.put_item(_item(item_id), version_path=f"items/{item_id}@v1", source_hash="h",
                         fixity=[])
    # as a library made before the log: no activities table, no mark of a backfill
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE activities")
    conn.execute("DELETE FROM meta WHERE key='activities_backfilled'")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")  # before the log
    conn.execute("UPDATE items SET updated = created + 60 WHERE id='y'")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        log = [(a.type, a.item_id) for a in cat.activities(0, 10)]
        assert log == [("Create", "x"), ("Create", "y"), ("Update", "y")]
        assert cat.activity_count() == 3
    with Catalog(path) as cat:  # opened again: nothing added
        assert cat.activity_count() == 3
        cat.put_item(_item("z"), version_path="items/z@v1", source_hash="h", fixity=[])
        assert [a.type for a in cat.activities(3, 10)] == ["Create"]


def test_an_empty_library_announces_its_top_collection(tmp_path):
    # The specification: a page lists "at least one item", and the collection has a last page.
    settings = Settings.load(tmp_path / "empty")
    client = create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()
    coll = _get(client, "/iiif/discovery")
    assert coll["totalItems"] == 1 and coll["last"]["id"].endswith("/iiif/discovery/page/0")
    page = _get(client, "/iiif/discovery/page/0")  # validated: orderedItems has minItems 1
    (created,) = page["orderedItems"]
    assert created["type"] == "Create"
    assert created["object"] == {"id": "http://localhost/iiif/collection/top",
                                 "type": "Collection"}
    assert client.get("/iiif/collection/top").status_code == 200
    assert client.get("/iiif/discovery/page/1").status_code == 404


def test_an_old_library_opened_by_several_processes_at_once_is_backfilled_once(tmp_path):
    import threading

    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as cat:
        for item_id in ("p", "q", "r"):
            cat.put_item(_item(item_id), version_path=f"items/{item_id}@v1", source_hash="h",
                         fixity=[])
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM activities")
    conn.execute("DELETE FROM meta WHERE key='activities_backfilled'")
    conn.commit()
    conn.close()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_it() -> None:
        try:
            start.wait()
            Catalog(path).close()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Catalog(path) as cat:
        assert [(a.type, a.item_id) for a in cat.activities(0, 10)] == [
            ("Create", "p"), ("Create", "q"), ("Create", "r")]
