"""Searching the index: results in reading order (or by relevance), with snippets and facets,
and every match in one item for IIIF Content Search and the reader.

Within reading order, the first page puts the pages that hold the query's exact keys first
(``_exact_first``): loose matching also finds sound-alikes, which should not come first.

Why reading order by default: scoring every match of a phrase that occurs on most pages costs
about a second in Whoosh, while taking the first matches from the query's matcher in index order
costs milliseconds (DESIGN.md, Search). Totals and facet counts are computed within a time
budget and flagged as estimates when it runs out: past the first page, the rest of the index
is then sampled in windows spread over all of it.

The search interface has two backends: this module's Whoosh index (the embedded default)
and PostgreSQL (``catalog.pg_search``, a searcher whose ``backend`` is "postgresql"): each
entry point below hands such a searcher to its namesake there (``_pg``), which shares the
request, the query language, "understood", the snippets and the result records.

This module composes the rooms of catalog/: the request (``request``), the query
(``querying``, rewritten onto the index's terms by ``terms``), the matching over the posting
lists (``matching``, narrowed by ``pairs``, read by ``postings``), the open index
(``searcher``), ``facets``, ``snippets`` and ``relevance``.

Every search has a hard deadline (``req.deadline``, the ``search_deadline`` setting, read by
a ``catalog.deadline.Deadline``): past it, each loop stops, and the search returns what it
has found, marked ``partial``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable, Optional

from whoosh import query as wq

from . import analysis, matching, relevance
from .deadline import Deadline
from .facets import facet_table, scanned_counts, sorted_facets
from .pairs import pair_table
from .boolscan import AllOf, Leaf, bool_plan, highlight_plan, items_leaf
from .query_tree import compose, filter_terms, index_tree
from .querying import Understood
from .request import SearchRequest
from .searcher import Searcher, open_searcher
from .snippets import make_snippet, match_spans, position_spans
from .terms import query_sequences

__all__ = ["PageHit", "ItemHits", "ItemMatches", "SearchResult", "SearchRequest", "Searcher",
           "open_searcher", "search", "page_matches", "autocomplete", "group_by_item"]
# (results grouped by item, ranked by relevance or in library order: catalog.grouped)


@dataclass
class PageHit:
    item_id: str
    order: int
    label: str
    text: str  # the page's indexed text (display text, then alternative readings)
    # character offsets of the matches in ``text``: every one from page_matches(); from search(),
    # those up to past the snippet's window
    spans: list[tuple[int, int]]
    snippet: str  # HTML-escaped keyword-in-context with <mark>…</mark>
    score: float
    kind: str = "page"
    title: str = ""
    ws: str = ""
    kwic: dict = field(default_factory=dict)  # before / match / after, plain text


@dataclass
class ItemHits:
    item_id: str
    title: str
    hits: list[PageHit]
    # grouped results (catalog.grouped): the item's score, its matches read, its best page
    score: float = 0.0
    matched: int = 0
    best: Optional[int] = None


@dataclass
class SearchResult:
    query: str
    total: int
    total_is_estimate: bool
    hits: list[PageHit]
    items: list[ItemHits]
    facets: dict[str, list[tuple[str, int]]]
    facets_are_estimates: bool
    understood: Understood
    page: int
    page_size: int
    elapsed: float
    partial: bool = False  # the deadline passed: these are the results found by then
    # results grouped by item (catalog.grouped): items matched, and how they are ordered
    total_items: Optional[int] = None
    total_items_is_estimate: bool = False
    sort: str = "reading"

    def to_json(self) -> dict:
        out = self._flat_json()
        if self.total_items is not None:  # grouped: the groups beside the flat hits
            out.update(sort=self.sort, total_items=self.total_items,
                       total_items_is_estimate=self.total_items_is_estimate,
                       items=[{"item": g.item_id, "title": g.title, "score": round(g.score, 4),
                               "matched": g.matched, "best_page": g.best,
                               "pages": [h.order for h in g.hits if h.kind == "page"],
                               "record": any(h.kind == "item" for h in g.hits)}
                              for g in self.items])
        return out

    def _flat_json(self) -> dict:
        return {
            "query": self.query,
            "partial": self.partial,
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "page": self.page,
            "page_size": self.page_size,
            "hits": [{"item": h.item_id, "page": h.order, "label": h.label, "kind": h.kind,
                      "title": h.title, "snippet": h.snippet, "kwic": h.kwic,
                      "score": round(h.score, 4)} for h in self.hits],
            "facets": {k: {v: c for v, c in vals} for k, vals in self.facets.items()},
            "facets_are_estimates": self.facets_are_estimates,
            "understood": self.understood.to_json(),
        }


def _restrict(req: SearchRequest) -> list:
    """The terms every match must carry: the request's facet filters, or its item's pages."""
    if req.item is not None:
        return [wq.Term("kind", "page"), wq.Term("item", req.item)]
    return [wq.Term(name, value) for name, value in req.filters.items()]


def _query(req: SearchRequest, reader) -> tuple[wq.Query, Understood, wq.Query]:
    """(query over the key fields, as understood, the same over the index's terms)."""
    q, understood = compose(req.text, exact=req.exact, aliases_path=req.aliases,
                            field_map=analysis.QUERY_FIELD_MAP)
    return q, understood, index_tree(q, reader, understood)


def _plan(s: Searcher, q: wq.Query, iq: wq.Query, understood: Understood, restrict: list
          ) -> tuple[Optional[list], list, wq.Query, list]:
    """(what ``matching.scan`` reads, or None for Whoosh's matchers; the terms every match
    carries; the same for Whoosh; the sequences a hit highlights) of a query and its field
    filters (``title:`` allows some items' pages, the others are terms)."""
    terms, items = filter_terms(s, understood.filters)
    restrict = restrict + terms
    if q is wq.NullQuery and (terms or items is not None):  # filters alone: their pages
        plan = items_leaf(items) if items is not None else \
            Leaf(((((terms[0].fieldname, terms[0].text),),),))
    else:
        plan = bool_plan(iq)
        if plan is not None and items is not None:
            plan = AllOf((plan, items_leaf(items)))
    full = wq.And([iq] + restrict) if restrict else iq
    if items is not None:
        full = wq.And([full, wq.Or([wq.Term("item", i) for i in items])])
    if plan is None:
        return None, restrict, full, []
    return (list(plan.seqs) if isinstance(plan, Leaf) else [plan]), restrict, full, \
        highlight_plan(plan)


def _pg(s):
    """The PostgreSQL backend's module when ``s`` is its searcher, else None."""
    if getattr(s, "backend", None) == "postgresql":
        from . import pg_search
        return pg_search
    return None


def search(s: Searcher, req: SearchRequest, *, deadline: Optional[Deadline] = None
           ) -> SearchResult:
    """Run a search of the library; the first page comes in reading order unless
    ``req.sort == "relevance"`` (then the first ``relevance.MAX_CANDIDATES`` matches in
    reading order, ranked).

    Counting past the first page (total, facets) stops ``req.time_budget`` seconds after the
    call began; the figures are then scaled from the part of the index scanned and flagged
    as estimates. Past ``deadline`` (by default ``req.deadline`` seconds, see
    ``_deadline``) the search stops wherever it is, first page or not, and its result is
    ``partial``.
    """
    if (pg := _pg(s)) is not None:
        return pg.search(s, req, deadline=deadline)
    t0 = time.perf_counter()
    page, page_size = req.page, req.page_size
    reader = s.searcher.reader()
    q, understood, iq = _query(req, reader)
    plan, restrict, full, shown = _plan(s, q, iq, understood, _restrict(req))
    start, stop = (page - 1) * page_size, page * page_size
    table, pairs_of = facet_table(s), pair_table(s)
    hard = _deadline(req, deadline)
    deadline = t0 + req.time_budget
    ranking = req.sort == "relevance"
    # relevance ranks the first candidates in reading order: the scan finds them exactly
    want = relevance.MAX_CANDIDATES if ranking else stop
    if plan is not None:
        scanned = matching.scan(reader, plan, restrict, want, deadline, pairs_of, hard)
    else:
        scanned = _whoosh_docs(s, full, want, deadline, hard)
    if ranking:
        found = relevance.ranked(s, iq, scanned.matched[:relevance.MAX_CANDIDATES],
                                 hard)[start:stop]
    else:
        order = scanned.matched
        if not req.exact:
            first = _exact_first(s, req, understood, reader, page_size, pairs_of, hard,
                                 scanned)
            if first:
                early = set(first)
                order = first + [d for d in scanned.matched[:stop] if d not in early]
        found = [(d, 0.0) for d in order[start:stop]]
    estimate = not scanned.complete
    seqs = query_sequences(q)
    where = matching.MatchPositions(reader, shown) if shown else None
    hits = []
    for docnum, score in found:
        if hard.passed():
            break
        hits.append(_hit(s, docnum, score, seqs, first_only=True, where=where))
    return SearchResult(query=req.text, total=scanned.estimated_total(),
                        total_is_estimate=estimate, hits=hits, items=group_by_item(hits),
                        facets=sorted_facets(scanned_counts(table, scanned)),
                        facets_are_estimates=estimate, understood=understood, page=page,
                        page_size=page_size, elapsed=time.perf_counter() - t0,
                        partial=hard.hit)


# How many of the search's matches are checked one by one for the exact keys before the
# exact keys get a scan of their own.
_EXACT_CHECKS = 256


def _exact_first(s: Searcher, req: SearchRequest, understood: Understood, reader, want: int,
                 pairs_of, hard: Deadline, scanned: "matching.Scanned") -> list[int]:
    """The first ``want`` matches of the query's exact keys, in reading order: the first page
    shows them before the other matches.

    Loose matching finds a rare word's sound-alikes too, up to 151 times as many pages as
    the word itself (docs/benchmarks-search.md), and in plain reading order one of them may be
    the first hit. Every later page continues the same order: the reading order of all
    matches, without these.

    The same query is composed with exact keys (operators, filters and all). For a query of
    plain sequences they are looked for among the search's own matches first (``scanned``,
    every match below its ``exact_upto`` in reading order), from the postings' positions:
    that settles it when they hold ``want`` of them early, or when the search read every match
    and they are few (a rare word or phrase). Otherwise, and for a query with operators (whose
    positions alone do not say that a page matches), the exact query gets a scan of its own,
    which stops at ``want`` matches.
    """
    if not scanned.matched:
        return []  # nothing matched: nothing to put first
    xq, xunderstood = compose(req.text, exact=True, aliases_path=req.aliases,
                              field_map=analysis.QUERY_FIELD_MAP)
    ixq = index_tree(xq, reader, xunderstood)
    if ixq is wq.NullQuery:
        return []
    plan, restrict, full, _shown = _plan(s, xq, ixq, xunderstood, _restrict(req))
    if (xunderstood.reading, xunderstood.phrase) != (understood.reading, understood.phrase):
        # read otherwise than the search (without transliteration a run of Latin words is no
        # longer one Wylie phrase): its matches need not be the search's, so none goes first
        return []
    if plan is None:
        return _whoosh_docs(s, full, want, 0.0, hard).matched[:want]
    if all(isinstance(sq, tuple) for sq in plan):  # plain sequences, no operator nodes
        read = scanned.matched[:scanned.sampled_from]
        where = matching.MatchPositions(reader, plan)
        found = []
        for d in read[:_EXACT_CHECKS]:
            if where.starts(d):
                found.append(d)
                if len(found) >= want:
                    return found
        if scanned.complete and len(read) <= _EXACT_CHECKS:
            return found  # every match was read: these are all the exact ones
    # (a counting deadline already passed: the scan stops once it has ``want``)
    return matching.scan(reader, plan, restrict, want, 0.0, pairs_of, hard).matched[:want]


def _deadline(req: SearchRequest, given: Optional[Deadline]) -> Deadline:
    """The search's hard deadline: ``given``, else ``req.deadline`` seconds from now.

    It starts once the query is understood and the index's tables are read: those are a
    process's and an index generation's one-time costs (the pinyin syllable table, the facet
    and pair columns), bounded by the query-length cap and the index, not the search's
    work, and a first search should not come back empty for them.
    """
    return given if given is not None else Deadline(req.deadline)


def _whoosh_docs(s: Searcher, q: wq.Query, want: int, deadline: float,
                 hard: Deadline) -> "matching.Scanned":
    """As matching.scan, through Whoosh's own matchers (queries of another shape)."""
    reader = s.searcher.reader()
    deletions = reader.has_deletions()
    matched: list[int] = []
    n_docs = reader.doc_count_all()
    upto = 0
    for n, docnum in enumerate(s.searcher.docs_for_query(q)):
        if hard.every(n):
            return matching.Scanned(matched, upto, len(matched), 0, n_docs, cut=True)
        upto = docnum + 1
        if deletions and reader.is_deleted(docnum):
            continue
        matched.append(docnum)
        if len(matched) >= want and (len(matched) & 63) == 0 \
                and time.perf_counter() > deadline:
            return matching.Scanned(matched, docnum + 1, len(matched), 0, n_docs)
    return matching.Scanned(matched, n_docs, len(matched), 0, n_docs)


def group_by_item(hits: Iterable[PageHit]) -> list[ItemHits]:
    groups: dict[str, ItemHits] = {}
    for h in hits:
        g = groups.setdefault(h.item_id, ItemHits(h.item_id, h.title, []))
        g.hits.append(h)
    for g in groups.values():
        g.hits.sort(key=lambda h: h.order)
    return list(groups.values())


class ItemMatches(list):
    """The matching pages of one item (``PageHit``), and whether the deadline cut them short
    (``partial``: the pages found by then)."""

    partial: bool = False


def page_matches(s: Searcher, req: SearchRequest, *, deadline: Optional[Deadline] = None
                 ) -> ItemMatches:
    """Every page of the request's item that matches, with every span, in reading order;
    past the deadline (``req.deadline`` unless given), those found by then, ``partial``."""
    if (pg := _pg(s)) is not None:
        return pg.page_matches(s, req, deadline=deadline)
    if req.item is None:
        raise ValueError("page_matches needs a request for one item")
    reader = s.searcher.reader()
    q, understood, iq = _query(req, reader)
    plan, restrict, full, shown = _plan(s, q, iq, understood, _restrict(req))
    pairs_of = pair_table(s)
    hard = _deadline(req, deadline)
    if plan is not None:
        docs = matching.scan(reader, plan, restrict, 0, None, pairs_of, hard).matched
    else:
        docs = _whoosh_docs(s, full, 0, float("inf"), hard).matched
    seqs = query_sequences(q)
    where = matching.MatchPositions(reader, shown) if shown else None
    hits = ItemMatches()
    for d in docs:
        if hard.passed():
            break
        hits.append(_hit(s, d, 0.0, seqs, where=where))
    hits.sort(key=lambda h: h.order)
    hits.partial = hard.hit
    return hits


def autocomplete(s: Searcher, req: SearchRequest, *, limit: int = 10,
                 deadline: Optional[Deadline] = None) -> list[tuple[str, int]]:
    """Words of the request's item starting with the request's text (in the exact field),
    with their counts; past the deadline (``req.deadline`` unless given), those counted by
    then."""
    if (pg := _pg(s)) is not None:
        return pg.autocomplete(s, req, limit=limit, deadline=deadline)
    hard = deadline if deadline is not None else Deadline(req.deadline)
    prefix = req.text.strip()
    if not prefix or req.item is None:
        return []
    item_id = req.item
    tokens = [t.text for t in analysis.analyzer("x")(prefix)]
    if not tokens:
        return []
    key = tokens[-1]
    reader = s.searcher.reader()
    item_docs = set(s.searcher.docs_for_query(wq.And([wq.Term("item", item_id),
                                                        wq.Term("kind", "page")])))
    if not item_docs:
        return []
    counts: dict[str, int] = {}
    # exact keys are indexed bare (when also the loose key) or behind X_ONLY
    for marker in ("", analysis.X_ONLY):
        for term in reader.expand_prefix("x", marker + key):
            if hard.passed():
                break
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            n = len(item_docs.intersection(reader.postings("x", term).all_ids()))
            if n:
                word = word[len(marker):]
                counts[word] = counts.get(word, 0) + n
            if len(counts) >= 200:
                break
    out = list(counts.items())
    out.sort(key=lambda kv: (-kv[1], kv[0]))
    return out[:limit]


def _hit(s: Searcher, docnum: int, score: float, seqs: list, first_only: bool = False,
         where: Optional["matching.MatchPositions"] = None) -> PageHit:
    f = s.searcher.stored_fields(docnum)
    body = f.get("body") or ""
    starts = where.starts(docnum) if where is not None else None
    if starts:
        spans = position_spans(body, starts, first_only=first_only)
    else:
        spans = match_spans(body, seqs, f.get("ws") or "", first_only=first_only)
    snippet, kwic = make_snippet(body, spans)
    return PageHit(item_id=f["item"], order=int(f.get("order") or 0), label=f.get("label") or "",
                   text=body, spans=spans, snippet=snippet, score=float(score),
                   kind=f.get("kind", "page"), title=f.get("title") or "", ws=f.get("ws") or "",
                   kwic=kwic)
