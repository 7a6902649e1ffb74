"""Agents a record leaves unnamed ("Unknown scribe", "an unnamed bard", 佚名, 不详) are no
creators: not in the citation exports (text, RIS, BibTeX, CSL-JSON), the Highwire meta tags, nor
the OAI-PMH Dublin Core and MODS records; the record page still tells the scribe is unknown. The
one rule is library.roles.unnamed (``Responsibility.named``)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from lxml import etree

from library import citation_formats as forms
from library.citation import Citation
from library.models import Item, Responsibility
from library.roles import unnamed
from viewer import create_app

BASE = "https://lib.example"
DAY = dt.date(2026, 12, 3)
PLACEHOLDERS = ("Unknown scribe", "an unnamed bard", "佚名", "不详", "Anonymous",
                "Unknown Oirat translator")
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "m": "http://www.loc.gov/mods/v3"}


@pytest.mark.parametrize("name", PLACEHOLDERS + (
    "unknown", "[unknown]", "（佚名）", "Anon.", "The Unknown", "N.N.", "Unidentified copyist",
    "无名氏", "不詳", "", "  "))
def test_placeholders_are_unnamed(name):
    assert unnamed(name)
    assert not Responsibility("scribe", name).named


@pytest.mark.parametrize("name", (
    "Eelyan Ovla (attributed)", "Zhang Yeshé Dé", "唐 玄奘譯", "Unknowable Lama",
    "Anonymousson", "Lama Unknown-Born", "Ann", "Nnamdi", "84000"))
def test_names_are_named(name):
    assert not unnamed(name)
    assert Responsibility("author", name).named


def _item(*people: tuple[str, str]) -> Item:
    return Item(id="anon", titles={"bo": "དཔེ་ཆ།", "en": "A leaf"}, languages=["bo"],
                writing_system="bo", responsibility=[Responsibility(r, n) for r, n in people],
                institution="Test Archive", shelfmark="MS 1", date_text="1800",
                date_from=1800, date_to=1800, publisher="Sudur")


ANONYMOUS = _item(("bard", "an unnamed bard"), ("scribe", "Unknown scribe"),
                  ("translator", "佚名"), ("editor", "不详"), ("author", "Anonymous"))


def test_an_anonymous_work_is_cited_without_creators():
    c = Citation.of(ANONYMOUS, BASE, accessed=DAY)
    assert c.people == () and c.cited_people == []
    # the plain text opens with the title, as references to anonymous works do
    assert forms.text(c).startswith("དཔེ་ཆ། [A leaf]. Manuscript, 1800. Test Archive, MS 1. ")
    ris = forms.ris(c)
    assert not re.search(r"^A[U1-4]  - ", ris, re.M), ris
    # BibTeX: no author field at all (a braced {Anonymous} would make Zotero a person of it)
    bib = forms.bibtex(c)
    assert not re.search(r"^\s*(author|editor|translator) = ", bib, re.M), bib
    (csl,) = forms.csl_json(c)
    assert not {"author", "editor", "translator", "contributor"} & set(csl), csl
    tags = forms.meta_tags(c)
    assert not [v for n, v in tags if n == "citation_author"], tags
    for out in (forms.text(c), ris, bib, str(csl), str(tags)):
        assert not any(p in out for p in PLACEHOLDERS), out


def test_a_named_bard_stays_and_the_unknown_scribe_goes():
    c = Citation.of(_item(("bard", "Gesar singer"), ("scribe", "Unknown scribe")), BASE,
                    accessed=DAY)
    assert [p.name for p in c.people] == ["Gesar singer"]
    assert forms.text(c).startswith("Gesar singer, bard. དཔེ་ཆ། [A leaf]. ")
    assert "AU  - Gesar singer\r\n" in forms.ris(c)
    assert "author = {{Gesar singer}}" in forms.bibtex(c)
    assert "note = " not in forms.bibtex(c)  # the scribe was the note's only content
    assert forms.csl_json(c)[0]["author"] == [{"literal": "Gesar singer"}]
    assert [v for n, v in forms.meta_tags(c) if n == "citation_author"] == ["Gesar singer"]
    for out in (forms.text(c), forms.ris(c), forms.bibtex(c), str(forms.csl_json(c))):
        assert "Unknown" not in out


@pytest.fixture(scope="module")
def client(sample_library):
    return create_app({"SUDUR_SETTINGS": sample_library, "TESTING": True}).test_client()


def _records(client, prefix: str) -> list[etree._Element]:
    """Every record of the sample library in ``prefix``, following resumption tokens."""
    out: list[etree._Element] = []
    query = f"verb=ListRecords&metadataPrefix={prefix}"
    while query:
        resp = client.get("/oai?" + query)
        assert resp.status_code == 200
        doc = etree.fromstring(resp.data)
        out += doc.xpath("//o:record", namespaces=NS)
        token = doc.findtext(".//o:resumptionToken", namespaces=NS)
        query = f"verb=ListRecords&resumptionToken={token}" if token else ""
    return out


def test_oai_dublin_core_names_no_unnamed_agent(client):
    records = _records(client, "oai_dc")
    agents = [a for r in records for a in r.xpath("//dc:creator/text() | //dc:contributor/text()",
                                                  namespaces=NS)]
    assert len(records) >= 8
    assert "Eelyan Ovla (attributed)" in agents  # the jangar's bard, named
    assert not [a for a in agents if unnamed(a)], agents  # "Unknown scribe" was a contributor


def test_oai_mods_names_no_unnamed_agent(client):
    records = _records(client, "mods")
    parts = [p for r in records for p in r.xpath(".//m:name/m:namePart/text()", namespaces=NS)]
    assert "Eelyan Ovla (attributed)" in parts
    assert "Unknown scribe" not in parts and "Unknown Oirat translator" not in parts, parts


def test_the_record_page_still_says_the_scribe_is_unknown(client):
    html = client.get("/items/jangar-ms-1").get_data(as_text=True)
    assert "Unknown scribe" in html.split("</head>")[1]  # the record, as information
    head = html.split("</head>")[0]
    assert 'name="citation_author" content="Eelyan Ovla (attributed)"' in head
    assert "Unknown scribe" not in head
