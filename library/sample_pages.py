"""The sample's page images, described as data: what each page shows and where.

What the images show. A page shows its ``<head>`` (in red on the Mongolian and Tibetan leaves)
and then its lines, one per ``<lb/>``. ``<choice>`` draws the scribe's form (``orig`` or ``sic``),
``<unclear>`` faint ink, ``<gap/>`` a damaged patch of paper; ``<note>`` is the editor's and is not
drawn. Along with the drawing, each layout returns the lines as drawn (``Drawn``: text, word
boxes, confidences) for the OCR files of ``library.sample_ocr``.

Layouts: traditional Mongolian (Hudum, Todo, Manchu) in vertical columns running left to right, each
column shaped horizontally by raqm and turned 90 degrees clockwise (Mongolian fonts draw their
glyphs for that; raqm's top-to-bottom direction stacks the letters unjoined); Tibetan in
horizontal lines on a landscape pothi folio about 3:1 with a ruled frame; Chinese in columns
running right to left, one character a cell. Paper texture and damage are seeded from the item
id and page label, so a page is the same bytes on every run.

This module relies on ``library.imaging`` for everything Pillow does: it describes each page as
an ``imaging.PageDrawing`` (paper, rules, text runs, column bands, damage) and measures text with
``imaging.text_length``/``text_bbox``/``font_metrics``; ``imaging.render_page`` draws it.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Callable, Optional

from lxml import etree

from .imaging import (Band, Damage, FontSpec, PageDrawing, Paper, Shape, TextRun, font_metrics,
                      text_bbox, text_length)
from .models import Box, Word, union_boxes
from .sample_fonts import Fonts
from .sample_items import ItemSpec, PageSpec
from .sample_tei import TEI_NS, parse_fragment

_INK = (38, 30, 24)
_RED = (168, 42, 30)


@dataclass
class Drawn:
    """One written line as drawn: its text (what the scribe wrote) and boxes on the page."""

    text: str
    box: Optional[Box]
    words: list[Word]
    confidence: list[float]  # per word: lower where the ink is faint (<unclear>)


Rendered = tuple[PageDrawing, list[Drawn]]  # a page's drawing and its lines as drawn


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode("utf-8"))


@dataclass
class Seg:
    """A stretch of one written line: plain ink, faint ink, or a damaged gap (no text)."""

    kind: str  # "text", "unclear" or "gap"
    text: str = ""


def segments(fragment: str) -> list[Seg]:
    """What the scribe wrote in one line fragment: text, faint text, damaged gaps."""
    root = parse_fragment(fragment)
    segs: list[Seg] = []

    def add(kind: str, text: Optional[str]) -> None:
        if not text:
            return
        if segs and segs[-1].kind == kind == "text":
            segs[-1].text += text
        else:
            segs.append(Seg(kind, text))

    add("text", root.text)
    for child in root:
        name = etree.QName(child).localname
        if name == "choice":
            shown = child.find(f"{{{TEI_NS}}}orig")
            if shown is None:
                shown = child.find(f"{{{TEI_NS}}}sic")
            add("text", "".join(shown.itertext()) if shown is not None else "")
        elif name == "unclear":
            add("unclear", "".join(child.itertext()))
        elif name == "gap":
            segs.append(Seg("gap"))
        elif name == "note":
            pass  # the editor's, not on the leaf
        else:
            add("text", "".join(child.itertext()))
        add("text", child.tail)
    return segs


def _words_in(text: str, splitter: re.Pattern[str]) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in splitter.finditer(text)]


_SPACE_WORDS = re.compile(r"[^ ]+")
# a syllable with its tsheg or shad, or a shad standing alone after a space
_TIBETAN_WORDS = re.compile(r"[^\s་།]+(?:་|།+)?|།+")


class _Strip:
    """Lays out one line of text along its length: shaped segments, gaps, word extents.

    Coordinates are along the line (u) and across it (v), in the frame of a horizontal strip
    whose top edge is v = 0; the callers map them onto the page.
    """

    def __init__(self, font: Optional[FontSpec], language: str, splitter: re.Pattern[str]) -> None:
        self.font = font
        self.language = language
        self.splitter = splitter

    def length(self, segs: list[Seg], size: int) -> float:
        total = 0.0
        for seg in segs:
            if seg.kind == "gap":
                total += 2 * size
            elif self.font is not None:
                total += text_length(self.font, seg.text, self.language)
            else:
                total += 0.55 * size * len(seg.text)
        return total

    def draw(self, marks: list, segs: list[Seg], size: int, v0: int, damage: list[tuple]) -> list[
            tuple[str, float, float, float, float, float]]:
        """Append the marks drawing ``segs`` (255 = full ink) from u = 0 at v0 to ``marks``.

        Returns the words as (text, u0, u1, v0, v1, confidence) and appends the gaps' extents
        to ``damage`` as (u0, u1).
        """
        u = 0.0
        words: list[tuple[str, float, float, float, float, float]] = []
        for seg in segs:
            if seg.kind == "gap":
                damage.append((u, u + 2 * size))
                u += 2 * size
                continue
            fill = 255 if seg.kind == "text" else 105
            confidence = 0.95 if seg.kind == "text" else 0.4
            if self.font is None:
                self._blocks(marks, seg.text, u, v0, size, fill, words, confidence)
            else:
                marks.append(TextRun((u, v0), seg.text, self.font, fill, self.language))
                for start, word in _words_in(seg.text, self.splitter):
                    before = text_length(self.font, seg.text[:start], self.language)
                    bx0, by0, bx1, by1 = text_bbox(self.font, word, self.language)
                    words.append((word, u + before + bx0, u + before + bx1, v0 + by0, v0 + by1,
                                  confidence))
                u += text_length(self.font, seg.text, self.language)
                continue
            u += 0.55 * size * len(seg.text)
        return words

    def _blocks(self, marks: list, text: str, u: float, v0: int, size: int, fill: int,
                words: list, confidence: float) -> None:
        # No font for this script: a block per word keeps the page's shape and boxes.
        for start, word in _words_in(text, self.splitter):
            a = u + 0.55 * size * start
            b = a + 0.55 * size * len(word)
            top, bottom = v0 + size * 0.3, v0 + size * 1.1
            marks.append(Shape("rounded_rectangle", (a, top, b, bottom), fill=fill,
                               radius=size // 5))
            words.append((word, a, b, top, bottom, confidence))


def page_lines(page: PageSpec) -> list[tuple[str, list[Seg]]]:
    lines: list[tuple[str, list[Seg]]] = []
    if page.head is not None:
        lines.append(("head", segments(page.head)))
    lines.extend(("line", segments(fragment)) for fragment in page.lines)
    return lines


def seg_text(segs: list[Seg]) -> str:
    return "".join(seg.text if seg.kind != "gap" else " " for seg in segs).strip()


def _drawn(text: str, words: list[Word], confidence: list[float]) -> Drawn:
    return Drawn(text=text, box=union_boxes([w.box for w in words if w.box]), words=words,
                  confidence=confidence)


def _page_size(fonts: Fonts, script: str, language: str, splitter: re.Pattern[str],
               lines: list[tuple[str, list[Seg]]], base: int, room: float) -> int:
    """One type size for the whole page: the largest up to ``base`` at which every line fits
    (fonts differ from machine to machine, so this is measured, not assumed)."""
    size = base
    for _kind, segs in lines:
        length = _Strip(fonts.get(script, base), language, splitter).length(segs, base)
        if length > room:
            size = min(size, max(8, int(base * room / length) - 1))
    return size


def _page(size_px: tuple[int, int], base: tuple[int, int, int], edge: tuple[int, int, int],
          spec: ItemSpec, page: PageSpec) -> PageDrawing:
    return PageDrawing(size=size_px, paper=Paper(base, edge, _seed(spec.id, page.label)),
                       ink_color=_INK, red_color=_RED)


def render_mongolian(spec: ItemSpec, page: PageSpec, fonts: Fonts) -> Rendered:
    """A portrait page with vertical columns running left to right."""
    size_px = (1000, 1500)
    width, height = size_px
    sheet = _page(size_px, (238, 226, 196), (196, 170, 126), spec, page)
    sheet.ink.append(Shape("rectangle", (60, 60, width - 61, height - 61), outline=230, width=3))
    sheet.ink.append(Shape("rectangle", (70, 70, width - 71, height - 71), outline=200, width=1))
    language = {"mn-Mong": "mn", "xal-Mong": "xal", "mnc-Mong": "mnc"}.get(spec.lang, "mn")
    pitch = 112
    x_left, top, bottom = 104, 110, height - 110
    room = bottom - top
    lines = page_lines(page)
    size = _page_size(fonts, "Mong", language, _SPACE_WORDS, lines, 58, room)
    strip = _Strip(fonts.get("Mong", size), language, _SPACE_WORDS)
    drawn: list[Drawn] = []
    for column, (kind, segs) in enumerate(lines):
        x = x_left + column * pitch
        # the column is laid out as a horizontal band, then turned clockwise onto the page
        band = Band(size=(room, pitch), at=(x, top), turn=90)
        if strip.font is not None:
            ascent, descent = font_metrics(strip.font)
            v0 = (pitch - ascent - descent) // 2 + size // 8
        else:
            v0 = (pitch - int(size * 1.4)) // 2
        gaps: list[tuple] = []
        words = strip.draw(band.marks, segs, size, v0, gaps)
        (sheet.red if kind == "head" else sheet.ink).append(band)

        # (u, v) on the band -> (x + pitch - v, top + u) on the page
        def to_page(u0: float, u1: float, v_lo: float, v_hi: float) -> Box:
            bx0, bx1 = x + pitch - int(round(v_hi)), x + pitch - int(round(v_lo))
            by0, by1 = top + int(round(u0)), top + int(round(u1))
            return Box(bx0, by0, max(1, bx1 - bx0), max(1, by1 - by0))

        word_recs = [Word(text=w, box=to_page(u0, u1, vl, vh)) for w, u0, u1, vl, vh, _ in words]
        for n, (u0, u1) in enumerate(gaps):
            box = to_page(u0, u1, v0 + size * 0.4, v0 + size * 1.5)
            sheet.damage.append(Damage((box.x, box.y, box.x + box.w, box.y + box.h),
                                       _seed(spec.id, page.label, str(column), str(n))))
        drawn.append(_drawn(seg_text(segs), word_recs, [w[5] for w in words]))
    return sheet, drawn


def render_tibetan(spec: ItemSpec, page: PageSpec, fonts: Fonts) -> Rendered:
    """A landscape pothi folio (3:1) with a double frame and side panels; lines run across."""
    size_px = (1800, 600)
    width, height = size_px
    sheet = _page(size_px, (232, 214, 172), (190, 160, 110), spec, page)
    rules = sheet.red
    rules.append(Shape("rectangle", (40, 40, width - 41, height - 41), outline=220, width=3))
    rules.append(Shape("rectangle", (48, 48, width - 49, height - 49), outline=200, width=1))
    for x in (170, width - 171):
        rules.append(Shape("line", (x, 48, x, height - 49), fill=200, width=2))
    for cx in (109, width - 110):  # the string holes of the pothi, drawn in the side panels
        rules.append(Shape("ellipse", (cx - 22, height // 2 - 22, cx + 22, height // 2 + 22),
                           outline=200, width=2))
    x_left, x_right, top = 196, width - 196, 70
    room = x_right - x_left
    lines = page_lines(page)
    drawn: list[Drawn] = []
    if not page.lines:
        # A title leaf: the head alone, large, in the middle.
        segs = lines[0][1]
        size = _page_size(fonts, "Tibt", "bo", _TIBETAN_WORDS, lines, 58, room)
        strip = _Strip(fonts.get("Tibt", size), "bo", _TIBETAN_WORDS)
        length = strip.length(segs, size)
        x0 = int(x_left + (room - length) / 2)
        y = height // 2 - int(size * 1.1)
        band = Band(size=(room, int(size * 2.6)), at=(x0, y))
        words = strip.draw(band.marks, segs, size, 0, [])
        sheet.ink.append(band)
        word_recs = [Word(text=w, box=_box(x0 + u0, y + vl, x0 + u1, y + vh))
                     for w, u0, u1, vl, vh, _ in words]
        drawn.append(_drawn(seg_text(segs), word_recs, [w[5] for w in words]))
    else:
        pitch = (height - 2 * top) // max(5, len(lines))
        size = _page_size(fonts, "Tibt", "bo", _TIBETAN_WORDS, lines, 36, room)
        strip = _Strip(fonts.get("Tibt", size), "bo", _TIBETAN_WORDS)
        for row, (kind, segs) in enumerate(lines):
            y = top + row * pitch
            band = Band(size=(room, pitch), at=(x_left, y))
            v0 = 6
            gaps: list[tuple] = []
            words = strip.draw(band.marks, segs, size, v0, gaps)
            (sheet.red if kind == "head" else sheet.ink).append(band)
            word_recs = [Word(text=w, box=_box(x_left + u0, y + vl, x_left + u1, y + vh))
                         for w, u0, u1, vl, vh, _ in words]
            for n, (u0, u1) in enumerate(gaps):
                sheet.damage.append(Damage((int(x_left + u0), y + 14, int(x_left + u1),
                                            y + pitch - 14),
                                           _seed(spec.id, page.label, str(row), str(n))))
            drawn.append(_drawn(seg_text(segs), word_recs, [w[5] for w in words]))
    return sheet, drawn


def _box(x0: float, y0: float, x1: float, y1: float) -> Box:
    ix0, iy0 = int(round(x0)), int(round(y0))
    return Box(ix0, iy0, max(1, int(round(x1)) - ix0), max(1, int(round(y1)) - iy0))


def render_chinese(spec: ItemSpec, page: PageSpec, fonts: Fonts) -> Rendered:
    """A portrait sheet ruled in red columns; characters run down, columns right to left."""
    size_px = (1100, 1500)
    width, height = size_px
    sheet = _page(size_px, (242, 234, 214), (205, 186, 150), spec, page)
    left, right, top, bottom = 90, width - 90, 90, height - 90
    pitch = 115
    columns = (right - left) // pitch
    right = left + columns * pitch
    sheet.red.append(Shape("rectangle", (left, top, right, bottom), outline=210, width=3))
    for n in range(1, columns):
        sheet.red.append(Shape("line", (right - n * pitch, top, right - n * pitch, bottom),
                               fill=170, width=1))
    size, cell = 62, 70
    font = fonts.get("Hani", size)
    drawn: list[Drawn] = []
    for column, (kind, segs) in enumerate(page_lines(page)):
        cx = right - column * pitch - pitch // 2
        y = top + 40 + (cell if kind == "line" else 0)  # lines sit one cell below the head
        words: list[Word] = []
        confidence: list[float] = []
        for seg in segs:
            if seg.kind == "gap":
                sheet.damage.append(Damage((cx - cell // 2, y, cx + cell // 2, y + 2 * cell),
                                           _seed(spec.id, page.label, str(column))))
                y += 2 * cell
                continue
            fill = 255 if seg.kind == "text" else 105
            for ch in seg.text:
                if font is not None:
                    sheet.ink.append(TextRun((cx, y), ch, font, fill, "zh-Hant", "mt"))
                    bx0, by0, bx1, by1 = text_bbox(font, ch, "zh-Hant", "mt")
                    box = _box(cx + bx0, y + by0, cx + bx1, y + by1)
                else:
                    box = _box(cx - size // 2, y + 4, cx + size // 2, y + size)
                    sheet.ink.append(Shape("rectangle", (box.x, box.y, box.x + box.w,
                                                         box.y + box.h), fill=fill))
                words.append(Word(text=ch, box=box))
                confidence.append(0.95 if seg.kind == "text" else 0.4)
                y += cell
        drawn.append(_drawn(seg_text(segs), words, confidence))
    return sheet, drawn


RENDERERS: dict[str, Callable[[ItemSpec, PageSpec, Fonts], Rendered]] = {
    "mong": render_mongolian, "tibt": render_tibetan, "hani": render_chinese}


def render(spec: ItemSpec, page: PageSpec, fonts: Fonts) -> Rendered:
    """One page of ``spec`` in the layout of its script."""
    return RENDERERS[spec.layout](spec, page, fonts)
