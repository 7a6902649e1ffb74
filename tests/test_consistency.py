"""`sudur verify` checks that the catalogue, the files and the index agree; `--repair` rebuilds
what can be derived and never touches a master.

Each test breaks a built library one way (the index deleted, a stray version and a staging
leftover, one item's pages dropped from the index, a link removed, derivatives deleted, a master
deleted), then checks the report (the item, the path, exit 1), the repair (the library is again
what the ingest made: items, pages, checksums, search hits; no orphan) and that every source
file of the live versions is the same file, byte for byte, before and after the repair.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.db import Catalog
from crashlib import SUDUR, build_batch, clean_env, fast_tmp, library_state, orphans
from crashlib import sudur as sudur_process
# in this process: starting the installed program costs more than a verify of these small
# libraries (it runs as a program of its own for a relative --library, and for the lock held
# by this process)
from crashlib import sudur_here as sudur

QUERIES = ("common", "mark01", "page2")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = fast_tmp(tmp_path_factory, "consistency")
    batch = build_batch(root / "batch", 3, pages=2)
    lib = root / "pristine"
    res = sudur(lib, "ingest", str(batch))
    assert res.returncode == 0, res.stderr
    yield root, batch, lib, library_state(lib, QUERIES)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def lib(built, request):
    root, _batch, pristine, _state = built
    copy = root / f"lib-{request.node.name[-40:].replace('[', '-').replace(']', '')}"
    shutil.copytree(pristine, copy, symlinks=True)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)


def versions(lib: Path) -> dict[str, str]:
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        return {i: cat.version_path(i) for i in cat.item_ids()}


def sources(lib: Path) -> dict[str, tuple]:
    """Every file of the live versions' source folders: its hash, inode and mtime (a file
    rewritten with the same bytes is not the same file)."""
    out = {}
    for version in versions(lib).values():
        for p in sorted((lib / version / "source").rglob("*")):
            if p.is_file():
                st = p.stat()
                out[p.relative_to(lib).as_posix()] = (
                    hashlib.sha256(p.read_bytes()).hexdigest(), st.st_ino, st.st_mtime_ns)
    return out


def drop_pages_from_index(lib: Path, item_id: str) -> None:
    from whoosh import index as windex
    from whoosh.query import And, Term

    ix = windex.open_dir(str(lib / "index"))
    w = ix.writer()
    w.delete_by_query(And([Term("item", item_id), Term("kind", "page")]))
    w.commit()
    ix.close()


def break_library(lib: Path, how: str) -> list[str]:
    """Break ``lib`` one way; return what the report must say (substrings of stderr)."""
    v1 = versions(lib)["crash-01"]
    if how == "no-index":
        shutil.rmtree((lib / "index").resolve())
        (lib / "index").unlink()
        return ["index: the search index is missing"]
    if how == "stray-version":
        shutil.copytree(lib / v1, lib / "items" / "crash-01@0123456789ab")
        (lib / "staging" / "crash-02@ba9876543210" / "source").mkdir(parents=True)
        return ["crash-01: items/crash-01@0123456789ab: an item version the catalogue does not "
                "reference", "crash-02: staging/crash-02@ba9876543210: left in staging"]
    if how == "dropped-pages":
        drop_pages_from_index(lib, "crash-01")
        return ["crash-01: index: the index holds 0 of its 2 pages"]
    if how == "no-link":
        (lib / "items" / "crash-01").unlink()
        return ["crash-01: items/crash-01: the link to the item's version is missing"]
    if how == "wrong-link":
        (lib / "items" / "crash-01").unlink()
        os.symlink(Path(versions(lib)["crash-02"]).name, lib / "items" / "crash-01")
        return ["crash-01: items/crash-01: the link points at crash-02@"]
    if how == "no-derivatives":
        tiles = sorted((lib / v1 / "derived").rglob("*.jpg"))
        for p in tiles[:3]:
            p.unlink()
        return [f"crash-01: {p.relative_to(lib).as_posix()}: missing" for p in tiles[:3]]
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["no-index", "stray-version", "dropped-pages", "no-link",
                                 "wrong-link", "no-derivatives"])
def test_verify_reports_each_disagreement_and_repair_restores_the_library(built, lib, how):
    _root, _batch, _pristine, state = built
    assert sudur(lib, "verify", "--quick").returncode == 0
    expected = break_library(lib, how)
    before = sources(lib)
    for args in (["verify"], ["verify", "--quick"]):
        res = sudur(lib, *args)
        assert res.returncode == 1, res.stdout + res.stderr
        for text in expected:
            assert text in res.stderr, (text, res.stderr)
        assert "→ " in res.stderr and "Traceback" not in res.stderr
        assert "`sudur verify --repair` fixes what can be derived" in res.stderr
    fixed = sudur(lib, "verify", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "✓ " in fixed.stdout and "0 problems" in fixed.stdout
    assert sources(lib) == before  # no source file deleted, rewritten or touched
    assert library_state(lib, QUERIES) == state
    assert orphans(lib) == []
    again = sudur(lib, "verify")
    assert again.returncode == 0 and "0 problems" in again.stdout, again.stderr
    assert "✓" not in sudur(lib, "verify", "--repair").stdout  # nothing left to do


def test_a_deleted_master_is_reported_never_made_up(built, lib):
    _root, batch, _pristine, state = built
    version = versions(lib)["crash-01"]
    master = lib / version / "source" / "images" / "0002.png"
    master.unlink()
    before = sources(lib)
    res = sudur(lib, "verify", "--quick")
    assert res.returncode == 1
    assert f"crash-01: {version}/source/images/0002.png: missing (master" in res.stderr
    assert "restore it from a backup" in res.stderr
    fixed = sudur(lib, "verify", "--repair")
    assert fixed.returncode == 1  # what cannot be derived is still missing
    assert "marked crash-01 for re-ingest" in fixed.stdout
    assert f"{version}/source/images/0002.png: missing" in fixed.stderr
    assert not master.exists() and sources(lib) == before
    # re-ingesting the original batch now replaces the item, and the library is whole again
    res = sudur(lib, "ingest", str(batch))
    assert res.returncode == 0 and "1 items ingested" in res.stdout, res.stdout + res.stderr
    assert sudur(lib, "verify").returncode == 0
    assert library_state(lib, QUERIES) == state


def test_a_folder_in_place_of_a_link_is_reported_not_replaced(lib):
    link = lib / "items" / "crash-00"
    link.unlink()
    link.mkdir()
    (link / "notes.txt").write_text("an archivist's notes")
    res = sudur(lib, "verify", "--repair")
    assert res.returncode == 1, res.stderr
    assert "crash-00: items/crash-00: a folder or file where the link to the item's version " \
        "belongs" in res.stderr and "Traceback" not in res.stderr
    assert (link / "notes.txt").read_text() == "an archivist's notes"


def test_a_missing_version_folder_is_reported(lib):
    version = versions(lib)["crash-02"]
    shutil.rmtree(lib / version)
    res = sudur(lib, "verify")
    assert res.returncode == 1
    assert f"crash-02: {version}: the item's version folder is missing" in res.stderr
    assert "restore it from a backup" in res.stderr
    assert "source/" not in res.stderr  # one finding for the folder, not one per file


def test_verify_with_a_relative_library_and_on_no_library(built, lib, tmp_path):
    drop_pages_from_index(lib, "crash-00")
    (lib / "items" / "crash-02").unlink()

    def run(*args):
        return subprocess.run([SUDUR, "--library", lib.name, *args], cwd=lib.parent,
                              capture_output=True, text=True, timeout=120, env=clean_env())
    res = run("verify", "--quick")
    assert res.returncode == 1 and "crash-00: index: the index holds 0 of its 2 pages" \
        in res.stderr and "crash-02: items/crash-02: the link" in res.stderr
    fixed = run("verify", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert run("verify").returncode == 0
    assert library_state(lib, QUERIES) == built[3]
    none = sudur(tmp_path / "nothing-here", "verify")
    assert none.returncode == 2 and "no library at" in none.stderr
    assert not (tmp_path / "nothing-here").exists()  # verify creates no library


def test_an_empty_library_is_consistent(tmp_path):
    batch = tmp_path / "batch"
    (batch / "bad" / "images").mkdir(parents=True)
    (batch / "bad" / "images" / "0001.png").write_bytes(b"not an image")
    lib = tmp_path / "lib"
    assert sudur(lib, "ingest", str(batch)).returncode == 1  # its only item failed
    for args in (["verify"], ["verify", "--repair"]):
        res = sudur(lib, *args)
        assert res.returncode == 0, res.stderr
        assert "0 files checked, 0 problems" in res.stdout


def test_staging_left_before_the_first_item_is_published_is_repaired(tmp_path):
    # an ingest killed before any item was published leaves an empty catalogue and staging
    # folders; --repair reported them and removed nothing (exit 1 for ever)
    lib = tmp_path / "lib"
    batch = tmp_path / "batch"
    batch.mkdir()
    assert sudur(lib, "ingest", str(batch)).returncode == 0  # an empty library
    (lib / "staging" / "crash-02@ba9876543210" / "source").mkdir(parents=True)
    assert "left in staging" in sudur(lib, "verify").stderr
    res = sudur(lib, "verify", "--repair")
    assert res.returncode == 0, res.stderr
    assert "removed staging/crash-02@ba9876543210" in res.stdout
    assert list((lib / "staging").iterdir()) == []


def test_an_empty_catalogue_beside_versions_removes_nothing(lib):
    before = sorted(p.relative_to(lib).as_posix() for p in lib.rglob("*"))
    with Catalog(lib / "catalog.sqlite") as cat:
        for item_id in cat.item_ids():
            cat.delete_item(item_id)
    res = sudur(lib, "verify", "--repair")
    assert res.returncode == 1
    assert "the catalogue lists no items, but item versions are on disk" in res.stderr
    assert "restore catalog.sqlite from a backup" in res.stderr
    after = sorted(p.relative_to(lib).as_posix() for p in lib.rglob("*"))
    assert [p for p in before if p.startswith("items/")] == \
        [p for p in after if p.startswith("items/")]


def test_verify_waits_for_no_ingest_and_names_the_one_running(lib):
    from library.store import Store

    with Store(lib).ingest_lock():
        res = sudur_process(lib, "verify", "--quick")
    assert res.returncode == 2
    assert f"being written by another process: process {os.getpid()} (started" in res.stderr
    assert "Traceback" not in res.stderr
    assert sudur_process(lib, "verify", "--quick").returncode == 0


def test_a_damaged_derivative_is_cut_again_from_its_master(built, lib):
    version = versions(lib)["crash-02"]
    tile = sorted((lib / version / "derived").rglob("*.jpg"))[0]
    good = tile.read_bytes()
    tile.write_bytes(good[:-3] + bytes([good[-3] ^ 1]) + good[-2:])
    before = sources(lib)
    assert sudur(lib, "verify", "--quick").returncode == 0  # same size: only checksums see it
    res = sudur(lib, "verify")
    assert res.returncode == 1
    assert f"crash-02: {tile.relative_to(lib).as_posix()}: checksum" in res.stderr
    assert "re-cut it from its master" in res.stderr
    fixed = sudur(lib, "verify", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert f"re-cut {tile.relative_to(lib).as_posix()}" in fixed.stdout
    assert tile.read_bytes() == good and sources(lib) == before
    assert library_state(lib, QUERIES) == built[3]
