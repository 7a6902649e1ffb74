"""The PDF writer (library.pdf, library.pdf_text): the pyramid's JPEGs passed through as DCT
streams, at the level asked for, tiles laid edge to edge when no whole-level file was cut, and
an invisible text layer that pypdf and pdfminer.six read back as the transcription."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

import pypdf  # noqa: E402  (the test extra has both)
import pdfminer.high_level as pdfminer_high  # noqa: E402

from library import imaging  # noqa: E402
from library.imaging import Derivatives  # noqa: E402
from library.models import Box, Line, Page, Word  # noqa: E402
from library.pdf import PdfPage, level_for, pictures, write_pdf  # noqa: E402
from library.pdf_text import Placement, placements  # noqa: E402

TIB = "བྱང་ཆུབ་སེམས་དཔའ་ཆེན་པོ།"
MONG = "ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠪᠢᠴᠢᠭ"
HAN = "甘珠爾 乾隆五月 𠀀"


def squash(text: str) -> str:
    """Text without whitespace (extractors differ in the spaces and line ends they put back)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def big_pyramid(tmp_path_factory) -> tuple[Path, Derivatives]:
    """A 2600 x 1800 page: its full size is past SIZE_LIMIT, so it exists only as tiles."""
    folder = tmp_path_factory.mktemp("pyr")
    im = Image.new("RGB", (2600, 1800))
    for x in range(0, 2600, 100):
        im.paste((x % 255, 90, 200 - x % 200), (x, 0, x + 100, 1800))
    master = folder / "master.png"
    im.save(master)
    derivs = imaging.make_derivatives(master, folder / "derived", tile_size=512, thumb_width=200)
    return folder / "derived", derivs


def _images(page) -> list:
    xobjects = page["/Resources"].get("/XObject") or {}
    return [x.get_object() for x in xobjects.values()]


def test_level_is_the_narrowest_at_least_as_wide_as_asked(big_pyramid) -> None:
    _, derivs = big_pyramid
    assert derivs.scale_factors == [1, 2, 4, 8]
    assert level_for(derivs, 1000) == 2  # 1300 px wide; 4 would be 650
    assert level_for(derivs, 1300) == 2
    assert level_for(derivs, 1301) == 1
    assert level_for(derivs, None) == 1
    assert level_for(derivs, 99999) == 1


def test_whole_level_file_or_tiles(big_pyramid) -> None:
    folder, derivs = big_pyramid
    one = pictures(folder, derivs, 1000)
    assert [p.path.name for p in one] == ["1300x900.jpg"]
    assert one[0].box == Box(0, 0, 2600, 1800)
    tiles = pictures(folder, derivs, None)
    assert len(tiles) == 6 * 4  # ceil(2600/512) x ceil(1800/512)
    assert all(p.path.is_file() for p in tiles)
    assert sum(p.box.w * p.box.h for p in tiles) == 2600 * 1800  # edge to edge, no overlap
    assert tiles[-1].box == Box(2560, 1536, 40, 264)


def test_images_are_the_jpeg_files_unchanged(big_pyramid, tmp_path) -> None:
    folder, derivs = big_pyramid
    pages = [PdfPage("1a", derivs.width, derivs.height, pictures(folder, derivs, None)),
             PdfPage("1b", derivs.width, derivs.height, pictures(folder, derivs, 1000))]
    out = tmp_path / "x.pdf"
    write_pdf(pages, out, title="t")
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 2
    files = {p.path.read_bytes() for pg in pages for p in pg.pictures}
    embedded = [x for pg in reader.pages for x in _images(pg)]
    assert len(embedded) == 25
    for x in embedded:
        assert x["/Filter"] == "/DCTDecode"
        assert x.get_data() in files  # the file's own bytes, not decoded and encoded again
    assert {(x["/Width"], x["/Height"]) for x in _images(reader.pages[1])} == {(1300, 900)}
    jpeg_bytes = sum(p.path.stat().st_size for pg in pages for p in pg.pictures)
    assert out.stat().st_size < jpeg_bytes * 1.05 + 20_000
    assert reader.page_labels == ["1a", "1b"]
    # the page is the master at 300 dpi, whichever level is embedded
    for pg in reader.pages:
        assert float(pg.mediabox.width) == pytest.approx(2600 * 72 / 300)


def _text_page(text: str, lines=()) -> Page:
    return Page(item_id="x", order=1, text=text, lines=list(lines), width=1000, height=1500)


def test_text_layer_reads_back_in_every_script(tmp_path) -> None:
    text = f"{TIB}\n{MONG}\n{HAN}\nGeser khan"
    page = _text_page(text)
    out = tmp_path / "t.pdf"
    write_pdf([PdfPage("1", 1000, 1500, [], placements(page, 1000, 1500))], out, title="t")
    got_pypdf = pypdf.PdfReader(out).pages[0].extract_text()
    got_miner = pdfminer_high.extract_text(str(out))
    for got in (got_pypdf, got_miner):
        for line in text.splitlines():
            assert squash(line) in squash(got)
    assert "\u202f" in got_miner  # the Mongolian suffix's space is copied as written
    pg = pypdf.PdfReader(out).pages[0]
    assert b" 3 Tr" in pg.get_contents().get_data()  # drawn invisible
    fonts = [f.get_object() for f in pg["/Resources"]["/Font"].values()]
    assert fonts and all("/ToUnicode" in f for f in fonts)


def test_the_transcription_is_cut_at_boxed_words(tmp_path) -> None:
    text = "ᠵᠠᠩᠭᠠᠷ\u202fᠤᠨ ᠲᠠᠤᠯᠢ ᠪᠠᠭᠠᠲᠤᠷ\nབཀའ་ འགྱུར།"
    # OCR read the first word with a plain space and missed the third; its words are tied to
    # the transcription by their offsets, and the second line has a box but no words.
    w1 = Word("ᠵᠠᠩᠭᠠᠷ ᠤᠨ", Box(100, 100, 60, 300), 0, 9)
    w2 = Word("ᠲᠠᠤᠯᠢ", Box(100, 420, 60, 200), 10, 15)
    lost = Word("ᠪᠠᠲᠤᠷ", Box(100, 640, 60, 200))  # no offsets: not in the transcription
    l1 = Line(text[:23], Box(100, 100, 60, 740), 0, 23, [w1, w2, lost])
    l2 = Line("བཀའ་ འགྱུར།", Box(300, 800, 600, 80), 24, len(text))
    pieces = placements(_text_page(text, [l1, l2]), 1000, 1500)
    assert pieces == [Placement("ᠵᠠᠩᠭᠠᠷ\u202fᠤᠨ ", w1.box, True),  # as transcribed, spaced
                      Placement("ᠲᠠᠤᠯᠢ ᠪᠠᠭᠠᠲᠤᠷ ", w2.box, True),  # with what OCR missed
                      Placement("བཀའ་ འགྱུར།", l2.box, False)]
    out = tmp_path / "w.pdf"
    write_pdf([PdfPage("1", 1000, 1500, [], pieces)], out, title="t")
    got = pypdf.PdfReader(out).pages[0].extract_text()
    assert squash(text) == squash(got)


def test_lines_are_the_cuts_when_no_word_is_tied() -> None:
    text = "one two\nthree"
    l1 = Line("one two", Box(0, 0, 900, 50), 0, 7, [Word("one", Box(0, 0, 100, 50))])
    l2 = Line("three", Box(0, 60, 300, 50), 8, 13)
    pieces = placements(_text_page(text, [l1, l2]), 1000, 1500)
    assert pieces == [Placement("one two ", l1.box), Placement("three", l2.box)]


def test_ocr_lines_not_tied_to_a_transcription_are_written_as_read() -> None:
    line = Line("ocr words", Box(0, 0, 900, 50))
    assert placements(_text_page("", [line]), 1000, 1500) == [Placement("ocr words", line.box)]


def test_a_page_without_image_or_text_is_blank_not_an_error(tmp_path) -> None:
    out = tmp_path / "b.pdf"
    write_pdf([PdfPage("", 0, 0, [], placements(_text_page(""), 0, 0))], out, title="t")
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 1 and not _images(reader.pages[0])


def test_controls_and_private_use_are_not_written(tmp_path) -> None:
    page = _text_page("a\tb\ue000c")
    pieces = placements(page, 1000, 1500)
    assert [p.text for p in pieces] == ["abc"]


def test_progress_is_told_page_by_page(tmp_path) -> None:
    seen: list[int] = []
    pages = [PdfPage(str(n), 100, 100, [], []) for n in range(1, 4)]
    write_pdf(pages, tmp_path / "p.pdf", title="t", progress=seen.append)
    assert seen == [1, 2, 3]
    assert io.BytesIO((tmp_path / "p.pdf").read_bytes()).read(5) == b"%PDF-"
