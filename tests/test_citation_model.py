"""The citation model and its forms (library/citation.py, library/citation_formats.py), built
from the sample's TEI and the real 84000 and CBETA headers in ../shared/corpora."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ingest.tei import parse_tei
from library import citation_formats as forms
from library.citation import Citation, locator, role_kind, role_words
from library.models import Item, Responsibility

BASE = "https://lib.example"
DAY = dt.date(2026, 12, 3)
T84000 = "84000-data-tei/translations/kangyur/translations/072-009_toh309_sutra_on_Impermanence.xml"
CBETA = "cbeta-xml-p5/T/T08/T08n0251.xml"


def _item(path: Path, item_id: str) -> Item:
    return parse_tei(path, path.parent, item_id).item


@pytest.fixture(scope="module")
def jangar(sample_batch) -> Item:
    return _item(sample_batch / "jangar-ms-1" / "jangar-ms-1.xml", "jangar-ms-1")


@pytest.fixture(scope="module")
def toh309(shared_dir) -> Item:
    return _item(shared_dir / "corpora" / T84000, "toh309")


@pytest.fixture(scope="module")
def heart(shared_dir) -> Item:
    return _item(shared_dir / "corpora" / CBETA, "t0251")


@pytest.mark.parametrize("role,kind", [
    ("author", "author"), ("bard", "author"), ("Singer", "author"), ("scribe", "scribe"),
    ("copyist", "scribe"), ("translator", "translator"), ("translatorMain", "translator"),
    ("translatorTib", "translator"), ("editor", "editor"), ("reviser", "editor"),
    ("TEImarkupEditor", "encoder"), ("transcription and TEI encoding", "encoder"),
    ("Electronic Version by", "encoder"), ("corrections", "contributor"),
])
def test_roles_are_read_by_their_words(role, kind):
    assert role_kind(role) == kind


def test_role_codes_become_words():
    assert role_words("translatorTib") == "Tibetan translator"
    assert role_words("TEImarkupEditor") == "TEI mark-up editor"
    assert role_words("bard") == "bard"
    assert role_words("translatorSomething") == "translator something"


def test_the_header_keeps_publisher_holding_and_roles(jangar, toh309, heart):
    assert jangar.publisher == "Sudur"
    assert jangar.settlement == "Hohhot"
    assert [(r.role, r.name) for r in jangar.responsibility][:2] == [
        ("bard", "Eelyan Ovla (attributed)"), ("scribe", "Unknown scribe")]
    # 84000 names the publisher inside prose; only the name is kept
    assert toh309.publisher == "84000: Translating the Words of the Buddha"
    assert toh309.published == "2013-10-20"
    assert ("translatorTib", "Zhang Yeshé Dé") in [(r.role, r.name) for r in toh309.responsibility]
    assert heart.publisher == "中華電子佛典協會 (CBETA)"
    assert heart.published == "2012-08-27"  # from "$Date: 2012/08/27 03:14:21 $"


def test_the_suggested_citation_names_the_bard_first(jangar):
    text = forms.text(Citation.of(jangar, BASE, accessed=DAY))
    assert not text.startswith("Unknown scribe")
    assert text == ("Eelyan Ovla (attributed), bard. "
                    "ᠵᠠᠩᠭᠠᠷ [Jangar (manuscript excerpt)]. Manuscript, 1950s. "
                    "Hohhot, Inner Mongolia Library (sample), IML-S-001. Published by Sudur. "
                    "https://lib.example/items/jangar-ms-1 (accessed 2026-12-03).")
    # the encoders stay out of the text, not out of the exports
    assert "Sudur sample team" not in text
    assert "A3  - Sudur sample team\r\n" in forms.ris(Citation.of(jangar, BASE, accessed=DAY))


def test_a_page_citation_names_the_leaf_and_its_address(jangar):
    c = Citation.of(jangar, BASE, page_label="2b", page_order=4, page_address="2b", accessed=DAY)
    text = forms.text(c)
    assert ". f. 2b. https://lib.example/items/jangar-ms-1/read?page=2b (accessed" in text
    assert c.key == "jangar-ms-1-4"
    assert locator("155a") == "f. 155a" and locator("12") == "p. 12"
    assert locator("ᠨᠢᠭᠡ") == "p. ᠨᠢᠭᠡ"


def test_84000_translators_and_publisher(toh309):
    c = Citation.of(toh309, BASE, accessed=DAY)
    text = forms.text(c)
    assert c.title == "The Sūtra on Impermanence (1)" and c.title_en == ""
    assert "Christian Bernert, English translator" in text
    assert "Zhang Yeshé Dé, Tibetan translator" in text
    assert "Vivian Paganuzzi, reviser" in text
    assert "Simeon Joffe" not in text  # the TEI mark-up editor
    assert "Published by 84000: Translating the Words of the Buddha, 2013." in text
    csl = forms.csl_json(c)[0]
    assert {"literal": "Zhang Yeshé Dé"} in csl["translator"]
    assert csl["contributor"] == [{"literal": "Simeon Joffe"}]
    assert csl["issued"] == {"date-parts": [[2013, 10, 20]]}


def test_cbeta_in_its_own_language(heart):
    c = Citation.of(heart, BASE, accessed=DAY)
    assert c.title_lang == "zh-Hant"
    assert forms.text(c).startswith("唐 玄奘譯. 大正新脩大藏經數位版, No. 251 般若波羅蜜多心經. "
                                    "Published by 中華電子佛典協會 (CBETA), 2012.")
    assert ("citation_author", "唐 玄奘譯") in forms.meta_tags(c)


def test_the_title_is_the_items_own_language_not_the_first_or_english():
    item = Item(id="t", titles={"en": "Kangyur", "zh-Hans": "甘珠尔", "bo": "བཀའ་འགྱུར།"},
                languages=["bo"], writing_system="bo")
    c = Citation.of(item, BASE)
    assert (c.title_lang, c.title, c.title_en) == ("bo", "བཀའ་འགྱུར།", "Kangyur")
    assert c.full_title == "བཀའ་འགྱུར། [Kangyur]"
    # a main language tagged without its script still finds its title
    item = Item(id="t", titles={"en": "Jangar", "mn-Mong": "ᠵᠠᠩᠭᠠᠷ"}, languages=["mn"],
                writing_system="mn")
    assert Citation.of(item, BASE).title == "ᠵᠠᠩᠭᠠᠷ"
    assert Citation.of(Item(id="bare"), BASE).title == "bare"


HOSTILE = Item(
    id="odd", titles={"en": "Notes {on} 100% of $5 & #1_x^2~\\end", "mn-Mong": "ᠨᠣᠮ"},
    languages=["mn-Mong"], writing_system="mn-Mong",
    responsibility=[Responsibility("author", "Smith & Sons {Ltd}"),
                    Responsibility("translator", "Dharma and Wisdom Group"),
                    Responsibility("scribe", "Line\nbreak")],
    date_text="1850", date_from=1850, date_to=1850, shelfmark="MS 1", repository="Vault")


def _balanced(text: str) -> bool:
    depth = 0
    for m in re.finditer(r"\\.|[{}]", text):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def test_bibtex_escapes_latex_and_keeps_utf8():
    bib = forms.bibtex(Citation.of(HOSTILE, BASE, accessed=DAY))
    assert bib.startswith("@misc{odd,\n") and bib.endswith("}\n")
    assert _balanced(bib)
    assert "  title = {{ᠨᠣᠮ}},\n" in bib  # the item's own title, braced against recasing
    assert (r"titleaddon = {{Notes \{on\} 100\% of \$5 \& \#1\_x\textasciicircum{}2"
            r"\textasciitilde{}\textbackslash{}end}}") in bib
    # names braced whole: "and" inside a group's name does not split it
    assert "  author = {{Smith \\& Sons \\{Ltd\\}}},\n" in bib
    assert "  translator = {{Dharma and Wisdom Group}},\n" in bib
    assert "  note = {scribe: Line break},\n" in bib  # one line
    assert "  date = {1850},\n" in bib and "  howpublished = {Manuscript},\n" in bib


def test_ris_lines_and_tags():
    ris = forms.ris(Citation.of(HOSTILE, BASE, page_label="3", page_order=3, accessed=DAY))
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - MANSCPT" and lines[-2] == "ER  - " and lines[-1] == ""
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])
    assert "AU  - Smith & Sons {Ltd}" in lines and "A4  - Dharma and Wisdom Group" in lines
    assert "A3  - Line break" in lines  # the scribe, on one line
    assert "TI  - ᠨᠣᠮ" in lines and "SP  - 3" in lines and "PY  - 1850" in lines
    assert "UR  - https://lib.example/items/odd/read?page=3" in lines
    assert "Y2  - 2026/12/03" in lines


def test_csl_json_shape():
    data = json.loads(json.dumps(forms.csl_json(Citation.of(HOSTILE, BASE, accessed=DAY))))
    (entry,) = data
    assert entry["type"] == "manuscript" and entry["id"] == "odd"
    assert entry["author"] == [{"literal": "Smith & Sons {Ltd}"}]
    assert entry["issued"] == {"date-parts": [[1850]]}
    assert entry["accessed"] == {"date-parts": [[2026, 12, 3]]}
    assert entry["archive_location"] == "MS 1" and entry["URL"] == BASE + "/items/odd"
    ranged = Item(id="r", titles={"en": "R"}, date_text="1950s", date_from=1950, date_to=1959)
    assert forms.csl_json(Citation.of(ranged, BASE))[0]["issued"] == {
        "date-parts": [[1950], [1959]]}
    written = Item(id="w", titles={"en": "W"}, date_text="Qing dynasty")
    assert forms.csl_json(Citation.of(written, BASE))[0]["issued"] == {"literal": "Qing dynasty"}


def test_meta_tags(jangar):
    tags = forms.meta_tags(Citation.of(jangar, BASE, page_label="2b", page_order=4,
                                       page_address="2b"))
    names = [n for n, _ in tags]
    assert ("citation_title", "ᠵᠠᠩᠭᠠᠷ [Jangar (manuscript excerpt)]") in tags
    assert ("citation_author", "Eelyan Ovla (attributed)") in tags
    assert ("citation_date", "1950") in tags and ("citation_publisher", "Sudur") in tags
    assert ("citation_language", "mn-Mong") in tags and ("citation_firstpage", "2b") in tags
    assert ("citation_public_url", BASE + "/items/jangar-ms-1/read?page=2b") in tags
    assert "citation_pdf_url" not in names
