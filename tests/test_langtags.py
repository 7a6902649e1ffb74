"""library.langtags: BCP 47 parsing, the tag -> script rule, the Han code points, the keys of
IIIF language maps (the manifests themselves: test_iiif_language_tags.py)."""
from __future__ import annotations

import pytest

from library import langtags
from library.langtags import LangTag, parse_tag

# --- parsing ---------------------------------------------------------------------------------


def test_parse_reads_every_part_in_canonical_case():
    assert parse_tag("ES-419") == LangTag("es", region="419")
    assert parse_tag("zh-hant-tw") == LangTag("zh", script="Hant", region="TW")
    assert parse_tag("bo-x-EWTS") == LangTag("bo", private=("ewts",))
    assert parse_tag("de-CH-1901") == LangTag("de", region="CH", variants=("1901",))
    assert parse_tag("sl-rozaj-biske") == LangTag("sl", variants=("rozaj", "biske"))
    assert parse_tag("zh-yue-HK") == LangTag("zh", extlangs=("yue",), region="HK")
    assert parse_tag("en-a-bbb-x-a-ccc") == LangTag("en", extensions=("a-bbb",),
                                                    private=("a", "ccc"))
    assert parse_tag("x-whatever") == LangTag("x", private=("whatever",))
    assert parse_tag("i-klingon") is not None and str(parse_tag("i-klingon")) == "i-klingon"
    for tag in ("es-419", "zh-Hant-TW", "bo-x-ewts", "de-CH-1901", "mn-Mong", "en-a-bbb-x-a-ccc"):
        assert str(parse_tag(tag)) == tag


@pytest.mark.parametrize("tag", [
    "", "en-", "-en", "e", "1a", "en--US", "en_US", "es-419-419", "de-1901-1901",
    "en-a-bbb-a-ccc", "en-a", "x", "en-x", "toolonglang", "en-US-x-waytoolongsubtag",
    "ÿs", "en US", "zh-Hant-Hans", "en-GB-oed-x",
])
def test_not_well_formed_tags_are_refused_with_a_reason(tag):
    assert parse_tag(tag) is None
    assert not langtags.is_valid_tag(tag)
    assert langtags.tag_problem(tag)


def test_normalize_mends_known_oddities_and_keeps_the_rest():
    assert langtags.normalize_tag("mn-mong") == "mn-Mong"
    assert langtags.normalize_tag("Bo-Ltn") == "bo-x-ewts"
    assert langtags.normalize_tag("es_419") == "es-419"
    assert langtags.normalize_tag("eng") == "en"
    assert langtags.normalize_tag(" en- ") == "en-"  # not mended: check reports it


# --- tag -> script ---------------------------------------------------------------------------


@pytest.mark.parametrize("tag,text,script", [
    ("mn-Mong", "", "Mong"), ("mn", "", "Mong"), ("mn", "Монгол", "Cyrl"),
    ("mn-Cyrl", "ᠮᠣᠩᠭᠣᠯ", "Cyrl"), ("xal", "", "Mong"), ("bo", "", "Tibt"),
    ("bo-x-ewts", "", "Latn"), ("zh-Hant-TW", "", "Hani"), ("zh-Hans", "", "Hani"),
    ("zh-Latn", "", "Latn"), ("es-419", "", "Latn"), ("en", "ᠮᠣᠩᠭᠣᠯ", "Latn"),
    ("und", "བྱང་ཆུབ", "Tibt"), ("sa", "", None), ("", "", None), ("en-", "", "Latn"),
])
def test_script_of(tag, text, script):
    assert langtags.script_of(tag, text) == script


@pytest.mark.parametrize("tag,system", [
    ("mn-Mong", "hudum"), ("mn", "hudum"), ("xal-Mong", "todo"), ("mn-Mong-x-todo", "todo"),
    ("mnc-Mong", "manchu"), ("bo-x-ewts", "latin"), ("zh-Hant-TW", "han"),
    ("mn-Cyrl", "cyrillic"), ("sa", None), (None, None),
])
def test_writing_system(tag, system):
    assert langtags.writing_system(tag) == system


def test_usual_script_is_the_script_of_the_book():
    assert langtags.usual_script("bo-x-ewts") == "Tibt"
    assert langtags.usual_script("zh-Latn") == "Hani"
    assert langtags.usual_script("sa") is None


def test_book_script_reads_the_book_not_its_romanisation():
    assert langtags.book_script(["bo-x-ewts"]) == "Tibt"
    assert langtags.book_script(["en", "mn"]) == "Mong"
    assert langtags.book_script(["mn-Cyrl", "zh-Hant"]) == "Hani"
    assert langtags.book_script(["", "en"], ["Latn", "Hant"]) == "Hani"
    assert langtags.book_script(["en"], ["Latn"]) is None


def test_iiif_language_map_keeps_both_texts_under_a_shared_key():
    assert langtags.iiif_language_map({"es-419": "a", "es": "b", "": "c", "en": ""}) == {
        "es": ["b", "a"], "none": ["c"]}


# --- Han code points -------------------------------------------------------------------------


@pytest.mark.parametrize("cp", [
    0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF, 0x20000, 0x2A6DF, 0x2A700, 0x2B740,
    0x2B820, 0x2CEB0, 0x2EBF0, 0x2EE5D, 0x2F800, 0x2FA1F, 0x30000, 0x3134F, 0x31350, 0x323AF,
    0x323B0, 0x3347F,
])
def test_every_cjk_ideograph_block_is_han(cp):
    assert langtags.is_han(chr(cp))
    assert langtags.letter_script(chr(cp)) == "Hani"


@pytest.mark.parametrize("cp", [0x4DC0, 0x2A6E0, 0x2EE60, 0x2F7FF, 0x2FA20, 0x33480, 0x3FFFF,
                                0x3005, 0x2F00, 0x3041])
def test_what_is_not_an_ideograph(cp):
    assert not langtags.is_han(chr(cp))


def test_han_marks_are_han_script_and_the_class_matches_the_ranges():
    import re

    assert langtags.is_han_script("\u3005") and langtags.is_han_script("\u2f00")
    han = re.compile(f"[{langtags.HAN_CLASS}]")
    for lo, hi in langtags.HAN_RANGES:
        assert han.fullmatch(chr(lo)) and han.fullmatch(chr(hi))
        assert not han.fullmatch(chr(lo - 1)) or langtags.is_han(chr(lo - 1))


def test_scripts_detection_uses_the_same_ranges():
    from library import scripts

    assert scripts.detect_script("\U00031350") == "han"  # Extension H: "other" before
    assert scripts.detect_script("\U0002EBF0") == "han"  # Extension I
    assert scripts.detect_script("\u4dc0") != "han"      # a Yijing hexagram is no ideograph


# --- IIIF language maps ----------------------------------------------------------------------


def test_language_map_keys_take_what_the_schema_takes():
    assert langtags.language_map_key("zh-Hant-TW") == "zh-Hant-TW"
    assert langtags.language_map_key("bo-x-ewts") == "bo-x-ewts"
    assert langtags.language_map_key("es-419") == "es"
    assert langtags.language_map_key("de-CH-1901") == "de-CH"
    assert langtags.language_map_key("es-419-x-latam") == "es"
    assert langtags.language_map_key("") == "none"
