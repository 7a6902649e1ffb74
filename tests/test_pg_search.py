"""Search on both backends: the search tests' cases run on the Whoosh index and on PostgreSQL
(``backend``), the PostgreSQL rows' tsvector limits, and the query written as tsquery.

Needs ``SUDUR_TEST_PG_URL`` (tests/pg_search_fixtures.py)."""
from __future__ import annotations

import json

import psycopg
import pytest

from catalog import index as cindex, pg_search
from catalog.pg_search import PgSearcher
from catalog.pg_search_conditions import conditions
from catalog.pg_search_query import to_tsquery
from catalog.pg_search_write import (MAX_POSITION, POSITIONED, TERMS, delete_items, pair_value,
                                     rebuild, tsvector_literal, write_items)
from catalog.search import SearchRequest, autocomplete, open_searcher, page_matches, search
from whoosh import query as wq

from pg_fixtures import new_pg_url  # noqa: F401
from pg_search_fixtures import pg_server, pg_url  # noqa: F401
from test_search import _item

TIB = [f"ཆོས་{i}་བྱང་ཆུབ་སེམས་དཔའ་ཞེས་བྱ། སངས་རྒྱས་" for i in range(300)]


def _items():
    return [_item("tib", TIB, "bo"), _item("mon", ["ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠪᠢᠴᠢᠭ", "ᠪᠢᠴᠢᠭ"], "mn-Mong"),
            _item("m", ["ᠡᠮᠡ", "ᠠᠮᠠ", "ᠡᠮᠡ ᠠᠮᠠ"], "mn-Mong")]


@pytest.fixture(scope="module")
def libraries(pg_url, tmp_path_factory):  # noqa: F811
    """The same items in a Whoosh index and in PostgreSQL."""
    d = tmp_path_factory.mktemp("ix") / "index"
    cindex.update_items(d, _items())
    with PgSearcher(pg_url) as pg:
        rebuild(pg.conn, _items())
    return {"whoosh": d, "postgresql": pg_url}


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request, libraries):
    """An open searcher of each backend."""
    where = libraries[request.param]
    s = open_searcher(where) if request.param == "whoosh" else PgSearcher(where)
    yield s
    s.close()


def test_first_page_in_reading_order_and_totals(backend):
    r = search(backend, SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", page_size=10, time_budget=10.0))
    assert [h.order for h in r.hits] == list(range(1, 11))
    assert r.total == 300 and not r.total_is_estimate and not r.facets_are_estimates
    assert dict(r.facets["collection"]) == {"c": 300}
    h = r.hits[0]
    assert h.text[h.spans[0][0]:h.spans[0][1]] == "བྱང་ཆུབ་སེམས་དཔའ"
    assert "<mark>བྱང་ཆུབ་སེམས་དཔའ</mark>" in h.snippet
    r2 = search(backend, SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", page=3, page_size=10,
                                       time_budget=10.0))
    assert [h.order for h in r2.hits] == list(range(21, 31))
    json.dumps(r.to_json())


def test_relevance_sort_is_still_offered(backend):
    r = search(backend, SearchRequest("ᠪᠢᠴᠢᠭ", sort="relevance", time_budget=10.0))
    assert {h.order for h in r.hits} == {1, 2} and r.total == 2
    assert all(h.score > 0 for h in r.hits)


def test_shape_query_matches_through_the_shared_field(backend):
    # o typed as u: matched by the shape (and loose) key only
    assert [h.order for h in page_matches(backend, SearchRequest("ᠮᠤᠩᠭᠤᠯ", item="mon"))] == [1]
    assert page_matches(backend, SearchRequest("ᠮᠤᠩᠭᠤᠯ", item="mon", exact=True)) == []


def test_exact_and_loose_keys_sharing_a_field_stay_apart(backend):
    def orders(text, **kw):
        return [h.order for h in page_matches(backend, SearchRequest(text, item="m", **kw))]

    assert orders("ᠠᠮᠠ", exact=True) == [2, 3]
    assert orders("ᠡᠮᠡ", exact=True) == [1, 3]
    assert orders("ᠡᠮᠡ") == [1, 2, 3]
    assert orders("ᠡᠮᠡ ᠠᠮᠠ", exact=True) == [3]
    assert dict(autocomplete(backend, SearchRequest("ᠡ", item="m"))) == {"ᠡᠮᠡ": 2}


@pytest.mark.parametrize("text, total", [
    ("ཆོས NEAR/2 བྱང", 300),  # NEAR: 2 tokens apart, either order
    ("བྱང NEAR/2 ཆོས", 300),
    ("ཆོས NEAR/1 བྱང", 0),
    ("ཆོས* -ᠪᠢᠴᠢᠭ", 300),  # a prefix (the number after ཆོས is no part of it) and NOT
    ("ᠪᠢᠴᠢᠭ OR ᠡᠮᠡ", 5),
    ("ᠪᠢᠴᠢᠭ -ᠮᠣᠩᠭᠣᠯ", 1),
    ("བྱང NEAR/3 ཆོས* title:tib", 300),
    ("ᠪᠢᠴᠢᠭ title:tib", 0),
    ("sangs rgyas", 300),  # Wylie
])
def test_operators_filters_and_transliteration(backend, text, total):
    r = search(backend, SearchRequest(text, page_size=5, time_budget=10.0))
    assert r.total == total and len(r.hits) == min(5, total)


def test_estimates_are_flagged_when_the_budget_runs_out(libraries, monkeypatch):
    monkeypatch.setattr(pg_search, "MIN_COUNT_BUDGET", 0.0)
    monkeypatch.setattr(pg_search, "SAMPLE", 16)
    with PgSearcher(libraries["postgresql"]) as s:
        r = search(s, SearchRequest("སངས་རྒྱས", page_size=10, time_budget=0.0))
    assert [h.order for h in r.hits] == list(range(1, 11))
    assert r.total_is_estimate and r.facets_are_estimates
    # 16 matches in the first 16 rows of 308: scaled to the whole library
    assert r.total == 308 and dict(r.facets["collection"]) == {"c": 308}


def test_both_backends_give_the_same_first_page_facets_snippets_and_understood(libraries):
    queries = ["བྱང་ཆུབ་སེམས་དཔའ", "ᠮᠣᠩᠭᠣᠯ", "sangs rgyas", "ཆོས NEAR/2 བྱང", "ཆོས* -ᠪᠢᠴᠢᠭ",
               "ᠮᠣᠩ*", "ᠡᠮᠡ", "ᠡᠮᠡ ᠠᠮᠠ", "\"ᠡᠮᠡ ᠠᠮᠠ\"", "ᠪᠢᠴᠢᠭ OR ᠡᠮᠡ"]
    with open_searcher(libraries["whoosh"]) as w, PgSearcher(libraries["postgresql"]) as p:
        for text in queries:
            for exact in (False, True):
                req = SearchRequest(text, exact=exact, page_size=10, time_budget=10.0)
                a, b = search(w, req).to_json(), search(p, req).to_json()
                assert a == b, text


def test_rows_are_replaced_and_the_lexicon_counts_follow(pg_url):  # noqa: F811
    with PgSearcher(pg_url) as s, s.conn.transaction():
        # (the item record holds its title, "once": the pages alone hold gesar and khan)
        write_items(s.conn, [_item("once", ["gesar khan", "gesar"])])
        docs = s.conn.execute(f"SELECT docs FROM {TERMS} WHERE term = 'gesar'").fetchone()
        assert docs == (2,)
        write_items(s.conn, [_item("once", ["gesar"])])  # written again: 1 page
        docs = s.conn.execute(f"SELECT docs FROM {TERMS} WHERE term = 'gesar'").fetchone()
        assert docs == (1,)
        assert s.conn.execute(f"SELECT docs FROM {TERMS} WHERE term = 'khan'").fetchone() is None
        delete_items(s.conn, ["once"])
        assert s.conn.execute(f"SELECT docs FROM {TERMS} WHERE term = 'gesar'").fetchone() is None
        raise psycopg.Rollback()


def _indexes(conn) -> dict[str, str]:
    return dict(conn.execute(
        "SELECT indexrelid::regclass::text, am.amname FROM pg_index i JOIN pg_class c ON "
        "c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE indrelid = ANY(%s::regclass[])",
        ([pg_search.TABLE, TERMS],)).fetchall())


def test_a_rebuild_swaps_in_fresh_tables_with_the_same_indexes(new_pg_url):  # noqa: F811
    with PgSearcher(new_pg_url()) as s:  # a database of its own: the module's is shared
        made = _indexes(s.conn)
        assert made[f"{pg_search.TABLE}_keys"] == "rum"
        # a rebuild killed half way left its tables behind: the next one starts afresh
        s.conn.execute(f"CREATE TABLE {pg_search.TABLE}_next (x int)")
        assert rebuild(s.conn, [_item("a", ["gesar khan", "gesar"]), _item("b", ["khan"])]) == 5
        assert _indexes(s.conn) == made
        left = s.conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE %s",
                              ("%\\_next%",)).fetchone()[0]
        assert left == 0
        seqs = [r[0] for r in s.conn.execute(f"SELECT seq FROM {pg_search.TABLE} ORDER BY seq")]
        assert seqs == [1, 2, 3, 4, 5]
        assert s.conn.execute(f"SELECT docs FROM {TERMS} WHERE term = 'khan'").fetchone() == (2,)
        # an item written after the rebuild goes last, as in the Whoosh index
        with s.conn.transaction():
            write_items(s.conn, [_item("c", ["khan"])])
        last = s.conn.execute(f"SELECT item FROM {pg_search.TABLE} ORDER BY seq DESC "
                              "LIMIT 1").fetchone()
        assert last == ("c",)
        found = search(s, SearchRequest("khan", page_size=10))
        assert [h.item_id for h in found.hits] == ["a", "b", "c"]


def test_tsvector_limits_are_kept_and_flagged():
    vector, clamped, _, _ = tsvector_literal("ka'i x " * 3, "")
    assert not clamped and "'\x02ka''i':1,3,5" in vector  # (an exact key only: X_ONLY)
    vector, clamped, _, pairs = tsvector_literal("ཆོས་" * 300, "bo")
    # at most 256 positions a lexeme (two lexemes: the key and its transliteration)
    assert clamped and vector.count(",") == 2 * 255 and vector.endswith(",256")
    # the pairs as the Whoosh index keeps them (299 pairs, loose and transliterated, the
    # same two each time), each hash once, as a SMALLINT
    from catalog.pairs import loose_pair_hash, key_hash
    assert len(pairs) == 2 and pairs == sorted(pairs)
    assert pair_value(loose_pair_hash(key_hash("ཆོས"), key_hash("ཆོས"))) in pairs
    assert all(-2**15 <= v < 2**15 for v in pairs)
    long_page = " ".join(f"w{i}" for i in range(MAX_POSITION + 5))
    vector, clamped, _, _ = tsvector_literal(long_page, "")
    assert clamped and f"'w{MAX_POSITION + 3}':{MAX_POSITION}" in vector
    vector, _, lexemes, _ = tsvector_literal("a" * 3000 + " b", "")
    # the 3000-byte token has no exact lexeme (its transliteration skeleton is short)
    assert "b" in lexemes and "a" * 3000 not in lexemes
    assert max(len(x.encode()) for x in lexemes) <= 2046


def test_tsvector_literal_is_read_as_written(pg_url):  # noqa: F811
    vector, _, _, _ = tsvector_literal("ka'i x ཆོས་", "bo")
    with psycopg.connect(pg_url) as c:
        assert c.execute("SELECT %s::tsvector @@ %s::tsquery",
                         (vector, "'\x02ka''i' <-> 'x' <-> 'ཆོས'")).fetchone()[0] is True
        assert c.execute("SELECT %s::tsvector @@ %s::tsquery",
                         (vector, "'\x02ka''i' <-> 'ཆོས'")).fetchone()[0] is False


def test_ors_inside_phrases_are_written_out_and_relaxed_for_the_rum_index():
    q = wq.Sequence([wq.Or([wq.Term("x", "a"), wq.Term("x", "b")]), wq.Term("x", "c")])
    w = to_tsquery(q)
    assert w.text == "(('a') <-> ('c') | ('b') <-> ('c'))"
    # the index is asked without positions (nor the ORs inside phrases it misses in order)
    assert w.loose == "(('a' & 'c') | ('b' & 'c'))" and w.phrased
    # each written-out phrase with its own pair: a page needs one of them
    assert w.pairs[0] == "or" and len(w.pairs[1]) == 2
    assert all(isinstance(n, bytes) and len(n) == 2 for n in w.pairs[1])
    many = wq.Sequence([wq.Or([wq.Term("x", f"{p}{i}") for i in range(8)]) for p in "abc"])
    w = to_tsquery(many)  # 512 phrases: ORs stay inside, and no pairs are asked
    assert w.text.count("<->") == 2 and "<->" not in w.loose and w.pairs is True
    # a phrase under NOT stays whole (``!`` binds tighter than ``<->``), and is left out of
    # the index's query, which would otherwise refuse pages holding its words apart
    w = to_tsquery(wq.AndNot(wq.Term("x", "z"), wq.Phrase("x", ["a", "b"])))
    assert w.text == "('z' & !('a' <-> 'b'))" and w.loose == "'z'"
    w = to_tsquery(wq.AndNot(wq.Term("x", "z"), wq.Term("x", "a")))
    assert w.loose == w.text == "('z' & !('a'))" and not w.phrased


def test_a_phrase_asks_for_its_pairs_which_only_its_pages_hold(pg_url):  # noqa: F811
    from catalog.pg_search_query import pair_sql

    # four pages hold both words; only the first and last hold them side by side
    pages = ["སངས་རྒྱས་", "རྒྱས་སངས་", "སངས་ཆོས་རྒྱས་", "ཆོས་སངས་རྒྱས་"]
    with PgSearcher(pg_url) as s:
        write_items(s.conn, [_item("pairs", pages, "bo")])
        req = SearchRequest('"སངས་རྒྱས"', item="pairs", time_budget=10.0)
        assert [h.order for h in page_matches(s, req)] == [1, 4]
        q, understood, iq, _ = pg_search._compose(s, req, False)
        w = to_tsquery(iq)
        assert "<->" in w.text and "<->" not in w.loose and w.pairs is not True
        # the pairs alone (no vector unpacked) already tell those pages from the others
        cond, args = pair_sql(w.pairs)
        found = s.conn.execute(f"SELECT ord FROM {pg_search.TABLE} WHERE item = 'pairs' AND "
                               f"kind = 'page' AND {cond} ORDER BY ord", args).fetchall()
        assert [o for (o,) in found] == [1, 4]
        # the phrase under NOT: the pages with the word but not the phrase
        req = SearchRequest('རྒྱས NOT "སངས་རྒྱས"', item="pairs", time_budget=10.0)
        assert [h.order for h in page_matches(s, req)] == [2, 3]
        delete_items(s.conn, ["pairs"])
        s.conn.commit()


def test_rows_of_another_format_are_refused_until_a_reindex(new_pg_url):  # noqa: F811
    from library.errors import IndexVersionError

    url = new_pg_url()
    with PgSearcher(url) as s:
        write_items(s.conn, _items())
        s.conn.execute(f"COMMENT ON TABLE {pg_search.TABLE} IS 'sudur-search-rows 1'")
        s.conn.commit()
    with pytest.raises(IndexVersionError) as searching:
        PgSearcher(url, create=False)
    assert "sudur-search-rows 1" in str(searching.value)
    assert "sudur reindex" in searching.value.hint
    with psycopg.connect(url) as conn, pytest.raises(IndexVersionError):
        write_items(conn, _items())  # an ingest is refused as well: no rows of two formats
    with psycopg.connect(url, autocommit=True) as conn:
        # rows of an earlier layout (format 2: the pairs as bytes, no pairs or positions
        # index, no first rows in the lexicon) are replaced by rows of this one
        conn.execute(f"DROP INDEX {pg_search.TABLE}_pairs, {pg_search.TABLE}_positions")
        conn.execute(f"ALTER TABLE {pg_search.TABLE} DROP COLUMN pairs")
        conn.execute(f"ALTER TABLE {pg_search.TABLE} ADD COLUMN pairs BYTEA NOT NULL "
                     "DEFAULT ''")
        conn.execute(f"ALTER TABLE {TERMS} DROP COLUMN first")
        assert rebuild(conn, _items()) == 305 + 3  # (the pages, and a row per item)
    with PgSearcher(url, create=False) as s:
        assert search(s, SearchRequest("ᠪᠢᠴᠢᠭ", time_budget=10.0)).total == 2
        assert search(s, SearchRequest('"སངས་རྒྱས"', time_budget=10.0)).total == 300
        assert [h.order for h in page_matches(s, SearchRequest('"ᠮᠣᠩᠭᠣᠯ ᠤᠨ"', item="mon"))
                ] == [1]


def test_an_or_inside_a_phrase_is_found_in_reading_order(libraries):
    # through the RUM index's ordered scan, which misses ``(a|b) <-> c`` (see MAX_DISJUNCTS)
    with PgSearcher(libraries["postgresql"]) as s:
        r = search(s, SearchRequest("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ", page_size=5, time_budget=10.0))
        assert [(h.item_id, h.order) for h in r.hits] == [("mon", 1)]


@pytest.mark.parametrize("sort", ["reading", "relevance"])
def test_results_grouped_by_item_on_both_backends(backend, sort):
    from catalog.grouped import search_items

    r = search_items(backend, SearchRequest("ᠪᠢᠴᠢᠭ OR ᠡᠮᠡ OR ཆོས", sort=sort, page_size=10,
                                            time_budget=10.0))
    assert r.total_items == 3 and not r.total_items_is_estimate
    assert r.total == 305 and dict(r.facets["collection"]) == {"c": 3}
    assert {g.item_id for g in r.items} == {"tib", "mon", "m"}
    assert all(1 <= len(g.hits) <= 3 for g in r.items)
    if sort == "reading":
        assert [g.item_id for g in r.items] == ["tib", "mon", "m"]
        assert [h.order for h in r.items[0].hits] == [1, 2, 3]
    json.dumps(r.to_json())


def test_words_no_page_holds_match_nothing_even_with_a_filter(backend):
    r = search(backend, SearchRequest("ᠵᠠᠩᠭᠠᠷ collection:c", time_budget=10.0))
    assert r.total == 0 and r.hits == []
    r = search(backend, SearchRequest("ᠡᠮᠡ collection:c", time_budget=10.0))
    assert r.total == 3  # (loose: ᠠᠮᠠ too)


def test_the_backend_follows_the_catalogue_url(libraries, tmp_path):
    from types import SimpleNamespace

    from catalog.pg_search import open_search_backend

    with open_search_backend(SimpleNamespace(catalog_url=libraries["postgresql"],
                                             library=tmp_path)) as s:
        assert s.backend == "postgresql"
        assert search(s, SearchRequest("ᠪᠢᠴᠢᠭ", time_budget=10.0)).total == 2
    with open_search_backend(SimpleNamespace(catalog_url="", library=tmp_path / "lib")) as s:
        assert getattr(s, "backend", "whoosh") != "postgresql"
        assert search(s, SearchRequest("ᠪᠢᠴᠢᠭ", time_budget=10.0)).total == 0


def test_a_frequent_word_is_first_looked_for_from_its_first_row(new_pg_url, monkeypatch):
    from catalog.deadline import Deadline

    ran = []
    run = pg_search._run
    monkeypatch.setattr(pg_search, "_run", lambda *a, **k: ran.append(a[1]) or run(*a, **k))

    def first(text, limit=10):
        req = SearchRequest(text)
        q, understood, iq, lexicon = pg_search._compose(s, req, False)
        cond = conditions(s.conn, req, understood, q, iq)
        plain = pg_search._matches(s.conn, cond, limit, Deadline(None))
        start = pg_search._dense(s.conn, iq, lexicon)
        ran.clear()
        return start, plain, pg_search._matches(s.conn, cond, limit, Deadline(None),
                                                dense=start)

    # ཆོས on every page of the first item; ᠪᠢᠴᠢᠭ on the 20 pages of the second, past the
    # first PREFIX_ROWS rows; ᠡᠮᠡ on 3 pages of the third (loose: ᠠᠮᠠ too)
    items = [_item("tib", TIB, "bo"), _item("mon", ["ᠪᠢᠴᠢᠭ"] * 20, "mn-Mong"),
             _item("m", ["ᠡᠮᠡ", "ᠠᠮᠠ", "ᠡᠮᠡ ᠠᠮᠠ"], "mn-Mong")]
    with PgSearcher(new_pg_url()) as s:
        write_items(s.conn, items)
        s.conn.commit()
        s.conn.execute(f"ANALYZE {pg_search.TABLE}")  # (the row count the share is of)
        mon = s.conn.execute(f"SELECT min(seq) FROM {pg_search.TABLE} WHERE item = 'mon'"
                             ).fetchone()[0]
        assert mon > pg_search.PREFIX_ROWS
        start, plain, found = first("ཆོས")  # on 300 of 326 rows: found in the first rows
        assert start == 1 and found == plain and len(found) == 10 and len(ran) == 1
        assert first("ᠡᠮᠡ")[0] is None  # on 3 rows: the RUM index at once
        monkeypatch.setattr(pg_search, "DENSE_SHARE", 0.05)
        # a frequent word of a later item: looked for from that item's first row on
        start, plain, found = first("ᠪᠢᠴᠢᠭ")
        assert start == mon and found == plain and len(found) == 10 and len(ran) == 1
        assert found[0] == (mon,)
        # too few there: the RUM index after all, with the same answer
        monkeypatch.setattr(pg_search, "DENSE_SHARE", 0.001)
        start, plain, found = first("ᠡᠮᠡ")
        assert start is not None and found == plain and len(found) == 3 and len(ran) == 2
        # after the item that held it first is removed, the lexicon's first row is a bound
        # still (too low now, never too high), and the answers stay the same
        write_items(s.conn, [_item("mon2", ["ᠪᠢᠴᠢᠭ"] * 20, "mn-Mong")])
        delete_items(s.conn, ["mon"])
        s.conn.commit()
        monkeypatch.setattr(pg_search, "DENSE_SHARE", 0.05)
        start, plain, found = first("ᠪᠢᠴᠢᠭ")
        assert start == mon and found == plain and len(found) == 10 and min(found)[0] > mon


def _plan(conn, sql: str, params: list) -> str:
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")  # (as pg_search._run)
        return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))


def test_a_rare_phrase_of_frequent_words_is_found_through_the_pairs_index(new_pg_url,
                                                                           monkeypatch):
    # every page holds both words, apart; only pages 7 and 250 hold them side by side
    pages = [("སངས་ཆོས་རྒྱས་" if i not in (7, 250) else "ཆོས་སངས་རྒྱས་") + f"{i}"
             for i in range(1, 301)]
    with PgSearcher(new_pg_url()) as s:
        write_items(s.conn, [_item("rare", pages, "bo")])
        s.conn.commit()
        req = SearchRequest('"སངས་རྒྱས"', page_size=10, time_budget=10.0)
        q, understood, iq, _ = pg_search._compose(s, req, False)
        cond = conditions(s.conn, req, understood, q, iq)
        where, params = cond.paired
        assert "search_docs_pairs" in _plan(s.conn, f"SELECT seq FROM {pg_search.TABLE} "
                                            f"WHERE {where}", params)
        # its candidates are the two pages alone; checked, they are its matches
        settled = pg_search._settled(s.conn, cond, pg_search.Deadline(None))
        assert settled is not cond and settled.where == "seq = ANY(%s)"
        assert len(settled.params[0]) == 2
        found = search(s, req)
        assert [h.order for h in found.hits] == [7, 250] and found.total == 2
        assert not found.total_is_estimate and dict(found.facets["collection"]) == {"c": 2}
        assert [h.order for h in page_matches(s, SearchRequest('"སངས་རྒྱས"', item="rare"))
                ] == [7, 250]
        # the same answers when the candidates are too many to check alone (RUM, in order)
        monkeypatch.setattr(pg_search, "RARE", 1)
        assert pg_search._settled(s.conn, cond, pg_search.Deadline(None)) is cond
        again = search(s, req)
        assert [h.order for h in again.hits] == [7, 250] and again.total == 2
        # a phrase under NOT keeps the rows without it (no pairs are asked there)
        monkeypatch.setattr(pg_search, "RARE", 2000)
        found = search(s, SearchRequest('རྒྱས NOT "སངས་རྒྱས"', page_size=5, time_budget=10.0))
        assert found.total == 298 and [h.order for h in found.hits] == [1, 2, 3, 4, 5]


def test_a_phrase_is_counted_through_the_positions_index(libraries):
    with PgSearcher(libraries["postgresql"]) as s:
        req = SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", time_budget=10.0)
        q, understood, iq, _ = pg_search._compose(s, req, False)
        cond = conditions(s.conn, req, understood, q, iq)
        where, params = cond.positioned
        sql = f"SELECT count(*) FROM {pg_search.TABLE} WHERE {where}"
        assert "search_docs_positions" in _plan(s.conn, sql, params)
        # the same count as the RUM index's candidates checked one by one
        assert s.conn.execute(sql, params).fetchone()[0] == 300 == s.conn.execute(
            f"SELECT count(*) FROM {pg_search.TABLE} WHERE {cond.where}",
            cond.params).fetchone()[0]
        # and a phrase no page holds, though every page holds its words
        req = SearchRequest('"སེམས་དཔའ་བྱང་ཆུབ"', time_budget=10.0)
        assert search(s, req).total == 0


def test_a_fresh_table_has_its_three_word_indexes(new_pg_url):
    url = new_pg_url()
    with PgSearcher(url) as s:
        names = {n for (n,) in s.conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            f"WHERE indrelid = '{pg_search.TABLE}'::regclass")}
        write_items(s.conn, _items())
        s.conn.commit()
    assert {"search_docs_keys", "search_docs_pairs", "search_docs_positions"} <= names
    with psycopg.connect(url, autocommit=True) as conn:
        assert rebuild(conn, _items()) == 308
        after = {n for (n,) in conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            f"WHERE indrelid = '{pg_search.TABLE}'::regclass")}
    assert after == names


def test_few_matches_past_the_budget_are_counted_by_the_positions_index(libraries,
                                                                        monkeypatch):
    ran = []
    run = pg_search._run
    monkeypatch.setattr(pg_search, "_run", lambda *a, **k: ran.append(a[1]) or run(*a, **k))
    with PgSearcher(libraries["postgresql"]) as s:
        # a Mongolian phrase asks no pairs; its first page reaches to the end of the reading
        # order, so its matches are few: counted exactly, not sampled in order
        r = search(s, SearchRequest('"ᠮᠣᠩᠭᠣᠯ ᠤᠨ"', page_size=10, time_budget=0.0))
        assert r.total == 1 and not r.total_is_estimate and [h.order for h in r.hits] == [1]
        assert any(POSITIONED in sql and "GROUP BY" in sql for sql in ran)
        assert not any(f"LIMIT {pg_search.SAMPLE}" in sql for sql in ran)
        # a phrase on every page of the first item: sampled in order, as before
        ran.clear()
        r = search(s, SearchRequest("བྱང་ཆུབ་སེམས་དཔའ", page_size=10, time_budget=0.0))
        assert [h.order for h in r.hits] == list(range(1, 11))
        assert any(f"LIMIT {pg_search.SAMPLE}" in sql for sql in ran)
        assert r.total >= pg_search.SAMPLE  # (an estimate from the sample)


def test_a_slow_grouped_sample_gives_way_to_an_exact_count(libraries, monkeypatch):
    from catalog import pg_search_grouped
    from catalog.grouped import search_items

    ran = []
    run = pg_search_grouped._run

    def slow_sample(conn, sql, params, timeout):
        ran.append((sql, timeout))
        if f"LIMIT {pg_search.SAMPLE}" in sql:  # as if cancelled past SAMPLE_TIME
            raise pg_search._Cancelled()
        return run(conn, sql, params, timeout)

    monkeypatch.setattr(pg_search_grouped, "_run", slow_sample)
    with PgSearcher(libraries["postgresql"]) as s:
        # a Mongolian phrase (which asks no pairs)
        r = search_items(s, SearchRequest('"ᠮᠣᠩᠭᠣᠯ ᠤᠨ"', sort="reading", page_size=10,
                                          time_budget=0.0))
        # counted through the positions index instead, exactly
        assert r.total == 1 and not r.total_is_estimate and r.total_items == 1
        assert [g.item_id for g in r.items] == ["mon"] and not r.partial
        sampled = [t for sql, t in ran if f"LIMIT {pg_search.SAMPLE}" in sql]
        assert sampled == [pg_search_grouped.SAMPLE_TIME]
        assert any(POSITIONED in sql for sql, _ in ran)
