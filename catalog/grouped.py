"""Results grouped by item: a page of items, each with its best pages beneath it, ranked by
relevance (the default of the site) or in library order, with counts of items and pages and
facets that count items.

Ranking every match costs what DESIGN.md measures (about a second for a phrase on most of
20,000 pages), so items are ranked over a bounded candidate set. The search's reading-order
scan (``catalog.matching``) reads its first matches exactly (a few per item of the page) and,
when the time budget cannot count the rest, samples windows spread over the whole index; so
the items it meets come from every part of the library. Each item's first few matches among
those (``_CANDIDATES_PER_ITEM``, at most ``_RANKED`` in all, for at most ``MAX_RANKED_ITEMS``
items, those with most matches read) are scored with BM25F (``catalog.relevance``), and an
item's score is its best page's plus half its second's and a third of its third's: several
good pages beat one, and a long volume of weak matches does not beat a short one of strong
matches. In library order, when the part read exactly holds too few items, the page's items
are found by a scan that skips the rest of each item once it has its first pages
(``_first_items``).

Counting items when the scan was sampled: each item of the part sampled is met by the
windows with a chance that grows with its length (``_item_estimate``); the items found there
stand for the items the windows could have met. Facets count one document per item (its
first match), scaled the same way.

Relies on ``catalog.search`` for the query's composition and plan (``_query``, ``_plan``), its
hard deadline, its Whoosh fallback and its hits (``_hit``), on ``catalog.matching`` for its
scans (``_opened``) and the width of its sample windows, and on the index holding each item's
documents together (its pages, then its record, as ``catalog.index`` writes them).
"""
from __future__ import annotations

import time
from array import array
from dataclasses import dataclass
from typing import Optional

from . import matching, relevance
from .deadline import Deadline
from .facets import add_scaled, facet_counts, facet_table, sorted_facets
from .pairs import pair_table
from .request import SearchRequest
from .search import (ItemHits, SearchResult, _deadline, _hit, _plan, _query, _restrict,
                     _whoosh_docs)
from .searcher import Searcher, per_generation
from .terms import query_sequences

__all__ = ["search_items", "ITEMS_PER_PAGE", "PAGES_PER_ITEM", "MAX_RANKED_ITEMS"]

ITEMS_PER_PAGE = 10
PAGES_PER_ITEM = 3  # the best pages shown beneath an item
MAX_RANKED_ITEMS = 256  # items scored with BM25; the others follow by their matches read
_CANDIDATES_PER_ITEM = (2, 8)  # (fewest, most) of an item's matches scored
_WANT = 64  # matches read exactly, at least, before the rest is counted or sampled
_RANKED = 256  # candidates scored with BM25F, at most (about 13 ms: relevance's 1 ms per 20)
_WINDOW = 64  # documents read at a time when looking for the first matches of each item

_item_cache: dict[tuple, "ItemTable"] = {}


@dataclass
class ItemTable:
    """docnum -> item (an index into ``names``), each item's span of documents
    ``[lo, hi)`` and its record document (``kind=item``), read once per index generation."""

    of: array
    names: list[str]
    lo: list[int]
    hi: list[int]
    records: set[int]


def item_table(s: Searcher) -> ItemTable:
    return per_generation(s, _item_cache, _read_items)


def _read_items(reader) -> ItemTable:
    n = reader.doc_count_all()
    of = array("i", [-1]) * n
    names: list[str] = []
    lo: list[int] = []
    hi: list[int] = []
    deletions = reader.has_deletions()
    for term in reader.lexicon("item"):
        index = len(names)
        names.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        first, last = n, -1
        for d in reader.postings("item", term).all_ids():
            if deletions and reader.is_deleted(d):
                continue
            of[d] = index
            first, last = min(first, d), max(last, d)
        lo.append(first)
        hi.append(last + 1)
    records: set[int] = set()
    if "kind" in reader.indexed_field_names() and reader.doc_frequency("kind", "item"):
        records = {d for d in reader.postings("kind", "item").all_ids()
                   if not (deletions and reader.is_deleted(d))}
    return ItemTable(of, names, lo, hi, records)


def search_items(s: Searcher, req: SearchRequest, *, deadline: Optional[Deadline] = None
                 ) -> SearchResult:
    """A page of items (``req.page_size`` of them) matching the request, ranked by relevance
    (``req.sort == "relevance"``) or in library order, each with at most ``PAGES_PER_ITEM`` of
    its best pages (shown in reading order) as ``hits``; ``total`` counts pages,
    ``total_items`` items, and the facets count items."""
    if getattr(s, "backend", None) == "postgresql":  # (the search backends: catalog.search)
        from .pg_search_grouped import search_items as on_postgresql
        return on_postgresql(s, req, deadline=deadline)
    t0 = time.perf_counter()
    reader = s.searcher.reader()
    q, understood, iq = _query(req, reader)
    plan, restrict, full, shown = _plan(s, q, iq, understood, _restrict(req))
    hard = _deadline(req, deadline)
    table, pairs_of, items = facet_table(s), pair_table(s), item_table(s)
    ranking = req.sort == "relevance"
    start, stop = (req.page - 1) * req.page_size, req.page * req.page_size
    # the matches read exactly before counting samples the rest: enough for this page's items
    # if each had few, and the sample windows spread the candidates over the whole library
    want = max(_WANT, stop * PAGES_PER_ITEM)
    budget = t0 + req.time_budget
    if plan is not None:
        scanned = matching.scan(reader, plan, restrict, want, budget, pairs_of, hard)
    else:
        scanned = _whoosh_docs(s, full, want, budget, hard)
    groups, exact_groups = _groups(items, scanned)
    if not ranking and exact_groups < stop and not scanned.complete and plan is not None:
        # library order: this page's items, each read up to its first few matches
        groups = _first_items(reader, plan, restrict, items, stop, pairs_of, hard)
    order, scores = _rank(s, iq, groups, items.records, hard) if ranking \
        else (list(groups), {})
    seqs = query_sequences(q)
    where = matching.MatchPositions(reader, shown) if shown else None
    shown_items: list[ItemHits] = []
    hits = []
    for index in order[start:stop]:
        if hard.passed():
            break
        docs = groups[index]
        best = _best(docs, scores)
        page_hits = [_hit(s, d, scores.get(d, 0.0), seqs, first_only=True, where=where)
                     for d in sorted(best)]
        if not page_hits:
            continue
        pages = [h for h in page_hits if h.kind == "page"]
        lead = max(pages, key=lambda h: (h.score, -h.order)) if pages else None
        shown_items.append(ItemHits(items.names[index], page_hits[0].title, page_hits,
                                    score=_item_score(docs, scores), matched=len(docs),
                                    best=lead.order if lead is not None else None))
        hits.extend(page_hits)
    split = _split(items, scanned)
    n_items, items_estimate, scale = _item_estimate(items, scanned, split)
    n_items = max(n_items, len(groups))  # (an estimate is never below the items found)
    counts = _item_facets(table, split, scale)
    estimate = not scanned.complete
    return SearchResult(query=req.text, total=scanned.estimated_total(),
                        total_is_estimate=estimate, hits=hits, items=shown_items,
                        facets=sorted_facets(counts), facets_are_estimates=estimate,
                        understood=understood, page=req.page, page_size=req.page_size,
                        elapsed=time.perf_counter() - t0, partial=hard.hit,
                        total_items=n_items, total_items_is_estimate=items_estimate,
                        sort=req.sort)


def _groups(items: ItemTable, scanned: "matching.Scanned") -> tuple[dict[int, list[int]], int]:
    """(item -> its matched docnums in reading order, items first met in the exact part),
    items in the order of their first match."""
    groups: dict[int, list[int]] = {}
    exact = 0
    of = items.of
    for n, d in enumerate(scanned.matched):
        index = of[d] if d < len(of) else -1
        if index < 0:
            continue
        docs = groups.get(index)
        if docs is None:
            groups[index] = docs = []
            if n < scanned.sampled_from:
                exact += 1
        docs.append(d)
    return groups, exact


def _first_items(reader, plan: list, restrict: list, items: ItemTable, want: int, pairs_of,
                 hard: Deadline) -> dict[int, list[int]]:
    """The first ``want`` items holding a match, in library order, each with its first
    ``PAGES_PER_ITEM`` matches: read window by window, skipping the rest of an item once it
    has them (a volume of a thousand matching pages costs a window, not a thousand)."""
    scans = [sc for sc in matching._opened(reader, plan, restrict, pairs_of, hard)  # noqa: SLF001
             if not sc.done]
    n_docs = reader.doc_count_all()
    deletions = reader.has_deletions()
    groups: dict[int, list[int]] = {}
    pos, window = 0, _WINDOW
    while pos < n_docs and scans and not hard.passed():
        hi = min(n_docs, pos + window)
        got: set[int] = set()
        for sc in scans:
            got.update(sc.upto(hi))
        scans = [sc for sc in scans if not sc.done]
        last = -1
        for d in sorted(got):
            index = items.of[d] if d < len(items.of) else -1
            if index < 0 or (deletions and reader.is_deleted(d)):
                continue
            docs = groups.setdefault(index, [])
            if len(docs) < PAGES_PER_ITEM:
                docs.append(d)
            last = index
        pos = hi
        window = min(window * 2, 4096) if not got else _WINDOW
        if last >= 0 and len(groups[last]) >= PAGES_PER_ITEM and items.hi[last] > pos:
            pos = items.hi[last]  # this item has its pages: on to the next one
            for sc in scans:
                sc.skip_to(pos)
        if len(groups) >= want:
            k = list(groups)[want - 1]
            if len(groups[k]) >= PAGES_PER_ITEM or pos >= items.hi[k]:
                break
    return groups


def _rank(s: Searcher, iq, groups: dict[int, list[int]], records: set[int], hard: Deadline
          ) -> tuple[list[int], dict[int, float]]:
    """(items best first, docnum -> BM25F score of the candidates scored). An item's record
    (its titles, summary, people), when it matches, is always a candidate: it comes after
    the item's pages, past the first few."""
    by_count = sorted(groups, key=lambda i: (-len(groups[i]), groups[i][0]))
    chosen = by_count[:MAX_RANKED_ITEMS]
    fewest, most = _CANDIDATES_PER_ITEM
    per_item = max(fewest, min(most, _RANKED // max(1, len(chosen))))
    candidates: list[int] = []
    for index in chosen:
        docs = groups[index]
        candidates.extend(docs[:per_item])
        if len(docs) > per_item and docs[-1] in records:
            candidates.append(docs[-1])
    scores = dict(relevance.ranked(s, iq, sorted(candidates), hard))
    ranked = {i: _item_score(groups[i], scores) for i in chosen}
    # the items scored first, best first; then the rest by their matches read; reading
    # order among equals
    order = sorted(groups, key=lambda i: (i not in ranked, -ranked.get(i, 0.0),
                                          -len(groups[i]) if i not in ranked else 0,
                                          groups[i][0]))
    return order, scores


def _item_score(docs: list[int], scores: dict[int, float]) -> float:
    best = sorted((scores[d] for d in docs if d in scores), reverse=True)[:3]
    return sum(score / (rank + 1) for rank, score in enumerate(best))


def _best(docs: list[int], scores: dict[int, float]) -> list[int]:
    """The item's best matches: the highest scored, else its first in reading order."""
    scored = [d for d in docs if d in scores]
    if not scored:
        return docs[:PAGES_PER_ITEM]
    return sorted(scored, key=lambda d: (-scores[d], d))[:PAGES_PER_ITEM]


def _split(items: ItemTable, scanned: "matching.Scanned") -> tuple[list[int], list[int]]:
    """(the first match of each item of the exact part, of each other item met in the
    samples), ascending."""
    seen: set[int] = set()
    exact: list[int] = []
    sampled: list[int] = []
    of = items.of
    for n, d in enumerate(scanned.matched):
        index = of[d] if d < len(of) else -1
        if index < 0 or index in seen:
            continue
        seen.add(index)
        (exact if n < scanned.sampled_from else sampled).append(d)
    return exact, sampled


def _item_estimate(items: ItemTable, scanned: "matching.Scanned",
                   split: tuple[list[int], list[int]]) -> tuple[int, bool, float]:
    """(items matched, whether that is an estimate, what an item met in the samples stands
    for), from the first match of each item (``_split``)."""
    exact, sampled = split
    if scanned.complete:
        return len(exact), False, 1.0
    met = {items.of[d] for d in exact}
    found = len(exact) + len(sampled)
    upto = scanned.exact_upto
    rest = scanned.n_docs - upto
    # the items the unread part holds (beyond those matched already), with their length there
    lengths = [hi - max(lo, upto) for i, (lo, hi) in enumerate(zip(items.lo, items.hi))
               if hi > upto and i not in met]
    if scanned.sampled <= 0 or rest <= 0:
        if upto <= 0:
            return found, True, 1.0
        # nothing sampled: the share of items matched so far stands for the rest
        before = sum(1 for lo in items.lo if lo < upto)
        share = len(exact) / max(1, before)
        return max(found, len(exact) + round(share * len(lengths))), True, share
    window = matching._SAMPLE_WINDOW  # noqa: SLF001 - the width its sample windows have
    windows = scanned.sampled / window
    # the items the windows could have met: an item of L documents is met by a window
    # starting within L + window - 1 documents of it
    reachable = sum(min(1.0, (length + window - 1) * windows / rest) for length in lengths)
    if reachable <= 0:
        return found, True, 1.0
    scale = len(lengths) / reachable
    total = len(exact) + min(len(lengths), max(len(sampled), round(len(sampled) * scale)))
    return total, True, scale


def _item_facets(table, split: tuple[list[int], list[int]], scale: float
                 ) -> list[dict[str, int]]:
    """Facet counts of items: one document per item (``_split``), the samples' scaled."""
    exact, sampled = split
    counts = facet_counts(table, exact)
    if not sampled:
        return counts
    extra = facet_counts(table, sampled)
    return [add_scaled(counts[i], extra[i], scale) for i in range(len(counts))]

