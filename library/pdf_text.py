"""The invisible text layer of a downloaded PDF: where each piece of a page's text goes, and the
font it is written in.

``placements`` turns a page's text into ``Placement``s in page-image pixels: the transcription
cut at the words (else the lines) that OCR or TEI zones boxed and tied to it, each cut in its
word's box; else OCR lines as OCR read them; else the transcription as one block of lines spread
over the page. ``text_font`` writes the font they are set in: one empty ("glyphless") glyph per
character the document uses, so every character of every script (Tibetan stacks, Mongolian with
its variation selectors, CJK beyond the BMP) has a glyph, and the PDF's ToUnicode map, written
by the PDF library from the font's cmap, gives back exactly the transcription when the text is
searched or copied. The text is drawn in render mode 3 (invisible), so glyph shapes never show
and need no shaping.

Why not a Noto font: fpdf2 writes the CJK Noto faces (CID-keyed CFF in fonts-noto-cjk) with an
encoding CMap that pdfminer.six cannot read and pypdf spaces apart, and no single face covers
Tibetan, Mongolian and Han; the generated font has none of those gaps (README, Downloads).
Relies on fontTools' FontBuilder (a dependency of fpdf2, pinned in setup.cfg).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from .models import Box, Page

UNITS_PER_EM = 1000
ADVANCE = 500  # every spacing character is half an em wide; the writer stretches words to fit
ASCENT = 800
FAMILY = "SudurText"
_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]")
_RUNS = re.compile(r"  +")


@dataclass(frozen=True)
class Placement:
    """A piece of text and the box (page-image pixels) it covers; ``vertical`` when it runs
    down a column (traditional Mongolian), so the writer turns it a quarter clockwise."""

    text: str
    box: Box
    vertical: bool = False


def _spacing(ch: str) -> bool:
    """Whether a character advances the pen: marks (Tibetan subjoined letters, vowel signs)
    and format characters (ZWJ, Mongolian variation selectors) sit on the one before."""
    return unicodedata.category(ch) not in ("Mn", "Me", "Cf")


def _printable(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn") or ch == " "


def clean(text: str) -> str:
    """The text as it is written into the PDF: controls (tabs, newlines) and unassigned or
    private-use code points dropped, since they have no reading to copy."""
    return "".join(ch for ch in text if _printable(ch))


def advance(text: str) -> float:
    """The width of ``text`` set at 1 unit of font size, before stretching."""
    return sum(ADVANCE for ch in text if _spacing(ch)) / UNITS_PER_EM


def _is_vertical(box: Box, text: str) -> bool:
    # A column taller than wide holding more than one letter: traditional Mongolian runs down.
    return box.h > box.w * 1.5 and len(text) > 1


def _flat(text: str) -> str:
    """A piece of the transcription on one line: line ends become spaces, runs of spaces one."""
    return _RUNS.sub(" ", clean(_BREAKS.sub(" ", text)))


def _boxed(page: Page) -> list:
    """The words with a box and a place in the transcription (a line's own box when none of
    its words has both), in reading order."""
    n = len(page.text)

    def usable(part) -> bool:
        b = part.box
        return b is not None and b.w > 0 and b.h > 0 and 0 <= part.start < part.end <= n

    parts = []
    for line in page.lines:
        words = [w for w in line.words if usable(w)]
        parts.extend(words or ([line] if usable(line) else []))
    return sorted(parts, key=lambda part: part.start)


def placements(page: Page, width: int, height: int) -> list[Placement]:
    """Where the text of ``page`` (image ``width`` x ``height`` px) goes in the PDF.

    With words (or lines) that have a box and a place in the transcription, the transcription
    is cut at their starts and each cut goes in its word's box: every character of the
    transcription is written once, including the separators between words and any text that
    OCR missed (with the word before it), so the layer reads as the transcription, not as the
    OCR's guess. OCR lines with boxes but no place in it are written as OCR read them; a
    transcription without boxes, as a block of lines down the page."""
    parts = _boxed(page)
    if parts:
        out = []
        for i, part in enumerate(parts):
            lo = 0 if i == 0 else part.start
            hi = parts[i + 1].start if i + 1 < len(parts) else len(page.text)
            text = _flat(page.text[lo:hi])
            if i + 1 == len(parts):
                text = text.rstrip()
            if text.strip():
                out.append(Placement(text, part.box, _is_vertical(part.box, text)))
        return out
    loose = [ln for ln in page.lines if ln.box is not None and ln.box.w > 0 and ln.box.h > 0]
    if loose:
        return [Placement(_flat(ln.text).strip(), ln.box, _is_vertical(ln.box, ln.text))
                for ln in loose if ln.box is not None and _flat(ln.text).strip()]
    return _block(page.text, width, height)


def _block(text: str, width: int, height: int) -> list[Placement]:
    """A transcription without boxes, as lines in bands down the page (a tenth of the page's
    height at most, so a short text does not fill it with giant letters)."""
    lines = [clean(t).strip() for t in text.splitlines()]
    lines = [t for t in lines if t]
    if not lines or width <= 0 or height <= 0:
        return []
    margin_x, margin_y = width // 20, height // 20
    band = max(1, min((height - 2 * margin_y) // len(lines), height // 10))
    return [Placement(t, Box(margin_x, margin_y + i * band, width - 2 * margin_x, band))
            for i, t in enumerate(lines)]


def characters(pieces: Iterable[Placement]) -> set[str]:
    return {ch for p in pieces for ch in p.text}


def text_font(chars: Iterable[str], path: Path) -> None:
    """Write to ``path`` a TrueType font with an empty glyph for each character of ``chars``
    (spacing ones ADVANCE units wide, marks and format characters zero)."""
    cps = sorted({ord(c) for c in chars if c != " "} | {0x20})
    names = [".notdef"] + [f"uni{cp:04X}" for cp in cps]
    fb = FontBuilder(UNITS_PER_EM, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({cp: f"uni{cp:04X}" for cp in cps})
    fb.setupGlyf({name: TTGlyphPen(None).glyph() for name in names})
    widths = {".notdef": (ADVANCE, 0)}
    widths.update({f"uni{cp:04X}": (ADVANCE if _spacing(chr(cp)) else 0, 0) for cp in cps})
    fb.setupHorizontalMetrics(widths)
    fb.setupHorizontalHeader(ascent=ASCENT, descent=ASCENT - UNITS_PER_EM)
    fb.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=ASCENT, sTypoDescender=ASCENT - UNITS_PER_EM,
                usWinAscent=ASCENT, usWinDescent=UNITS_PER_EM - ASCENT)
    fb.setupPost()
    fb.save(str(path))
