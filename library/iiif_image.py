"""IIIF Image API 3.0, the pure part: URL parameters to a request, canonical form, info.json.

Nothing here touches a file or decodes a pixel. ``parse_request`` turns the four path segments of
an image request into an ``ImageRequest`` whose region and size are resolved to whole pixels of the
full image, so every limit is decided from numbers alone: malformed parameters raise
``BadRequestError`` (400), sizes past ``maxWidth``/``maxHeight``/``maxArea`` raise
``TooLargeError`` (400, as section 4.2 of the spec asks), features Sudur does not offer raise
``NotImplementedFeatureError`` (501). ``info_json`` builds the image information document.

Spec: https://iiif.io/api/image/3.0/ (sections cited below by number).
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Optional, Protocol, Sequence

from .errors import BadRequestError, NotImplementedFeatureError, TooLargeError
from .numbers import DECIMAL, WHOLE, parse_decimal, parse_int

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROTOCOL = "http://iiif.io/api/image"
PROFILE = "level2"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"
INFO_MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'

# Section 4.5: every format the spec names, with its media type. All of them are written here
# (Pillow writes each); a format outside this table is a client error (400).
FORMATS: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tif": "image/tiff",
    "gif": "image/gif",
    "jp2": "image/jp2",
    "pdf": "application/pdf",
}
SUPPORTED_FORMATS = frozenset(FORMATS)
EXTRA_FORMATS = ("webp", "tif", "gif", "jp2", "pdf")
QUALITIES = ("default", "color", "gray", "bitonal")
# Features supported (section 5.7 table). The level 2 profile implies most of them; they are
# listed in full because some clients read only extraFeatures.
FEATURES = (
    "baseUriRedirect", "canonicalLinkHeader", "cors", "jsonldMediaType", "mirroring",
    "profileLinkHeader", "regionByPct", "regionByPx", "regionSquare", "rotationArbitrary",
    "rotationBy90s", "sizeByConfinedWh", "sizeByH", "sizeByPct", "sizeByW", "sizeByWh",
    "sizeUpscaling",
)

# Section 4.7: ASCII decimal digits and "." only (no sign, no exponent), as library.numbers
# parses them. Every pattern is used with fullmatch: "$" would accept a trailing newline.
_NUM = DECIMAL
_REGION_PX = re.compile(rf"({WHOLE}),({WHOLE}),({WHOLE}),({WHOLE})")
_REGION_PCT = re.compile(rf"pct:({_NUM}),({_NUM}),({_NUM}),({_NUM})")
_SIZE = re.compile(
    rf"(?P<up>\^)?(?:(?P<max>max)|(?P<w>{WHOLE}),|,(?P<h>{WHOLE})|pct:(?P<pct>{_NUM})"
    rf"|(?P<bang>!)?(?P<bw>{WHOLE}),(?P<bh>{WHOLE}))")
_ROTATION = re.compile(rf"(?P<mirror>!)?(?P<deg>{_NUM})")


class Limits(Protocol):
    max_width: int
    max_height: int
    max_area: int


class PyramidInfo(Protocol):
    """What ``info_json`` needs from the derivatives (library.imaging.Derivatives)."""

    tile_size: int
    scale_factors: Sequence[int]
    sizes: Sequence[tuple[int, int]]
    mode: str


@dataclass(frozen=True)
class ImageRequest:
    """One image request, resolved against the full image's ``width`` x ``height``.

    ``region`` is the extracted region in full-image pixels (already cropped at the image edge),
    ``size`` the pixel size of the scaled region before rotation; ``canonical`` is the path
    ``region/size/rotation/quality.format`` in the canonical form of section 4.8.
    """

    identifier: str
    width: int
    height: int
    region: tuple[int, int, int, int]
    size: tuple[int, int]
    upscaled: bool
    mirror: bool
    rotation: float
    quality: str
    format: str
    canonical: str

    @property
    def is_full_region(self) -> bool:
        return self.region == (0, 0, self.width, self.height)

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]

    def canonical_url(self, base: str) -> str:
        """The canonical URI for the ``Link`` header; ``base`` is the image's ``id``."""
        return f"{base.rstrip('/')}/{self.canonical}"


# --- numbers -------------------------------------------------------------------------------------

def _int(text: str, what: str) -> int:
    return parse_int(text, what)


def _num(text: str, what: str) -> Fraction:
    return parse_decimal(text, what)  # exact decimal: no float surprises in rounding


def _round(x: Fraction) -> int:
    """Round half up (Python's round() rounds half to even, which nobody expects in a URL)."""
    return math.floor(x + Fraction(1, 2))


def _fmt_num(x: Fraction) -> str:
    """Section 4.7: an integer when possible, else a decimal without trailing zeros."""
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.10f}".rstrip("0").rstrip(".")
    return text


# --- region (4.1) -------------------------------------------------------------------------------

def parse_region(region: str, width: int, height: int) -> tuple[int, int, int, int]:
    """The region in full-image pixels, cropped at the edge (400 if empty or outside)."""
    if region == "full":
        return 0, 0, width, height
    if region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    m = _REGION_PX.fullmatch(region)
    if m:
        x, y, w, h = (_int(g, "region value") for g in m.groups())
    else:
        m = _REGION_PCT.fullmatch(region)
        if not m:
            raise BadRequestError(f"region {region!r} is not full, square, x,y,w,h or "
                                  "pct:x,y,w,h")
        px, py, pw, ph = (_num(g, "region percentage") for g in m.groups())
        # Round the edges, not the extents, so adjacent pct regions tile without gaps.
        x0, y0 = _round(px * width / 100), _round(py * height / 100)
        x1, y1 = _round((px + pw) * width / 100), _round((py + ph) * height / 100)
        if pw == 0 or ph == 0:
            raise BadRequestError(f"region {region!r} has zero width or height")
        x, y, w, h = x0, y0, x1 - x0, y1 - y0
    if w == 0 or h == 0:
        raise BadRequestError(f"region {region!r} has zero width or height")
    if x >= width or y >= height:
        raise BadRequestError(f"region {region!r} lies outside the image "
                              f"({width} x {height})")
    return x, y, min(w, width - x), min(h, height - y)


# --- size (4.2) ---------------------------------------------------------------------------------

def _limit_scale(rw: int, rh: int, limits: Limits) -> Optional[Fraction]:
    """The largest linear scale of an rw x rh region allowed by maxWidth/maxHeight (exact)."""
    bounds = []
    if limits.max_width:
        bounds.append(Fraction(limits.max_width, rw))
    if limits.max_height:
        bounds.append(Fraction(limits.max_height, rh))
    return min(bounds) if bounds else None


def _within(w: int, h: int, limits: Limits) -> bool:
    return ((not limits.max_width or w <= limits.max_width)
            and (not limits.max_height or h <= limits.max_height)
            and (not limits.max_area or w * h <= limits.max_area))


def _scaled(rw: int, rh: int, scale: Fraction, bound_w: Optional[int] = None,
            bound_h: Optional[int] = None) -> tuple[int, int]:
    w, h = max(1, _round(rw * scale)), max(1, _round(rh * scale))
    if bound_w is not None:
        w = min(w, bound_w)
    if bound_h is not None:
        h = min(h, bound_h)
    return w, h


def _fit(rw: int, rh: int, limits: Limits, *, upscale: bool,
         box: Optional[tuple[int, int]] = None) -> tuple[int, int]:
    """Aspect-preserving size as large as allowed: by the box (!w,h), the region (unless
    upscaling) and the server limits."""
    scales: list[Fraction] = []
    bw = bh = None
    if box is not None:
        scales += [Fraction(box[0], rw), Fraction(box[1], rh)]
        bw, bh = box
    if not upscale:
        scales.append(Fraction(1))
        bw, bh = min(bw or rw, rw), min(bh or rh, rh)
    lim = _limit_scale(rw, rh, limits)
    if lim is not None:
        scales.append(lim)
        if limits.max_width:
            bw = min(bw or limits.max_width, limits.max_width)
        if limits.max_height:
            bh = min(bh or limits.max_height, limits.max_height)
    scale = min(scales) if scales else Fraction(1)
    w, h = _scaled(rw, rh, scale, bw, bh)
    if limits.max_area and w * h > limits.max_area:
        s = math.sqrt(limits.max_area / (rw * rh))
        w, h = max(1, math.floor(rw * s)), max(1, math.floor(rh * s))
        while w * h > limits.max_area:  # float sqrt can overshoot by a hair
            w, h = max(1, w - 1), max(1, h - (1 if h >= w else 0))
    return w, h


def parse_size(size: str, rw: int, rh: int, limits: Limits) -> tuple[tuple[int, int], str]:
    """(w, h) of the scaled region and the canonical size string (section 4.8)."""
    m = _SIZE.fullmatch(size)
    if not m:
        raise BadRequestError(f"size {size!r} is not max, w,, ,h, pct:n, w,h or !w,h "
                              "(each optionally prefixed with ^)")
    up = bool(m.group("up"))
    if m.group("max"):
        w, h = _fit(rw, rh, limits, upscale=up)
    elif m.group("w") is not None:
        w = _int(m.group("w"), "width")
        if w == 0:
            raise BadRequestError("size width must be at least 1")
        h = max(1, _round(Fraction(rh * w, rw)))
    elif m.group("h") is not None:
        h = _int(m.group("h"), "height")
        if h == 0:
            raise BadRequestError("size height must be at least 1")
        w = max(1, _round(Fraction(rw * h, rh)))
    elif m.group("pct") is not None:
        n = _num(m.group("pct"), "size percentage")
        if n == 0:
            raise BadRequestError("size pct:0 is empty")
        if not up and n > 100:
            raise BadRequestError(f"size {size!r} would upscale: use ^pct:n for that")
        if n > 100 * 1000:
            raise TooLargeError(f"size {size!r} is beyond the size limits")
        w, h = _round(rw * n / 100), _round(rh * n / 100)
    else:
        bw, bh = _int(m.group("bw"), "width"), _int(m.group("bh"), "height")
        if bw == 0 or bh == 0:
            raise BadRequestError(f"size {size!r} has zero width or height")
        if m.group("bang"):
            if not up and bw > rw and bh > rh:
                # The box would scale the region up. The spec's wording ("as large as possible
                # but not larger than the extracted region") could allow answering with the
                # region's size, but the official validator (size_noup: !2000,3000 of a
                # 1000 px image) expects an error without ^, and so do we.
                raise BadRequestError(f"size {size!r} would upscale the region ({rw} x {rh}); "
                                      "use ^!w,h to upscale")
            w, h = _fit(rw, rh, limits, upscale=up, box=(bw, bh))
        else:
            w, h = bw, bh
    if w < 1 or h < 1:
        raise BadRequestError(f"size {size!r} gives an image less than 1 pixel")
    upscaled = w > rw or h > rh
    if upscaled and not up:
        raise BadRequestError(f"size {size!r} is larger than the region ({rw} x {rh}); "
                              "prefix it with ^ to upscale")
    if not _within(w, h, limits):
        raise TooLargeError(f"size {size!r} gives {w} x {h} pixels, beyond the limits "
                            f"(maxWidth {limits.max_width}, maxHeight {limits.max_height}, "
                            f"maxArea {limits.max_area})")
    if (w, h) == _fit(rw, rh, limits, upscale=False):
        canonical = "max"
    elif upscaled and (w, h) == _fit(rw, rh, limits, upscale=True):
        canonical = "^max"
    else:
        canonical = f"{'^' if upscaled else ''}{w},{h}"
    return (w, h), canonical


# --- the rotated output and the limits -----------------------------------------------------------

def rotated_size(w: int, h: int, degrees: float | Fraction) -> tuple[int, int]:
    """The size of a w x h image turned by ``degrees``: exact for multiples of 90; otherwise
    the turned corners' extent plus one pixel, an upper bound of what the renderer makes (its
    box is ceil(max) - floor(min) of those corners)."""
    turn = Fraction(degrees) % 360
    if turn in (0, 180):
        return w, h
    if turn in (90, 270):
        return h, w
    rad = math.radians(float(turn))
    c, s = abs(math.cos(rad)), abs(math.sin(rad))
    return math.ceil(w * c + h * s + 1e-9) + 1, math.ceil(w * s + h * c + 1e-9) + 1


def _is_fitted(size: str) -> bool:
    """max, ^max, !w,h and ^!w,h ask for "as large as allowed", so they shrink to fit the
    limits; every other form names its size, which is then refused."""
    bare = size.lstrip("^")
    return bare == "max" or bare.startswith("!")


def _fit_turned(w: int, h: int, degrees: Fraction, limits: Limits) -> tuple[int, int]:
    """The largest w x h of the same aspect whose turned image is within the limits (a binary
    search on the longer side: the turned size grows with it)."""
    def pair(t: int) -> tuple[int, int]:
        if w >= h:
            return t, max(1, _round(Fraction(h * t, w)))
        return max(1, _round(Fraction(w * t, h))), t

    lo, hi = 0, max(w, h)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _within(*rotated_size(*pair(mid), degrees), limits):
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        raise TooLargeError("no size of this region fits the limits once rotated")
    return pair(lo)


# --- rotation (4.3), quality (4.4), format (4.5) -----------------------------------------------

def parse_rotation(rotation: str) -> tuple[bool, Fraction, str]:
    m = _ROTATION.fullmatch(rotation)
    if not m:
        raise BadRequestError(f"rotation {rotation!r} is not n or !n (degrees 0 to 360)")
    deg = _num(m.group("deg"), "rotation")
    if deg > 360:
        raise BadRequestError(f"rotation {rotation!r} is beyond 360 degrees")
    mirror = bool(m.group("mirror"))
    return mirror, deg, f"{'!' if mirror else ''}{_fmt_num(deg)}"


def parse_quality_format(quality_format: str) -> tuple[str, str]:
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot or not quality:
        raise BadRequestError(f"{quality_format!r} is not quality.format")
    if quality not in QUALITIES:
        raise BadRequestError(f"quality {quality!r} is not one of {', '.join(QUALITIES)}")
    if fmt not in FORMATS:
        raise BadRequestError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt not in SUPPORTED_FORMATS:
        raise NotImplementedFeatureError(f"format {fmt!r} is not offered by this server")
    return quality, fmt


def parse_request(identifier: str, region: str, size: str, rotation: str, quality_format: str,
                  *, width: int, height: int, settings: Limits) -> ImageRequest:
    """Parse and resolve one image request (section 4) for a width x height full image."""
    return _parse_cached(identifier, region, size, rotation, quality_format, width, height,
                         _LimitValues(settings.max_width, settings.max_height, settings.max_area))


@dataclass(frozen=True)
class _LimitValues:
    max_width: int
    max_height: int
    max_area: int


# Viewers ask for the same tiles over and over; a parsed request is immutable, so the last few
# thousand are kept (errors are not: they are raised afresh each time).
@functools.lru_cache(maxsize=4096)
def _parse_cached(identifier: str, region: str, size: str, rotation: str, quality_format: str,
                  width: int, height: int, settings: _LimitValues) -> ImageRequest:
    if width < 1 or height < 1:
        raise BadRequestError(f"image {identifier!r} has no pixels")
    x, y, rw, rh = parse_region(region, width, height)
    (w, h), size_c = parse_size(size, rw, rh, settings)
    mirror, deg, rot_c = parse_rotation(rotation)
    # The limits bound what is sent, so they apply to the rotated image (a 45 degree turn of a
    # 40 MP image is an 80 MP one), decided here before anything is decoded.
    turned = rotated_size(w, h, deg)
    if not _within(*turned, settings):
        if not _is_fitted(size):
            raise TooLargeError(f"size {size!r} rotated by {rot_c} gives {turned[0]} x "
                                f"{turned[1]} pixels, beyond the limits (maxWidth "
                                f"{settings.max_width}, maxHeight {settings.max_height}, "
                                f"maxArea {settings.max_area})")
        w, h = _fit_turned(w, h, deg, settings)
        size_c = f"{'^' if w > rw or h > rh else ''}{w},{h}"
    quality, fmt = parse_quality_format(quality_format)
    region_c = "full" if (x, y, rw, rh) == (0, 0, width, height) else f"{x},{y},{rw},{rh}"
    return ImageRequest(
        identifier=identifier, width=width, height=height, region=(x, y, rw, rh),
        size=(w, h), upscaled=w > rw or h > rh, mirror=mirror, rotation=float(deg),
        quality=quality, format=fmt, canonical=f"{region_c}/{size_c}/{rot_c}/{quality}.{fmt}")


# --- image information (5) ----------------------------------------------------------------------

def info_json(image_id_url: str, width: int, height: int, settings: Limits,
              derivs: Optional[PyramidInfo] = None, *, rights: str = "",
              part_of: Optional[list[dict]] = None) -> dict[str, Any]:
    """The info.json document of one image; ``image_id_url`` is its base URI (the ``id``)."""
    info: dict[str, Any] = {
        "@context": CONTEXT,
        "id": image_id_url.rstrip("/"),
        "type": "ImageService3",
        "protocol": PROTOCOL,
        "profile": PROFILE,
        "width": width,
        "height": height,
    }
    # sizeUpscaling needs maxWidth or maxArea announced (5.7); maxHeight needs maxWidth (5.2).
    if settings.max_width:
        info["maxWidth"] = settings.max_width
        if settings.max_height:
            info["maxHeight"] = settings.max_height
    if settings.max_area:
        info["maxArea"] = settings.max_area
    if derivs is not None:
        sizes = [{"width": w, "height": h} for w, h in sorted(set(map(tuple, derivs.sizes)))
                 if _within(w, h, settings)]
        if sizes:
            info["sizes"] = sizes
        if derivs.scale_factors:
            info["tiles"] = [{"width": derivs.tile_size,
                              "scaleFactors": list(derivs.scale_factors)}]
    info["preferredFormats"] = ["jpg"]
    grey = derivs is not None and derivs.mode in ("L", "1")
    info["extraQualities"] = ["gray", "bitonal"] if grey else ["color", "gray", "bitonal"]
    info["extraFormats"] = list(EXTRA_FORMATS)
    info["extraFeatures"] = list(FEATURES)
    if rights:
        info["rights"] = rights
    if part_of:
        info["partOf"] = part_of
    return info


def tile_scale_factors(width: int, height: int, tile_size: int) -> list[int]:
    """Powers of two from 1 until the whole image fits in one tile."""
    factors = [1]
    while (math.ceil(width / factors[-1]) > tile_size
           or math.ceil(height / factors[-1]) > tile_size):
        factors.append(factors[-1] * 2)
    return factors
