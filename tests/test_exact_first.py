"""Exact matches first on the first page (issue 12, section 6): loose matching finds a rare
word's sound-alikes too, up to 151 times as many pages as the word itself, and in plain
reading order the first hit could be one of them. The first page takes the pages holding the
word's exact key, in reading order, then the other matches in reading order."""

from __future__ import annotations

import pytest

from catalog import index as cindex
from catalog.search import SearchRequest, open_searcher, search
from library.models import Item, Page

# (query, a sound-alike that loose matching also finds, why they fall together)
SOUND_ALIKES = [
    # Hudum ᠣ and ᠤ are written alike word-medially and many manuscripts confuse them: the
    # loose key folds them, so ᠮᠣᠩᠭᠣᠯ "Mongol" also finds the spelling ᠮᠤᠩᠭᠤᠯ.
    ("ᠮᠣᠩᠭᠣᠯ", "ᠮᠤᠩᠭᠤᠯ"),
    # Hudum ᠡ and ᠠ share a shape in many positions: ᠭᠡᠰᠡᠷ "Geser" and ᠭᠠᠰᠠᠷ fall together.
    ("ᠭᠡᠰᠡᠷ", "ᠭᠠᠰᠠᠷ"),
]


def _library(tmp_path, query: str, alike: str, ws: str):
    """One item whose first pages hold only the sound-alike, the exact word on page 4."""
    texts = [f"{alike} ᠪᠢᠴᠢᠭ", f"ᠪᠢᠴᠢᠭ {alike}", f"{alike}", f"ᠪᠢᠴᠢᠭ {query}", f"{alike} {query}"]
    item = Item(id="it", titles={"en": "it"}, writing_system=ws, collections=["c"],
                languages=[ws])
    item.pages = [Page(item_id="it", order=i + 1, label=str(i + 1), text=t)
                  for i, t in enumerate(texts)]
    cindex.update_items(tmp_path / "ix", [item])
    return tmp_path / "ix"


@pytest.mark.parametrize("query,alike", SOUND_ALIKES)
def test_exact_matches_come_first_on_the_first_page(tmp_path, query, alike):
    ix = _library(tmp_path, query, alike, "mn-Mong")
    with open_searcher(ix) as s:
        r = search(s, SearchRequest(query, page_size=10, time_budget=10.0))
        # the exact pages (4, 5) in reading order, then the sound-alikes in reading order
        assert [h.order for h in r.hits] == [4, 5, 1, 2, 3]
        assert r.total == 5 and not r.total_is_estimate
        assert "<mark>" in r.hits[0].snippet
        # an exact search still finds the exact pages only
        rx = search(s, SearchRequest(query, page_size=10, time_budget=10.0, exact=True))
        assert [h.order for h in rx.hits] == [4, 5]


def test_later_pages_continue_without_repeating_the_first(tmp_path):
    query, alike = SOUND_ALIKES[0]
    ix = _library(tmp_path, query, alike, "mn-Mong")
    with open_searcher(ix) as s:
        pages = [[h.order for h in search(s, SearchRequest(query, page=p, page_size=2,
                                                            time_budget=10.0)).hits]
                 for p in (1, 2, 3)]
    # the first page's exact matches are not shown again; the rest keeps reading order
    assert pages == [[4, 5], [1, 2], [3]]


def test_a_tibetan_exact_syllable_comes_before_its_sound_alike(tmp_path):
    # ཏུར and དུར differ in voicing only; whatever matching still joins them, the page with
    # ཏུར itself is the first hit (the example: ཏུར showed དུར first).
    texts = ["ཆོས་དུར་བ།", "དུར་ཁྲོད།", "ཆོས་ཏུར་བ།"]
    item = Item(id="tib", titles={"en": "tib"}, writing_system="bo", collections=["c"],
                languages=["bo"])
    item.pages = [Page(item_id="tib", order=i + 1, label=str(i + 1), text=t)
                  for i, t in enumerate(texts)]
    cindex.update_items(tmp_path / "ix", [item])
    with open_searcher(tmp_path / "ix") as s:
        r = search(s, SearchRequest("ཏུར", page_size=10, time_budget=10.0))
    assert r.hits and r.hits[0].order == 3
    assert "<mark>ཏུར</mark>" in r.hits[0].snippet


@pytest.mark.parametrize("checks,window", [(0, 512), (1, 2), (256, 2)])
def test_every_way_of_finding_the_exact_matches_agrees(tmp_path, monkeypatch, checks, window):
    # among the search's own matches (checks), or by a scan of their own (none checked, or the
    # search itself cut short by a tiny window and no counting budget)
    from catalog import matching, search as csearch
    monkeypatch.setattr(csearch, "_EXACT_CHECKS", checks)
    monkeypatch.setattr(matching, "_FIRST_WINDOW", window)
    monkeypatch.setattr(matching, "_MAX_WINDOW", window)
    query, alike = SOUND_ALIKES[0]
    ix = _library(tmp_path, query, alike, "mn-Mong")
    with open_searcher(ix) as s:
        r = search(s, SearchRequest(query, page_size=3, time_budget=0.0))
    assert [h.order for h in r.hits] == [4, 5, 1]
