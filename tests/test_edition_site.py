"""The site shows the edition and speaks in words: the reader, the embed view and the page API
render each page's TEI as an edition with search hits marked; a text-only page takes the full
width and a placeholder item says what it is; roles, IIIF terms, genres, collections and the
search's "understood" explanation are labels in the reader's language; error pages are pages
of the site in that language, while /api and /iiif keep JSON.

The library is built directly in the catalogue from hand-made TEI and the shared corpora's
TEI (parsed by the ingest's TEI reader), without images or an index."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from catalog.db import Catalog
from ingest.tei import parse_tei
from library.models import Collection
from library.settings import Settings
from library.store import Store

NS = "http://www.tei-c.org/ns/1.0"
HAND = f"""<TEI xmlns="{NS}"><teiHeader><fileDesc><titleStmt><title xml:lang="en">An edition</title>
<author role="bard">Ombo</author></titleStmt><publicationStmt><p>p</p></publicationStmt>
<sourceDesc><p>s</p></sourceDesc></fileDesc>
<profileDesc><textClass><keywords><term>epic</term></keywords></textClass></profileDesc>
</teiHeader><text xml:lang="en"><body>
<listWit><witness xml:id="A">MS A</witness><witness xml:id="B">MS B</witness></listWit>
<pb n="1a"/>
<div><head>The first song</head>
<p>The hero <choice><sic>rode</sic><corr>rides</corr></choice> out<note>The scribe wrote
the past tense.</note> at dawn.</p>
<lg><l>A horse of <app><lem wit="#A">red</lem><rdg wit="#B">bay</rdg></app> colour,</l>
<l>a saddle of <gap reason="damage" extent="1" unit="word"/> silver.</l></lg>
<list><item>bow</item><item>arrows</item></list></div>
<pb n="1b"/><p>The second leaf.</p>
</body></text></TEI>"""
PLACEHOLDER = "84000-data-tei/translations/kangyur/placeholders/" \
              "096-060_toh811-a_prayer_from_the_great_susiddhikaratantra.xml"
TARA = "84000-data-tei/translations/kangyur/translations/" \
       "081-007_toh438-the_praise_of_tara_in_twentyone_homages.xml"
ZH = {"Accept-Language": "zh-CN"}


def build_edition_library(root: Path, work: Path, shared_dir: Path) -> Settings:
    """The library of these tests (and of tests/browser/test_edition.py) under ``root``."""
    settings = Settings.load(root)
    store = Store(root)
    store.ensure()
    sources = {"ed-hand": None, "placeholder": shared_dir / "corpora" / PLACEHOLDER,
               "tara": shared_dir / "corpora" / TARA,
               "cbeta": shared_dir / "corpora" / "cbeta-xml-p5/T/T08/T08n0251.xml"}
    with Catalog(store.catalog_path) as cat:
        for item_id, src in sources.items():
            folder = work / item_id
            folder.mkdir()
            tei = folder / f"{item_id}.xml"
            if src is None:
                tei.write_text(HAND, encoding="utf-8")
            else:
                shutil.copyfile(src, tei)
            item = parse_tei(tei, folder, item_id).item
            if item_id == "ed-hand":
                item.collections = ["songs"]
            version = f"items/{item_id}@v1"
            (root / version / "source").mkdir(parents=True)
            shutil.copyfile(tei, root / version / "source" / tei.name)
            cat.put_item(item, version_path=version, source_hash="h", fixity=[])
        cat.put_collection(Collection(id="songs", label={"en": "Heroic songs",
                                                          "zh-Hans": "英雄歌"},
                                      items=["ed-hand"]))
    return settings


@pytest.fixture(scope="module")
def library(tmp_path_factory, shared_dir) -> Settings:
    return build_edition_library(tmp_path_factory.mktemp("edition-lib") / "lib",
                                 tmp_path_factory.mktemp("edition-tei"), shared_dir)


@pytest.fixture()
def client(library):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()


def html(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def transcription(page: str) -> str:
    return page.split('id="transcription"', 1)[1].split('<div id="item-hits"', 1)[0]


# --- the edition in the reader, the embed view and the page API -----------------------------

def test_reader_renders_the_edition(client):
    page = html(client.get("/items/ed-hand/read?page=1a"))
    t = transcription(page)
    assert '<div class="ed-head" role="heading" aria-level="3">The first song</div>' in t
    assert '<span class="rd main" data-kind="corr">rides</span>' in t
    assert '<span class="rd alt" data-kind="sic"><span class="rd-label">as written</span> ' \
           'rode</span>' in t
    assert re.search(r'<span class="ed-lem">red</span><span class="ed-rdgs" title="Apparatus">'
                     r'<span class="ed-rdg"><span class="ed-wit">MS B</span> bay</span>', t)
    assert 'title="Text missing: damaged, 1 word">[…]</span>' in t
    assert t.count('class="ed-l"') == 2 and t.count('role="listitem"') == 2
    assert 'href="#fn-1-1" role="doc-noteref"' in t
    assert re.search(r'<li id="fn-1-1" role="doc-footnote">The scribe wrote the past tense\. '
                     r'<a class="ed-back"', t)
    assert "static/edition.css" in page and 'class="edition-tools"' in page


def test_search_hits_are_marked_in_the_edition(client, monkeypatch):
    from viewer import site

    text = client.get("/api/items/ed-hand/pages/1").get_json()["text"]
    s = text.index("rides out")

    def spans(req, order):
        return [(s, s + len("rides out"))] if req.text else []

    monkeypatch.setattr(site, "page_spans", spans)
    t = transcription(html(client.get("/items/ed-hand/read?page=1&q=rides+out")))
    assert '<span class="rd main" data-kind="corr"><mark>rides</mark></span>' \
           '<span class="rd alt" data-kind="sic">' in t
    assert "<mark> out</mark>" in t
    data = client.get("/api/items/ed-hand/pages/1?q=rides+out").get_json()
    assert data["spans"] == [[s, s + 9]] and data["text"][s:s + 9] == "rides out"
    assert '<mark>rides</mark>' in data["html"] and '<mark> out</mark>' in data["html"]


def test_embed_renders_the_edition_too(client):
    page = html(client.get("/embed/ed-hand?page=1"))
    assert "static/edition.css" in page
    assert 'class="ed-note-ref"' in transcription(page)


def test_stand_off_apparatus_of_cbeta_in_the_reader(client):
    t = transcription(html(client.get("/items/cbeta/read?page=0848c")))
    assert re.search(r'奘\] <span class="ed-rdg"><span class="ed-wit">【宋】 【元】 【明】</span> '
                     r'奘奉詔</span>', t)


def test_a_text_only_page_takes_the_full_width(client):
    page = html(client.get("/items/ed-hand/read?page=1"))
    assert 'class="reader-panes text-only"' in page
    assert re.search(r'<p class="placeholder-note" role="status" hidden>', page)


def test_a_placeholder_says_what_it_is(client):
    page = html(client.get("/items/placeholder/read"))
    assert re.search(r'<p class="placeholder-note" role="status">\s*This item is a catalogue '
                     r'record only', page)
    page = html(client.get("/items/placeholder/read", headers=ZH))
    assert "本条目仅有编目记录" in page


# --- words for people ----------------------------------------------------------------------

def test_roles_and_iiif_terms_are_words_in_each_interface(client):
    en = html(client.get("/items/tara"))
    assert "<dt>Main translator</dt>" in en and "<dt>TEI mark-up editor</dt>" in en
    assert "translatorMain" not in en and "TEImarkupEditor" not in en
    assert "<dt>Reading direction</dt><dd>Left to right</dd>" in en
    zh = html(client.get("/items/tara", headers=ZH))
    assert "<dt>主译者</dt>" in zh and "<dt>英译者</dt>" in zh and "从左到右" in zh
    bo = html(client.get("/items/tara", headers={"Accept-Language": "bo"}))
    assert "ལོ་ཙཱ་བ་གཙོ་བོ།" in bo
    mn = html(client.get("/items/tara", headers={"Accept-Language": "mn"}))
    assert "ᠭᠣᠣᠯ ᠣᠷᠴᠢᠭᠤᠯᠤᠭᠴᠢ" in mn


def test_genre_and_collection_are_named(client):
    en = html(client.get("/items/ed-hand"))
    assert "<dt>Bard</dt>" in en
    assert "Heroic songs" in en and ">songs<" not in en
    zh = html(client.get("/items/ed-hand", headers=ZH))
    assert "史诗" in zh and "英雄歌" in zh


def test_understood_values_are_words(library):
    from flask import Flask
    from flask_babel import Babel, force_locale

    from viewer.labels import understood_value

    app = Flask("t")
    Babel(app)
    with app.test_request_context("/"):
        assert understood_value("scripts", ["Tibt", "Latn"]) == "Tibetan script, Latin script"
        assert understood_value("transliteration", "wylie") == "Wylie (Tibetan)"
        assert understood_value("filters", {"collection": ["epics"]}) == "collection: epics"
        assert understood_value("converted", {"pinyin": "江格尔"}) == "Pinyin (Chinese) → 江格尔"
    from viewer import create_app

    real = create_app({"SUDUR_SETTINGS": library, "TESTING": True})
    with real.test_request_context("/"), force_locale("zh_Hans"):
        assert understood_value("transliteration", "wylie") == "威利转写（藏文）"


# --- error pages ---------------------------------------------------------------------------

def test_404_is_a_page_of_the_site_in_the_readers_language(client):
    resp = client.get("/items/no-such-item", headers=ZH)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page and 'class="site-header"' in page
    assert "未找到" in page and "首页" in page
    assert '<span lang="en" dir="ltr">' in page  # the library's own message, marked English
    resp = client.get("/items/ed-hand/read?page=99")
    assert resp.status_code == 404 and "Not found" in resp.get_data(as_text=True)


def test_400_is_styled_too(client):
    resp = client.get("/compare", headers={"Accept-Language": "bo"})  # no item named
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "རེ་ཞུ་ཀློག་མ་ཐུབ།" in page and 'class="site-header"' in page


def test_500_says_nothing_of_its_cause(library):
    from viewer import create_app

    app = create_app({"SUDUR_SETTINGS": library, "TESTING": True,
                      "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail /srv/path")

    resp = app.test_client().get("/boom", headers=ZH)
    assert resp.status_code == 500
    page = resp.get_data(as_text=True)
    assert "本站出现了问题" in page and 'class="site-header"' in page
    assert "secret" not in page and "/srv/path" not in page


def test_api_and_iiif_errors_stay_json(client):
    for url in ("/api/items/no-such-item/pages/1", "/iiif/no-such-item/manifest"):
        resp = client.get(url, headers=ZH)
        assert resp.status_code == 404 and resp.is_json, url


# --- the full text as an edition -----------------------------------------------------------

def test_full_text_edition_lists_every_page_with_its_notes(client):
    page = html(client.get("/items/ed-hand/edition"))
    assert page.count('class="edition-page"') == 2
    assert '<a href="/items/ed-hand/read?page=1">Page 1a</a>' in page
    assert '<a href="/items/ed-hand/read?page=2">Page 1b</a>' in page
    assert 'class="ed-note-ref"' in page and 'role="doc-footnote"' in page
    assert 'class="ed-choice"' in page and "static/edition.css" in page
    record = html(client.get("/items/ed-hand"))
    assert 'href="/items/ed-hand/edition"' in record
    zh = html(client.get("/items/cbeta/edition", headers=ZH))
    assert "全文（校本）" in zh and zh.count('class="edition-page"') == 3
    assert client.get("/items/ed-hand/edition?pages=2").status_code == 404
    assert client.get("/items/ed-hand/edition?pages=x").status_code == 400
