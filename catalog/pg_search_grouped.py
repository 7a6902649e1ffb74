"""Results grouped by item on PostgreSQL: ``catalog.grouped.search_items``'s answer (a page of
items, each with its best pages, counts of items and pages, facets counting items) from the
search rows of ``catalog.pg_search``.

- Counting: one grouped query gives every matched item with its matches and first match,
  within the time budget (at least ``pg_search.MIN_COUNT_BUDGET``); past it, the items of the
  first ``pg_search.SAMPLE`` matches in reading order, scaled as ``pg_search`` scales pages,
  and flagged as estimates. Facets count each item once, from its first match.
- Library order (``sort=reading``): the items by their first match.
- Relevance: the items with most matches (at most ``grouped.MAX_RANKED_ITEMS``) are scored
  from their first few matches ranked by ``ts_rank``, an item's score being its best page's
  plus half its second's and a third of its third's (``grouped._item_score``); the others
  follow by their matches. The order among items may differ from the Whoosh backend's, whose
  page scores are BM25F.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Optional

from . import pg_search
from .deadline import Deadline
from .facets import sorted_facets
from .grouped import MAX_RANKED_ITEMS, PAGES_PER_ITEM, _item_score
from .pg_search import (_Cancelled, _compose, _hit, _remaining, _rows, _run, _settled,
                        PgSearcher)
from .pg_search_conditions import conditions
from .pg_search_query import expanded
from .pg_search_write import TABLE
from .request import SearchRequest
from .schema import FACETS
from .terms import query_sequences

__all__ = ["search_items"]

_CANDIDATES_PER_ITEM = 8  # an item's first matches ranked, at most
SAMPLE_TIME = 0.1  # seconds a phrase's sample in reading order may take (``_items``)


def search_items(s: PgSearcher, req: SearchRequest, *, deadline: Optional[Deadline] = None):
    """As ``catalog.grouped.search_items``, on PostgreSQL."""
    from .search import ItemHits, SearchResult

    t0 = time.perf_counter()
    hard = deadline if deadline is not None else Deadline(req.deadline)
    q, understood, iq, lexicon = _compose(s, req, req.exact)
    cond = conditions(s.conn, req, understood, q, iq)
    start, stop = (req.page - 1) * req.page_size, req.page * req.page_size
    shown: list = []
    hits: list = []
    total, n_items, estimate, counts = 0, 0, False, [Counter() for _ in FACETS]
    cut = False
    try:
        cond = _settled(s.conn, cond, hard)
        if cond is not None:
            groups, total, n_items, estimate, counts = _items(s.conn, cond, req, t0, hard)
            if req.sort == "relevance":
                order, scores = _rank(s.conn, cond, cond.rank, groups, hard)
            else:
                order, scores = sorted(groups, key=lambda i: groups[i][1]), {}
            seqs = query_sequences(expanded(q, lexicon))
            for item in order[start:stop]:
                best = _best(s.conn, cond, item, scores, hard)
                rows = _rows(s.conn, best, hard)
                page_hits = sorted((_hit(rows[d], scores.get(d, 0.0), seqs, first_only=True)
                                    for d in best if d in rows),
                                   key=lambda h: (h.kind != "page", h.order))
                if not page_hits:
                    continue
                pages = [h for h in page_hits if h.kind == "page"]
                lead = max(pages, key=lambda h: (h.score, -h.order)) if pages else None
                mine = {d: v for d, v in scores.items() if d in rows}
                shown.append(ItemHits(item, page_hits[0].title, page_hits,
                                      score=_item_score(sorted(mine), mine),
                                      matched=groups[item][0],
                                      best=lead.order if lead is not None else None))
                hits.extend(page_hits)
    except _Cancelled:
        cut = True
    return SearchResult(query=req.text, total=total, total_is_estimate=estimate, hits=hits,
                        items=shown, facets=sorted_facets(counts),
                        facets_are_estimates=estimate, understood=understood, page=req.page,
                        page_size=req.page_size, elapsed=time.perf_counter() - t0,
                        partial=cut or hard.hit, total_items=n_items,
                        total_items_is_estimate=estimate, sort=req.sort)


def _items(conn, cond, req: SearchRequest, t0: float, hard: Deadline):
    """(item -> (matches, first match's seq), pages matched, items matched, whether these
    are estimates, facet counts of items)."""
    where, params, order = cond.where, cond.params, cond.order
    every, args = cond.positioned or (where, params)  # (as pg_search._counts)
    facets = ", ".join(FACETS)
    budget = max(req.time_budget, pg_search.MIN_COUNT_BUDGET) - (time.perf_counter() - t0)
    left = _remaining(hard)
    rows, scale = None, 1.0
    if budget > 0:
        try:
            rows = _run(conn, f"SELECT item, count(*), min(seq) FROM {TABLE} WHERE {every} "
                        f"GROUP BY item", args,
                        max(0.01, budget if left is None else min(budget, left)))
        except _Cancelled:
            if hard.passed():
                raise
    sample = None
    if rows is None and cond.positioned is not None:
        # A phrase's sample in reading order is slow when its matches are few among the
        # pages holding its words (it reads most of them); then the positions index counts
        # every match in less, exactly (a rare Mongolian phrase, which asks no pairs).
        try:
            left = _remaining(hard)
            sample = _run(conn, f"SELECT item, seq FROM {TABLE} WHERE {where} ORDER BY "
                          f"{order} LIMIT {pg_search.SAMPLE}", params,
                          SAMPLE_TIME if left is None else min(SAMPLE_TIME, left))
        except _Cancelled:
            if hard.passed():
                raise
            rows = _run(conn, f"SELECT item, count(*), min(seq) FROM {TABLE} WHERE {every} "
                        f"GROUP BY item", args, _remaining(hard))
    if rows is None:  # past the budget: the items of the first matches, scaled
        if sample is None:
            sample = _run(conn, f"SELECT item, seq FROM {TABLE} WHERE {where} ORDER BY "
                          f"{order} LIMIT {pg_search.SAMPLE}", params, _remaining(hard))
        found: dict[str, list[int]] = {}
        for item, seq in sample:
            found.setdefault(item, [0, seq])[0] += 1
        rows = [(item, n, seq) for item, (n, seq) in found.items()]
        lo, hi = conn.execute(f"SELECT min(seq), max(seq) FROM {TABLE}").fetchone()
        if len(sample) >= pg_search.SAMPLE:
            scale = max(1.0, (hi - lo + 1) / (sample[-1][1] - lo + 1))
    groups = {item: (n, first) for item, n, first in rows}
    firsts = [first for _n, first in groups.values()]
    counts = [Counter() for _ in FACETS]
    for row in _run(conn, f"SELECT {facets} FROM {TABLE} WHERE seq = ANY(%s)", [firsts],
                    _remaining(hard)):
        for i, values in enumerate(row):
            for v in values:
                counts[i][v] += 1
    pages = sum(n for n, _ in groups.values())
    if scale > 1.0:
        counts = [Counter({v: max(c, round(c * scale)) for v, c in col.items()})
                  for col in counts]
        return groups, round(pages * scale), max(len(groups), round(len(groups) * scale)), \
            True, counts
    return groups, pages, len(groups), False, counts


def _rank(conn, cond, tsq: Optional[str], groups: dict, hard: Deadline
          ) -> tuple[list[str], dict[int, float]]:
    """(items best first, seq -> score of the candidates ranked)."""
    by_count = sorted(groups, key=lambda i: (-groups[i][0], groups[i][1]))
    chosen = by_count[:MAX_RANKED_ITEMS]
    scores: dict[int, float] = {}
    if tsq is not None and chosen:
        where, params = cond.where, cond.params
        rows = _run(conn, f"SELECT seq, ts_rank(keys, %s::tsquery) FROM (SELECT seq, keys, "
                    f"row_number() OVER (PARTITION BY item ORDER BY seq) AS k FROM {TABLE} "
                    f"WHERE {where} AND item = ANY(%s)) c WHERE k <= {_CANDIDATES_PER_ITEM}",
                    [tsq] + params + [chosen], _remaining(hard))
        scores = {seq: float(r) for seq, r in rows}
    of_item: dict[str, list[int]] = {}
    if scores:
        for seq, item in conn.execute(f"SELECT seq, item FROM {TABLE} WHERE seq = ANY(%s)",
                                      (list(scores),)):
            of_item.setdefault(item, []).append(seq)
    ranked = {i: _item_score(of_item.get(i, []), scores) for i in chosen}
    order = sorted(groups, key=lambda i: (i not in ranked, -ranked.get(i, 0.0),
                                          -groups[i][0] if i not in ranked else 0,
                                          groups[i][1]))
    return order, scores


def _best(conn, cond, item: str, scores: dict[int, float], hard: Deadline) -> list[int]:
    """The item's best matches: the highest scored, else its first in reading order."""
    where, params = cond.where, cond.params
    seqs = [seq for (seq,) in _run(conn, f"SELECT seq FROM {TABLE} WHERE {where} AND item = %s "
                                   f"ORDER BY seq LIMIT {_CANDIDATES_PER_ITEM}",
                                   params + [item], _remaining(hard))]
    scored = [d for d in seqs if d in scores]
    if not scored:
        return seqs[:PAGES_PER_ITEM]
    return sorted(scored, key=lambda d: (-scores[d], d))[:PAGES_PER_ITEM]
