"""A batch file swapped for a link while ``ingest`` runs (issue 11, point 9).

A thread keeps swapping the TEI, an image and an OCR file of one item between the real file and
a link to a canary outside the batch, while ingest runs again and again into fresh libraries.
Whatever each run decides (the item lands or is refused), the canary must reach nothing: no
library file (catalogue, stored sources, derivatives, index), no search hit, no served TEI.
"""
from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from catalog.db import Catalog
from ingest.pipeline import ingest_batch
from library.settings import Settings
from library.store import Store

TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title xml:lang="en">{word}</title></titleStmt>
  <publicationStmt><p>t</p></publicationStmt><sourceDesc><p>t</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><div><p><pb n="1" facs="images/0001.png"/>{word} page</p></div></body></text>
</TEI>
"""
ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>
<MeasurementUnit>pixel</MeasurementUnit></Description><Layout><Page WIDTH="300" HEIGHT="400">
<PrintSpace><TextBlock><TextLine HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20"><String
CONTENT="{word}" HPOS="10" VPOS="10" WIDTH="100" HEIGHT="20"/></TextLine></TextBlock>
</PrintSpace></Page></Layout></alto>"""
ROUNDS = 12
BOUND = 30.0  # seconds for all rounds


def _png(path: Path, colour) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 400), colour).save(path)


class Swapper(threading.Thread):
    """Swaps each of ``files`` between itself and a link to its canary, atomically, forever."""

    def __init__(self, files: dict[Path, Path]) -> None:
        super().__init__(daemon=True)
        self.files = files
        self.stop = threading.Event()
        self.swaps = 0
        self.rng = random.Random(9)
        for path in files:
            os.link(path, path.with_name(path.name + ".real"))  # the bytes to put back

    def run(self) -> None:
        while not self.stop.is_set():
            for path, canary in self.files.items():
                tmp = path.with_name(path.name + ".tmp")
                tmp.symlink_to(canary)
                os.replace(tmp, path)
                time.sleep(0.0005)  # a short window as a link...
                os.link(path.with_name(path.name + ".real"), tmp)
                os.replace(tmp, path)
                self.swaps += 1
                # ...and a longer, varying one as the real file, so that a run's check often
                # sees the real file and a later step may meet the link
                time.sleep(self.rng.uniform(0.0, 0.01))

    def finish(self) -> None:
        self.stop.set()
        self.join(5)
        for path in self.files:  # leave the real file in place
            os.replace(path.with_name(path.name + ".real"), path)


@pytest.mark.parametrize("kind", ["tei", "image", "ocr"])
def test_a_file_swapped_for_a_link_during_ingest_never_reaches_the_library(kind):
    root = Path(tempfile.mkdtemp(prefix=f"race-{kind}-"))
    word = f"racecanary{uuid.uuid4().hex[:12]}"
    try:
        outside = root / "outside"
        outside.mkdir()
        (outside / "tei.xml").write_text(TEI.format(word=word), encoding="utf-8")
        (outside / "ocr.xml").write_text(ALTO.format(word=word), encoding="utf-8")
        _png(outside / "secret.png", (1, 2, 3))
        secret_png = (outside / "secret.png").read_bytes()
        batch = root / "batch"
        folder = batch / "raced"
        _png(folder / "images" / "0001.png", (230, 220, 200))
        (folder / "raced.xml").write_text(TEI.format(word="realword"), encoding="utf-8")
        (folder / "ocr").mkdir()
        (folder / "ocr" / "0001.xml").write_text(ALTO.format(word="realword"),
                                                 encoding="utf-8")
        target = {"tei": (folder / "raced.xml", outside / "tei.xml"),
                  "image": (folder / "images" / "0001.png", outside / "secret.png"),
                  "ocr": (folder / "ocr" / "0001.xml", outside / "ocr.xml")}[kind]
        # the swapper's spare copies end in .real and .tmp, which no batch listing takes
        swapper = Swapper(dict([target]))
        t0 = time.monotonic()
        outcomes = []
        swapper.start()
        try:
            for n in range(ROUNDS):
                if time.monotonic() - t0 > BOUND:
                    break
                lib = root / f"lib-{n}"
                summary = ingest_batch(batch, Settings.load(lib))
                outcomes.append("landed" if "raced" in summary.ingested else "refused: " + ",".join(
                    d.code for d in summary.failed.get("raced", [])))
                _assert_clean(lib, word, secret_png, "raced" in summary.ingested)
        finally:
            swapper.finish()
        assert swapper.swaps > 0 and outcomes, "the race never ran"
        print(f"{kind}: {swapper.swaps} swaps, outcomes {outcomes}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _assert_clean(lib: Path, word: str, secret_png: bytes, landed: bool) -> None:
    needle = word.encode()
    for p in lib.rglob("*"):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            assert needle not in data, f"the canary reached {p}"
            assert data != secret_png, f"the secret image reached {p}"
    store = Store(lib)
    with Catalog(store.catalog_path, readonly=True) as cat:
        for item_id in cat.item_ids():
            item = cat.get_item(item_id)
            assert word not in repr(item)
            if landed:
                for _, rec in cat.fixity(item_id):
                    import hashlib
                    stored = (store.root / cat.version_path(item_id) / rec.path).read_bytes()
                    assert hashlib.sha256(stored).hexdigest() == rec.sha256, rec.path
    if landed:
        from viewer import create_app

        app = create_app({"SUDUR_SETTINGS": Settings.load(lib), "TESTING": True})
        client = app.test_client()
        resp = client.get("/items/raced/tei")
        assert resp.status_code == 200 and needle not in resp.get_data()
        from catalog.search import SearchRequest, open_searcher, search

        with open_searcher(store.index_dir) as s:
            assert search(s, SearchRequest(word, time_budget=5.0)).hits == []
            assert search(s, SearchRequest("realword", time_budget=5.0)).hits
