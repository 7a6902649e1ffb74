"""Relevance ranking within a bound: the first matches in reading order, at most
``MAX_CANDIDATES`` of them, scored with the searcher's weighting (BM25F), best first.

Whoosh's ``searcher.search`` scores every match of a query before it can rank them (31 s for
a 64-token phrase of common words on 8,000 pages), and even building a phrase's matcher
looks for its first match, unbounded. The candidates come instead from the reading-order
scan (``catalog.matching``), which has already checked their positions and stops at the
hard deadline; each is scored as the sum, over the query's distinct terms (a term repeated
in the query counts once), of that term's BM25F score in it, times the boosts above it
(exact over loose over transliteration), asking the deadline every few candidates.
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
    """(docnum, score) of ``docnums`` (ascending, every one a match of ``q``), best first
    (reading order among equals); those not reached by the deadline are left out."""
    if not docnums:
        return []
    searcher = s.searcher
    context = searcher.context()
    leaves = [wq.Term(f, t, boost=b).matcher(searcher, context)
              for (f, t), b in _terms(q, 1.0, {}).items()]
    leaves = [m for m in leaves if m.is_active()]
    scored: list[tuple[int, float]] = []
    for n, d in enumerate(docnums):
        if deadline.every(n):
            break
        score = 0.0
        for m in leaves:
            if m.is_active() and m.id() < d:
                m.skip_to(d)
            if m.is_active() and m.id() == d:
                score += m.score()
        scored.append((d, score))
    scored.sort(key=lambda ds: (-ds[1], ds[0]))
    return scored


def _terms(q: wq.Query, boost: float, out: dict) -> dict:
    """(field, term) -> boost of every distinct term of a query tree (the highest boost of a
    term met twice)."""
    boost *= q.boost
    if isinstance(q, wq.Term):
        key = (q.fieldname, q.text)
        out[key] = max(out.get(key, 0.0), boost)
    elif isinstance(q, wq.Phrase):
        for w in q.words:
            key = (q.fieldname, w)
            out[key] = max(out.get(key, 0.0), boost)
    else:
        for child in q.children():
            _terms(child, boost, out)
    return out
