"""Helpers shared by the crash, concurrency and full-disk tests: a batch of small items built in
code, the `sudur` of this venv run as a subprocess (or in this process), and a comparable
snapshot of a library (items, pages, checksums, index hits) plus a check that no orphan file
is left."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from PIL import Image

SUDUR = str(Path(sys.executable).with_name("sudur"))

TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title xml:lang="en">Crash test {n}</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text xml:lang="en"><body><div>
{pages}
  </div></body></text>
</TEI>
"""


def build_batch(root: Path, n_items: int = 30, pages: int = 2, size=(260, 340),
                prefix: str = "crash", word: str = "common") -> Path:
    """``n_items`` items of ``pages`` pages; item k's text holds the word ``mark<k>``."""
    root.mkdir(parents=True, exist_ok=True)
    for k in range(n_items):
        item_id = f"{prefix}-{k:02d}"
        folder = root / item_id
        (folder / "images").mkdir(parents=True)
        body = []
        for p in range(pages):
            name = f"images/{p + 1:04d}.png"
            Image.new("RGB", size, ((k * 37) % 256, (p * 91) % 256, 120)).save(folder / name)
            body.append(f'<p><pb n="{p + 1}" facs="{name}"/>{word} mark{k:02d} page{p + 1} '
                        f'of {item_id}</p>')
        (folder / f"{item_id}.xml").write_text(TEI.format(n=k, pages="\n".join(body)),
                                               encoding="utf-8")
    return root


def fast_tmp(tmp_path_factory, name: str) -> Path:
    """A folder on tmpfs when there is one: a SIGKILL leaves the page cache intact, so what a
    crash leaves behind is the same as on disk, and the hundreds of fsyncs cost nothing."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile
        return Path(tempfile.mkdtemp(prefix=f"sudur-{name}-", dir=shm))
    return tmp_path_factory.mktemp(name)


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUDUR_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def sudur(lib: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([SUDUR, "--library", str(lib), *args], capture_output=True,
                          text=True, timeout=timeout, env=clean_env())


def sudur_here(lib: Path, *args: str) -> subprocess.CompletedProcess:
    """`sudur --library LIB ARGS` run in this process, as ``sudur`` would report it: for tests
    of small libraries, where starting the installed program costs more than the command. An
    exception the command lets out is raised (the program would print it as a traceback)."""
    from click.testing import CliRunner

    from library.cli import cli

    res = CliRunner().invoke(cli, ["--library", str(lib), *args],
                             env={name: None for name in os.environ if name.startswith("SUDUR_")})
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return subprocess.CompletedProcess([SUDUR, "--library", str(lib), *args], res.exit_code,
                                       res.stdout, res.stderr)


def start_ingest(lib: Path, batch: Path, workers: int = 1) -> subprocess.Popen:
    # its own session, so a kill reaches the worker processes too, as a power cut would
    return subprocess.Popen([SUDUR, "--library", str(lib), "ingest", str(batch),
                             "--workers", str(workers)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=clean_env(),
                            start_new_session=True)


def library_state(lib: Path, queries: tuple[str, ...] = ()) -> dict:
    """Everything a reader can observe, minus version folder names and timestamps."""
    from catalog.db import Catalog
    from catalog.search import SearchRequest, open_searcher, search

    state: dict = {"items": {}, "hits": {}}
    with Catalog(Path(lib) / "catalog.sqlite", readonly=True) as cat:
        for item_id in cat.item_ids():
            row = cat.item_row(item_id)
            record = json.loads(cat.conn.execute("SELECT record FROM items WHERE id=?",
                                                 (item_id,)).fetchone()[0])
            state["items"][item_id] = {
                "source_hash": row.source_hash,
                "indexed": row.indexed,
                "record": record,
                "pages": [json.loads(r[0]) for r in cat.conn.execute(
                    "SELECT record FROM pages WHERE item_id=? ORDER BY ord", (item_id,))],
                "fixity": sorted((f.path, f.kind, f.size, f.sha256)
                                 for _, f in cat.fixity(item_id)),
            }
    if queries:
        with open_searcher(Path(lib) / "index") as s:
            for q in queries:
                # every hit, page by page: which ones fill the first page depends on the order
                # items reached the index, which a crash and rerun may change
                hits, page = [], 1
                while True:
                    res = search(s, SearchRequest(q, page=page, page_size=100, time_budget=5.0))
                    hits += [(h.item_id, h.order, h.kind) for h in res.hits]
                    if not res.hits or len(hits) >= res.total:
                        break
                    page += 1
                state["hits"][q] = (res.total, sorted(hits))
    return state


_VIEWER_CACHE = re.compile(r"derived/(\.)?manifest\..*json(\..*\.tmp)?$")


def orphans(lib: Path) -> list[str]:
    """Files and folders no catalogue row accounts for (empty list when the library is clean)."""
    from catalog.db import Catalog

    lib = Path(lib)
    out: list[str] = []
    with Catalog(lib / "catalog.sqlite", readonly=True) as cat:
        live = {item_id: cat.version_path(item_id) for item_id in cat.item_ids()}
        listed = {item_id: {f.path for _, f in cat.fixity(item_id)} for item_id in live}
    live_names = {Path(v).name for v in live.values()}
    staging = lib / "staging"
    if staging.is_dir():
        out += [str(p) for p in staging.iterdir()]
    for p in (lib / "items").iterdir():
        if p.is_symlink():
            if p.name not in live or os.readlink(p) != Path(live[p.name]).name:
                out.append(f"{p} -> {os.readlink(p)}")
        elif p.name not in live_names:
            out.append(str(p))
    for item_id, version in live.items():
        base = lib / version
        for f in base.rglob("*"):
            rel = f.relative_to(base).as_posix()
            if f.is_file() and rel not in listed[item_id] and not _VIEWER_CACHE.search(rel):
                out.append(str(f))
        for rel in listed[item_id]:
            if not (base / rel).is_file():
                out.append(f"missing {base / rel}")
    for name in ("index.new", "index.old"):
        if (lib / name).exists():
            out.append(str(lib / name))
    out += index_orphans(lib / "index")
    return out


def index_orphans(index_dir: Path) -> list[str]:
    """Files of the Whoosh index that its current table of contents does not reference (a
    segment half-written when the process died, say). Tests may look inside Whoosh; the
    packages other than catalog/ may not."""
    from whoosh import index as windex

    if not index_dir.is_dir():
        return []
    from whoosh.index import TOC

    ix = windex.open_dir(str(index_dir))
    try:
        gen = ix.latest_generation()
        live = {seg.make_filename(".seg") for seg in ix._segments()}
        tocs = {f"_{ix.indexname}_{gen}.toc"}
        # the writer keeps the generation it replaced, for searchers opening it (catalog/index)
        if gen > 0 and (index_dir / f"_{ix.indexname}_{gen - 1}.toc").is_file():
            previous = TOC.read(ix.storage, ix.indexname, gen - 1)
            live |= {seg.make_filename(".seg") for seg in previous.segments}
            tocs.add(f"_{ix.indexname}_{gen - 1}.toc")
    finally:
        ix.close()
    keep = live | tocs | {f"{ix.indexname}_WRITELOCK", "sudur-index.json"}
    return [str(p) for p in index_dir.iterdir() if p.name not in keep]


def visible_items_complete(lib: Path) -> tuple[int, list[str]]:
    """What a reader of the catalogue sees now: (items visible, problems with any of them).

    An item is complete when every page's files and every fixity file exist at their size. A
    file missing because the item was replaced since this reader's snapshot (its old version is
    removed after the new one is committed) is not a problem: a fresh look finds the new one.
    """
    from catalog.db import Catalog

    path = Path(lib) / "catalog.sqlite"
    if not path.is_file():
        return 0, []
    problems: list[str] = []
    with Catalog(path, readonly=True) as cat:
        cat.conn.execute("BEGIN")  # one snapshot for the whole look
        ids = cat.item_ids()
        for item_id in ids:
            version = cat.version_path(item_id)
            base = Path(lib) / version
            pages = cat.pages(item_id)
            fixity = cat.fixity(item_id)
            found: list[str] = []
            if not pages:
                found.append(f"{item_id}: visible without pages")
            for _, f in fixity:
                try:
                    size = (base / f.path).stat().st_size
                except FileNotFoundError:
                    found.append(f"{item_id}: {f.path} missing")
                    continue
                if size != f.size:
                    found.append(f"{item_id}: {f.path} is {size} bytes, not {f.size}")
            for page in pages:
                if page.image and not (base / "source" / page.image).is_file():
                    found.append(f"{item_id}: master of page {page.order} missing")
            if found and _replaced_since(path, item_id, version):
                continue
            problems += found
        cat.conn.execute("ROLLBACK")
    return len(ids), problems


def _replaced_since(path: Path, item_id: str, version: str) -> bool:
    from catalog.db import Catalog

    with Catalog(path, readonly=True) as fresh:
        row = fresh.item_row(item_id)
    return row is not None and row.version_path != version
