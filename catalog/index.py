"""Writing the Whoosh index: page and item documents from catalogue records.

The index is derived data: ``rebuild`` recreates it from the catalogue, ``update_items``
replaces the documents of some items. The analyzers learn each document's writing system
through ``analysis.writing_system`` so Todo and Manchu are never shaped as Hudum.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
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
                   textlen=len(page.text), **facets, **{f: keyed for f in analysis.INDEX_FIELDS})
    meta = _metadata_text(item)
    keyed = WSText(meta, ws)
    yield dict(id=item.id, kind="item", item=item.id, order=0, label="", title=title,
               ws=item.writing_system, body=meta, textlen=len(meta), **facets,
               **{f: keyed for f in analysis.INDEX_FIELDS})


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


WRITER_LIMIT_MB = 256


class _LeanPool(PostingPool):
    """Whoosh's posting pool without its per-posting type assertions (our postings are built
    by catalog.schema.KeyedText and are always bytes)."""

    def add(self, item) -> None:
        self.fieldnames.add(item[0])
        self.currentsize += 140 + 2 * len(item[1]) + len(item[4] or b"")
        self.current.append(item)
        if self.currentsize > self.limit:
            self.save()


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
    w = SegmentWriter(ix, limitmb=limitmb, codec=_codec())
    w.pool = _LeanPool(w._tempstorage, w.newsegment, limitmb=limitmb)
    return w


def open_for_writing(index_dir: Path):
    if windex.exists_in(str(index_dir)):
        check_version(index_dir)
        return windex.open_dir(str(index_dir))
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(index_dir), build_schema())
    write_version(index_dir)
    return ix


def update_items(index_dir: Path, items: Iterable[Item], procs: int = 1) -> int:
    """Replace the documents of ``items``; return the number of documents written.

    ``procs`` > 1 writes with that many processes (see ``writer``).
    """
    ix = open_for_writing(index_dir)
    n = 0
    w = writer(ix, procs=procs)
    try:
        for item in items:
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
    n = 0
    w = writer(ix, procs=procs)
    try:
        for item in catalog.items(with_pages=False):
            item.pages = catalog.pages(item.id)
            with analysis.writing_system(item.writing_system or ""):
                for doc in page_documents(item):
                    w.add_document(**doc)
                    n += 1
    except BaseException:
        w.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    w.commit()
    old = index_dir.with_name(index_dir.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if index_dir.exists():
        index_dir.rename(old)
    tmp.rename(index_dir)
    if old.exists():
        shutil.rmtree(old)
    catalog.mark_indexed(catalog.item_ids())
    return n
