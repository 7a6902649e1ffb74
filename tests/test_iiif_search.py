"""Content Search builders: boxes from word geometry, quotes, Search 2.0/1.0 and TermPage shapes.

Every response is checked with ../shared/tools/validate_search2.py and its shape compared with
the specification's examples.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.search import PageHit
from iiif_samples import assert_search2_valid, chinese_book, mongolian_book, tibetan_pothi
from library import iiif_search as cs
from library.models import Box, Line, Page

BASE = "https://example.org"


def hit_for(page: Page, words: list[str]) -> PageHit:
    """A hit on ``page`` for each occurrence of each word, as catalog.search reports it."""
    spans = []
    for w in words:
        start = page.text.find(w)
        while start >= 0:
            spans.append((start, start + len(w)))
            start = page.text.find(w, start + 1)
    return PageHit(item_id=page.item_id, order=page.order, label=page.label, text=page.text,
                   spans=spans, snippet="", score=1.0)


def _example(shared_dir: Path, name: str) -> dict:
    return json.loads((shared_dir / "corpora/iiif-api-search2/examples" / name)
                      .read_text(encoding="utf-8"))


def _word(page: Page, text: str):
    return next(w for line in page.lines for w in line.words if w.text == text)


# --- geometry --------------------------------------------------------------------------------

def test_vertical_mongolian_word_box():
    page = mongolian_book().pages[0]
    word = _word(page, "ᠲᠤᠤᠵᠢ")
    assert page.text[word.start:word.end] == "ᠲᠤᠤᠵᠢ"
    assert cs.span_box(page, word.start, word.end) == Box(100, 1100, 90, 420)
    # a phrase down one column: the column's upper part
    first = _word(page, "ᠪᠣᠮᠪᠠ")
    second = _word(page, "ᠬᠠᠭᠠᠨ")
    assert cs.span_box(page, first.start, second.end) == Box(250, 100, 90, 920)
    # part of a word still lights the whole word
    assert cs.span_box(page, word.start + 1, word.start + 2) == word.box


def test_phrase_across_columns_gets_a_region_per_column():
    page = mongolian_book().pages[0]
    last = _word(page, "ᠲᠤᠤᠵᠢ")  # foot of column 1
    top = next(w for w in page.lines[1].words)  # head of column 2
    assert cs.span_regions(page, last.start, top.end) == [
        (last.start, last.end, last.box), (top.start, top.end, top.box)]
    assert cs.span_box(page, last.start, top.end) == Box(100, 100, 240, 1420)
    hit = hit_for(page, [])
    match = cs.make_match(hit, (last.start, top.end), page)
    assert [s.text for s in match.segments] == ["ᠲᠤᠤᠵᠢ", "ᠪᠣᠮᠪᠠ"]
    assert match.exact == "ᠲᠤᠤᠵᠢ ᠪᠣᠮᠪᠠ"
    parts = match.parts(BASE, "jangar-ms-1")
    assert [p[0].rsplit("/", 1)[1] for p in parts] == ["1", "2"]
    assert parts[1][1].endswith("/canvas/1#xywh=250,100,90,420")


def test_pothi_word_box():
    page = tibetan_pothi().pages[1]
    word = _word(page, "གཤེགས་པ་")
    assert cs.span_box(page, word.start, word.end) == Box(900, 370, 650, 180)


def test_lines_without_words_give_the_line_box():
    page = chinese_book().pages[0]
    for line in page.lines:
        line.words = []
    assert cs.span_box(page, 0, 2) == page.lines[0].box


def test_no_geometry_or_alternative_reading_means_whole_canvas():
    page = Page(item_id="x", order=1, text="abc def", width=100, height=100, image="a.jpg")
    assert cs.span_box(page, 0, 3) is None
    page = mongolian_book().pages[0]
    assert cs.span_box(page, len(page.text) + 2, len(page.text) + 5) is None
    assert cs.span_box(None, 0, 1) is None


def test_boxes_are_clipped_to_the_image():
    page = Page(item_id="x", order=1, text="abc", width=100, height=50, image="a.jpg",
                lines=[Line("abc", Box(90, 40, 30, 30), 0, 3)])
    assert cs.span_box(page, 0, 3) == Box(90, 40, 10, 10)
    page.lines[0].box = Box(200, 200, 5, 5)
    assert cs.span_box(page, 0, 3) is None


def test_quote_flattens_line_breaks():
    assert cs.quote("one two\nthree four", 8, 13, width=4) == ("two ", "three", " fou")
    assert cs.quote("ᠵᠠᠩᠭᠠᠷ\nᠤᠨ", 0, 9) == ("", "ᠵᠠᠩᠭᠠᠷ ᠤᠨ", "")
    # Chinese and Tibetan lines run on
    assert cs.quote("大學之道\n在明明德", 2, 7) == ("大學", "之道在明", "明德")
    assert cs.quote("བྱང་ཆུབ་\nསེམས་དཔའ་", 0, 18)[1] == "བྱང་ཆུབ་སེམས་དཔའ་"
    assert cs.quote("ཆེན་པོ\nདེ", 0, 9)[1] == "ཆེན་པོ དེ"  # no tsheg at the break
    assert cs.quote("abc", 0, 3) == ("", "abc", "")


def test_flatten_orders_pages_and_spans():
    a = PageHit("x", 2, "2", "aa", [(1, 2), (0, 1)], "", 1.0)
    b = PageHit("x", 1, "1", "a", [(0, 1)], "", 1.0)
    assert [(h.order, s) for h, s in cs.flatten([a, b])] == [(1, (0, 1)), (2, (0, 1)), (2, (1, 2))]


# --- responses -------------------------------------------------------------------------------

def _matches(item, word):
    out = []
    for page in item.pages:
        hit = hit_for(page, [word])
        out += [cs.make_match(hit, span, page) for span in sorted(hit.spans)]
    return out


def test_search2_simple_list(shared_dir, tmp_path):
    item = mongolian_book()
    matches = _matches(item, "ᠵᠠᠩᠭᠠᠷ")
    assert len(matches) == 6  # twice on each of 3 pages
    doc = cs.search2_response(matches, base=BASE, item_id=item.id, q="ᠵᠠᠩᠭᠠᠷ",
                              total=len(matches), language="mn-Mong")
    assert_search2_valid(shared_dir, tmp_path, doc)
    assert "partOf" not in doc and "next" not in doc
    first = doc["items"][0]
    assert first["motivation"] == "highlighting"
    assert first["target"] == f"{BASE}/iiif/jangar-ms-1/canvas/1#xywh=100,100,90,420"
    assert first["body"] == {"type": "TextualBody", "value": "ᠵᠠᠩᠭᠠᠷ", "format": "text/plain",
                             "language": "mn-Mong"}
    (extra,) = doc["annotations"]
    ctx = extra["items"][1]
    assert ctx["motivation"] == "contextualizing"
    assert ctx["target"]["source"] == doc["items"][1]["id"]
    sel = ctx["target"]["selector"][0]
    assert sel["type"] == "TextQuoteSelector" and sel["exact"] == "ᠵᠠᠩᠭᠠᠷ"
    assert sel["prefix"].endswith("ᠰᠠᠢᠨ ") and "suffix" not in sel
    # the same keys, nested the same way, as the specification's match-context example
    ex = _example(shared_dir, "ex08-AnnotationPage.elided-fixed.json")
    assert set(ex) == set(doc)
    assert set(ex["items"][0]) == set(first)
    assert set(ex["annotations"][0]["items"][0]["target"]) == set(ctx["target"])


def test_search2_paging(shared_dir, tmp_path):
    item = mongolian_book(pages=3)
    matches = _matches(item, "ᠵᠠᠩᠭᠠᠷ")
    pages = [cs.search2_response(matches[(n - 1) * 4: n * 4], base=BASE, item_id=item.id,
                                 q="ᠵᠠᠩᠭᠠᠷ ᠤᠨ", total=len(matches), page=n, page_size=4)
             for n in (1, 2)]
    assert_search2_valid(shared_dir, tmp_path, *pages)
    one, two = pages
    assert one["id"].endswith("&page=1") and "%E1%A0%B5" in one["id"]
    assert one["partOf"]["total"] == 6
    assert one["partOf"]["first"]["id"] == one["id"]
    assert one["partOf"]["last"]["id"] == two["id"]
    assert one["next"]["id"] == two["id"] and "prev" not in one
    assert two["prev"]["id"] == one["id"] and "next" not in two
    assert (one["startIndex"], two["startIndex"]) == (0, 4)
    assert len(one["items"]) == 4 and len(two["items"]) == 2
    ex = _example(shared_dir, "ex04-AnnotationPage.elided-fixed.json")
    assert set(ex) <= set(one)
    assert set(ex["partOf"]) == set(one["partOf"])


def test_search2_ignored_and_empty(shared_dir, tmp_path):
    ignored = cs.ignored_params({"q": "x", "motivation": "painting", "user": "u", "date": ""})
    assert ignored == ["motivation", "user"]
    doc = cs.search2_response([], base=BASE, item_id="x", q="x", total=0, ignored=ignored)
    assert_search2_valid(shared_dir, tmp_path, doc)
    assert doc["ignored"] == ["motivation", "user"] and doc["items"] == []
    assert "annotations" not in doc


def test_whole_canvas_target_when_no_boxes(shared_dir, tmp_path):
    page = Page(item_id="x", order=3, label="2a", text="abc def")
    match = cs.make_match(hit_for(page, ["def"]), (4, 7), page)
    doc = cs.search2_response([match], base=BASE, item_id="x", q="def", total=1)
    assert_search2_valid(shared_dir, tmp_path, doc)
    assert doc["items"][0]["target"] == f"{BASE}/iiif/x/canvas/3"


def test_search1_hits_for_mirador_and_uv():
    item = tibetan_pothi()
    matches = _matches(item, "སེམས་དཔའ་")
    doc = cs.search1_response(matches, base=BASE, item_id=item.id, q="སེམས་དཔའ",
                              total=len(matches))
    assert doc["@context"] == cs.SEARCH1_CONTEXT
    assert doc["@type"] == "sc:AnnotationList"
    assert doc["within"] == {"@type": "sc:Layer", "total": 2}
    res = doc["resources"][0]
    assert res["@type"] == "oa:Annotation" and res["motivation"] == "sc:painting"
    assert res["on"] == f"{BASE}/iiif/kangyur-1/canvas/1#xywh=900,150,650,180"
    assert res["resource"] == {"@type": "cnt:ContentAsText", "chars": "སེམས་དཔའ་"}
    hit = doc["hits"][0]
    assert hit == {"@type": "search:Hit", "annotations": [res["@id"]], "match": "སེམས་དཔའ་",
                   "before": "བྱང་ཆུབ་", "after": "ཆེན་པོ དེ་བཞིན་གཤེགས་པ་"}


def test_search1_paging():
    item = mongolian_book()
    matches = _matches(item, "ᠵᠠᠩᠭᠠᠷ")
    doc = cs.search1_response(matches[4:], base=BASE, item_id=item.id, q="a", total=6,
                              page=2, page_size=4)
    assert doc["within"]["total"] == 6 and doc["within"]["last"] == doc["@id"]
    assert doc["prev"].endswith("page=1") and "next" not in doc
    assert doc["startIndex"] == 4


def test_term_page(shared_dir, tmp_path):
    doc = cs.term_page([("ᠵᠠᠩᠭᠠᠷ", 6), ("ᠵᠠᠷᠯᠢᠭ", 1)], base=BASE, item_id="jangar-ms-1",
                       q="ᠵᠠ", ignored=["user"])
    assert_search2_valid(shared_dir, tmp_path, doc)
    assert doc["type"] == "TermPage" and doc["ignored"] == ["user"]
    assert [(t["value"], t["total"]) for t in doc["items"]] == [("ᠵᠠᠩᠭᠠᠷ", 6), ("ᠵᠠᠷᠯᠢᠭ", 1)]
    assert doc["items"][0]["service"][0]["type"] == "SearchService2"
    ex = _example(shared_dir, "ex13-TermPage.elided-fixed.json")
    assert set(doc) == set(ex)
    assert set(doc["items"][0]) <= {k for t in ex["items"] for k in t}


def test_term_list_for_search1():
    doc = cs.term_list1([("ᠵᠠᠩᠭᠠᠷ", 6)], base=BASE, item_id="jangar-ms-1", q="ᠵᠠ")
    assert doc["@type"] == "search:TermList"
    assert doc["@id"].startswith(f"{BASE}/iiif/jangar-ms-1/autocomplete1?q=")
    (term,) = doc["terms"]
    assert term["match"] == "ᠵᠠᠩᠭᠠᠷ" and term["count"] == 6
    assert term["url"].startswith(f"{BASE}/iiif/jangar-ms-1/search1?q=%E1")


@pytest.mark.parametrize("name", ["ex03-AnnotationPage.elided-fixed.json",
                                  "ex09-AnnotationPage.elided-fixed.json",
                                  "ex12-TermPage.json"])
def test_validator_accepts_the_spec_examples(shared_dir, tmp_path, name):
    """The checker itself is sound on the golden examples (so its verdicts above mean something)."""
    assert_search2_valid(shared_dir, tmp_path, _example(shared_dir, name))
