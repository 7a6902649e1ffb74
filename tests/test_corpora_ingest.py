"""`sudur check` and `sudur ingest` over the real, messy corpora in ../shared: each item is
ingested with its pages and text, or refused with a clear, correct reason.

Batches are assembled in tmp from the corpus files (copies, never committed)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.db import Catalog
from library.bagit import verify_bag
from library.cli import cli
from library.store import Store

TEI_NS = "http://www.tei-c.org/ns/1.0"


def _derge_tei(text_path: Path, first: str = "155a", count: int = 3) -> str:
    """The eKangyur e-text's folios ``[155a]``… wrapped as TEI with pb and lb milestones."""
    body, started, n = [], False, 0
    for raw in text_path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\[(\d+[ab])\]", raw.strip())
        if m:
            started = started or m.group(1) == first
            if started:
                if n == count:
                    break
                n += 1
                body.append(f'<pb n="{m.group(1)}"/>')
            continue
        m = re.match(r"\[(\d+[ab])\.(\d+)\](.*)", raw)
        if m and started:
            line = re.sub(r"\{D\d+\}", "", m.group(3)).replace("&", "&amp;").replace("<", "&lt;")
            body.append(f'<lb n="{m.group(1)}.{m.group(2)}"/>{line}')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc>'
            '<titleStmt><title xml:lang="bo">མདོ་སྡེ། ས</title></titleStmt>'
            '<publicationStmt><p>Derge Kangyur e-text (esukhia), public domain</p>'
            '</publicationStmt><sourceDesc><p>eKangyur</p></sourceDesc></fileDesc>'
            '<profileDesc><langUsage><language ident="bo"/></langUsage></profileDesc>'
            f'</teiHeader><text><body><p>{chr(10).join(body)}</p></body></text></TEI>')


@pytest.fixture(scope="module")
def corpus_batch(shared_dir, tmp_path_factory) -> Path:
    c = shared_dir / "corpora"
    batch = tmp_path_factory.mktemp("corpora") / "batch"
    for src in sorted((c / "84000-data-tei/translations/kangyur/translations").glob("*.xml")):
        item = "t84000-" + re.sub(r"[^a-z0-9]+", "-", src.stem.lower().split("_")[1])[:40]
        (batch / item).mkdir(parents=True)
        shutil.copyfile(src, batch / item / f"{item}.xml")
    (batch / "cbeta-t08n0251").mkdir()
    shutil.copyfile(c / "cbeta-xml-p5/T/T08/T08n0251.xml",
                    batch / "cbeta-t08n0251" / "cbeta-t08n0251.xml")
    derge = next((c / "derge-kangyur-esukhia/text").glob("*.txt"))
    (batch / "derge-072").mkdir()
    (batch / "derge-072" / "derge-072.xml").write_text(_derge_tei(derge), encoding="utf-8")
    (batch / "wiener-diarium-1741").mkdir()
    shutil.copyfile(c / "page2tei-wiener-diarium/tests-wd/wd17410315/page2tei.xml",
                    batch / "wiener-diarium-1741" / "wiener-diarium-1741.xml")
    kant = c / "ocrd-assets/data/kant_aufklaerung_1784/data"
    for n in ("0017", "0020"):
        (batch / "kant-1784" / "images").mkdir(parents=True, exist_ok=True)
        (batch / "kant-1784" / "ocr").mkdir(exist_ok=True)
        shutil.copyfile(kant / f"OCR-D-IMG/INPUT_{n}.tif", batch / "kant-1784/images" / f"{n}.tif")
        shutil.copyfile(kant / f"OCR-D-GT-ALTO/PAGE_{n}_ALTO.xml", batch / "kant-1784/ocr" / f"{n}.xml")
    jp2 = c / "ocrd-assets/data/kant_aufklaerung_1784-jp2/data"
    (batch / "kant-1784-jp2" / "images").mkdir(parents=True)
    (batch / "kant-1784-jp2" / "ocr").mkdir()
    shutil.copyfile(jp2 / "OCR-D-IMG/INPUT_0020.jp2", batch / "kant-1784-jp2/images/0020.jp2")
    shutil.copyfile(jp2 / "OCR-D-GT-PAGE/PAGE_0020_PAGE.xml", batch / "kant-1784-jp2/ocr/0020.xml")
    return batch


@pytest.fixture(scope="module")
def ingested(corpus_batch, tmp_path_factory):
    lib = tmp_path_factory.mktemp("corpora-lib") / "lib"
    check = CliRunner().invoke(cli, ["--library", str(lib), "check", str(corpus_batch),
                                     "--format", "json"])
    report = json.loads(check.output)
    assert not lib.exists(), "check must write nothing"
    result = CliRunner().invoke(cli, ["--library", str(lib), "ingest", str(corpus_batch),
                                      "--workers", "2"])
    return report, result, lib


def _status(report) -> dict[str, dict]:
    return {it["item"]: it for it in report["items"]}


def test_check_and_ingest_agree(ingested):
    report, result, lib = ingested
    status = _status(report)
    with Catalog(Store(lib).catalog_path) as cat:
        landed = set(cat.item_ids())
    assert landed == {i for i, it in status.items() if it["status"] != "error"}
    assert result.exit_code == (1 if any(it["status"] == "error" for it in status.values()) else 0)


def test_84000_translations_land_with_folio_pages(ingested):
    _, _, lib = ingested
    with Catalog(Store(lib).catalog_path) as cat:
        ids = [i for i in cat.item_ids() if i.startswith("t84000-")]
        assert len(ids) >= 3
        for item_id in ids:
            item = cat.get_item(item_id)
            assert item.pages and all(re.fullmatch(r"\d+[ab]", p.label) for p in item.pages)
            assert sum(len(p.text) for p in item.pages) > 500
            assert item.rights.startswith("http")


def test_cbeta_and_derge_land_with_their_text(ingested):
    _, _, lib = ingested
    with Catalog(Store(lib).catalog_path) as cat:
        cbeta = cat.get_item("cbeta-t08n0251")
        assert len(cbeta.pages) == 3 and "般若" in "".join(p.text for p in cbeta.pages)
        derge = cat.get_item("derge-072")
        assert [p.label for p in derge.pages] == ["155a", "155b", "156a"]
        assert derge.writing_system == "bo"


def test_search_reaches_the_corpora(ingested):
    _, _, lib = ingested
    res = CliRunner().invoke(cli, ["--library", str(lib), "search", "般若", "--json"])
    assert "cbeta-t08n0251" in {h["item"] for h in json.loads(res.output)["hits"]}
    res = CliRunner().invoke(cli, ["--library", str(lib), "search", "Berliniſche", "--json"])
    assert "kant-1784" in {h["item"] for h in json.loads(res.output)["hits"]}


def test_wiener_diarium_is_refused_for_its_missing_images(ingested):
    report, result, _ = ingested
    wd = _status(report)["wiener-diarium-1741"]
    missing = [d for d in wd["diagnostics"] if d["code"] == "missing-image"]
    assert wd["status"] == "error" and len(missing) == 10
    assert all(d["line"] and d["file"].endswith("wiener-diarium-1741.xml") for d in missing)
    assert "wiener-diarium-1741" in result.output


def test_ocrd_tiff_and_jp2_land_with_ocr_words(ingested):
    _, _, lib = ingested
    with Catalog(Store(lib).catalog_path) as cat:
        tif = cat.get_item("kant-1784")
        jp2 = cat.get_item("kant-1784-jp2")
    assert len(tif.pages) == 2 and all(p.width > 1000 and p.text for p in tif.pages)
    words = [w for ln in tif.pages[0].lines for w in ln.words]
    word = next(w for w in words if w.text == "Berliniſche")
    assert (word.box.x, word.box.y, word.box.w, word.box.h) == (114, 368, 328, 69)
    assert jp2.pages[0].text and jp2.pages[0].lines[0].box is not None


def test_ocrd_bag_verifies(shared_dir):
    bag = shared_dir / "corpora/ocrd-assets/data/kant_aufklaerung_1784"
    assert verify_bag(bag) == bag / "data"
