"""Tibetan search keys: the exact and lenient keys of one syllable and EWTS (Extended Wylie).

Follows text/SCRIPTS.md section 3: NFD, an explicit U+0F00 expansion and the vowel/subjoined
reorder for the exact key; the lucene-bo lenient fold and affix strip for the loose key; pyewts
for Wylie both ways. Pure functions; ``library.scripts`` re-exports them as part of its API.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


_TIB_DELETE = {0x0F35: None, 0x0F37: None, 0x0F39: None, 0x0FC6: None}
_TIB_VOWEL_BEFORE_SUB = re.compile("([\u0f71-\u0f84\u0f86\u0f87]+)([\u0f8d-\u0fbc]+)")
_TIB_LENIENT = str.maketrans({
    "\u0f7e": "\u0f83", "\u0f82": "\u0f83",                    # anusvara/candrabindu -> one
    "\u0f4a": "\u0f4f", "\u0f4b": "\u0f50", "\u0f4c": "\u0f51", "\u0f4e": "\u0f53",  # retroflex
    "\u0f9a": "\u0f9f", "\u0f9b": "\u0fa0", "\u0f9c": "\u0fa1", "\u0f9e": "\u0fa3",
    "\u0f71": None, "\u0fb0": None,                            # a-chung
    "\u0fba": "\u0fad", "\u0fbb": "\u0fb1", "\u0fbc": "\u0fb2",  # fixed-form subjoined
    "\u0f6a": "\u0f62", "\u0f65": "\u0f64", "\u0f80": "\u0f72",
})
# Affixed particles -'i, -'o, -'am, -'ang, -'is (longest first).
_TIB_AFFIXES = ("\u0f60\u0f72\u0f66", "\u0f60\u0f44", "\u0f60\u0f58", "\u0f60\u0f72",
                "\u0f60\u0f7c")
_TIB_BASE_LETTER = re.compile("[\u0f40-\u0f6c]")
_TIB_VOWEL = re.compile("[\u0f71-\u0f7d\u0f80\u0f81]")
_TIB_SUBJOINED = re.compile("[\u0f8d-\u0fbc]$")


@lru_cache(maxsize=1 << 16)
def tibetan_exact(syllable: str) -> str:
    """Exact key of one syllable: ༀ expanded, in-syllable marks deleted, NFD, vowels after stacks."""
    s = syllable.replace("\u0f00", "\u0f68\u0f7c\u0f7e").translate(_TIB_DELETE)
    s = unicodedata.normalize("NFD", s)
    # NFD cannot move a vowel typed before a subjoined letter (both orders are canonical).
    while True:
        t = _TIB_VOWEL_BEFORE_SUB.sub(r"\2\1", s)
        if t == s:
            break
        s = t
    return unicodedata.normalize("NFD", s)


@lru_cache(maxsize=1 << 16)
def tibetan_loose(syllable: str) -> str:
    """Lenient key (after lucene-bo): exact key, then the lenient fold, then affixes stripped."""
    s = tibetan_exact(syllable).translate(_TIB_LENIENT)
    s = s.replace("\u0f7a\u0f7a", "\u0f7b").replace("\u0f7c\u0f7c", "\u0f7d")
    for affix in _TIB_AFFIXES:
        if s.endswith(affix) and len(s) > len(affix):
            stem = s[: -len(affix)]
            if _lost_a_chung(stem):
                stem += "\u0f60"
            return stem
    return s


def _lost_a_chung(stem: str) -> bool:
    """Whether an affix had replaced the a-chung of ``stem`` (dga' + 'i is written dga'i).

    Only a vowelless stem of two letters or more ending in a base letter had one: without it
    dga' would read dag. A stem ending in a subjoined letter is a closed stack that shows its
    own vowel, so it never takes one: dgra + 'i is dgra'i, brgya + 'am is brgya'am.
    """
    return (not _TIB_VOWEL.search(stem) and not _TIB_SUBJOINED.search(stem)
            and len(_TIB_BASE_LETTER.findall(stem)) >= 2)


_EWTS = None


def _ewts():
    global _EWTS
    if _EWTS is None:
        import pyewts  # imported on first use: its tables take a moment to build

        _EWTS = pyewts.pyewts()
    return _EWTS


@lru_cache(maxsize=1 << 16)
def tibetan_wylie(syllable: str) -> str:
    """EWTS (Extended Wylie) of one syllable via pyewts, from its exact (NFD) form."""
    try:
        return _ewts().toWylie(tibetan_exact(syllable), [])
    except (ValueError, KeyError, IndexError, TypeError):
        # pyewts has no error contract; an unconvertible syllable just has no romanisation.
        return ""


def wylie_to_tibetan(text: str) -> tuple[str, list[str]]:
    """Convert EWTS to Tibetan Unicode; returns (text, pyewts warnings)."""
    warns: list[str] = []
    try:
        out = _ewts().toUnicode(text, warns)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return "", [str(exc)]
    return out, warns
