"""The tile pyramid cut once at ingest, and the layout of its files.

``make_derivatives`` decodes a master once (codec.decode_master) and writes, in the folder the
store names for a page (``store.page_derived_dir``)::

    pyramid.json                 the Derivatives record below (read back by load_derivatives)
    tiles/<sf>/<col>_<row>.jpg   512 px JPEG tiles at every scale factor sf (1, 2, 4, ...):
                                 the tile grid of the Image API (region tile_size*sf square from
                                 (col, row)*tile_size*sf, cropped at the edge; pixel size
                                 ceil(region/sf)), so a tile request is one file read
    sizes/<w>x<h>.jpg            the whole image at each level no larger than SIZE_LIMIT px
    thumb.jpg                    the thumbnail, thumb_width px wide

Levels are made by halving the previous level (box filter, Image.reduce), never by going back to
the master, and the master is decoded once and converted to RGB or L once.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from PIL import Image

from ..iiif_image import tile_scale_factors
from . import codec

SIZE_LIMIT = 2048  # largest whole-image level written under sizes/


@dataclass
class Derivatives:
    """The pyramid cut for one page (also stored as pyramid.json)."""

    width: int
    height: int
    tile_size: int
    scale_factors: list[int]
    sizes: list[tuple[int, int]]
    files: list[str] = field(default_factory=list)  # relative to the derived folder
    mode: str = "RGB"  # of the derivatives: RGB or L
    thumbnail: tuple[int, int] = (0, 0)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Derivatives":
        d = json.loads(text)
        d["sizes"] = [tuple(s) for s in d["sizes"]]
        d["thumbnail"] = tuple(d.get("thumbnail", (0, 0)))
        return cls(**d)


# --- paths -------------------------------------------------------------------------------------

def tile_path(out_dir: Path, sf: int, col: int, row: int) -> Path:
    return Path(f"{out_dir}/tiles/{sf}/{col}_{row}.jpg")  # one parse: this is the hot path


def size_path(out_dir: Path, width: int, height: int) -> Path:
    return Path(f"{out_dir}/sizes/{width}x{height}.jpg")


def thumbnail_path(out_dir: Path) -> Path:
    return Path(out_dir) / "thumb.jpg"


def pyramid_path(out_dir: Path) -> Path:
    return Path(out_dir) / "pyramid.json"


def load_derivatives(out_dir: Path) -> Derivatives:
    """Read pyramid.json (FileNotFoundError if the pyramid was never cut)."""
    return Derivatives.from_json(pyramid_path(out_dir).read_text(encoding="utf-8"))


# --- cutting the pyramid -----------------------------------------------------------------------

def _save_jpeg(im: Image.Image, path: Path, files: list[str], out_dir: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=codec.JPEG_QUALITY)
    files.append(path.relative_to(out_dir).as_posix())


def make_derivatives(master: Path, out_dir: Path, *, tile_size: int = 512,
                     thumb_width: int = 200) -> Derivatives:
    """Decode ``master`` once and write the tile pyramid, whole-image sizes and thumbnail."""
    master, out_dir = Path(master), Path(out_dir)
    level = codec.decode_master(master, master.name)
    width, height = level.size
    factors = tile_scale_factors(width, height, tile_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    sizes: list[tuple[int, int]] = []
    thumb_source: Optional[Image.Image] = None
    for index, sf in enumerate(factors):
        if index:
            level = level.reduce(2)  # halves the previous level: ceil(W/sf) x ceil(H/sf)
        lw, lh = level.size
        for row in range(math.ceil(lh / tile_size)):
            for col in range(math.ceil(lw / tile_size)):
                box = (col * tile_size, row * tile_size,
                       min((col + 1) * tile_size, lw), min((row + 1) * tile_size, lh))
                tile = level if box == (0, 0, lw, lh) else level.crop(box)
                _save_jpeg(tile, tile_path(out_dir, sf, col, row), files, out_dir)
        if max(lw, lh) <= SIZE_LIMIT:
            _save_jpeg(level, size_path(out_dir, lw, lh), files, out_dir)
            sizes.append((lw, lh))
        if lw >= thumb_width or thumb_source is None:
            thumb_source = level  # the smallest level still at least thumb_width wide
    assert thumb_source is not None
    if thumb_source.width > thumb_width:
        # Rounded half up like the Image API parser, so "full/200,/0/default.jpg" is this file.
        th = max(1, (2 * height * thumb_width + width) // (2 * width))
        thumb = thumb_source.resize((thumb_width, th), Image.Resampling.LANCZOS)
    else:
        thumb = thumb_source
    _save_jpeg(thumb, thumbnail_path(out_dir), files, out_dir)
    if thumb.size not in sizes:
        sizes.append(thumb.size)
    derivs = Derivatives(width=width, height=height, tile_size=tile_size,
                         scale_factors=factors, sizes=sorted(sizes), files=files,
                         mode=level.mode, thumbnail=thumb.size)
    derivs.files.append(pyramid_path(out_dir).relative_to(out_dir).as_posix())
    pyramid_path(out_dir).write_text(derivs.to_json(), encoding="utf-8")
    return derivs
