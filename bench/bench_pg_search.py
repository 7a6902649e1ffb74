"""Search on PostgreSQL against the Whoosh index, in the same run on the same pages: build time
and size of each, and search p95 per query class (bench/bench_search.py's generated corpus and
query classes, imported), with the PostgreSQL rows indexed by RUM (the reading order
attached) and, for comparison, by a plain GIN index. Each search is a whole first page, as the
site asks it: ten hits with snippets, the total and the facets (time budget ``--budget``).
The pages both backends return first are compared, and a query whose first page differs is
named. Figures go to docs/benchmarks-cluster.md (section "Search on PostgreSQL").

    .venv/bin/python bench/bench_pg_search.py --pages 20000 \\
        --url postgresql://postgres@127.0.0.1:55432/postgres

``--url`` names a server with the ``rum`` extension; the benchmark creates a database of its
own there and drops it at the end. Without ``--url`` it starts a throwaway cluster
(cluster/postgres.py, Debian ``postgresql-15`` and ``postgresql-15-rum``) and stops it at the
end: its default settings (128 MB of shared buffers) suit the smaller sizes only.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

# (bench/ is this script's folder)
from bench_search import FORMULA, corpus, dir_size, machine_line, pct, queries  # noqa: E402

import psycopg  # noqa: E402

from catalog import index as cindex  # noqa: E402
from catalog.deadline import Deadline  # noqa: E402
from catalog.pg_search import PgSearcher, _compose, _dense, _matches, _settled  # noqa: E402
from catalog.pg_search_conditions import conditions  # noqa: E402
from catalog.pg_search_write import (  # noqa: E402
    GIN_INDEX, PAIRS_INDEX, POSITIONS_INDEX, RUM_INDEX, TABLE, TERMS, ensure_schema, rebuild)
from catalog.search import SearchRequest, open_searcher, search  # noqa: E402


def _database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _size(conn) -> dict[str, int]:
    """Bytes of the rows (with TOAST), of each index of theirs, and of the lexicon."""
    out = {"rows": conn.execute(f"SELECT pg_table_size('{TABLE}')").fetchone()[0],
           "lexicon": conn.execute(f"SELECT pg_total_relation_size('{TERMS}')").fetchone()[0]}
    for name, size in conn.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            f"WHERE indrelid = '{TABLE}'::regclass"):
        out[name] = size
    return out


def _timed(s, sets, budget: float, repeat: int) -> tuple[dict, dict]:
    """Per class, the wall ms of every search; and every query's first page."""
    times: dict[str, list[float]] = {}
    first: dict[str, list] = {}
    for _ in range(repeat):
        for cls, qs in sets.items():
            for q in qs:
                t0 = time.perf_counter()
                r = search(s, SearchRequest(q, page_size=10, time_budget=budget))
                times.setdefault(cls, []).append((time.perf_counter() - t0) * 1000)
                first[q] = [(h.item_id, h.order) for h in r.hits]
    return times, first


def _counting(conn, q: str) -> tuple[int, float]:
    """(matching pages, ms) of counting every match of ``q``, no budget."""

    class _S:  # the searcher's connection alone
        pass

    s = _S()
    s.conn = conn
    req = SearchRequest(q)
    q_, understood, iq, _lex = _compose(s, req, False)
    cond = conditions(conn, req, understood, q_, iq)
    where, params = cond.positioned or (cond.where, cond.params)
    t0 = time.perf_counter()
    n = conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params).fetchone()[0]
    return n, (time.perf_counter() - t0) * 1000


def _bare(conn, sets, repeat: int, sql: dict | None = None) -> dict[str, list[float]]:
    """Per class, the ms of the first 10 matches in page order alone (no snippet, total or
    facet: what the prototype of issue 13 measured); ``sql`` gets the ms of the SQL query
    alone (the rewrite, which reads the lexicon, left out)."""
    class _S:  # the searcher's connection alone
        pass

    s = _S()
    s.conn = conn
    out: dict[str, list[float]] = {}
    for _ in range(repeat):
        for cls, qs in sets.items():
            for q in qs:
                t0 = time.perf_counter()
                req = SearchRequest(q)
                q_, understood, iq, _lex = _compose(s, req, False)
                cond = conditions(conn, req, understood, q_, iq)
                t1 = time.perf_counter()
                # as the search asks it (catalog.pg_search.search)
                cond = _settled(conn, cond, Deadline(None))
                if cond is not None:
                    _matches(conn, cond, 10, Deadline(None), dense=_dense(conn, iq, _lex))
                t2 = time.perf_counter()
                out.setdefault(cls, []).append((t2 - t0) * 1000)
                if sql is not None:
                    sql.setdefault(cls, []).append((t2 - t1) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=0.04)
    ap.add_argument("--url", default="", help="a server's URL (default: a throwaway cluster)")
    ap.add_argument("--whoosh-index", default="",
                    help="keep the Whoosh index in this folder, and reuse it if it is there "
                         "(built from the same --pages and --chars: the corpus is seeded)")
    ap.add_argument("--reuse-db", default="",
                    help="search the rows already in this database of --url's server (built "
                         "from the same --pages and --chars by an earlier run): no rebuild, "
                         "the RUM index made if missing, the database kept")
    ap.add_argument("--no-gin", action="store_true",
                    help="no GIN comparison (at 200,000 pages each GIN search takes seconds)")
    ap.add_argument("--keep-db", action="store_true",
                    help="keep the database at the end (to run again with --reuse-db)")
    ap.add_argument("--no-whoosh", action="store_true",
                    help="PostgreSQL alone (a size the Whoosh index takes too long to build)")
    args = ap.parse_args()
    print(machine_line())
    items = corpus(args.pages, args.chars)
    sets = queries(items)
    n_pages = sum(len(i.pages) for i in items)
    print(f"{n_pages} pages, {sum(len(qs) for qs in sets.values())} queries in "
          f"{len(sets)} classes, {args.repeat} rounds")
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-pg-"))
    own = None
    if not args.url:
        sys.path[:0] = [str(Path(__file__).resolve().parents[1]),
                        str(Path(__file__).resolve().parents[1] / "tests")]
        from cluster.postgres import Postgres
        from pg_fixtures import free_port
        own = Postgres(Path(tempfile.mkdtemp(prefix="sudur-pg-")), free_port()).start()
        args.url = own.url("postgres")
    name = args.reuse_db or f"sudur_bench_{uuid.uuid4().hex[:8]}"
    if not args.reuse_db:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = _database(args.url, name)
    try:
        ix = Path(args.whoosh_index) if args.whoosh_index else tmp / "ix"
        if not args.no_whoosh:
            if (ix / "MAIN_WRITELOCK").exists() or any(ix.glob("*.toc")):
                print(f"Whoosh: reusing the index in {ix} ({dir_size(ix) / 2**20:.1f} MiB)")
            else:
                t0, c0 = time.perf_counter(), time.process_time()
                cindex.update_items(ix, items, procs=1)
                w_build = (time.perf_counter() - t0, time.process_time() - c0)
                print(f"Whoosh: built in {w_build[0]:.1f} s ({w_build[1]:.1f} CPU s), "
                      f"{dir_size(ix) / 2**20:.1f} MiB", flush=True)

        if args.reuse_db:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP INDEX IF EXISTS {TABLE}_keys_gin")
                t0 = time.perf_counter()
                conn.execute(RUM_INDEX)
                conn.execute(PAIRS_INDEX)
                conn.execute(POSITIONS_INDEX)
                print(f"PostgreSQL: reusing {name} (RUM indexes in place after "
                      f"{time.perf_counter() - t0:.1f} s)", flush=True)
        else:
            with psycopg.connect(url, autocommit=True) as conn:
                ensure_schema(conn, index="none")
                # what `sudur reindex` does: rows into fresh tables, then every index (the
                # b-trees and RUM) built once, then the swap
                t0, c0 = time.perf_counter(), time.process_time()
                rebuild(conn, items)
                rows = (time.perf_counter() - t0, time.process_time() - c0)
                conn.execute(f"VACUUM ANALYZE {TABLE}")
                conn.execute(f"DROP INDEX {TABLE}_keys")
                t0 = time.perf_counter()
                conn.execute(RUM_INDEX)
                rum_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                conn.execute(GIN_INDEX)
                gin_s = time.perf_counter() - t0
                conn.execute(f"ANALYZE {TABLE}")
                sizes = _size(conn)
            print(f"PostgreSQL: sudur reindex's rebuild (rows, b-trees, RUM, swap) in "
                  f"{rows[0]:.1f} s ({rows[1]:.1f} CPU s in Python); the RUM index alone again "
                  f"{rum_s:.1f} s, a GIN index {gin_s:.1f} s")
            print("  sizes: " + ", ".join(f"{k} {v / 2**20:.1f} MiB" for k, v in sizes.items()),
                  flush=True)

        results, w_first = {}, {}
        if not args.no_whoosh:
            with open_searcher(ix) as w:
                search(w, SearchRequest(FORMULA, page_size=10))  # the per-generation tables
                results["Whoosh"], w_first = _timed(w, sets, args.budget, args.repeat)
        with PgSearcher(url) as p:
            search(p, SearchRequest(FORMULA, page_size=10))
            p.conn.execute(f"DROP INDEX IF EXISTS {TABLE}_keys_gin")
            results["PostgreSQL RUM"], p_first = _timed(p, sets, args.budget, args.repeat)
            counted_rum = _counting(p.conn, FORMULA)
            sql_alone: dict = {}
            bare = {"RUM": _bare(p.conn, sets, args.repeat, sql_alone)}
            counted_gin = (0, float("nan"))
            if not args.no_gin:
                p.conn.execute(f"DROP INDEX {TABLE}_keys")
                p.conn.execute(GIN_INDEX)
                results["PostgreSQL GIN"], _ = _timed(p, sets, args.budget, args.repeat)
                counted_gin = _counting(p.conn, FORMULA)
                bare["GIN"] = _bare(p.conn, sets, args.repeat)
        differ = [q for q in w_first if w_first[q] != p_first.get(q)]
        if w_first:
            print(f"first pages differing between Whoosh and PostgreSQL: {len(differ)} "
                  f"of {len(w_first)} {differ[:5]}")
        print(f"counting every match of {FORMULA} ({counted_rum[0]} pages): RUM "
              f"{counted_rum[1]:.0f} ms, GIN {counted_gin[1]:.0f} ms")
        print()
        def ratio(rum: list, whoosh: list) -> str:
            return f" {pct(rum, 95) / max(1e-9, pct(whoosh, 95)):.2f} |" if whoosh else " - |"

        print("| query class | " + " | ".join(f"{k} p50 / p95 ms" for k in results)
              + " | RUM p95 / Whoosh p95 |")
        print("|---|" + "---|" * (len(results) + 1))
        for cls in sets:
            cells = [f"{pct(r[cls], 50):.1f} / {pct(r[cls], 95):.1f}" for r in results.values()]
            print(f"| {cls} | " + " | ".join(cells) + " |"
                  + ratio(results["PostgreSQL RUM"][cls], results.get("Whoosh", {}).get(cls)))
        every = {k: [x for xs in r.values() for x in xs] for k, r in results.items()}
        print("| all | " + " | ".join(f"{pct(v, 50):.1f} / {pct(v, 95):.1f}"
                                     for v in every.values()) + " |"
              + ratio(every["PostgreSQL RUM"], every.get("Whoosh")))
        print()
        print("first 10 matches in page order alone (query rewrite included, no snippet, "
              "total or facet), p95 ms: " + "; ".join(
                  f"{k}: " + ", ".join(f"{cls} {pct(v, 95):.1f}" for cls, v in b.items())
                  for k, b in bare.items()))
        print("the SQL query alone (RUM): " + ", ".join(
            f"{cls} {pct(v, 95):.1f}" for cls, v in sql_alone.items()))
        print("(mean of all: " + ", ".join(f"{k} {statistics.mean(v):.1f} ms"
                                           for k, v in every.items()) + ")")
    finally:
        if args.keep_db:
            print(f"kept the database {name}")
        elif not args.reuse_db:
            with psycopg.connect(args.url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if own is not None:
            own.stop()
            shutil.rmtree(own.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
