"""Script knowledge for search: detection, per-script normalisation and the four search keys.

Plain pure functions (no Whoosh) following text/SCRIPTS.md. Every token of a text belongs to one
*kind* (the tokenizer's regex group: "mong", "tib", "dig", "han", "lat", "oth") and gets one key
per index field:

- ``x`` exact: light normalisation only (Mongolian FVS/ZWJ dropped, MVS kept; Tibetan NFD and
  reorder; Han NFKC; Latin/Cyrillic NFC + full-width folded + casefold);
- ``s`` shape: the mongol-norm written-unit key ("~" + shape) for pure Hudum words, else as ``x``;
- ``l`` loose: Mongolian letter fold, Tibetan lenient fold and affix strip, Han variant + OpenCC
  t2s per character, Latin/Cyrillic without diacritics;
- ``tr`` transliteration, by each scheme's own rules (library.translit): the Latin skeleton of
  a Mongolian romanisation or of a Latin/Cyrillic word; the Wylie key of a Tibetan syllable;
  the pinyin key of every reading of the original Han character.

``token_keys`` is the cached entry point the analyzers call once per token. Also here: script
detection and Menksoft PUA conversion. The Tibetan keys live in ``library.tibetan``, the
language-tag rules and the Han code points in ``library.langtags``; both are re-exported here.
Nothing here touches the network: OpenCC and pypinyin carry their data in their wheels.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from library.menksoft import (  # re-exported: part of this module's public API
    MENKSOFT_FIRST,
    MENKSOFT_LAST,
    convert_menksoft,
    count_menksoft,
    has_menksoft,
)
from library.langtags import (  # re-exported: part of this module's public API
    CYRILLIC,
    HAN,
    HUDUM,
    LATIN,
    MANCHU,
    TIBETAN,
    TODO,
    is_han_script,
)
from library.langtags import writing_system as writing_system_script
from library.tibetan import (  # re-exported: part of this module's public API
    tibetan_exact,
    tibetan_loose,
    tibetan_wylie,
    wylie_to_tibetan,
)
from library.translit import (cyrillic_to_latin, latin_skeleton, pinyin_key,
                              transliterate_mongolian, wylie_key)

__all__ = [
    "HUDUM", "TODO", "MANCHU", "TIBETAN", "HAN", "LATIN", "CYRILLIC", "DIGITS", "OTHER",
    "CANONICAL_VERSION", "canonical_version", "SCRIPTS_VERSION",
    "detect_script", "writing_system_script", "mongol_system", "is_pure_hudum",
    "mongol_exact", "mongol_shape", "mongol_loose", "tibetan_exact", "tibetan_loose",
    "tibetan_wylie", "han_exact", "han_loose", "han_readings", "latin_exact", "latin_loose",
    "fold_digits", "fold_width", "latin_skeleton", "cyrillic_to_latin", "transliterate_mongolian",
    "token_keys", "key", "convert_menksoft", "has_menksoft",
    "MENKSOFT_FIRST", "MENKSOFT_LAST", "pinyin_syllables", "wylie_to_tibetan", "count_menksoft",
]

# Script names returned by detect_script besides those a language tag can announce.
DIGITS = "digits"
OTHER = "other"

# Bump when a key function below changes its output (the analyzer version includes it, together
# with a digest of the Han variant table, appended below).
SCRIPTS_VERSION = "1"

DATA_DIR = Path(__file__).resolve().parent / "data"

# ---------------------------------------------------------------------------------------------
# Mongolian block
# ---------------------------------------------------------------------------------------------

FVS = "\u180b\u180c\u180d\u180f"
MVS = "\u180e"
NIRUGU = "\u180a"
TODO_SOFT_HYPHEN = "\u1806"
ZWJ = "\u200d"
ZWNJ = "\u200c"
NNBSP = "\u202f"

HUDUM_LETTERS = frozenset(chr(cp) for cp in range(0x1820, 0x1843))
_TODO_ONLY = frozenset(chr(cp) for cp in range(0x1843, 0x185D))
_MANCHU_ONLY = frozenset(chr(cp) for cp in range(0x185D, 0x1879))
# Characters mongol-norm's shaper accepts; anything else in a word means "not pure Hudum".
_SHAPER_OK = HUDUM_LETTERS | frozenset(FVS + MVS + NIRUGU + ZWJ)

_X_DROP_MONG = {ord(c): None for c in FVS + ZWJ + ZWNJ + TODO_SOFT_HYPHEN + NIRUGU}
_L_DROP_MONG = {ord(c): None for c in FVS + MVS + ZWJ + ZWNJ + TODO_SOFT_HYPHEN + NIRUGU}
# Hudum letter fold (SCRIPTS.md section 6): e/ē->a, o->u, ö->ü, d->t, γ->q.
_L_FOLD_HUDUM = str.maketrans({"\u1821": "\u1820", "\u1827": "\u1820", "\u1823": "\u1824",
                               "\u1825": "\u1826", "\u1833": "\u1832", "\u182d": "\u182c"})
_MEDIAL_Y_BEFORE_I = re.compile("(?<=.)\u1836(?=\u1822)")
_NGG = re.compile("\u1828\u182d\u182d")

try:  # mongol-norm is pinned; without it the shape field falls back to the exact key.
    import mongol_norm as _mongol_norm
except ImportError:  # pragma: no cover - exercised only on broken installs
    _mongol_norm = None
    _SHAPER = None
    CANONICAL_VERSION = "mongol-norm-unavailable"
else:
    _SHAPER = _mongol_norm.MongolianShaper(locale="MNG")
    CANONICAL_VERSION = f"{_SHAPER.canonical_version}+mongol-norm-{_mongol_norm.__version__}"


def canonical_version() -> str:
    """mongol-norm's canonical policy and package version, e.g. "mng-canonical/3+mongol-norm-0.3.1".

    Store it with anything built from shape keys and rebuild when it changes.
    """
    return CANONICAL_VERSION


def mongol_system(word: str, declared: str | None = None) -> str:
    """Which Mongolian writing system a word is in: "hudum", "todo" or "manchu".

    Letters only one system has decide; otherwise the declared (document) system wins, so that a
    Todo word spelled only with shared letters is never sent to the Hudum shaper; Hudum is the
    fallback.
    """
    for ch in word:
        if ch in _TODO_ONLY:
            return TODO
        if ch in _MANCHU_ONLY:
            return MANCHU
    if declared in (TODO, MANCHU, HUDUM):
        return declared
    return HUDUM


def is_pure_hudum(word: str) -> bool:
    """True when every character of ``word`` is one mongol-norm's Hudum shaper understands."""
    return bool(word) and all(ch in _SHAPER_OK for ch in word)


@lru_cache(maxsize=1 << 16)
def mongol_exact(word: str) -> str:
    """Exact key: NFC, FVS1-4/ZWJ/ZWNJ/Todo soft hyphen/nirugu dropped, MVS kept."""
    return unicodedata.normalize("NFC", word).translate(_X_DROP_MONG)


@lru_cache(maxsize=1 << 16)
def mongol_shape(word: str, system: str = HUDUM) -> str:
    """Shape key "~" + mongol-norm written units for pure Hudum words; else the exact key.

    FVS are kept on input because they change the glyph; Todo and Manchu words are never shaped
    (the Hudum shaper silently drops their letters).
    """
    if system == HUDUM and _SHAPER is not None:
        w = unicodedata.normalize("NFC", word).replace(ZWNJ, "").replace(TODO_SOFT_HYPHEN, "")
        if is_pure_hudum(w):
            try:
                shape = _SHAPER.shape_str(w)
            except ValueError:
                shape = ""
            if shape:
                return "~" + shape
    return mongol_exact(word)


@lru_cache(maxsize=1 << 16)
def mongol_loose(word: str, system: str = HUDUM) -> str:
    """Loose key: controls and MVS dropped; for Hudum also the letter fold.

    Hudum fold: ng -> n+g, medial y before i dropped, e/ē -> a, o -> u, ö -> ü, d -> t, γ -> q,
    n+g+g -> n+g. Todo and Manchu only lose their controls (no fold has been reviewed for them).
    """
    w = unicodedata.normalize("NFC", word).translate(_L_DROP_MONG)
    if system != HUDUM:
        return w
    w = w.replace("\u1829", "\u1828\u182d")
    w = _MEDIAL_Y_BEFORE_I.sub("", w)
    w = _NGG.sub("\u1828\u182d", w)
    return w.translate(_L_FOLD_HUDUM)


# ---------------------------------------------------------------------------------------------
# Han
# ---------------------------------------------------------------------------------------------


def _load_variants() -> dict[str, str]:
    path = DATA_DIR / "zh_variants.tsv"
    table: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0] and parts[1]:
                table[parts[0].strip()] = parts[1].strip()
    return table


_VARIANTS = _load_variants()
# The variant table shapes the loose keys, so its content is part of the keys' version.
SCRIPTS_VERSION = SCRIPTS_VERSION + "+zhv-" + hashlib.sha1(
    "".join(f"{k}\t{v}\n" for k, v in sorted(_VARIANTS.items())).encode("utf-8")).hexdigest()[:10]
_OPENCC = None


def _t2s(ch: str) -> str:
    global _OPENCC
    if _OPENCC is None:
        import opencc  # the wheel bundles its dictionaries: no download

        _OPENCC = opencc.OpenCC("t2s")
    return _OPENCC.convert(ch)


@lru_cache(maxsize=1 << 16)
def han_exact(ch: str) -> str:
    """Exact key of one Han character: NFKC (compatibility ideographs, Kangxi radicals)."""
    return unicodedata.normalize("NFKC", ch)


@lru_cache(maxsize=1 << 16)
def han_loose(ch: str) -> str:
    """Loose key: NFKC, the reviewed variant table, then OpenCC t2s on this character alone.

    Character by character so that index and query agree (t2s is context-dependent on phrases).
    """
    c = unicodedata.normalize("NFKC", ch)
    c = _VARIANTS.get(c, c)
    return _t2s(c) or c


_PINYIN_DICT = None


def _pinyin_dict() -> dict[int, str]:
    global _PINYIN_DICT
    if _PINYIN_DICT is None:
        from pypinyin.pinyin_dict import pinyin_dict

        _PINYIN_DICT = pinyin_dict
    return _PINYIN_DICT


def _toneless(reading: str) -> str:
    """A pinyin reading without tone marks, keeping ü (whose diaeresis is no tone)."""
    s = unicodedata.normalize("NFD", reading.strip().lower()).replace("u\u0308", "\x00")
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.replace("\x00", "ü")


@lru_cache(maxsize=1 << 16)
def han_readings(ch: str) -> tuple[str, ...]:
    """Every pinyin reading of one character (tone marks stripped, ü kept as ü), in dict order.

    Taken from the character as written (after NFKC only): after t2s 乾 would read only gan.
    """
    c = unicodedata.normalize("NFKC", ch)
    if len(c) != 1:
        return ()
    raw = _pinyin_dict().get(ord(c))
    if not raw:
        return ()
    out: list[str] = []
    for r in raw.split(","):
        r = _toneless(r)
        if r and r not in out:
            out.append(r)
    return tuple(out)


# Interjection readings (嗯 n, 呣 m, 哼 hng ...) are left out so they never cut a word in two.
_NOT_SYLLABLES = frozenset({"n", "ng", "m", "hm", "hng", "ê", "r"})


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Toneless pinyin syllables known to pypinyin (ü also spelled u and v), for segmentation."""
    out: set[str] = set()
    for raw in _pinyin_dict().values():
        for r in raw.split(","):
            syl = _toneless(r)
            for spelling in (syl, syl.replace("ü", "u"), syl.replace("ü", "v")):
                if spelling.isascii() and spelling.isalpha():
                    out.add(spelling)
    return frozenset(out - _NOT_SYLLABLES)


# ---------------------------------------------------------------------------------------------
# Latin, Cyrillic, digits, others
# ---------------------------------------------------------------------------------------------

# Full-width Latin letters and digits (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) are their ASCII
# letters set in a CJK font's width: NFKC folds them one to one. Only this block: full-width
# punctuation (，：) and half-width katakana are characters of CJK text in their own right.
_WIDTH = {cp: cp - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
          for cp in range(lo, hi + 1)}


def fold_width(text: str) -> str:
    """``text`` with full-width Latin letters and digits as ASCII (one character for one, so
    offsets into the text stay valid); everything else as it is."""
    return text if text.isascii() else text.translate(_WIDTH)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u02bb": "'", "\u2018": "'"})
_APOS_ALL = re.compile("['\u2019\u02bc\u02bb\u2018]")


@lru_cache(maxsize=1 << 16)
def latin_exact(word: str) -> str:
    """Exact key of a Latin/Cyrillic (or other alphabetic) word: NFC, full-width folded,
    casefold, one apostrophe."""
    word = fold_width(word)
    w = unicodedata.normalize("NFC", word).casefold().translate(_APOSTROPHES).strip("'")
    return w or unicodedata.normalize("NFC", word).casefold()


@lru_cache(maxsize=1 << 16)
def latin_loose(word: str) -> str:
    """Loose key: NFKC, casefold, diacritics and apostrophes removed."""
    w = unicodedata.normalize("NFKD", word.casefold())
    w = "".join(c for c in w if not unicodedata.combining(c))
    w = _APOS_ALL.sub("", w)
    return unicodedata.normalize("NFC", w) or latin_exact(word)


@lru_cache(maxsize=4096)
def fold_digits(run: str) -> str:
    """Decimal digits of any script (Mongolian, Tibetan, fullwidth, ...) as ASCII."""
    out = []
    for ch in run:
        d = unicodedata.digit(ch, None)
        out.append(str(d) if d is not None else ch)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


def _char_script(ch: str) -> str | None:
    cp = ord(ch)
    if 0x1820 <= cp <= 0x18AA:
        if ch in _TODO_ONLY:
            return TODO
        if ch in _MANCHU_ONLY:
            return MANCHU
        return HUDUM
    if 0x0F00 <= cp <= 0x0FFF:
        return DIGITS if 0x0F20 <= cp <= 0x0F29 else TIBETAN
    if is_han_script(ch):
        return HAN
    if 0x0400 <= cp <= 0x052F or 0x1C80 <= cp <= 0x1C8F or 0xA640 <= cp <= 0xA69F:
        return CYRILLIC
    if ch.isdigit():
        return DIGITS
    if ch.isalpha():
        if cp < 0x0370 or 0x1E00 <= cp <= 0x1EFF or 0x2C60 <= cp <= 0x2C7F or 0xA720 <= cp <= 0xA7FF \
                or 0xFF21 <= cp <= 0xFF5A or 0x0370 <= cp <= 0x03FF:
            return LATIN
        return OTHER
    return None


def detect_script(token: str, writing_system: str | None = None) -> str:
    """The script of one token: hudum, todo, manchu, tibetan, han, latin, cyrillic, digits, other.

    For Mongolian-block words a letter only Todo or Manchu has decides; otherwise the declared
    writing system (a BCP 47 tag or a script name) does, and Hudum is the fallback.
    """
    declared = writing_system
    if declared and declared not in (HUDUM, TODO, MANCHU):
        declared = writing_system_script(declared)
    first: str | None = None
    for ch in token:
        sc = _char_script(ch)
        if sc is None:
            continue
        if sc in (HUDUM, TODO, MANCHU):
            return mongol_system(token, declared)
        if first is None:
            first = sc
        if sc in (TIBETAN, HAN):
            return sc
    return first or OTHER


# ---------------------------------------------------------------------------------------------
# Keys per token (the analyzers' single entry point)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 18)
def token_keys(field: str, kind: str, text: str, system: str | None = None) -> tuple[str, ...]:
    """The index terms one token yields in ``field`` ("x", "s", "l" or "tr").

    ``kind`` is the tokenizer group ("mong", "tib", "dig", "han", "lat", "oth"); ``system`` is the
    declared Mongolian writing system (hudum/todo/manchu) or None. Several terms come back only
    for Han in ``tr`` (every pinyin reading); they share the token's position. Never empty.
    """
    if kind == "mong":
        msys = mongol_system(text, system)
        if field == "x":
            k = mongol_exact(text)
        elif field == "s":
            k = mongol_shape(text, msys)
        elif field == "l":
            k = mongol_loose(text, msys)
        else:
            k = latin_skeleton(transliterate_mongolian(text, msys))
        return (k or mongol_exact(text) or text,)
    if kind == "tib":
        if field in ("x", "s"):
            k = tibetan_exact(text)
        elif field == "l":
            k = tibetan_loose(text)
        else:
            k = wylie_key(tibetan_wylie(text))
        return (k or tibetan_exact(text) or text,)
    if kind == "han":
        if field in ("x", "s"):
            return (han_exact(text),)
        if field == "l":
            return (han_loose(text),)
        readings = han_readings(text)
        if not readings:
            return (han_exact(text),)
        keys = []
        for r in readings:
            k = pinyin_key(r)
            if k and k not in keys:
                keys.append(k)
        return tuple(keys) or (han_exact(text),)
    if kind == "dig":
        return (fold_digits(text),)
    # "lat" and "oth"
    text = fold_width(text)
    if field in ("x", "s"):
        return (latin_exact(text),)
    if field == "l":
        return (latin_loose(text),)
    k = latin_skeleton(text)
    return (k or latin_loose(text),)


def key(field: str, text: str, writing_system: str | None = None) -> tuple[str, ...]:
    """Keys of a single word whose kind is detected here (tests, tools; analyzers use token_keys)."""
    sc = detect_script(text, writing_system)
    kind = {HUDUM: "mong", TODO: "mong", MANCHU: "mong", TIBETAN: "tib", HAN: "han",
            DIGITS: "dig", LATIN: "lat", CYRILLIC: "lat"}.get(sc, "oth")
    declared = writing_system_script(writing_system) if writing_system else None
    if declared not in (HUDUM, TODO, MANCHU):
        declared = None
    return token_keys(field, kind, text, declared)
