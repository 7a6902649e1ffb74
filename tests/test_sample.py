"""The built-in sample batch (library/sample*.py, library/data/sample_*.json): items, TEI, page
images, OCR boxes, fonts."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageChops, features

from library import sample_fonts, sample_items
from library.imaging import render_page
from library.sample import find_font, write_sample
from library.sample_fonts import Fonts
from library.sample_items import BY_ID, ITEMS
from library.sample_pages import page_lines, render_mongolian, render_tibetan, seg_text, segments
from library.sample_tei import parse_fragment

T = "{http://www.tei-c.org/ns/1.0}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EXPECTED = ["jangar-ms-1", "geser-ms-1", "kangyur-vol-1", "kangyur-vol-2", "kangyur-vol-3",
            "todo-xiyouji-1", "zh-archive-1", "manchu-memorial-1"]
PORTRAIT = {"jangar-ms-1", "geser-ms-1", "todo-xiyouji-1", "zh-archive-1", "manchu-memorial-1"}


@pytest.fixture(scope="module")
def batch(sample_batch: Path) -> Path:
    """The session's sample (tests/conftest.py), read only."""
    return sample_batch


def _tei(batch: Path, item: str) -> etree._ElementTree:
    return etree.parse(str(batch / item / f"{item}.xml"))


def _text(tree: etree._ElementTree) -> str:
    return "".join(tree.find(f"{T}text").itertext())


def _ink_mask(img: Image.Image) -> Image.Image:
    """255 where the pixel is black ink (not red ink, not paper, not a damaged patch)."""
    r, g, _b = img.convert("RGB").split()
    dark_r = r.point(lambda v: 255 if v < 110 else 0)
    dark_g = g.point(lambda v: 255 if v < 110 else 0)
    return ImageChops.multiply(dark_r, dark_g)


def _runs(profile: list[int], threshold: int = 2, bridge: int = 16) -> list[tuple[int, int]]:
    """Stretches of ink along a projection; gaps narrower than ``bridge`` px do not split."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, v in enumerate(profile + [0]):
        if v >= threshold and start is None:
            start = i
        elif v < threshold and start is not None:
            if runs and start - runs[-1][1] < bridge:
                start = runs.pop()[0]
            runs.append((start, i))
            start = None
    return runs


def _inked(mask: Image.Image) -> int:
    return sum(mask.histogram()[1:])


def _profile(mask: Image.Image, axis: str) -> list[int]:
    """Mean ink per pixel column (axis "x") or row (axis "y"), 0-255."""
    w, h = mask.size
    small = mask.resize((w, 1) if axis == "x" else (1, h), Image.Resampling.BOX)
    return list(small.getdata())


def test_items_pages_and_collections(batch: Path) -> None:
    for item in EXPECTED:
        images = sorted((batch / item / "images").glob("*.png"))
        assert 3 <= len(images) <= 6, item
        assert [p.name for p in images] == [f"{n:04d}.png" for n in range(1, len(images) + 1)]
        pbs = _tei(batch, item).findall(f".//{T}pb")
        assert [pb.get("facs") for pb in pbs] == [f"images/{p.name}" for p in images]
    groups = json.loads((batch / "collections.json").read_text(encoding="utf-8"))
    collections = groups["collections"]
    assert {c["id"] for c in collections} >= {"epics", "kangyur"}
    # one multi-volume work: the three Kangyur volumes, in order
    assert [[v["item"] for v in w["volumes"]] for w in groups["works"]] == \
        [["kangyur-vol-1", "kangyur-vol-2", "kangyur-vol-3"]]
    grouped = [i for c in collections for i in c["items"]]
    assert sorted(grouped) == sorted(EXPECTED)
    for c in collections:
        assert c["label"]["en"] and set(c) >= {"id", "label", "summary", "parent", "items"}


def test_kangyur_folio_labels(batch: Path) -> None:
    labels = [pb.get("n") for pb in _tei(batch, "kangyur-vol-1").findall(f".//{T}pb")]
    assert labels == ["1a", "1b", "2a", "2b", "3a", "3b"]
    for later in ("kangyur-vol-2", "kangyur-vol-3"):
        labels = [pb.get("n") for pb in _tei(batch, later).findall(f".//{T}pb")]
        assert labels == ["1a", "1b", "2a"], later


@pytest.mark.parametrize("item", EXPECTED)
def test_tei_header_is_complete(batch: Path, item: str) -> None:
    tree = _tei(batch, item)
    root = tree.getroot()
    assert root.tag == f"{T}TEI"
    header = root.find(f"{T}teiHeader")
    titles = header.findall(f"{T}fileDesc/{T}titleStmt/{T}title")
    langs = {t.get(XML_LANG) for t in titles}
    assert len(langs) >= 4 and "en" in langs and ("zh-Hans" in langs or "zh-Hant" in langs)
    assert header.findall(f".//{T}respStmt")
    ident = header.find(f".//{T}msDesc/{T}msIdentifier")
    assert "(sample)" in ident.findtext(f"{T}institution")
    assert ident.findtext(f"{T}idno")
    date = header.find(f".//{T}origDate")
    assert int(date.get("notBefore")) <= int(date.get("notAfter"))
    assert header.findtext(f".//{T}origPlace")
    assert header.find(f".//{T}textLang").get("mainLang")
    assert header.findall(f".//{T}langUsage/{T}language")
    assert header.find(f".//{T}licence").get("target").startswith("https://creativecommons.org/")
    assert header.findtext(f".//{T}textClass//{T}term")
    assert header.findtext(f".//{T}msContents/{T}summary")
    heads = root.findall(f".//{T}body//{T}div/{T}head")
    assert len(heads) >= 2
    assert root.findall(f".//{T}body//{T}lb")


def test_tei_uses_editorial_markup(batch: Path) -> None:
    found = set()
    for item in EXPECTED:
        root = _tei(batch, item).getroot()
        for name in ("choice", "orig", "reg", "sic", "corr", "note", "gap", "unclear"):
            if root.find(f".//{T}body//{T}{name}") is not None:
                found.add(name)
    assert found == {"choice", "orig", "reg", "sic", "corr", "note", "gap", "unclear"}


def test_texts_in_their_scripts(batch: Path) -> None:
    jangar = _text(_tei(batch, "jangar-ms-1"))
    assert "ᠵᠠᠩᠭᠠᠷ" in jangar
    assert "ᠵᠠᠩᠭᠠᠷ\u202fᠤᠨ" in jangar  # NNBSP before the case suffix
    assert "ᠬᠠᠷ\u180eᠠ" in jangar  # MVS before the detached final a
    assert "ᠭᠡᠰᠡᠷ" in _text(_tei(batch, "geser-ms-1"))
    kangyur = _tei(batch, "kangyur-vol-1")
    assert "བཀའ་འགྱུར" in _text(kangyur)
    for word in ("བྱང་ཆུབ་སེམས་དཔའ", "སངས་རྒྱས"):
        assert word in _text(kangyur)
    todo = _text(_tei(batch, "todo-xiyouji-1"))
    todo_letters = {c for c in todo if 0x1843 <= ord(c) <= 0x185C}
    assert len(todo_letters) >= 10
    assert not re.search("[\u1820-\u1842]", todo.replace("\u1820", "").replace(
        "\u1828", "").replace("\u182f", "").replace("\u1830", "").replace(
        "\u1831", "").replace("\u1837", "")), "Hudum-only letters in the Todo text"
    manchu = _text(_tei(batch, "manchu-memorial-1"))
    assert "ᡤᡝᠰᡝᡵ" in manchu and len({c for c in manchu if 0x185D <= ord(c) <= 0x1878}) >= 8
    zh = _text(_tei(batch, "zh-archive-1"))
    for word in ("格斯爾", "江格爾", "甘珠爾", "傳", "遊", "記", "乾隆"):
        assert word in zh


@pytest.mark.slow
def test_tei_valid_against_tei_all(batch: Path, shared_dir: Path) -> None:
    rng_path = shared_dir / "corpora" / "tei-p5-schema" / "tei_all.rng"
    if not rng_path.is_file():
        pytest.skip(f"no TEI schema at {rng_path}")
    schema = etree.RelaxNG(etree.parse(str(rng_path)))
    for item in EXPECTED:
        tree = _tei(batch, item)
        assert schema.validate(tree), (item, [str(e) for e in schema.error_log][:3])


@pytest.mark.parametrize("item", EXPECTED)
def test_images_orientation_and_ink(batch: Path, item: str) -> None:
    tree = _tei(batch, item)
    pages = BY_ID[item].pages
    for order, page in enumerate(pages, start=1):
        with Image.open(batch / item / "images" / f"{order:04d}.png") as img:
            img.load()
        w, h = img.size
        assert 1200 <= max(w, h) <= 1800
        if item in PORTRAIT:
            assert h > w
        else:
            assert 2.5 <= w / h <= 3.5
        mask = _ink_mask(img)
        inked = _inked(mask)
        assert inked > 2000, f"{item} page {order} looks blank"
        # Black-ink lines: the heads of Mongolian and Tibetan leaves are in red.
        black_lines = len(page.lines) + (1 if item == "zh-archive-1" and page.head else 0)
        if item in PORTRAIT:
            inner = mask.crop((90, 100, w - 90, h - 100))
            runs = _runs(_profile(inner, "x"))
            assert len(runs) == black_lines, (item, order, runs)
            if item == "zh-archive-1":
                # Chinese columns run right to left: the first line is the rightmost column.
                assert runs[-1][0] > runs[0][0]
            else:
                assert all(b - a < 100 for a, b in runs), "columns should be narrow and vertical"
        elif page.lines:
            inner = mask.crop((180, 50, w - 180, h - 50))
            runs = _runs(_profile(inner, "y"))
            assert len(runs) == black_lines, (item, order, runs)
    assert tree.getroot() is not None


def test_mongolian_columns_left_to_right(batch: Path) -> None:
    """The ALTO lines of a Mongolian page go left to right and each is taller than wide."""
    tree = etree.parse(str(batch / "jangar-ms-1" / "ocr" / "0001.xml"))
    boxes = [(int(tl.get("HPOS")), int(tl.get("WIDTH")), int(tl.get("HEIGHT")))
             for tl in tree.iter(f"{ALTO}TextLine")]
    assert len(boxes) == 6
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    assert all(h > 3 * w for _x, w, h in boxes)


def test_alto_words_match_transcription_and_ink(batch: Path) -> None:
    spec = BY_ID["jangar-ms-1"]
    for order, page in enumerate(spec.pages, start=1):
        tree = etree.parse(str(batch / spec.id / "ocr" / f"{order:04d}.xml"))
        page_el = tree.find(f".//{ALTO}Page")
        with Image.open(batch / spec.id / "images" / f"{order:04d}.png") as img:
            img.load()
        assert (int(page_el.get("WIDTH")), int(page_el.get("HEIGHT"))) == img.size
        written = [seg_text(segs) for _k, segs in page_lines(page)]
        lines = list(tree.iter(f"{ALTO}TextLine"))
        assert len(lines) == len(written)
        gray = img.convert("L")
        for line, text in zip(lines, written):
            words = [s.get("CONTENT") for s in line.iter(f"{ALTO}String")]
            assert words == text.split(" ") or words == [w for w in text.split(" ") if w]
            for s in line.iter(f"{ALTO}String"):
                x, y, w, h = (int(s.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
                assert 0 <= x and x + w <= img.width and 0 <= y and y + h <= img.height
                lo, _hi = gray.crop((x, y, x + w, y + h)).getextrema()
                # faint ink (<unclear>) is announced by a low word confidence
                limit = 120 if float(s.get("WC")) > 0.9 else 180
                assert lo < limit, f"no ink under the box of {s.get('CONTENT')!r}"


def test_hocr_is_wellformed_with_boxes(batch: Path) -> None:
    path = batch / "kangyur-vol-1" / "ocr" / "0002.html"
    root = etree.parse(str(path)).getroot()
    words = root.findall(".//{http://www.w3.org/1999/xhtml}span[@class='ocrx_word']")
    assert len(words) > 40
    for w in words:
        m = re.match(r"bbox (\d+) (\d+) (\d+) (\d+)", w.get("title"))
        x0, y0, x1, y1 = map(int, m.groups())
        assert 0 <= x0 < x1 <= 1800 and 0 <= y0 < y1 <= 600


def test_segments_follow_the_scribe() -> None:
    segs = segments('a <choice><orig>o</orig><reg>r</reg></choice> '
                    '<choice><sic>s</sic><corr>c</corr></choice> <unclear>u</unclear>'
                    ' <gap/> x<note>not drawn</note> y')
    assert [(s.kind, s.text) for s in segs] == [
        ("text", "a o s "), ("unclear", "u"), ("text", " "), ("gap", ""), ("text", " x y")]


def _same_files(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


@pytest.mark.slow  # seconds of end-to-end work: `make test-slow`, and CI, run it
def test_output_is_deterministic(batch: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert write_sample(tmp_path / "direct") == EXPECTED
    _same_files(batch, tmp_path / "direct")
    # `sudur sample OUT` into a relative path, then again over it through its absolute path
    from click.testing import CliRunner

    from library.cli import cli

    monkeypatch.chdir(tmp_path)
    for out in ("rel/out", str(tmp_path / "rel" / "out")):
        result = CliRunner().invoke(cli, ["sample", out])
        assert result.exit_code == 0, result.output
        assert f"wrote 8 sample items to {out}" in result.output
    _same_files(batch, tmp_path / "rel" / "out")


def test_items_are_read_from_the_data_files() -> None:
    assert [item.id for item in ITEMS] == EXPECTED
    text = sample_items.ITEMS_PATH.read_text(encoding="utf-8")
    # the invisible Mongolian controls are written as escapes a reader can see
    assert "\u202f" not in text and "\u180e" not in text
    assert "\\u202f" in text and "\\u180e" in text
    jangar = BY_ID["jangar-ms-1"]
    assert jangar.pages[0].head == "ᠵᠠᠩᠭᠠᠷ\u202fᠤᠨ ᠲᠠᠤᠯᠢ"
    assert jangar.licence.target == "https://creativecommons.org/licenses/by/4.0/"
    assert [c.id for c in sample_items.COLLECTIONS] == ["epics", "kangyur", "oirat", "archives"]


@pytest.mark.parametrize("change", ["unknown", "missing", "page"])
def test_item_data_with_a_wrong_key_is_refused(tmp_path: Path, change: str) -> None:
    data = json.loads(sample_items.ITEMS_PATH.read_text(encoding="utf-8"))
    if change == "unknown":
        data[0]["subtitle"] = "x"
    elif change == "missing":
        del data[1]["genre"]
    else:
        data[2]["pages"][0]["text"] = "x"
    path = tmp_path / "items.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="subtitle|genre|text"):
        sample_items.load_items(path)


def _content(el: etree._Element) -> tuple[str, list[str]]:
    """An element's text and the local names of the elements inside it, in document order."""
    return "".join(el.itertext()), [etree.QName(e).localname for e in el.iterdescendants()]


@pytest.mark.parametrize("item", EXPECTED)
def test_tei_carries_the_data(batch: Path, item: str) -> None:
    """The TEI written with lxml holds the item's data: titles, page labels, heads and lines."""
    spec = BY_ID[item]
    root = _tei(batch, item).getroot()
    titles = root.findall(f"{T}teiHeader/{T}fileDesc/{T}titleStmt/{T}title")
    assert [(t.get(XML_LANG), t.text) for t in titles] == list(spec.titles.items())
    assert titles[0].get("type") == "main" and {t.get("type") for t in titles[1:]} == {"alt"}
    assert root.find(f"{T}text").get(XML_LANG) == spec.lang
    assert [pb.get("n") for pb in root.iter(f"{T}pb")] == [p.label for p in spec.pages]
    heads = [_content(h) for h in root.iter(f"{T}head")]
    assert heads == [_content(parse_fragment(p.head)) for p in spec.pages if p.head is not None]
    paragraphs = [_content(p) for p in root.findall(f"{T}text/{T}body//{T}p")]
    expected = []
    for page in spec.pages:
        if page.lines:
            lines = [_content(parse_fragment(line)) for line in page.lines]
            # <lb/> before each line and no whitespace between them
            expected.append(("".join(text for text, _ in lines),
                             [name for _, names in lines for name in ["lb", *names]]))
    assert paragraphs == expected


def test_find_font_aliases_and_unknown() -> None:
    assert find_font("Mong") == find_font("xal-Mong") == find_font("mongolian")
    assert find_font("bo") == find_font("Tibt")
    assert find_font("zh-Hant") == find_font("Hani")
    with pytest.raises(ValueError):
        find_font("Klingon")


@pytest.mark.parametrize("script,probe", [("Mong", "ᠠᠠᠠ"), ("Tibt", "བསྒྲུབས"), ("Hani", "爾")])
def test_fonts_found_and_shape(script: str, probe: str) -> None:
    from PIL import ImageFont

    path = find_font(script)
    if path is None:
        pytest.skip(f"no font for {script}: run `make assets` (npm @fontsource) or install the "
                    "Debian packages fonts-noto-core and fonts-noto-cjk")
    if not features.check("raqm"):
        pytest.skip("Pillow was built without raqm: complex scripts cannot be shaped")
    font = ImageFont.truetype(str(path), 40, layout_engine=ImageFont.Layout.RAQM)
    notdef = bytes(font.getmask("\ue000"))
    assert bytes(font.getmask(probe)) != notdef, f"{path.name} has no glyphs for {script}"
    if script == "Mong":
        # joined initial/medial/final forms are not three isolated letters side by side
        assert font.getlength(probe) != pytest.approx(3 * font.getlength(probe[0]), abs=0.5)


def test_missing_fonts_fall_back_to_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sample_fonts, "find_font", lambda script: None)
    fonts = Fonts()
    geser = BY_ID["geser-ms-1"]
    sheet, lines = render_mongolian(geser, geser.pages[0], fonts)
    img = Image.open(io.BytesIO(render_page(sheet)))
    assert fonts.missing == {"Mong"}
    assert img.size == (1000, 1500)
    assert len(lines) == 5 and all(line.words for line in lines)
    assert _inked(_ink_mask(img)) > 2000


def test_unreadable_font_falls_back_to_blocks(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.woff2"
    broken.write_bytes(b"wOF2 not really a font")
    monkeypatch.setattr(sample_fonts, "find_font", lambda script: broken)
    fonts = Fonts()
    kangyur = BY_ID["kangyur-vol-1"]
    sheet, lines = render_tibetan(kangyur, kangyur.pages[1], fonts)
    img = Image.open(io.BytesIO(render_page(sheet)))
    assert fonts.missing == {"Tibt"}
    assert img.size == (1800, 600) and len(lines) == 5
