"""The store contract, asked of both backends alike: the library folder and S3 (SeaweedFS).

put (publish) / get / stream / list / delete-version / garbage collection / fixity / immutability.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cluster_fixtures import s3_endpoint, s3_url  # noqa: F401  (fixtures)
from library.errors import LibraryError, PathEscapeError
from library.settings import Settings
from library.storage import object_key, open_objects
from library.store import Store


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.cluster)])
def store(request, tmp_path) -> Store:
    overrides = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        overrides = {"store_url": request.getfixturevalue("s3_url"),
                     "s3_endpoint_url": endpoint.url}
    settings = Settings.load(tmp_path / "lib", **overrides)
    store = Store(settings.library, objects=open_objects(settings))
    store.ensure()
    store.objects.ensure()
    assert store.is_local == (request.param == "local")
    return store


FILES = {"source/tei.xml": b"<TEI/>", "source/images/0001.tif": b"\x00master" * 1000,
         "derived/0001/tiles/1/0_0.jpg": b"\xff\xd8tile", "derived/0001/pyramid.json": b"{}"}


def staged_version(store: Store, item: str = "b1", files: dict = FILES) -> Path:
    staged = store.new_staging(item)
    for rel, data in files.items():
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_bytes(data)
    return staged


def test_publish_then_read_stream_size_and_list(store):
    staged = staged_version(store)
    version = store.publish(staged)
    assert version == f"items/{staged.name}"
    assert not staged.exists()  # moved or uploaded: staging holds nothing of it
    assert store.has_version(version)
    assert store.objects.versions() == [staged.name]
    for rel, data in FILES.items():
        key = object_key(version, rel)
        assert store.objects.read(key) == data
        assert b"".join(store.objects.chunks(key, size=7)) == data
        assert store.objects.size(key) == len(data)
        assert store.objects.digest(key) == hashlib.sha256(data).hexdigest()
    listing = store.objects.listing(version)
    assert listing == {object_key(version, r): len(d) for r, d in FILES.items()}


def test_fetch_writes_a_whole_local_copy(store, tmp_path):
    version = store.publish(staged_version(store))
    dest = tmp_path / "out" / "0001.tif"
    store.objects.fetch(object_key(version, "source/images/0001.tif"), dest)
    assert dest.read_bytes() == FILES["source/images/0001.tif"]
    assert [p.name for p in dest.parent.iterdir()] == ["0001.tif"]  # no part file left


def test_a_missing_object_is_file_not_found(store):
    version = store.publish(staged_version(store))
    key = object_key(version, "source/nothing.tif")
    with pytest.raises(FileNotFoundError):
        store.objects.read(key)
    with pytest.raises(FileNotFoundError):
        b"".join(store.objects.chunks(key))
    assert store.objects.size(key) is None
    assert not store.has_version("items/b1@000000000000")


def test_versions_are_immutable(store):
    staged = staged_version(store)
    name = staged.name
    version = store.publish(staged)
    again = store.staging_dir / name
    again.mkdir(parents=True)
    (again / "source").mkdir()
    (again / "source" / "tei.xml").write_bytes(b"<other/>")
    with pytest.raises(LibraryError, match="already in"):
        store.publish(again)
    assert store.objects.read(object_key(version, "source/tei.xml")) == b"<TEI/>"


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/passwd", "", "a//b"])
def test_keys_never_leave_their_version(rel):
    with pytest.raises(PathEscapeError):
        object_key("items/b1@abc", rel)


def test_delete_version_removes_every_object(store):
    version = store.publish(staged_version(store))
    store.delete_version(version)
    assert not store.has_version(version)
    assert store.objects.versions() == []
    assert store.objects.listing(version) == {}
    store.delete_version(version)  # already gone: fine


def test_garbage_collection_keeps_only_live_versions(store):
    dead = store.publish(staged_version(store, "b1"))  # replaced by the next one
    live = store.publish(staged_version(store, "b1"))
    leftover = staged_version(store, "b3")  # an interrupted ingest's staging
    removed = store.collect_garbage([live])
    assert store.objects.versions() == [Path(live).name]
    assert not store.has_version(dead)
    assert not leftover.exists()
    assert any(Path(dead).name in r for r in removed)
    assert store.objects.read(object_key(live, "source/tei.xml")) == b"<TEI/>"


def test_gc_leaves_an_object_store_version_of_an_unknown_item(store):
    """A store may be shared by mistake: what this catalogue never listed is not its to remove
    (the library folder is this library's alone, so there it goes)."""
    live = store.publish(staged_version(store, "b1"))
    stranger = store.publish(staged_version(store, "b2"))
    store.collect_garbage([live])
    assert store.has_version(live)
    assert store.has_version(stranger) == (not store.is_local)
    store.collect_garbage([])  # a new or lost catalogue
    assert store.has_version(live) == (not store.is_local)


def test_verify_finds_damaged_and_lost_objects(store, sample_batch):
    """One sample item ingested into the store, then checked against its recorded SHA-256."""
    from catalog.db import Catalog
    from catalog.fixity import verify
    from ingest.pipeline import ingest_batch

    settings = Settings.load(store.root, store_url=store.objects.describe()
                             if not store.is_local else "",
                             s3_endpoint_url=getattr(store.objects, "endpoint_url", ""))
    assert ingest_batch(sample_batch / "jangar-ms-1", settings, workers=1).ok
    with Catalog(store.catalog_path, readonly=True) as cat:
        checked, problems = verify(store, cat)
        assert checked > 5 and problems == []
        version = cat.version_path("jangar-ms-1")
        master, tile = (next(r for _, r in cat.fixity() if r.kind == kind)
                        for kind in ("master", "derivative"))
        spoilt = store.root / "spoilt"
        spoilt.write_bytes(b"x" * master.size)  # same size, other bytes
        store.objects.put_file(object_key(version, master.path), spoilt)
        spoilt.write_bytes(b"short")
        store.objects.put_file(object_key(version, tile.path), spoilt)
        _, problems = verify(store, cat)
        assert {(p.path, p.problem) for p in problems} == {(master.path, "checksum"),
                                                           (tile.path, "size")}
        _, quick = verify(store, cat, checksums=False)
        assert [(p.path, p.problem) for p in quick] == [(tile.path, "size")]
