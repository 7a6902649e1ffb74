"""Writing the Whoosh index: page and item documents from catalogue records.

The index is derived data: ``rebuild`` recreates it from the catalogue, ``update_items``
replaces the documents of some items. Each document's text is analysed once for all its keys
(``schema.KeyedText``) and carries its writing system with it (``schema.WSText``), so Todo and
Manchu are never shaped as Hudum, in worker processes too. The writer is Whoosh's, with a pool
that keeps postings per term (``_TermPool``) and uncompressed posting blocks; the figures
behind these choices are in docs/benchmarks-search.md.
"""
from __future__ import annotations

import os
import shutil
import uuid
from array import array
from itertools import repeat
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.externalsort import SortingPool
from whoosh.query import Term
from whoosh.writing import PostingPool, SegmentWriter

from library.models import Item

from . import analysis
from .db import Catalog
from .schema import WSText, build_schema, check_version, write_version


def page_documents(item: Item) -> Iterator[dict]:
    """The index documents of one item: one per page, then one for the item record."""
    facets = _facets(item)
    title = item.title(("en", "zh-Hans", "zh-Hant", "mn-Mong", "bo"))
    ws = item.writing_system or ""
    for page in item.pages:
        body = page.text if not page.alt_text else page.text + "\n\n" + page.alt_text
        keyed = WSText(body, ws)  # one object for all key fields: analysed once
        yield dict(id=f"{item.id}.{page.order:04d}", kind="page", item=item.id, order=page.order,
                   label=page.label, title=title, ws=item.writing_system, body=body,
                   textlen=len(page.text), pairs=keyed, **facets,
                   **{f: keyed for f in analysis.INDEX_FIELDS})
    meta = _metadata_text(item)
    keyed = WSText(meta, ws)
    yield dict(id=item.id, kind="item", item=item.id, order=0, label="", title=title,
               ws=item.writing_system, body=meta, textlen=len(meta), pairs=keyed,
               **facets, **{f: keyed for f in analysis.INDEX_FIELDS})


def _facets(item: Item) -> dict:
    century = item.century()
    return dict(collection=",".join(item.collections), language=",".join(item.languages),
                script=",".join(item.scripts), genre=item.genre.replace(",", " "),
                century=str(century) if century is not None else "")


def _metadata_text(item: Item) -> str:
    parts = list(item.titles.values()) + list(item.summary.values())
    parts += [r.name for r in item.responsibility]
    parts += [item.place, item.institution, item.shelfmark, item.genre, item.date_text]
    return "\n".join(p for p in parts if p)


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
        from whoosh.index import TOC

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


def writer(ix, limitmb: int = WRITER_LIMIT_MB, procs: int = 1,
           multisegment: bool = True) -> SegmentWriter:
    """A segment writer for Sudur's index (Whoosh's, with a leaner pool and codec settings).

    ``procs > 1`` uses Whoosh's multiprocessing writer; each page's writing system travels
    with its text (schema.WSText), as context variables do not reach the worker processes.
    With ``multisegment`` the workers' segments are kept rather than merged at commit.
    """
    if procs > 1:
        from whoosh.multiproc import MpWriter

        return MpWriter(ix, procs=procs, batchsize=64, multisegment=multisegment,
                        limitmb=max(32, limitmb // procs), codec=_codec())
    w = _KeepingWriter(ix, limitmb=limitmb, codec=_codec())
    w.pool = _TermPool(w._tempstorage, w.newsegment, limitmb=limitmb)
    return w


def _new_generation(index_dir: Path) -> Path:
    """A fresh folder beside ``index`` for a complete index; ``index`` becomes a link to it."""
    return index_dir.with_name(f"{index_dir.name}.{uuid.uuid4().hex[:12]}")


def _point(index_dir: Path, generation: Path) -> None:
    """Make ``index`` name ``generation`` in one rename, so a reader finds the old or the new."""
    tmp = index_dir.with_name(f".{index_dir.name}.{uuid.uuid4().hex[:8]}.lnk")
    os.symlink(generation.name, tmp)
    if index_dir.is_dir() and not index_dir.is_symlink():
        # an index from before generations: set aside once (the store restores it on a crash)
        index_dir.rename(index_dir.with_name(index_dir.name + ".old"))
    os.replace(tmp, index_dir)


def open_for_writing(index_dir: Path):
    """The index to add to, created as its first generation if there is none yet."""
    if windex.exists_in(str(index_dir)):
        check_version(index_dir)
        return windex.open_dir(str(index_dir))
    generation = _new_generation(index_dir)
    generation.mkdir(parents=True)
    windex.create_in(str(generation), build_schema())
    write_version(generation)
    _point(index_dir, generation)
    return windex.open_dir(str(index_dir))


def update_items(index_dir: Path, items: Iterable[Item], procs: int = 1) -> int:
    """Replace the documents of ``items``; return the number of documents written.

    ``procs`` > 1 writes with that many processes (see ``writer``).
    """
    return _write(open_for_writing(index_dir), items, procs, replace=True)


def _write(ix, items: Iterable[Item], procs: int, *, replace: bool) -> int:
    """Add the documents of ``items`` in one commit (replacing theirs first if ``replace``)."""
    n = 0
    w = writer(ix, procs=procs)
    try:
        for item in items:
            if replace:
                w.delete_by_term("item", item.id)
            with analysis.writing_system(item.writing_system or ""):
                for doc in page_documents(item):
                    w.add_document(**doc)
                    n += 1
    except BaseException:
        w.cancel()
        raise
    w.commit()
    return n


def remove_items(index_dir: Path, item_ids: Iterable[str]) -> None:
    if not windex.exists_in(str(index_dir)):
        return
    ix = open_for_writing(index_dir)
    w = ix.writer()
    for item_id in item_ids:
        w.delete_by_query(Term("item", item_id))
    w.commit()


def rebuild(index_dir: Path, catalog: Catalog, procs: int = 1) -> int:
    """Recreate the index from the catalogue, aside, then swap it in."""
    tmp = index_dir.with_name(index_dir.name + ".new")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ix = windex.create_in(str(tmp), build_schema())
    write_version(tmp)
    try:
        n = _write(ix, catalog.items(with_pages=True), procs, replace=False)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    generation = _new_generation(index_dir)
    os.rename(tmp, generation)
    previous = index_dir.resolve() if index_dir.is_symlink() else None
    _point(index_dir, generation)
    legacy = index_dir.with_name(index_dir.name + ".old")
    if legacy.exists():
        shutil.rmtree(legacy)
    # Generations older than the one just replaced go; that one stays until the next rebuild,
    # for searches that opened it an instant before the switch.
    for p in index_dir.parent.glob(index_dir.name + ".*"):
        if p.is_dir() and p not in (generation, previous) and p.name != tmp.name:
            shutil.rmtree(p, ignore_errors=True)
    catalog.mark_indexed(catalog.item_ids())
    return n
