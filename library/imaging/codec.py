"""Decoding masters and encoding answers: every call into Pillow's codecs for Sudur's images.

Masters are opened only through ``open_master`` (a fixed list of decoders, Pillow's
decompression-bomb limit set once by ``configure``, every decoder failure turned into ImageError
naming the file), decoded once by ``decode_master`` into RGB or L, and checked by ``probe``.
Derived tiles, which Sudur wrote itself, are read by ``open_tile``; ``encode`` writes any Image
API format. Relies on Pillow's ``Image.MAX_IMAGE_PIXELS`` and its DecompressionBomb warning/error
pair, and on ``Image.draft`` for JPEG DCT scaling. A JPEG 2000 master's codestream is walked by
``jpeg2000.read_layout`` before it is decoded, because OpenJPEG fills missing tiles with black.
"""
from __future__ import annotations

import io
import os
import struct
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Optional

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError, LibraryError
from .jpeg2000 import CodestreamError, read_layout

# Decoders a master may use: the batch formats of DESIGN.md plus the usual web formats. Limiting
# them keeps Pillow's rarely used parsers away from untrusted files.
MASTER_FORMATS = ("JPEG", "PNG", "TIFF", "JPEG2000", "GIF", "WEBP", "BMP")
JPEG_QUALITY = 85
_SUFFIX = {"JPEG": {".jpg", ".jpeg", ".jpe"}, "PNG": {".png"}, "TIFF": {".tif", ".tiff"},
           "JPEG2000": {".jp2", ".j2k", ".jpx", ".jpf", ".j2c"}, "GIF": {".gif"},
           "WEBP": {".webp"}, "BMP": {".bmp"}}
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError,
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


# --- opening masters ---------------------------------------------------------------------------

def _limit_message(display_name: str, size: Optional[tuple[int, int]] = None) -> str:
    dims = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return (f"{display_name}: image{dims} is larger than the limit of "
            f"{Image.MAX_IMAGE_PIXELS:,} pixels (setting max_master_pixels)")


def open_master(path, display_name: str, size_of: Optional[Path] = None) -> Image.Image:
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
    except DECODE_ERRORS as exc:
        raise ImageError(f"{display_name} cannot be read: {exc}", file=display_name) from exc
    if im.width < 1 or im.height < 1:
        im.close()
        raise ImageError(f"{display_name} has no pixels", file=display_name)
    if im.width * im.height > Image.MAX_IMAGE_PIXELS:
        im.close()
        raise ImageError(_limit_message(display_name, im.size), file=display_name)
    if im.format == "JPEG2000":
        try:
            _check_jpeg2000(path, display_name, im.size)
        except ImageError:
            im.close()
            raise
    return im


def _check_jpeg2000(source, display_name: str, size: tuple[int, int]) -> None:
    """Refuse, before decoding, a JPEG 2000 file that OpenJPEG would fill with black."""
    try:
        if hasattr(source, "read"):
            at = source.tell()
            try:
                layout = read_layout(source)
            finally:
                source.seek(at)
        else:
            with open(source, "rb") as fh:
                layout = read_layout(fh)
    except (CodestreamError, OSError) as exc:
        raise ImageError(f"{display_name} is not a complete JPEG 2000 image: {exc}",
                         file=display_name) from exc
    if layout.width * layout.height > Image.MAX_IMAGE_PIXELS:
        raise ImageError(_limit_message(display_name, (layout.width, layout.height)),
                         file=display_name)
    if (layout.width, layout.height) != size:
        raise ImageError(f"{display_name}: its JP2 header says {size[0]} x {size[1]} pixels but "
                         f"its codestream {layout.width} x {layout.height}", file=display_name)


def _oriented_size(im: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    """``size`` as displayed: EXIF orientations 5 to 8 turn the image by 90 degrees."""
    try:
        orientation = im.getexif().get(0x0112, 1)
    except DECODE_ERRORS:
        orientation = 1  # an unreadable EXIF block is not worth refusing the page for
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _load(im: Image.Image, display_name: str) -> None:
    try:
        im.load()
    except DECODE_ERRORS as exc:
        raise ImageError(f"{display_name} is truncated or corrupt: {exc}",
                         file=display_name) from exc


def probe(path: Path, display_name: str, fp: Optional[BinaryIO] = None) -> ImageInfo:
    """Check that a master decodes completely; ImageError naming the file if not.
    ``fp``, when given, is the file already open (``path`` then only names it)."""
    path = Path(path)
    im = open_master(path if fp is None else fp, display_name, size_of=path)
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


def decode_master(master: Path, display_name: str) -> Image.Image:
    try:
        fh = open(master, "rb")
    except FileNotFoundError as exc:
        raise ImageError(f"{display_name} is missing", file=display_name) from exc
    # Pillow leaves a file object it was given open and the decoded pixels alive after the
    # file closes, so the master is held once, not copied to escape im.close().
    with fh:
        im = open_master(fh, display_name, size_of=master)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        _load(im, display_name)
    try:
        ImageOps.exif_transpose(im, in_place=True)  # no copy of a 100-MP page when upright
    except DECODE_ERRORS:
        pass  # unreadable EXIF: keep the pixels as stored (probe said the same)
    return _normalise(im)


def open_tile(path: Path) -> Image.Image:
    """A derived JPEG tile or size, decoded (LibraryError if missing or damaged)."""
    try:
        with Image.open(path, formats=("JPEG",)) as im:
            im.load()
            return im
    except FileNotFoundError as exc:
        raise LibraryError(f"derived tile {path.name} is missing; re-ingest the item") from exc
    except DECODE_ERRORS as exc:
        raise LibraryError(f"derived tile {path.name} is unreadable: {exc}") from exc


# --- encoding answers ----------------------------------------------------------------------------

ALPHA_FORMATS = ("png", "webp", "tif")
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
    if fmt not in ALPHA_FORMATS:
        im = _flatten(im)
    if im.mode == "1" and fmt in ("jpg", "webp", "jp2"):
        im = im.convert("L")
    buf = io.BytesIO()
    im.save(buf, pil_format, **options)
    return buf.getvalue()
