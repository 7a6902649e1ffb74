"""Fixity and export: every master and derivative has a SHA-256 in the catalogue; `sudur verify`
re-reads them and fails on any change; `sudur export ITEM --bag OUT` writes a valid bag that
ingests back into the same item."""
from __future__ import annotations

import json
import shutil

import pytest

from catalog.db import Catalog
from crashlib import build_batch, fast_tmp, library_state, orphans
from crashlib import sudur_here as sudur  # in this process: these libraries are small
from library.bagit import verify_bag
from library.store import Store


@pytest.fixture()
def lib(tmp_path_factory):
    root = fast_tmp(tmp_path_factory, "fixity")
    batch = build_batch(root / "batch", 2, pages=2)
    lib = root / "lib"
    assert sudur(lib, "ingest", str(batch)).returncode == 0
    yield lib
    shutil.rmtree(root, ignore_errors=True)


def records(lib):
    with Catalog(Store(lib).catalog_path, readonly=True) as cat:
        return {i: (cat.version_path(i), [f for _, f in cat.fixity(i)]) for i in cat.item_ids()}


def test_every_master_and_derivative_has_a_checksum(lib):
    for item_id, (version, recs) in records(lib).items():
        kinds = {}
        for r in recs:
            kinds.setdefault(r.kind, []).append(r.path)
            assert len(r.sha256) == 64
        assert len(kinds["master"]) == 2 and len(kinds["tei"]) == 1
        assert any(p.endswith("pyramid.json") for p in kinds["derivative"])
        assert any("/tiles/" in p for p in kinds["derivative"])
    assert orphans(lib) == []  # and no file in an item version lacks one
    res = sudur(lib, "verify")
    assert res.returncode == 0
    n = sum(len(recs) for _, recs in records(lib).values())
    assert f"{n} files checked, 0 problems" in res.stdout


@pytest.mark.parametrize("damage, problem", [
    ("flip-tile", "checksum"), ("truncate-master", "size"), ("delete-master", "missing"),
    ("edit-tei", "checksum")])
def test_verify_reports_each_kind_of_damage(lib, damage, problem):
    version, recs = records(lib)["crash-01"]
    kind = {"flip-tile": "derivative", "truncate-master": "master",
            "delete-master": "master", "edit-tei": "tei"}[damage]
    rec = next(r for r in recs if r.kind == kind and (kind != "derivative" or "/tiles/" in r.path))
    path = lib / version / rec.path
    data = path.read_bytes()
    if damage == "flip-tile":
        path.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
    elif damage == "truncate-master":
        path.write_bytes(data[:-10])
    elif damage == "delete-master":
        path.unlink()
    else:
        path.write_bytes(data.replace(b"common", b"cowmon"))
    res = sudur(lib, "verify")
    assert res.returncode == 1
    # the path from the library folder, so the archivist finds the file
    assert f"crash-01: {version}/{rec.path}: {problem}" in res.stderr
    assert "1 problems" in res.stdout


def test_export_writes_a_valid_bag_that_ingests_back(lib, tmp_path):
    out = tmp_path / "bag"
    res = sudur(lib, "export", "crash-00", "--bag", str(out))
    assert res.returncode == 0, res.stderr
    assert verify_bag(out) == out / "data"
    names = sorted(p.relative_to(out / "data").as_posix() for p in (out / "data").rglob("*")
                   if p.is_file())
    assert names == ["crash-00/crash-00.xml", "crash-00/images/0001.png",
                     "crash-00/images/0002.png", "crash-00/record.json"]
    record = json.loads((out / "data" / "crash-00" / "record.json").read_text())
    assert record["id"] == "crash-00" and len(record["pages"]) == 2
    info = (out / "bag-info.txt").read_text()
    assert "External-Identifier: crash-00" in info and "Payload-Oxum:" in info
    # the bag is a batch: ingesting it gives back the same item, byte for byte
    lib2 = tmp_path / "lib2"
    again = sudur(lib2, "ingest", str(out))
    assert again.returncode == 0, again.stderr
    a = library_state(lib)["items"]["crash-00"]
    b = library_state(lib2)["items"]["crash-00"]
    assert a["source_hash"] == b["source_hash"]
    assert a["fixity"] == b["fixity"] and a["pages"] == b["pages"]


def test_export_refuses_to_overwrite_and_to_export_damage(lib, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "precious.txt").write_text("keep me")
    res = sudur(lib, "export", "crash-00", "--bag", str(taken))
    assert res.returncode == 2 and "already exists" in res.stderr
    assert (taken / "precious.txt").read_text() == "keep me"
    version, recs = records(lib)["crash-00"]
    master = next(r for r in recs if r.kind == "master")
    (lib / version / master.path).write_bytes(b"damaged")
    res = sudur(lib, "export", "crash-00", "--bag", str(tmp_path / "new"))
    assert res.returncode == 2 and "does not match its checksum" in res.stderr
    assert not (tmp_path / "new").exists()
    res = sudur(lib, "export", "no-such-item", "--bag", str(tmp_path / "x"))
    assert res.returncode == 2 and "no item" in res.stderr
