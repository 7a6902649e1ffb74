"""Relevance ranking within a bound: the first matches in reading order, at most
``MAX_CANDIDATES`` of them, scored with the searcher's weighting (BM25F), best first.

Whoosh's ``searcher.search`` scores every match of a query before it can rank them: 31 s for
a 64-token phrase of common words on 8,000 pages, which is longer than a web worker lives.
The candidates come instead from the reading-order scan (``catalog.matching``), which stops
at the hard deadline; each is then scored by the query's own matcher moved to it with
``skip_to`` (the same score Whoosh's search gives that document), asking the deadline every
few candidates.
"""
from __future__ import annotations

from whoosh import query as wq

from .deadline import Deadline
from .searcher import Searcher

# How many matches relevance ranks: past that, a query's matches are so many that the first
# thousand in reading order rank as well as any, and scoring costs about 1 ms per 20.
MAX_CANDIDATES = 1000


def ranked(s: Searcher, q: wq.Query, docnums: list[int], deadline: Deadline
           ) -> list[tuple[int, float]]:
    """(docnum, score) of ``docnums`` (ascending) matched by ``q``, best first (reading order
    among equals); those not reached by the deadline are left out."""
    searcher = s.searcher
    m = q.matcher(searcher, searcher.context())
    scored: list[tuple[int, float]] = []
    for n, d in enumerate(docnums):
        if deadline.every(n):
            break
        if not m.is_active():
            break
        if m.id() < d:
            m.skip_to(d)
            if not m.is_active():
                break
        if m.id() == d:
            scored.append((d, m.score()))
    scored.sort(key=lambda ds: (-ds[1], ds[0]))
    return scored
