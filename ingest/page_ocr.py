"""A page's OCR, attached once its image is derived: the OCR file is copied into the version's
staging (once, however many pages it serves), parsed from that copy, scaled to the master's
size when it was made on another scan, and aligned to the page's TEI text (or becomes the text).

Run by the ingest process when an item's pages are done (ingest/pipeline.py ``finish``); relies
on ``ingest.pairing`` for which OCR file and page belong to which image.
"""
from __future__ import annotations

from pathlib import Path

from catalog.db import FixityRecord
from library.models import Box, Line, Page
from library.safe_open import write_bytes

from .batch import ItemPlan
from .ocr import align_ocr_to_text
from .pairing import OcrReader, PagePairing
from .xmlsafe import DEFAULT_MAX_BYTES


def attach_ocr(page: Page, pair: PagePairing, plan: ItemPlan, source: Path,
               fixity: list[FixityRecord], reader: OcrReader) -> None:
    """Give ``page`` its OCR lines (and text, if the TEI had none); record a copied file."""
    rel = pair.ocr
    if not (source / rel).exists():  # an hOCR volume serves many pages: copied once
        size, digest = write_bytes(plan.read(rel, DEFAULT_MAX_BYTES), source / rel)
        fixity.append(FixityRecord(f"source/{rel}", "ocr", size, digest))
    ocr = reader.page(plan, pair)  # parsed from the stored copy
    page.ocr = rel
    if page.width and ocr.width and (ocr.width != page.width or ocr.height != page.height):
        _scale_lines(ocr.lines, page.width / ocr.width, page.height / max(1, ocr.height))
    if not page.text.strip():
        page.text = ocr.text
        page.lines = ocr.lines
    else:
        page.lines = align_ocr_to_text(page.text, ocr)


def _scale_lines(lines: list[Line], sx: float, sy: float) -> None:
    def sc(b):
        return Box(round(b.x * sx), round(b.y * sy), round(b.w * sx), round(b.h * sy)) \
            if b else None
    for line in lines:
        line.box = sc(line.box)
        for w in line.words:
            w.box = sc(w.box)
