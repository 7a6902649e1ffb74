"""Benchmark: characters per second of the four Sudur analyzers on generated multiscript pages.

Run: .venv/bin/python bench/bench_analysis.py [pages]. Prints chars/s per field (warm cache, as
in a long indexing run, and cold, after clearing the key caches) and for all four together.
"""

import random
import sys
import time

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


def run(pages: list[str], fields=FIELDS) -> float:
    t0 = time.perf_counter()
    for p in pages:
        for f in fields:
            for _ in analyzer(f)(p, positions=True, chars=True, mode="index"):
                pass
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rng = random.Random(7)
    pages = [page(rng) for _ in range(n)]
    chars = sum(len(p) for p in pages)
    run(pages[:5])  # import/initialise lazily loaded tables
    scripts.token_keys.cache_clear()
    cold = run(pages)
    warm = run(pages)
    print(f"{n} pages, {chars} chars")
    print(f"all four fields: cold {chars / cold:,.0f} chars/s, warm {chars / warm:,.0f} chars/s")
    for f in FIELDS:
        t = run(pages, (f,))
        print(f"  {f:>2}: {chars / t:,.0f} chars/s (warm)")
    print(f"20,000 pages x 1,500 chars, four fields: ~{20000 * 1500 / (chars / warm):.0f} s warm")


if __name__ == "__main__":
    main()
