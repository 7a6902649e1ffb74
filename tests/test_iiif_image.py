"""The Image API 3.0 URL parser, canonical form and info.json, as tables from the spec text.

The spec's examples (https://iiif.io/api/image/3.0/, sections 4.1 to 4.8) use a 300 x 200 image;
their stated results ("Returned image is 175,185 px", "150,100 px") are the expected values here.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from library.errors import (BadRequestError, NotImplementedFeatureError, SudurError,
                            TooLargeError)
from library.iiif_image import (CONTEXT, FORMATS, ImageRequest, info_json, parse_region,
                                parse_request, tile_scale_factors)


@dataclass
class Limits:
    max_width: int = 10000
    max_height: int = 10000
    max_area: int = 40_000_000


DEFAULT = Limits()
W, H = 300, 200  # the spec's example image


def req(region="full", size="max", rotation="0", qf="default.jpg", *, width=W, height=H,
        limits=DEFAULT) -> ImageRequest:
    return parse_request("id1", region, size, rotation, qf, width=width, height=height,
                         settings=limits)


# --- 4.1 region ---------------------------------------------------------------------------------

REGIONS = [
    # (region, resolved x,y,w,h, canonical region)
    ("full", (0, 0, 300, 200), "full"),
    ("square", (50, 0, 200, 200), "50,0,200,200"),
    ("125,15,120,140", (125, 15, 120, 140), "125,15,120,140"),
    ("pct:41.6,7.5,40,70", (125, 15, 120, 140), "125,15,120,140"),
    ("125,15,200,200", (125, 15, 175, 185), "125,15,175,185"),  # "Returned image is 175,185"
    ("pct:41.6,7.5,66.6,100", (125, 15, 175, 185), "125,15,175,185"),  # same, by percent
    ("0,0,300,200", (0, 0, 300, 200), "full"),
    ("pct:0,0,100,100", (0, 0, 300, 200), "full"),
    ("0,0,9999,9999", (0, 0, 300, 200), "full"),
    ("299,199,1,1", (299, 199, 1, 1), "299,199,1,1"),
    ("pct:.5,0.50,10,10", (2, 1, 30, 20), "2,1,30,20"),
]


@pytest.mark.parametrize("region,expected,canonical", REGIONS)
def test_region_table(region, expected, canonical):
    r = req(region)
    assert r.region == expected
    assert r.canonical.split("/")[0] == canonical


def test_square_of_portrait_image_is_centred_vertically():
    assert parse_region("square", 200, 300) == (0, 50, 200, 200)


BAD_REGIONS = [
    "0,0,0,10",  # zero width
    "0,0,10,0",  # zero height
    "300,0,10,10",  # starts at the right edge: entirely outside
    "0,200,10,10",
    "pct:100,0,10,10",
    "pct:0,0,0,10",
    "-1,0,10,10",  # negative
    "1,2,3",  # too few
    "1,2,3,4,5",
    "pct:1,2,3",
    "pct:-1,0,10,10",
    "pct:1e2,0,10,10",  # no exponents (4.7)
    "pct:+1,0,10,10",  # no signs (4.7)
    "1.5,0,10,10",  # pixels are integers
    "Full",
    "squares",
    "",
    "full ",
    "1" * 40 + ",0,10,10",  # absurdly long number
]


@pytest.mark.parametrize("region", BAD_REGIONS)
def test_bad_regions_are_400(region):
    with pytest.raises(BadRequestError) as exc:
        req(region)
    assert exc.value.http_status == 400


# --- 4.2 size -----------------------------------------------------------------------------------

SIZES = [
    # (size, limits, resolved w,h, canonical size) on the full 300 x 200 image
    ("max", DEFAULT, (300, 200), "max"),
    ("max", Limits(200, 0, 0), (200, 133), "max"),  # "assuming a maxWidth of 200px"
    ("^max", Limits(360, 0, 0), (360, 240), "^max"),  # "assuming a maxWidth of 360px"
    ("150,", DEFAULT, (150, 100), "150,100"),
    ("^360,", DEFAULT, (360, 240), "^360,240"),
    ("^360,", Limits(360, 0, 0), (360, 240), "^max"),
    (",150", DEFAULT, (225, 150), "225,150"),
    ("^,240", DEFAULT, (360, 240), "^360,240"),
    ("pct:50", DEFAULT, (150, 100), "150,100"),
    ("^pct:120", DEFAULT, (360, 240), "^360,240"),
    ("225,100", DEFAULT, (225, 100), "225,100"),
    ("^360,360", DEFAULT, (360, 360), "^360,360"),
    ("!225,100", DEFAULT, (150, 100), "150,100"),  # "Returned image is 150,100 px"
    ("^!360,360", DEFAULT, (360, 240), "^360,240"),  # "Returned image is 360,240 px"
    ("300,200", DEFAULT, (300, 200), "max"),
    ("pct:100", DEFAULT, (300, 200), "max"),
    ("^max", DEFAULT, (7745, 5163), "^max"),  # limited by maxArea 40,000,000
    ("^!2000,500", DEFAULT, (750, 500), "^750,500"),
    ("!2000,100", DEFAULT, (150, 100), "150,100"),  # one side of the box larger is fine
    ("^pct:100", DEFAULT, (300, 200), "max"),  # ^ that does not upscale is canonical max
]


@pytest.mark.parametrize("size,limits,expected,canonical", SIZES)
def test_size_table(size, limits, expected, canonical):
    r = req(size=size, limits=limits)
    assert r.size == expected
    assert r.canonical.split("/")[1] == canonical
    assert r.upscaled == (expected[0] > 300 or expected[1] > 200)


def test_size_of_a_region():
    r = req("125,15,120,140", "90,")
    assert r.size == (90, 105)
    assert r.canonical == "125,15,120,140/90,105/0/default.jpg"


UPSCALE_WITHOUT_CARET = ["301,", ",201", "pct:101", "301,200", "300,201", "!2000,3000",
                         "99999,", "pct:100000"]


@pytest.mark.parametrize("size", UPSCALE_WITHOUT_CARET)
def test_upscaling_needs_caret(size):
    with pytest.raises(BadRequestError) as exc:
        req(size=size)
    assert exc.value.http_status == 400
    assert not isinstance(exc.value, TooLargeError)


BAD_SIZES = ["0,", ",0", "0,0", "!0,0", "!0,10", "pct:0", "full", "^", "^^max", "max,",
             "1,2,3", "pct:", "pct:-5", "!,100", "w,h", "-10,", "10.5,", ",^240", ""]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_bad_sizes_are_400(size):
    with pytest.raises(BadRequestError):
        req(size=size)


PAST_LIMITS = [
    # (size, limits) that ask explicitly for more pixels than the server gives
    ("^10001,", DEFAULT),
    ("^,10001", DEFAULT),
    ("^8000,8000", DEFAULT),  # 64 MP > maxArea
    ("^pct:100000", DEFAULT),
    ("^99999,", DEFAULT),
    ("201,", Limits(200, 0, 0)),
    ("pct:100", Limits(0, 0, 50_000)),
]


@pytest.mark.parametrize("size,limits", PAST_LIMITS)
def test_past_limits_is_too_large(size, limits):
    with pytest.raises(TooLargeError) as exc:
        req(size=size, limits=limits)
    assert exc.value.http_status in (400, 413)


def test_max_and_confined_sizes_shrink_to_the_limits_instead_of_failing():
    big = Limits()
    r = req(size="max", width=12000, height=9000, limits=big)
    w, h = r.size
    assert w <= 10000 and h <= 10000 and w * h <= 40_000_000
    assert abs(w / h - 12000 / 9000) < 0.01
    assert r.canonical.startswith("full/max/")
    r = req(size="^!20000,20000", width=12000, height=9000, limits=big)
    assert r.size[0] * r.size[1] <= 40_000_000


# --- 4.3 rotation, 4.4 quality, 4.5 format ------------------------------------------------------

ROTATIONS = [("0", False, 0.0, "0"), ("180", False, 180.0, "180"), ("90", False, 90.0, "90"),
             ("22.5", False, 22.5, "22.5"), ("!0", True, 0.0, "!0"),
             ("!180", True, 180.0, "!180"), ("22.50", False, 22.5, "22.5"),
             ("090", False, 90.0, "90"), ("0.5", False, 0.5, "0.5"), (".5", False, 0.5, "0.5"),
             ("360", False, 360.0, "360"), ("!345", True, 345.0, "!345"),
             ("90.0", False, 90.0, "90")]


@pytest.mark.parametrize("rotation,mirror,degrees,canonical", ROTATIONS)
def test_rotation_table(rotation, mirror, degrees, canonical):
    r = req(rotation=rotation)
    assert (r.mirror, r.rotation) == (mirror, degrees)
    assert r.canonical.split("/")[2] == canonical


@pytest.mark.parametrize("rotation", ["-90", "360.1", "361", "!!90", "90!", "abc", "1e2", "+90",
                                      "", "!", "9 0"])
def test_bad_rotations_are_400(rotation):
    with pytest.raises(BadRequestError):
        req(rotation=rotation)


@pytest.mark.parametrize("qf", ["default.jpg", "color.jpg", "gray.jpg", "bitonal.jpg",
                                "default.png", "default.tif", "default.gif", "default.webp",
                                "default.jp2", "default.pdf"])
def test_quality_and_format_table(qf):
    r = req(qf=qf)
    quality, fmt = qf.split(".")
    assert (r.quality, r.format) == (quality, fmt)
    assert r.media_type == FORMATS[fmt]
    assert r.canonical.endswith("/" + qf)


@pytest.mark.parametrize("qf", ["grey.jpg", "native.jpg", "default.bmp", "default.jpeg",
                                "default", ".jpg", "default.", "DEFAULT.jpg", "default.JPG",
                                "default.jpg.png", "color"])
def test_bad_quality_or_format_is_400(qf):
    with pytest.raises(BadRequestError):
        req(qf=qf)


def test_a_known_format_not_offered_is_501(monkeypatch):
    import library.iiif_image as mod

    monkeypatch.setattr(mod, "SUPPORTED_FORMATS", frozenset({"jpg", "png"}))
    mod._parse_cached.cache_clear()  # parsed requests are memoised
    try:
        with pytest.raises(NotImplementedFeatureError) as exc:
            req(qf="default.jp2")
        assert exc.value.http_status == 501
    finally:
        mod._parse_cached.cache_clear()


# --- section 9 examples and the order of implementation (4.6) -----------------------------------

@pytest.mark.parametrize("path,canonical", [
    ("full/max/0/default.jpg", "full/max/0/default.jpg"),
    ("0,10,100,200/pct:50/90/default.png", "0,10,100,200/50,100/90/default.png"),
    ("pct:10,10,80,80/50,/22.5/color.jpg", "100,100,800,800/50,50/22.5/color.jpg"),
    ("full/max/270/gray.jpg", "full/max/270/gray.jpg"),
    ("125,15,120,140/90,/!345/gray.jpg", "125,15,120,140/90,105/!345/gray.jpg"),
])
def test_section_9_paths(path, canonical):
    region, size, rotation, qf = path.split("/")
    r = req(region, size, rotation, qf, width=1000, height=1000)
    assert r.canonical == canonical
    assert r.canonical_url("https://example.org/iiif/3/id1/") == \
        f"https://example.org/iiif/3/id1/{canonical}"


# --- info.json (5) ------------------------------------------------------------------------------

@dataclass
class Pyramid:
    tile_size: int = 512
    scale_factors: tuple = (1, 2, 4, 8, 16)
    sizes: tuple = ((200, 133), (375, 250), (750, 500), (1500, 1000))
    mode: str = "RGB"


def test_info_json_has_every_required_property_and_the_extras():
    info = info_json("https://lib.example/iiif/3/jangar.0001/", 6000, 4000, DEFAULT, Pyramid(),
                     rights="http://creativecommons.org/publicdomain/zero/1.0/")
    assert list(info)[0] == "@context"
    assert info["@context"] == CONTEXT
    assert info["id"] == "https://lib.example/iiif/3/jangar.0001"
    assert (info["type"], info["protocol"], info["profile"]) == (
        "ImageService3", "http://iiif.io/api/image", "level2")
    assert (info["width"], info["height"]) == (6000, 4000)
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (10000, 10000, 40_000_000)
    assert info["tiles"] == [{"width": 512, "scaleFactors": [1, 2, 4, 8, 16]}]
    assert info["sizes"][0] == {"width": 200, "height": 133}
    assert info["sizes"] == sorted(info["sizes"], key=lambda s: s["width"])
    assert info["preferredFormats"] == ["jpg"]
    assert set(info["extraFormats"]) == {"webp", "tif", "gif", "jp2", "pdf"}
    assert info["extraQualities"] == ["color", "gray", "bitonal"]
    for feature in ("sizeUpscaling", "mirroring", "rotationArbitrary", "regionSquare",
                    "canonicalLinkHeader", "profileLinkHeader"):
        assert feature in info["extraFeatures"]
    assert info["rights"].startswith("http://creativecommons.org/")


def test_info_json_of_a_grey_image_does_not_offer_color():
    info = info_json("http://x/iiif/3/a.0001", 100, 100, DEFAULT, Pyramid(mode="L"))
    assert "color" not in info["extraQualities"]


def test_info_json_leaves_out_sizes_past_the_limits():
    info = info_json("http://x/iiif/3/a.0001", 6000, 4000, Limits(1000, 1000, 0), Pyramid())
    assert all(s["width"] <= 1000 for s in info["sizes"])


def test_scale_factors_reach_one_tile():
    assert tile_scale_factors(6000, 4000, 512) == [1, 2, 4, 8, 16]
    assert tile_scale_factors(1000, 1000, 512) == [1, 2]
    assert tile_scale_factors(512, 100, 512) == [1]


# --- fuzz ---------------------------------------------------------------------------------------

_ALPHABET = "0123456789.,:!^pctmaxfulsqrdeogyibnjwf-+ %/"
_segment = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=24),
    st.text(max_size=12),
    st.sampled_from(["full", "square", "max", "^max", "0", "!0", "default.jpg", "gray.png"]),
    st.builds(lambda *n: ",".join(map(str, n)), *[st.integers(0, 20000)] * 4),
    st.builds(lambda *n: "pct:" + ",".join(map(str, n)),
              *[st.floats(0, 150, allow_nan=False).map(lambda f: f"{f:.3f}")] * 4),
    st.builds(lambda up, bang, w, h: f"{up}{bang}{w},{h}", st.sampled_from(["", "^"]),
              st.sampled_from(["", "!"]), st.integers(0, 50000), st.integers(0, 50000)),
)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(region=_segment, size=_segment, rotation=_segment, qf=_segment,
       width=st.integers(1, 30000), height=st.integers(1, 30000))
def test_fuzz_parser_only_raises_sudur_errors_and_respects_limits(region, size, rotation, qf,
                                                                  width, height):
    try:
        r = req(region, size, rotation, qf, width=width, height=height)
    except SudurError as exc:
        assert exc.http_status in (400, 413, 501)
        return
    x, y, w, h = r.region
    assert 0 <= x < width and 0 <= y < height and w >= 1 and h >= 1
    assert x + w <= width and y + h <= height
    ow, oh = r.size
    assert 1 <= ow <= DEFAULT.max_width and 1 <= oh <= DEFAULT.max_height
    assert ow * oh <= DEFAULT.max_area
    assert 0 <= r.rotation <= 360
    # The canonical form is a fixed point that means the same request.
    again = req(*r.canonical.split("/"), width=width, height=height)
    assert again.canonical == r.canonical
    assert (again.region, again.size, again.mirror) == (r.region, r.size, r.mirror)


# --- numbers are ASCII decimal digits only (issue 11 point 14) ---------------------------------

ARABIC_1 = "\u0661"  # ARABIC-INDIC DIGIT ONE: \d and int() accept it, the spec does not
FULLWIDTH_1 = "\uff11"


@pytest.mark.parametrize("region, size, rotation", [
    (f"{ARABIC_1},0,10,10", "max", "0"),
    (f"0,0,1{FULLWIDTH_1},10", "max", "0"),
    (f"pct:{ARABIC_1},0,10,10", "max", "0"),
    ("full", f"{ARABIC_1}0,", "0"),
    ("full", f",{FULLWIDTH_1}0", "0"),
    ("full", f"pct:{ARABIC_1}0", "0"),
    ("full", f"!{ARABIC_1}0,10", "0"),
    ("full", "max", ARABIC_1),
    ("full", "max", f"!{FULLWIDTH_1}"),
    ("0,0,10,10\n", "max", "0"),
    ("full", "10,\n", "0"),
    ("full", "max", "90\n"),
    ("inf,0,10,10", "max", "0"),
    ("full", "max", "nan"),
    ("full", "max", "1e2"),
    ("full", "max", "-90"),
    ("-1,0,10,10", "max", "0"),
    ("pct:1e1,0,10,10", "max", "0"),
])
def test_numbers_that_are_not_ascii_decimals_are_400(region, size, rotation):
    with pytest.raises(BadRequestError):
        req(region, size, rotation)


# --- the limits bound the rotated output (issue 11 point 13) ------------------------------------

def _rotated_box(w: int, h: int, degrees: float) -> tuple[int, int]:
    """An upper bound of the image a rotation by ``degrees`` produces (Pillow's expand=True box
    is ceil(max) - floor(min) of the turned corners: at most the exact extent plus one)."""
    import math
    rad = math.radians(degrees)
    c, s = abs(math.cos(rad)), abs(math.sin(rad))
    return (math.ceil(w * c + h * s - 1e-9) + 1, math.ceil(w * s + h * c - 1e-9) + 1)


def _fits(r: ImageRequest, limits: Limits) -> bool:
    if r.rotation % 90 == 0:
        bw, bh = r.size if r.rotation % 180 == 0 else r.size[::-1]
    else:
        bw, bh = _rotated_box(*r.size, r.rotation)
    return bw <= limits.max_width and bh <= limits.max_height and bw * bh <= limits.max_area


@pytest.mark.parametrize("size", ["^max", "max", "^!20000,20000", "!6000,4000"])
@pytest.mark.parametrize("rotation", ["45", "!30", "22.5", "315"])
def test_fitting_sizes_shrink_so_the_rotated_image_fits(size, rotation):
    # the case: ^max of a 6000 x 4000 page at 45 degrees gave 83 MP against 40 MP
    r = req("full", size, rotation, "default.png", width=6000, height=4000)
    assert _fits(r, DEFAULT), (r.size, r.rotation)
    assert abs(r.size[0] / r.size[1] - 1.5) < 0.01
    assert r.canonical.split("/")[1] == f"{r.size[0]},{r.size[1]}"


def test_a_quarter_turn_swaps_the_limits():
    limits = Limits(10000, 5000, 40_000_000)
    r = req("full", "max", "90", width=8000, height=3000, limits=limits)
    assert r.size == (5000, 1875) and r.canonical == "full/5000,1875/90/default.jpg"
    with pytest.raises(TooLargeError):
        req("full", "8000,3000", "90", width=8000, height=3000, limits=limits)
    assert req("full", "max", "180", width=8000, height=3000, limits=limits).size == (8000, 3000)


@pytest.mark.parametrize("size, rotation", [("5000,4000", "45"), ("^9000,1000", "30"),
                                            ("pct:100", "45"), ("^pct:160", "10")])
def test_explicit_sizes_whose_rotation_is_past_the_limits_are_refused(size, rotation):
    with pytest.raises(TooLargeError):
        req("full", size, rotation, width=6000, height=4000)


def test_rotation_within_the_limits_is_unchanged():
    r = req("full", "max", "45", width=W, height=H)
    assert r.size == (W, H) and r.canonical == "full/max/45/default.jpg"
