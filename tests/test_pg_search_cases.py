"""Every case of ../shared/text/cases.tsv through the PostgreSQL backend, against the Whoosh
backend on the same library: each case's document one item, its query searched in that item
(default and exact) and across the library, with the same pages, spans, first page, totals,
facets, snippets and "understood" from both.

Needs ``SUDUR_TEST_PG_URL`` (tests/pg_search_fixtures.py)."""
from __future__ import annotations

import pytest

from catalog import index as cindex
from catalog.pg_search import PgSearcher
from catalog.pg_search_write import rebuild
from catalog.search import SearchRequest, open_searcher, page_matches, search

from pg_search_fixtures import pg_server, pg_url  # noqa: F401
from test_search import _item
from text_cases import decode, load_cases


@pytest.fixture(scope="module")
def case_backends(shared_dir, pg_url, tmp_path_factory):  # noqa: F811
    cases = load_cases(shared_dir)
    items = [_item(f"case-{i}", [decode(c["document_codepoints"])]) for i, c in enumerate(cases)]
    d = tmp_path_factory.mktemp("cases") / "ix"
    cindex.update_items(d, items)
    w, p = open_searcher(d), PgSearcher(pg_url)
    rebuild(p.conn, items)
    yield cases, w, p
    w.close()
    p.close()


def _pages(found) -> list:
    return [(h.item_id, h.order, h.spans, h.snippet) for h in found]


def test_every_shared_case_gives_the_same_answers_on_postgresql(case_backends):
    cases, w, p = case_backends
    failures = []
    for i, c in enumerate(cases):
        q = decode(c["query_codepoints"])
        named = c["fields"].split("+")
        for exact in (False, True):
            req = SearchRequest(q, item=f"case-{i}", exact=exact)
            on_pg, on_whoosh = page_matches(p, req), page_matches(w, req)
            if _pages(on_pg) != _pages(on_whoosh):
                failures.append(f"{c['id']} exact={exact}: page_matches differ")
            if c["expect"] == "match" and (exact is False or "exact" in named) and not on_pg:
                failures.append(f"{c['id']} exact={exact}: PostgreSQL misses")
            if c["expect"] != "match" and exact and "exact" in named and on_pg:
                failures.append(f"{c['id']}: PostgreSQL exact search matches")
        req = SearchRequest(q, page_size=100, time_budget=5.0)
        a, b = search(w, req).to_json(), search(p, req).to_json()
        if a != b:
            diff = sorted(k for k in a if a[k] != b[k])
            failures.append(f"{c['id']}: search() differs in {diff}")
        if c["expect"] == "match" and f"case-{i}" not in {h["item"] for h in b["hits"]}:
            failures.append(f"{c['id']}: search() on PostgreSQL misses")
    assert not failures, failures
