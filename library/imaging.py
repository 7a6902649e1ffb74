"""All image decoding and encoding in Sudur (the only module that imports Pillow).

Ingest calls ``probe`` to check a master and ``make_derivatives`` to cut, once, the tile pyramid
that info.json announces; the viewer calls ``prebuilt_path``/``render`` to answer IIIF Image API
requests from those files, never from the master.

Derivative layout of one page (``out_dir`` is ``<item version>/derived/<order:04d>/``)::

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

import io
import json
import math
import os
import struct
import threading
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from PIL import (Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps,
                 UnidentifiedImageError)

from .errors import ImageError, LibraryError
from .iiif_image import ImageRequest, tile_scale_factors

# Decoders a master may use: the batch formats of DESIGN.md plus the usual web formats. Limiting
# them keeps Pillow's rarely used parsers away from untrusted files.
MASTER_FORMATS = ("JPEG", "PNG", "TIFF", "JPEG2000", "GIF", "WEBP", "BMP")
SIZE_LIMIT = 2048  # largest whole-image level written under sizes/
JPEG_QUALITY = 85
_SUFFIX = {"JPEG": {".jpg", ".jpeg", ".jpe"}, "PNG": {".png"}, "TIFF": {".tif", ".tiff"},
           "JPEG2000": {".jp2", ".j2k", ".jpx", ".jpf", ".j2c"}, "GIF": {".gif"},
           "WEBP": {".webp"}, "BMP": {".bmp"}}
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError,
                  ZeroDivisionError)

_OPEN_LOCK = threading.Lock()


def configure(max_pixels: int) -> None:
    """Set Pillow's decompression-bomb limit (Settings.max_master_pixels), deliberately, once
    per value. Images above it are refused with ImageError, never decoded."""
    if max_pixels <= 0:
        raise ValueError("max_pixels must be positive")
    Image.MAX_IMAGE_PIXELS = max_pixels


configure(250_000_000)  # Settings.max_master_pixels default; callers pass their setting


@dataclass
class ImageInfo:
    """What probe learnt of a master; width/height after EXIF orientation."""

    width: int
    height: int
    mode: str
    format: str
    frames: int = 1
    warnings: list[str] = field(default_factory=list)


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


DerivInfo = Derivatives  # the name the viewer uses for what render needs


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


# --- opening masters ---------------------------------------------------------------------------

def _limit_message(display_name: str, size: Optional[tuple[int, int]] = None) -> str:
    dims = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return (f"{display_name}: image{dims} is larger than the limit of "
            f"{Image.MAX_IMAGE_PIXELS:,} pixels (setting max_master_pixels)")


def _open(path, display_name: str, size_of: Optional[Path] = None) -> Image.Image:
    """Open (header only) refusing bombs cleanly: the warning Pillow gives between 1x and 2x its
    limit is turned into the same refusal as the error it raises beyond 2x."""
    try:
        # catch_warnings swaps process-wide state: one opener at a time (masters only).
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path, formats=MASTER_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageError(_limit_message(display_name), file=display_name) from exc
    except UnidentifiedImageError as exc:
        where = size_of or path
        size = os.path.getsize(where) if os.path.exists(where) else -1
        what = "is empty" if size == 0 else "is not an image Sudur can read (JPEG, PNG, TIFF, " \
                                            "JP2, GIF, WebP)"
        raise ImageError(f"{display_name} {what}", file=display_name) from exc
    except FileNotFoundError as exc:
        raise ImageError(f"{display_name} is missing", file=display_name) from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(f"{display_name} cannot be read: {exc}", file=display_name) from exc
    if im.width < 1 or im.height < 1:
        im.close()
        raise ImageError(f"{display_name} has no pixels", file=display_name)
    if im.width * im.height > Image.MAX_IMAGE_PIXELS:
        im.close()
        raise ImageError(_limit_message(display_name, im.size), file=display_name)
    return im


def _oriented_size(im: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    """``size`` as displayed: EXIF orientations 5 to 8 turn the image by 90 degrees."""
    try:
        orientation = im.getexif().get(0x0112, 1)
    except _DECODE_ERRORS:
        orientation = 1  # an unreadable EXIF block is not worth refusing the page for
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _load(im: Image.Image, display_name: str) -> None:
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise ImageError(f"{display_name} is truncated or corrupt: {exc}",
                         file=display_name) from exc


def probe(path: Path, display_name: str) -> ImageInfo:
    """Check that a master decodes completely; ImageError naming the file if not."""
    path = Path(path)
    im = _open(path, display_name)
    try:
        fmt = im.format or ""
        frames = getattr(im, "n_frames", 1)
        notes: list[str] = []
        suffix = path.suffix.lower()
        if suffix and fmt in _SUFFIX and suffix not in _SUFFIX[fmt]:
            notes.append(f"{display_name}: the file is {fmt} although its name ends in {suffix}")
        if frames > 1:
            notes.append(f"{display_name}: {fmt} has {frames} frames; only the first is used")
        if im.mode not in ("RGB", "L"):
            notes.append(f"{display_name}: {im.mode} image, shown as "
                         f"{'L' if _is_grey(im.mode) else 'RGB'}")
        profile = _icc_name(im)
        if profile and "srgb" not in profile.lower():
            # Converting pixels costs more than cutting the whole pyramid (a scanner's LUT
            # profile: 1.1 s of CPU per 24 MP), and a 600 KB profile cannot ride in every tile.
            notes.append(f"{display_name}: colour profile {profile!r} is not applied; "
                         "derivatives keep the stored RGB values")
        mode = im.mode
        raw_size = im.size  # before draft() shrinks it
        if fmt == "JPEG":
            # DCT scaling still walks every entropy-coded byte, so truncation is caught at an
            # eighth of the memory and time of a full decode.
            im.draft(im.mode, (max(1, im.width // 8), max(1, im.height // 8)))
        _load(im, display_name)
        width, height = _oriented_size(im, raw_size)
        return ImageInfo(width=width, height=height, mode=mode, format=fmt, frames=frames,
                         warnings=notes)
    finally:
        im.close()


def _icc_name(im: Image.Image) -> str:
    data = im.info.get("icc_profile")
    if not data:
        return ""
    try:
        from PIL import ImageCms
    except ImportError:  # Pillow built without LittleCMS
        return "embedded"
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data))).strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        return f"unreadable ({exc.__class__.__name__})"


def _is_grey(mode: str) -> bool:
    return mode in ("1", "L", "LA", "La", "I", "F") or mode.startswith("I;16")


def _normalise(im: Image.Image) -> Image.Image:
    """Convert a decoded master to RGB or L (8-bit) once."""
    mode = im.mode
    if mode in ("RGB", "L"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        # Pillow's convert("L") clips 16-bit values at 255; scale 0..65535 to 0..255 instead.
        wide = im.convert("I") if mode.startswith("I;16") else im
        if mode == "F":
            return wide.point(lambda v: v * 255.0).convert("L")
        return wide.point(lambda v: v * (1 / 257.0)).convert("L")
    if mode in ("LA", "La", "PA", "RGBA", "RGBa", "P") and (
            mode != "P" or "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        flat = background.convert("RGB")
        return flat.convert("L") if mode in ("LA", "La") else flat
    return im.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _decode_master(master: Path, display_name: str) -> Image.Image:
    try:
        fh = open(master, "rb")
    except FileNotFoundError as exc:
        raise ImageError(f"{display_name} is missing", file=display_name) from exc
    # Pillow leaves a file object it was given open and the decoded pixels alive after the
    # file closes, so the master is held once, not copied to escape im.close().
    with fh:
        im = _open(fh, display_name, size_of=master)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        _load(im, display_name)
    try:
        ImageOps.exif_transpose(im, in_place=True)  # no copy of a 100-MP page when upright
    except _DECODE_ERRORS:
        pass  # unreadable EXIF: keep the pixels as stored (probe said the same)
    return _normalise(im)


# --- cutting the pyramid -----------------------------------------------------------------------

def _save_jpeg(im: Image.Image, path: Path, files: list[str], out_dir: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=JPEG_QUALITY)
    files.append(path.relative_to(out_dir).as_posix())


def make_derivatives(master: Path, out_dir: Path, *, tile_size: int = 512,
                     thumb_width: int = 200) -> Derivatives:
    """Decode ``master`` once and write the tile pyramid, whole-image sizes and thumbnail."""
    master, out_dir = Path(master), Path(out_dir)
    level = _decode_master(master, master.name)
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


# --- answering requests ------------------------------------------------------------------------

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


def _open_tile(path: Path) -> Image.Image:
    try:
        with Image.open(path, formats=("JPEG",)) as im:
            im.load()
            return im
    except FileNotFoundError as exc:
        raise LibraryError(f"derived tile {path.name} is missing; re-ingest the item") from exc
    except _DECODE_ERRORS as exc:
        raise LibraryError(f"derived tile {path.name} is unreadable: {exc}") from exc


def _extract(req: ImageRequest, derived_dir: Path, info: Derivatives) -> Image.Image:
    """The region at the requested size, assembled from the nearest level's tiles."""
    x, y, w, h = req.region
    ow, oh = req.size
    scale = max(ow / w, oh / h)
    # The coarsest level still at least as detailed as the output (never upsample a level).
    sf = max([s for s in info.scale_factors if s * scale <= 1 + 1e-9] or [1])
    ts = info.tile_size
    lw, lh = math.ceil(info.width / sf), math.ceil(info.height / sf)
    fx0, fy0, fx1, fy1 = x / sf, y / sf, min((x + w) / sf, lw), min((y + h) / sf, lh)
    c0, r0 = int(fx0) // ts, int(fy0) // ts
    c1 = min(math.ceil(fx1) - 1, lw - 1) // ts
    r1 = min(math.ceil(fy1) - 1, lh - 1) // ts
    ox, oy = c0 * ts, r0 * ts
    if c0 == c1 and r0 == r1:
        canvas = _open_tile(tile_path(derived_dir, sf, c0, r0))
    else:
        canvas = Image.new(info.mode, (min((c1 + 1) * ts, lw) - ox, min((r1 + 1) * ts, lh) - oy))
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                canvas.paste(_open_tile(tile_path(derived_dir, sf, col, row)),
                             (col * ts - ox, row * ts - oy))
    box = (fx0 - ox, fy0 - oy, fx1 - ox, fy1 - oy)
    if all(float(v).is_integer() for v in box) and (ow, oh) == (box[2] - box[0], box[3] - box[1]):
        return canvas.crop(tuple(int(v) for v in box))
    return canvas.resize((ow, oh), Image.Resampling.LANCZOS, box=box)


_ALPHA_FORMATS = ("png", "webp", "tif")
_SAVE = {"jpg": ("JPEG", {"quality": JPEG_QUALITY}),
         "png": ("PNG", {"compress_level": 4}),
         "webp": ("WEBP", {"quality": 80}),
         "tif": ("TIFF", {"compression": "tiff_deflate"}),
         "gif": ("GIF", {}),
         "jp2": ("JPEG2000", {"irreversible": True, "quality_mode": "rates",
                              "quality_layers": [20]}),
         "pdf": ("PDF", {"resolution": 72.0})}


def _flatten(im: Image.Image) -> Image.Image:
    if im.mode not in ("RGBA", "LA"):
        return im
    background = Image.new("RGBA", im.size, (255, 255, 255, 255))
    background.alpha_composite(im.convert("RGBA"))
    return background.convert("RGB" if im.mode == "RGBA" else "L")


def encode(im: Image.Image, fmt: str) -> bytes:
    """Encode an image in one of the Image API formats (keys of iiif_image.FORMATS)."""
    pil_format, options = _SAVE[fmt]
    if fmt not in _ALPHA_FORMATS:
        im = _flatten(im)
    if im.mode == "1" and fmt in ("jpg", "webp", "jp2"):
        im = im.convert("L")
    buf = io.BytesIO()
    im.save(buf, pil_format, **options)
    return buf.getvalue()


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
        if req.format in _ALPHA_FORMATS and req.quality != "bitonal":
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
    return encode(im, req.format)


# --- drawing: pages described as plain data ------------------------------------------------------
#
# library/sample.py decides what a sample page shows (texts, layout, where each line goes) and
# describes it with the records below; ``render_page`` turns that description into PNG bytes and
# ``text_length``/``text_bbox``/``font_metrics`` answer the measurements the layout needs. No
# Pillow object leaves this module.

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
