"""The on-disk store: path containment, atomic versions, garbage collection, the ingest lock."""
from __future__ import annotations

import os

import pytest

from library.errors import LibraryLockedError, PathEscapeError
from library.store import (Store, derived_dir, manifest_cache_path, page_derived_dir,
                           resolve_inside, source_dir)


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/passwd", "file:///etc/passwd",
                                 "http://example.org/a.png", "", "a\x00b", "C:\\x"])
def test_resolve_inside_refuses_escapes(tmp_path, rel):
    with pytest.raises(PathEscapeError):
        resolve_inside(tmp_path, rel)


def test_resolve_inside_refuses_symlink_out(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    base = tmp_path / "item"
    base.mkdir()
    (base / "link.png").symlink_to(outside)
    with pytest.raises(PathEscapeError):
        resolve_inside(base, "link.png")


def test_resolve_inside_accepts_nested_and_unicode(tmp_path):
    (tmp_path / "images").mkdir()
    p = resolve_inside(tmp_path, "images/ᠨᠢᠭᠡ 1.png")
    assert p == (tmp_path / "images" / "ᠨᠢᠭᠡ 1.png").resolve()


def test_the_layout_of_an_item_version(tmp_path):
    store = Store(tmp_path)
    version = store.version_dir("items/b1@abc")
    assert source_dir(version) == version / "source"
    assert derived_dir(version) == version / "derived"
    assert page_derived_dir(version, 7) == version / "derived" / "0007"
    assert page_derived_dir(version, 12345) == version / "derived" / "12345"
    assert manifest_cache_path(version, "m.json") == version / "derived" / "m.json"
    assert store.iiif_cache_dir == tmp_path / "cache" / "iiif"
    assert store.cached_pyramid_dir("items/b1@abc", 3) == \
        tmp_path / "cache" / "pyramids" / "b1@abc" / "0003"


def test_publish_and_garbage_collection(tmp_path):
    store = Store(tmp_path / "lib")
    staged = store.new_staging("a")
    (staged / "source").mkdir()
    (staged / "source" / "a.xml").write_text("<TEI/>")
    version = store.publish(staged)
    assert (store.root / version / "source" / "a.xml").read_text() == "<TEI/>"
    store.point_symlink("a", version)
    assert os.readlink(store.items_dir / "a") == version.split("/")[-1]
    leftover = store.new_staging("b")
    orphan = store.publish(store.new_staging("c"))
    removed = store.collect_garbage([version])
    assert str(leftover) in removed
    assert not (store.root / orphan).exists()
    assert (store.root / version).exists()


def test_second_writer_is_refused(tmp_path):
    store = Store(tmp_path / "lib")
    with store.ingest_lock():
        with pytest.raises(LibraryLockedError) as exc:
            with Store(tmp_path / "lib").ingest_lock():
                pass
    assert "another" in exc.value.hint


def test_cache_of_gone_versions_is_collected(tmp_path):
    store = Store(tmp_path / "lib")
    live = store.publish(store.new_staging("a"))
    for sub in ("iiif", "pyramids"):
        (store.cache_dir / sub / "a@old").mkdir(parents=True)
        (store.cache_dir / sub / live.split("/")[-1]).mkdir(parents=True)
    store.collect_garbage([live])
    for sub in ("iiif", "pyramids"):
        assert [p.name for p in (store.cache_dir / sub).iterdir()] == [live.split("/")[-1]]


def test_cache_collection_survives_files_vanishing_meanwhile(tmp_path, monkeypatch):
    """A server pruning its image cache may remove a file between rmtree's listing and its
    unlink: the collection goes on, and still removes the folder."""
    store = Store(tmp_path / "lib")
    live = store.publish(store.new_staging("a"))
    old = store.cache_dir / "iiif" / "a@old" / "ab"
    old.mkdir(parents=True)
    for i in range(3):
        (old / f"{i}.jpg").write_bytes(b"x")
    real_unlink = os.unlink

    def removed_by_someone_else_first(path, *args, **kwargs):
        real_unlink(path, *args, **kwargs)
        real_unlink(path, *args, **kwargs)  # FileNotFoundError, as in the race

    monkeypatch.setattr(os, "unlink", removed_by_someone_else_first)
    store.collect_garbage([live])
    monkeypatch.undo()
    assert not (store.cache_dir / "iiif" / "a@old").exists()


def test_reserved_item_ids():
    from library.models import is_item_id

    assert is_item_id("jangar-ms-1")
    assert not is_item_id("3") and not is_item_id("collection") and not is_item_id("A")
