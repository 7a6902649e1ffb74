"""The library's consistency check: do the catalogue, the files on disk and the index agree?

``check_library`` compares the catalogue with the store and the index (version folders, the
``items/<id>`` links, folders nothing references, the index's version and its documents per
item); ``check_files`` re-reads the files the catalogue's fixity lists (``catalog.fixity``).
Each disagreement is a ``Finding`` naming the item and the path, and saying what ``repair``
does about it or, for what cannot be derived (a master, a TEI, an OCR file), what the archivist
must do. ``repair`` only ever rebuilds derived data: the index (``catalog.index.rebuild``), the
links, unreferenced folders (``Store.collect_garbage``) and derivatives re-cut from a master
that still matches its checksum. It never writes, moves or deletes a file of a live version's
``source/`` folder. Call ``repair`` under the ingest lock.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from whoosh import index as windex
from whoosh.query import Term

from library import imaging
from library.errors import IndexVersionError
from library.storage import object_key, version_key
from library.store import Store, file_digest, page_derived_dir, source_dir

from .db import Catalog
from .fixity import verify as verify_fixity
from .index import rebuild
from .schema import check_version

RESTORE = ("restore it from a backup; or run `sudur verify --repair`, which marks the item so "
           "that `sudur ingest` of its original batch replaces it")


@dataclass
class Finding:
    item_id: str  # "" for the library as a whole
    path: str  # relative to the library
    problem: str
    fix: str  # what ``repair`` does, or what to do by hand
    repairable: bool
    kind: str = ""  # what repair acts on: link, orphan, index, derivative, master, version

    def __str__(self) -> str:
        where = f"{self.item_id}: {self.path}" if self.item_id else self.path
        return f"{where}: {self.problem}"


# --- checking --------------------------------------------------------------------------------

def check_library(store: Store, catalog: Catalog) -> list[Finding]:
    """The catalogue against the store and the index (fast: no file is read whole)."""
    findings: list[Finding] = []
    rows = {i: catalog.item_row(i) for i in catalog.item_ids()}
    live = {Path(r.version_path).name for r in rows.values()}
    withdrawn = set(catalog.withdrawn_ids())  # their versions are garbage, theirs to collect
    for item_id, row in rows.items():
        if not store.has_version(row.version_path):
            findings.append(Finding(item_id, row.version_path, "the item's version folder is "
                                    "missing (masters included)", RESTORE, False, "version"))
            continue
        if not store.is_local:
            continue  # the items/<id> links are only made where the versions are folders
        link = store.items_dir / item_id
        target = Path(row.version_path).name
        if link.exists() and not link.is_symlink():
            findings.append(Finding(item_id, _rel(store, link), "a folder or file where the "
                                    "link to the item's version belongs", "move it out of the "
                                    "library, then run `sudur verify --repair`", False))
        elif not link.is_symlink():
            findings.append(Finding(item_id, _rel(store, link), "the link to the item's "
                                    "version is missing", f"point it at {target}", True, "link"))
        elif os.readlink(link) != target:
            findings.append(Finding(item_id, _rel(store, link), f"the link points at "
                                    f"{os.readlink(link)}, not at {target}",
                                    f"point it at {target}", True, "link"))
    if not rows and store.items_dir.is_dir() and any(
            "@" in p.name and _item_of(p.name) not in withdrawn
            for p in store.items_dir.iterdir() if not p.is_symlink()):
        # every version unreferenced: far likelier a wrong or lost catalogue than leftovers
        return [Finding("", _rel(store, store.catalog_path), "the catalogue lists no items, "
                        "but item versions are on disk", "check --library; restore "
                        "catalog.sqlite from a backup; nothing was removed", False)]
    findings += _leftovers(store, live, set(rows), withdrawn)
    findings += _check_index(store, catalog, rows)
    return findings


def _leftovers(store: Store, live: set[str], item_ids: set[str],
               withdrawn: set[str]) -> list[Finding]:
    """Folders and links the catalogue does not reference."""
    out: list[Finding] = []
    if store.staging_dir.is_dir():
        for p in sorted(store.staging_dir.iterdir()):
            out.append(Finding(_item_of(p.name), _rel(store, p), "left in staging by an "
                               "interrupted ingest", "remove it", True, "orphan"))
    if store.items_dir.is_dir():
        for p in sorted(store.items_dir.iterdir()):
            if p.is_symlink():
                if p.name.startswith(".") or p.name not in item_ids:
                    out.append(Finding(_item_of(p.name), _rel(store, p), "a link the "
                                       "catalogue does not know", "remove it", True, "orphan"))
            elif p.name.startswith("."):
                out.append(Finding("", _rel(store, p), "a temporary file of an interrupted "
                                   "ingest", "remove it", True, "orphan"))
            elif "@" in p.name and p.name not in live:
                out.append(Finding(_item_of(p.name), _rel(store, p), "an item version the "
                                   "catalogue does not reference (left by an interrupted or "
                                   "replaced ingest)", "remove it", True, "orphan"))
            elif "@" not in p.name and p.name not in item_ids:
                out.append(Finding("", _rel(store, p), "not part of the library",
                                   "move it out of the library's items folder", False))
    if not store.is_local:
        collectable = set(store.remote_orphans(live, withdrawn))
        for name in store.objects.versions():
            if name in collectable:
                out.append(Finding(_item_of(name), version_key(name), "an item version the "
                                   "catalogue does not reference, in the object store",
                                   "remove it", True, "orphan"))
            elif name not in live:
                out.append(Finding("", version_key(name), "a version in the object store of an "
                                   "item this catalogue does not list (another library using "
                                   "the same store_url, or an upload that failed before the "
                                   "item's first commit)", "check store_url; if it is neither, "
                                   "delete that prefix from the store by hand", False))
    for name in (".new", ".old"):
        p = store.index_dir.with_name(store.index_dir.name + name)
        if p.exists():
            out.append(Finding("", _rel(store, p), "left by an interrupted `sudur reindex`",
                               "remove it", True, "orphan"))
    return out


def _check_index(store: Store, catalog: Catalog, rows: dict) -> list[Finding]:
    """The index's version, and its documents per item against the catalogue's pages."""
    rebuild_it = "rebuild the index from the catalogue"
    if catalog.holds_search:  # the search rows in PostgreSQL: the node has no index
        from .pg_search_write import TABLE
        index = f"{catalog.path} {TABLE}"
        found = {item: (pages, has_record) for item, pages, has_record in catalog.conn.execute(
            f"SELECT item, count(*) FILTER (WHERE kind = 'page'), bool_or(kind = 'item') "
            f"FROM {TABLE} GROUP BY item")}
        return _compare(catalog, rows, found, index, rebuild_it)
    index = _rel(store, store.index_dir)
    if not windex.exists_in(str(store.index_dir)):
        if not rows:
            return []  # an empty library needs no index
        return [Finding("", index, "the search index is missing", rebuild_it, True, "index")]
    try:
        check_version(store.index_dir)
    except IndexVersionError as exc:
        return [Finding("", index, exc.message, rebuild_it, True, "index")]
    return _compare(catalog, rows, index_counts(store.index_dir), index, rebuild_it)


def _compare(catalog: Catalog, rows: dict, found: dict[str, tuple[int, bool]], index: str,
             rebuild_it: str) -> list[Finding]:
    """The index's documents per item (``index_counts``) against the catalogue's pages."""
    out: list[Finding] = []
    for item_id, row in rows.items():
        pages = catalog.page_count(item_id)
        n_pages, has_record = found.pop(item_id, (0, False))
        if n_pages != pages or not has_record:
            what = f"{n_pages} of its {pages} pages" + ("" if has_record else
                                                        " and not its record")
            out.append(Finding(item_id, index, f"the index holds {what}", rebuild_it, True,
                               "index"))
        elif not row.indexed:
            out.append(Finding(item_id, index, "the catalogue marks the item as not indexed",
                               rebuild_it, True, "index"))
    for item_id, (n_pages, _) in sorted(found.items()):
        out.append(Finding(item_id, index, f"the index holds {n_pages} pages of an item the "
                           "catalogue does not have", rebuild_it, True, "index"))
    return out


def index_counts(index_dir: Path) -> dict[str, tuple[int, bool]]:
    """Per item id in the index: (page documents, whether its item document is there)."""
    ix = windex.open_dir(str(index_dir))
    try:
        with ix.searcher() as s:
            pages = set(Term("kind", "page").docs(s))
            counts: dict[str, tuple[int, bool]] = {}
            for item_id in s.reader().field_terms("item"):
                docs = set(Term("item", item_id).docs(s))
                if docs:  # a term left by deleted documents only has none
                    counts[item_id] = (len(docs & pages), bool(docs - pages))
            return counts
    finally:
        ix.close()


def check_files(store: Store, catalog: Catalog, *, checksums: bool = True,
                item_ids: Optional[Iterable[str]] = None) -> tuple[int, list[Finding]]:
    """Every file the catalogue's fixity lists: there, at its size, with its checksum (unless
    ``checksums`` is false). Items whose whole version folder is missing are left to
    ``check_library``. Returns (files checked, findings)."""
    checked, problems = verify_fixity(store, catalog, checksums=checksums, item_ids=item_ids)
    out = []
    bad_sources = {(p.item_id, p.path) for p in problems if p.kind != "derivative"}
    for p in problems:
        version = catalog.version_path(p.item_id)
        if not store.has_version(version):
            continue
        path = f"{version}/{p.path}"
        if p.kind != "derivative":
            out.append(Finding(p.item_id, path, f"{p.problem} ({p.kind}, delivered with the "
                               "batch: Sudur cannot make it again)", RESTORE, False, "master"))
            continue
        master = _master_of(catalog, p.item_id, p.path)
        if master is not None and (p.item_id, master) in bad_sources:
            out.append(Finding(p.item_id, path, p.problem, f"it is cut again from {master} "
                               "once that master is restored or the item re-ingested", False))
        else:
            out.append(Finding(p.item_id, path, p.problem, "re-cut it from its master", True,
                               "derivative"))
    return checked, out


def _master_of(catalog: Catalog, item_id: str, derivative: str) -> Optional[str]:
    """The master (path in the version folder) that the derivative ``derivative`` is cut from."""
    for page in catalog.pages(item_id):
        pdir = page_derived_dir(Path(), page.order).as_posix() + "/"
        if page.image and derivative.startswith(pdir):
            return (source_dir(Path()) / page.image).as_posix()
    return None


# --- repairing -------------------------------------------------------------------------------

def repair(store: Store, catalog: Catalog, findings: list[Finding], *, tile_size: int,
           thumb_width: int) -> list[str]:
    """Fix what can be derived; return what was done, one line each. Masters are not touched:
    an item whose master is missing or damaged is marked for re-ingest (its source hash is
    forgotten, so ingesting the original batch replaces it)."""
    done: list[str] = []
    kinds = {f.kind for f in findings if f.repairable}
    withdrawn = catalog.withdrawn_ids()
    # never with a catalogue that lost its items (one whose items were all withdrawn has not)
    if "orphan" in kinds and (catalog.item_ids() or withdrawn):
        removed = store.collect_garbage(catalog.live_versions(), withdrawn)
        done += [f"removed {_rel(store, Path(p))}" for p in removed]
    elif "orphan" in kinds:  # an ingest killed before its first item: staging is still its own
        done += [f"removed {_rel(store, Path(p))}" for p in store.clear_staging()]
    for f in findings:
        if f.kind == "link":
            store.point_symlink(f.item_id, catalog.version_path(f.item_id))
            done.append(f"pointed {f.path} at {Path(catalog.version_path(f.item_id)).name}")
    for item_id in sorted({f.item_id for f in findings if f.kind == "derivative"}):
        paths = {f.path for f in findings if f.kind == "derivative" and f.item_id == item_id}
        done += _recut(store, catalog, item_id, paths, tile_size, thumb_width)
    if "index" in kinds and catalog.holds_search:
        from .pg_search_write import rebuild as rebuild_rows
        n = rebuild_rows(catalog.conn, catalog.items(with_pages=True))
        catalog.mark_indexed(catalog.item_ids())
        done.append(f"rebuilt the search rows from the catalogue ({n} documents)")
    elif "index" in kinds:
        n = rebuild(store.index_dir, catalog)
        done.append(f"rebuilt the search index from the catalogue ({n} documents)")
    for item_id in sorted({f.item_id for f in findings if f.kind in ("master", "version")}):
        if catalog.forget_source_hash(item_id):
            done.append(f"marked {item_id} for re-ingest: `sudur ingest` of its batch replaces it")
    return done


def _recut(store: Store, catalog: Catalog, item_id: str, paths: set[str], tile_size: int,
           thumb_width: int) -> list[str]:
    """Re-cut the derivatives at ``paths`` (relative to the library) from their pages'
    masters, aside in staging; a file goes into place only if it matches its checksum."""
    version = catalog.version_path(item_id)
    vdir = store.root / version
    fixity = {rec.path: rec for _, rec in catalog.fixity(item_id)}
    wanted = {p.removeprefix(version + "/") for p in paths}
    done: list[str] = []
    for page in catalog.pages(item_id):
        pdir = page_derived_dir(Path(), page.order).as_posix() + "/"
        mine = sorted(p for p in wanted if p.startswith(pdir))
        if not mine or not page.image:
            continue
        master_rel = (source_dir(Path()) / page.image).as_posix()
        rec = fixity.get(master_rel)
        tmp = store.new_staging(f"{item_id}-recut")
        try:
            master = vdir / master_rel
            if not store.is_local and rec is not None:  # an object store: cut from a copy
                master = tmp / "master" / Path(master_rel).name
                store.objects.fetch(object_key(version, master_rel), master)
            if rec is None or not master.is_file() or file_digest(master) != rec.sha256:
                continue  # reported as a master problem: nothing to cut from
            cut = tmp / "cut"
            imaging.make_derivatives(master, cut, tile_size=tile_size, thumb_width=thumb_width)
            for rel in mine:
                new = cut / rel.removeprefix(pdir)
                if new.is_file() and file_digest(new) == fixity[rel].sha256:
                    if store.is_local:
                        (vdir / rel).parent.mkdir(parents=True, exist_ok=True)
                        os.replace(new, vdir / rel)
                    else:  # the very bytes the catalogue records: the version is unchanged
                        store.objects.put_file(object_key(version, rel), new)
                    done.append(f"re-cut {version}/{rel}")
        except FileNotFoundError:
            continue  # the master is missing from the store: reported as a master problem
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return done


def _rel(store: Store, path: Path) -> str:
    try:
        return path.relative_to(store.root).as_posix()
    except ValueError:
        return str(path)


def _item_of(name: str) -> str:
    return name.lstrip(".").split("@")[0].split(".")[0]
