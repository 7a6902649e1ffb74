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
  ``_segment_pattern``) (``_KeepingWriter``); what its ``add_document`` does per field
  (``_check_state``, ``_check_fields``, the per-document writer's ``start_doc``,
  ``add_field(name, field, stored value, length)``, ``add_column_value``, ``finish_doc``,
  ``cancel_doc``, then ``_added`` and ``docnum``) and its ``_flush_segment`` step (per-document
  writer closed, postings through the field writer, field writer closed);
- the field writer's ``start_field``, ``start_term``, ``finish_term``, ``finish_field`` and
  ``_postwriter``, a ``W3PostingsWriter`` whose block is ``_ids``, ``_weights`` (array "f"),
  ``_values`` and ``_maxweight``, written by ``_write_block`` (``_fill_blocks``);
  tests/test_index.py checks that the segment files are byte for byte Whoosh's own;
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
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
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
        # the same entries by term text, per KeyedText field (add_keyed)
        self.by_text: dict[str, dict[str, tuple]] = {}
        self.unsorted: set[tuple[str, bytes]] = set()
        self.held = 0
        self._encoded_doc, self._encoded = -1, {}

    def _entry(self, fieldname: str, tbytes: bytes) -> tuple:
        """A new term's (docnums, weights, position bytes)."""
        self.fieldnames.add(fieldname)
        entry = self.terms[(fieldname, tbytes)] = (array("I"), array("d"), [])
        self.held += self.TERM_BYTES
        return entry

    def add_keyed(self, fieldname: str, docnum: int, postings: dict[str, list[int]],
                  boost: float) -> int:
        """Pool one document's postings of a KeyedText field (term -> positions); return the
        field's length in the document (its number of positions).

        The postings ``KeyedText.index`` would give, one call per document instead of one
        per posting, and each term's bytes encoded once per pool. ``docnum`` is the writer's
        next document, above every docnum pooled before, so the terms stay sorted by docnum.
        """
        by_text = self.by_text.get(fieldname)
        if by_text is None:
            by_text = self.by_text[fieldname] = {}
        if docnum != self._encoded_doc:
            self._encoded_doc, self._encoded = docnum, {}
        # The analysis gives one positions list to all the terms of a token (in both fields,
        # which are pooled in two calls): each list is encoded once per document, known by
        # its id (the list is kept with its bytes, so that its id stays its own).
        encoded = self._encoded
        encode = _encode_positions
        one = _ONE_POSITION
        for term, poses in postings.items():
            entry = by_text.get(term)
            if entry is None:
                key = (fieldname, term.encode("utf-8"))
                entry = self.terms.get(key) or self._entry(*key)
                by_text[term] = entry
            n = len(poses)
            if n == 1:
                # most terms occur once on a page: their encoding is cached by position
                vbytes = one.get(poses[0])
                if vbytes is None:
                    vbytes = one[poses[0]] = encode(poses)
            else:
                hit = encoded.get(id(poses))
                if hit is not None and hit[0] is poses:
                    vbytes = hit[1]
                else:
                    vbytes = encode(poses)
                    encoded[id(poses)] = (poses, vbytes)
            entry[0].append(docnum)
            entry[1].append(n * boost)
            entry[2].append(vbytes)
        self.held += self.POSTING_BYTES * len(postings)
        if self.held > self.limit:
            self._spill()
        return sum(map(len, postings.values()))

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        entry = self.terms.get((fieldname, tbytes))
        if entry is None:
            entry = self._entry(fieldname, tbytes)
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
        self.by_text = {}
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
        for fieldname, tbytes, docs, weights, values in self.term_lists():
            for docnum, weight, vbytes in zip(docs, weights, values):
                yield fieldname, tbytes, docnum, weight, vbytes

    def term_lists(self):
        """(fieldname, term bytes, docnums, weights, position bytes) of every term held, in
        term order, each term's postings in docnum order (nothing may have been spilled)."""
        terms = self.terms
        for key in sorted(terms):
            docs, weights, values = terms[key]
            if key in self.unsorted:
                rows = sorted(zip(docs, weights, values), key=lambda r: r[0])
                docs = array("I", (r[0] for r in rows))
                weights = array("d", (r[1] for r in rows))
                values = [r[2] for r in rows]
            yield key[0], key[1], docs, weights, values


def _write_term_lists(fieldwriter, schema, pool: _TermPool) -> None:
    """Write the pool's postings through Whoosh's field writer, a term at a time: what
    ``FieldWriter.add_postings`` writes from the postings one by one (without length
    statistics), with each of the W3 postings writer's blocks filled from slices."""
    last_field = None
    for fieldname, tbytes, docs, weights, values in pool.term_lists():
        if fieldname != last_field:
            if last_field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            last_field = fieldname
        fieldwriter.start_term(tbytes)
        _fill_blocks(fieldwriter._postwriter, docs, weights, values)
        fieldwriter.finish_term()
    if last_field is not None:
        fieldwriter.finish_field()


def _fill_blocks(pw: W3PostingsWriter, docs: array, weights: array, values: list) -> None:
    """Give one term's postings to ``pw`` as its ``add_posting`` would, a block at a time:
    a full block is written when a further posting arrives, the last one by
    ``finish_postings``; empty position bytes are not kept; lengths are not tracked."""
    limit = pw._blocklimit
    for start in range(0, len(docs), limit):
        if start:
            pw._write_block()
        end = start + limit
        block = weights[start:end]
        top = max(block)
        vs = values[start:end]
        pw._ids = docs[start:end]
        pw._weights = array("f", block)
        pw._maxweight = top if top > 0 else 0
        pw._values = vs if all(vs) else [v for v in vs if v]


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
        # documents of a schema without vectors or spelling words take the fast path
        self._plain = not any(f.vector or f.separate_spelling() for f in self.schema)
        self._index_memo: dict[tuple[str, str], list] = {}

    def add_document(self, **fields) -> None:
        """Whoosh's ``add_document``, with each KeyedText field's postings given to the pool
        a document at a time (``_TermPool.add_keyed``) rather than a tuple per posting.
        Documents with boosts or stored-value overrides (``_``-names) go Whoosh's way."""
        pool = self.pool
        if not (self._plain and isinstance(pool, _TermPool)) or \
                any(name[:1] == "_" for name in fields):
            return super().add_document(**fields)
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        perdoc = self.perdocwriter
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    if isinstance(field, KeyedText) and isinstance(value, str):
                        length = pool.add_keyed(name, docnum,
                                                field.postings_of(value)[field.slot],
                                                field.format.field_boost)
                    else:
                        for tbytes, freq, weight, vbytes in self._terms_of(name, field, value):
                            if field.scorable:
                                length += freq
                            pool.add((name, tbytes, docnum, weight, vbytes))
                    if not field.scorable:
                        length = 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type,
                                            field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _terms_of(self, name: str, field, value) -> list:
        """``field.index(value)``, remembered for the values documents share (an item's
        facets, kind and item id are the same on each of its pages): only for ID and KEYWORD
        fields, whose terms are the value's alone, and not for unique ones."""
        if field.unique or not isinstance(value, str) or \
                not isinstance(field, (fields.ID, fields.KEYWORD)):
            return field.index(value)
        key = (name, value)
        terms = self._index_memo.get(key)
        if terms is None:
            if len(self._index_memo) >= 4096:
                self._index_memo.clear()
            terms = self._index_memo[key] = list(field.index(value))
        return terms

    def _flush_segment(self) -> None:
        pool = self.pool
        if not isinstance(pool, _TermPool) or pool.runs or self.codec.length_stats or \
                not isinstance(self.codec, W3Codec) or not self._plain:
            return super()._flush_segment()
        self.perdocwriter.close()
        _write_term_lists(self.fieldwriter, self.schema, pool)
        self.fieldwriter.close()

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
