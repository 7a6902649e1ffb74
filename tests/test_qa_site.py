"""Defects found by trying the merged site as its users would (docs/qa-2026-12-03.md), each
pinned by the HTTP behaviour a user saw."""
from __future__ import annotations

import html as htmllib
import re

import pytest

from test_edition_site import build_edition_library


@pytest.fixture(scope="module")
def library(tmp_path_factory, shared_dir):
    return build_edition_library(tmp_path_factory.mktemp("qa-lib") / "lib",
                                 tmp_path_factory.mktemp("qa-tei"), shared_dir)


@pytest.fixture()
def client(library):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()


@pytest.mark.parametrize("url", ["/items/cbeta", "/items/cbeta/read?page=0848c"])
def test_embed_code_of_a_chinese_title_says_it_is_chinese(client, url):
    page = client.get(url).get_data(as_text=True)
    assert '<html lang="en"' in page
    area = re.search(r'<textarea id="embed-code"[^>]*>([^<]*)</textarea>', page)
    assert area, "no embed code"
    lang = re.search(r'\blang="([^"]+)"', area.group(0))
    assert lang and lang.group(1).startswith("zh"), area.group(0)[:200]
    code = htmllib.unescape(area.group(1))
    assert re.search(r'title="[^"]*[\u4e00-\u9fff][^"]*" lang="zh', code), code


# --- downloads ---------------------------------------------------------------------------------

def downloads_client(sample_library, **changes):
    from test_downloads_http import make_client

    return make_client(sample_library, **changes)


@pytest.mark.parametrize("pages, count, name", [("2b-4a", None, None), ("1b-2b", 3, "2-4"),
                                                ("2b", 1, "4-4"), ("1b–2a", 2, "2-3")])
def test_a_pdf_range_may_name_the_leaves_as_the_reader_does(sample_library, pages, count, name):
    import pypdf
    import io

    client = downloads_client(sample_library)
    resp = client.get(f"/items/kangyur-vol-1/download.pdf?pages={pages}&size=1000")
    if count is None:  # kangyur-vol-1 has leaves 1a-3b: 4a is not one of them
        assert resp.status_code == 400, resp.status_code
        assert "2b-4a" in resp.get_data(as_text=True)
        return
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert f"kangyur-vol-1-{name}-1000.pdf" in resp.headers["Content-Disposition"]
    assert len(pypdf.PdfReader(io.BytesIO(resp.data)).pages) == count


def test_a_zip_range_may_name_the_leaves_too(sample_library):
    import io
    import zipfile

    resp = downloads_client(sample_library).get("/items/kangyur-vol-1/download.zip"
                                                "?pages=2a-2b&size=1000")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert sum(n.endswith(".jpg") for n in names) == 2, names


@pytest.mark.parametrize("lang, unit, size", [("en", "pages", "1000"), ("zh-Hans", "页", "2000"),
                                              ("mn-Mong", "ᠨᠢᠭᠤᠷ", "max"),
                                              ("bo", "ཤོག་ངོས", "1000")])
def test_the_pdf_progress_says_what_it_counts(sample_library, monkeypatch, lang, unit, size):
    from test_downloads_http import poll_done, slowed

    slowed(monkeypatch, 0.3)
    client = downloads_client(sample_library, download_wait_seconds=0.0)
    item = "zh-archive-1" if lang == "bo" else "manchu-memorial-1"  # a PDF not built yet
    resp = client.get(f"/items/{item}/download.pdf?pages=1-3&size={size}")
    assert resp.status_code == 303, resp.status_code
    location = resp.headers["Location"]
    page = client.get(location, headers={"Accept-Language": lang}).get_data(as_text=True)
    count = re.search(r'<p class="job-count">(.*?)</p>', page, re.S).group(1)
    shown = re.sub(r"<[^>]+>", "", count)
    assert unit in shown and "3" in shown, shown
    assert '<span class="job-done">' in count and '<span class="job-total">3</span>' in count
    poll_done(client, location)


# --- citations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written, year", [("乾隆三十六年五月初十日 (1771)", 1771),
                                           ("18th century, after the Beijing xylograph", 1700),
                                           ("1850", 1850), ("Qing dynasty", None)])
def test_bibtex_year_is_a_number_and_the_date_as_written_is_kept(written, year):
    from library import citation_formats as forms
    from library.citation import Citation
    from library.models import Item

    item = Item(id="d", titles={"en": "D"}, date_text=written, date_from=year,
                date_to=None if year is None or year == 1850 else year + 99)
    bib = forms.bibtex(Citation.of(item, "https://lib.example"))
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", bib, re.M))
    # a biblatex entry: the date is biblatex's date (biber would drop a year beside it, and a
    # year that is not a number breaks sorting); the date as written goes to the note
    assert "year" not in fields, fields
    assert re.fullmatch(r"-?\d{1,4}(/-?\d{1,4})?", fields.get("date", "0")), fields
    if year is not None:
        assert fields["date"].split("/")[0] == str(year)
    if written != str(year):
        assert written in fields["note"], fields


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_refused_pdf_says_what_to_ask_for_instead(sample_library, accept):
    client = downloads_client(sample_library, pdf_max_pages=2)
    resp = client.get("/items/kangyur-vol-1/download.pdf?pages=1-3", headers={"Accept": accept})
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "3 pages" in text and "pages=1-2" in text, text[-1500:]


def test_the_pdf_of_a_text_only_item_has_its_text(library):
    """A TEI without images (CBETA, 84000, a hand-made edition): its PDF's pages are blank
    paper, and their text layer was empty too; now the transcription can be found in it."""
    import pypdf
    import io

    from test_downloads_http import make_client, squash

    client = make_client(library)
    resp = client.get("/items/ed-hand/download.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    assert len(reader.pages) == 2
    text = squash(reader.pages[0].extract_text())
    assert "Thefirstsong" in text and "Thehero" in text, text[:200]
    assert "Thesecondleaf." in squash(reader.pages[1].extract_text())
