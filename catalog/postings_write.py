"""Writing Whoosh's index files the way Sudur needs: the one module of catalog/ that relies
on Whoosh's private writing internals (reading: ``catalog.postings``).

Pinned to whoosh-reloaded 2.7.x (setup.cfg; ``WHOOSH_VERSION`` is part of the index version,
so an index written by another Whoosh is refused with "run `sudur reindex`"). What it relies
on:

- ``whoosh.writing.PostingPool`` (a ``whoosh.externalsort.SortingPool``): its ``add`` is given
  ``(fieldname, term bytes, docnum, weight, value bytes)`` tuples, it holds ``fieldnames``,
  ``current``, ``runs`` and ``limit``, its ``save`` spills ``current`` as a sorted run, and
  ``iter_postings``/``SortingPool.items`` yield the postings in term order (``_TermPool``);
- ``whoosh.writing.SegmentWriter``: its ``segments``, ``schema``, ``generation``,
  ``storage``, ``indexname``, ``_tempstorage``, ``newsegment``, ``pool`` and its
  ``_commit_toc(segments)`` step, with ``whoosh.index.TOC`` (``write``, ``_pattern``,
  ``_segment_pattern``) (``_KeepingWriter``);
- ``whoosh.codec.whoosh3.W3Codec``'s ``compression`` argument and ``length_stats``
  attribute; ``whoosh.multiproc.MpWriter``'s arguments;
- what ``fields.FieldType.index`` returns, ``(term bytes, frequency, weight, value
  bytes)`` per term, and the Positions format's value encoding, ``whoosh.system.pack_uint``
  of the count, then a protocol-2 pickle of the position deltas (``KeyedText``), which
  ``catalog.postings`` decodes.
"""
from __future__ import annotations

from array import array
from importlib import metadata
from itertools import repeat
from operator import sub
from pickle import dumps
from typing import Callable

from whoosh import fields
from whoosh.codec.whoosh3 import W3Codec
from whoosh.externalsort import SortingPool
from whoosh.index import TOC
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

__all__ = ["WHOOSH_VERSION", "KeyedText", "writer", "WRITER_LIMIT_MB", "POSTINGS_COMPRESSION"]

WHOOSH_VERSION = metadata.version("whoosh-reloaded")


class KeyedText(fields.TEXT):
    """A TEXT field whose postings are given by ``postings_of(value)[slot]`` (term ->
    positions), encoded here as Whoosh's Positions format would, without its per-position
    Python loop (catalog.schema gives it the one analysis of a document for every field)."""

    def __init__(self, slot: int, postings_of: Callable, **kwargs) -> None:
        super().__init__(**kwargs)
        self.slot = slot
        self.postings_of = postings_of

    def index(self, value, **kwargs):
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        encode = _encode_positions
        boost = self.format.field_boost
        one = _ONE_POSITION
        out = []
        add = out.append
        for term, poses in self.postings_of(value)[self.slot].items():
            n = len(poses)
            if n == 1:
                # most terms occur once on a page: their encoding is cached by position
                vbytes = one.get(poses[0])
                if vbytes is None:
                    vbytes = one[poses[0]] = encode(poses)
            else:
                vbytes = encode(poses)
            add((term.encode("utf-8"), n, n * boost, vbytes))
        return out


_ONE_POSITION: dict[int, bytes] = {}


def _encode_positions(poses: list[int]) -> bytes:
    """The bytes Whoosh's Positions format writes for ``poses`` (a count, then the pickled
    deltas), without its per-position Python loop."""
    deltas = [poses[0]]
    deltas += map(sub, poses[1:], poses)
    return pack_uint(len(deltas)) + dumps(deltas, 2)


# Memory the writer's posting pool may hold before it spills sorted runs to disk (estimated
# bytes, see _TermPool): 20,000 pages of the benchmark stay under it, and under 1 GiB of RSS.
WRITER_LIMIT_MB = 384


class _TermPool(PostingPool):
    """Whoosh's posting pool, reorganised: postings are kept per term as they arrive.

    Whoosh's pool keeps one tuple per posting and sorts them all at commit, spilling sorted
    runs to disk and merging them back (a Python-level merge of every posting) once its memory
    limit is reached; on 20,000 pages that halved the indexing rate. Documents are added in
    docnum order, so each term's postings arrive sorted: committing only sorts the terms.
    Past the memory limit, what is held is handed to Whoosh's sorted runs as before.
    """

    # estimated bytes held per posting (a docnum, a weight, a reference to its positions,
    # which are mostly shared one-position encodings) and per distinct term
    POSTING_BYTES = 40
    TERM_BYTES = 300

    def __init__(self, tempstore, segment, limitmb: int) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self.terms: dict[tuple[str, bytes], tuple] = {}
        self.unsorted: set[tuple[str, bytes]] = set()
        self.held = 0

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        entry = self.terms.get((fieldname, tbytes))
        if entry is None:
            self.fieldnames.add(fieldname)
            entry = self.terms[(fieldname, tbytes)] = (array("i"), array("d"), [])
            self.held += self.TERM_BYTES
        elif docnum <= entry[0][-1]:
            # documents merged in from another segment may come out of order
            self.unsorted.add((fieldname, tbytes))
        entry[0].append(docnum)
        entry[1].append(weight)
        entry[2].append(vbytes)
        self.held += self.POSTING_BYTES
        if self.held > self.limit:
            self._spill()

    def _spill(self) -> None:
        current = self.current
        for (fieldname, tbytes), (docs, weights, values) in self.terms.items():
            current.extend(zip(repeat(fieldname), repeat(tbytes), docs, weights, values))
        self.terms = {}
        self.unsorted = set()
        self.held = 0
        PostingPool.save(self)

    def save(self) -> None:
        self._spill()

    def iter_postings(self):
        if self.runs:
            self._spill()
            return SortingPool.items(self)
        return self._by_term()

    def _by_term(self):
        terms = self.terms
        for key in sorted(terms):
            fieldname, tbytes = key
            docs, weights, values = terms[key]
            rows = zip(docs, weights, values)
            if key in self.unsorted:
                rows = sorted(rows, key=lambda r: r[0])
            for docnum, weight, vbytes in rows:
                yield fieldname, tbytes, docnum, weight, vbytes


# Posting blocks are not zlib-compressed (Whoosh's default is level 3): measured on 20,000
# pages, rare phrases of common syllables answer about a fifth faster and indexing is faster
# too, for an index about 2.5 times larger (docs/benchmarks-search.md).
POSTINGS_COMPRESSION = 0


def _codec() -> W3Codec:
    codec = W3Codec(compression=POSTINGS_COMPRESSION)
    # Per-block length bounds only tighten BM25 block skipping; without them relevance scores
    # are unchanged and the writer skips a column read per posting.
    codec.length_stats = False
    return codec


class _KeepingWriter(SegmentWriter):
    """Whoosh's writer, except that a commit keeps the files of the generation it replaces
    (until the next commit): a searcher that read that generation's table of contents an
    instant before may still be opening its segments. Whoosh deletes them at once."""

    def __init__(self, ix, **kw) -> None:
        super().__init__(ix, **kw)
        self._replaced = list(self.segments)

    def _commit_toc(self, segments) -> None:
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        keep = {s.segment_id() for s in list(segments) + self._replaced}
        tocs, segs = TOC._pattern(self.indexname), TOC._segment_pattern(self.indexname)
        for name in list(self.storage):
            toc, seg = tocs.match(name), segs.match(name)
            if (toc and int(toc.group(1)) < self.generation - 1) or \
                    (seg and seg.group(1) not in keep):
                try:
                    self.storage.delete_file(name)
                except OSError:
                    continue  # still open somewhere; the next commit tries again


def writer(ix, procs: int = 1) -> SegmentWriter:
    """A segment writer for Sudur's index (Whoosh's, with a leaner pool and codec settings).

    ``procs > 1`` uses Whoosh's multiprocessing writer, keeping the workers' segments rather
    than merging them at commit; each page's writing system travels with its text
    (schema.WSText), as context variables do not reach the worker processes.
    """
    limitmb = WRITER_LIMIT_MB
    if procs > 1:
        from whoosh.multiproc import MpWriter

        return MpWriter(ix, procs=procs, batchsize=64, multisegment=True,
                        limitmb=max(32, limitmb // procs), codec=_codec())
    w = _KeepingWriter(ix, limitmb=limitmb, codec=_codec())
    w.pool = _TermPool(w._tempstorage, w.newsegment, limitmb=limitmb)
    return w
