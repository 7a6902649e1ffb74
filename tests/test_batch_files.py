"""Batch and bag files are opened once, never through a link, and only when regular (issue 11,
point 9): what is parsed, hashed and stored comes from one descriptor."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from PIL import Image

from catalog.db import Catalog
from ingest.pipeline import check_batch, ingest_batch
from library.errors import BagError, InputError
from library.settings import Settings
from library.store import Store

TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title xml:lang="en">{title}</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><div><p><pb n="1" facs="images/0001.png"/>{title} text</p></div></body></text>
</TEI>
"""
ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>
<MeasurementUnit>pixel</MeasurementUnit><sourceImageInformation><fileName>0001.png</fileName>
</sourceImageInformation></Description><Layout><Page WIDTH="300" HEIGHT="400"><PrintSpace>
<TextBlock><TextLine HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20"><String CONTENT="{word}"
HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20"/></TextLine></TextBlock></PrintSpace></Page></Layout>
</alto>"""
CANARY = "CANARYOUTSIDE"


def _png(path: Path, colour=(240, 230, 200)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 400), colour).save(path)


def _item(batch: Path, item_id: str, *, tei: bool = True, ocr: bool = False) -> Path:
    folder = batch / item_id
    _png(folder / "images" / "0001.png")
    if tei:
        (folder / f"{item_id}.xml").write_text(TEI.format(title="Real"), encoding="utf-8")
    if ocr:
        (folder / "ocr").mkdir()
        (folder / "ocr" / "0001.xml").write_text(ALTO.format(word="realword"), encoding="utf-8")
    return folder


def _outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir(exist_ok=True)
    (out / "secret.xml").write_text(TEI.format(title=CANARY), encoding="utf-8")
    (out / "secret-ocr.xml").write_text(ALTO.format(word=CANARY), encoding="utf-8")
    (out / "secret.txt").write_text(f"{CANARY} data/secret.png\n", encoding="utf-8")
    _png(out / "secret.png", colour=(1, 2, 3))
    return out


def _library_bytes(lib: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(lib.rglob("*"))
                    if p.is_file() and not p.is_symlink())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the one opener ---------------------------------------------------------------------------

def test_the_opener_reads_a_regular_file_once(tmp_path):
    from library.safe_open import copy_batch_file, open_batch_file, read_batch_file

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_bytes(b"hello")
    with open_batch_file(tmp_path, "a/b/f.txt") as f:
        assert f.read() == b"hello"
        assert f.stat.st_size == 5
        assert not os.get_inheritable(f.fileno())
    assert read_batch_file(tmp_path, "a/b/f.txt") == b"hello"
    size, digest = copy_batch_file(tmp_path, "a/b/f.txt", tmp_path / "copy" / "f.txt")
    assert (size, digest) == (5, hashlib.sha256(b"hello").hexdigest())
    assert (tmp_path / "copy" / "f.txt").read_bytes() == b"hello"


@pytest.mark.parametrize("kind", ["file-link", "parent-link", "fifo", "folder", "dev-link",
                                  "dotdot", "absolute"])
def test_the_opener_refuses_what_is_not_a_regular_file_in_the_root(tmp_path, kind):
    from library.safe_open import open_batch_file

    root = tmp_path / "batch"
    (root / "item").mkdir(parents=True)
    (root / "real.txt").write_text("in the batch", encoding="utf-8")
    secret = _outside(tmp_path) / "secret.txt"
    rel = "item/f.txt"
    if kind == "file-link":
        (root / "item" / "f.txt").symlink_to(root / "real.txt")  # even a link inside
    elif kind == "parent-link":
        os.rmdir(root / "item")
        (root / "item").symlink_to(secret.parent)
        rel = "item/secret.txt"
    elif kind == "fifo":
        os.mkfifo(root / "item" / "f.txt")
    elif kind == "folder":
        (root / "item" / "f.txt").mkdir()
    elif kind == "dev-link":
        (root / "item" / "f.txt").symlink_to("/dev/zero")
    elif kind == "dotdot":
        rel = "../outside/secret.txt"
    else:
        rel = str(secret)
    done = threading.Event()

    def attempt():
        with pytest.raises(InputError) as exc:
            open_batch_file(root, rel, name=f"x/{rel}")
        attempt.error = exc.value
        done.set()

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    assert done.wait(5), "opening hung (a FIFO must never be opened for reading blocking)"
    err = attempt.error
    assert str(err).startswith(f"x/{rel}"), str(err)  # names the file
    assert CANARY not in str(err)
    expected = {"file-link": "link", "parent-link": "link", "fifo": "not a regular file",
                "folder": "not a regular file", "dev-link": "link", "dotdot": "inside",
                "absolute": "inside"}[kind]
    assert expected in err.message, err.message


# --- each kind of batch file ------------------------------------------------------------------

def _refused(tmp_path: Path, batch: Path, item_id: str, named: str) -> str:
    settings = Settings.load(tmp_path / "lib")
    plans = check_batch(batch, settings, validate_tei=False)
    checked = " ".join(str(d) for p in plans if p.item_id == item_id for d in p.errors)
    summary = ingest_batch(batch, settings)
    text = " ".join(str(d) for d in summary.failed.get(item_id, []))
    assert "good-1" in summary.ingested
    for what in (checked, text):
        assert named in what and "link" in what, what
        assert "copy the real file" in what, what
    assert CANARY.encode() not in _library_bytes(tmp_path / "lib")
    return text


def test_a_tei_link_is_refused_even_inside_the_batch(tmp_path):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    folder = _item(batch, "linked")
    real = batch / "elsewhere.xml"
    (folder / "linked.xml").rename(real)
    (folder / "linked.xml").symlink_to(real)
    _refused(tmp_path, batch, "linked", "linked/linked.xml")


def test_an_image_link_is_refused_even_inside_the_batch(tmp_path):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    folder = _item(batch, "linked")
    (folder / "images" / "0001.png").rename(folder / "real.png")
    (folder / "images" / "0001.png").symlink_to(folder / "real.png")
    _refused(tmp_path, batch, "linked", "linked/images/0001.png")


def test_an_ocr_link_is_refused_even_inside_the_batch(tmp_path):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    folder = _item(batch, "linked", ocr=True)
    (folder / "ocr" / "0001.xml").rename(folder / "real-ocr.xml")
    (folder / "ocr" / "0001.xml").symlink_to(folder / "real-ocr.xml")
    _refused(tmp_path, batch, "linked", "linked/ocr/0001.xml")


def test_a_linked_item_folder_is_refused(tmp_path):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    real = _item(tmp_path / "elsewhere", "linked")
    (batch / "linked").symlink_to(real)
    _refused(tmp_path, batch, "linked", "linked")


@pytest.mark.parametrize("kind", ["link-out", "fifo"])
def test_collections_json_must_be_a_regular_file_of_the_batch(tmp_path, kind):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    out = _outside(tmp_path)
    (out / "collections.json").write_text(
        f'[{{"id": "c", "label": {{"en": "{CANARY}"}}, "items": ["good-1"]}}]', encoding="utf-8")
    if kind == "link-out":
        (batch / "collections.json").symlink_to(out / "collections.json")
    else:
        os.mkfifo(batch / "collections.json")
    settings = Settings.load(tmp_path / "lib")
    for run in (lambda: check_batch(batch, settings, validate_tei=False),
                lambda: ingest_batch(batch, settings)):
        with pytest.raises(InputError) as exc:
            run()
        assert str(exc.value).startswith("collections.json"), str(exc.value)
        assert ("link" if kind == "link-out" else "not a regular file") in exc.value.message
        assert CANARY not in str(exc.value)
    assert not (tmp_path / "lib" / "catalog.sqlite").exists()


def _bag(tmp_path: Path) -> Path:
    from library.bagit import write_bag

    src = tmp_path / "src"
    _item(src, "bag-1")
    files = [(p.relative_to(src).as_posix(), p) for p in sorted(src.rglob("*")) if p.is_file()]
    return write_bag(tmp_path / "bag", files, {"External-Identifier": "bag-1"})


@pytest.mark.parametrize("name", ["manifest-sha256.txt", "bagit.txt", "bag-info.txt",
                                  "tagmanifest-sha256.txt"])
def test_a_linked_bag_manifest_or_tag_file_is_refused_unread(tmp_path, name):
    bag = _bag(tmp_path)
    secret = _outside(tmp_path) / "secret.txt"
    (bag / name).unlink()
    (bag / name).symlink_to(secret)
    with pytest.raises(BagError) as exc:
        ingest_batch(bag, Settings.load(tmp_path / "lib"))
    assert name in str(exc.value) and "link" in str(exc.value), str(exc.value)
    assert CANARY not in str(exc.value)
    assert not (tmp_path / "lib").exists()


def test_a_link_inside_a_bag_payload_is_refused(tmp_path):
    bag = _bag(tmp_path)
    img = bag / "data" / "bag-1" / "images" / "0001.png"
    img.rename(bag / "data" / "bag-1" / "real.png")
    img.symlink_to(bag / "data" / "bag-1" / "real.png")
    with pytest.raises(BagError) as exc:
        ingest_batch(bag, Settings.load(tmp_path / "lib"))
    assert "data/bag-1/images/0001.png" in str(exc.value) and "link" in str(exc.value)


# --- what is parsed is what is stored ---------------------------------------------------------

def _stored(tmp_path: Path, item_id: str) -> tuple[Path, dict[str, tuple[str, str]]]:
    store = Store(tmp_path / "lib")
    with Catalog(store.catalog_path, readonly=True) as cat:
        version = store.root / cat.version_path(item_id)
        records = {rec.path: (rec.kind, rec.sha256) for _, rec in cat.fixity(item_id)}
    return version, records


def test_each_stored_source_hashes_to_its_recorded_digest(tmp_path):
    batch = tmp_path / "batch"
    folder = _item(batch, "good-1", ocr=True)
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert summary.ingested == ["good-1"], summary.failed
    version, records = _stored(tmp_path, "good-1")
    kinds = {kind for kind, _ in records.values()}
    assert {"tei", "master", "ocr"} <= kinds
    for rel, (kind, digest) in records.items():
        assert _sha(version / rel) == digest, rel
        if kind != "derivative":
            assert _sha(folder / rel.removeprefix("source/")) == digest, rel


def _swap_after(monkeypatch, module, attr: str, path: Path, target: Path) -> list[int]:
    """Wrap ``module.attr`` so that, once it has run, ``path`` becomes a link to ``target``."""
    original = getattr(module, attr)
    calls: list[int] = []

    def wrapped(*args, **kwargs):
        result = original(*args, **kwargs)
        if not calls:
            path.unlink()
            path.symlink_to(target)
        calls.append(1)
        return result
    monkeypatch.setattr(module, attr, wrapped)
    return calls


def _no_canary_landed(tmp_path: Path, summary, item_id: str) -> None:
    assert CANARY.encode() not in _library_bytes(tmp_path / "lib")
    secret = (tmp_path / "outside" / "secret.png").read_bytes()
    assert not any(p.read_bytes() == secret for p in (tmp_path / "lib").rglob("*")
                   if p.is_file() and not p.is_symlink())
    if item_id in summary.ingested:
        version, records = _stored(tmp_path, item_id)
        for rel, (_, digest) in records.items():
            assert _sha(version / rel) == digest


def test_a_tei_swapped_for_a_link_after_parsing_never_lands(tmp_path, monkeypatch):
    import ingest.tei

    batch = tmp_path / "batch"
    folder = _item(batch, "swap")
    out = _outside(tmp_path)
    calls = _swap_after(monkeypatch, ingest.tei, "parse_tei", folder / "swap.xml",
                        out / "secret.xml")
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert calls, "the TEI was never parsed"
    _no_canary_landed(tmp_path, summary, "swap")
    if "swap" in summary.ingested:  # parsed once, before the swap: the real bytes are stored
        version, records = _stored(tmp_path, "swap")
        assert b"Real" in (version / "source" / "swap.xml").read_bytes()


def test_an_image_swapped_for_a_link_after_probing_never_lands(tmp_path, monkeypatch):
    from library import imaging

    batch = tmp_path / "batch"
    folder = _item(batch, "swap")
    out = _outside(tmp_path)
    calls = _swap_after(monkeypatch, imaging, "probe", folder / "images" / "0001.png",
                        out / "secret.png")
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert calls, "the image was never probed"
    _no_canary_landed(tmp_path, summary, "swap")


def test_an_ocr_file_swapped_for_a_link_after_pairing_never_lands(tmp_path, monkeypatch):
    import ingest.ocr

    batch = tmp_path / "batch"
    folder = _item(batch, "swap", ocr=True)
    out = _outside(tmp_path)
    calls = _swap_after(monkeypatch, ingest.ocr, "parse_ocr_pages", folder / "ocr" / "0001.xml",
                        out / "secret-ocr.xml")
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert calls, "the OCR was never parsed"
    _no_canary_landed(tmp_path, summary, "swap")


def test_the_root_itself_may_not_be_a_link_but_its_parents_may(tmp_path):
    from library.safe_open import open_batch_file, read_batch_file

    (tmp_path / "real" / "bag" / "data").mkdir(parents=True)
    (tmp_path / "real" / "bag" / "data" / "f.txt").write_text("payload", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f.txt").write_text(CANARY, encoding="utf-8")
    (tmp_path / "via").symlink_to(tmp_path / "real")  # a parent of the root: the caller's
    assert read_batch_file(tmp_path / "via" / "bag" / "data", "f.txt") == b"payload"
    os.rename(tmp_path / "real" / "bag" / "data", tmp_path / "real" / "bag" / "was-data")
    (tmp_path / "real" / "bag" / "data").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError) as exc:
        open_batch_file(tmp_path / "real" / "bag" / "data", "f.txt", name="f.txt")
    assert "link" in exc.value.message and CANARY not in str(exc.value)


def test_check_follows_a_linked_batch_path_given_by_the_user(tmp_path):
    batch = tmp_path / "batch"
    _item(batch, "good-1")
    (tmp_path / "shortcut").symlink_to(batch)
    plans = check_batch(tmp_path / "shortcut", Settings.load(tmp_path / "lib"),
                        validate_tei=False)
    assert [p.item_id for p in plans] == ["good-1"] and not plans[0].errors


def test_a_link_that_no_listing_takes_is_left_unread_and_the_item_lands(tmp_path):
    batch = tmp_path / "batch"
    folder = _item(batch, "calm")
    out = _outside(tmp_path)
    (folder / "images" / "notes.txt").symlink_to(out / "secret.txt")
    (folder / "images" / ".DS_Store").symlink_to(out / "secret.txt")
    summary = ingest_batch(batch, Settings.load(tmp_path / "lib"))
    assert summary.ingested == ["calm"], summary.failed
    assert CANARY.encode() not in _library_bytes(tmp_path / "lib")
