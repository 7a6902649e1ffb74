"""Whoosh text analysis for Sudur: one script-aware tokenizer and a key filter per index field.

Every token gets four keys (text/SCRIPTS.md section 6): ``x`` exact, ``s`` Mongolian shape,
``l`` loose, ``tr`` transliteration skeleton; queries name these four fields. The tokenizer is a
single compiled regex whose named groups are the script runs; tokens keep their original
``startchar``/``endchar`` (all normalisation happens afterwards, in ``FieldFilter``), so
highlighting points at the text as written. The per-token keys live in ``library.scripts``
(cached pure functions); this module only adapts them to Whoosh.

The index holds the four keys in two fields (``INDEX_FIELDS``; see there why this changes no
match) and computes them in one pass per document (``document_postings``), not by running the
four analyzers, which stay for queries and tests.

The Mongolian writing system of a document (Hudum, Todo, Manchu) cannot always be told from its
letters, so callers declare it with ``with writing_system("xal-Mong"): ...`` around analysis.
"""

from __future__ import annotations

import contextvars
import re
import sys
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from typing import Iterator

from whoosh.analysis import Analyzer, Filter, Token, Tokenizer

from library import langtags, scripts

__all__ = ["ANALYZER_VERSION", "FIELDS", "BOOSTS", "INDEX_FIELDS", "INDEX_FIELD_OF", "X_ONLY",
           "TR_GROUP", "TR_GROUPS", "tr_matches", "L_ONLY", "QUERY_FIELD_MAP", "index_terms",
           "analyzer",
           "writing_system", "current_writing_system", "ScriptTokenizer", "FieldFilter",
           "TOKEN_RE", "index_keys", "document_postings", "token_spans",
           "role_keys"]

FIELDS = ("x", "s", "l", "tr")
BOOSTS = {"x": 4.0, "s": 3.0, "l": 2.0, "tr": 1.0}
# Where the keys live in the index (measured: this halves the postings of four plain fields).
# Field ``x`` holds the exact, shape and loose keys of a token, field ``tr`` its skeletons:
# - a key that is both the exact and the loose key of a token is indexed once, bare;
# - a shape key differs from the exact key only for pure Hudum words, and then starts with "~",
#   which no other key does: indexed bare;
# - an exact key that is not also the loose key is prefixed X_ONLY, a loose key that is not
#   also the exact key L_ONLY.
# So a token matches exact key k iff the index holds k or X_ONLY+k at its position, and loose
# key k iff it holds k or L_ONLY+k: the same matches as four fields (tests/test_search.py).
INDEX_FIELDS = ("x", "tr")
# Each script's transliteration keeps its own scheme's rules (library.translit): Mongolian
# tokens hold the skeleton, Tibetan ones the Wylie key, Han ones the pinyin keys, each behind its
# script group; Latin and Cyrillic tokens' skeletons are bare. The skeleton bridges spellings
# of the Mongolian family (Hudum, Todo, Manchu, Cyrillic, Latin transcriptions) only: a
# Mongolian query token matches its group and the bare skeletons, and a Latin query reaches
# each group under that group's rules (catalog.tr_query). A Han or Tibetan query searches no
# transliteration key, unless the user asks to search Chinese by sound.
TR_GROUP = {"mong": "M", "tib": "T", "han": "H"}
TR_GROUPS = tuple(TR_GROUP.values())
INDEX_FIELD_OF = {"x": "x", "s": "x", "l": "x", "tr": "tr"}
X_ONLY = "\x02"
L_ONLY = "\x01"
# build_query's field map for this index: shape sequences equal to exact ones are dropped.
QUERY_FIELD_MAP = {"s": "x"}

def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


# Changes whenever any token's keys could change: our own rules, mongol-norm's canonical policy,
# and the data-carrying packages (OpenCC dictionaries, pypinyin readings, pyewts tables).
# 5: Tibetan a-chung and visarga; 6: full-width Latin letters and digits are their ASCII;
# 7: each script's transliteration key by its own rules (Tibetan Wylie, Han pinyin in tr)
_ANALYSIS_REVISION = "7"
ANALYZER_VERSION = ";".join((
    f"sudur-analysis/{_ANALYSIS_REVISION}",
    f"scripts/{scripts.SCRIPTS_VERSION}",
    scripts.canonical_version(),
    f"opencc-{_dist_version('opencc')}",
    f"pypinyin-{_dist_version('pypinyin')}",
    f"pyewts-{_dist_version('pyewts')}",
    # the pair filter's hashes come from CPython's hash of int tuples (see catalog.pairs)
    f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"
    f"-{sys.hash_info.width}-{sys.byteorder}",
))

# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

# Mongolian word: letters of all its writing systems with FVS, MVS, ZWJ/ZWNJ, nirugu and the Todo
# soft hyphen inside; NNBSP and spaces are outside, so they split stem from suffix. At least one
# letter, so that a stray control is no token.
_MONG_LETTER = "\u1820-\u1878\u1880-\u18aa"
_MONG_CTRL = "\u180a-\u180f\u200c\u200d\u1806"
# Tibetan syllable: everything but tsheg/shad/space; U+0F35/37/39/0FC6 are marks inside a
# syllable (deleted by the key, not split on). Tibetan digits are a digit run.
# A consonant after the visarga ཿ (U+0F7F) starts a new syllable even with no tsheg between
# (ཨཱཿཧཱུྃ is āḥ hūṃ): the visarga is taken inside a syllable only when no letter follows, and
# otherwise as its last character.
_TIB_MARK = "\u0f35\u0f37\u0f39\u0fc6"
_TIB_CORE = "\u0f00\u0f3e\u0f3f\u0f40-\u0f84\u0f86\u0f87\u0f8d-\u0fbc"
_TIB_NOT_VISARGA = "\u0f00\u0f3e\u0f3f\u0f40-\u0f7e\u0f80-\u0f84\u0f86\u0f87\u0f8d-\u0fbc"
_TIB_INITIAL = "\u0f00\u0f40-\u0f6c"
# One Han character per token: the ideographs and their marks, as library.langtags defines them.
_HAN = langtags.HAN_SCRIPT_CLASS
# Latin, Greek (γ of scholarly romanisation) and Cyrillic letters, with combining marks, modifier
# apostrophes ('bka'', ʼ), digits after the first letter (full-width ones too: Ｔ０２５１ is
# T0251, see scripts.fold_width), and . + ~ between letters (EWTS g.yang, b+ha, hU~M).
_LAT_LETTER = ("A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u0373"
               "\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u03ff\u0400-\u0481\u048a-\u052f"
               "\u1c80-\u1c88\u1d00-\u1dbf\u1e00-\u1fff\u2c60-\u2c7f\ua640-\ua66e\ua680-\ua69d"
               "\ua720-\ua7ff\ufb00-\ufb06\uff21-\uff3a\uff41-\uff5a")
_LAT_MARK = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_APOS = "'\u2019\u02bc\u02bb"

TOKEN_RE = re.compile(
    f"(?P<mong>[{_MONG_CTRL}]*[{_MONG_LETTER}][{_MONG_LETTER}{_MONG_CTRL}]*)"
    f"|(?P<tib>[{_TIB_MARK}]*[{_TIB_CORE}][{_TIB_NOT_VISARGA}{_TIB_MARK}]*"
    f"(?:\u0f7f(?![{_TIB_INITIAL}])[{_TIB_NOT_VISARGA}{_TIB_MARK}]*)*\u0f7f?)"
    r"|(?P<dig>\d+)"
    f"|(?P<han>[{_HAN}])"
    f"|(?P<lat>[{_APOS}]*[{_LAT_LETTER}]"
    f"(?:[{_LAT_LETTER}{_LAT_MARK}{_APOS}0-9\uff10-\uff19]|[.+~](?=[{_LAT_LETTER}]))*)"
    # any other script's word characters (Arabic, Devanagari, kana, Hangul, ...) as one run
    f"|(?P<oth>(?:(?![{_MONG_LETTER}{_TIB_CORE}{_HAN}{_LAT_LETTER}])[^\\W_])+)"
)

_current_ws: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sudur_writing_system", default=None)


@contextmanager
def writing_system(tag: str | None) -> Iterator[None]:
    """Declare the writing system (BCP 47, e.g. "mn-Mong", "xal-Mong", "mnc-Mong", "bo",
    "zh-Hant") of the document or query analysed inside the block.

    It decides words made only of letters several Mongolian writing systems share: in a Todo
    text they are never sent to the Hudum shaper, and U+1834 romanises as z. Without it, each
    word's own letters decide and Hudum is the fallback.
    """
    token = _current_ws.set(tag)
    try:
        yield
    finally:
        _current_ws.reset(token)


def current_writing_system() -> str | None:
    """The tag set by the innermost ``writing_system`` block, or None."""
    return _current_ws.get()


@lru_cache(maxsize=256)  # (once per document; a library has a few tags)
def _mongol_declared(tag: str | None) -> str | None:
    sc = langtags.writing_system(tag)
    return sc if sc in (scripts.HUDUM, scripts.TODO, scripts.MANCHU) else None


_KIND_OF_SCRIPT = {scripts.HUDUM: "mong", scripts.TODO: "mong", scripts.MANCHU: "mong",
                   scripts.TIBETAN: "tib", scripts.HAN: "han", scripts.DIGITS: "dig",
                   scripts.LATIN: "lat", scripts.CYRILLIC: "lat"}


class ScriptTokenizer(Tokenizer):
    """Splits text into script runs with one regex; sets ``kind`` and ``system`` on each token.

    ``kind`` is the regex group (mong, tib, dig, han, lat, oth); ``system`` is the declared
    Mongolian writing system (hudum/todo/manchu) or None. No minimum size, no stop words.
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs) -> Iterator[Token]:
        # Read the writing system now, not when the generator first runs: the caller's
        # `with writing_system(...)` block may have ended by then.
        tag = kwargs.pop("writing_system", None) or _current_ws.get()
        system = _mongol_declared(tag)
        # Full-width Latin is read as ASCII (a query's Wylie and pinyin readings see the
        # letters); the fold is one character for one, so offsets point at the text as written.
        value = scripts.fold_width(value)
        return self._tokens(value, positions, chars, keeporiginal, removestops, start_pos,
                            start_char, tokenize, mode, system, kwargs)

    @staticmethod
    def _tokens(value, positions, chars, keeporiginal, removestops, start_pos, start_char,
                tokenize, mode, system, kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.system = system
        t.stopped = False
        t.boost = 1.0
        if not tokenize:
            t.original = t.text = value
            t.kind = _KIND_OF_SCRIPT.get(scripts.detect_script(value), "oth")
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        # Whoosh indexes with positions only; setting pos unasked is harmless and saves a test
        # per token on the path that runs once per token per field.
        if not chars and not keeporiginal:
            for pos, m in enumerate(TOKEN_RE.finditer(value), start_pos):
                t.text = m.group()
                t.kind = m.lastgroup
                t.pos = pos
                yield t
            return
        for pos, m in enumerate(TOKEN_RE.finditer(value), start_pos):
            t.text = m.group()
            t.kind = m.lastgroup
            t.pos = pos
            if keeporiginal:
                t.original = t.text
            if chars:
                start, end = m.span()
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class FieldFilter(Filter):
    """Replaces each token's text by its key(s) for one field (``library.scripts.token_keys``).

    A token with several keys (a Han character's pinyin readings in ``tr``) is yielded once per
    key at the same position and character span.
    """

    def __init__(self, field: str):
        if field not in FIELDS:
            raise ValueError(f"unknown field {field!r}; expected one of {FIELDS}")
        self.field = field

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        field = self.field
        keys_of = scripts.token_keys
        for t in tokens:
            kind = t.kind
            keys = keys_of(field, kind, t.text, t.system if kind == "mong" else None)
            if field == "tr":
                keys = _grouped(kind, keys)
            if len(keys) == 1:
                t.text = keys[0]
                yield t
            else:
                for k in keys:
                    t.text = k
                    yield t


def _grouped(kind: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Transliteration keys marked with the token's script group (see TR_GROUP)."""
    group = TR_GROUP.get(kind)
    return keys if group is None else tuple(group + k for k in keys)


@lru_cache(maxsize=None)
def analyzer(field: str) -> Analyzer:
    """The analyzer of index field ``field`` ("x", "s", "l" or "tr"), built once."""
    return ScriptTokenizer() | FieldFilter(field)


# ---------------------------------------------------------------------------------------------
# Whole-document analysis for the index (one pass, all fields)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 18)
def index_keys(kind: str, text: str, system: str | None) -> tuple[tuple[str, ...], ...]:
    """One token's keys by role: (exact and shape, loose, translit)."""
    keys_of = scripts.token_keys
    if kind != "mong":
        system = None
    xs = keys_of("x", kind, text, system)
    shape = keys_of("s", kind, text, system)
    if shape != xs:
        xs = tuple(dict.fromkeys(xs + shape))
    return (xs, keys_of("l", kind, text, system),
            _grouped(kind, keys_of("tr", kind, text, system)))


@lru_cache(maxsize=1 << 18)
def index_terms(kind: str, text: str, system: str | None) -> tuple[tuple[str, ...], ...]:
    """The terms one token puts in each of INDEX_FIELDS (see X_ONLY and L_ONLY)."""
    xs, loose, tr = index_keys(kind, text, system)
    terms = [k if (k in loose or k[:1] == "~") else X_ONLY + k for k in xs]
    terms += [L_ONLY + k for k in loose if k not in xs]
    return tuple(terms), tr


def token_spans(text: str, writing_system: str | None = None
                ) -> Iterator[tuple[int, int, str, str, str | None]]:
    """(startchar, endchar, kind, token text, Mongolian system) of every token, lazily."""
    system = _mongol_declared(writing_system if writing_system is not None
                              else _current_ws.get())
    for m in TOKEN_RE.finditer(text):
        yield m.start(), m.end(), m.lastgroup, m.group(), system


@lru_cache(maxsize=1 << 18)
def role_keys(role: int, kind: str, text: str, system: str | None) -> frozenset:
    """One token's keys in one role (0 exact and shape, 1 loose, 2 translit), computing only
    that role's keys (snippets need one or two roles, and only near the first match)."""
    keys_of = scripts.token_keys
    if kind != "mong":
        system = None
    if role == 0:
        return frozenset(keys_of("x", kind, text, system) + keys_of("s", kind, text, system))
    if role == 1:
        return frozenset(keys_of("l", kind, text, system))
    return frozenset(_grouped(kind, keys_of("tr", kind, text, system)))


_TERMS_BY_TEXT: dict[str | None, dict[str, tuple]] = {}
_TERMS_BY_TEXT_MAX = 1 << 18
# TOKEN_RE without its named groups: ``findall`` then gives the tokens' texts as a list, in C.
_TOKEN_TEXT_RE = re.compile(re.sub(r"\(\?P<\w+>", "(?:", TOKEN_RE.pattern))


def document_postings(text: str, writing_system: str | None = None
                      ) -> tuple[dict[str, list[int]], ...]:
    """term -> positions for each of INDEX_FIELDS, from one tokenisation of ``text``.

    Equivalent to running the four field analyzers (tests check it), at a fraction of the
    cost: the text is tokenised once, each distinct token's terms are computed once per
    process, and a page's terms are gathered once per distinct token of the page.
    """
    system = _mongol_declared(writing_system if writing_system is not None
                              else _current_ws.get())
    # A token's text decides its regex group (the groups start on disjoint characters), so
    # within one writing system the text alone keys its terms.
    cache = _TERMS_BY_TEXT.get(system)
    if cache is None or len(cache) > _TERMS_BY_TEXT_MAX:
        cache = _TERMS_BY_TEXT[system] = {}
    tokens = _TOKEN_TEXT_RE.findall(text)
    positions: dict[str, list[int]] = {}
    for pos, tok in enumerate(tokens):
        at = positions.get(tok)
        if at is None:
            positions[tok] = [pos]
        else:
            at.append(pos)
    px: dict[str, list[int]] = {}
    ptr: dict[str, list[int]] = {}
    shared: list[list[int]] = []  # position lists gathered from several tokens: to sort
    for tok, at in positions.items():
        entry = cache.get(tok)
        if entry is None:
            entry = cache[tok] = _token_entry(TOKEN_RE.match(tok).lastgroup, tok, system)
        for out, terms in ((px, entry[0]), (ptr, entry[1])):
            for k in terms:
                have = out.get(k)
                if have is None:
                    out[k] = at
                else:
                    have = out[k] = have + at
                    shared.append(have)
    for at in shared:
        at.sort()
    from .pairs import pair_filter  # (catalog.pairs reads analysis: imported when used)

    return px, ptr, pair_filter(list(map(cache.__getitem__, tokens)))


def _token_entry(kind: str, text: str, system: str | None) -> tuple:
    """A token's terms in each index field, and the hashes of its loose key and of its
    transliteration terms (for the pair filter, catalog.pairs)."""
    kx, ktr = index_terms(kind, text, system)
    loose = index_keys(kind, text, system)[1]
    from .pairs import key_hash
    tr = tuple(key_hash(t) for t in ktr)
    return kx, ktr, key_hash(loose[0]), tr, tr[0]


def tr_matches(query_key: str) -> tuple[str, ...]:
    """The index terms a query skeleton matches (see TR_GROUP): a Mongolian key its own
    group's and the bare one; a bare (Latin or Cyrillic) skeleton the bare one and the
    Mongolian group's. Tibetan and Han keys match themselves only."""
    group = TR_GROUP["mong"]
    if query_key[:1] == group:
        return (query_key, query_key[1:])
    if query_key[:1] in TR_GROUPS:
        return (query_key,)
    return (query_key, group + query_key)
