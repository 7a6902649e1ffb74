"""Tests for catalog.search on Sudur's real index layout: the shared cases end to end, the
one-pass analysis against the field analyzers, spans, reading order and budgeted estimates."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import analysis, index as cindex, matching, pairs, postings, terms
from catalog.analysis import analyzer, writing_system
from catalog.querying import build_query
from catalog.search import SearchRequest, autocomplete, open_searcher, page_matches, search
from catalog.snippets import make_snippet, match_spans, position_spans
from catalog.terms import query_sequences
from library.errors import IndexVersionError
from library.models import Item, Page

from text_cases import decode, load_cases

MIXED = ("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠬᠠᠷ᠎ᠠ ᠭᠡᠰᠡᠷ བཀའ་འགྱུར། བྱང་ཆུབ་སེམས་དཔའི་ 甘珠爾乾隆西遊記 Mongol Монгол "
         "ᡐᡄᡊᡎᡅ ᠮᠠᠨᠵᡠ ᠑᠒ ༡༢ 12 ᠶᠢ\u180eᠠ ᠠᠳ\u180bᠠ")


def _item(item_id: str, texts: list[str], ws: str = "") -> Item:
    it = Item(id=item_id, titles={"en": item_id}, writing_system=ws, collections=["c"],
              languages=[ws or "und"])
    it.pages = [Page(item_id=item_id, order=i + 1, label=str(i + 1), text=t)
                for i, t in enumerate(texts)]
    return it


def _field_postings(text: str, fields: tuple[str, ...]) -> dict[str, list[int]]:
    out: dict[str, set[int]] = {}
    for f in fields:
        for t in analyzer(f)(text, positions=True):
            out.setdefault(t.text, set()).add(t.pos)
    return {k: sorted(v) for k, v in out.items()}


def _roles(postings: dict[str, list[int]]) -> tuple[dict, dict]:
    """Field x of the index read back as exact-or-shape keys and loose keys."""
    xs: dict[str, set[int]] = {}
    loose: dict[str, set[int]] = {}
    for term, poses in postings.items():
        if term.startswith(analysis.X_ONLY):
            xs.setdefault(term[1:], set()).update(poses)
        elif term.startswith(analysis.L_ONLY):
            loose.setdefault(term[1:], set()).update(poses)
        elif term.startswith("~"):
            xs.setdefault(term, set()).update(poses)
        else:
            xs.setdefault(term, set()).update(poses)
            loose.setdefault(term, set()).update(poses)
    return ({k: sorted(v) for k, v in xs.items()}, {k: sorted(v) for k, v in loose.items()})


def _check_postings(text: str, ws: str | None) -> None:
    with writing_system(ws):
        px, ptr, _ = analysis.document_postings(text)
        xs, loose = _roles(px)
        assert xs == _field_postings(text, ("x", "s")), ws
        assert loose == _field_postings(text, ("l",)), ws
        assert ptr == _field_postings(text, ("tr",)), ws
        assert all(len(set(p)) == len(p) for p in px.values())


@pytest.mark.parametrize("ws", [None, "mn-Mong", "xal-Mong", "mnc-Mong", "bo", "zh-Hant"])
def test_document_postings_equal_the_field_analyzers(ws):
    _check_postings(MIXED, ws)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(MIXED) + ["\u180b", "\u200d", "a", "\u0f71"]),
               max_size=80))
def test_document_postings_equal_the_field_analyzers_on_random_text(text):
    _check_postings(text, None)


def test_shape_keys_never_collide_with_exact_keys():
    # why x and s may share one index field
    for t in analyzer("x")(MIXED):
        assert not t.text.startswith("~")
    shapes = [t.text for t in analyzer("s")(MIXED)]
    exact = [t.text for t in analyzer("x")(MIXED)]
    assert any(s.startswith("~") for s in shapes)
    assert all(s == x for s, x in zip(shapes, exact) if not s.startswith("~"))


def test_every_shared_case_on_the_real_index(shared_dir, tmp_path):
    cases = load_cases(shared_dir)
    items = [_item(f"case-{i}", [decode(c["document_codepoints"])]) for i, c in enumerate(cases)]
    cindex.update_items(tmp_path / "ix", items)
    failures = []
    with open_searcher(tmp_path / "ix") as s:
        for i, c in enumerate(cases):
            q = decode(c["query_codepoints"])
            named = c["fields"].split("+")
            found = page_matches(s, SearchRequest(q, item=f"case-{i}"))
            found_exact = page_matches(s, SearchRequest(q, item=f"case-{i}", exact=True))
            if c["expect"] == "match":
                if not found or not found[0].spans:
                    failures.append(f"{c['id']}: default search misses")
                if "exact" in named and not found_exact:
                    failures.append(f"{c['id']}: exact search misses")
            elif "exact" in named and found_exact:
                failures.append(f"{c['id']}: exact search matches")
            if c["expect"] == "match":
                r = search(s, SearchRequest(q, page_size=100, time_budget=5.0))
                if f"case-{i}" not in {h.item_id for h in r.hits}:
                    failures.append(f"{c['id']}: search() misses")
    assert not failures, failures


@pytest.fixture(scope="module")
def bench_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("ix") / "index"
    pages = [f"ཆོས་{i}་བྱང་ཆུབ་སེམས་དཔའ་ཞེས་བྱ། སངས་རྒྱས་" for i in range(300)]
    cindex.update_items(d, [_item("tib", pages, "bo"),
                            _item("mon", ["ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠪᠢᠴᠢᠭ", "ᠪᠢᠴᠢᠭ"], "mn-Mong")])
    return d


def test_first_page_in_reading_order_and_totals(bench_index):
    with open_searcher(bench_index) as s:
        r = search(s, SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", page_size=10, time_budget=10.0))
        assert [h.order for h in r.hits] == list(range(1, 11))
        assert r.total == 300 and not r.total_is_estimate and not r.facets_are_estimates
        assert dict(r.facets["collection"]) == {"c": 300}
        h = r.hits[0]
        assert h.text[h.spans[0][0]:h.spans[0][1]] == "བྱང་ཆུབ་སེམས་དཔའ"
        assert "<mark>བྱང་ཆུབ་སེམས་དཔའ</mark>" in h.snippet
        r2 = search(s, SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", page=3, page_size=10, time_budget=10.0))
        assert [h.order for h in r2.hits] == list(range(21, 31))
        json.dumps(r.to_json())


def test_totals_are_flagged_estimates_when_the_budget_runs_out(bench_index, monkeypatch):
    monkeypatch.setattr(matching, "_FIRST_WINDOW", 16)
    monkeypatch.setattr(matching, "_MAX_WINDOW", 16)
    with open_searcher(bench_index) as s:
        r = search(s, SearchRequest("སངས་རྒྱས", page_size=10, time_budget=0.0))
        assert [h.order for h in r.hits] == list(range(1, 11))
        assert r.total_is_estimate and r.facets_are_estimates
        # 16 of 304 documents scanned, all matching: scaled to the whole index
        assert r.total == 304 and dict(r.facets["collection"]) == {"c": 304}
        assert r.to_json()["total_is_estimate"] is True


def test_relevance_sort_is_still_offered(bench_index):
    with open_searcher(bench_index) as s:
        r = search(s, SearchRequest("ᠪᠢᠴᠢᠭ", sort="relevance", time_budget=10.0))
        assert {h.order for h in r.hits} == {1, 2} and r.total == 2
        assert all(h.score > 0 for h in r.hits)


def test_shape_query_matches_through_the_shared_field(bench_index):
    with open_searcher(bench_index) as s:
        # o typed as u: matched by the shape (and loose) key only
        assert [h.order for h in page_matches(s, SearchRequest("ᠮᠤᠩᠭᠤᠯ", item="mon"))] == [1]
        assert page_matches(s, SearchRequest("ᠮᠤᠩᠭᠤᠯ", item="mon", exact=True)) == []


def test_page_matches_has_every_span_and_snippets_stop_early():
    text = "སངས་རྒྱས་" + "ཆོས་" * 200 + "སངས་རྒྱས།"
    q, _ = build_query("སངས་རྒྱས", field_map=analysis.QUERY_FIELD_MAP)
    seqs = query_sequences(q)
    every = match_spans(text, seqs, "bo")
    assert len(every) == 2 and text[every[1][0]:every[1][1]] == "སངས་རྒྱས"
    assert match_spans(text, seqs, "bo", first_only=True) == every[:1]


def test_an_old_index_is_refused(bench_index, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(bench_index, old)
    (old / "sudur-index.json").write_text(
        json.dumps({"schema_version": 1, "analyzer_version": "x"}), encoding="utf-8")
    with pytest.raises(IndexVersionError) as e:
        open_searcher(old)
    assert "reindex" in e.value.hint


def test_exact_and_loose_keys_sharing_a_field_stay_apart(tmp_path):
    # e folds to a in the loose key: ᠡᠮᠡ is indexed as X_ONLY+ᠡᠮᠡ and L_ONLY+ᠠᠮᠠ, ᠠᠮᠠ bare
    cindex.update_items(tmp_path / "ix", [_item("m", ["ᠡᠮᠡ", "ᠠᠮᠠ", "ᠡᠮᠡ ᠠᠮᠠ"], "mn-Mong")])
    with open_searcher(tmp_path / "ix") as s:
        assert [h.order for h in page_matches(s, SearchRequest("ᠠᠮᠠ", item="m", exact=True))] == [2, 3]
        assert [h.order for h in page_matches(s, SearchRequest("ᠡᠮᠡ", item="m", exact=True))] == [1, 3]
        assert [h.order for h in page_matches(s, SearchRequest("ᠡᠮᠡ", item="m"))] == [1, 2, 3]
        assert [h.order for h in page_matches(s, SearchRequest("ᠡᠮᠡ ᠠᠮᠠ", item="m", exact=True))] == [3]
        words = dict(autocomplete(s, SearchRequest("ᠡ", item="m")))
        assert words == {"ᠡᠮᠡ": 2}


@pytest.mark.parametrize("query", ["སངས་རྒྱས", "sangs rgyas", "Gesar", "fo", "ᠮᠤᠩᠭᠤᠯ", "乾隆"])
def test_snippet_from_early_stopping_equals_snippet_from_every_span(query):

    text = ("ཆོས་" * 40 + "sangs rgyas fo " + "佛 乾隆 " + "སངས་རྒྱས་" + "ཆོས་" * 30
            + "ᠮᠣᠩᠭᠣᠯ ᠭᠡᠰᠡᠷ གེ་སར " + "ཆོས་" * 60 + "乾隆 སངས་རྒྱས")
    q, _ = build_query(query, field_map=analysis.QUERY_FIELD_MAP)
    seqs = query_sequences(q)
    every = match_spans(text, seqs, "bo")
    early = match_spans(text, seqs, "bo", first_only=True)
    assert every and set(early) <= set(every)
    assert make_snippet(text, early) == make_snippet(text, every)


# --- the faster block reader, spans from positions, sampled estimates --------------------------

@pytest.fixture(scope="module")
def long_index(tmp_path_factory):
    """Two items in two collections: posting lists of several blocks (over 128 documents)."""
    d = tmp_path_factory.mktemp("long") / "index"
    early = _item("early", [f"ཆོས་{i % 7}་བྱང་ཆུབ་སེམས་དཔའ། 佛{i % 5}" for i in range(900)], "bo")
    late = _item("late", [f"སངས་རྒྱས་{i % 3}་བྱང་ཆུབ། 法{i % 4}" for i in range(600)], "bo")
    late.collections = ["other"]
    cindex.update_items(d, [early, late])
    return d


def test_fast_block_reader_reads_what_whoosh_reads(long_index):
    import random

    from whoosh.codec.whoosh3 import W3LeafMatcher

    rng = random.Random(5)
    with open_searcher(long_index) as s:
        reader = s.searcher.reader()
        checked = 0
        for field in ("x", "tr"):
            for term in list(reader.lexicon(field))[:60]:
                text = term.decode("utf-8")
                fast = postings.postings(reader, field, text)
                slow = reader.postings(field, text)
                assert type(fast) is postings.FastLeafMatcher and type(slow) is W3LeafMatcher
                while slow.is_active():
                    assert fast.is_active()
                    assert (fast.id(), fast.value()) == (slow.id(), slow.value())
                    target = slow.id() + rng.choice([1, 1, 2, 50, 200])
                    slow.skip_to(target)
                    fast.skip_to(target)
                    checked += 1
                assert not fast.is_active()
        assert checked > 500


def test_spans_from_positions_agree_with_reanalysis(long_index):
    with open_searcher(long_index) as s:
        reader = s.searcher.reader()
        for text in ("བྱང་ཆུབ་སེམས་དཔའ", "བྱང་ཆུབ", "佛", "fo", "byang chub", "ཆོས་3"):
            q, _ = build_query(text, field_map=analysis.QUERY_FIELD_MAP)
            plan = terms.plan_of(terms.index_query(q, reader))
            where = matching.MatchPositions(reader, plan)
            seqs = query_sequences(q)
            docs = matching.scan(reader, plan, [], 0, None).matched
            assert docs, text
            for d in docs[:40] + docs[-40:]:
                body = s.searcher.stored_fields(d)["body"]
                assert position_spans(body, where.starts(d)) == match_spans(body, seqs, "bo"), \
                    (text, d)


class _Clock:
    """A clock that advances 1 ms at every reading: the budget runs out after a set amount of
    work, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.001
        return self.now


def test_estimates_sample_the_whole_index_not_its_first_items(long_index, monkeypatch):
    from catalog import search as cs

    monkeypatch.setattr(matching, "_FIRST_WINDOW", 64)
    monkeypatch.setattr(matching, "_MAX_WINDOW", 64)
    monkeypatch.setattr(matching, "_SAMPLE_WINDOW", 32)
    clock = _Clock()
    monkeypatch.setattr(cs, "time", clock)  # the budget starts in search()
    monkeypatch.setattr(matching, "time", clock)
    with open_searcher(long_index) as s:
        r = search(s, SearchRequest("བྱང་ཆུབ", page_size=10, time_budget=0.012))
        assert [h.order for h in r.hits] == list(range(1, 11))
        assert r.total_is_estimate and r.facets_are_estimates
        collections = dict(r.facets["collection"])
        # the late item lies wholly beyond the part read in full: only sampling finds it
        assert collections.get("other", 0) > 0, collections
        assert 0.5 * 1500 <= r.total <= 1.5 * 1500, r.total
        exact = search(s, SearchRequest("བྱང་ཆུབ", page_size=10, time_budget=1e6))
        assert not exact.total_is_estimate and exact.total == 1500


def test_transliteration_bridges_scripts_of_a_language_not_languages(tmp_path):
    """巴 (pinyin ba) and བ (Wylie ba) read alike; a query in one script must not bring pages
    of the other, nor of Latin text (a Han or Tibetan query searches no transliteration),
    while a Latin query meets every script by each scheme's rules."""
    cindex.update_items(tmp_path / "ix", [_item("zh", ["巴山"], "zh-Hant"), _item("bo", ["བ་ཡུལ"], "bo"),
                                          _item("la", ["ba shan"], "en"),
                                          _item("mn", ["ᠪᠠ ᠰᠠᠨ"], "mn-Mong")])
    with open_searcher(tmp_path / "ix") as s:
        def items(q: str) -> set[str]:
            return {h.item_id for h in search(s, SearchRequest(q, time_budget=5.0)).hits}

        assert items("巴") == {"zh"}
        assert items("བ") == {"bo"}
        assert items("ba") == {"zh", "bo", "la", "mn"}
        assert items("ᠪᠠ") == {"mn", "la"}


def test_relevance_order_hits_still_get_their_spans(long_index):
    with open_searcher(long_index) as s:
        r = search(s, SearchRequest("བྱང་ཆུབ", sort="relevance", page_size=30, time_budget=5.0))
        assert len(r.hits) == 30
        # scored order is not docnum order; every hit still has its span and mark
        assert all(h.spans and "<mark>" in h.snippet for h in r.hits)
        assert all(h.text[h.spans[0][0]:h.spans[0][1]] == "བྱང་ཆུབ" for h in r.hits)
