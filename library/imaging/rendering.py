"""Answering an Image API request from a page's pyramid, never from its master.

``prebuilt_path`` names the pre-cut file that is exactly a request (a tile, a whole-image size,
the thumbnail); ``render`` builds any other request from the nearest level: the whole-image
file of that level when the region is the full image and one was written, else its tiles.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from PIL import Image

from ..errors import LibraryError
from ..iiif_image import ImageRequest
from . import codec
from .pyramid import Derivatives, size_path, thumbnail_path, tile_path


def _native_qualities(mode: str) -> tuple[str, ...]:
    return ("default", "color", "gray") if mode == "L" else ("default", "color")


def prebuilt_path(req: ImageRequest, derived_dir: Path, info: Derivatives) -> Optional[Path]:
    """The pre-cut file that is exactly this request, if there is one."""
    if (req.format != "jpg" or req.mirror or req.rotation % 360
            or req.quality not in _native_qualities(info.mode)):
        return None
    x, y, w, h = req.region
    ow, oh = req.size
    if (x, y, w, h) == (0, 0, info.width, info.height):
        if (ow, oh) == tuple(info.thumbnail):
            return thumbnail_path(derived_dir)
        if (ow, oh) in info.sizes:
            return size_path(derived_dir, ow, oh)
    for sf in info.scale_factors:
        span = info.tile_size * sf
        if x % span or y % span:
            continue
        if (w == min(span, info.width - x) and h == min(span, info.height - y)
                and ow == math.ceil(w / sf) and oh == math.ceil(h / sf)):
            return tile_path(derived_dir, sf, x // span, y // span)
    return None


def _level(info: Derivatives, scale: float) -> int:
    """The coarsest scale factor still at least as detailed as the output (a level is never
    upsampled); 1 when the output is larger than the full image."""
    return max([s for s in info.scale_factors if s * scale <= 1 + 1e-9] or [1])


def _whole_level(derived_dir: Path, size: tuple[int, int]) -> Optional[Image.Image]:
    """A level's whole-image file (one decode instead of a mosaic of tiles), if it is there."""
    try:
        return codec.open_tile(size_path(derived_dir, *size))
    except LibraryError:
        return None  # the tiles hold the same level


def _mosaic(derived_dir: Path, info: Derivatives, sf: int,
            box: tuple[int, int, int, int]) -> Image.Image:
    """The pixels of ``box`` (x0, y0, x1, y1 in level ``sf``) pasted together from its tiles;
    paste clips each tile to the canvas, so nothing outside ``box`` is copied."""
    ts = info.tile_size
    x0, y0, x1, y1 = box
    c0, r0, c1, r1 = x0 // ts, y0 // ts, (x1 - 1) // ts, (y1 - 1) // ts
    if c0 == c1 and r0 == r1:
        tile = codec.open_tile(tile_path(derived_dir, sf, c0, r0))
        ox, oy = c0 * ts, r0 * ts
        inner = (x0 - ox, y0 - oy, x1 - ox, y1 - oy)
        return tile if inner == (0, 0, *tile.size) else tile.crop(inner)
    canvas = Image.new(info.mode, (x1 - x0, y1 - y0))
    for row in range(r0, r1 + 1):
        for col in range(c0, c1 + 1):
            canvas.paste(codec.open_tile(tile_path(derived_dir, sf, col, row)),
                         (col * ts - x0, row * ts - y0))
    return canvas


def _extract(req: ImageRequest, derived_dir: Path, info: Derivatives) -> Image.Image:
    """The region at the requested size, from the nearest level, with at most one resize."""
    x, y, w, h = req.region
    ow, oh = req.size
    sf = _level(info, max(ow / w, oh / h))
    ts = info.tile_size
    lw, lh = math.ceil(info.width / sf), math.ceil(info.height / sf)
    fx0, fy0, fx1, fy1 = x / sf, y / sf, min((x + w) / sf, lw), min((y + h) / sf, lh)
    exact = (all(float(v).is_integer() for v in (fx0, fy0, fx1, fy1))
             and (ow, oh) == (fx1 - fx0, fy1 - fy0))
    if exact:  # a crop of the level: only the pixels asked for are decoded and copied
        return _mosaic(derived_dir, info, sf, (int(fx0), int(fy0), int(fx1), int(fy1)))
    canvas = None
    if (x, y, w, h) == (0, 0, info.width, info.height) and (lw, lh) in info.sizes:
        canvas = _whole_level(derived_dir, (lw, lh))
    if canvas is None:
        # Whole tiles around the region, so the filter sees real pixels past its edges.
        ox, oy = int(fx0) // ts * ts, int(fy0) // ts * ts
        ex = min((math.ceil(fx1) - 1) // ts * ts + ts, lw)
        ey = min((math.ceil(fy1) - 1) // ts * ts + ts, lh)
        canvas = _mosaic(derived_dir, info, sf, (ox, oy, ex, ey))
    else:
        ox = oy = 0
    return canvas.resize((ow, oh), Image.Resampling.LANCZOS,
                         box=(fx0 - ox, fy0 - oy, fx1 - ox, fy1 - oy))


def render(req: ImageRequest, derived_dir: Path, info: Derivatives) -> bytes:
    """Build any valid image request from the pyramid (region, size, mirror, rotation,
    quality, format, in the order of section 4.6)."""
    pre = prebuilt_path(req, derived_dir, info)
    if pre is not None:
        try:
            return pre.read_bytes()
        except FileNotFoundError:
            pass  # fall through and build it from the tiles
    im = _extract(req, Path(derived_dir), info)
    if req.mirror:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    degrees = req.rotation % 360
    if degrees in (90, 180, 270):
        im = im.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                           270: Image.Transpose.ROTATE_90}[int(degrees)])
    elif degrees:
        # Transparent corners where the format has alpha (the spec's recommendation), else white
        # like the paper of the page.
        if req.format in codec.ALPHA_FORMATS and req.quality != "bitonal":
            im = im.convert("LA" if im.mode == "L" else "RGBA")
            fill: int | tuple[int, ...] = (255, 0) if im.mode == "LA" else (255, 255, 255, 0)
        else:
            fill = 255 if im.mode == "L" else (255, 255, 255)
        im = im.rotate(-degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if req.quality == "gray":
        im = im.convert("LA" if im.mode in ("RGBA", "LA") else "L")
    elif req.quality == "bitonal":
        # A plain threshold keeps strokes crisp; dithering would speckle the paper.
        im = im.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1")
    return codec.encode(im, req.format)
