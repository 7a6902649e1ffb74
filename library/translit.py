"""Romanisation tables and the Latin "skeleton" used by the transliteration search field.

Pure functions, no I/O. Covers traditional Mongolian in its three writing systems (Hudum after
Vladimirtsov-Mostaert, Todo, Manchu after Moellendorff), the Ali Gali letters, Mongolian Cyrillic
(MNS 5217-like) and the skeleton fold that makes "Mongol", "Монгол" and ᠮᠣᠩᠭᠣᠯ meet at ``mungul``
(text/SCRIPTS.md section 5).

Each scheme keeps its own rules (issue 12): the coarse skeleton is for the Mongolian family
only, where o/u, a/e, q/k/γ really are one written shape or one sound across romanisations.
Tibetan has ``wylie_key`` (EWTS as written, lower-cased, a-chung spelled one way), Chinese
``pinyin_key`` (toneless pinyin that keeps ü): there ka/kha/ha, o/u, ji/zhi, lu/lü are
different words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MVS = "\u180e"

# Hudum (Vladimirtsov-Mostaert). QA and GA depend on vowel harmony and are resolved per word.
_HUDUM = {
    0x1820: "a", 0x1821: "e", 0x1822: "i", 0x1823: "o", 0x1824: "u", 0x1825: "ö", 0x1826: "ü",
    0x1827: "ē", 0x1828: "n", 0x1829: "ng", 0x182A: "b", 0x182B: "p", 0x182E: "m", 0x182F: "l",
    0x1830: "s", 0x1831: "š", 0x1832: "t", 0x1833: "d", 0x1834: "č", 0x1835: "ǰ", 0x1836: "y",
    0x1837: "r", 0x1838: "w", 0x1839: "f", 0x183A: "k", 0x183B: "kh", 0x183C: "c", 0x183D: "z",
    0x183E: "h", 0x183F: "ẓ", 0x1840: "lh", 0x1841: "zh", 0x1842: "ch",
}
_MASCULINE_VOWELS = frozenset("\u1820\u1823\u1824")

# Todo (Clear Script). It shares a, n, l, s, š, r and lh with Hudum, and reads U+1834 as z and
# U+1838 as f; letters it does not have fall back to the Hudum reading.
_TODO = dict(_HUDUM)
_TODO.update({
    0x1834: "z", 0x1838: "f",
    0x1844: "e", 0x1845: "i", 0x1846: "o", 0x1847: "u", 0x1848: "ö", 0x1849: "ü", 0x184A: "ng",
    0x184B: "b", 0x184C: "p", 0x184D: "q", 0x184E: "γ", 0x184F: "m", 0x1850: "t", 0x1851: "d",
    0x1852: "č", 0x1853: "ǰ", 0x1854: "c", 0x1855: "y", 0x1856: "w", 0x1857: "k", 0x1858: "g",
    0x1859: "h", 0x185A: "ǰ", 0x185B: "ñ", 0x185C: "dz",
})
_TODO_LONG_VOWEL = 0x1843

# Manchu and Sibe (Moellendorff); shared letters take their Manchu values.
_MANCHU = dict(_HUDUM)
_MANCHU.update({
    0x182C: "k", 0x182D: "g", 0x1834: "c", 0x1835: "j", 0x1824: "ū",
    0x185D: "e", 0x185E: "i", 0x185F: "iy", 0x1860: "u", 0x1861: "ū", 0x1862: "ng", 0x1863: "k",
    0x1864: "g", 0x1865: "h", 0x1866: "p", 0x1867: "š", 0x1868: "t", 0x1869: "d", 0x186A: "j",
    0x186B: "f", 0x186C: "g'", 0x186D: "h'", 0x186E: "ts'", 0x186F: "z", 0x1870: "r'",
    0x1871: "c'", 0x1872: "ž", 0x1873: "i", 0x1874: "k", 0x1875: "r", 0x1876: "f", 0x1877: "ž",
    0x1878: "c",
})

# Ali Gali letters (transcription of Sanskrit and Tibetan in Mongolian books).
_ALI_GALI = {
    0x1880: "ṃ", 0x1881: "ḥ", 0x1887: "a", 0x1888: "i", 0x1889: "k", 0x188A: "ng", 0x188B: "c",
    0x188C: "ṭ", 0x188D: "ṭh", 0x188E: "ḍ", 0x188F: "ṇ", 0x1890: "t", 0x1891: "d", 0x1892: "p",
    0x1893: "ph", 0x1894: "ṣ", 0x1895: "zh", 0x1896: "z", 0x1897: "h", 0x1898: "t", 0x1899: "zh",
    0x189A: "gh", 0x189B: "ng", 0x189C: "c", 0x189D: "jh", 0x189E: "ṭṭ", 0x189F: "ḍh",
    0x18A0: "t", 0x18A1: "dh", 0x18A2: "ṣ", 0x18A3: "cy", 0x18A4: "zh", 0x18A5: "z", 0x18A6: "u",
    0x18A7: "y", 0x18A8: "bh", 0x18AA: "lh",
}
for _table in (_HUDUM, _TODO, _MANCHU):
    for _cp, _lat in _ALI_GALI.items():
        _table.setdefault(_cp, _lat)

_VOWEL_LATIN = frozenset("aeiouöüē")


def transliterate_mongolian(word: str, system: str = "hudum") -> str:
    """Scholarly romanisation of one Mongolian-script word.

    ``system`` is "hudum", "todo" or "manchu". Hudum QA/GA are q/γ in a word with a, o or u
    (masculine) and k/g otherwise. MVS becomes "-"; FVS and other controls are dropped.
    """
    out: list[str] = []
    if system == "todo":
        table = _TODO
        for ch in word:
            cp = ord(ch)
            if cp == _TODO_LONG_VOWEL:
                # The long-vowel sign lengthens the vowel just written.
                if out and out[-1] and out[-1][-1] in _VOWEL_LATIN:
                    out.append(out[-1][-1])
                continue
            if ch == MVS:
                out.append("-")
                continue
            lat = table.get(cp)
            if lat:
                out.append(lat)
        return "".join(out)
    if system == "manchu":
        table = _MANCHU
    else:
        table = dict(_HUDUM)
        masculine = any(ch in _MASCULINE_VOWELS for ch in word)
        table[0x182C] = "q" if masculine else "k"
        table[0x182D] = "γ" if masculine else "g"
    for ch in word:
        if ch == MVS:
            out.append("-")
            continue
        lat = table.get(ord(ch))
        if lat:
            out.append(lat)
    return "".join(out)


# Mongolian Cyrillic to Latin, close to MNS 5217:2012 (ж -> j, х -> kh), with the extra letters of
# Kazakh, Buryat and Kalmyk Cyrillic so that their names reach the same skeleton.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "ye", "ё": "yo", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "ө": "ö", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ү": "ü", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "i", "э": "e", "ю": "yu", "я": "ya",
    "һ": "h", "ә": "ä", "ғ": "gh", "қ": "q", "ң": "ng", "ұ": "u", "і": "i", "җ": "j", "ӊ": "ng",
    "ӧ": "ö", "ӱ": "ü", "є": "ye", "ї": "yi", "ў": "w",
}
_CYR_TABLE = str.maketrans(_CYRILLIC)


def cyrillic_to_latin(text: str) -> str:
    """Romanise Cyrillic letters (lower-cased) and leave everything else as it is."""
    return text.lower().translate(_CYR_TABLE)


# Letters that NFD does not decompose but that the skeleton must still fold.
_SKELETON_PRE = str.maketrans({
    "γ": "g", "ɣ": "g", "ŋ": "ng", "ı": "i", "ʒ": "j", "ǯ": "j", "ð": "d", "þ": "th", "ø": "o",
    "æ": "a", "œ": "o", "ß": "s", "ł": "l", "đ": "d", "ħ": "h",
})
_DIGRAPHS = (("dzh", "j"), ("zh", "j"), ("ch", "c"), ("sh", "s"), ("kh", "q"), ("gh", "g"),
             ("ts", "c"))
_SKELETON_LETTERS = str.maketrans({"o": "u", "e": "a", "k": "q", "h": "q", "x": "q", "d": "t",
                                   "v": "w", "y": "i"})
_NOT_SKELETON = re.compile(r"[^a-z0-9]+")
_DOUBLES = re.compile(r"([a-z])\1+")


@lru_cache(maxsize=1 << 16)
def latin_skeleton(text: str) -> str:
    """Fold a romanisation to the coarse key shared by every script's transliteration.

    Lower-case, Cyrillic romanised, diacritics stripped, apostrophes/hyphens/dots removed,
    digraphs merged (zh->j, ch->c, sh->s, kh->q, gh->g, ts->c), vowels and voicing folded
    (o->u, e->a, k/h/x->q, d->t, v->w, y->i), doubled letters collapsed.
    """
    s = cyrillic_to_latin(text).translate(_SKELETON_PRE)
    s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    s = s.translate(_SKELETON_PRE)
    s = _NOT_SKELETON.sub("", s)
    for old, new in _DIGRAPHS:
        if old in s:
            s = s.replace(old, new)
    s = s.translate(_SKELETON_LETTERS)
    return _DOUBLES.sub(r"\1", s)


# The a-chung (and ALA-LC's letters for EWTS digraphs) as users type them, spelled as EWTS.
_WYLIE_SPELLINGS = str.maketrans({
    "\u2019": "'", "\u02bc": "'", "\u2018": "'", "\u02bb": "'", "`": "'", "\u00b4": "'",
    "ṅ": "ng", "ñ": "ny", "ś": "sh", "ź": "zh", "Ṅ": "ng", "Ñ": "ny", "Ś": "sh", "Ź": "zh",
})


@lru_cache(maxsize=1 << 16)
def wylie_key(wylie: str) -> str:
    """Tibetan transliteration key: the EWTS of a syllable, lower-cased, the a-chung unified.

    Lower-casing merges EWTS's capitals (the long vowels A/I/U written with a-chung below, the
    retroflex T/D/N/Sh) with their plain letters, as BDRC's lenient search does; the a-chung
    letter itself is one apostrophe however it was typed (' ’ ʼ). Nothing else is folded:
    ka/kha/ha and o/u stay apart.
    """
    return unicodedata.normalize("NFC", wylie).translate(_WYLIE_SPELLINGS).lower()


_PINYIN_TONE_DIGITS = re.compile(r"(?<=[a-zü])[1-5]")


@lru_cache(maxsize=1 << 16)
def pinyin_key(reading: str) -> str:
    """Chinese transliteration key: toneless pinyin that keeps ü (typed ü, v or u:).

    Tone marks and tone numbers go; ü stays apart from u (lü 綠 is not lu 路).
    """
    s = unicodedata.normalize("NFD", reading.strip().lower()).replace("u\u0308", "\x00")
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("\x00", "ü").replace("u:", "ü").replace("v", "ü")
    return _PINYIN_TONE_DIGITS.sub("", s)
