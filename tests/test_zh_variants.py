"""The Han variant table comes from OpenCC's shipped dictionaries (mk/make_zh_variants.py), with
a short reviewed supplement; it folds variants, never mere homophones."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from library import scripts

ROOT = Path(__file__).resolve().parent.parent


def test_committed_table_is_what_opencc_gives():
    r = subprocess.run([sys.executable, str(ROOT / "mk" / "make_zh_variants.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, "run mk/make_zh_variants.py: the table is stale " + r.stderr


@pytest.mark.parametrize("variant,standard", [
    ("罣", "挂"), ("仏", "佛"), ("著", "着"), ("呪", "咒"), ("婬", "淫"),
    # the pairs of the former hand-typed table
    ("尙", "尚"), ("値", "值"), ("淸", "清"), ("槪", "概"), ("緖", "緒"), ("硏", "研"),
    ("姸", "妍"), ("靑", "青"), ("衞", "衛"), ("鬪", "鬥"), ("鬭", "鬥"), ("敍", "敘"),
    ("冩", "寫"), ("涙", "淚"), ("黒", "黑"), ("乗", "乘"), ("経", "經"), ("戸", "戶"),
    ("呉", "吳"), ("陁", "陀"), ("僊", "仙"), ("汚", "污"),
])
def test_variants_share_the_loose_key(variant, standard):
    assert scripts.han_loose(variant) == scripts.han_loose(standard)


@pytest.mark.parametrize("a,b", [("心", "新"), ("空", "恐"), ("界", "家"), ("芸", "藝"),
                                 ("欠", "缺"), ("經", "境")])
def test_homophones_and_false_friends_stay_apart(a, b):
    # 芸/藝 and 欠/缺 are Japanese simplifications, but different Chinese characters
    assert scripts.han_loose(a) != scripts.han_loose(b)
