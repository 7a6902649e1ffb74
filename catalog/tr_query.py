"""The transliteration terms a query searches: each scheme under its own rules.

``build_query`` (catalog.querying) asks here which ``tr`` sequences a query text searches,
instead of analysing it through the ``tr`` field like the other three:

- a Latin query reaches Mongolian through the skeleton (with Latin and Cyrillic texts, whose
  skeletons are bare), Tibetan through its Wylie key and Chinese through its pinyin key, each
  as a separate sequence, so that one phrase never mixes two schemes;
- a Mongolian-script query reaches its group's skeletons and the bare ones;
- a Han or Tibetan query searches no transliteration at all: it reaches its characters and
  their variants through the exact, shape and loose keys. Searching Chinese by sound is the
  user's choice, written ``sound:`` before the query (``split_sound``).

Relies on the index side's terms: ``analysis.TR_GROUP`` prefixes, ``library.translit``'s keys.
"""
from __future__ import annotations

import re

from library import scripts
from library.translit import pinyin_key, wylie_key

from . import analysis

__all__ = ["SOUND_PREFIX", "split_sound", "tr_sequences", "wylie_sequence", "pinyin_sequence"]

# A query sequence: per position, the alternative tr terms.
Terms = tuple[tuple[str, ...], ...]

SOUND_PREFIX = "sound:"
_SOUND = re.compile(r"\s*sound\s*[:：]\s*", re.IGNORECASE)
_TIB = analysis.TR_GROUP["tib"]
_HAN = analysis.TR_GROUP["han"]
_MONG = analysis.TR_GROUP["mong"]
# What a Wylie word may be made of once ALA-LC letters and apostrophes are spelled as EWTS.
_WYLIE_WORD = re.compile(r"[A-Za-z'.+~\-]+")


def split_sound(text: str) -> tuple[str, bool]:
    """The query without its ``sound:`` prefix, and whether it had one."""
    m = _SOUND.match(text)
    if m is None:
        return text, False
    return text[m.end():], True


def _tokens(text: str, limit: int) -> list[tuple[str, str]]:
    out = []
    for m in analysis.TOKEN_RE.finditer(text):
        if len(out) >= limit:
            break
        out.append((m.lastgroup, m.group()))
    return out


def _pinyin_of_word(word: str) -> str | None:
    """The pinyin key of a Latin word that is one pinyin syllable, else None."""
    k = pinyin_key(word)
    ascii_form = k.replace("ü", "v")
    return k if ascii_form.isascii() and ascii_form in scripts.pinyin_syllables() else None


def tr_sequences(text: str, *, sound: bool = False, limit: int = 64) -> list[Terms]:
    """The ``tr`` sequences of a query text (at most ``limit`` positions), one per scheme.

    With ``sound``, a Han character searches the pinyin keys of its readings (the user asked
    for homophones); without, a query with a Han or Tibetan token searches none.
    """
    toks = _tokens(text, limit)
    if not toks:
        return []
    kinds = {k for k, _ in toks}
    if "tib" in kinds or ("han" in kinds and not sound):
        return []
    keys_of = scripts.token_keys
    skeleton: list[tuple[str, ...]] = []
    for kind, tok in toks:
        if kind == "han":
            readings = scripts.han_readings(tok)
            if not readings:
                return []
            skeleton.append(tuple(dict.fromkeys(_HAN + pinyin_key(r) for r in readings)))
        elif kind == "mong":
            k = keys_of("tr", "mong", tok, None)[0]
            skeleton.append((_MONG + k, k))
        elif kind == "dig":
            skeleton.append(keys_of("tr", "dig", tok, None))
        else:
            skeleton.append(analysis.tr_matches(keys_of("tr", kind, tok, None)[0]))
    out: list[Terms] = [tuple(skeleton)]
    if kinds != {"lat"}:
        return out
    words = [tok for _, tok in toks]
    wylie = [wylie_key(w) for w in words]
    if all(_WYLIE_WORD.fullmatch(w) for w in wylie):
        out.append(tuple((_TIB + w,) for w in wylie))
    pinyin = [_pinyin_of_word(w) for w in words]
    if all(pinyin):
        out.append(tuple((_HAN + p,) for p in pinyin))
    return out


def wylie_sequence(syllables: list[str]) -> Terms:
    """The Tibetan ``tr`` sequence of Wylie syllables (an unspaced word cut apart)."""
    return tuple((_TIB + wylie_key(s),) for s in syllables)


def pinyin_sequence(syllables: list[str]) -> Terms:
    """The Chinese ``tr`` sequence of pinyin syllables (an unspaced word cut apart)."""
    return tuple((_HAN + pinyin_key(s),) for s in syllables)
