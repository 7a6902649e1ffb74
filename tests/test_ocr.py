"""Tests for ingest.ocr: ALTO, hOCR and PAGE XML to lines/words, and alignment with TEI text."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ingest.ocr import OcrPage, align_ocr_to_text, parse_ocr, parse_ocr_pages
from library.errors import InputError, UnsafeXMLError, XMLSyntaxError
from library.models import Box

KANT = "corpora/ocrd-assets/data/kant_aufklaerung_1784/data"
HOCR = "corpora/openpecha-toolkit-v2-hocr/tests/pecha/parser/ocr/hocr/data/file_per_volume/W22084"


def _offsets_consistent(page: OcrPage) -> None:
    for line in page.lines:
        assert page.text[line.start:line.end] == line.text
        for w in line.words:
            assert page.text[w.start:w.end] == w.text


# --- the real files -------------------------------------------------------------------------

def test_alto_kant(shared_dir: Path) -> None:
    f = shared_dir / KANT / "OCR-D-GT-ALTO/PAGE_0017_ALTO.xml"
    page = parse_ocr(f, display_name="kant/PAGE_0017_ALTO.xml")
    assert page.format == "alto"
    assert (page.width, page.height) == (1457, 2083)
    assert len(page.lines) == f.read_text(encoding="utf-8").count("<TextLine")
    first = page.lines[0]
    assert first.text == "Berliniſche Monatsſchrift ."
    # <String ... HEIGHT="69" WIDTH="328" VPOS="368" HPOS="114" CONTENT="Berliniſche"/>
    assert first.words[0].text == "Berliniſche"
    assert first.words[0].box == Box(114, 368, 328, 69)
    assert first.box == Box(114, 366, 804, 72)
    assert page.text.split("\n")[0] == first.text
    _offsets_consistent(page)


def test_page_xml_kant_matches_alto(shared_dir: Path) -> None:
    page = parse_ocr(shared_dir / KANT / "OCR-D-GT-PAGE/PAGE_0017_PAGE.xml")
    assert page.format == "page"
    assert (page.width, page.height) == (1457, 2083)
    assert page.image == "OCR-D-IMG/INPUT_0017.tif"
    # <Coords points="114,368 442,368 442,437 114,437"/> of "Berliniſche"
    assert page.lines[0].words[0].box == Box(114, 368, 328, 69)
    # unordered points ("902,436 482,436 482,367 902,367") still give the bounding box
    assert page.lines[0].words[1].box == Box(482, 367, 420, 69)
    alto = parse_ocr(shared_dir / KANT / "OCR-D-GT-ALTO/PAGE_0017_ALTO.xml")
    assert [ln.text for ln in page.lines] == [ln.text for ln in alto.lines]
    _offsets_consistent(page)


def test_page_xml_with_jp2_image(shared_dir: Path) -> None:
    folder = shared_dir / "corpora/ocrd-assets/data/kant_aufklaerung_1784-jp2/data"
    page = parse_ocr(folder / "OCR-D-GT-PAGE/PAGE_0020_PAGE.xml")
    assert page.format == "page" and page.lines
    assert (folder / page.image).is_file()


def test_hocr_tibetan_volume(shared_dir: Path) -> None:
    f = shared_dir / HOCR / "bdrc-W22084-1_hocr.html"
    pages = parse_ocr_pages(f)
    raw = f.read_text(encoding="utf-8")
    assert len(pages) == len(re.findall(r"class=\"ocr_page\"", raw))
    first = pages[0]
    assert first.format == "hocr" and (first.width, first.height) == (878, 1138)
    assert first.image.endswith("bdrc-W22084-1_0000.jp2")
    # <span class="ocrx_word" ... title="bbox 363 228 504 263; ...">བཀའ་འགྱུར་སྡེ་དགེ་ཕར་མ</span>
    word = next(w for ln in first.lines for w in ln.words if w.text == "བཀའ་འགྱུར་སྡེ་དགེ་ཕར་མ")
    assert word.box == Box(363, 228, 141, 35)
    assert parse_ocr(f).text == first.text
    tibetan = sum(1 for p in pages for ch in p.text if "\u0f00" <= ch <= "\u0fff")
    assert tibetan > 1000
    for p in pages:
        _offsets_consistent(p)


# --- made-up files --------------------------------------------------------------------------

ALTO4 = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
 <Description><MeasurementUnit>pixel</MeasurementUnit>
  <sourceImageInformation><fileName>0001.tif</fileName></sourceImageInformation></Description>
 <Layout><Page WIDTH="1000" HEIGHT="800" PHYSICAL_IMG_NR="1" ID="p1"><PrintSpace>
  <TextBlock ID="b1">
   <TextLine ID="l1" HPOS="10" VPOS="20" WIDTH="300" HEIGHT="40">
    <String CONTENT="ᠵᠠᠩᠭᠠᠷ" HPOS="10" VPOS="20" WIDTH="100" HEIGHT="40"/><SP/>
    <String CONTENT="ᠬᠠᠭᠠ" HPOS="120" VPOS="20" WIDTH="90" HEIGHT="40"/><HYP CONTENT="-"/>
   </TextLine>
   <TextLine ID="l2" HPOS="10.6" VPOS="70" WIDTH="200" HEIGHT="40">
    <String CONTENT="ᠨ" HPOS="10.6" VPOS="70" WIDTH="50" HEIGHT="40"/>
   </TextLine>
  </TextBlock></PrintSpace></Page></Layout></alto>"""


def test_alto_v4_with_hyphen(tmp_path: Path) -> None:
    f = tmp_path / "0001.xml"
    f.write_text(ALTO4, encoding="utf-8")
    page = parse_ocr(f)
    assert page.text == "ᠵᠠᠩᠭᠠᠷ ᠬᠠᠭᠠ-\nᠨ"
    assert page.image == "0001.tif"
    assert page.lines[1].box == Box(11, 70, 200, 40)
    _offsets_consistent(page)


@pytest.mark.parametrize("old, new", [('<Page WIDTH="1000"', '<Page WIDTH="nan"'),
                                      ('HPOS="10.6" VPOS="70"', 'HPOS="inf" VPOS="70"'),
                                      ('HPOS="10.6" VPOS="70"', 'HPOS="1e300" VPOS="70"')])
def test_alto_with_nan_infinite_or_absurd_numbers(tmp_path: Path, old: str, new: str) -> None:
    # NaN or inf in an ALTO size ended check and ingest in a ValueError/OverflowError traceback
    f = tmp_path / "0001.xml"
    f.write_text(ALTO4.replace(old, new, 1), encoding="utf-8")
    page = parse_ocr(f)
    assert page.text == "ᠵᠠᠩᠭᠠᠷ ᠬᠠᠭᠠ-\nᠨ"
    assert all(abs(v) < 10 ** 12 for ln in page.lines if ln.box
               for v in (ln.box.x, ln.box.y, ln.box.w, ln.box.h))


@pytest.mark.parametrize("points", ["0,0 nan,5 9,9", "0,0 inf,5 9,9", "0,0 1e300,5 9,9"])
def test_page_xml_coords_with_nan_infinite_or_absurd_numbers(tmp_path: Path, points: str) -> None:
    f = tmp_path / "p.xml"
    f.write_text(PAGE2013.replace("5,10 80,10 80,40 5,40", points), encoding="utf-8")
    page = parse_ocr(f)
    assert page.lines[0].box == Box(0, 0, 9, 9)


@pytest.mark.parametrize("bbox", ["0 0 9 " + "9" * 5000, "0 0 9 " + "9" * 300])
def test_hocr_bbox_with_absurd_numbers_gives_no_box(tmp_path: Path, bbox: str) -> None:
    # int() of 5,000 digits raises ValueError; 300 digits went into the page JSON
    f = tmp_path / "p.html"
    f.write_text('<html><body><div class="ocr_page" title="bbox 0 0 100 100">'
                 f'<span class="ocr_line" title="bbox {bbox}">'
                 '<span class="ocrx_word" title="bbox 0 0 9 9">word</span></span>'
                 '</div></body></html>', encoding="utf-8")
    page = parse_ocr(f)
    assert page.text == "word"
    assert page.lines[0].box is None


PAGE2013 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15">
 <Page imageFilename="p.png" imageWidth="500" imageHeight="700">
  <ReadingOrder><OrderedGroup id="g"><RegionRefIndexed index="1" regionRef="r1"/>
   <RegionRefIndexed index="0" regionRef="r2"/></OrderedGroup></ReadingOrder>
  <TextRegion id="r1"><Coords points="0,0 10,0 10,10 0,10"/>
   <TextLine id="a"><Coords points="1,100 90,100 90,130 1,130"/>
    <TextEquiv><Unicode>second region</Unicode></TextEquiv></TextLine></TextRegion>
  <TextRegion id="r2"><Coords points="0,0 10,0 10,10 0,10"/>
   <TextLine id="b"><Coords points="5,10 80,10 80,40 5,40"/>
    <Word id="w1"><Coords points="5,10 30,10 30,40 5,40"/>
     <TextEquiv index="2"><Unicode>wrong</Unicode></TextEquiv>
     <TextEquiv index="1"><Unicode>first</Unicode></TextEquiv></Word>
    <Word id="w2"><Coords points="35,10 80,10 80,40 35,40"/>
     <TextEquiv><Unicode>line</Unicode></TextEquiv></Word>
   </TextLine></TextRegion>
 </Page></PcGts>"""


def test_page_2013_reading_order_and_text_equiv_index(tmp_path: Path) -> None:
    f = tmp_path / "p.xml"
    f.write_text(PAGE2013, encoding="utf-8")
    page = parse_ocr(f)
    assert page.format == "page"
    assert page.text == "first line\nsecond region"
    assert page.lines[0].words[0].box == Box(5, 10, 25, 30)
    assert page.lines[1].words == [] and page.lines[1].box == Box(1, 100, 89, 30)
    _offsets_consistent(page)


def test_hocr_html_not_well_formed(tmp_path: Path) -> None:
    f = tmp_path / "p.hocr"
    f.write_text("<html><body><div class='ocr_page' title='image \"x.png\"; bbox 0 0 640 480'>"
                 "<p><span class='ocr_line' title='bbox 10 10 200 40'>"
                 "<span class='ocrx_word' title='bbox 10 10 90 40; x_wconf 90'>བཀའ<br>"
                 "<span class='ocrx_word' title='bbox 100 10 200 40'>འགྱུར</span></span>"
                 "</div>", encoding="utf-8")
    page = parse_ocr(f)
    assert page.format == "hocr" and (page.width, page.height) == (640, 480)
    assert page.image == "x.png"
    assert [w.text for w in page.lines[0].words] == ["བཀའ", "འགྱུར"]
    assert page.lines[0].words[1].box == Box(100, 10, 100, 30)


def test_bad_ocr_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#">'
                   "\n<Layout>\n</alto>", encoding="utf-8")
    with pytest.raises(XMLSyntaxError) as ei:
        parse_ocr(bad, display_name="b/ocr/bad.xml")
    assert ei.value.file == "b/ocr/bad.xml" and ei.value.line == 4
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?>\n<mets/>", encoding="utf-8")
    with pytest.raises(InputError, match="ALTO, hOCR or PAGE") as ei2:
        parse_ocr(other)
    assert ei2.value.line == 2
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<!DOCTYPE alto [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    '<alto xmlns="http://www.loc.gov/standards/alto/ns-v2#">&b;</alto>',
                    encoding="utf-8")
    with pytest.raises(UnsafeXMLError):
        parse_ocr(bomb)
    html_bomb = tmp_path / "bomb.hocr"
    html_bomb.write_text('<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                         "<html><body><div class='ocr_page'>&x;<br></div>", encoding="utf-8")
    with pytest.raises(UnsafeXMLError):
        parse_ocr(html_bomb)


# --- alignment ------------------------------------------------------------------------------

def _squash(s: str) -> str:
    return re.sub(r"[\s\-=¬]", "", unicodedata.normalize("NFKC", s).casefold())


def test_align_to_tei_text(shared_dir: Path) -> None:
    ocr = parse_ocr(shared_dir / KANT / "OCR-D-GT-ALTO/PAGE_0017_ALTO.xml")
    # a TEI transcription of the same page: modern s, no page header, line ends re-flowed,
    # hyphenation joined, one word changed
    lines = [ln.text for ln in ocr.lines][2:]
    tei_text = " ".join(lines).replace("ſ", "s").replace(" -", "").replace("Unvermoͤgen",
                                                                           "Unvermögen")
    aligned = align_ocr_to_text(tei_text, ocr)
    words = [w for ln in aligned for w in ln.words if w.text != "-"]
    matched = [w for w in words if w.start >= 0]
    assert len(matched) / len(words) > 0.85
    for w in matched:
        assert _squash(tei_text[w.start:w.end]) == _squash(w.text)
    starts = [w.start for w in matched]
    assert starts == sorted(starts)  # monotonic
    # the page header is not in the TEI text, nor the changed word: unmatched
    assert all(w.start == -1 for w in aligned[0].words)
    assert all(w.start == -1 for ln in aligned for w in ln.words if w.text == "Unvermoͤgen")
    header = aligned[0]
    assert header.words[0].start == -1 and header.words[0].box == ocr.lines[0].words[0].box
    # boxes are copied, the OCR page itself is unchanged
    assert ocr.lines[2].words[0].start != -1 and ocr.lines[2].words[0].start is not None
    assert aligned[5].start >= 0 and tei_text[aligned[5].start:aligned[5].end]


def test_align_tibetan_hocr(shared_dir: Path) -> None:
    page = parse_ocr_pages(shared_dir / HOCR / "bdrc-W22084-1_hocr.html")[3]
    real = [ln for ln in page.lines if sum("\u0f00" <= c <= "\u0fff" for c in ln.text) > 10]
    assert real
    text = "༄༅། " + "\n".join(ln.text.replace(" ", "") for ln in real)
    aligned = align_ocr_to_text(text, OcrPage(page.width, page.height, real, "", "hocr"))
    for ln, orig in zip(aligned, real):
        assert ln.start >= 0
        assert _squash(text[ln.start:ln.end]) == _squash(orig.text)
        assert ln.box == orig.box


def test_align_unmatched_keeps_minus_one() -> None:
    ocr = OcrPage(100, 100)
    from library.models import Line, Word
    ocr.lines = [Line("zzz qqq", words=[Word("zzz"), Word("qqq")])]
    aligned = align_ocr_to_text("nothing like it", ocr)
    assert [(w.start, w.end) for w in aligned[0].words] == [(-1, -1), (-1, -1)]
    assert (aligned[0].start, aligned[0].end) == (-1, -1)


# --- pairing OCR files with page images (issue 11, point 4) ---------------------------------

def _alto(word: str, image: str = "") -> str:
    src = (f"<sourceImageInformation><fileName>{image}</fileName></sourceImageInformation>"
           if image else "")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>'
            f'<MeasurementUnit>pixel</MeasurementUnit>{src}</Description><Layout>'
            '<Page WIDTH="300" HEIGHT="400"><PrintSpace><TextBlock><TextLine HPOS="10" VPOS="10" '
            f'WIDTH="100" HEIGHT="20"><String CONTENT="{word}" HPOS="10" VPOS="10" WIDTH="100" '
            'HEIGHT="20"/></TextLine></TextBlock></PrintSpace></Page></Layout></alto>')


def _page_xml(word: str, image: str) -> str:
    ns = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{ns}"><Page '
            f'imageFilename="{image}" imageWidth="300" imageHeight="400"><TextRegion id="r1">'
            '<TextLine id="l1"><Coords points="10,10 110,10 110,30 10,30"/>'
            f'<TextEquiv><Unicode>{word}</Unicode></TextEquiv></TextLine></TextRegion></Page>'
            '</PcGts>')


def _hocr(word: str, image: str) -> str:
    return ('<html><body><div class="ocr_page" title=\'image "' + image + '"; bbox 0 0 300 400\'>'
            '<span class="ocr_line" title="bbox 10 10 110 30"><span class="ocrx_word" '
            f'title="bbox 10 10 110 30">{word}</span></span></div></body></html>')


def _ocr_item(batch: Path, item_id: str, images: tuple[str, ...],
              ocr: dict[str, str]) -> Path:
    """An item without TEI (pages are the images, in name order) and the given OCR files."""
    from PIL import Image

    folder = batch / item_id
    for i, name in enumerate(images):
        (folder / "images").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (300, 400), (200, 180 + i, 160)).save(folder / "images" / name)
    for name, text in ocr.items():
        (folder / "ocr").mkdir(parents=True, exist_ok=True)
        (folder / "ocr" / name).write_text(text, encoding="utf-8")
    return folder


def _texts(tmp_path: Path, batch: Path, item_id: str) -> dict[str, str]:
    from catalog.db import Catalog
    from ingest.pipeline import ingest_batch
    from library.settings import Settings
    from library.store import Store

    settings = Settings.load(tmp_path / "lib")
    summary = ingest_batch(batch, settings)
    assert item_id in summary.ingested, summary.failed
    with Catalog(Store(settings.library).catalog_path, readonly=True) as cat:
        return {p.image: p.text for p in cat.get_item(item_id).pages}


def test_ocr_is_paired_by_the_number_in_its_name_not_by_sort_order(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    _ocr_item(batch, "swapped", ("0017.png", "0020.png"),
              {"zz_0017.xml": _alto("seventeen"), "aa_0020.xml": _alto("twenty")})
    assert _texts(tmp_path, batch, "swapped") == {"images/0017.png": "seventeen",
                                                  "images/0020.png": "twenty"}


@pytest.mark.parametrize("make, names", [
    (_alto, ("images/0020.png", "0017.PNG")),
    (_page_xml, ("C:\\scans\\0020.TIF", "https://scans.example/b/0017.tif?size=full")),
    (_hocr, ("/tmp/vol/0020.jp2", "0017")),
])
def test_ocr_is_paired_by_the_image_it_names(tmp_path: Path, make, names) -> None:
    # a.xml names page 2's image and b.xml page 1's: file order, stems and numbers say nothing
    batch = tmp_path / "batch"
    _ocr_item(batch, "named", ("0017.png", "0020.png"),
              {"a.xml": make("twenty", names[0]), "b.xml": make("seventeen", names[1])})
    assert _texts(tmp_path, batch, "named") == {"images/0017.png": "seventeen",
                                                "images/0020.png": "twenty"}


def _check_json(tmp_path: Path, batch: Path) -> tuple[dict, str]:
    import json

    from click.testing import CliRunner

    from library.cli import cli

    args = ["--library", str(tmp_path / "lib"), "check", str(batch), "--no-schema"]
    data = json.loads(CliRunner().invoke(cli, args + ["--format", "json"]).output)
    report = tmp_path / "report.html"
    text = CliRunner().invoke(cli, args + ["--report", str(report)]).output
    return {it["item"]: it for it in data["items"]}, text + report.read_text(encoding="utf-8")


def test_check_reports_unmatched_duplicate_and_positional_ocr(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    _ocr_item(batch, "odd", ("0001.png", "0002.png"),
              {"0001.xml": _alto("one"), "p0001.hocr": _hocr("one again", "0001.png"),
               "0099.xml": _alto("ninety-nine")})
    _ocr_item(batch, "anon", ("front.png", "back.png"),
              {"x.xml": _alto("x"), "y.xml": _alto("y")})
    items, text = _check_json(tmp_path, batch)
    odd = {d["code"]: d for d in items["odd"]["diagnostics"]}
    assert "odd/ocr/0099.xml" in odd["ocr-unmatched"]["file"] + odd["ocr-unmatched"]["message"]
    dup = odd["ocr-duplicate"]["message"]
    assert "ocr/0001.xml" in dup and "ocr/p0001.hocr" in dup and "images/0001.png" in dup
    assert "ocr-by-position" not in odd  # 0099 disagrees with 0002: never paired by position
    assert [(p["image"], p["ocr"], p["by"]) for p in items["odd"]["pairing"]] == [
        ("images/0001.png", "ocr/p0001.hocr", "named"), ("images/0002.png", "", "")]
    anon = {d["code"]: d for d in items["anon"]["diagnostics"]}
    assert anon["ocr-by-position"]["level"] == "warning"
    assert "ocr/x.xml" in anon["ocr-by-position"]["message"]
    # pages in file-name order: back.png, front.png; OCR in file-name order: x.xml, y.xml
    assert [(p["page"], p["image"], p["ocr"], p["by"]) for p in items["anon"]["pairing"]] == [
        (1, "images/back.png", "ocr/x.xml", "position"),
        (2, "images/front.png", "ocr/y.xml", "position")]
    assert "images/0001.png ← ocr/p0001.hocr (named)" in text
    assert "images/back.png ← ocr/x.xml (position)" in text
    # the HTML report too
    assert "<code>images/back.png</code> ← <code>ocr/x.xml</code> (position)" in text


def test_kant_page_xml_and_a_tibetan_hocr_volume_pair_by_the_images_they_name(
        shared_dir: Path, tmp_path: Path) -> None:
    import shutil

    from ingest.batch import plan_item

    kant = shared_dir / KANT
    batch = tmp_path / "batch"
    folder = batch / "kant"
    (folder / "images").mkdir(parents=True)
    (folder / "ocr").mkdir()
    for n in ("0017", "0020"):
        shutil.copyfile(kant / f"OCR-D-IMG/INPUT_{n}.tif", folder / "images" / f"INPUT_{n}.tif")
    # the PAGE files renamed so that their names sort against their pages
    shutil.copyfile(kant / "OCR-D-GT-PAGE/PAGE_0017_PAGE.xml", folder / "ocr" / "b.xml")
    shutil.copyfile(kant / "OCR-D-GT-PAGE/PAGE_0020_PAGE.xml", folder / "ocr" / "a.xml")
    plan = plan_item(folder, batch)
    assert [(p.image, p.ocr, p.how) for p in plan.pairing] == [
        ("images/INPUT_0017.tif", "ocr/b.xml", "named"),
        ("images/INPUT_0020.tif", "ocr/a.xml", "named")]
    # one hOCR file for a whole volume: each of its pages goes to the image it names
    vol = _ocr_item(batch, "vol", tuple(f"bdrc-W22084-1_{n:04d}.png" for n in (2, 0, 1)), {})
    (vol / "ocr").mkdir()
    shutil.copyfile(shared_dir / HOCR / "bdrc-W22084-1_hocr.html", vol / "ocr" / "vol.html")
    plan = plan_item(vol, batch)
    assert [(p.image, p.ocr, p.ocr_page, p.how) for p in plan.pairing] == [
        (f"images/bdrc-W22084-1_{n:04d}.png", "ocr/vol.html", n + 1, "named") for n in range(3)]
    others = len(parse_ocr_pages(vol / "ocr" / "vol.html")) - 3
    unmatched = [d for d in plan.warnings if d.code == "ocr-unmatched"]
    assert len(unmatched) == 1 and f"ocr/vol.html ({others} of its pages)" in unmatched[0].message
