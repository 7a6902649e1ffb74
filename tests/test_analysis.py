"""Tests for catalog.analysis: the script tokenizer, the field filters and their public contract."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import analysis
from catalog.analysis import ANALYZER_VERSION, BOOSTS, FIELDS, analyzer, writing_system
from library import scripts


def toks(text: str, field: str = "x", **kw):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(field)(text, positions=True, chars=True, **kw)]


def texts(text: str, field: str = "x", **kw) -> list[str]:
    return [t[0] for t in toks(text, field, **kw)]


def originals(text: str) -> list[str]:
    return [text[s:e] for _, _, s, e in toks(text)]


def test_public_contract():
    assert FIELDS == ("x", "s", "l", "tr")
    assert BOOSTS == {"x": 4.0, "s": 3.0, "l": 2.0, "tr": 1.0}
    assert BOOSTS["x"] > BOOSTS["s"] > BOOSTS["l"] > BOOSTS["tr"]
    assert scripts.canonical_version() in ANALYZER_VERSION
    for f in FIELDS:
        assert analyzer(f) is analyzer(f)   # cached
    with pytest.raises(ValueError):
        analysis.FieldFilter("nope")


def test_analyzers_pickle_round_trip():
    # Whoosh pickles the schema, analyzers included, into the index.
    text = "ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ བཀའ་འགྱུར 唐三藏 Mongol"
    for f in FIELDS:
        clone = pickle.loads(pickle.dumps(analyzer(f)))
        assert [t.text for t in clone(text)] == texts(text, f)


def test_mongolian_nnbsp_and_space_split_suffixes():
    assert originals("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ ᠪᠢᠴᠢᠭ") == ["ᠮᠣᠩᠭᠣᠯ", "ᠤᠨ", "ᠪᠢᠴᠢᠭ"]
    assert texts("ᠮᠣᠩᠭᠣᠯ ᠤᠨ") == texts("ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ")                    # MN07


def test_mongolian_controls_stay_inside_words():
    # MVS, FVS, ZWJ, nirugu and the Todo soft hyphen do not split; one-letter suffixes are kept
    text = "ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ ᠤ ᠲᠤᠤᠵᠢ ᠶᠢ\u180eᠠ ᠭᠠᠵᠠᠷ ᠠᠳ\u180bᠠ ᠮᠣ\u200dᠩᠭᠣᠯ ᡐᡄ\u1806ᡊᡎᡅ ᠠ\u180aᠠ"
    assert originals(text) == ["ᠭᠡᠰᠡᠷ", "ᠬᠠᠭᠠᠨ", "ᠤ", "ᠲᠤᠤᠵᠢ", "ᠶᠢ\u180eᠠ", "ᠭᠠᠵᠠᠷ",
                               "ᠠᠳ\u180bᠠ", "ᠮᠣ\u200dᠩᠭᠣᠯ", "ᡐᡄ\u1806ᡊᡎᡅ", "ᠠ\u180aᠠ"]


def test_stray_controls_are_no_tokens():
    assert toks("\u180e \u200d \u180b \u0f35") == []


def test_tibetan_syllables():
    assert originals("བཀའ་འགྱུར། སངས་རྒྱས་ཀྱི་") == ["བཀའ", "འགྱུར", "སངས", "རྒྱས", "ཀྱི"]
    assert originals("ང༌།") == ["ང"]                                        # BO02: U+0F0C
    assert originals("ཨཱི་ཧཱུྃ") == ["ཨཱི", "ཧཱུྃ"]                        # single syllables kept
    assert originals("ཀ\u0f35ི་ཁ") == ["ཀ\u0f35ི", "ཁ"]                      # marks inside
    assert texts("༡༢༣") == ["123"]


def test_one_token_per_han_character_including_astral():
    text = "江格尔是卫拉特\U00020000\U0002a6a5"
    assert originals(text) == list(text)
    assert [p for _, p, _, _ in toks(text)] == list(range(len(text)))


def test_latin_and_cyrillic_words():
    # no English stop words, no minimum size
    assert texts("The Jangar, a epic; Монгол") == ["the", "jangar", "a", "epic", "монгол"]
    assert originals("bka' 'gyur g.yang hU~M") == ["bka'", "'gyur", "g.yang", "hU~M"]
    assert texts("qaγan") == ["qaγan"]
    assert texts("Činggis", "l") == ["cinggis"]
    assert texts("Čiŋgis", "tr") == texts("Chinggis", "tr")


def test_offsets_point_into_the_original_text():
    text = "ꙮ ᠮᠣᠩᠭᠣᠯ\u202fᠤᠨ, 甘珠爾 (བཀའ་འགྱུར།) Mongol"
    for f in FIELDS:
        for _, _, s, e in toks(text, f):
            assert 0 <= s < e <= len(text)
    spans = {text[s:e] for _, _, s, e in toks(text, "tr")}
    assert {"ᠮᠣᠩᠭᠣᠯ", "甘", "爾", "འགྱུར", "Mongol"} <= spans


def test_heteronyms_share_position_and_span():
    out = toks("三藏", "tr")
    zang = [t for t in out if t[1] == 1]
    assert {t[0] for t in zang} >= {"Hcang", "Hzang"}
    assert len({(t[2], t[3]) for t in zang}) == 1


def test_field_keys():
    assert texts("ᠮᠣᠩᠭᠣᠯ", "s") == ["~M+O+A+G+N+N+O+L"]
    assert texts("甘珠爾", "l") == ["甘", "珠", "尔"]
    # one skeleton; native-script tokens carry their script group (analysis.TR_GROUP)
    assert texts("ᠮᠣᠩᠭᠣᠯ Монгол Mongol", "tr") == ["Mmungul", "mungul", "mungul"]
    # Tibetan by Wylie's own rules, Chinese by pinyin's (issue 12)
    assert texts("བཀའ་འགྱུར", "tr") == ["Tbka'", "T'gyur"]
    assert texts("綠", "tr") == ["Hlü"]


def test_writing_system_context():
    ama = "\u1820\u182e\u1820"
    assert texts(ama, "s")[0].startswith("~")
    with writing_system("xal-Mong"):
        assert analysis.current_writing_system() == "xal-Mong"
        assert not texts(ama, "s")[0].startswith("~")
        assert texts("\u1834\u1820", "tr") == ["Mza"]
    assert analysis.current_writing_system() is None
    assert texts("\u1834\u1820", "tr") == ["Mca"]
    # the tag is read when the analyzer is called, not when its tokens are consumed
    with writing_system("xal-Mong"):
        stream = analyzer("tr")("\u1834\u1820")
    assert [t.text for t in stream] == ["Mza"]
    # also as a keyword argument
    assert [t.text for t in analyzer("tr")("\u1834\u1820", writing_system="xal-Mong")] == ["Mza"]
    with writing_system("mnc-Mong"):
        assert not texts("ᠮᠠᠨᠵᡠ", "s")[0].startswith("~")


def test_tokenize_false_yields_the_whole_value():
    out = list(analyzer("l")("甘珠爾", tokenize=False))
    assert len(out) == 1


_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x1800, max_codepoint=0x18AF),
    st.characters(min_codepoint=0x0F00, max_codepoint=0x0FFF),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),
    st.characters(min_codepoint=0x20000, max_codepoint=0x20080),
    st.sampled_from(list(" \u202f\u180e\u200c\u200d\u0f0b\u0f0c\u0f0d'.+~-")),
    st.characters(min_codepoint=0xE230, max_codepoint=0xE350),
    st.characters(),
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_analyzers_never_raise_and_offsets_are_sound(text):
    for f in FIELDS:
        first = toks(text, f)
        assert toks(text, f) == first          # deterministic
        last_pos = -1
        for key, pos, s, e in first:
            assert key                          # never an empty term
            assert 0 <= s < e <= len(text)
            assert pos >= last_pos
            last_pos = pos
