"""Writing the Whoosh index: page and item documents from catalogue records.

The index is derived data: ``rebuild`` recreates it from the catalogue, ``update_items``
replaces the documents of some items, ``delete_items`` removes those of withdrawn ones. Each document's text is analysed once for all its keys
(``postings_write.KeyedText``) and carries its writing system with it (``schema.WSText``), so
Todo and Manchu are never shaped as Hudum, in worker processes too. The writer is Whoosh's,
with a pool that keeps postings per term and uncompressed posting blocks
(``catalog.postings_write``); the figures behind these choices are in
docs/benchmarks-search.md.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import index as windex

from library.models import Item

from . import analysis
from .db import Catalog
from .postings_write import writer
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
    return dict(collection=",".join(item.collections), language=",".join(item.languages),
                script=",".join(item.scripts), genre=item.genre.replace(",", " "),
                century=",".join(str(c) for c in item.centuries()),
                work=",".join(item.works), volume=item.id if item.works else "")


def _metadata_text(item: Item) -> str:
    parts = list(item.titles.values()) + list(item.summary.values())
    parts += [r.name for r in item.responsibility]
    parts += [item.place, item.institution, item.shelfmark, item.genre, item.date_text]
    return "\n".join(p for p in parts if p)


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


def delete_items(index_dir: Path, item_ids: Iterable[str]) -> int:
    """Remove every document of ``item_ids`` (withdrawn items) in one commit; the number of
    documents removed. No index yet: nothing to remove."""
    if not windex.exists_in(str(index_dir)):
        return 0
    check_version(index_dir)
    ix = windex.open_dir(str(index_dir))
    try:
        w = writer(ix)
        n = 0
        try:
            for item_id in item_ids:
                n += w.delete_by_term("item", item_id)
        except BaseException:
            w.cancel()
            raise
        w.commit()
    finally:
        ix.close()
    return n


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
