"""The edition tree (library.edition, ingest.tei_edition) and its HTML (viewer.edition): each TEI
element by hand-made TEI and by the TEI Guidelines' own examples, then the real corpora.

The contract kept throughout: every shown span sits at its offset in ``Page.text``, so search
spans (offsets in ``Page.text``) mark the edition."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Union

import pytest

from ingest.tei import parse_tei
from library.edition import MAX_DEPTH, Node, Span, shown_text, tree_from_json
from library.models import Page, page_from_dict, to_dict

NS = "http://www.tei-c.org/ns/1.0"


def tei(body: str, back: str = "") -> str:
    return (f'<TEI xmlns="{NS}"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>'
            '<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>'
            f'</fileDesc></teiHeader><text><body>{body}</body>'
            f'{"<back>" + back + "</back>" if back else ""}</text></TEI>')


def pages_of(tmp_path: Path, xml: str) -> list[Page]:
    path = tmp_path / "t.xml"
    path.write_text(xml, encoding="utf-8")
    return parse_tei(path, tmp_path, "t").item.pages


def walk(tree) -> list[Union[Node, Span]]:
    out, stack = [], list(reversed(tree))
    while stack:
        n = stack.pop()
        out.append(n)
        if isinstance(n, Node):
            stack.extend(reversed(n.children))
    return out


def kinds(tree) -> list[str]:
    return [n.kind for n in walk(tree) if isinstance(n, Node)]


def assert_offsets(page: Page) -> None:
    for n in walk(page.edition):
        if isinstance(n, Span) and n.shown:
            assert page.text[n.start:n.start + len(n.text)] == n.text, (n, page.text)


def html_of(page: Page, spans=()) -> str:
    from flask import Flask
    from flask_babel import Babel

    from viewer.edition import page_html

    app = Flask("t")
    Babel(app)
    with app.test_request_context("/"):
        return str(page_html(page, list(spans)))


# --- each element, hand-made ---------------------------------------------------------------

def test_headings_paragraphs_and_page_breaks_split_a_paragraph(tmp_path):
    p1, p2 = pages_of(tmp_path, tei(
        '<pb n="1a"/><div><head>Chapter one</head><p>First words of a paragraph'
        '<pb n="1b"/>that goes on.</p></div>'))
    assert kinds(p1.edition) == ["div", "head", "p"]
    assert kinds(p2.edition) == ["div", "p"]
    assert p2.edition[0].attrs["cont"] == "1" and p2.edition[0].children[0].attrs["cont"] == "1"
    for p in (p1, p2):
        assert_offsets(p)
    h = html_of(p1)
    assert '<div class="ed-head" role="heading" aria-level="3">Chapter one</div>' in h
    assert 'class="ed-p cont"' in html_of(p2)


def test_verse_lines_and_lists(tmp_path):
    (page,) = pages_of(tmp_path, tei(
        '<lg type="couplet"><l n="1">Then hate me when thou wilt; if ever, now;</l>'
        '<l n="2">Now, while the world is bent my deeds to cross,</l></lg>'
        '<list><item>one</item><item>two</item></list>'))
    assert kinds(page.edition) == ["lg", "l", "l", "list", "item", "item"]
    assert_offsets(page)
    h = html_of(page)
    assert h.count('class="ed-l"') == 2 and '<span class="ed-n" aria-hidden="true">2</span>' in h
    assert 'role="list"' in h and h.count('role="listitem"') == 2


def test_notes_are_footnotes_linked_from_the_text(tmp_path):
    (page,) = pages_of(tmp_path, tei(
        '<p>Text<note place="foot">A note with <hi rend="italic">markup</hi>.</note> goes on.</p>'))
    assert "A note" not in page.text  # notes stay out of the searched text
    note = next(n for n in walk(page.edition) if isinstance(n, Node) and n.kind == "note")
    assert all(not s.shown for s in walk(note.children) if isinstance(s, Span))
    h = html_of(page)
    ref = re.search(r'<a class="ed-note-ref" id="(fn-1-1)-ref" href="#fn-1-1" '
                    r'role="doc-noteref"[^>]*>1</a>', h)
    assert ref, h
    assert re.search(r'<li id="fn-1-1" role="doc-footnote">A note with <span class="ed-hi '
                     r'rend-italic">markup</span>\.', h), h
    assert 'href="#fn-1-1-ref" role="doc-backlink"' in h


@pytest.mark.parametrize("pair,shown,other", [
    ("<sic>we</sic><corr>can</corr>", "corr", "sic"),
    ("<orig>Jhro</orig><reg>Ihro</reg>", "reg", "orig"),
    ("<abbr>Mr.</abbr><expan>Mister</expan>", "expan", "abbr"),
])
def test_choice_keeps_both_readings(tmp_path, pair, shown, other):
    # TEI Guidelines 3.5.1: "how <choice><sic>we</sic><corr>can</corr></choice> we prove ..."
    (page,) = pages_of(tmp_path, tei(f"<p>how <choice>{pair}</choice> we prove</p>"))
    choice = next(n for n in walk(page.edition) if isinstance(n, Node) and n.kind == "choice")
    readings = {r.kind: r for r in choice.children if isinstance(r, Node)}
    assert set(readings) == {shown, other}
    assert all(s.shown for s in readings[shown].children)
    assert not any(s.shown for s in readings[other].children)
    assert_offsets(page)
    h = html_of(page)
    assert f'<span class="rd main" data-kind="{shown}">' in h
    assert f'<span class="rd alt" data-kind="{other}">' in h
    other_text = readings[other].children[0].text
    assert f'data-other="' in h and other_text.strip() in h


def test_apparatus_shows_lemma_and_readings_with_witnesses(tmp_path):
    # TEI Guidelines 12.1.4: the Wife of Bath's Prologue, line 1
    (page,) = pages_of(tmp_path, tei(
        '<listWit><witness xml:id="El">Ellesmere</witness><witness xml:id="La">Lansdowne'
        '</witness></listWit><l><app><lem wit="#El #Hg">Experience</lem>'
        '<rdg wit="#La" type="substantive">Experiment</rdg></app>, though noon auctoritee</l>'))
    assert page.text.startswith("Experience, though")
    rdg = next(n for n in walk(page.edition) if isinstance(n, Node) and n.kind == "rdg")
    assert rdg.attrs["wit"] == "Lansdowne"  # the siglum by its witness
    h = html_of(page)
    assert re.search(r'<span class="ed-lem">Experience</span><span class="ed-rdgs" '
                     r'title="Apparatus"><span class="ed-rdg"><span class="ed-wit">Lansdowne'
                     r'</span> Experiment</span></span>', h), h


def test_gap_unclear_and_supplied_are_marked(tmp_path):
    (page,) = pages_of(tmp_path, tei(
        '<p>Dem Hrn. <gap reason="illegible" extent="2" unit="chars"/>bo Widman, '
        'Ki<unclear reason="faded">e</unclear>chel <supplied>und</supplied> mehr</p>'))
    assert "[…]" in page.text
    assert_offsets(page)
    h = html_of(page)
    assert '<span class="ed-gap" title="Text missing: illegible, 2 chars">[…]</span>' in h
    assert '<span class="ed-unclear" title="Unclear reading: faded">e</span>' in h
    assert 'class="ed-supplied"' in h


def test_line_breaks_inside_a_paragraph_but_not_at_its_start(tmp_path):
    (page,) = pages_of(tmp_path, tei("<p><lb/>first line<lb/>second line</p>"))
    assert kinds(page.edition) == ["p", "lb"]
    assert html_of(page) == ('<div class="edition"><div class="ed-p">first line<br>second line'
                             '</div></div>')


def test_search_spans_mark_the_edition_across_its_pieces(tmp_path):
    (page,) = pages_of(tmp_path, tei('<p>alpha <hi rend="bold">beta</hi> gamma</p>'))
    s = page.text.index("ha be")
    h = html_of(page, [(s, s + 5)])
    assert ('alp<mark>ha</mark><mark> </mark><span class="ed-hi rend-bold"><mark>be</mark>ta'
            '</span> gamma') in h
    g = page.text.index("gamma")
    assert "<mark>gamma</mark>" in html_of(page, [(g, g + 5)])


def test_a_language_on_the_text_reaches_the_html(tmp_path):
    path = tmp_path / "t.xml"
    path.write_text(tei("<p>Om <foreign xml:lang=\"sa-Latn\">svāhā</foreign></p>").replace(
        "<text>", '<text xml:lang="en">'), encoding="utf-8")
    (page,) = parse_tei(path, tmp_path, "t").item.pages
    h = html_of(page)
    assert '<div class="ed-div ed-text" lang="en"><div class="ed-p">Om <span class="ed-span ' \
           'ed-foreign" lang="sa-Latn">svāhā</span></div></div>' in h


def test_markup_in_the_text_is_escaped(tmp_path):
    (page,) = pages_of(tmp_path, tei("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>"))
    h = html_of(page)
    assert "<script>" not in h and "&lt;script&gt;" in h


def test_deep_nesting_is_flattened_and_stored(tmp_path):
    depth = 200  # the parser refuses more than 256 levels; the tree keeps fewer still
    body = "<p>" + "<hi>" * depth + "deep" + "</hi>" * depth + "</p>"
    (page,) = pages_of(tmp_path, tei(body))
    back = page_from_dict(json.loads(json.dumps(to_dict(page))))
    assert shown_text(back.edition) == "deep"
    assert "deep" in html_of(back)


def test_the_stored_form_is_read_back_and_a_bad_one_refused():
    page = Page(item_id="x", order=1, text="ab",
                edition=[Node("p", {"rend": "x"}, [Span("ab", 0), Node("lb")])])
    d = to_dict(page)
    assert page_from_dict(json.loads(json.dumps(d))).edition == page.edition
    assert tree_from_json([{"kind": "marquee", "children": []}])[0].kind == "span"
    deep: dict = {"kind": "hi", "children": []}
    for _ in range(MAX_DEPTH + 1):
        deep = {"kind": "hi", "children": [deep]}
    with pytest.raises(ValueError):
        tree_from_json([deep])
    with pytest.raises(ValueError):
        tree_from_json([{"text": 5}])


def test_a_page_without_an_edition_shows_its_plain_text():
    page = Page(item_id="x", order=1, text="a <b>\nc")
    assert html_of(page, [(0, 1)]) == '<div class="plain-text"><mark>a</mark> &lt;b&gt;\nc</div>'


# --- the corpora ---------------------------------------------------------------------------

def corpus_pages(shared_dir: Path, rel: str) -> list[Page]:
    path = shared_dir / "corpora" / rel
    return parse_tei(path, path.parent, "c").item.pages


def test_cbeta_stand_off_notes_and_apparatus_sit_at_their_anchors(shared_dir):
    pages = corpus_pages(shared_dir, "cbeta-xml-p5/T/T08/T08n0251.xml")
    for p in pages:
        assert_offsets(p)
    page = next(p for p in pages if p.label == "0848c")
    apps = [n for n in walk(page.edition) if isinstance(n, Node) and n.kind == "app"]
    assert apps and all(a.attrs.get("standoff") for a in apps)
    h = html_of(page)
    # 玄奘 read 奘奉詔 by the Song, Yuan and Ming editions
    assert re.search(r'奘\] <span class="ed-rdg"><span class="ed-wit">【宋】 【元】 【明】</span> '
                     r'奘奉詔</span>', h), h
    assert "Prajñāpāramitā hṛdaya" in h and 'role="doc-footnote"' in h
    assert 'class="ed-head ed-jhead"' in h


def test_84000_verse_and_end_notes(shared_dir):
    pages = corpus_pages(shared_dir, "84000-data-tei/translations/kangyur/translations/"
                                     "081-007_toh438-the_praise_of_tara_in_twentyone_homages.xml")
    for p in pages:
        assert_offsets(p)
    verse = next(p for p in pages if "lg" in kinds(p.edition) and "note" in kinds(p.edition))
    h = html_of(verse)
    assert 'class="ed-lg' in h and 'class="ed-l' in h and 'role="doc-noteref"' in h
    assert 'lang="Sa-Ltn"' in h  # a Sanskrit term in a note keeps its language


def test_wiener_diarium_unclear_sic_and_gap(shared_dir):
    pages = corpus_pages(shared_dir, "page2tei-wiener-diarium/tests-wd/wd17410315/"
                                     "wd17410315_tei.xml")
    for p in pages:
        assert_offsets(p)
    all_kinds = {k for p in pages for k in kinds(p.edition)}
    assert {"unclear", "gap", "sic", "lb", "hi", "p"} <= all_kinds
    page = next(p for p in pages if "gap" in kinds(p.edition))
    assert 'class="ed-gap"' in html_of(page)


def test_edition_leaves_the_page_text_as_it_was(shared_dir):
    """The edition is built beside the page text: the text the search indexes is the same as
    the walk without it (every shown span, in order, is the text less its separators)."""
    for rel in ("cbeta-xml-p5/T/T08/T08n0251.xml",
                "page2tei-wiener-diarium/tests-wd/wd17410315/wd17410315_tei.xml"):
        for p in corpus_pages(shared_dir, rel):
            joined = shown_text(p.edition)
            assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", p.text), rel
            assert dataclasses.asdict(p)["text"] == p.text


def test_menksoft_conversion_keeps_the_edition_in_step(tmp_path):
    from library.edition import converted, matches
    from library.menksoft import convert_menksoft

    (page,) = pages_of(tmp_path, tei("<p>\ue26a\ue2b1 <hi>\ue274</hi> ok<note>\ue2b1</note></p>"))
    text = convert_menksoft(page.text)
    assert len(text) != len(page.text)  # one code point becomes several letters
    assert not matches(page.edition, text)
    tree = converted(page.edition, text, convert_menksoft)
    assert tree and matches(tree, text)
    stored = json.dumps(to_dict(Page(item_id="t", order=1, edition=tree)), ensure_ascii=False)
    assert "\ue274" not in stored and "\ue2b1" not in stored  # notes converted too


def test_an_edition_of_another_text_is_not_shown():
    from library.edition import matches

    tree = [Node("p", {}, [Span("abc", 0)])]
    assert matches(tree, "abc") and not matches(tree, "xyz")
    assert not matches([Node("note", {}, [Span("n")])], "OCR text put in later")
    page = Page(item_id="x", order=1, text="OCR text", edition=[Node("p", {}, [Span("n")])])
    assert html_of(page) == '<div class="plain-text">OCR text</div>'
