"""Results grouped by item (issue 14): the latency of the grouped first page (ten items, each
with its best pages and snippets, counts of items and pages, facets of items), by relevance
(the site's default) and in library order, against the ungrouped first page (ten page hits in
reading order, what ``sudur search`` answers) in the same run, on the same index and queries.

The corpus and the query classes are bench/bench_search.py's (its generated multiscript pages,
100 to an item, vocabulary from ../shared/corpora). Each round asks every query in each of the
three ways, in an order that turns from round to round, so that a slow moment of the shared
machine falls on all three alike. Figures are in docs/benchmarks-search-results.md.

    .venv/bin/python bench/bench_results.py --pages 20000 --json results.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench_search  # noqa: E402  (bench/ is this script's folder)

WAYS = ("ungrouped (reading order)", "grouped, relevance", "grouped, library order")


def ask(way: str, s, q: str, budget: float):
    from catalog.grouped import ITEMS_PER_PAGE, search_items
    from catalog.search import SearchRequest, search

    if way == WAYS[0]:
        return search(s, SearchRequest(q, page_size=10, time_budget=budget))
    sort = "relevance" if way == WAYS[1] else "reading"
    return search_items(s, SearchRequest(q, page_size=ITEMS_PER_PAGE, sort=sort,
                                         time_budget=budget))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3, help="rounds over every query")
    ap.add_argument("--budget", type=float, default=0.04,
                    help="search_time_budget: seconds for totals and facets")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--index", metavar="DIR", type=Path,
                    help="keep the index in DIR (built there if absent) to measure again")
    ap.add_argument("--only", nargs="+", metavar="CLASS", help="only these query classes")
    args = ap.parse_args()

    from catalog import index as cindex
    from catalog.searcher import open_searcher

    print(bench_search.machine_line())
    items = bench_search.corpus(args.pages, args.chars)
    query_sets = {c: qs for c, qs in bench_search.queries(items).items()
                  if not args.only or c in args.only}
    with tempfile.TemporaryDirectory() as tmp:
        where = args.index or Path(tmp) / "index"
        if not (where / "sudur-index.json").is_file() and not where.is_symlink():
            t0 = time.perf_counter()
            cindex.update_items(where, items, procs=args.procs)
            print(f"{args.pages} pages in {len(items)} items indexed in "
                  f"{time.perf_counter() - t0:.0f} s")
        del items
        times: dict[str, dict[str, list[float]]] = {c: {w: [] for w in WAYS} for c in query_sets}
        counts: dict[str, dict[str, list]] = {c: {"items": [], "estimates": 0, "asked": 0}
                                               for c in query_sets}
        with open_searcher(where) as s:
            for q in [q for qs in query_sets.values() for q in qs][:5]:  # warm the tables
                for way in WAYS:
                    ask(way, s, q, args.budget)
            for rnd in range(args.repeat):
                ways = WAYS[rnd % 3:] + WAYS[:rnd % 3]
                for cls, qs in query_sets.items():
                    for q in qs:
                        for way in ways:
                            t = time.perf_counter()
                            r = ask(way, s, q, args.budget)
                            times[cls][way].append((time.perf_counter() - t) * 1000)
                            if way == WAYS[1] and rnd == 0:
                                counts[cls]["items"].append(r.total_items)
                                counts[cls]["estimates"] += bool(r.total_items_is_estimate)
                                counts[cls]["asked"] += 1
    report(args, times, counts)


def report(args, times: dict, counts: dict) -> None:
    pct = bench_search.pct
    print(f"\nfirst page, p50 / p95 in ms ({args.repeat} rounds; budget {args.budget} s)")
    head = f"{'class':24s}" + "".join(f"{w:>28s}" for w in WAYS) + f"{'p95 ratio':>11s}"
    print(head)
    out = {"pages": args.pages, "repeat": args.repeat, "budget": args.budget, "classes": {}}
    for cls, by_way in times.items():
        cells = []
        for way in WAYS:
            ms = by_way[way]
            cells.append(f"{pct(ms, 50):10.1f} / {pct(ms, 95):7.1f}".rjust(28))
        base = pct(by_way[WAYS[0]], 95)
        ratio = pct(by_way[WAYS[1]], 95) / base if base else float("nan")
        print(f"{cls:24s}" + "".join(cells) + f"{ratio:10.2f}x")
        c = counts[cls]
        out["classes"][cls] = {
            **{way: {"p50": round(pct(ms, 50), 2), "p95": round(pct(ms, 95), 2)}
               for way, ms in by_way.items()},
            "items_median": sorted(c["items"])[len(c["items"]) // 2] if c["items"] else 0,
            "item_counts_estimated": f"{c['estimates']}/{c['asked']}"}
    print("\nitems matched (grouped, relevance): median per class; estimated counts")
    for cls, c in counts.items():
        med = sorted(c["items"])[len(c["items"]) // 2] if c["items"] else 0
        print(f"{cls:24s} median {med:5d} items   estimated {c['estimates']}/{c['asked']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
