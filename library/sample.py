"""The built-in sample batch: eight small items in five writing systems, TEI and page images made
here, and one multi-volume work.

The items: ``jangar-ms-1`` and ``geser-ms-1`` (Hudum Mongolian epics), ``kangyur-vol-1`` to
``-3`` (Tibetan pothi volumes ka, kha and ga: folios 1a-3b, 1a-2a, 1a-2a; one work,
``kangyur-sher-phyin``, whose second text runs from volume kha into volume ga),
``todo-xiyouji-1`` (Oirat in Todo script), ``zh-archive-1`` (a Qing dispatch in traditional
Chinese) and ``manchu-memorial-1`` (its Manchu counterpart). The texts are short and composed
for the sample (volume ka holds the canonical Heart Sutra).

``write_sample(out)`` writes, in the batch layout of DESIGN.md::

    out/<item>/<item>.xml          TEI P5: full teiHeader, <pb n facs> per page, <div>/<head>, <lb/>
    out/<item>/images/0001.png     each page rendered from its own transcription with Noto fonts
    out/jangar-ms-1/ocr/0001.xml   ALTO 4 with line and word boxes measured from that rendering
    out/kangyur-vol-1/ocr/0001.html  hOCR, the same for the Tibetan folios
    out/collections.json           the collections the items belong to, and the work

and returns the item ids. ``sudur sample OUT`` and the test fixtures call it. The output is the
same bytes on every run on one machine (no clock, no randomness that is not seeded from the item
id), so tests may rely on it.

``collections.json`` is an object ``{"collections": [...], "works": [...]}``: the collections
in display order, each ``{"id": "epics", "label": {BCP 47 tag: text}, "summary": {...},
"parent": null | id, "items": [item ids]}`` (the fields of ``library.models.Collection``), and
the multi-volume works in the form ``ingest.works_file`` describes. The TEI also names the
collection of its item in ``msIdentifier/collection`` (label only). The page order and IIIF
behavior are in ``encodingDesc/tagsDecl/rendition``, e.g. ``right-to-left individuals``.

Where each part lives:

- ``library/data/sample_items.json``, ``sample_collections.json`` and ``sample_works.json``:
  the texts and metadata,
  read by ``library.sample_items``;
- ``library.sample_tei``: the TEI of an item;
- ``library.sample_pages``: what each page image shows and where (drawn by ``library.imaging``);
- ``library.sample_fonts``: which font draws each script (``find_font``). Without a font for a
  script, its pages show word-shaped blocks instead of letters, so the sample still ingests;
  ``write_sample`` logs a warning naming the missing script;
- ``library.sample_ocr``: the ALTO and hOCR files, from the lines as drawn.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .imaging import render_page
from .models import to_dict
from .sample_fonts import Fonts, find_font
from .sample_items import COLLECTIONS, ITEMS, WORKS
from .sample_ocr import alto, hocr
from .sample_pages import render
from .sample_tei import tei_document

__all__ = ["find_font", "write_sample"]

log = logging.getLogger(__name__)


def write_sample(out: Path) -> list[str]:
    """Write the sample batch into ``out`` (created if needed) and return its item ids.

    Files of an earlier sample in ``out`` are overwritten; nothing else there is touched.
    """
    out = Path(out)
    fonts = Fonts()
    ids: list[str] = []
    for spec in ITEMS:
        folder = out / spec.id
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / f"{spec.id}.xml").write_bytes(tei_document(spec))
        for order, page in enumerate(spec.pages, start=1):
            sheet, lines = render(spec, page, fonts)
            (folder / "images" / f"{order:04d}.png").write_bytes(render_page(sheet))
            if spec.ocr:
                (folder / "ocr").mkdir(exist_ok=True)
                if spec.ocr == "alto":
                    (folder / "ocr" / f"{order:04d}.xml").write_bytes(
                        alto(spec, order, sheet.size, lines))
                else:
                    (folder / "ocr" / f"{order:04d}.html").write_bytes(
                        hocr(spec, order, sheet.size, lines))
        ids.append(spec.id)
    groups = {"collections": [to_dict(c) for c in COLLECTIONS], "works": WORKS}
    (out / "collections.json").write_text(
        json.dumps(groups, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for script in sorted(fonts.missing):
        log.warning("no font for script %s: its sample pages show word blocks instead of letters "
                    "(run `make assets`, or install Debian's fonts-noto-core/fonts-noto-cjk)",
                    script)
    return ids
