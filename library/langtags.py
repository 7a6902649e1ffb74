"""Language tags (BCP 47) and the scripts they announce: the one home of both rules.

- ``parse_tag`` reads a tag into a ``LangTag`` (language, extlangs, script, region such as ``TW``
  or ``419``, variants, extensions, private use such as ``x-ewts``) following the RFC 5646
  grammar, or gives None when it is not well formed; ``tag_problem`` says why.
- ``normalize_tag`` puts a tag in canonical case and mends the non-BCP 47 tags met in real TEI
  (``bo-ltn`` of 84000, ISO 639-2 codes, ``_`` for ``-``).
- ``script_of`` is the tag -> ISO 15924 script rule (``Mong``, ``Tibt``, ``Hani``, ``Latn``,
  ``Cyrl``) and ``writing_system`` the tag -> search script name rule (``hudum``, ``todo``,
  ``manchu``, ``tibetan``, ``han``, ``latin``, ``cyrillic``).
- ``HAN_RANGES`` is the one definition of the Han ideograph code points (every CJK Unified
  Ideographs block through Extension J, and both compatibility blocks); ``letter_script`` and
  ``script_counts`` tell the script of letters by code point.
- ``book_script`` is the script family (Mong, Tibt, Hani) of a book from its tags, for its
  reading direction; ``language_map_key`` and ``iiif_language_map`` give the keys of IIIF
  language maps, which the IIIF schema limits to letters and hyphens.

Pure functions on strings; nothing here imports another module of the project.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

# Search script names (library.scripts uses them for tokens, tags give them for documents).
HUDUM = "hudum"
TODO = "todo"
MANCHU = "manchu"
TIBETAN = "tibetan"
HAN = "han"
LATIN = "latin"
CYRILLIC = "cyrillic"

# ---------------------------------------------------------------------------------------------
# Han code points
# ---------------------------------------------------------------------------------------------

# The CJK ideograph blocks (Unicode 17 Blocks.txt). Whole blocks, so that characters a newer
# Unicode assigns are Han the day they appear; a block's unassigned tail is harmless.
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),    # Extension A
    (0x4E00, 0x9FFF),    # CJK Unified Ideographs
    (0xF900, 0xFAFF),    # CJK Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EE5F),  # Extensions C, D, E, F and I (adjacent blocks)
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x30000, 0x3347F),  # Extensions G, H and J (adjacent blocks)
)
# Han-script characters that are not ideographs: CJK Radicals Supplement and Kangxi Radicals,
# the iteration mark 々, the ideographic zero 〇, the Hangzhou numerals and 〸〹〺〻.
# Searched as Han, never counted as letters.
HAN_MARK_RANGES: tuple[tuple[int, int], ...] = ((0x2E80, 0x2FDF), (0x3005, 0x3005),
                                               (0x3007, 0x3007), (0x3021, 0x3029),
                                               (0x3038, 0x303B))


def is_han(ch: str) -> bool:
    """Whether the character ``ch`` is a Han ideograph (any CJK ideograph block)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in HAN_RANGES)


def ranges_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """The ranges as the inside of a regex character class (``"\\u3400-\\u4dbf..."``)."""
    def one(cp: int) -> str:
        return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"
    return "".join(one(lo) if lo == hi else f"{one(lo)}-{one(hi)}" for lo, hi in ranges)


def is_han_script(ch: str) -> bool:
    """Whether ``ch`` is of the Han script: an ideograph, a radical, 々 or 〇."""
    cp = ord(ch)
    return is_han(ch) or any(lo <= cp <= hi for lo, hi in HAN_MARK_RANGES)


HAN_CLASS = ranges_class(HAN_RANGES)
HAN_SCRIPT_CLASS = ranges_class(HAN_MARK_RANGES + HAN_RANGES)
# East Asian text written without spaces between words: radicals, CJK punctuation, kana,
# bopomofo, enclosed and compatibility forms, fullwidth forms and every ideograph. A line break
# inside such a run is no space.
SPACELESS_CLASS = ranges_class(((0x2E80, 0x9FFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
                               + HAN_RANGES)

# Letters of the scripts this library knows, by ISO 15924 code, for counting a text's scripts.
_LETTER_RANGES: tuple[tuple[str, int, int], ...] = (
    ("Mong", 0x1800, 0x18AF), ("Mong", 0x11660, 0x1167F),
    ("Tibt", 0x0F00, 0x0FFF),
    *(("Hani", lo, hi) for lo, hi in HAN_RANGES),
    ("Cyrl", 0x0400, 0x052F),
    ("Latn", 0x0041, 0x005A), ("Latn", 0x0061, 0x007A), ("Latn", 0x00C0, 0x024F),
    ("Latn", 0x1E00, 0x1EFF),
)


def letter_script(ch: str) -> Optional[str]:
    """The ISO 15924 script of one character, for the scripts above; None for the rest."""
    cp = ord(ch)
    if cp < 0x41:
        return None
    for code, lo, hi in _LETTER_RANGES:
        if lo <= cp <= hi:
            return code
    return None


def script_counts(text: str) -> dict[str, int]:
    """How many letters of each ISO 15924 script ``text`` holds."""
    counts: dict[str, int] = {}
    for ch in text:
        code = letter_script(ch)
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    return counts


def dominant_script(text: str) -> Optional[str]:
    """The ISO 15924 script most of the letters of ``text`` are in, or None."""
    counts = script_counts(text)
    return max(counts, key=counts.get) if counts else None


# ---------------------------------------------------------------------------------------------
# Parsing (RFC 5646 section 2.1)
# ---------------------------------------------------------------------------------------------

# Grandfathered tags are well formed as whole tags only.
_GRANDFATHERED = frozenset({
    "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux",
    "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl",
    "sgn-ch-de", "art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka",
    "zh-min", "zh-min-nan", "zh-xiang"})
_ALPHA = re.compile(r"[A-Za-z]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class LangTag:
    """A parsed BCP 47 tag, each part in canonical case; ``str()`` gives the tag back."""

    language: str                     # "es", "zh", "x" for a tag of private use only
    extlangs: tuple[str, ...] = ()
    script: str = ""                  # "Hant"
    region: str = ""                  # "TW", "419"
    variants: tuple[str, ...] = ()    # "1901", "pinyin"
    extensions: tuple[str, ...] = ()  # "u-co-phonebk"
    private: tuple[str, ...] = ()     # ("ewts",) for bo-x-ewts
    grandfathered: bool = False

    def __str__(self) -> str:
        if self.grandfathered:
            return self.language
        parts = [self.language, *self.extlangs, self.script, self.region, *self.variants,
                 *self.extensions]
        if self.private:
            parts += ["x", *self.private]
        return "-".join(p for p in parts if p) if self.language != "x" else \
            "-".join(["x", *self.private])


def _parse(tag: str) -> tuple[Optional[LangTag], str]:
    """(the tag, "") or (None, why it is not well formed)."""
    if not tag:
        return None, "the tag is empty"
    if not tag.isascii() or not all(_ALNUM.fullmatch(p) for p in tag.split("-")):
        return None, "a tag is ASCII letters and digits in subtags joined by '-'"
    low = tag.lower()
    if low in _GRANDFATHERED:
        return LangTag(language=low, grandfathered=True), ""
    parts = low.split("-")
    if any(len(p) > 8 for p in parts):
        return None, "a subtag is at most 8 characters long"
    if parts[0] == "x":
        if len(parts) < 2:
            return None, "'x' must be followed by private-use subtags"
        return LangTag(language="x", private=tuple(parts[1:])), ""
    lang = parts[0]
    if not _ALPHA.fullmatch(lang) or not (2 <= len(lang) <= 8):
        return None, f"the language {lang!r} must be 2 to 8 letters"
    i = 1
    extlangs: list[str] = []
    while (len(lang) <= 3 and i < len(parts) and len(parts[i]) == 3 and parts[i].isalpha()
           and len(extlangs) < 3):
        extlangs.append(parts[i])
        i += 1
    script = region = ""
    if i < len(parts) and len(parts[i]) == 4 and parts[i].isalpha():
        script = parts[i].title()
        i += 1
    if i < len(parts) and ((len(parts[i]) == 2 and parts[i].isalpha())
                           or (len(parts[i]) == 3 and parts[i].isdigit())):
        region = parts[i].upper()
        i += 1
    variants: list[str] = []
    while i < len(parts) and (len(parts[i]) >= 5 or (len(parts[i]) == 4 and parts[i][0].isdigit())):
        if parts[i] in variants:
            return None, f"the variant {parts[i]!r} is repeated"
        variants.append(parts[i])
        i += 1
    extensions: list[str] = []
    singletons: set[str] = set()
    while i < len(parts) and len(parts[i]) == 1 and parts[i] != "x":
        single = parts[i]
        if single in singletons:
            return None, f"the extension {single!r} is repeated"
        singletons.add(single)
        i += 1
        body = []
        while i < len(parts) and len(parts[i]) >= 2:
            body.append(parts[i])
            i += 1
        if not body:
            return None, f"the extension {single!r} has no subtags"
        extensions.append("-".join([single, *body]))
    private: tuple[str, ...] = ()
    if i < len(parts) and parts[i] == "x":
        private = tuple(parts[i + 1:])
        if not private:
            return None, "'x' must be followed by private-use subtags"
        i = len(parts)
    if i < len(parts):
        return None, f"the subtag {parts[i]!r} is out of place"
    return LangTag(lang, tuple(extlangs), script, region, tuple(variants), tuple(extensions),
                   private), ""


def parse_tag(tag: str) -> Optional[LangTag]:
    """The tag read by the BCP 47 grammar (case-insensitive), or None if it is not well formed."""
    return _parse((tag or "").strip())[0]


def tag_problem(tag: str) -> str:
    """Why ``tag`` is not a well-formed BCP 47 tag; "" when it is."""
    return _parse((tag or "").strip())[1]


def is_valid_tag(tag: str) -> bool:
    return parse_tag(tag) is not None


# 84000 and others use tags that are not BCP 47; map the ones met in the wild.
_TAG_FIXES = {"bo-ltn": "bo-x-ewts", "sa-ltn": "sa-Latn", "pi-ltn": "pi-Latn", "zh-ltn": "zh-Latn",
              "bod": "bo", "tib": "bo", "mon": "mn", "chi": "zh", "zho": "zh", "eng": "en",
              "san": "sa"}


def normalize_tag(tag: str) -> str:
    """A tag in canonical case (``mn-mong`` -> ``mn-Mong``), with the known oddities mended.

    A tag that is still not well formed comes back as written (trimmed): say so with
    ``tag_problem``, never guess.
    """
    tag = (tag or "").strip().replace("_", "-")
    if not tag:
        return ""
    fixed = _TAG_FIXES.get(tag.lower())
    if fixed:
        return fixed
    parsed = parse_tag(tag)
    return str(parsed) if parsed is not None else tag


# ---------------------------------------------------------------------------------------------
# Tag -> script
# ---------------------------------------------------------------------------------------------

# The script each language is written in when its tag says nothing more, in this library's
# material (traditional Mongolian texts: mn without a script is the Mongolian script).
_LANGUAGE_SCRIPT = {
    "mn": "Mong", "bua": "Mong", "xal": "Mong", "xwo": "Mong", "mnc": "Mong", "sjo": "Mong",
    "mvf": "Mong",
    "bo": "Tibt", "dz": "Tibt", "xct": "Tibt",
    "zh": "Hani", "lzh": "Hani", "cmn": "Hani", "ltc": "Hani", "och": "Hani", "ja": "Hani",
    "en": "Latn", "de": "Latn", "fr": "Latn", "la": "Latn", "es": "Latn", "it": "Latn",
    "ru": "Cyrl",
}
# Languages written in more than one script in the collection: their letters decide first.
_AMBIGUOUS = frozenset({"mn", "bua", "xal"})
# Private-use subtags naming a romanisation (``todo``, the other one this library reads, names
# the Todo script).
_ROMANISATIONS = frozenset({"ewts", "wylie", "ltn", "alalc", "pinyin", "iast"})
_SCRIPT_FAMILY = {"Hant": "Hani", "Hans": "Hani"}


def _lenient(tag: str) -> LangTag:
    """A parse that never fails: an ill-formed tag keeps its first subtag as the language."""
    parsed = parse_tag(normalize_tag(tag))
    if parsed is not None:
        return parsed
    return LangTag(language=(tag or "").strip().replace("_", "-").split("-")[0].lower())


def script_of(tag: Optional[str], text: str = "") -> Optional[str]:
    """The ISO 15924 script a tagged text is written in (Hant and Hans are ``Hani``).

    The tag's script subtag, else a private-use romanisation (``bo-x-ewts``: Latn) or ``todo``
    (Mong), else the language's usual script; for a language written in several scripts
    (``mn``) the letters of ``text`` decide first. None when nothing tells.
    """
    t = _lenient(tag or "")
    if t.script:
        return _SCRIPT_FAMILY.get(t.script, t.script)
    if any(p in _ROMANISATIONS for p in t.private):
        return "Latn"
    if "todo" in t.private:
        return "Mong"
    usual = _LANGUAGE_SCRIPT.get(t.language)
    if text and (usual is None or t.language in _AMBIGUOUS):
        seen = dominant_script(text[:200])
        if seen is not None:
            return seen
    return usual


def writing_system(tag: Optional[str]) -> Optional[str]:
    """The search script name a tag announces: hudum, todo, manchu, tibetan, han, latin,
    cyrillic, or None.

    xal/xwo (Kalmyk/Oirat) in the Mongolian script and a ``todo`` private use mean Todo;
    mnc and sjo mean Manchu/Sibe; any other language in the Mongolian script means Hudum.
    """
    if not tag:
        return None
    script = script_of(tag)
    t = _lenient(tag)
    if script == "Mong":
        if "todo" in t.private or t.language in ("xal", "xwo"):
            return TODO
        if t.language in ("mnc", "sjo"):
            return MANCHU
        return HUDUM
    return {"Tibt": TIBETAN, "Hani": HAN, "Latn": LATIN, "Cyrl": CYRILLIC}.get(script or "")


def usual_script(tag: Optional[str]) -> Optional[str]:
    """The script the tag's language is usually written in, whatever script the tag names
    (``bo-x-ewts``: Tibt): the script of the book a transliteration was made from."""
    return _LANGUAGE_SCRIPT.get(_lenient(tag or "").language)


_BOOK_SCRIPTS = ("Mong", "Tibt", "Hani")


def book_script(tags: Sequence[Optional[str]], scripts: Sequence[str] = ()) -> Optional[str]:
    """Mong, Tibt or Hani: the script family of a book, from the first of its tags that names
    one (a romanisation such as ``bo-x-ewts`` counts for the script it was made from), else
    from the ISO 15924 codes of the scripts its text was found in; None for any other book."""
    for tag in tags:
        script = script_of(tag) if tag else None
        if script == "Latn":
            script = usual_script(tag) or script
        if script in _BOOK_SCRIPTS:
            return script
    for code in scripts:
        family = _SCRIPT_FAMILY.get(code, code)
        if family in _BOOK_SCRIPTS:
            return family
    return None


# ---------------------------------------------------------------------------------------------
# IIIF language maps
# ---------------------------------------------------------------------------------------------

_IIIF_KEY = re.compile(r"[a-zA-Z-]+")


def language_map_key(tag: Optional[str]) -> str:
    """The key of a IIIF language map for ``tag``; ``none`` for no tag.

    The IIIF Presentation 3 JSON schema admits only letters and hyphens in a key, so a tag with
    digits (a region such as ``419``, a variant such as ``1901``) is cut before its first such
    subtag: the broader tag RFC 4647 lookup falls back to (``es-419`` -> ``es``). The full tag
    stays where the schema takes any string (the TextualBody ``language``; the Language
    metadata, as written where it has no name). Tags of letters (``zh-Hant-TW``, ``bo-x-ewts``) are kept as written.
    """
    if not tag:
        return "none"
    if _IIIF_KEY.fullmatch(tag):
        return tag
    kept: list[str] = []
    for part in tag.split("-"):
        if not part.isalpha():
            break
        kept.append(part)
    while kept and len(kept[-1]) == 1:  # a singleton ("x", "u") without its subtags
        kept.pop()
    return "-".join(kept) or "none"


def iiif_language_map(values: Mapping[str, str]) -> dict[str, list[str]]:
    """A language map (tag -> text) as a IIIF one (key -> [text]), keys by
    ``language_map_key``. Two texts meeting under one key (``es`` and ``es-419``) are both kept,
    the one whose tag is the key first; empty texts are left out."""
    out: dict[str, list[str]] = {}
    for tag, text in values.items():
        if not text:
            continue
        key = language_map_key(tag)
        texts = out.setdefault(key, [])
        if text in texts:
            continue
        if key == (tag or "none"):
            texts.insert(0, text)
        else:
            texts.append(text)
    return out
