"""Drawing sample pages described as plain data (the pictures of ``sudur sample``).

library/sample.py decides what a sample page shows (texts, layout, where each line goes) and
describes it with the records below; ``render_page`` turns that description into PNG bytes and
``text_length``/``text_bbox``/``font_metrics`` answer the measurements the layout needs. No
Pillow object leaves this module. Text is laid out by raqm (Pillow's ImageFont.Layout.RAQM), so
Mongolian and Tibetan shape.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from ..errors import ImageError

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class FontSpec:
    """A font face at a pixel size, laid out by raqm (so Mongolian and Tibetan shape)."""

    path: str
    size: int
    index: int = 0  # face in a collection (.ttc)


@dataclass(frozen=True)
class Shape:
    """A figure on an 8-bit layer: ``kind`` is rectangle, rounded_rectangle, ellipse or line.

    ``xy`` is (x0, y0, x1, y1); ``fill``/``outline`` are layer values 0-255 (255 = full ink).
    """

    kind: str
    xy: tuple[float, float, float, float]
    fill: Optional[int] = None
    outline: Optional[int] = None
    width: int = 1
    radius: int = 0


@dataclass(frozen=True)
class TextRun:
    """Text drawn at ``xy`` with Pillow's anchor convention (``la``: left, ascender)."""

    xy: tuple[float, float]
    text: str
    font: FontSpec
    fill: int = 255
    language: Optional[str] = None
    anchor: Optional[str] = None


@dataclass
class Band:
    """A strip of ``size`` drawn on its own, then placed on a layer.

    ``turn`` = 90 turns it clockwise first (a vertical Mongolian column: the strip's start goes
    to the top) and the strip is merged with what is under it, keeping the stronger ink;
    ``turn`` = 0 pastes it masked by its own ink at ``at`` (x, y).
    """

    size: tuple[int, int]
    at: tuple[int, int]
    marks: list = field(default_factory=list)  # Shape | TextRun, in the strip's frame
    turn: int = 0


@dataclass(frozen=True)
class Paper:
    """A tinted leaf, darker towards ``edge`` at the rim, with a few stains placed by ``seed``."""

    base: RGB
    edge: RGB
    seed: int


@dataclass(frozen=True)
class Damage:
    """Paper worn away over ``box`` (x0, y0, x1, y1): a blurred patch with a ragged edge."""

    box: tuple[int, int, int, int]
    seed: int
    color: RGB = (163, 132, 92)


@dataclass
class PageDrawing:
    """A page: paper, damage on the paper, then two ink layers composited in their colours.

    Each layer is a list of Shape, TextRun and Band marks drawn in order onto an 8-bit
    coverage layer; ``ink`` is laid over the paper in ``ink_color``, then ``red`` in ``red_color``.
    """

    size: tuple[int, int]
    paper: Paper
    ink_color: RGB
    red_color: RGB
    ink: list = field(default_factory=list)
    red: list = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)


_FONT_CACHE: dict[FontSpec, ImageFont.FreeTypeFont] = {}
_FONT_LOCK = threading.Lock()


def _font(spec: FontSpec) -> ImageFont.FreeTypeFont:
    with _FONT_LOCK:
        font = _FONT_CACHE.get(spec)
        if font is None:
            try:
                font = ImageFont.truetype(spec.path, spec.size, index=spec.index,
                                          layout_engine=ImageFont.Layout.RAQM)
            except OSError as exc:
                raise ImageError(f"cannot load font {spec.path}: {exc}") from exc
            _FONT_CACHE[spec] = font
    return font


def font_metrics(font: FontSpec) -> tuple[int, int]:
    """(ascent, descent) of ``font`` in pixels. ImageError when the file cannot be loaded
    (e.g. a FreeType built without Brotli meets a WOFF2 file)."""
    return _font(font).getmetrics()


def font_face_names(path: Path, limit: int = 10) -> list[str]:
    """The family names of the faces in a font file, in index order (one for a plain font)."""
    names: list[str] = []
    for index in range(limit):
        try:
            names.append(ImageFont.truetype(str(path), 12, index=index).getname()[0] or "")
        except OSError:
            break
    return names


def text_length(font: FontSpec, text: str, language: Optional[str] = None) -> float:
    """The advance of ``text`` shaped in ``font`` (pixels along the line)."""
    return _font(font).getlength(text, language=language)


def text_bbox(font: FontSpec, text: str, language: Optional[str] = None,
              anchor: Optional[str] = None) -> tuple[int, int, int, int]:
    """The ink box (x0, y0, x1, y1) of ``text`` relative to its anchor point."""
    return _font(font).getbbox(text, language=language, anchor=anchor)


def _draw_marks(layer: Image.Image, marks: list) -> None:
    draw = ImageDraw.Draw(layer)
    for mark in marks:
        if isinstance(mark, TextRun):
            draw.text(mark.xy, mark.text, font=_font(mark.font), fill=mark.fill,
                      language=mark.language, anchor=mark.anchor)
        elif isinstance(mark, Shape):
            if mark.kind == "rectangle":
                draw.rectangle(mark.xy, fill=mark.fill, outline=mark.outline, width=mark.width)
            elif mark.kind == "rounded_rectangle":
                draw.rounded_rectangle(mark.xy, radius=mark.radius, fill=mark.fill,
                                       outline=mark.outline, width=mark.width)
            elif mark.kind == "ellipse":
                draw.ellipse(mark.xy, fill=mark.fill, outline=mark.outline, width=mark.width)
            elif mark.kind == "line":
                draw.line(mark.xy, fill=mark.fill, width=mark.width)
            else:
                raise ValueError(f"unknown shape {mark.kind!r}")
        elif isinstance(mark, Band):
            band = Image.new("L", mark.size, 0)
            _draw_marks(band, mark.marks)
            x, y = mark.at
            if mark.turn == 90:
                turned = band.rotate(-90, expand=True)
                region = (x, y, x + turned.width, y + turned.height)
                layer.paste(ImageChops.lighter(layer.crop(region), turned), region[:2])
            elif mark.turn == 0:
                layer.paste(band, (x, y), band)
            else:
                raise ValueError(f"a band turns 0 or 90 degrees, not {mark.turn}")
            draw = ImageDraw.Draw(layer)
        else:
            raise TypeError(f"not a mark: {type(mark).__name__}")


def _paper(paper: Paper, size: tuple[int, int]) -> Image.Image:
    w, h = size
    leaf = Image.new("RGB", size, paper.base)
    # radial_gradient is 0 at the centre and 255 at the rim of a 256 px square.
    vignette = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda p: max(0, p - 110) * 255 // 145 * 3 // 5)
    leaf = Image.composite(Image.new("RGB", size, paper.edge), leaf, vignette)
    stain_mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(stain_mask)
    state = paper.seed
    for _ in range(3):  # a seeded LCG: the same leaf on every run
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        cx = state % w
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        cy = state % h
        r = 30 + state % 90
        draw.ellipse((cx - r, cy - r * 3 // 4, cx + r, cy + r * 3 // 4), fill=36)
    stain_mask = stain_mask.filter(ImageFilter.BoxBlur(18))
    return Image.composite(Image.new("RGB", size, paper.edge), leaf, stain_mask)


def _damage(leaf: Image.Image, damage: Damage) -> None:
    x0, y0, x1, y1 = damage.box
    w, h, m = max(1, x1 - x0), max(1, y1 - y0), 18
    mask = Image.new("L", (w + 2 * m, h + 2 * m), 0)
    draw = ImageDraw.Draw(mask)
    draw.rounded_rectangle((m, m, m + w, m + h), radius=min(w, h) // 3, fill=190)
    state = damage.seed
    for _ in range(9):  # bites out of the edge, kept inside the margin
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        cx = m + state % w
        cy = m + (state >> 10) % h
        r = 6 + (state >> 5) % (m - 6)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=190)
    mask = mask.filter(ImageFilter.GaussianBlur(4))
    leaf.paste(Image.new("RGB", mask.size, damage.color), (x0 - m, y0 - m), mask)


def render_page(page: PageDrawing) -> bytes:
    """Draw ``page`` and return it as PNG bytes (the same bytes for the same description).

    Raises ImageError when a font of a TextRun cannot be loaded, ValueError/TypeError for a
    mark this function does not know.
    """
    leaf = _paper(page.paper, page.size)
    for damage in page.damage:
        _damage(leaf, damage)
    ink = Image.new("L", page.size, 0)
    red = Image.new("L", page.size, 0)
    _draw_marks(ink, page.ink)
    _draw_marks(red, page.red)
    leaf = Image.composite(Image.new("RGB", page.size, page.ink_color), leaf, ink)
    leaf = Image.composite(Image.new("RGB", page.size, page.red_color), leaf, red)
    buf = io.BytesIO()
    leaf.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
