"""The ingest pipeline: bad items fail alone and leave the library untouched; reruns resume."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from catalog.db import Catalog
from ingest.pipeline import check_batch, ingest_batch
from library.settings import Settings
from library.store import Store

TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title xml:lang="en">{title}</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><div><p>
    <pb n="1a" facs="{facs}"/>ᠵᠠᠩᠭᠠᠷ ᠬᠠᠭᠠᠨ<lb/>second line
    <pb n="1b"/>བཀའ་འགྱུར་
  </p></div></body></text>
</TEI>
"""


def _png(path: Path, size=(300, 400), color=(240, 230, 200)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def make_item(batch: Path, item_id: str, *, tei: str | None = None, facs="images/0001.png",
              title="Good") -> Path:
    folder = batch / item_id
    _png(folder / "images" / "0001.png")
    _png(folder / "images" / "0002.png")
    (folder / f"{item_id}.xml").write_text(tei if tei is not None else
                                           TEI.format(title=title, facs=facs), encoding="utf-8")
    return folder


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = "->" + os.readlink(p)
        elif p.is_file() and p.name != ".ingest.lock" and not p.name.startswith("catalog.sqlite"):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def catalog_dump(settings: Settings) -> list:
    with Catalog(Store(settings.library).catalog_path) as cat:
        return [(i, cat.item_row(i).source_hash, cat.item_row(i).version_path)
                for i in cat.item_ids()]


BAD_CASES = {
    "malformed": (TEI.format(title="x", facs="images/0001.png").replace("</p>", "", 1),
                  "line"),
    "not-tei": ('<?xml version="1.0"?>\n<html><body><p>hi</p></body></html>', "TEI"),
    "missing-image": (TEI.format(title="x", facs="images/9999.png"), "9999.png"),
    "escape": (TEI.format(title="x", facs="../../../etc/passwd"), "outside"),
    "absolute": (TEI.format(title="x", facs="/etc/passwd"), "relative"),
    "url": (TEI.format(title="x", facs="file:///etc/passwd"), "relative"),
    "xxe-file": ('<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                 + TEI.split("?>", 1)[1].replace("test</p>", "&x;</p>", 1), "entit"),
    "xxe-http": ('<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
                 + TEI.split("?>", 1)[1].replace("test</p>", "&x;</p>", 1), "entit"),
    "bomb": ('<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa">'
             + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                       for i in range(8))
             + ']>' + TEI.split("?>", 1)[1].replace("test</p>", "&i;</p>", 1), "entit"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_item_fails_alone_and_names_the_file(tmp_path, case):
    tei, expected = BAD_CASES[case]
    batch = tmp_path / "batch"
    make_item(batch, "good-1")
    make_item(batch, f"bad-{case}", tei=tei)
    settings = Settings.load(tmp_path / "lib")
    summary = ingest_batch(batch, settings)
    assert summary.ingested == ["good-1"]
    errors = summary.failed[f"bad-{case}"]
    text = " ".join(str(e) for e in errors)
    assert f"bad-{case}" in text  # names the file
    assert expected.lower() in text.lower()
    store = Store(settings.library)
    assert not (store.items_dir / f"bad-{case}").exists()
    assert list(store.staging_dir.iterdir()) == []


def test_bad_image_is_refused_with_its_name(tmp_path):
    batch = tmp_path / "batch"
    folder = make_item(batch, "trunc")
    data = (folder / "images" / "0001.png").read_bytes()
    (folder / "images" / "0001.png").write_bytes(data[: len(data) // 2])
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert "0001.png" in " ".join(str(e) for e in summary.failed["trunc"])


def test_symlink_out_of_the_batch_is_refused(tmp_path):
    batch = tmp_path / "batch"
    folder = make_item(batch, "link")
    secret = tmp_path / "secret.png"
    _png(secret)
    (folder / "images" / "0001.png").unlink()
    (folder / "images" / "0001.png").symlink_to(secret)
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert "link" in summary.failed


def test_library_is_unchanged_by_a_failing_rerun(tmp_path):
    batch = tmp_path / "batch"
    make_item(batch, "good-1")
    settings = Settings.load(tmp_path / "lib")
    assert ingest_batch(batch, settings).ingested == ["good-1"]
    before_files, before_cat = tree_digest(settings.library), catalog_dump(settings)
    # the same item now broken: the old version must stay as it was
    (batch / "good-1" / "good-1.xml").write_text("<TEI", encoding="utf-8")
    summary = ingest_batch(batch, settings)
    assert "good-1" in summary.failed
    assert tree_digest(settings.library) == before_files
    assert catalog_dump(settings) == before_cat


def test_rerun_skips_unchanged_and_replaces_changed(tmp_path):
    batch = tmp_path / "batch"
    make_item(batch, "a-1")
    make_item(batch, "b-1")
    settings = Settings.load(tmp_path / "lib")
    first = ingest_batch(batch, settings, workers=2)
    assert sorted(first.ingested) == ["a-1", "b-1"] and first.pages == 4
    second = ingest_batch(batch, settings)
    assert sorted(second.skipped) == ["a-1", "b-1"] and not second.ingested
    old_version = dict((i, v) for i, _, v in catalog_dump(settings))["a-1"]
    (batch / "a-1" / "a-1.xml").write_text(TEI.format(title="Changed", facs="images/0001.png"),
                                          encoding="utf-8")
    third = ingest_batch(batch, settings)
    assert third.ingested == ["a-1"] and third.skipped == ["b-1"]
    with Catalog(Store(settings.library).catalog_path) as cat:
        assert cat.get_item("a-1").titles["en"] == "Changed"
        assert cat.version_path("a-1") != old_version
    assert not (settings.library / old_version).exists()


def test_crash_leftovers_are_collected(tmp_path):
    batch = tmp_path / "batch"
    make_item(batch, "a-1")
    settings = Settings.load(tmp_path / "lib")
    ingest_batch(batch, settings)
    store = Store(settings.library)
    # what a SIGKILL between staging and commit leaves behind
    left = store.new_staging("x-1")
    (left / "junk").write_text("half")
    orphan = store.publish(store.new_staging("y-1"))
    ingest_batch(batch, settings)
    assert not left.exists() and not (store.root / orphan).exists()


def test_check_writes_nothing(tmp_path):
    batch = tmp_path / "batch"
    make_item(batch, "a-1")
    make_item(batch, "bad", tei="<TEI")
    lib = tmp_path / "lib"
    plans = check_batch(batch, Settings.load(lib))
    assert {p.item_id: bool(p.errors) for p in plans} == {"a-1": False, "bad": True}
    assert not lib.exists()


def test_images_only_folder_gets_minimal_record(tmp_path):
    batch = tmp_path / "batch"
    _png(batch / "scans-1" / "images" / "0001.png")
    _png(batch / "scans-1" / "images" / "0002.png")
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert summary.ingested == ["scans-1"] and summary.pages == 2
    assert any(d.code == "no-tei" for d in summary.warnings["scans-1"])


def test_text_only_tei(tmp_path):
    batch = tmp_path / "batch"
    folder = batch / "text-1"
    folder.mkdir(parents=True)
    (folder / "text-1.xml").write_text(TEI.format(title="T", facs="").replace(' facs=""', ""),
                                       encoding="utf-8")
    settings = Settings.load(tmp_path / "lib")
    summary = ingest_batch(batch, settings)
    assert summary.ingested == ["text-1"]
    with Catalog(Store(settings.library).catalog_path) as cat:
        pages = cat.pages("text-1")
    assert [p.label for p in pages] == ["1a", "1b"] and all(p.image is None for p in pages)
    assert "second line" in pages[0].text


def test_collections_json_gives_items_their_collections(tmp_path):
    import json

    from catalog.search import SearchRequest, open_searcher, search

    batch = tmp_path / "batch"
    make_item(batch, "a-1")
    make_item(batch, "b-1")
    (batch / "collections.json").write_text(json.dumps(
        [{"id": "epics", "label": {"en": "Epics"}, "items": ["a-1"]}]), encoding="utf-8")
    settings = Settings.load(tmp_path / "lib")
    assert ingest_batch(batch, settings).ok
    with Catalog(Store(settings.library).catalog_path) as cat:
        assert cat.get_item("a-1").collections == ["epics"]
        assert cat.get_collection("epics").items == ["a-1"]
        assert cat.get_collection("epics").label == {"en": "Epics"}
    with open_searcher(Store(settings.library).index_dir) as s:
        result = search(s, SearchRequest("ᠵᠠᠩᠭᠠᠷ"))
    assert dict(result.facets["collection"]) == {"epics": 1}


def test_a_new_reader_revision_rereads_unchanged_items(tmp_path, monkeypatch):
    # an item ingested by an older TEI reader lacks what the new one keeps (the edition tree):
    # an unchanged batch must be read again, not skipped by its source hash
    batch = tmp_path / "batch"
    make_item(batch, "a-1")
    settings = Settings.load(tmp_path / "lib")
    assert ingest_batch(batch, settings).ingested == ["a-1"]
    assert ingest_batch(batch, settings).skipped == ["a-1"]
    import ingest.pipeline as pipeline
    monkeypatch.setattr(pipeline, "READER_REVISION", pipeline.READER_REVISION + 1)
    assert ingest_batch(batch, settings).ingested == ["a-1"]
