"""Issue 12 section 1 on the real index: each script's transliteration by its own rules.

Cases in tests/cases_translit.tsv, each with its linguistic reason. A native-script query
reaches characters and their variants, never sound-alikes; a Latin query reaches Tibetan by
Wylie, Chinese by pinyin (with ü) and Mongolian by the skeleton; ``sound:`` is the user's
choice of searching Chinese by sound.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from catalog import index as cindex
from catalog.querying import build_query
from catalog.search import SearchRequest, open_searcher, page_matches
from library.models import Item, Page

CASES_PATH = Path(__file__).with_name("cases_translit.tsv")


def _cases() -> list[dict]:
    with CASES_PATH.open(encoding="utf-8", newline="") as f:
        rows = [line for line in f if not line.startswith("#")]
    names = ["id", "document", "query", "expect", "highlights", "why"]
    return [dict(zip(names, r)) for r in csv.reader(rows, delimiter="\t")]


CASES = _cases()


@pytest.fixture(scope="module")
def case_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("tr") / "index"
    items = []
    for c in CASES:
        it = Item(id=c["id"], titles={"en": c["id"]}, collections=["c"], languages=["und"])
        it.pages = [Page(item_id=c["id"], order=1, label="1", text=c["document"])]
        items.append(it)
    cindex.update_items(d, items)
    return d


def test_every_case_has_a_reason_and_an_expectation():
    assert len(CASES) >= 20
    for c in CASES:
        assert c["expect"] in ("match", "no-match"), c["id"]
        assert len(c["why"]) > 20, c["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case_index, case):
    with open_searcher(case_index) as s:
        found = page_matches(s, SearchRequest(case["query"], item=case["id"]))
    if case["expect"] == "no-match":
        assert not found, (case["why"], [(m.text[a:b]) for m in found for a, b in m.spans])
        return
    assert found and found[0].spans, case["why"]
    if case["highlights"]:
        allowed = set(case["highlights"].split("|"))
        marked = {found[0].text[a:b] for a, b in found[0].spans}
        assert marked <= allowed, (case["why"], marked)


def test_sound_search_is_shown_in_understood_and_never_the_default():
    q, understood = build_query("sound:心")
    assert understood.sound is True
    assert "tr" in {t[0] for t in q.iter_all_terms()}
    q, understood = build_query("心")
    assert understood.sound is False
    assert "tr" not in {t[0] for t in q.iter_all_terms()}


def test_tibetan_query_searches_no_transliteration_key():
    # (a spelling of the alias thesaurus would bring in its Latin spellings: not this one)
    for text in ("མགོ་བོ", "ཀ", "sound:མགོ"):
        q, _ = build_query(text)
        assert "tr" not in {t[0] for t in q.iter_all_terms()}, text


def test_latin_query_reaches_each_scheme_by_its_own_rules():
    from catalog.tr_query import tr_sequences
    seqs = tr_sequences("kha ba")
    assert (("Tkha",), ("Tba",)) in seqs
    assert not any(t.startswith("Tka") or t == "Hka" for seq in seqs for pos in seq for t in pos)
    assert (("Hlü",),) in tr_sequences("lv") and (("Hlü",),) in tr_sequences("lü")
    assert (("Hlu",),) in tr_sequences("lu") and (("Hlü",),) not in tr_sequences("lu")
    assert tr_sequences("ᠮᠣᠩᠭᠣᠯ") == [(("Mmungul", "mungul"),)]
