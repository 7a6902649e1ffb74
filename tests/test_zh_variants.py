"""The Han variant table comes from shipped sources (mk/make_zh_variants.py): OpenCC's variant
dictionaries and Unihan's variant data (read once into library/data/zh_variants_unihan.tsv),
with one reviewed pair no source has; it folds variants, never mere homophones."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import index as cindex
from catalog.search import SearchRequest, open_searcher, page_matches
from library import scripts
from library.models import Item, Page

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "library" / "data"


def _mk():
    spec = importlib.util.spec_from_file_location("make_zh_variants",
                                                  ROOT / "mk" / "make_zh_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_table_is_what_the_sources_give():
    r = subprocess.run([sys.executable, str(ROOT / "mk" / "make_zh_variants.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, "run mk/make_zh_variants.py: the table is stale " + r.stderr


def _rows(name: str) -> list[list[str]]:
    return [line.split("\t") for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def test_unihan_pairs_name_their_source_and_rule():
    text = (DATA / "zh_variants_unihan.tsv").read_text(encoding="utf-8")
    assert "Source: Unihan 15.0.0" in text.splitlines()[0]
    rules = {r[2] for r in _rows("zh_variants_unihan.tsv")}
    assert rules == {"Unihan kZVariant", "Unihan kSemanticVariant", "Unihan K0 form"}


def test_hand_listed_pairs_are_few_and_give_their_reason():
    rows = _rows("zh_variants_extra.tsv")
    assert [(a, b) for a, b, _ in rows] == [("罣", "挂")]
    assert all(len(why) > 40 for _, _, why in rows)


@pytest.mark.parametrize("variant,standard", [
    ("罣", "挂"), ("仏", "佛"), ("著", "着"), ("呪", "咒"), ("婬", "淫"),
    # the pairs of the former hand-typed table
    ("尙", "尚"), ("値", "值"), ("淸", "清"), ("槪", "概"), ("緖", "緒"), ("硏", "研"),
    ("姸", "妍"), ("靑", "青"), ("衞", "衛"), ("鬪", "鬥"), ("鬭", "鬥"), ("敍", "敘"),
    ("冩", "寫"), ("涙", "淚"), ("黒", "黑"), ("乗", "乘"), ("経", "經"), ("戸", "戶"),
    ("呉", "吳"), ("陁", "陀"), ("僊", "仙"), ("汚", "污"),
    # from Unihan's variant fields and Korean forms: the canon's 毘盧遮那 is 毗盧遮那
    ("毘", "毗"), ("蕚", "萼"), ("愽", "博"), ("甛", "甜"), ("裵", "裴"), ("顚", "顛"),
])
def test_variants_share_the_loose_key(variant, standard):
    assert scripts.han_loose(variant) == scripts.han_loose(standard)


@pytest.mark.parametrize("a,b", [("心", "新"), ("空", "恐"), ("界", "家"), ("芸", "藝"),
                                 ("欠", "缺"), ("經", "境"),
                                 # Unihan semantic variants that are two words today
                                 ("溽", "縟"), ("姆", "姥")])
def test_homophones_and_false_friends_stay_apart(a, b):
    # 芸/藝 and 欠/缺 are Japanese simplifications, but different Chinese characters
    assert scripts.han_loose(a) != scripts.han_loose(b)


# A made-up excerpt of Unihan, in its own format, for the rules alone.
UNIHAN = """\
# Unihan_Variants.txt
U+5A6C\tkSemanticVariant\tU+6DEB<kMeyerWempe
U+6DEB\tkSemanticVariant\tU+5A6C<kMeyerWempe
U+6EBD\tkSemanticVariant\tU+7E1F<kMatthews
U+7DD6\tkZVariant\tU+7DD2
U+5F0C\tkSemanticVariant\tU+4E00 U+58F9
U+5C19\tkIRG_GSource\tGE-3679
U+5C19\tkIRG_KSource\tK0-5F46
U+5C19\tkRSUnicode\t42.5
U+5C19\tkDefinition\tstill, yet; even
U+5C1A\tkIRG_GSource\tG0-4950
U+5C1A\tkRSUnicode\t42.5
U+5C1A\tkDefinition\tstill, yet; even; fairly, rather
U+5C1B\tkIRG_GSource\tG0-0001
U+5C1B\tkRSUnicode\t42.5
U+5C1B\tkDefinition\tstillness
U+4E6D\tkIRG_KSource\tK0-0001
U+4E6D\tkRSUnicode\t5.5
U+4E6D\tkDefinition\trock; used in Korean names
U+4E68\tkIRG_GSource\tG0-0002
U+4E68\tkRSUnicode\t5.5
U+4E68\tkDefinition\tthe beginning
"""
READINGS = {"婬": {"yin"}, "淫": {"yin"}, "溽": {"ru"}, "縟": {"ru"}, "緖": {"xu"}, "緒": {"xu"},
            "一": {"yi"}, "壹": {"yi"}, "弌": {"yi"}, "尙": {"shang"}, "尚": {"shang"},
            "尛": {"shang"}, "乭": {"shi"}, "乨": {"shi"}}
T2S = {"縟": "缛", "緒": "绪", "壹": "壹"}


def test_unihan_rules_on_an_excerpt():
    mk = _mk()
    fields = {"kZVariant", "kSemanticVariant", "kRSUnicode", "kDefinition", "kIRG_GSource",
              "kIRG_KSource"}
    props = mk.read_unihan(UNIHAN.splitlines(), fields)
    pairs = {(a, b): why for a, b, why in mk.unihan_pairs(
        props, lambda c: READINGS.get(c, set()), lambda c: T2S.get(c, c))}
    assert pairs[("婬", "淫")] == "Unihan kSemanticVariant"  # a rare form of a standard one
    assert pairs[("緖", "緒")] == "Unihan kZVariant"
    assert ("溽", "縟") not in pairs and ("縟", "溽") not in pairs  # two standard characters
    # 弌 is linked to 一 and 壹, two different standard characters: ambiguous
    assert not any("弌" in p for p in pairs)
    # a Korean form whose definition the standard one begins with; 尛 "stillness" is not it
    assert pairs[("尙", "尚")] == "Unihan K0 form"
    # same radical, strokes and reading, but another definition: another character
    assert not any("乭" in p for p in pairs)


@pytest.fixture(scope="module")
def variant_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("zhv") / "index"
    it = Item(id="v", titles={"en": "v"}, collections=["c"], languages=["zh-Hant"])
    it.pages = [Page(item_id="v", order=1, label="1",
                     text="毗盧遮那毘盧遮那，尚尙上賞，清淸青靑情請，心親新，婬淫銀，呪咒晝，罣挂卦")]
    cindex.update_items(d, [it])
    return d


@pytest.mark.parametrize("query", list("毗毘尚尙清淸青靑心新婬淫呪咒罣挂"))
def test_one_character_highlights_only_itself_and_its_variants(variant_index, query):
    with open_searcher(variant_index) as s:
        found = page_matches(s, SearchRequest(query, item="v"))
    # (adjacent marks are joined into one span: 尚尙)
    marked = {c for a, b in found[0].spans for c in found[0].text[a:b]}
    assert query in marked
    assert all(scripts.han_loose(m) == scripts.han_loose(query) for m in marked), marked
    assert len(marked) <= 2, marked
