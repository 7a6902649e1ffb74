"""Items with known geometry for the IIIF tests, and a tiny library holding them.

Text and word offsets are computed while the page is assembled, so every ``Word.start/end``
points exactly at its characters in ``Page.text`` and every box is known in advance:

- a vertical Mongolian book (columns left to right, words stacked top to bottom);
- a Tibetan pothi (oblong leaves, horizontal lines);
- a Chinese thread-bound book (columns right to left);
- a text-only item of any length (the benchmark uses 1,000 pages).

Also the two validators every IIIF test applies: the Presentation 3 JSON schema of the IIIF
presentation-validator (Draft 7) and ../shared/tools/validate_search2.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

from jsonschema import Draft7Validator

from library.models import (Box, Collection, Item, Line, Page, Responsibility, TocEntry, Word)
from library.settings import Settings
from library.store import Store

# Column/line layouts: (words of each line, box of each word).
MONG_COLUMNS = [["ᠵᠠᠩᠭᠠᠷ", "ᠤᠨ", "ᠲᠤᠤᠵᠢ"], ["ᠪᠣᠮᠪᠠ", "ᠬᠠᠭᠠᠨ", "ᠤ"], ["ᠰᠠᠢᠨ", "ᠵᠠᠩᠭᠠᠷ"]]
TIB_LINES = [["བྱང་ཆུབ་", "སེམས་དཔའ་", "ཆེན་པོ"], ["དེ་བཞིན་", "གཤེགས་པ་"]]
ZH_COLUMNS = [["大學", "之道"], ["在明", "明德"], ["在親", "民"]]


def _page(item_id: str, order: int, label: str, lines_words: list[list[str]],
          boxes: list[list[Box]], size: tuple[int, int], sep: str = " ",
          image: Optional[str] = "auto") -> Page:
    text = ""
    lines = []
    for words, wboxes in zip(lines_words, boxes):
        if text:
            text += "\n"
        line_start = len(text)
        ws = []
        for i, (w, b) in enumerate(zip(words, wboxes)):
            if i:
                text += sep
            ws.append(Word(w, b, len(text), len(text) + len(w)))
            text += w
        x0 = min(b.x for b in wboxes)
        y0 = min(b.y for b in wboxes)
        x1 = max(b.x + b.w for b in wboxes)
        y1 = max(b.y + b.h for b in wboxes)
        lines.append(Line(text[line_start:], Box(x0, y0, x1 - x0, y1 - y0), line_start,
                          len(text), ws))
    width, height = size
    img = f"images/{order:04d}.jpg" if image == "auto" else image
    return Page(item_id=item_id, order=order, label=label, image=img,
                width=width if img else 0, height=height if img else 0, text=text,
                lines=lines)


def mongolian_book(item_id: str = "jangar-ms-1", pages: int = 3) -> Item:
    out = []
    for n in range(1, pages + 1):
        boxes = [[Box(100 + c * 150, 100 + r * 500, 90, 420) for r in range(len(col))]
                 for c, col in enumerate(MONG_COLUMNS)]
        out.append(_page(item_id, n, f"{n}a", MONG_COLUMNS, boxes, (1200, 1800)))
    return Item(id=item_id, titles={"mn-Mong": "ᠵᠠᠩᠭᠠᠷ", "en": "Jangar", "mn-Cyrl": "Жангар"},
                languages=["mn"], scripts=["Mong"], writing_system="mn-Mong",
                responsibility=[Responsibility("scribe", "Bayar")], date_text="1850s",
                date_from=1850, date_to=1859, institution="Example Library",
                shelfmark="Mong. 17", rights="https://creativecommons.org/licenses/by/4.0",
                summary={"en": "An epic.", "mn-Mong": "ᠲᠠᠤᠯᠢ"},
                toc=[TocEntry({"en": "Canto 1", "mn-Mong": "ᠨᠢᠭᠡ"}, 1,
                              children=[TocEntry({"en": "Opening"}, 1),
                                        TocEntry({"en": "The hero"}, 2)]),
                     TocEntry({"en": "Canto 2"}, pages)],
                collections=["epics"], tei_file=f"{item_id}.xml", pages=out)


def tibetan_pothi(item_id: str = "kangyur-1") -> Item:
    out = []
    for n in range(1, 3):
        boxes = [[Box(200 + i * 700, 150 + r * 220, 650, 180) for i in range(len(line))]
                 for r, line in enumerate(TIB_LINES)]
        out.append(_page(item_id, n, f"{n}{'ab'[n % 2]}", TIB_LINES, boxes, (3000, 800),
                         sep=""))
    return Item(id=item_id, titles={"bo": "བཀའ་འགྱུར", "bo-x-ewts": "bka' 'gyur"},
                languages=["bo"], scripts=["Tibt"], writing_system="bo",
                rights="http://rightsstatements.org/vocab/NoC-US/1.0/",
                collections=["kangyur"], pages=out)


def chinese_book(item_id: str = "daxue") -> Item:
    out = []
    for n in range(1, 3):
        boxes = [[Box(900 - c * 200, 100 + r * 300, 150, 280) for r in range(len(col))]
                 for c, col in enumerate(ZH_COLUMNS)]
        out.append(_page(item_id, n, f"{n}", ZH_COLUMNS, boxes, (1100, 1000), sep=""))
    return Item(id=item_id, titles={"zh-Hant": "大學"}, summary={"zh-Hant": "四書之一"},
                languages=["zh"], scripts=["Hani"],
                writing_system="zh-Hant", rights="some local licence", pages=out)


def text_only(item_id: str = "long-text", pages: int = 1000) -> Item:
    out = [Page(item_id=item_id, order=n, label=f"{(n + 1) // 2}{'ab'[(n + 1) % 2]}",
                text=f"ᠨᠢᠭᠡ ᠬᠣᠶᠠᠷ {n}\nᠭᠤᠷᠪᠠ") for n in range(1, pages + 1)]
    return Item(id=item_id, titles={"mn-Mong": "ᠤᠷᠲᠤ", "en": "Long text"},
                languages=["mn"], scripts=["Mong"], writing_system="mn-Mong", pages=out)


def build_library(root: Path, items: list[Item], *, index: bool = True,
                  collections: tuple[Collection, ...] = ()) -> Settings:
    """Publish each item as a version folder, record it in the catalogue, index it."""
    from catalog.db import Catalog

    store = Store(root)
    store.ensure()
    with Catalog(store.catalog_path) as cat:
        for coll in collections:
            cat.put_collection(coll)
        for item in items:
            staged = store.new_staging(item.id)
            (staged / "source").mkdir()
            (staged / "derived").mkdir()
            version = store.publish(staged)
            cat.put_item(item, version_path=version, source_hash=f"h-{item.id}", fixity=[])
    if index:
        from catalog.index import update_items

        update_items(store.index_dir, items)
    return Settings.load(root)


# --- validators ------------------------------------------------------------------------------

PREZI_SCHEMA = "corpora/iiif-presentation-validator/schema/iiif_3_0.json"


def prezi_validator(shared_dir: Path) -> Draft7Validator:
    schema = json.loads((shared_dir / PREZI_SCHEMA).read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def assert_prezi_valid(validator: Draft7Validator, data: dict) -> None:
    errors = [f"{e.message[:160]} at /{'/'.join(map(str, e.absolute_path))}"
              for e in validator.iter_errors(data)]
    assert not errors, errors[:5]


def assert_search2_valid(shared_dir: Path, out_dir: Path, *docs: dict) -> None:
    """Run ../shared/tools/validate_search2.py over ``docs`` as CI would (it is a script)."""
    files = []
    for doc in docs:
        f = out_dir / f"search2-{len(list(out_dir.glob('search2-*')))}.json"
        f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        files.append(str(f))
    proc = subprocess.run([sys.executable, str(shared_dir / "tools/validate_search2.py"),
                           str(shared_dir / PREZI_SCHEMA), *files],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok   ") == len(files), proc.stdout
