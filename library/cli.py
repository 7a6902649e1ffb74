"""The ``sudur`` command line (click). Commands import the other packages inside their bodies,
so ``library`` stays the bottom layer. SudurErrors are translated here once: the message, the
file and line, and what to do next."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import click

from .errors import CatalogUnavailableError, StoreUnavailableError, SudurError
from .settings import DEFAULT_LIBRARY, Settings


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SudurError as exc:
            click.echo(f"error: {exc}", err=True)
            if exc.hint:
                click.echo(f"  → {exc.hint}", err=True)
            # 75 (EX_TEMPFAIL): the store or the catalogue's server is down; the same command
            # works when it is back
            ctx.exit(75 if isinstance(exc, (StoreUnavailableError, CatalogUnavailableError)) else 2)


@click.group(cls=_Group)
@click.option("--library", "library", envvar="SUDUR_LIBRARY", default=DEFAULT_LIBRARY,
              show_default=True, type=click.Path(file_okay=False),
              help="the library folder (env SUDUR_LIBRARY)")
@click.version_option(package_name="sudur")
@click.pass_context
def cli(ctx: click.Context, library: str) -> None:
    """Sudur: a digital library for ancient texts (TEI in, IIIF out)."""
    ctx.obj = Settings.load(library)


def _report_plans(plans, out=None) -> tuple[int, int]:
    from ingest.report import pairing_lines

    n_err = n_warn = 0
    for plan in plans:
        errs, warns = plan.errors, plan.warnings
        n_err += len(errs)
        n_warn += len(warns)
        mark = "✗" if errs else ("!" if warns else "✓")
        pages = len(plan.item.pages) if plan.item else 0
        click.echo(f"{mark} {plan.item_id}: {pages} pages, {len(errs)} errors, "
                   f"{len(warns)} warnings", file=out)
        for d in errs + warns:
            click.echo(f"    {d}", file=out)
        for line in pairing_lines(plan):  # which OCR went with which page, and why
            click.echo(f"    {line}", file=out)
    return n_err, n_warn


@cli.command()
@click.argument("batch", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--report", type=click.Path(dir_okay=False), help="write an HTML report here")
@click.option("--strict", is_flag=True, help="exit 3 when there are warnings but no errors")
@click.option("--no-schema", is_flag=True,
              help="skip TEI validation against tei_all (it takes ~10 s to load)")
@click.pass_obj
def check(settings: Settings, batch: str, fmt: str, report: Optional[str], strict: bool,
          no_schema: bool) -> None:
    """Validate a batch without writing anything.

    Exit status: 0 no errors (warnings allowed), 1 errors, 3 warnings only with --strict,
    2 the batch could not be read at all.
    """
    from catalog.catalogue import catalog_exists, open_catalog
    from ingest.pipeline import check_batch

    existing: list[str] = []
    if catalog_exists(settings):
        with open_catalog(settings, readonly=True) as cat:
            existing = cat.item_ids()
    plans = check_batch(Path(batch), settings, existing, validate_tei=not no_schema)
    if report:
        from ingest.report import html_report
        Path(report).write_text(html_report(plans, batch), encoding="utf-8")
    n_err = sum(len(p.errors) for p in plans)
    n_warn = sum(len(p.warnings) for p in plans)
    if fmt == "json":
        from ingest.report import json_report
        click.echo(json.dumps(json_report(plans, batch), ensure_ascii=False, indent=2))
    else:
        _report_plans(plans)
        click.echo(f"{len(plans)} items: {sum(1 for p in plans if not p.errors)} ok, "
                   f"{sum(1 for p in plans if p.errors)} with errors; {n_err} errors, "
                   f"{n_warn} warnings")
    sys.exit(1 if n_err else (3 if strict and n_warn else 0))


@cli.command()
@click.argument("batch", type=click.Path(exists=True, file_okay=False))
@click.option("--workers", type=int, default=0, help="processes to use (0 = all cores)")
@click.option("--dask", "dask", default=None, metavar="ADDRESS",
              help="cut page derivatives on this Dask scheduler (tcp://HOST:8786; default: the "
                   "setting dask_scheduler; '' = local processes)")
@click.pass_obj
def ingest(settings: Settings, batch: str, workers: int, dask: Optional[str]) -> None:
    """Check, then ingest a batch; resumable; nonzero exit if any item failed."""
    from ingest.batch import item_folders
    from ingest.pipeline import ingest_batch, payload_of

    n = len(item_folders(payload_of(Path(batch))))
    workers = workers or settings.workers or os.cpu_count() or 1
    with click.progressbar(length=n, label="ingesting", file=sys.stderr,
                           show_pos=True) as bar:
        summary = ingest_batch(Path(batch), settings, workers=workers, dask=dask,
                               progress=lambda prep: bar.update(1))
    for item_id, errors in summary.failed.items():
        click.echo(f"✗ {item_id}: not ingested", err=True)
        for d in errors:
            click.echo(f"    {d}", err=True)
    for item_id, warns in summary.warnings.items():
        for d in warns:
            click.echo(f"! {item_id}: {d}" if item_id else f"! {d}", err=True)
    click.echo(f"{len(summary.ingested)} items ingested, {len(summary.skipped)} unchanged, "
               f"{len(summary.failed)} failed, {summary.pages} pages, "
               f"{summary.seconds:.1f} s")
    if summary.failed:
        click.echo("  → fix the files named above and run `sudur ingest` again; the items "
                   "already ingested are kept", err=True)
        sys.exit(1)


class _LimitOption(click.Option):
    """``--limit``, whose help names the cap where it is defined (catalog.request, imported
    only when the help is shown)."""

    def get_help_record(self, ctx: click.Context) -> Optional[tuple[str, str]]:
        from catalog.request import MAX_PAGE_SIZE

        self.help = (f"hits per page, at most {MAX_PAGE_SIZE}: a larger number is capped, "
                     "and the output says so")
        return super().get_help_record(ctx)


@cli.command()
@click.argument("query")
@click.option("--exact", is_flag=True, help="match the spelling exactly (no folding)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--limit", cls=_LimitOption, type=click.IntRange(min=1), default=20,
              show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--relevance", is_flag=True, help="rank by relevance instead of reading order")
@click.pass_obj
def search(settings: Settings, query: str, exact: bool, as_json: bool, limit: int, page: int,
           relevance: bool) -> None:
    """Full-text search in any script or transliteration."""
    from catalog.request import MAX_PAGE_SIZE
    from catalog.search import SearchRequest, search as run
    from catalog.catalogue import catalog_exists, is_postgres, open_catalog, where
    from catalog.searcher import open_library_searcher
    from .store import Store

    capped = limit > MAX_PAGE_SIZE
    req = SearchRequest.create(query, settings, exact=exact, page=page,
                               page_size=min(limit, MAX_PAGE_SIZE),
                               sort="relevance" if relevance else "reading")
    if not catalog_exists(settings):  # a mistyped --library, not 0 hits
        raise SudurError(f"no library at {where(settings)}", hint="check --library")

    def holds_items() -> bool:
        with open_catalog(settings, readonly=True) as cat:
            return bool(cat.item_ids())
    if is_postgres(settings):  # the search rows live in the catalogue's database
        from catalog.pg_search import open_search_backend
        searcher = open_search_backend(settings)
    else:
        searcher = open_library_searcher(Store(settings.library), holds_items=holds_items)
    with searcher as s:
        result = run(s, req)
    if as_json:
        data = result.to_json()
        data["limit_asked"], data["limit_capped"] = limit, capped
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if capped:
        click.echo(f"note: --limit is capped at {MAX_PAGE_SIZE}: at most {MAX_PAGE_SIZE} hits "
                   "are shown (use --page for the next ones)", err=True)
    est = "about " if result.total_is_estimate else ""
    click.echo(f"{est}{result.total} hits for {query!r}")
    if result.partial:
        click.echo(f"the search took longer than {settings.search_deadline:g} s and was "
                   "stopped: these results are incomplete")
    for group in result.items:
        click.echo(f"{group.item_id}  {group.title}")
        for h in group.hits:
            kw = h.kwic
            click.echo(f"   p.{h.label or h.order}: {kw.get('before', '')}[{kw.get('match', '')}]"
                       f"{kw.get('after', '')}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Run the web app (development server; use gunicorn in production)."""
    from viewer import create_app

    app = create_app({"SUDUR_SETTINGS": settings})
    if not settings.base_url:
        click.echo("warning: base_url is not set: IIIF ids, OAI identifiers and citations are "
                   "built from each request's Host header; set SUDUR_BASE_URL to the public URL",
                   err=True)
    click.echo(f"Sudur serving {settings.library} at http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, threaded=True)


@cli.command()
@click.pass_obj
def reindex(settings: Settings) -> None:
    """Rebuild the search index from the catalogue."""
    from catalog.catalogue import catalog_exists, ingest_lock, is_postgres, open_catalog, where
    from catalog.index import rebuild
    from .store import Store

    store = Store(settings.library)
    if not catalog_exists(settings):
        raise SudurError(f"no library at {where(settings)}",
                         hint="run `sudur ingest BATCH` first")
    store.root.mkdir(parents=True, exist_ok=True)  # a new node of a shared catalogue
    with ingest_lock(settings, store) as lock, open_catalog(settings) as cat:
        _echo_took_over(lock)
        if is_postgres(settings):  # the search rows beside the catalogue, in one commit
            from catalog import pg_search_write
            n = pg_search_write.rebuild(cat.conn, cat.items(with_pages=True))
            cat.mark_indexed(cat.item_ids())
        else:
            n = rebuild(store.index_dir, cat)
    click.echo(f"indexed {n} documents")


@cli.command()
@click.argument("item")
@click.option("--reason", required=True, metavar="TEXT",
              help="why (a rights claim, a duplicate, an error): shown at the item's URLs")
@click.pass_obj
def withdraw(settings: Settings, item: str, reason: str) -> None:
    """Withdraw a published item: its URLs answer 410 Gone with the date and the reason, OAI
    lists it as deleted; ingesting it again publishes it again."""
    from datetime import datetime, timezone

    from catalog.withdrawal import withdraw as run
    from .storage import open_store

    done = run(settings, open_store(settings), item, reason)
    for note in done.warnings:
        click.echo(f"! {note}", err=True)
    tomb = done.tombstone
    when = datetime.fromtimestamp(tomb.withdrawn, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if done.already:
        click.echo(f"{tomb.item_id} is already withdrawn (since {when}: {tomb.reason}); "
                   "nothing done")
        return
    click.echo(f"withdrew {tomb.item_id} ({tomb.title}) at {when}: {tomb.reason}")
    click.echo("  removed from the catalogue and from search"
               + (f" ({done.index_documents} index documents)" if done.index_documents else ""))
    click.echo("  its URLs answer 410 Gone; OAI-PMH and IIIF Change Discovery list it as deleted")
    for work in done.works:
        click.echo(f"  work {work} keeps its other volumes and shows this one as not in the "
                   "library")
    click.echo(f"  removed {len(done.removed)} unreferenced files or folders (garbage collection)")
    click.echo("  → `sudur ingest` of its batch publishes it again")


@cli.command()
@click.pass_obj
def migrate(settings: Settings) -> None:
    """Bring the catalogue's schema up to this Sudur's version (in a rolling upgrade, once,
    from one upgraded node, before the others are upgraded)."""
    from catalog.catalogue import migrate as migrate_catalogue
    from catalog.catalogue import where

    before, after = migrate_catalogue(settings)
    if before == after:
        click.echo(f"the catalogue {where(settings)} is at schema version {after}: "
                   "nothing to do")
    else:
        click.echo(f"the catalogue {where(settings)}: schema version {before} → {after}")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
def sample(out: str) -> None:
    """Write the built-in sample batch to OUT."""
    from .sample import write_sample

    ids = write_sample(Path(out))
    click.echo(f"wrote {len(ids)} sample items to {out}: {', '.join(ids)}")


@cli.command()
@click.option("--port", default=5000, type=int, show_default=True)
@click.pass_obj
@click.pass_context
def demo(ctx: click.Context, settings: Settings, port: int) -> None:
    """Write the sample, ingest it into the library and serve it on 127.0.0.1."""
    from ingest.pipeline import ingest_batch
    from .sample import write_sample

    batch = Path(settings.library) / "sample-batch"
    write_sample(batch)
    summary = ingest_batch(batch, settings, workers=os.cpu_count() or 1)
    click.echo(f"{len(summary.ingested)} ingested, {len(summary.skipped)} unchanged, "
               f"{len(summary.failed)} failed")
    if summary.failed:
        raise SudurError("the sample did not ingest: "
                         + "; ".join(str(d) for ds in summary.failed.values() for d in ds))
    ctx.invoke(serve, host="127.0.0.1", port=port)


@cli.command()
@click.option("--quick", is_flag=True,
              help="compare file sizes, not checksums (minutes rather than hours)")
@click.option("--repair", is_flag=True,
              help="fix what can be derived: the index, links, leftover folders, derivatives; "
                   "never a master")
@click.pass_obj
def verify(settings: Settings, quick: bool, repair: bool) -> None:
    """Check that the catalogue, the files and the index agree, and re-read every master and
    derivative to compare its SHA-256 (exit 1 on any problem left)."""
    from catalog.consistency import check_files, check_library, repair as fix
    from catalog.catalogue import catalog_exists, ingest_lock, open_catalog, where
    from .storage import open_store

    store = open_store(settings)
    if not catalog_exists(settings):
        raise SudurError(f"no library at {where(settings)}", hint="check --library")
    with open_catalog(settings, readonly=not repair) as cat:
        with ingest_lock(settings, store) as lock:  # judged with no ingest halfway through
            _echo_took_over(lock)
            findings = check_library(store, cat)
        checked, damaged = check_files(store, cat, checksums=not quick)
        findings += damaged
        if repair and findings:
            with ingest_lock(settings, store) as lock:
                _echo_took_over(lock)
                for line in fix(store, cat, findings, tile_size=settings.tile_size,
                                thumb_width=settings.thumb_width):
                    click.echo(f"✓ {line}")
                findings = check_library(store, cat)
            findings += check_files(store, cat, checksums=not quick,
                                    item_ids={f.item_id for f in damaged})[1]
    for f in findings:
        click.echo(f"✗ {f}", err=True)
        click.echo(f"    → {f.fix}", err=True)
    click.echo(f"{checked} files checked, {len(findings)} problems")
    if findings:
        if not repair and any(f.repairable for f in findings):
            click.echo("  → `sudur verify --repair` fixes what can be derived", err=True)
        sys.exit(1)


def _echo_took_over(lock) -> None:
    if lock.took_over:
        click.echo(f"! {lock.took_over}", err=True)


@cli.command()
@click.argument("item")
@click.option("--bag", "bag", required=True, type=click.Path(file_okay=False),
              help="write the item as a BagIt bag here")
@click.pass_obj
def export(settings: Settings, item: str, bag: str) -> None:
    """Write an item back out as a BagIt bag: TEI, masters and catalogue record."""
    from catalog.catalogue import open_catalog
    from catalog.fixity import export_bag
    from .storage import open_store

    store = open_store(settings)
    with open_catalog(settings, readonly=True) as cat:
        out = export_bag(store, cat, item, Path(bag))
    click.echo(f"wrote {out}")


def main() -> None:
    cli(prog_name="sudur")


if __name__ == "__main__":
    main()
