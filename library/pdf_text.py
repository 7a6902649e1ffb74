"""The invisible text layer of a downloaded PDF: where each piece of a page's text goes, and the
font it is written in.

``placements`` turns a page's OCR or TEI text into ``Placement``s in page-image pixels: every
word with a box in its box (when a line's words are all boxed), else every boxed line in its box,
else the transcription as one block of lines spread over the page. ``text_font`` writes the font
they are set in: one empty ("glyphless") glyph per character the document uses, so every
character of every script (Tibetan stacks, Mongolian with its variation selectors, CJK beyond
the BMP) has a glyph, and the PDF's ToUnicode map, written by the PDF library from the font's
cmap, gives back exactly the transcription when the text is searched or copied. The text is
drawn in render mode 3 (invisible), so glyph shapes never show and need no shaping.

Why not a Noto font: fpdf2 writes the CJK Noto faces (CID-keyed CFF in fonts-noto-cjk) with an
encoding CMap that pdfminer.six cannot read and pypdf spaces apart, and no single face covers
Tibetan, Mongolian and Han; the generated font has none of those gaps (docs/benchmarks-
downloads.md). Relies on fontTools' FontBuilder (a dependency of fpdf2, pinned in setup.cfg).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from .models import Box, Line, Page

UNITS_PER_EM = 1000
ADVANCE = 500  # every spacing character is half an em wide; the writer stretches words to fit
ASCENT = 800
FAMILY = "SudurText"
# Words are apart where spaces are; U+202F, before a Mongolian suffix, joins it to its word.
_SPACES = re.compile(r"[ \t\r\n\u3000]+")


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


def _boxed_words(line: Line, text: str) -> Optional[list[Placement]]:
    """The line's words in their boxes, when every word has one and they hold every word of
    the line (a line with only some words boxed is placed whole instead). Each word carries
    the separator that follows it in the page's text (a space, or the narrow no-break space
    before a Mongolian suffix), so copied words do not run together."""
    words = [w for w in line.words if clean(w.text).strip()]
    if not words or any(w.box is None or w.box.w <= 0 or w.box.h <= 0 for w in words):
        return None
    if len(words) < len(_SPACES.split(clean(line.text).strip())):
        return None
    out = []
    for n, word in enumerate(words):
        sep = ""
        if n + 1 < len(words):
            after = words[n + 1].start
            known = 0 <= word.end <= after <= len(text)
            sep = clean(text[word.end:after]) if known else " "
        assert word.box is not None
        out.append(Placement(clean(word.text) + sep, word.box,
                             _is_vertical(word.box, word.text)))
    return out


def placements(page: Page, width: int, height: int) -> list[Placement]:
    """Where the text of ``page`` (image ``width`` x ``height`` px) goes in the PDF."""
    boxed = [ln for ln in page.lines if ln.box is not None and ln.box.w > 0 and ln.box.h > 0]
    if boxed:
        out: list[Placement] = []
        for line in boxed:
            words = _boxed_words(line, page.text)
            if words is not None:
                out.extend(words)
            elif clean(line.text).strip():
                assert line.box is not None
                out.append(Placement(clean(line.text), line.box,
                                     _is_vertical(line.box, line.text)))
        return out
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
