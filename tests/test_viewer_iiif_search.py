"""Content Search over HTTP against the real index: boxes, paging, 1.0 hits, autocomplete."""
from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iiif_samples import (assert_search2_valid, build_library, chinese_book, mongolian_book,
                          text_only, tibetan_pothi)
from library import iiif_search as cs
from viewer import create_app


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    items = [mongolian_book(), tibetan_pothi(), chinese_book(), text_only(pages=120)]
    return build_library(tmp_path_factory.mktemp("lib") / "lib", items)


@pytest.fixture()
def client(library):
    return create_app({"SUDUR_SETTINGS": library, "TESTING": True}).test_client()


@pytest.fixture()
def check(shared_dir, tmp_path):
    """Validate responses with ../shared/tools/validate_search2.py."""
    return lambda *docs: assert_search2_valid(shared_dir, tmp_path, *docs)


def _get(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    return resp.get_json(force=True)


def _box(target: str) -> tuple[int, ...]:
    return tuple(int(v) for v in target.split("#xywh=")[1].split(","))


def _word_box(item, order: int, text: str) -> tuple[int, ...]:
    page = next(p for p in item.pages if p.order == order)
    word = next(w for line in page.lines for w in line.words if w.text == text)
    return (word.box.x, word.box.y, word.box.w, word.box.h)


def test_vertical_mongolian_hit_boxes(client, check):
    resp = client.get("/iiif/jangar-ms-1/search?q=ᠲᠤᠤᠵᠢ")
    assert resp.headers["Content-Type"] == cs.SEARCH2_CONTENT_TYPE
    doc = resp.get_json(force=True)
    check(doc)
    assert len(doc["items"]) == 3  # once on each page
    item = mongolian_book()
    for anno in doc["items"]:
        order = int(anno["target"].split("/canvas/")[1].split("#")[0])
        assert _box(anno["target"]) == _word_box(item, order, "ᠲᠤᠤᠵᠢ") == (100, 1100, 90, 420)
        assert anno["body"]["value"] == "ᠲᠤᠤᠵᠢ"
    sel = doc["annotations"][0]["items"][0]["target"]["selector"][0]
    assert sel["exact"] == "ᠲᠤᠤᠵᠢ" and sel["prefix"] == "ᠵᠠᠩᠭᠠᠷ ᠤᠨ "


def test_phrase_down_a_column_gets_the_union(client, check):
    doc = _get(client, '/iiif/jangar-ms-1/search?q="ᠪᠣᠮᠪᠠ ᠬᠠᠭᠠᠨ"')
    check(doc)
    assert doc["items"], doc
    assert {_box(a["target"]) for a in doc["items"]} == {(250, 100, 90, 920)}
    # unquoted, the two words are found each on its own (the search syntax: README)
    doc = _get(client, "/iiif/jangar-ms-1/search?q=ᠪᠣᠮᠪᠠ ᠬᠠᠭᠠᠨ")
    assert {_box(a["target"]) for a in doc["items"]} == {(250, 100, 90, 420),
                                                         (250, 600, 90, 420)}


def test_pothi_hit_boxes_also_by_wylie(client, check):
    item = tibetan_pothi()
    for q in ("གཤེགས་པ", "gshegs pa"):
        doc = _get(client, f"/iiif/kangyur-1/search?q={q}")
        check(doc)
        assert [_box(a["target"]) for a in doc["items"]] == [_word_box(item, 1, "གཤེགས་པ་")] * 2
        assert doc["items"][0]["body"]["language"] == "bo"


def test_chinese_columns_right_to_left(client, check):
    doc = _get(client, "/iiif/daxue/search?q=明德")
    check(doc)
    assert [_box(a["target"]) for a in doc["items"]] == [(700, 400, 150, 280)] * 2
    # a phrase running from the foot of the first column to the head of the second: one region
    # in each column, tied together by one contextualizing annotation
    doc = _get(client, "/iiif/daxue/search?q=之道在明")
    check(doc)
    page1 = [a for a in doc["items"] if "/canvas/1#" in a["target"]]
    assert [(_box(a["target"]), a["body"]["value"]) for a in page1] == [
        ((900, 400, 150, 280), "之道"), ((700, 100, 150, 280), "在明")]
    ctx = doc["annotations"][0]["items"][0]["target"]
    assert [t["source"] for t in ctx] == [a["id"] for a in page1]
    assert ctx[0]["selector"][0] == {"type": "TextQuoteSelector", "exact": "之道",
                                     "prefix": "大學"}
    assert ctx[1]["selector"][0]["exact"] == "在明"
    assert ctx[1]["selector"][0]["suffix"].startswith("明德")
    one = _get(client, "/iiif/daxue/search1?q=之道在明")
    assert one["hits"][0]["match"] == "之道在明"
    assert one["hits"][0]["annotations"] == [r["@id"] for r in one["resources"][:2]]


def test_paging_through_many_matches(client, check):
    one = _get(client, "/iiif/long-text/search?q=ᠭᠤᠷᠪᠠ")
    assert one["partOf"]["total"] == 120
    assert len(one["items"]) == cs.PAGE_SIZE and one["startIndex"] == 0
    next_url = one["next"]["id"].replace("http://localhost", "")
    two = _get(client, next_url)
    check(one, two)
    assert len(two["items"]) == 20 and two["startIndex"] == 100
    assert two["prev"]["id"] == one["id"] and "next" not in two
    # no boxes on a text-only page: the whole canvas
    assert two["items"][0]["target"] == "http://localhost/iiif/long-text/canvas/101"
    _get(client, "/iiif/long-text/search?q=ᠭᠤᠷᠪᠠ&page=3", 404)
    _get(client, "/iiif/long-text/search?q=ᠭᠤᠷᠪᠠ&page=-1", 400)


def test_ignored_parameters_and_empty_query(client, check):
    doc = _get(client, "/iiif/jangar-ms-1/search?q=ᠤᠨ&motivation=painting&user=x")
    check(doc)
    assert doc["ignored"] == ["motivation", "user"]
    empty = _get(client, "/iiif/jangar-ms-1/search?q=")
    check(empty)
    assert empty["items"] == []
    none = _get(client, "/iiif/jangar-ms-1/search?q=qqqzzz")
    assert none["items"] == []


def test_search1_for_mirador(client):
    resp = client.get("/iiif/jangar-ms-1/search1?q=ᠲᠤᠤᠵᠢ")
    assert resp.status_code == 200
    doc = resp.get_json(force=True)
    assert doc["@type"] == "sc:AnnotationList" and doc["within"]["total"] == 3
    ids = {r["@id"] for r in doc["resources"]}
    assert all(set(h["annotations"]) <= ids for h in doc["hits"])
    assert doc["hits"][0]["match"] == "ᠲᠤᠤᠵᠢ" and doc["hits"][0]["before"] == "ᠵᠠᠩᠭᠠᠷ ᠤᠨ "
    assert _box(doc["resources"][0]["on"]) == (100, 1100, 90, 420)
    # the canvas ids are those of the manifest, so viewers can place the hits
    manifest = client.get("/iiif/jangar-ms-1/manifest").get_json(force=True)
    canvases = {c["id"] for c in manifest["items"]}
    assert {r["on"].split("#")[0] for r in doc["resources"]} <= canvases


def test_autocomplete(client, check):
    doc = _get(client, "/iiif/jangar-ms-1/autocomplete?q=ᠵᠠ")
    check(doc)
    assert doc["type"] == "TermPage"
    values = {t["value"]: t["total"] for t in doc["items"]}
    assert values.get("ᠵᠠᠩᠭᠠᠷ") == 3
    assert _get(client, "/iiif/jangar-ms-1/autocomplete?q=ᠵᠠ&min=4")["items"] == []
    _get(client, "/iiif/jangar-ms-1/autocomplete", 400)
    one = _get(client, "/iiif/jangar-ms-1/autocomplete1?q=ᠵᠠ")
    assert {t["match"]: t["count"] for t in one["terms"]}.get("ᠵᠠᠩᠭᠠᠷ") == 3
    # the term's link is a working 1.0 search
    found = _get(client, one["terms"][0]["url"].replace("http://localhost", ""))
    assert found["hits"]
    _get(client, "/iiif/jangar-ms-1/autocomplete?q=ᠵᠠ&min=x", 400)


@pytest.mark.parametrize("url, status", [
    ("/iiif/nope/search?q=a", 404),
    ("/iiif/%2e%2e/search?q=a", 404),
    ("/iiif/..%2Fx/search1?q=a", 404),
    ("/iiif/nope/autocomplete?q=a", 404),
    ("/iiif/jangar-ms-1/search?q=" + "a" * 501, 400),  # catalog.request: one cap, 500
    ("/iiif/jangar-ms-1/search?q=a&page=%C2%B2", 400),
    ("/iiif/jangar-ms-1/search1?q=a&page=0", 400),
    ("/iiif/jangar-ms-1/autocomplete?q=a&min=%C2%B2", 400),
])
def test_bad_requests(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    assert resp.is_json


def test_without_a_search_engine_the_answer_is_501(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "catalog.search", None)
    resp = client.get("/iiif/jangar-ms-1/search?q=ᠤᠨ")
    assert resp.status_code == 501
    assert resp.get_json()["error"] == "NotImplementedFeatureError"


# --- hits checked against the word positions in OCR files ------------------------------------

HOCR = ("corpora/openpecha-toolkit-v2-hocr/tests/pecha/parser/ocr/hocr/data/file_per_volume/"
        "W22084/bdrc-W22084-1_hocr.html")

ALTO_VERTICAL = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
 <Description><MeasurementUnit>pixel</MeasurementUnit></Description>
 <Layout><Page WIDTH="1000" HEIGHT="2000" PHYSICAL_IMG_NR="1"><PrintSpace>
  <TextBlock ID="b1">
   <TextLine ID="l1" HPOS="120" VPOS="100" WIDTH="80" HEIGHT="1300">
    <String CONTENT="ᠮᠣᠩᠭᠣᠯ" HPOS="120" VPOS="100" WIDTH="80" HEIGHT="380"/><SP/>
    <String CONTENT="ᠤᠨ" HPOS="122" VPOS="500" WIDTH="76" HEIGHT="150"/><SP/>
    <String CONTENT="ᠨᠤᠲᠤᠭ" HPOS="121" VPOS="680" WIDTH="79" HEIGHT="720"/>
   </TextLine>
   <TextLine ID="l2" HPOS="260" VPOS="100" WIDTH="80" HEIGHT="900">
    <String CONTENT="ᠰᠠᠢᠬᠠᠨ" HPOS="260" VPOS="100" WIDTH="80" HEIGHT="430"/><SP/>
    <String CONTENT="ᠨᠤᠲᠤᠭ" HPOS="262" VPOS="560" WIDTH="77" HEIGHT="440"/>
   </TextLine>
  </TextBlock>
 </PrintSpace></Page></Layout>
</alto>
"""


def _ocr_item(item_id: str, ocr, writing_system: str, script: str, language: str):
    from library.models import Item, Page

    page = Page(item_id=item_id, order=1, label="1a", image="images/0001.jpg",
                width=ocr.width, height=ocr.height, text=ocr.text, lines=ocr.lines)
    return Item(id=item_id, titles={"en": item_id}, languages=[language], scripts=[script],
                writing_system=writing_system, pages=[page])


def _search_hits(tmp_path, item, query: str, check) -> list[tuple[str, tuple[int, ...]]]:
    """(matched text, box) of every hit of ``query`` in a one-item library."""
    settings = build_library(tmp_path / "lib", [item])
    client = create_app({"SUDUR_SETTINGS": settings}).test_client()
    doc = _get(client, f"/iiif/{item.id}/search?q={query}")
    check(doc)
    assert doc["items"], f"no hit for {query}"
    return [(a["body"]["value"], _box(a["target"])) for a in doc["items"]]


def test_vertical_mongolian_hits_match_the_alto_file(tmp_path, check):
    ocr_mod = pytest.importorskip("ingest.ocr")
    from lxml import etree

    path = tmp_path / "0001.xml"
    path.write_text(ALTO_VERTICAL, encoding="utf-8")
    item = _ocr_item("mong-ocr", ocr_mod.parse_ocr(path), "mn-Mong", "Mong", "mn")
    ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    expected = {tuple(int(s.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
                for s in etree.parse(str(path)).findall(".//a:String[@CONTENT='ᠨᠤᠲᠤᠭ']", ns)}
    assert expected == {(121, 680, 79, 720), (262, 560, 77, 440)}  # one per column
    assert {box for _text, box in _search_hits(tmp_path, item, "ᠨᠤᠲᠤᠭ", check)} == expected


def test_pothi_hits_match_the_hocr_file(shared_dir, tmp_path, check):
    ocr_mod = pytest.importorskip("ingest.ocr")
    import re

    from lxml import etree

    path = shared_dir / HOCR
    leaf = ocr_mod.parse_ocr_pages(path)[4]
    assert leaf.width > 5 * leaf.height  # an oblong pothi leaf
    item = _ocr_item("pothi-ocr", leaf, "bo", "Tibt", "bo")
    # the words of the fifth page that hold the syllable, read straight from the hOCR
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True,
                                                  load_dtd=False))
    xhtml = "{http://www.w3.org/1999/xhtml}"
    page_el = [d for d in root.iter(f"{xhtml}div") if d.get("class") == "ocr_page"][4]
    words = []  # (text, box) of every word of the leaf, straight from the hOCR
    for span in page_el.iter(f"{xhtml}span"):
        if span.get("class") == "ocrx_word":
            x0, y0, x1, y1 = map(int, re.search(r"bbox (\d+) (\d+) (\d+) (\d+)",
                                                span.get("title")).groups())
            words.append(("".join(span.itertext()), (x0, y0, x1 - x0, y1 - y0)))
    hits = _search_hits(tmp_path, item, "སེམས", check)
    # each hit lies on the word of the OCR file that holds the matched text
    for text, box in hits:
        assert any(text in w and box == b for w, b in words), (text, box)
    # and the exact spelling is among them (the loose reading also finds the OCR's སམས)
    assert {b for w, b in words if "སེམས" in w} <= {box for _t, box in hits}


def test_sample_library_hits_sit_on_their_words(sample_library, check):
    """In the ingested sample (vertical Mongolian with OCR word boxes), each hit's box is the box
    of the word that holds the matched text, in native script or transliteration alike."""
    from catalog.db import Catalog
    from library.store import Store

    client = create_app({"SUDUR_SETTINGS": sample_library}).test_client()
    with Catalog(Store(sample_library.library).catalog_path, readonly=True) as cat:
        pages = {p.order: p for p in cat.pages("jangar-ms-1")}
    for q in ("ᠵᠠᠩᠭᠠᠷ", "jangghar"):
        doc = _get(client, f"/iiif/jangar-ms-1/search?q={q}")
        check(doc)
        boxed = [a for a in doc["items"] if "#xywh=" in a["target"]]
        assert boxed, doc
        for anno in boxed:
            order = int(anno["target"].split("/canvas/")[1].split("#")[0])
            words = [w for line in pages[order].lines for w in line.words if w.box]
            assert any(anno["body"]["value"] in w.text and _box(anno["target"]) ==
                       (w.box.x, w.box.y, w.box.w, w.box.h) for w in words), anno


@settings(max_examples=60, deadline=None)
@given(q=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
       page=st.one_of(st.none(), st.text(max_size=4)))
def test_any_query_gets_an_answer_not_a_crash(library, q, page):
    """Whatever is typed (scripts, punctuation, query syntax, control characters), the search
    endpoints answer 200 with a well-formed response, or 400/404 for a bad page."""
    client = create_app({"SUDUR_SETTINGS": library}).test_client()
    params = {"q": q} if page is None else {"q": q, "page": page}
    for path in ("search", "search1", "autocomplete"):
        resp = client.get(f"/iiif/jangar-ms-1/{path}", query_string=params)
        assert resp.status_code in (200, 400, 404), (path, params, resp.status_code)
        doc = resp.get_json(force=True)
        if resp.status_code == 200:
            assert doc.get("type") in ("AnnotationPage", "TermPage") or \
                doc.get("@type") == "sc:AnnotationList"
        else:
            assert doc["error"]
