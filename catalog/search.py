"""Searching the index: results in reading order (or by relevance), KWIC snippets at true
offsets, facets, and per-item matches for IIIF Content Search.

Why reading order by default: scoring every match of a phrase that occurs on most pages costs
about a second in Whoosh, while taking the first matches from the query's matcher in index order
costs milliseconds (DESIGN.md, Search). Totals and facet counts are computed within a time
budget and flagged as estimates when it runs out: past the first page, the rest of the index
is then sampled in windows spread over all of it. A phrase of common tokens is narrowed by each
page's filter of adjacent pairs before any position is read. The matching itself, over
Whoosh's posting lists, is ``catalog.matching``.
"""
from __future__ import annotations

import gc
import html
import threading
import time
import warnings
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice, product
from pathlib import Path
from typing import Iterable, Optional

from whoosh import index as windex
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage

from library.errors import BadRequestError, IndexVersionError

from . import analysis, matching
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


def _per_generation(s: Searcher, cache: dict, build):
    """``build(reader)``, kept until the index changes (one entry per cache: the newest)."""
    reader = s.searcher.reader()
    key = (str(s.index_dir), s.ix.latest_generation(), reader.doc_count_all())
    with _facet_lock:
        table = cache.get(key)
    if table is None:
        table = build(reader)
        with _facet_lock:
            cache.clear()
            cache[key] = table
    return table


def _facet_table(s: Searcher) -> "_FacetTable":
    """docnum -> facet values, read from the postings once per index generation."""
    return _per_generation(s, _facet_cache, _read_facets)


def _read_facets(reader) -> "_FacetTable":
    n = reader.doc_count_all()
    cols: list[list[list[str]]] = [[[] for _ in range(n)] for _ in FACETS]
    for i, name in enumerate(FACETS):
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            for docnum in reader.postings(name, term).all_ids():
                cols[i][docnum].append(value)
    return _FacetTable(tuple(tuple(cols[i][d]) for i in range(len(FACETS))) for d in range(n))


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
    return _per_generation(s, _pair_cache, lambda r: list(r.column_reader("pairs")))


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
    plan = matching.plan_of(iq)
    n_docs = reader.doc_count_all()
    if plan is not None:
        scanned = matching.scan(reader, plan, restrict, stop, deadline, _pair_table(s))
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
    where = matching.MatchPositions(reader, plan) if plan else None
    hits = [_hit(s, docnum, score, seqs, first_only=True, where=where)
            for docnum, score in found]
    facets = {name: sorted(counts[i].items(), key=lambda kv: (-kv[1], kv[0]))
              for i, name in enumerate(FACETS)}
    return SearchResult(query=text, total=total, total_is_estimate=estimate, hits=hits,
                        items=group_by_item(hits), facets=facets, facets_are_estimates=estimate,
                        understood=understood, page=page, page_size=page_size,
                        elapsed=time.perf_counter() - t0)


def _whoosh_docs(s: Searcher, q: wq.Query, want: int, deadline: float) -> "matching.Scanned":
    """As matching.scan, through Whoosh's own matchers (queries of another shape)."""
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
            return matching.Scanned(matched, docnum + 1, len(matched), 0, n_docs)
    return matching.Scanned(matched, n_docs, len(matched), 0, n_docs)


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
    plan = matching.plan_of(iq)
    if plan is not None:
        docs = matching.scan(reader, plan, restrict, 0, None, _pair_table(s)).matched
    else:
        docs = [d for d in s.searcher.docs_for_query(wq.And([iq] + restrict))
                if not reader.is_deleted(d)]
    seqs = query_sequences(q)
    where = matching.MatchPositions(reader, plan) if plan else None
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
