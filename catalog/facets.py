"""Facet counts of a search: docnum -> facet values, read from the postings once per index
generation, and counted per run of documents sharing them.

The pages of one item are consecutive documents with the same facet values, so a table of
runs (about one per item) counts many matches with two bisections per run.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from typing import Iterable

from .schema import FACETS
from .searcher import Searcher, per_generation

_facet_cache: dict[tuple, "FacetTable"] = {}


def facet_table(s: Searcher) -> "FacetTable":
    """docnum -> facet values, read from the postings once per index generation."""
    return per_generation(s, _facet_cache, _read_facets)


def _read_facets(reader) -> "FacetTable":
    n = reader.doc_count_all()
    cols: list[list[list[str]]] = [[[] for _ in range(n)] for _ in FACETS]
    for i, name in enumerate(FACETS):
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            for docnum in reader.postings(name, term).all_ids():
                cols[i][docnum].append(value)
    return FacetTable(tuple(tuple(cols[i][d]) for i in range(len(FACETS))) for d in range(n))


class FacetTable(list):
    """docnum -> facet values, with the runs of consecutive documents sharing them (the pages
    of one item are consecutive documents, so there are about as many runs as items)."""

    def __init__(self, rows: Iterable) -> None:
        super().__init__(rows)
        self.run_starts: list[int] = []
        self.run_values: list[tuple] = []
        for d, row in enumerate(self):
            if not self.run_values or self.run_values[-1] != row:
                self.run_starts.append(d)
                self.run_values.append(row)

    def combos(self, docnums: list[int]) -> Counter:
        """How many of ``docnums`` (ascending) fall in each facet combination."""
        n = len(self)
        if len(docnums) < 8 * len(self.run_starts):
            return Counter(self[d] for d in docnums if d < n)
        # many matches: two bisections per run instead of a step per document
        out: Counter = Counter()
        lo = 0
        ends = self.run_starts[1:] + [n]
        for start, end, values in zip(self.run_starts, ends, self.run_values):
            lo = bisect_left(docnums, start, lo)
            hi = bisect_left(docnums, end, lo)
            if hi > lo:
                out[values] += hi - lo
            lo = hi
        return out


def add_scaled(base: dict[str, int], extra: dict[str, int], scale: float) -> dict[str, int]:
    out = dict(base)
    for v, c in extra.items():
        out[v] = out.get(v, 0) + max(c, round(c * scale))
    return out


def facet_counts(table: FacetTable, docnums: list[int]) -> list[dict[str, int]]:
    """Facet value counts over ``docnums`` (ascending): documents are counted per distinct
    facet combination first, then the few combinations are expanded."""
    combos = table.combos(docnums)
    counts: list[dict[str, int]] = [dict() for _ in FACETS]
    for combo, c in combos.items():
        for i, values in enumerate(combo):
            col = counts[i]
            for v in values:
                col[v] = col.get(v, 0) + c
    return counts


def scanned_counts(table: FacetTable, scanned) -> list[dict[str, int]]:
    """Facet counts of a ``matching.Scanned``: exact when the scan was complete, else the part
    read exactly plus the sample windows scaled to what they stand for."""
    matched = scanned.matched
    counts = facet_counts(table, matched[:scanned.sampled_from])
    if scanned.complete:
        return counts
    if scanned.sampled:
        extra, scale = facet_counts(table, matched[scanned.sampled_from:]), scanned.scale()
    else:
        # (a scan cut by the deadline within its first window has no rate to go by)
        extra = counts
        scale = scanned.n_docs / scanned.exact_upto if scanned.exact_upto else 1.0
        counts = [dict() for _ in counts]
    return [add_scaled(counts[i], extra[i], scale) for i in range(len(counts))]


def sorted_facets(counts: list[dict[str, int]]) -> dict[str, list[tuple[str, int]]]:
    """Each facet's values, the most frequent first."""
    return {name: sorted(counts[i].items(), key=lambda kv: (-kv[1], kv[0]))
            for i, name in enumerate(FACETS)}
