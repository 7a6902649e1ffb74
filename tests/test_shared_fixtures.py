"""The guard over the session's shared sample (tests/conftest.py): a change to a file or to the
catalogue's content is caught, even while it is still in SQLite's write-ahead log; the viewer's
caches are not a change."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from conftest import _fingerprint, _unchanged


@pytest.fixture()
def library(tmp_path) -> Path:
    lib = tmp_path / "library"
    (lib / "items" / "a@1" / "derived").mkdir(parents=True)
    (lib / "items" / "a@1" / "a.xml").write_text("<TEI/>")
    (lib / "items" / "a").symlink_to("a@1")
    with closing(sqlite3.connect(lib / "catalog.sqlite")) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE items (id TEXT)")
        conn.execute("INSERT INTO items VALUES ('a')")
        conn.commit()
    return lib


def test_a_changed_file_or_link_is_caught(library):
    built = _fingerprint(library)
    (library / "items" / "a@1" / "a.xml").write_text("<TEI>changed</TEI>")
    with pytest.raises(AssertionError, match=r"a@1/a\.xml"):
        _unchanged(library, built)
    (library / "items" / "a@1" / "a.xml").write_text("<TEI/>")
    _unchanged(library, built)
    (library / "items" / "a").unlink()
    (library / "items" / "a").symlink_to("b@2")
    with pytest.raises(AssertionError, match="items/a"):
        _unchanged(library, built)


def test_a_catalogue_change_still_in_the_log_is_caught(library):
    built = _fingerprint(library)
    conn = sqlite3.connect(library / "catalog.sqlite")
    try:
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the row stays in the log
        conn.execute("INSERT INTO items VALUES ('b')")
        conn.commit()
        assert (library / "catalog.sqlite-wal").stat().st_size > 0
        with pytest.raises(AssertionError, match="catalog.sqlite"):
            _unchanged(library, built)
    finally:
        conn.close()


def test_the_viewer_caches_are_not_a_change(library):
    built = _fingerprint(library)
    (library / "cache" / "iiif").mkdir(parents=True)
    (library / "cache" / "iiif" / "tile.jpg").write_bytes(b"\xff\xd8")
    (library / "items" / "a@1" / "derived" / "manifest.en.json").write_text("{}")
    _unchanged(library, built)
