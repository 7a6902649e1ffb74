"""Masters in (probe), pyramids out (make_derivatives), any Image API request back (render).

Tests may import Pillow to make fixtures and inspect results; the library itself only imports it
in the library/imaging/ package.
"""
from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from library import imaging
from library.imaging import codec
from library.errors import ImageError
from library.iiif_image import parse_request


@dataclass
class Limits:
    max_width: int = 10000
    max_height: int = 10000
    max_area: int = 40_000_000


def _pattern(size=(1300, 900), mode="RGB") -> Image.Image:
    """Coloured quadrants with a grid: easy to check position, mirroring and scale."""
    w, h = size
    im = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, w // 2 - 1, h // 2 - 1], fill=(200, 30, 30))
    d.rectangle([w // 2, 0, w - 1, h // 2 - 1], fill=(30, 200, 30))
    d.rectangle([0, h // 2, w // 2 - 1, h - 1], fill=(30, 30, 200))
    d.rectangle([w // 2, h // 2, w - 1, h - 1], fill=(230, 230, 40))
    for x in range(0, w, 100):
        d.line([x, 0, x, h], fill=(0, 0, 0), width=3)
    for y in range(0, h, 100):
        d.line([0, y, w, y], fill=(0, 0, 0), width=3)
    return im.convert(mode) if mode != "RGB" else im


@pytest.fixture(scope="module")
def pyramid(tmp_path_factory):
    base = tmp_path_factory.mktemp("pyr")
    master = base / "0001.png"
    _pattern().save(master)
    derivs = imaging.make_derivatives(master, base / "derived", tile_size=512, thumb_width=200)
    return master, base / "derived", derivs


@pytest.fixture()
def restore_limit():
    yield
    imaging.configure(250_000_000)


def _req(region="full", size="max", rotation="0", qf="default.png", w=1300, h=900):
    return parse_request("x.0001", region, size, rotation, qf, width=w, height=h,
                         settings=Limits())


def _load(path) -> Image.Image:
    """Open, decode and close a file (no file handle left for the ResourceWarning)."""
    with Image.open(path) as im:
        im.load()
        return im


def _diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0-255)."""
    assert a.size == b.size, (a.size, b.size)
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"),
                                                    b.convert("RGB"))).mean) / 3


# --- probe -----------------------------------------------------------------------------------

def test_probe_reports_size_mode_and_format(tmp_path):
    p = tmp_path / "a.jpg"
    _pattern((640, 480)).save(p, quality=90)
    info = imaging.probe(p, "batch/a.jpg")
    assert (info.width, info.height, info.mode, info.format, info.frames) == (
        640, 480, "RGB", "JPEG", 1)
    assert info.warnings == []


@pytest.mark.parametrize("kind", ["empty", "text", "truncated-jpeg", "truncated-png",
                                  "truncated-tiff", "missing"])
def test_probe_refuses_broken_files_naming_them(tmp_path, kind):
    p = tmp_path / ("bad.tif" if "tiff" in kind or kind == "text" else "bad.png"
                    if "png" in kind else "bad.jpg")
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("this is not an image\n" * 20)
    elif kind != "missing":
        fmt = {"truncated-jpeg": "JPEG", "truncated-png": "PNG", "truncated-tiff": "TIFF"}[kind]
        buf = io.BytesIO()
        _pattern((400, 300)).save(buf, fmt)
        data = buf.getvalue()
        p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as exc:
        imaging.probe(p, "batch/item/bad-file")
    assert "batch/item/bad-file" in str(exc.value)
    assert exc.value.file == "batch/item/bad-file"


def test_probe_notes_a_lying_extension(tmp_path):
    p = tmp_path / "page.jpg"
    _pattern((300, 200)).save(p, "PNG")
    info = imaging.probe(p, "page.jpg")
    assert info.format == "PNG"
    assert any("PNG" in w and ".jpg" in w for w in info.warnings)


def test_probe_counts_frames_of_an_animated_gif(tmp_path):
    p = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (120, 80), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    info = imaging.probe(p, "anim.gif")
    assert info.frames == 2
    assert any("frames" in w for w in info.warnings)
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    first = _load(imaging.tile_path(tmp_path / "d", 1, 0, 0)).convert("RGB")
    r, g, b = first.getpixel((60, 40))
    assert r > 200 and b < 60  # the first frame, red
    assert (derivs.width, derivs.height) == (120, 80)


def test_probe_honours_exif_orientation(tmp_path):
    p = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    _pattern((400, 200)).save(p, exif=exif)
    assert (imaging.probe(p, "r.jpg").width, imaging.probe(p, "r.jpg").height) == (200, 400)
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    assert (derivs.width, derivs.height) == (200, 400)


def test_decompression_bomb_limit_refuses_cleanly(tmp_path, restore_limit):
    p = tmp_path / "big.png"
    Image.new("L", (200, 100), 128).save(p)  # 20,000 pixels
    imaging.configure(15_000)  # between 1x and 2x: Pillow would only warn
    with pytest.raises(ImageError, match="limit"):
        imaging.probe(p, "big.png")
    with pytest.raises(ImageError, match="limit"):
        imaging.make_derivatives(p, tmp_path / "d")
    imaging.configure(5_000)  # beyond 2x: Pillow raises its own error
    with pytest.raises(ImageError, match="limit"):
        imaging.probe(p, "big.png")
    assert not (tmp_path / "d" / "pyramid.json").exists()
    imaging.configure(20_000)
    assert imaging.probe(p, "big.png").width == 200


# --- modes -------------------------------------------------------------------------------------

def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    p = tmp_path / "g16.tif"
    im = Image.new("I;16", (300, 200), 32768)
    im.save(p)
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    assert derivs.mode == "L"
    tile = _load(imaging.tile_path(tmp_path / "d", 1, 0, 0))
    assert tile.mode == "L"
    assert 120 <= tile.getpixel((150, 100)) <= 135


def test_cmyk_tiff_becomes_rgb(tmp_path):
    p = tmp_path / "cmyk.tif"
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)).save(p)  # pure red ink
    assert imaging.probe(p, "cmyk.tif").mode == "CMYK"
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    assert derivs.mode == "RGB"
    r, g, b = _load(imaging.tile_path(tmp_path / "d", 1, 0, 0)).getpixel((10, 10))
    assert r > 200 and g < 60 and b < 60


def test_bitonal_and_palette_and_alpha_masters(tmp_path):
    for mode, name in (("1", "bw.tif"), ("P", "pal.png"), ("RGBA", "alpha.png"),
                       ("LA", "la.png")):
        p = tmp_path / name
        _pattern((300, 200)).convert(mode).save(p)
        derivs = imaging.make_derivatives(p, tmp_path / name.replace(".", "_"))
        assert derivs.mode in ("RGB", "L")
        assert (derivs.width, derivs.height) == (300, 200)


def test_jpeg_compressed_tiff_from_the_corpus(shared_dir, tmp_path):
    tif = (shared_dir / "corpora" / "ocrd-assets" / "data" / "kant_aufklaerung_1784" / "data"
           / "OCR-D-IMG" / "INPUT_0017.tif")
    if not tif.is_file():
        pytest.skip(f"{tif} is not in the shared corpora")
    info = imaging.probe(tif, tif.name)
    assert info.format == "TIFF"
    assert any("colour profile" in w for w in info.warnings)  # the scanner's ICC profile
    derivs = imaging.make_derivatives(tif, tmp_path / "d")
    assert (derivs.width, derivs.height) == (info.width, info.height)


def test_jp2_master(tmp_path):
    p = tmp_path / "page.jp2"
    _pattern((700, 500)).save(p, "JPEG2000")
    info = imaging.probe(p, "page.jp2")
    assert info.format == "JPEG2000"
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    r, g, b = _load(imaging.tile_path(tmp_path / "d", 1, 0, 0)).getpixel((150, 150))
    assert r > 150 and g < 80


def test_jpeg_compressed_tiff_made_here(tmp_path):
    p = tmp_path / "jpegtiff.tif"
    _pattern((600, 400)).save(p, compression="jpeg")
    assert imaging.probe(p, "jpegtiff.tif").format == "TIFF"
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    assert derivs.scale_factors == [1, 2]


# --- the pyramid -------------------------------------------------------------------------------

def test_pyramid_layout_matches_the_image_api_tile_grid(pyramid):
    master, out, derivs = pyramid
    assert (derivs.width, derivs.height, derivs.tile_size) == (1300, 900, 512)
    assert derivs.scale_factors == [1, 2, 4]
    for sf in derivs.scale_factors:
        lw, lh = math.ceil(1300 / sf), math.ceil(900 / sf)
        cols, rows = math.ceil(lw / 512), math.ceil(lh / 512)
        for col in range(cols):
            for row in range(rows):
                tile = _load(imaging.tile_path(out, sf, col, row))
                # region tile_size*sf from (col,row)*tile_size*sf, cropped; size ceil(region/sf)
                rw = min(512 * sf, 1300 - col * 512 * sf)
                rh = min(512 * sf, 900 - row * 512 * sf)
                assert tile.size == (math.ceil(rw / sf), math.ceil(rh / sf))
        assert not imaging.tile_path(out, sf, cols, 0).exists()
    assert (derivs.sizes) == sorted(derivs.sizes)
    assert (325, 225) in derivs.sizes and (650, 450) in derivs.sizes
    assert derivs.thumbnail == (200, 138)
    assert _load(imaging.thumbnail_path(out)).size == (200, 138)
    for rel in derivs.files:
        assert (out / rel).is_file(), rel
    assert imaging.load_derivatives(out) == derivs
    assert json.loads((out / "pyramid.json").read_text())["scale_factors"] == [1, 2, 4]


def test_tiles_look_like_the_master(pyramid):
    master, out, derivs = pyramid
    src = _load(master).convert("RGB")
    tile = _load(imaging.tile_path(out, 1, 1, 1)).convert("RGB")
    assert _diff(tile, src.crop((512, 512, 1024, 900))) < 4
    tile = _load(imaging.tile_path(out, 2, 1, 0)).convert("RGB")
    expected = src.crop((1024, 0, 1300, 900)).resize((138, 450), Image.Resampling.BOX)
    assert _diff(tile, expected) < 6


# --- render ------------------------------------------------------------------------------------

@pytest.mark.parametrize("region,size", [
    ("0,0,512,512", "512,512"),  # a tile at sf 1
    ("1024,0,276,512", "276,512"),  # an edge tile
    ("0,0,1024,900", "512,450"),  # a tile at sf 2
    ("full", "325,225"),  # a level size
    ("full", "200,"),  # the thumbnail
])
def test_tile_requests_are_the_precut_files(pyramid, region, size):
    _, out, derivs = pyramid
    req = _req(region, size, qf="default.jpg")
    path = imaging.prebuilt_path(req, out, derivs)
    assert path is not None and path.is_file()
    assert imaging.render(req, out, derivs) == path.read_bytes()


@pytest.mark.parametrize("rotation,qf", [("90", "default.jpg"), ("!0", "default.jpg"),
                                         ("0", "gray.jpg"), ("0", "default.png")])
def test_other_requests_are_not_precut(pyramid, rotation, qf):
    _, out, derivs = pyramid
    assert imaging.prebuilt_path(_req("0,0,512,512", "512,512", rotation, qf), out,
                                 derivs) is None


@pytest.mark.parametrize("region,size", [
    ("300,200,700,500", "max"),  # across four tiles at full resolution
    ("300,200,700,500", "350,"),  # half size: from the sf 2 level
    ("full", "!400,400"),  # from sf 2 then resized
    ("pct:10,20,30,40", "^800,"),  # upscaled
    ("1299,899,1,1", "max"),  # one pixel in the corner
    ("square", "100,100"),
    ("0,0,1300,1", "max"),  # a one-pixel strip
])
def test_render_matches_cropping_the_master(pyramid, region, size):
    master, out, derivs = pyramid
    req = _req(region, size)
    got = Image.open(io.BytesIO(imaging.render(req, out, derivs)))
    assert got.format == "PNG" and got.size == req.size
    x, y, w, h = req.region
    expected = _load(master).convert("RGB").crop((x, y, x + w, y + h)).resize(
        req.size, Image.Resampling.LANCZOS)
    assert _diff(got, expected) < 12


@pytest.mark.parametrize("size,limit,expected,level", [
    ("1000,", 10000, (1000, 692), "1300x900"),  # the full-resolution level's whole-image file
    ("max", 700, (700, 485), "1300x900"),  # full/max under a max_width
    ("!300,300", 10000, (300, 208), "325x225"),  # the coarsest level still >= the output
    (",250", 10000, (361, 250), "650x450"),
    ("pct:37", 10000, (481, 333), "650x450"),
])
def test_sized_full_images_are_one_resize_of_one_level(pyramid, monkeypatch, size, limit,
                                                          expected, level):
    master, out, derivs = pyramid
    opened = []
    open_tile = codec.open_tile
    monkeypatch.setattr(codec, "open_tile", lambda path: opened.append(path) or open_tile(path))
    req = parse_request("x.0001", "full", size, "0", "default.png", width=1300, height=900,
                        settings=Limits(max_width=limit))
    got = _load(io.BytesIO(imaging.render(req, out, derivs)))
    assert got.size == req.size == expected
    assert [p.relative_to(out).as_posix() for p in opened] == [f"sizes/{level}.jpg"]
    assert _diff(got, _load(master).resize(expected, Image.Resampling.LANCZOS)) < 8


def test_sized_full_images_come_from_tiles_without_the_level_file(pyramid, tmp_path):
    master, out, derivs = pyramid
    copy = tmp_path / "derived"
    shutil.copytree(out, copy)
    (copy / "sizes" / "1300x900.jpg").unlink()
    req = _req("full", "1000,")
    got = _load(io.BytesIO(imaging.render(req, copy, derivs)))
    assert got.size == (1000, 692)
    assert _diff(got, _load(master).resize((1000, 692), Image.Resampling.LANCZOS)) < 6
    assert _diff(got, _load(io.BytesIO(imaging.render(req, out, derivs)))) < 2


def test_render_never_touches_the_master(pyramid, monkeypatch, tmp_path):
    master, out, derivs = pyramid

    def boom(*a, **k):
        raise AssertionError("the master was decoded")

    monkeypatch.setattr(codec, "decode_master", boom)
    monkeypatch.setattr(codec, "open_master", boom)
    data = imaging.render(_req("100,100,900,700", "450,", "33", "gray.webp"), out, derivs)
    assert data[8:12] == b"WEBP"


def test_mirroring_and_rotation(pyramid):
    _, out, derivs = pyramid
    mirrored = Image.open(io.BytesIO(imaging.render(_req(rotation="!0"), out, derivs)))
    r, g, b = mirrored.convert("RGB").getpixel((50, 50))
    assert g > 150 and r < 80  # top left is now the green (top right) quadrant
    turned = Image.open(io.BytesIO(imaging.render(_req(rotation="90"), out, derivs)))
    assert turned.size == (900, 1300)
    r, g, b = turned.convert("RGB").getpixel((850, 50))
    assert r > 150 and g < 80  # the red top-left quadrant is now at the top right
    both = Image.open(io.BytesIO(imaging.render(_req(rotation="!180"), out, derivs)))
    r, g, b = both.convert("RGB").getpixel((50, 850))
    assert r > 150 and g < 80  # mirror then rotate 180: red is bottom left


def test_arbitrary_rotation_has_a_transparent_background_in_png(pyramid):
    _, out, derivs = pyramid
    im = Image.open(io.BytesIO(imaging.render(_req(size="650,", rotation="22.5"), out,
                                              derivs)))
    w, h = 650, 450
    rad = math.radians(22.5)
    assert abs(im.width - (w * math.cos(rad) + h * math.sin(rad))) <= 2
    assert abs(im.height - (w * math.sin(rad) + h * math.cos(rad))) <= 2
    assert im.mode == "RGBA" and im.getpixel((0, 0))[3] == 0
    jpg = Image.open(io.BytesIO(imaging.render(_req(size="650,", rotation="22.5",
                                                    qf="default.jpg"), out, derivs)))
    assert min(jpg.convert("RGB").getpixel((1, 1))) > 240  # white paper corners


def test_qualities(pyramid):
    _, out, derivs = pyramid
    gray = Image.open(io.BytesIO(imaging.render(_req(qf="gray.png"), out, derivs)))
    assert gray.mode == "L"
    bitonal = Image.open(io.BytesIO(imaging.render(_req(qf="bitonal.png"), out, derivs)))
    assert {v for _, v in bitonal.convert("L").getcolors()} <= {0, 255}
    color = Image.open(io.BytesIO(imaging.render(_req(qf="color.jpg", size="300,"), out,
                                                 derivs)))
    assert color.mode == "RGB"


MAGIC = {"jpg": b"\xff\xd8\xff", "png": b"\x89PNG", "gif": b"GIF8", "pdf": b"%PDF",
         "tif": (b"II*\x00", b"MM\x00*"), "jp2": b"\x00\x00\x00\x0cjP  ", "webp": b"RIFF"}


@pytest.mark.parametrize("fmt", sorted(MAGIC))
@pytest.mark.parametrize("quality", ["default", "bitonal"])
def test_every_format_is_written(pyramid, fmt, quality):
    _, out, derivs = pyramid
    data = imaging.render(_req(size="200,", rotation="10", qf=f"{quality}.{fmt}"), out, derivs)
    magic = MAGIC[fmt]
    assert data.startswith(magic if isinstance(magic, bytes) else tuple(magic))


def test_grey_pyramid_serves_gray_from_tiles(tmp_path):
    p = tmp_path / "g.png"
    _pattern((700, 600), "L").save(p)
    derivs = imaging.make_derivatives(p, tmp_path / "d")
    req = parse_request("g.0001", "0,0,512,512", "max", "0", "gray.jpg", width=700, height=600,
                        settings=Limits())
    assert imaging.prebuilt_path(req, tmp_path / "d", derivs) is not None
    im = Image.open(io.BytesIO(imaging.render(
        parse_request("g.0001", "10,10,600,500", "300,", "0", "color.png", width=700,
                      height=600, settings=Limits()), tmp_path / "d", derivs)))
    assert im.mode == "L"


# --- memory on a large master -------------------------------------------------------------------

@pytest.mark.slow
def test_large_master_stays_under_one_and_a_half_gibibytes(tmp_path):
    """A 12,000 x 9,000 JPEG master, in a fresh process so ru_maxrss is its own."""
    big = tmp_path / "big.jpg"
    im = Image.linear_gradient("L").resize((12000, 9000)).convert("RGB")
    im.save(big, quality=80)
    del im
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from library import imaging
        d = imaging.make_derivatives(Path({str(big)!r}), Path({str(tmp_path / 'd')!r}))
        # VmHWM is this program's own peak (ru_maxrss would include the parent's at fork)
        hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")]
        peak = int(hwm[0]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(d.scale_factors, peak)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split()
    peak_kib = int(out[-1])
    assert peak_kib < 1.5 * 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"


# --- render_page: pages described as data (the sample's drawing) ----------------------------------

_INK_RGB = (0, 0, 0)
_RED_RGB = (255, 0, 0)


def _sheet(**kw) -> imaging.PageDrawing:
    return imaging.PageDrawing(size=(400, 300), paper=imaging.Paper((250, 250, 250),
                                                                     (250, 250, 250), 7),
                               ink_color=_INK_RGB, red_color=_RED_RGB, **kw)


def _decoded(sheet: imaging.PageDrawing) -> Image.Image:
    data = imaging.render_page(sheet)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data)).convert("RGB")


def _dark(im: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` much darker than the paper."""
    return sum(1 for p in im.crop(box).convert("L").getdata() if p < 128)


def test_render_page_inks_where_a_mark_is_and_nowhere_else():
    sheet = _sheet(ink=[imaging.Shape("rectangle", (50, 40, 99, 89), fill=255)],
                   red=[imaging.Shape("line", (300, 10, 300, 290), fill=255, width=3)])
    im = _decoded(sheet)
    assert im.size == (400, 300)
    assert _dark(im, (50, 40, 100, 90)) == 50 * 50
    assert im.getpixel((310, 150))[0] > 200 and im.getpixel((300, 150)) == _RED_RGB
    assert _dark(im, (120, 0, 290, 300)) == 0 and _dark(im, (0, 100, 290, 300)) == 0
    assert _dark(im, (310, 0, 400, 300)) == 0


def test_render_page_is_repeatable_and_seeded():
    sheet = _sheet(damage=[imaging.Damage((100, 100, 160, 140), seed=3)])
    assert imaging.render_page(sheet) == imaging.render_page(sheet)
    other = _sheet(damage=[imaging.Damage((100, 100, 160, 140), seed=4)])
    assert imaging.render_page(other) != imaging.render_page(sheet)
    im = _decoded(sheet)
    assert im.getpixel((130, 120)) != (250, 250, 250)  # the patch is on the paper
    assert im.getpixel((300, 250)) == (250, 250, 250)


def test_a_turned_band_becomes_a_column_from_the_top():
    # a 200 x 20 strip inked at its start, turned clockwise: its start is at the column's top
    band = imaging.Band(size=(200, 20), at=(100, 50), turn=90,
                        marks=[imaging.Shape("rectangle", (0, 0, 29, 19), fill=255)])
    im = _decoded(_sheet(ink=[band]))
    assert _dark(im, (100, 50, 120, 80)) == 20 * 30
    assert _dark(im, (100, 80, 120, 250)) == 0
    flat = imaging.Band(size=(200, 20), at=(100, 50),
                        marks=[imaging.Shape("rectangle", (0, 0, 29, 19), fill=255)])
    im = _decoded(_sheet(ink=[flat]))
    assert _dark(im, (100, 50, 130, 70)) == 30 * 20 and _dark(im, (130, 50, 300, 70)) == 0


def test_unknown_marks_are_refused():
    with pytest.raises(ValueError):
        imaging.render_page(_sheet(ink=[imaging.Shape("star", (0, 0, 5, 5), fill=255)]))
    with pytest.raises(ValueError):
        imaging.render_page(_sheet(ink=[imaging.Band((5, 5), (0, 0), turn=45)]))
    with pytest.raises(TypeError):
        imaging.render_page(_sheet(ink=["text"]))


def test_text_runs_are_measured_and_drawn_where_measured():
    from library.sample import find_font

    path = find_font("Hani")
    if path is None:
        pytest.skip("no CJK font: run `make assets` or install fonts-noto-cjk")
    index = next((n for n, name in enumerate(imaging.font_face_names(path))
                  if name.endswith(" TC")), 0)
    font = imaging.FontSpec(str(path), 48, index)
    ascent, descent = imaging.font_metrics(font)
    assert ascent > 0 and descent >= 0
    assert imaging.text_length(font, "爾爾") == pytest.approx(2 * imaging.text_length(font, "爾"))
    x0, y0, x1, y1 = imaging.text_bbox(font, "爾", "zh-Hant", "mt")
    assert x0 < 0 < x1 and y1 > y0
    im = _decoded(_sheet(ink=[imaging.TextRun((200, 100), "爾", font, 255, "zh-Hant", "mt")]))
    assert _dark(im, (200 + x0, 100 + y0, 200 + x1, 100 + y1)) > 200
    assert _dark(im, (0, 0, 400, 100 + y0 - 1)) == 0 and _dark(im, (0, 100 + y1 + 1, 400, 300)) == 0


def test_an_unreadable_font_is_an_image_error(tmp_path):
    broken = tmp_path / "broken.woff2"
    broken.write_bytes(b"wOF2 not really a font")
    with pytest.raises(ImageError):
        imaging.font_metrics(imaging.FontSpec(str(broken), 20))
    assert imaging.font_face_names(broken) == []
