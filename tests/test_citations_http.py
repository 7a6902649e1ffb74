"""Citations over HTTP: a leaf's label is its address in the reader and the embed (odd labels,
numbers that are labels, unknown pages), the Highwire meta tags of record and reader pages, the
suggested citation with its copy button, and the RIS, BibTeX and CSL-JSON exports."""
from __future__ import annotations

import json
import re
import unicodedata
from html import unescape
from urllib.parse import quote

import pytest

from catalog.db import Catalog
from library.models import Item, Page, Responsibility
from library.store import Store
from viewer import create_app
from viewer_library import build_library

# order -> label as written: a folio side, a number that is not the leaf's order, labels with
# a space and a slash, URL specials, Mongolian (decomposable in NFD), a label used twice
LABELS = {1: "3", 2: "2b", 3: "f. 4/v", 4: "a&b#c?d", 5: "ᠨᠢᠭᠡ", 6: "2b", 7: "é1", 8: ""}


def _odd_item() -> Item:
    pages = [Page(item_id="odd", order=o, label=lab, text=f"text of leaf {o}")
             for o, lab in LABELS.items()]
    return Item(id="odd", titles={"bo": "དཔེ་ཆ།", "en": "Odd leaves"}, languages=["bo"],
                writing_system="bo", scripts=["Tibt"],
                responsibility=[Responsibility("bard", "Gesar singer"),
                                Responsibility("scribe", "Unknown scribe")],
                institution="Test Archive", settlement="Lhasa", shelfmark="MS 7",
                repository="Test Archive", publisher="Sudur", date_text="1900",
                date_from=1900, date_to=1900, pages=pages)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("cite") / "lib"
    settings = build_library(root)
    with Catalog(Store(root).catalog_path) as cat:
        item = _odd_item()
        version = "items/odd@v1"
        (root / version / "source").mkdir(parents=True)
        cat.put_item(item, version_path=version, source_hash="h", fixity=[])
    return create_app({"SUDUR_SETTINGS": settings, "TESTING": True}).test_client()


def _reader_order(resp) -> int:
    assert resp.status_code == 200, resp.data[:300]
    return int(re.search(r'data-page="(\d+)"', resp.get_data(as_text=True)).group(1))


@pytest.mark.parametrize("view", ["/items/odd/read", "/embed/odd"])
@pytest.mark.parametrize("raw,order", [
    ("2b", 2), ("3", 3), ("1", 1), ("f. 4/v", 3), ("a&b#c?d", 4), ("ᠨᠢᠭᠡ", 5),
    (unicodedata.normalize("NFD", "é1"), 7), (" 2b ", 2), ("8", 8), ("", 1),
])
def test_a_leaf_is_opened_by_its_order_or_its_label(client, view, raw, order):
    assert _reader_order(client.get(f"{view}?page={quote(raw, safe='')}")) == order


@pytest.mark.parametrize("view", ["/items/odd/read", "/embed/odd"])
@pytest.mark.parametrize("raw", ["99", "0", "-1", "2c", "f.%204", "%00", "9" * 30])
def test_an_unknown_page_is_a_404(client, view, raw):
    assert client.get(f"{view}?page={raw}").status_code == 404


def test_the_kangyur_folio_labels_of_the_site_library(client):
    assert _reader_order(client.get("/items/kangyur-vol-1/read?page=1b")) == 2
    assert client.get("/items/kangyur-vol-1/read?page=99").status_code == 404


def _meta(html: str) -> list[tuple[str, str]]:
    return [(unescape(n), unescape(c)) for n, c in
            re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)">', html)]


def test_record_page_has_meta_tags_citation_and_exports(client):
    html = client.get("/items/odd", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    head = html.split("</head>")[0]
    tags = _meta(head)
    assert ("citation_title", "དཔེ་ཆ། [Odd leaves]") in tags
    assert ("citation_author", "Gesar singer") in tags
    assert ("citation_publisher", "Sudur") in tags and ("citation_date", "1900") in tags
    assert ("citation_language", "bo") in tags
    assert ("citation_public_url", "http://localhost/items/odd") in tags
    assert not any(n == "citation_pdf_url" for n, _ in tags)
    # the suggested citation: selectable text in English whatever the interface language,
    # the copy button shown by the script only
    text = re.search(r'<p class="suggested" id="cite-text"[^>]*lang="en"[^>]*>(.*?)</p>', html,
                     re.S).group(1)
    plain = unescape(re.sub(r"<[^>]+>", "", text))
    # the unnamed scribe is no creator of the citation (library.roles.unnamed)
    assert plain.startswith("Gesar singer, bard. དཔེ་ཆ། [Odd leaves]. "
                            "Manuscript, 1900. Lhasa, Test Archive, MS 7. Published by Sudur.")
    assert re.search(r'<button type="button" class="copy-citation" data-copy="cite-text"[^>]*'
                     r'hidden>', html)
    assert 'src="/static/citation.js"' in html
    for fmt in ("ris", "bib", "json"):
        assert f'href="/items/odd/cite.{fmt}"' in html


def test_reader_page_cites_the_page_by_its_address(client):
    html = client.get("/items/odd/read?page=2b").get_data(as_text=True)
    tags = _meta(html.split("</head>")[0])
    assert ("citation_firstpage", "2b") in tags
    assert ("citation_public_url", "http://localhost/items/odd/read?page=2b") in tags
    assert 'href="/items/odd/cite.ris?page=2b"' in html
    assert "f. 2b. http://localhost/items/odd/read?page=2b (accessed" in unescape(html)
    # a leaf labelled "3" that is the first page: page=3 opens the third, so it is cited by order
    html = client.get("/items/odd/read?page=1").get_data(as_text=True)
    assert ("citation_public_url", "http://localhost/items/odd/read?page=1") in _meta(html)
    # the second leaf labelled "2b" is addressed by its order
    html = client.get("/items/odd/read?page=6").get_data(as_text=True)
    assert ("citation_public_url", "http://localhost/items/odd/read?page=6") in _meta(html)
    html = client.get("/items/odd/read?page=5").get_data(as_text=True)
    assert ("citation_public_url",
            "http://localhost/items/odd/read?page=" + quote("ᠨᠢᠭᠡ")) in _meta(html)


@pytest.mark.parametrize("fmt,media,name", [
    ("ris", "application/x-research-info-systems", "odd.ris"),
    ("bib", "application/x-bibtex", "odd.bib"),
    ("json", "application/vnd.citationstyles.csl+json", "odd.json"),
])
def test_exports_of_the_item(client, fmt, media, name):
    resp = client.get(f"/items/odd/cite.{fmt}")
    assert resp.status_code == 200
    assert resp.mimetype == media and resp.mimetype_params.get("charset") == "utf-8"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    body = resp.data.decode("utf-8")
    assert "དཔེ་ཆ།" in body and "Gesar singer" in body


def test_exports_of_a_page(client):
    ris = client.get("/items/odd/cite.ris?page=2b")
    assert ris.headers["Content-Disposition"] == 'attachment; filename="odd_p2b.ris"'
    assert "SP  - 2b\r\n" in ris.data.decode()
    assert "UR  - http://localhost/items/odd/read?page=2b\r\n" in ris.data.decode()
    bib = client.get("/items/odd/cite.bib?page=" + quote("a&b#c?d", safe="")).data.decode()
    assert bib.startswith("@misc{odd-4,") and r"pages = {a\&b\#c?d}" in bib
    resp = client.get("/items/odd/cite.json?page=" + quote("ᠨᠢᠭᠡ"))
    assert resp.headers["Content-Disposition"] == 'attachment; filename="odd_p5.json"'
    (entry,) = json.loads(resp.data)
    assert entry["page"] == "ᠨᠢᠭᠡ" and entry["id"] == "odd-5"
    txt = client.get("/items/odd/cite.txt?page=2b")
    assert txt.mimetype == "text/plain" and txt.data.decode().startswith("Gesar singer, bard. ")
    assert "f. 2b. http://localhost/items/odd/read?page=2b (accessed" in txt.data.decode()
    assert client.get("/items/odd/cite.ris?page=99").status_code == 404
    assert client.get("/items/nosuch/cite.bib").status_code == 404


def test_sample_record_cites_the_bard_in_the_items_language(sample_library):
    app = create_app({"SUDUR_SETTINGS": sample_library, "TESTING": True})
    for lang in ("en", "zh", "bo"):
        html = app.test_client().get("/items/jangar-ms-1",
                                     headers={"Accept-Language": lang}).get_data(as_text=True)
        text = unescape(re.sub(r"<[^>]+>", "", re.search(
            r'<p class="suggested" id="cite-text"[^>]*>(.*?)</p>', html, re.S).group(1)))
        assert text.startswith("Eelyan Ovla (attributed), bard. "
                               "ᠵᠠᠩᠭᠠᠷ [Jangar (manuscript excerpt)]. Manuscript, 1950s. "
                               "Hohhot, Inner Mongolia Library (sample), IML-S-001. "
                               "Published by Sudur."), (lang, text)
