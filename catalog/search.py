"""Searching the index: results in reading order (or by relevance), KWIC snippets at true
offsets, facets, and per-item matches for IIIF Content Search.

Why reading order by default: scoring every match of a phrase that occurs on most pages costs
about a second in Whoosh, while taking the first matches from the query's matcher in index order
costs milliseconds (DESIGN.md, Search). Totals and facet counts are computed within a time
budget and flagged as estimates when it runs out: past the first page, the rest of the index
is then sampled in windows spread over all of it. A phrase of common tokens is narrowed by each
page's filter of adjacent pairs before any position is read.
"""
from __future__ import annotations

import gc
import html
import re
import threading
import time
import warnings
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from itertools import accumulate, islice, product, repeat
from operator import sub
from pathlib import Path
from pickle import Unpickler, UnpicklingError, loads
from typing import Iterable, Optional

from whoosh import index as windex
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher, byte_to_length
from whoosh.filedb.filestore import FileStorage
from whoosh.matching import ReadTooFar
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

from library.errors import BadRequestError, IndexVersionError

from . import analysis
from .querying import build_query
from .schema import FACETS, check_version

SNIPPET_CONTEXT = 60  # characters either side of a match
MAX_PAGE_SIZE = 100


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


@dataclass
class SearchResult:
    query: str
    total: int
    total_is_estimate: bool
    hits: list[PageHit]
    items: list[ItemHits]
    facets: dict[str, list[tuple[str, int]]]
    facets_are_estimates: bool
    understood: dict
    page: int
    page_size: int
    elapsed: float

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "page": self.page,
            "page_size": self.page_size,
            "hits": [{"item": h.item_id, "page": h.order, "label": h.label, "kind": h.kind,
                      "title": h.title, "snippet": h.snippet, "kwic": h.kwic,
                      "score": round(h.score, 4)} for h in self.hits],
            "facets": {k: {v: c for v, c in vals} for k, vals in self.facets.items()},
            "facets_are_estimates": self.facets_are_estimates,
            "understood": self.understood,
        }


class Searcher:
    """An open index reader; closed at the end of a request or command."""

    def __init__(self, index_dir: Path) -> None:
        # ``index`` links to the current generation; hold on to the generation itself, so a
        # rebuild switching the link mid-request cannot mix two indexes
        self.index_dir = Path(index_dir).resolve()
        # Without mmap: with it, Whoosh copies each part of a compound segment file into a
        # BytesIO (the whole postings, ~400 MiB at 20,000 pages, in every searcher process);
        # without it, parts are read in place through the OS page cache.
        self.ix = FileStorage(str(self.index_dir), supports_mmap=False).open_index()
        self.searcher = self.ix.searcher()

    def close(self) -> None:
        self.searcher.close()

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_searcher(index_dir: Path) -> Searcher:
    for attempt in range(5):
        # ``index`` links to the current generation; a rebuild may switch it at any moment,
        # so every step below reads the one generation resolved here
        generation = Path(index_dir).resolve()
        try:
            if not windex.exists_in(str(generation)):
                raise IndexVersionError(f"there is no search index in {index_dir}")
            check_version(generation)
            return Searcher(generation)
        except FileNotFoundError:
            # A writer committed a new generation between listing the newest table of
            # contents and reading it, and removed the old one: read the new one.
            if attempt == 4:
                raise
        # the failed open left Whoosh's half-opened segment files to the collector; close
        # them now rather than as ResourceWarnings in some later request
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


# --- facets ----------------------------------------------------------------------------------

_facet_cache: dict[tuple, list[tuple[tuple[str, ...], ...]]] = {}
_facet_lock = threading.Lock()


def _facet_table(s: Searcher) -> list:
    """docnum -> facet values, read from the postings once per index generation."""
    reader = s.searcher.reader()
    key = (str(s.index_dir), s.ix.latest_generation(), reader.doc_count_all())
    with _facet_lock:
        table = _facet_cache.get(key)
    if table is not None:
        return table
    n = reader.doc_count_all()
    cols: list[list[list[str]]] = [[[] for _ in range(n)] for _ in FACETS]
    for i, name in enumerate(FACETS):
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            for docnum in reader.postings(name, term).all_ids():
                cols[i][docnum].append(value)
    table = _FacetTable(tuple(tuple(cols[i][d]) for i in range(len(FACETS))) for d in range(n))
    with _facet_lock:
        _facet_cache.clear()
        _facet_cache[key] = table
    return table


class _FacetTable(list):
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


_pair_cache: dict[tuple, list[bytes]] = {}


# Up to this many documents the pairs column is held in memory (about 2 KB a page: 36 MiB at
# 20,000 pages), read once per index generation; beyond, it is read from disk per candidate
# page (2.6 µs instead of 0.1), so that a search process stays small.
PAIRS_IN_MEMORY_MAX_DOCS = 100_000


def _pair_table(s: Searcher):
    """docnum -> stored pair hashes (analysis.pair_filter): a list, or the column itself."""
    reader = s.searcher.reader()
    if reader.doc_count_all() > PAIRS_IN_MEMORY_MAX_DOCS:
        return reader.column_reader("pairs")
    key = (str(s.index_dir), s.ix.latest_generation(), reader.doc_count_all())
    with _facet_lock:
        table = _pair_cache.get(key)
    if table is None:
        table = list(reader.column_reader("pairs"))
        with _facet_lock:
            _pair_cache.clear()
            _pair_cache[key] = table
    return table


def _add_scaled(base: dict[str, int], extra: dict[str, int], scale: float) -> dict[str, int]:
    out = dict(base)
    for v, c in extra.items():
        out[v] = out.get(v, 0) + max(c, round(c * scale))
    return out


def _facet_counts(table: _FacetTable, docnums: list[int]) -> list[dict[str, int]]:
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


# --- query -----------------------------------------------------------------------------------

def _filters(filters: Optional[dict], kind: Optional[str], item_id: Optional[str]) -> list:
    terms = []
    for name, value in (filters or {}).items():
        if value:
            if name not in FACETS:
                raise BadRequestError(f"unknown facet {name!r}")
            terms.append(wq.Term(name, value))
    if kind:
        terms.append(wq.Term("kind", kind))
    if item_id:
        terms.append(wq.Term("item", item_id))
    return terms


def search(s: Searcher, text: str, *, exact: bool = False, filters: Optional[dict] = None,
           page: int = 1, page_size: int = 20, sort: str = "reading",
           time_budget: float = 0.04, aliases_path: Optional[Path] = None) -> SearchResult:
    """Run a user query; the first page comes in reading order unless ``sort='relevance'``.

    The first page is always complete. Counting the rest (total, facets) stops ``time_budget``
    seconds after the call began; the figures are then scaled from the part of the index
    scanned and flagged as estimates.
    """
    t0 = time.perf_counter()
    page = max(1, int(page))
    page_size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
    q, understood = build_query(text, exact=exact, aliases_path=aliases_path,
                                field_map=analysis.QUERY_FIELD_MAP)
    reader = s.searcher.reader()
    iq = index_query(q, reader)
    restrict = _filters(filters, None, None)
    full = wq.And([iq] + restrict) if restrict else iq
    start, stop = (page - 1) * page_size, page * page_size
    table = _facet_table(s)
    deadline = t0 + time_budget
    found: list[tuple[int, float]] = []
    if sort == "relevance":
        results = s.searcher.search(full, limit=stop)
        found = [(hit.docnum, hit.score) for hit in results][start:stop]
    plan = _plan(iq)
    n_docs = reader.doc_count_all()
    if plan is not None:
        scanned = _scan(reader, plan, restrict, stop, deadline, _pair_table(s))
    else:
        scanned = _whoosh_docs(s, full, stop, deadline)
    matched = scanned.matched
    if sort != "relevance":
        found = [(d, 0.0) for d in matched[start:stop]]
    estimate = not scanned.complete
    total = scanned.estimated_total()
    counts = _facet_counts(table, matched[:scanned.sampled_from])
    if estimate:
        if scanned.sampled:
            # the exact part as counted, plus the sample windows scaled to what they stand for
            extra, scale = _facet_counts(table, matched[scanned.sampled_from:]), scanned.scale()
        else:
            extra, scale = counts, n_docs / max(1, scanned.exact_upto)
            counts = [dict() for _ in counts]
        counts = [_add_scaled(counts[i], extra[i], scale) for i in range(len(counts))]
    seqs = query_sequences(q)
    where = _MatchPositions(reader, plan) if plan else None
    hits = [_hit(s, docnum, score, seqs, first_only=True, where=where)
            for docnum, score in found]
    facets = {name: sorted(counts[i].items(), key=lambda kv: (-kv[1], kv[0]))
              for i, name in enumerate(FACETS)}
    return SearchResult(query=text, total=total, total_is_estimate=estimate, hits=hits,
                        items=group_by_item(hits), facets=facets, facets_are_estimates=estimate,
                        understood=understood, page=page, page_size=page_size,
                        elapsed=time.perf_counter() - t0)


# --- reading-order matching ------------------------------------------------------------------
#
# Whoosh's phrase matcher builds a span object per position and its Or preloads every match of
# a small index, which is what made phrase queries slow. The query is read instead as a union of
# token sequences (one set of alternative terms per position). The index is scanned in windows
# of docnums; in each, every sequence leapfrogs its terms' posting lists (rarest first) and
# checks adjacent positions with set operations, or, for phrases of common terms, takes whole
# posting blocks at once. Reading order is docnum order, so the first page is complete as soon
# as the windows scanned hold enough matches, and counting can stop at any window boundary.

_Seq = tuple[tuple[tuple[str, str], ...], ...]


def _whoosh_docs(s: Searcher, q: wq.Query, want: int, deadline: float) -> "_Scanned":
    """As _scan, through Whoosh's own matchers (queries of another shape)."""
    reader = s.searcher.reader()
    deletions = reader.has_deletions()
    matched: list[int] = []
    n_docs = reader.doc_count_all()
    for docnum in s.searcher.docs_for_query(q):
        if deletions and reader.is_deleted(docnum):
            continue
        matched.append(docnum)
        if len(matched) >= want and (len(matched) & 63) == 0 \
                and time.perf_counter() > deadline:
            return _Scanned(matched, docnum + 1, len(matched), 0, n_docs)
    return _Scanned(matched, n_docs, len(matched), 0, n_docs)


def _text(t) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


def _plan(q: wq.Query) -> list[_Seq] | None:
    """The query as a union of sequences, or None when it has another shape."""
    if q is wq.NullQuery:
        return []
    if isinstance(q, wq.Term):
        return [(((q.fieldname, _text(q.text)),),)]
    if isinstance(q, wq.Phrase):
        return [tuple(((q.fieldname, _text(w)),) for w in q.words)]
    if isinstance(q, wq.Sequence):
        positions = []
        for c in q.subqueries:
            if isinstance(c, wq.Term):
                positions.append(((c.fieldname, _text(c.text)),))
            elif isinstance(c, wq.Or) and all(isinstance(x, wq.Term) for x in c.subqueries):
                positions.append(tuple((x.fieldname, _text(x.text)) for x in c.subqueries))
            else:
                return None
        return [tuple(positions)]
    if type(q) is wq.Or:
        out: list[_Seq] = []
        for c in q.subqueries:
            p = _plan(c)
            if p is None:
                return None
            out.extend(p)
        return _merge_seqs(out)
    return None


def _merge_seqs(seqs: list[_Seq]) -> list[_Seq]:
    """Fold sequences of one length into one with alternatives per position when they are
    exactly all the combinations of those alternatives (an Or of phrase variants)."""
    seqs = list(dict.fromkeys(tuple(tuple(sorted(set(alts))) for alts in sq) for sq in seqs))
    by_len: dict[int, list[_Seq]] = {}
    for sq in seqs:
        by_len.setdefault(len(sq), []).append(sq)
    out: list[_Seq] = []
    for n, group in by_len.items():
        if len(group) == 1:
            out.extend(group)
            continue
        per_pos = [tuple(dict.fromkeys(a for sq in group for a in sq[i])) for i in range(n)]
        combos = 1
        for alts in per_pos:
            combos *= len(alts)
        expanded = set()
        for sq in group:
            for words in product(*sq):
                expanded.add(words)
        if combos == len(expanded):
            out.append(tuple(per_pos))
        else:
            out.extend(group)
    # A sequence whose alternatives are, position by position, among another's adds no match
    # (an exact key that is also the loose key is one term in the index).
    kept: list[_Seq] = []
    for i, sq in enumerate(out):
        if not any(j != i and len(other) == len(sq) and other != sq
                   and all(set(a) <= set(b) for a, b in zip(sq, other))
                   for j, other in enumerate(out)):
            kept.append(sq)
    return kept


class _FastLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading a block's header and its docnums faster.

    Whoosh reads a block's header with ``pickle.load`` on the compound file, one small read
    per opcode, and a block's docnums by unpickling the whole block, positions included. Here
    the header comes from one read, and the docnums from the leading part of the block's
    pickle (the ids tuple is its first element), cut and unpickled alone: reading every
    docnum of a common term is about five times faster. Anything unexpected falls back to
    Whoosh's own code.
    """

    def _goto(self, position: int) -> None:
        head = self._postfile.get(position, 4 + 92)
        bio = BytesIO(head[4:])
        try:
            info = Unpickler(bio).load()
        except (EOFError, UnpicklingError):
            return W3LeafMatcher._goto(self, position)
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        length = int.from_bytes(head[:4], "big", signed=True)
        if length < 0:
            self._lastblock = True
            length = -length
        self._nextoffset = position + _INT_SIZE + length
        self._dataoffset = position + _INT_SIZE + bio.tell()
        (self._blocklength, self._maxid, self._maxweight, self._compression,
         mnlen, mxlen) = info
        self._minlength = byte_to_length(mnlen)
        self._maxlength = byte_to_length(mxlen)

    def skip_to(self, targetid: int) -> None:
        # as Whoosh's, with a bisection inside the block instead of a step per posting
        if not self.is_active():
            raise ReadTooFar
        if self._ids is None:
            self._read_ids()
        if targetid <= self._ids[self._i]:
            return
        while targetid > self._maxid:
            self._next_block()
            if self._atend:
                return
        if self._ids is None:
            self._read_ids()
        self._i = bisect_left(self._ids, targetid, self._i)

    def _read_ids(self) -> None:
        if self._data is None and not self._compression and not self._byteids:
            raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
            cut = _ids_pattern(self._blocklength).match(raw)
            if cut is not None:
                self._ids = tuple(accumulate(loads(raw[:cut.end()] + b"t.")))
                return
        W3LeafMatcher._read_ids(self)


@lru_cache(maxsize=None)
def _ids_pattern(n: int) -> "re.Pattern[bytes]":
    # protocol-2 pickle of a tuple of n small ints: PROTO 2, MARK, then BININT1/2/4 each
    return re.compile(rb"\x80\x02\((?:K.|M..|J....){%d}" % n, re.S)


def _postings(reader, field: str, term: str):
    try:
        m = reader.postings(field, term)
    except TermNotFound:
        return None
    if type(m) is W3LeafMatcher:
        m.__class__ = _FastLeafMatcher
    return m if m.is_active() else None


# A phrase whose terms are all common (each on thousands of pages) but rarely adjacent is
# cheaper to check in bulk, from whole posting blocks, than by leapfrogging document by
# document: after this many leapfrog steps it switches to that.
_LAZY_STEPS = 128


class _SeqScan:
    """The documents where one token sequence occurs (at adjacent positions, with every
    ``restrict`` term present), found window by window in docnum order by ``upto``."""

    def __init__(self, reader, seq: _Seq, restrict: list,
                 pairs_of: Optional[list[bytes]] = None) -> None:
        self.reader = reader
        self.seq = seq
        self.restrict = [(t.fieldname, _text(t.text)) for t in restrict]
        self.done = False
        self.target = 0
        self.steps = 0
        self.bulk: list | None = None
        self.filtered: list | None = None
        self.pairs_of = pairs_of
        self.constraints = _pair_constraints(seq) if pairs_of is not None else []
        self.positions: list[list] = []
        sizes: list[int] = []
        for alts in seq:
            ms = [m for m in (_postings(reader, f, t) for f, t in alts) if m is not None]
            if not ms:
                self.done = True
                return
            self.positions.append(ms)
            sizes.append(sum(reader.doc_frequency(f, t) for f, t in alts))
        required = []
        for f, t in self.restrict:
            m = _postings(reader, f, t)
            if m is None:
                self.done = True
                return
            required.append([m])
        # leapfrog from the rarest list; the phrase check keeps the positions in order
        order = sorted(range(len(self.positions)), key=sizes.__getitem__)
        self.groups = required + [self.positions[i] for i in order]
        self.single = len(self.positions) == 1 and not required
        if self.single:
            # [matcher, ids read but not yet returned]
            self.id_states = [[m, []] for m in self.positions[0]]

    def upto(self, limit: int) -> list[int]:
        """Matching docnums below ``limit`` not returned before, ascending."""
        if self.done:
            return []
        if self.single:
            return self._single_upto(limit)
        if self.filtered is not None:
            return self._filtered_upto(limit)
        if self.bulk is not None:
            return self._bulk_upto(limit)
        out: list[int] = []
        n = len(self.positions)
        target = self.target
        while True:
            # advance every group to >= target; restart whenever one lands beyond it
            agreed = False
            while not agreed:
                agreed = True
                for ms in self.groups:
                    lo = -1
                    for m in ms:
                        if m.is_active():
                            if m.id() < target:
                                m.skip_to(target)
                                if not m.is_active():
                                    continue
                            i = m.id()
                            if lo < 0 or i < lo:
                                lo = i
                    if lo < 0:
                        self.done = True
                        return out
                    if lo > target:
                        target = lo
                        agreed = False
                        break
            if target >= limit:
                self.target = target
                return out
            self.steps += 1
            if n > 1 and self.steps > _LAZY_STEPS:
                if self.constraints:
                    self._start_filtered(target)
                    return out + self._filtered_upto(limit)
                self._start_bulk(target)
                return out + self._bulk_upto(limit)
            if n == 1 or ((not self.constraints or _pairs_ok(self.pairs_of[target],
                                                            self.constraints))
                          and _adjacent(self.positions, target)):
                out.append(target)
            target += 1

    def skip_to(self, doc: int) -> None:
        """Pass over the documents below ``doc`` without matching them."""
        if self.done:
            return
        if self.single:
            for state in self.id_states:
                _skip_ids(state, doc)
            self.id_states = [st for st in self.id_states if st[0] is not None or st[1]]
            self.done = not self.id_states
        elif self.filtered is not None:
            for states in self.filtered:
                for state in states:
                    _skip_ids(state, doc)
        elif self.bulk is not None:
            for state in [st for alts in self.bulk for st in alts] + self.bulk_restrict:
                state[1] = {d: v for d, v in state[1].items() if d >= doc}
                m = state[0]
                if m is not None and state[2] < doc:
                    if m.is_active() and m.id() < doc:
                        m.skip_to(doc)
                    if not m.is_active():
                        state[0] = None
                    state[2] = doc - 1
        else:
            self.target = max(self.target, doc)

    def _single_upto(self, limit: int) -> list[int]:
        # whole posting blocks at a time: the ids of a common word are counted with C-level
        # list and set operations, not one Python step per document
        lists = [_ids_below(state, limit) for state in self.id_states]
        self.id_states = [st for st in self.id_states if st[0] is not None or st[1]]
        if not self.id_states:
            self.done = True
        if len(lists) == 1:
            return lists[0]
        merged: set[int] = set()
        for ids in lists:
            merged.update(ids)
        return sorted(merged)

    def _start_filtered(self, start: int) -> None:
        """Switch to reading docnums only, a window at a time: the pages holding every term
        and passing the pair filter are few, and only those have their positions read."""

        def ids_at(f: str, t: str) -> list:
            m = _postings(self.reader, f, t)
            if m is not None and m.id() < start:
                m.skip_to(start)
            return [m if m is not None and m.is_active() else None, []]

        # one list of [matcher, carried ids] states per position, then one per restrict term
        self.filtered = [[ids_at(f, t) for f, t in alts] for alts in self.seq]
        self.filtered += [[ids_at(f, t)] for f, t in self.restrict]
        self.where = _MatchPositions(self.reader, [self.seq])

    def _filtered_upto(self, limit: int) -> list[int]:
        sets = []
        for states in self.filtered:
            ids: set[int] = set()
            for state in states:
                ids.update(_ids_below(state, limit))
            sets.append(ids)
        if any(all(st[0] is None and not st[1] for st in states) for states in self.filtered):
            self.done = True  # a position (or a restrict term) has no postings left
        sets.sort(key=len)
        cands = sets[0]
        for other in sets[1:]:
            cands = cands & other
            if not cands:
                return []
        pairs_of, cons = self.pairs_of, self.constraints
        starts = self.where.starts
        return [d for d in sorted(cands) if _pairs_ok(pairs_of[d], cons) and starts(d)]

    def _start_bulk(self, start: int) -> None:
        reader = self.reader

        def reader_at(f: str, t: str):
            m = _postings(reader, f, t)
            if m is not None and m.id() < start:
                m.skip_to(start)
            return [m, {}, -1]

        self.bulk = [[reader_at(f, t) for f, t in alts] for alts in self.seq]
        self.bulk_restrict = [reader_at(f, t) for f, t in self.restrict]

    def _bulk_upto(self, limit: int) -> list[int]:
        per_pos = []
        for alts in self.bulk:
            per_pos.append([_values_below(state, limit) for state in alts])
        keys = []
        for dicts in per_pos:
            keys.append(dicts[0].keys() if len(dicts) == 1 else set().union(*dicts))
        keys.sort(key=len)
        cands = set(keys[0])
        for k in keys[1:]:
            cands.intersection_update(k)
        for state in self.bulk_restrict:
            cands.intersection_update(_values_below(state, limit))
        if any(all(state[0] is None and not state[1] for state in alts)
               for alts in self.bulk):
            self.done = True  # a position has no postings left
        order = sorted(range(len(self.seq)), key=lambda i: sum(len(d) for d in per_pos[i]))
        out: list[int] = []
        shifted = _shifted_positions
        for d in sorted(cands):
            starts: frozenset[int] | None = None
            for i in order:
                alts = per_pos[i]
                if len(alts) == 1:
                    here = shifted(alts[0][d], i)
                else:
                    here = frozenset().union(*(shifted(vals[d], i) for vals in alts
                                               if d in vals))
                starts = here if starts is None else starts & here
                if not starts:
                    break
            else:
                out.append(d)
        return out


def _values_below(state: list, limit: int) -> dict[int, bytes]:
    """Take from a [matcher, carried values, last docnum read] state the postings (docnum ->
    encoded positions) below ``limit``, reading whole blocks where the matcher allows it."""
    m, carry = state[0], state[1]
    while m is not None and state[2] < limit:
        if not m.is_active():
            m = state[0] = None
            break
        if isinstance(m, W3LeafMatcher):
            _load_block(m)
            i = m._i
            ids = m._ids
            carry.update(zip(ids[i:], m._values[i:]))
            state[2] = ids[-1]
            m._next_block()
        else:
            state[2] = d = m.id()
            carry[d] = m.value()
            m.next()
    if m is not None and not m.is_active():
        state[0] = None
    if state[2] < limit:
        state[1] = {}
        return carry
    below = {d: v for d, v in carry.items() if d < limit}
    for d in below:
        del carry[d]
    return below


def _skip_ids(state: list, doc: int) -> None:
    """Move a [matcher, ids carried over] state past the docnums below ``doc``."""
    carry = state[1]
    if carry and carry[-1] >= doc:
        state[1] = carry[bisect_left(carry, doc):]
        return
    state[1] = []
    m = state[0]
    if m is not None and m.is_active() and m.id() < doc:
        m.skip_to(doc)
    if m is not None and not m.is_active():
        state[0] = None


def _pair_constraints(seq: _Seq) -> list[tuple[bytes, ...]]:
    """What the stored pairs of a page holding ``seq`` must show: per adjacent pair of
    positions whose keys are known, the pair hashes (as needles) of which one will do."""
    known = [_position_hashes(alts) for alts in seq]
    out = []
    for i in range(len(seq) - 1):
        a, b = known[i], known[i + 1]
        if a is None or b is None or a[0] != b[0]:
            continue
        pair_hash = analysis.loose_pair_hash if a[0] == "l" else analysis.tr_pair_hash
        hashes = {pair_hash(x, y) for x in a[1] for y in b[1]}
        if len(hashes) <= 16:  # (more alternatives than that filter little)
            out.append(tuple(analysis.pair_needle(h) for h in sorted(hashes)))
    return out


def _position_hashes(alts: tuple) -> tuple[str, frozenset[int]] | None:
    """The hashes the pair filter knows a position's alternatives by: ("l", loose key
    hashes) for the x field, ("tr", term hashes) for tr; None when one of them has no loose
    key to go by (a shape key, or an exact key of a script whose loose key is not a function
    of the exact one)."""
    fields = {f for f, _ in alts}
    if len(fields) != 1:
        return None
    field = fields.pop()
    if field == "tr":
        if any(t.startswith(analysis.TR_UNPAIRED) for _, t in alts):
            return None
        return "tr", frozenset(analysis.key_hash(t) for _, t in alts)
    if field != "x":
        return None
    out = set()
    for _, term in alts:
        loose = _loose_key_of(term)
        if loose is None:
            return None
        out.add(analysis.key_hash(loose))
    return "l", frozenset(out)


def _loose_key_of(term: str) -> str | None:
    """The loose key of the tokens an x-field index term stands for (analysis.X_ONLY)."""
    if term.startswith(analysis.L_ONLY):
        return term[len(analysis.L_ONLY):]
    if term.startswith("~"):
        return None
    if not term.startswith(analysis.X_ONLY):
        return term  # a key that is both the exact and the loose key
    exact = term[len(analysis.X_ONLY):]
    m = analysis.TOKEN_RE.fullmatch(exact)
    if m is None or m.lastgroup not in _LOOSE_FOLLOWS_EXACT:
        return None
    return analysis.index_keys(m.lastgroup, exact, None)[1][0]


# Scripts whose loose key is a function of the exact key (tests/test_search.py checks it over
# the corpora's vocabulary): an exact-key term there names its tokens' loose key too.
_LOOSE_FOLLOWS_EXACT = frozenset({"han", "tib"})


def _pairs_ok(pairs: bytes, constraints: list) -> bool:
    """Whether a page's stored pair hashes (analysis.pair_filter) hold, for every
    constrained pair of positions, one of its hashes (as needles, analysis.pair_needle)."""
    for needles in constraints:
        for needle in needles:
            if needle in pairs:
                break
        else:
            return False
    return True


def _ids_below(state: list, limit: int) -> list[int]:
    """Take from a [matcher, ids carried over] state the docnums below ``limit``."""
    m, carry = state
    while m is not None and (not carry or carry[-1] < limit):
        if not m.is_active():
            m = None
            break
        if isinstance(m, W3LeafMatcher):
            if m._ids is None:
                m._read_ids()
            carry.extend(m._ids[m._i:])
            m._next_block()
        else:
            carry.append(m.id())
            m.next()
    if m is not None and not m.is_active():
        m = None
    state[0] = m
    if carry and carry[-1] < limit:
        state[1] = []
        return carry
    cut = bisect_left(carry, limit)
    state[1] = carry[cut:]
    return carry[:cut]


def _load_block(m: W3LeafMatcher) -> None:
    """Decode the current block's ids and values (as Whoosh's reader does on demand, with
    the delta decoding done by itertools instead of a Python generator)."""
    if m._ids is None:
        if m._data is None:
            m._read_data()
        m._ids = tuple(accumulate(m._data[0])) if not m._byteids else m._data[0]
    if m._values is None:
        m._read_values()


def _adjacent(positions: list[list], doc: int) -> bool:
    starts: set[int] | None = None
    for i, ms in enumerate(positions):
        here: set[int] = set()
        for m in ms:
            if m.is_active() and m.id() == doc:
                here.update(m.value_as("positions"))
        if starts is None:
            starts = here
        else:
            starts &= {p - i for p in here}
        if not starts:
            return False
    return True


_DECODED: dict[bytes, tuple[int, ...]] = {}
# Values this short hold one position or two (13-16 bytes) and are shared by many postings: worth
# keeping decoded. Longer ones are rarely seen twice, and keeping them grew a searcher process
# by some 200 MiB over the benchmark's queries.
_SHARED_VALUE_BYTES = 16


def _decode_positions(v: bytes) -> tuple[int, ...]:
    """Positions from a Positions-format value; most values are a few shared encodings (one
    position, at the start of a page), so decodings are kept."""
    got = _DECODED.get(v)
    if got is None:
        raw = v if v.endswith(b".") else v + b"."
        got = tuple(accumulate(loads(raw[_INT_SIZE:])))
        if len(v) <= _SHARED_VALUE_BYTES:
            if len(_DECODED) > 50_000:
                _DECODED.clear()
            _DECODED[v] = got
    return got


_SHIFTED: dict[tuple[bytes, int], frozenset[int]] = {}


def _shifted_positions(v: bytes, i: int) -> frozenset[int]:
    """The positions of an encoded value, less ``i`` (where a phrase would start if this is
    its i-th token); kept, as most values are a few shared one-position encodings."""
    if len(v) > _SHARED_VALUE_BYTES:
        # decoded, accumulated and shifted by C-level iterators, as this runs per posting
        raw = v[_INT_SIZE:] if v.endswith(b".") else v[_INT_SIZE:] + b"."
        positions = accumulate(loads(raw))
        return frozenset(map(sub, positions, repeat(i)) if i else positions)
    key = (v, i)
    got = _SHIFTED.get(key)
    if got is None:
        got = frozenset(p - i for p in _decode_positions(v))
        if len(_SHIFTED) > 50_000:
            _SHIFTED.clear()
        _SHIFTED[key] = got
    return got


_FIRST_WINDOW = 512
_MAX_WINDOW = 4096
# Past the first page, counting that cannot finish within the budget samples: windows of this
# many documents spread evenly over the rest of the index (so that an estimate, and its
# facets, speak for every item, not only the first ones), as many as the budget allows.
_SAMPLE_WINDOW = 64


@dataclass
class _Scanned:
    """What a scan found: ``matched`` holds every match below ``exact_upto``, then those in
    the sample windows beyond it, which covered ``sampled`` documents."""

    matched: list[int]
    exact_upto: int
    sampled_from: int
    sampled: int
    n_docs: int

    @property
    def complete(self) -> bool:
        return self.exact_upto >= self.n_docs

    def scale(self) -> float:
        """What a match in the sample stands for (1 when the scan is complete)."""
        rest = self.n_docs - self.exact_upto
        if self.complete or self.sampled <= 0:
            return 1.0
        return rest / self.sampled

    def estimated_total(self) -> int:
        exact = self.sampled_from
        if self.complete:
            return len(self.matched)
        if self.sampled <= 0:
            # nothing sampled: the rate of the part read exactly stands for the rest
            return max(exact, round(exact * self.n_docs / max(1, self.exact_upto)))
        return exact + round((len(self.matched) - exact) * self.scale())


def _scan(reader, plan: list[_Seq], restrict: list, want: int, deadline: float | None,
          pairs_of: Optional[list[bytes]] = None) -> _Scanned:
    """Docnums matching any sequence of ``plan``, ascending.

    Every match is found, unless ``deadline`` passes: then the first ``want`` matches are
    still all found (the first page), and the rest of the index is sampled in evenly spread
    windows for as long as the deadline allows.
    """
    scans = [_SeqScan(reader, sq, restrict, pairs_of) for sq in plan]
    scans = [sc for sc in scans if not sc.done]
    n_docs = reader.doc_count_all()
    deletions = reader.has_deletions()
    matched: list[int] = []

    def take(hi: int) -> None:
        got: set[int] = set()
        for sc in scans:
            got.update(sc.upto(hi))
        scans[:] = [sc for sc in scans if not sc.done]
        for d in sorted(got):
            if not (deletions and reader.is_deleted(d)):
                matched.append(d)

    t0 = time.perf_counter()
    upto = 0
    window = _FIRST_WINDOW
    while upto < n_docs and scans:
        hi = min(n_docs, upto + window)
        take(hi)
        upto = hi
        window = min(window * 2, _MAX_WINDOW)
        if deadline is not None and len(matched) >= want:
            now = time.perf_counter()
            left = deadline - now
            if left <= 0:
                break
            # Will reading the rest at this rate fit in the time left? If not, sample it.
            per_doc = (now - t0) / upto
            if per_doc * (n_docs - upto) > left and upto < n_docs:
                return _sample(matched, upto, n_docs, scans, take, deadline, left / per_doc,
                               lambda: [sc for sc in (_SeqScan(reader, sq, restrict, pairs_of)
                                                      for sq in plan) if not sc.done])
    if not scans:
        upto = n_docs
    return _Scanned(matched, upto, len(matched), 0, n_docs)


def _sample(matched: list[int], upto: int, n_docs: int, scans: list, take, deadline: float,
            affordable: float, fresh) -> _Scanned:
    """Sample the documents from ``upto`` on, in passes of windows spread evenly over them.

    The first pass plans for half of the ``affordable`` documents, so that it usually ends
    within the budget; each further pass (with ``fresh()`` scans, the postings being read
    forwards only) puts its windows halfway between the last one's. The estimate counts the
    passes that covered the whole range, or the first pass if none did: every window counted
    then stands for the same share of the index, from its first item to its last.
    """
    exact = len(matched)
    rest = n_docs - upto
    n_windows = max(1, int(affordable // (2 * _SAMPLE_WINDOW)))
    stride = max(2 * _SAMPLE_WINDOW, rest // n_windows)
    kept, sampled = exact, 0  # matches and documents of the passes counted
    offset = 0
    passes = 0
    while offset < stride:
        began = time.perf_counter()
        if passes:
            scans[:] = fresh()
        pass_docs, complete = 0, True
        start = upto + offset
        while start < n_docs:
            # (once every sequence has run out of postings, the windows left cost nothing)
            hi = min(n_docs, start + _SAMPLE_WINDOW)
            for sc in scans:
                sc.skip_to(start)
            take(hi)
            pass_docs += hi - start
            start += stride
            if scans and start < n_docs and time.perf_counter() > deadline:
                complete = False
                break
        passes += 1
        if complete or passes == 1:
            kept, sampled = len(matched), sampled + pass_docs
        now = time.perf_counter()
        # a further pass takes about as long as this one: start it only if it can end in time
        if not complete or now + (now - began) > deadline:
            break
        # the next pass halfway between this one's windows, while they do not overlap
        offset = offset + stride // 2 if passes == 1 else offset // 2
        if offset < _SAMPLE_WINDOW or offset + _SAMPLE_WINDOW > stride:
            break
    del matched[kept:]
    matched.sort()
    return _Scanned(matched, upto, exact, sampled, n_docs)


def _index_terms(fieldname: str, text: str, reader) -> tuple[str, list[str]]:
    """The index field and the terms in it that stand for key ``text`` of query field
    ``fieldname`` (see analysis.X_ONLY), keeping only those the index holds."""
    phys = analysis.INDEX_FIELD_OF.get(fieldname, fieldname)
    if fieldname == "l":
        cands = [text, analysis.L_ONLY + text]
    elif fieldname in ("x", "s") and not text.startswith("~"):
        cands = [text, analysis.X_ONLY + text]
    else:
        cands = [text]
    return phys, [c for c in cands if (phys, c) in reader]


def index_query(q: wq.Query, reader) -> wq.Query:
    """Rewrite a query over the four key fields (build_query) into the index's terms."""
    if isinstance(q, wq.Term):
        if q.fieldname not in _SLOT:
            return q
        text = q.text.decode("utf-8") if isinstance(q.text, bytes) else q.text
        phys, terms = _index_terms(q.fieldname, text, reader)
        if not terms:
            return wq.NullQuery
        if len(terms) == 1:
            return wq.Term(phys, terms[0], boost=q.boost)
        return wq.Or([wq.Term(phys, t) for t in terms], boost=q.boost)
    if isinstance(q, wq.Phrase):
        if q.fieldname not in _SLOT:
            return q
        per_pos = []
        phys = q.fieldname
        for w in q.words:
            text = w.decode("utf-8") if isinstance(w, bytes) else w
            phys, terms = _index_terms(q.fieldname, text, reader)
            if not terms:
                return wq.NullQuery
            per_pos.append(terms)
        combos = 1
        for terms in per_pos:
            combos *= len(terms)
        if combos == 1:
            return wq.Phrase(phys, [t[0] for t in per_pos], boost=q.boost)
        if combos <= 16:
            return wq.Or([wq.Phrase(phys, list(ws)) for ws in product(*per_pos)], boost=q.boost)
        return wq.Sequence([wq.Term(phys, t[0]) if len(t) == 1
                            else wq.Or([wq.Term(phys, x) for x in t]) for t in per_pos],
                           boost=q.boost)
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        subs = [index_query(c, reader) for c in q.subqueries]
        if any(c is wq.NullQuery for c in subs):
            return wq.NullQuery
        return type(q)(subs, boost=q.boost)
    if isinstance(q, wq.Or):
        subs: list[wq.Query] = []
        for c in q.subqueries:
            r = index_query(c, reader)
            if r is not wq.NullQuery and r not in subs:
                subs.append(r)
        if not subs:
            return wq.NullQuery
        if len(subs) == 1 and q.boost == 1.0:
            return subs[0]
        return wq.Or(subs, boost=q.boost)
    return q


def group_by_item(hits: Iterable[PageHit]) -> list[ItemHits]:
    groups: dict[str, ItemHits] = {}
    for h in hits:
        g = groups.setdefault(h.item_id, ItemHits(h.item_id, h.title, []))
        g.hits.append(h)
    for g in groups.values():
        g.hits.sort(key=lambda h: h.order)
    return list(groups.values())


def page_matches(s: Searcher, item_id: str, text: str, *, exact: bool = False) -> list[PageHit]:
    """Every page of one item that matches, with every span, in reading order."""
    q, _ = build_query(text, exact=exact, field_map=analysis.QUERY_FIELD_MAP)
    reader = s.searcher.reader()
    iq = index_query(q, reader)
    restrict = _filters(None, "page", item_id)
    plan = _plan(iq)
    if plan is not None:
        docs = _scan(reader, plan, restrict, 0, None, _pair_table(s)).matched
    else:
        docs = [d for d in s.searcher.docs_for_query(wq.And([iq] + restrict))
                if not reader.is_deleted(d)]
    seqs = query_sequences(q)
    where = _MatchPositions(reader, plan) if plan else None
    hits = [_hit(s, d, 0.0, seqs, where=where) for d in docs]
    hits.sort(key=lambda h: h.order)
    return hits


def autocomplete(s: Searcher, item_id: str, prefix: str, *, limit: int = 10
                 ) -> list[tuple[str, int]]:
    """Words of one item starting with ``prefix`` (in the exact field), with their counts."""
    prefix = prefix.strip()
    if not prefix:
        return []
    tokens = [t.text for t in analysis.analyzer("x")(prefix[:200])]
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
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            n = 0
            for d in reader.postings("x", term).all_ids():
                if d in item_docs:
                    n += 1
            if n:
                word = word[len(marker):]
                counts[word] = counts.get(word, 0) + n
            if len(counts) >= 200:
                break
    out = list(counts.items())
    out.sort(key=lambda kv: (-kv[1], kv[0]))
    return out[:limit]


# --- hits, spans and snippets ----------------------------------------------------------------

def _hit(s: Searcher, docnum: int, score: float, seqs: list, first_only: bool = False,
         where: Optional["_MatchPositions"] = None) -> PageHit:
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


class _MatchPositions:
    """Where a plan's sequences start in given documents, read from the postings' positions.

    The index already knows where each term occurs, so a hit's spans come from there: only the
    tokens up to the snippet are then re-read from the text, and no key is recomputed.
    Documents are best asked for in ascending order (a matcher is reopened otherwise).
    """

    def __init__(self, reader, plan: list[_Seq]) -> None:
        self.reader = reader
        self.plan = plan
        self.matchers: dict[tuple[str, str], object] = {}
        self.last = -1

    def _positions(self, field: str, term: str, doc: int) -> tuple[int, ...]:
        key = (field, term)
        m = self.matchers.get(key)
        if m is None:
            # (False: the term has no postings here)
            m = self.matchers[key] = _postings(self.reader, field, term) or False
        if m is False or not m.is_active():
            return ()
        if m.id() < doc:
            m.skip_to(doc)
            if not m.is_active():
                return ()
        if m.id() != doc:
            return ()
        return tuple(m.value_as("positions"))

    def starts(self, doc: int) -> list[tuple[int, int]]:
        """(first token, token count) of every match in ``doc``, in text order."""
        if doc < self.last:
            self.matchers.clear()  # matchers only move forwards: start again
        self.last = doc
        out: set[tuple[int, int]] = set()
        for seq in self.plan:
            first: set[int] | None = None
            for i, alts in enumerate(seq):
                here: set[int] = set()
                for f, t in alts:
                    here.update(p - i for p in self._positions(f, t, doc))
                first = here if first is None else first & here
                if not first:
                    break
            for p in first or ():
                out.add((p, len(seq)))
        return sorted(out)


def position_spans(text: str, starts: list[tuple[int, int]], *, first_only: bool = False
                   ) -> list[tuple[int, int]]:
    """Character spans of matches given as (first token, token count), tokenising ``text``
    only as far as needed (with ``first_only``, to past the snippet window of the first)."""
    if not starts:
        return []
    window = 2 * SNIPPET_CONTEXT + 32
    if first_only:
        # a token is at least one character long: matches starting more than ``window``
        # tokens after the first one's end lie beyond its snippet
        first0, n0 = starts[0]
        starts = [(f, n) for f, n in starts if f <= first0 + n0 + window]
    # the regex engine walks the text to the last token needed, without a Python step per token
    tokens = list(islice(analysis.TOKEN_RE.finditer(text), max(f + n for f, n in starts)))
    spans: list[tuple[int, int]] = []
    stop_at: int | None = None
    for first, n in starts:
        last = first + n - 1
        if last >= len(tokens):
            break
        start, end = tokens[first].start(), tokens[last].end()
        if stop_at is not None and start > stop_at:
            break
        spans.append((start, end))
        if first_only and stop_at is None:
            stop_at = end + window
    return _merge(sorted(spans))


def query_sequences(q: wq.Query) -> list[tuple[str, tuple[frozenset, ...]]]:
    """(field, alternatives per position) of every term and phrase in a query tree."""
    out: list[tuple[str, tuple[frozenset, ...]]] = []

    def text_of(t) -> str:
        return t.decode("utf-8") if isinstance(t, bytes) else t

    def alternatives(node: wq.Query) -> tuple[str, frozenset] | None:
        if isinstance(node, wq.Term):
            return node.fieldname, frozenset([text_of(node.text)])
        if isinstance(node, wq.Or) and node.subqueries and all(
                isinstance(c, wq.Term) for c in node.subqueries):
            return (node.subqueries[0].fieldname,
                    frozenset(text_of(c.text) for c in node.subqueries))
        return None

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Phrase):
            out.append((node.fieldname, tuple(frozenset([text_of(w)]) for w in node.words)))
        elif isinstance(node, wq.Term):
            if node.fieldname in _SLOT:
                out.append((node.fieldname, (frozenset([text_of(node.text)]),)))
        elif isinstance(node, (wq.Ordered, wq.Sequence)):
            positions = [alternatives(c) for c in node.children()]
            if positions and all(positions):
                out.append((positions[0][0], tuple(a for _, a in positions)))
            else:
                for child in node.children():
                    walk(child)
        else:
            for child in node.children():
                walk(child)

    walk(q)
    return [(f, w) for f, w in out if f in _SLOT]


# query field -> role in analysis.role_keys: exact and shape, loose, translit
_SLOT = {"x": 0, "s": 0, "l": 1, "tr": 2}


def match_spans(text: str, sequences: list[tuple[str, tuple[frozenset, ...]]],
                writing_system: str = "", *, first_only: bool = False
                ) -> list[tuple[int, int]]:
    """Character spans of ``text`` where a query sequence matches the field's keys.

    The text is tokenised as at index time and each token's keys are those the index holds,
    so a match on a folded or transliterated key still points at the original characters. With
    ``first_only``, matching stops past the snippet window of the earliest match (enough for
    a snippet; page_matches wants every span).
    """
    seqs = [(_SLOT[f], words) for f, words in sequences if f in _SLOT and words]
    if not seqs:
        return []
    by_slot: dict[int, list[tuple[frozenset, ...]]] = {}
    for slot, words in seqs:
        by_slot.setdefault(slot, []).append(words)
    stream = analysis.token_spans(text, writing_system or "")
    role_keys = analysis.role_keys
    # tokens read so far: (start, end, kind, text, system); keys are computed per role only
    # when a query sequence needs them, and reading stops early for a snippet
    tokens: list[tuple] = []

    def token(i: int):
        while len(tokens) <= i:
            nxt = next(stream, None)
            if nxt is None:
                return None
            tokens.append(nxt)
        return tokens[i]

    def keys(i: int, slot: int) -> frozenset:
        t = token(i)
        return role_keys(slot, t[2], t[3], t[4]) if t is not None else frozenset()

    spans: list[tuple[int, int]] = []
    stop_at: int | None = None
    # One role at a time, the cheapest keys (exact) first: for a snippet, the other roles'
    # keys (pinyin, Wylie) are then computed only up to the end of the window.
    for slot in sorted(by_slot):
        words_list = by_slot[slot]
        p = 0
        while token(p) is not None:
            here_token = tokens[p]
            if stop_at is not None and here_token[0] > stop_at:
                break
            here = keys(p, slot)
            for words in words_list:
                if words[0].isdisjoint(here):
                    continue
                n = len(words)
                if all(not words[j].isdisjoint(keys(p + j, slot)) for j in range(1, n)):
                    end = tokens[p + n - 1][1]
                    spans.append((here_token[0], end))
                    if first_only and (stop_at is None
                                       or end + 2 * SNIPPET_CONTEXT + 32 < stop_at):
                        stop_at = end + 2 * SNIPPET_CONTEXT + 32
            p += 1
    return _merge(sorted(set(spans)))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def make_snippet(text: str, spans: list[tuple[int, int]],
                 context: int = SNIPPET_CONTEXT) -> tuple[str, dict]:
    """HTML keyword-in-context around the first span, marking every span inside the window."""
    if not spans:
        plain = _flat(text[: 2 * context])
        return html.escape(plain), {"before": "", "match": "", "after": plain}
    s0, e0 = spans[0]
    lo = max(0, s0 - context)
    hi = min(len(text), e0 + context)
    lo = _word_edge(text, lo, -1)
    hi = _word_edge(text, hi, +1)
    parts = []
    cursor = lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        parts.append(html.escape(_flat(text[cursor:s])))
        parts.append("<mark>" + html.escape(_flat(text[s:e])) + "</mark>")
        cursor = e
    parts.append(html.escape(_flat(text[cursor:hi])))
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(text) else ""
    kwic = {"before": _flat(text[lo:s0]), "match": _flat(text[s0:e0]),
            "after": _flat(text[e0:hi])}
    return prefix + "".join(parts) + suffix, kwic


def _flat(s: str) -> str:
    return " ".join(s.split("\n")).replace("\r", "")


def _word_edge(text: str, i: int, direction: int) -> int:
    """Move ``i`` outwards to a whitespace boundary, but not more than 15 characters."""
    for _ in range(15):
        if i <= 0 or i >= len(text) or text[i].isspace():
            return i
        i += direction
    return i
