"""Writing the PDF of a run of pages: each page's image at a chosen resolution under an invisible
text layer that can be searched and copied.

The images are the JPEG files the pyramid already holds (``library.imaging``'s layout: the
whole-image file of a level when one was cut, else that level's tiles laid side by side), each
embedded as it is on disk, a /DCTDecode stream, never decoded or re-encoded: a PDF weighs about
what its JPEGs weigh. The text layer comes from ``library.pdf_text``. Relies on fpdf2 for the
PDF itself (it passes JPEG files through, subsets the text font and writes its ToUnicode map).
A page is sized as if scanned at 300 dpi, whatever resolution is embedded, so boxes in master
pixels scale to points alike at every size.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from fpdf import FPDF
from fpdf.enums import TextMode

from .imaging import Derivatives, size_path, tile_path
from .models import Box
from .pdf_text import ASCENT, FAMILY, UNITS_PER_EM, Placement, advance, characters, text_font

PT_PER_PX = 72 / 300
BLANK_PAGE = (2480, 3508)  # A4 at 300 dpi, for a page that has no image
PRODUCER = "Sudur"


@dataclass(frozen=True)
class Picture:
    """One JPEG file and the part of the page (master pixels) it covers."""

    path: Path
    box: Box


@dataclass
class PdfPage:
    """What one PDF page shows: its label, size in master pixels, pictures and text."""

    label: str
    width: int
    height: int
    pictures: list[Picture] = field(default_factory=list)
    text: list[Placement] = field(default_factory=list)


def level_for(derivs: Derivatives, width: Optional[int]) -> int:
    """The scale factor whose level is the narrowest still at least ``width`` px wide (the
    master's own, 1, for None = the largest, or when the master is narrower)."""
    if width is None:
        return 1
    fits = [sf for sf in derivs.scale_factors if math.ceil(derivs.width / sf) >= width]
    return max(fits) if fits else 1


def level_size(derivs: Derivatives, sf: int) -> tuple[int, int]:
    return math.ceil(derivs.width / sf), math.ceil(derivs.height / sf)


def pictures(derived: Path, derivs: Derivatives, width: Optional[int]) -> list[Picture]:
    """The files showing a page at the level chosen for ``width``, each with its place."""
    sf = level_for(derivs, width)
    lw, lh = level_size(derivs, sf)
    full = Box(0, 0, derivs.width, derivs.height)
    if (lw, lh) in derivs.sizes:
        return [Picture(size_path(derived, lw, lh), full)]
    span = derivs.tile_size * sf
    out = []
    for row in range(math.ceil(derivs.height / span)):
        for col in range(math.ceil(derivs.width / span)):
            x, y = col * span, row * span
            out.append(Picture(tile_path(derived, sf, col, row),
                               Box(x, y, min(span, derivs.width - x),
                                   min(span, derivs.height - y))))
    return out


def write_pdf(pages: Sequence[PdfPage], out: Path, *, title: str,
              progress: Optional[Callable[[int], None]] = None) -> None:
    """Write ``pages`` as a PDF to ``out``; ``progress(n)`` is called after the n-th page."""
    doc = FPDF(unit="pt")
    doc.set_auto_page_break(False)
    doc.set_margin(0)
    doc.set_title(title)
    doc.set_creator(PRODUCER)
    chars = set().union(*(characters(p.text) for p in pages))
    # fpdf2 reads the font file lazily, up to the output: it lives until then.
    with tempfile.TemporaryDirectory(prefix="sudur-pdf-") as tmp:
        font = Path(tmp) / "text.ttf"
        text_font(chars, font)
        doc.add_font(FAMILY, fname=str(font))
        doc.set_font(FAMILY, size=12)
        for n, page in enumerate(pages, 1):
            _add_page(doc, page)
            if progress is not None:
                progress(n)
        doc.output(str(out))


def _add_page(doc: FPDF, page: PdfPage) -> None:
    width, height = (page.width, page.height) if page.width and page.height else BLANK_PAGE
    doc.add_page(format=(width * PT_PER_PX, height * PT_PER_PX))
    if page.label:
        doc.set_page_label(label_prefix=page.label)
    for pic in page.pictures:
        b = pic.box
        doc.image(str(pic.path), x=b.x * PT_PER_PX, y=b.y * PT_PER_PX,
                  w=b.w * PT_PER_PX, h=b.h * PT_PER_PX)
    _write_text(doc, page.text)


def _write_text(doc: FPDF, pieces: list[Placement]) -> None:
    """Each piece in render mode 3 (invisible), set as tall as its box (as wide, for a column)
    and stretched along it to its length, so a selection covers the words on the image."""
    if not pieces:
        return
    doc.text_mode = TextMode.INVISIBLE
    descent = (UNITS_PER_EM - ASCENT) / UNITS_PER_EM
    for piece in pieces:
        run = advance(piece.text)
        if run <= 0:
            continue
        x, y = piece.box.x * PT_PER_PX, piece.box.y * PT_PER_PX
        w, h = piece.box.w * PT_PER_PX, piece.box.h * PT_PER_PX
        if piece.vertical:
            # A quarter turn clockwise about the column's top left corner: the text runs down
            # and its em box, as wide as the column, lies across it.
            doc.set_font_size(w)
            doc.set_stretching(100 * h / (run * w))
            with doc.rotation(-90, x, y):
                doc.text(x, y - descent * w, piece.text)
        else:
            doc.set_font_size(h)
            doc.set_stretching(100 * w / (run * h))
            doc.text(x, y + h - descent * h, piece.text)
    doc.set_stretching(100)
    doc.text_mode = TextMode.FILL
