"""Benchmark: characters per second of the four Sudur analyzers on generated multiscript pages.

Run: .venv/bin/python bench/bench_analysis.py [pages]. Prints chars per CPU second per field (warm cache, as
in a long indexing run, and cold, after clearing the key caches) and for all four together, and for
the one-pass analysis the index writer uses (``analysis.document_postings``: every key of every
token from one tokenisation).
"""

import random
import sys
import time

from catalog import analysis
from catalog.analysis import FIELDS, analyzer
from library import scripts

_HUDUM = ["ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ", "ᠪᠢᠴᠢᠭ", "ᠭᠡᠰᠡᠷ", "ᠬᠠᠭᠠᠨ", "ᠬᠠᠷ᠎ᠠ", "ᠵᠠᠩᠭᠠᠷ", "ᠰᠠᠢᠨ", "ᠨᠣᠮ",
          "ᠪᠤᠷᠬᠠᠨ\u202fᠤ", "ᠪᠠᠭᠰᠢ", "ᠡᠷᠳᠡᠨᠢ", "ᠲᠡᠩᠭᠡᠷᠢ\u202fᠶᠢᠨ", "ᠦᠭᠡ", "ᠬᠦᠮᠦᠨ", "ᠭᠠᠵᠠᠷ"]
_TIB = "བཀའ་འགྱུར་བྱང་ཆུབ་སེམས་དཔའ་སངས་རྒྱས་ཀྱི་བླ་མའི་ཆོས་རྣམས་ཐམས་ཅད་ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པ།"
_HAN = "江格尔是卫拉特蒙古的英雄史诗混沌未分天地亂茫茫渺渺無人見大唐三藏法師玄奘奉詔譯甘珠爾格斯爾傳"
_LAT = ["Mongol", "Gesar", "Jangar", "Kangyur", "folio", "bka'", "'gyur", "Монгол", "Гэсэр", "1a"]


def page(rng: random.Random, n: int = 1500) -> str:
    parts: list[str] = []
    size = 0
    while size < n:
        kind = rng.random()
        if kind < 0.4:
            s = " ".join(rng.choice(_HUDUM) for _ in range(8))
        elif kind < 0.7:
            i = rng.randrange(len(_TIB) - 40)
            s = _TIB[i:i + 40]
        elif kind < 0.9:
            i = rng.randrange(len(_HAN) - 20)
            s = _HAN[i:i + 20]
        else:
            s = " ".join(rng.choice(_LAT) for _ in range(6))
        parts.append(s)
        size += len(s) + 1
    return "\n".join(parts)[:n]


def random_page(rng: random.Random, n: int = 1500) -> str:
    """A page of made-up words (every Mongolian word new): the worst case for the key caches."""
    hud = [chr(c) for c in range(0x1820, 0x1843)]
    cons = [chr(c) for c in range(0x0F40, 0x0F6A)]
    parts: list[str] = []
    size = 0
    while size < n:
        k = rng.random()
        if k < 0.4:
            s = " ".join("".join(rng.choice(hud) for _ in range(rng.randint(2, 8)))
                         for _ in range(3))
        elif k < 0.7:
            s = "་".join(rng.choice(cons) + rng.choice(["\u0fb1", "\u0fb2", ""])
                         + rng.choice(["\u0f72", "\u0f74", "\u0f7a", "\u0f7c", ""])
                         + rng.choice(cons + [""] * 10) for _ in range(5)) + "།"
        elif k < 0.9:
            s = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(8))
        else:
            s = "Mongol Gesar bka' folio Монгол"
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)[:n]


def run(pages: list[str], fields=FIELDS, chars: bool = False) -> float:
    """CPU seconds to analyse ``pages`` in ``fields`` the way Whoosh indexes (positions only)."""
    t0 = time.process_time()
    for p in pages:
        for f in fields:
            for _ in analyzer(f)(p, positions=True, chars=chars, boosts=True, mode="index"):
                pass
    return time.process_time() - t0


def run_one_pass(pages: list[str]) -> float:
    """CPU seconds to compute every index term of ``pages`` in one pass per page."""
    t0 = time.process_time()
    for p in pages:
        analysis.document_postings(p, "")
    return time.process_time() - t0


def clear_caches() -> None:
    for fn in (scripts.token_keys, analysis.index_keys, analysis.index_terms):
        fn.cache_clear()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(7)
    pages = [page(rng) for _ in range(n)]
    chars = sum(len(p) for p in pages)
    run(pages[:5])  # import/initialise lazily loaded tables
    clear_caches()
    cold = run_one_pass(pages)
    warm = run_one_pass(pages)
    print(f"{n} pages, {chars} chars")
    print(f"one pass, all keys (index writer): cold {chars / cold:,.0f} chars/s, "
          f"warm {chars / warm:,.0f} chars/s")
    clear_caches()
    cold = run(pages)
    warm = run(pages)
    print(f"all four field analyzers: cold {chars / cold:,.0f} chars/s, "
          f"warm {chars / warm:,.0f} chars/s")
    for f in FIELDS:
        t = run(pages, (f,))
        print(f"  {f:>2}: {chars / t:,.0f} chars/s (warm)")
    t = run(pages, chars=True)
    print(f"with character offsets (highlighting path): {chars / t:,.0f} chars/s, four fields")
    print(f"20,000 pages x 1,500 chars, four fields: ~{20000 * 1500 / (chars / warm):.0f} s warm")
    rpages = [random_page(rng) for _ in range(n)]
    rchars = sum(len(p) for p in rpages)
    clear_caches()
    cold = run(rpages)
    warm = run(rpages)
    print(f"random vocabulary (worst case): cold {rchars / cold:,.0f} chars/s, "
          f"warm {rchars / warm:,.0f} chars/s, four fields")


if __name__ == "__main__":
    main()
