"""The tantivy peer of the search benchmark (bench/bench_search.py): a Rust search engine fed
the same tokens as Sudur's exact field, answering in the same shape.

Each page becomes one tantivy document whose ``toks`` field is the page's exact keys
(``catalog.analysis.analyzer("x")``, one key per token position, the first when a position has
several), joined by spaces and split again by tantivy's whitespace tokenizer, so both engines
see the same words at the same positions. ``seq`` is the page's place in reading order, a fast
field: the first page of results is the first 10 matches by ``seq``, as Sudur's is, with a
snippet of each (tantivy's own, over the key text) and the number of matching pages.

A query's needles (the text as typed, plus whatever spellings Sudur searched for it: the
Wylie conversion, aliases) are analysed the same way: one token is a term query, several a
phrase, and the needles are OR-ed. The query-language classes (``operator_query``) ask the
same in tantivy's own queries: AND, OR and NOT as boolean queries, a prefix as a regex query
over the terms, NEAR/n as a phrase with slop n - 1 in either order.

Needs the ``bench`` extra (``pip install -e .[bench]``); ``available()`` says why not.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

try:
    import tantivy
except ImportError:  # the bench extra is not installed
    tantivy = None

FIELD = "toks"


def available() -> str | None:
    """None if the peer can run, else why not."""
    return None if tantivy is not None else "tantivy is not installed (pip install -e .[bench])"


def exact_tokens(text: str, ws: str | None = None) -> list[str]:
    """The exact key of each token of ``text`` in order, as Sudur indexes it."""
    from catalog import analysis
    out: dict[int, str] = {}
    with analysis.writing_system(ws):
        for t in analysis.analyzer("x")(text, positions=True):
            out.setdefault(t.pos, t.text)
    return [out[p] for p in sorted(out)]


class TantivyPeer:
    """An in-process tantivy index of the benchmark's pages."""

    def __init__(self, items, where: Path) -> None:
        sb = tantivy.SchemaBuilder()
        sb.add_text_field(FIELD, stored=True, tokenizer_name="whitespace")
        sb.add_unsigned_field("seq", stored=True, fast=True, indexed=True)
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        self.schema = sb.build()
        where.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(where))
        # feeding: Sudur's analysis of every page, then tantivy's indexing, timed apart
        t0, c0 = time.perf_counter(), time.process_time()
        docs = []
        for item in items:
            for p in item.pages:
                docs.append((f"{item.id}.{p.order}",
                             " ".join(exact_tokens(p.text, item.writing_system))))
        self.analysis_wall = time.perf_counter() - t0
        self.analysis_cpu = time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        for seq, (pid, toks) in enumerate(docs):
            d = tantivy.Document()
            d.add_text(FIELD, toks)
            d.add_unsigned("seq", seq)
            d.add_text("id", pid)
            writer.add_document(d)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.index_wall = time.perf_counter() - t0
        # (tantivy's indexing runs in its own threads: process CPU time counts them)
        self.index_cpu = time.process_time() - c0
        self.searcher = self.index.searcher()

    def query(self, needles: list[str]):
        """The needles OR-ed, each a term or a phrase of its exact tokens (None: no token)."""
        parts = []
        for n in needles:
            toks = exact_tokens(n)
            if len(toks) == 1:
                parts.append(tantivy.Query.term_query(self.schema, FIELD, toks[0]))
            elif toks:
                parts.append(tantivy.Query.phrase_query(self.schema, FIELD, toks))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in parts])

    def operator_query(self, op: str, a: str, b: str, n: int):
        """What bench_search.operator_queries' query (op, a, b, n) asks, as a tantivy query."""
        if op == "prefix":
            keys = exact_tokens(a)
            return tantivy.Query.regex_query(self.schema, FIELD, re.escape(keys[0]) + ".*") \
                if len(keys) == 1 else None
        left, right = self.query([a]), self.query([b])
        if left is None or right is None:
            return None if op != "not" else left
        if op == "near":
            ka, kb = exact_tokens(a), exact_tokens(b)
            both = [tantivy.Query.phrase_query(self.schema, FIELD, x + y, slop=n - 1)
                    for x, y in ((ka, kb), (kb, ka))]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in both])
        occur = {"and": (tantivy.Occur.Must, tantivy.Occur.Must),
                 "or": (tantivy.Occur.Should, tantivy.Occur.Should),
                 "not": (tantivy.Occur.Must, tantivy.Occur.MustNot)}[op]
        return tantivy.Query.boolean_query([(occur[0], left), (occur[1], right)])

    def first_page(self, needles: list[str]) -> tuple[list[tuple[str, str]], int]:
        """((page id, snippet HTML) of the first 10 matches in reading order, total)."""
        return self.first_page_of(self.query(needles))

    def first_page_of(self, q) -> tuple[list[tuple[str, str]], int]:
        """The first page and total of the tantivy query ``q`` (None: nothing to find)."""
        if q is None:
            return [], 0
        found = self.searcher.search(q, 10, count=True, order_by_field="seq",
                                     order=tantivy.Order.Asc)
        snippets = tantivy.SnippetGenerator.create(self.searcher, q, self.schema, FIELD)
        hits = []
        for _, address in found.hits:
            doc = self.searcher.doc(address)
            hits.append((doc["id"][0], snippets.snippet_from_doc(doc).to_html()))
        return hits, found.count
