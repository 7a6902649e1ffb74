"""From a user's query text to a Whoosh query over the four analysed fields, plus what was understood.

``build_query`` reads one word or phrase of the search syntax (``catalog.query_syntax`` reads
the operators and filters, ``catalog.query_tree`` combines the words' queries). Its text is
plain text, never Whoosh query syntax: quotes, colons, brackets and operators are just
characters (the tokenizer skips punctuation). The query is analysed with the same
analyzers as the index, field by field; a multi-token query is a phrase in each field, and the
fields are OR-ed with boosts (exact > shape > loose > transliteration). On top of that, for
everything except ``exact=True``:

- Latin text that reads as EWTS (Wylie) is converted to Tibetan with pyewts and searched in the
  script fields; unspaced Wylie ("Gesar", "bka'gyur") is first cut into syllables;
- unspaced pinyin ("ganzhuer") is cut into syllables (fewest syllables over pypinyin's
  inventory) and searched in ``tr``;
- a query equal to one spelling in the alias thesaurus (``library/data/aliases.tsv``, or a
  library's own ``aliases.tsv``, which extends it) also searches every other spelling of that name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Sequence as Seq

from whoosh import query as wq

from catalog.analysis import BOOSTS, FIELDS, analyzer, writing_system as ws_context
from catalog.tr_query import pinyin_sequence, split_sound, tr_sequences, wylie_sequence
from library import scripts

from .query_syntax import Understood

__all__ = ["build_query", "load_aliases", "Aliases", "Understood", "DEFAULT_ALIASES_PATH",
           "MAX_QUERY_CHARS", "MAX_QUERY_TOKENS", "segment_pinyin", "segment_wylie",
           "analyze_query"]

# The one cap on a query's length, in characters: a longer query is refused with a 400 by every
# entry point (catalog.request), and build_query keeps no more of it.
MAX_QUERY_CHARS = 500
MAX_QUERY_TOKENS = 64
# A phrase with alternatives at some positions (a Han character's readings) becomes an Or of
# phrases up to this many; beyond, a Sequence of Or-ed terms.
MAX_PHRASE_VARIANTS = 16
DEFAULT_ALIASES_PATH = Path(scripts.DATA_DIR) / "aliases.tsv"

# A query token sequence: one list of alternative terms per position.
Terms = tuple[tuple[str, ...], ...]


def analyze_query(text: str, fieldname: str) -> tuple[Terms, list[str]]:
    """The terms of ``text`` in one field, grouped by position, and each position's token kind.

    A query declares no writing system (its words' own letters decide). Positions beyond
    MAX_QUERY_TOKENS are dropped.
    """
    groups: list[list[str]] = []
    kinds: list[str] = []
    last_pos = None
    with ws_context(None):
        stream = analyzer(fieldname)(text, positions=True, mode="query")
        for t in stream:
            if t.pos != last_pos:
                if len(groups) >= MAX_QUERY_TOKENS:
                    break
                groups.append([])
                kinds.append(t.kind)
                last_pos = t.pos
            if t.text not in groups[-1]:
                groups[-1].append(t.text)
    return tuple(tuple(g) for g in groups), kinds


def _leaf(fieldname: str, seq: Terms, boost: float) -> wq.Query | None:
    if not seq:
        return None
    if len(seq) == 1:
        alts = seq[0]
        if len(alts) == 1:
            return wq.Term(fieldname, alts[0], boost=boost)
        return wq.Or([wq.Term(fieldname, a) for a in alts], boost=boost)
    if all(len(alts) == 1 for alts in seq):
        return wq.Phrase(fieldname, [alts[0] for alts in seq], boost=boost)
    combos = 1
    for alts in seq:
        combos *= len(alts)
    if combos <= MAX_PHRASE_VARIANTS:
        # Plain phrases are faster than span queries and simpler for highlighters to read.
        return wq.Or([wq.Phrase(fieldname, list(words)) for words in product(*seq)],
                     boost=boost)
    subs = [wq.Term(fieldname, alts[0]) if len(alts) == 1
            else wq.Or([wq.Term(fieldname, a) for a in alts]) for alts in seq]
    return wq.Sequence(subs, boost=boost)


# ---------------------------------------------------------------------------------------------
# Alias thesaurus
# ---------------------------------------------------------------------------------------------


@dataclass
class Aliases:
    """Concepts (tuples of spellings) and lookup tables from a spelling's keys to its concept."""

    concepts: list[tuple[str, ...]] = field(default_factory=list)
    by_loose: dict[tuple[str, ...], int] = field(default_factory=dict)
    by_skeleton: dict[tuple[str, ...], int] = field(default_factory=dict)

    def lookup(self, text: str) -> tuple[str, ...]:
        """All spellings of the concept ``text`` spells, or () when it is no known alias."""
        loose = _first_keys(text, "l")
        if loose in self.by_loose:
            return self.concepts[self.by_loose[loose]]
        if _is_alphabetic(text):
            skel = _first_keys(text, "tr")
            if skel and skel in self.by_skeleton:
                return self.concepts[self.by_skeleton[skel]]
        return ()


def _first_keys(text: str, fieldname: str) -> tuple[str, ...]:
    seq, _ = analyze_query(text, fieldname)
    return tuple(alts[0] for alts in seq)


def _is_alphabetic(text: str) -> bool:
    seq_kinds = analyze_query(text, "x")[1]
    return bool(seq_kinds) and all(k == "lat" for k in seq_kinds)


def _read_alias_lines(path: Path) -> list[tuple[str, ...]]:
    """The non-comment lines of an alias file as NFC spellings (de-duplicated, blanks dropped)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("#"):
                continue
            fields = tuple(dict.fromkeys(
                unicodedata.normalize("NFC", s.strip()) for s in line.rstrip("\n").split("\t")
                if s.strip()))
            if fields:
                rows.append(fields)
    return rows


@lru_cache(maxsize=4096)
def _spelling_keys(s: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(loose key, skeleton key or ()) of one spelling: the keys ``Aliases.lookup`` matches on."""
    skel = _first_keys(s, "tr") if _is_alphabetic(s) else ()
    return _first_keys(s, "l"), skel


def _holds(concept: list[str], s: str) -> bool:
    """Whether ``concept`` has a spelling ``lookup`` would match ``s`` to."""
    loose, skel = _spelling_keys(s)
    for other in concept:
        o_loose, o_skel = _spelling_keys(other)
        if (loose and loose == o_loose) or (skel and skel == o_skel):
            return True
    return False


def _merge_alias_lines(rows: list[tuple[str, ...]]) -> Aliases:
    """Apply lines in order: a concept sharing a spelling with an earlier one is merged into it
    (so a library file extends and corrects the built-in list rather than rivalling it);
    ``-X`` drops the spelling X, ``-X<TAB>*`` the whole concept holding X."""
    concepts: list[list[str]] = []
    for row in rows:
        if row[0].startswith("-") and len(row[0]) > 1:
            target = row[0][1:].strip()
            whole = len(row) > 1 and row[1] == "*"
            loose = _spelling_keys(target)[0]
            for c in concepts:
                if not _holds(c, target):
                    continue
                if whole:
                    c.clear()
                else:
                    # A removal names one spelling, so only its loose key (not the skeleton,
                    # which Kesar and Geser may share) decides what goes.
                    c[:] = [x for x in c if _spelling_keys(x)[0] != loose]
            concepts = [c for c in concepts if len(c) >= 2]
            continue
        if len(row) < 2:
            continue
        hits = [c for c in concepts if any(_holds(c, s) for s in row)]
        if not hits:
            concepts.append(list(row))
            continue
        into = hits[0]
        for other in hits[1:]:
            into.extend(x for x in other if x not in into)
            concepts = [c for c in concepts if c is not other]
        into.extend(x for x in row if x not in into)
    al = Aliases()
    for idx, c in enumerate(concepts):
        al.concepts.append(tuple(c))
        for s in c:
            loose, skel = _spelling_keys(s)
            if loose:
                al.by_loose.setdefault(loose, idx)
            if skel:
                al.by_skeleton.setdefault(skel, idx)
    return al


@lru_cache(maxsize=8)
def _load_cached(path: str | None, mtime_ns: int, size: int) -> Aliases:
    rows = _read_alias_lines(DEFAULT_ALIASES_PATH)
    if path is not None:
        rows += _read_alias_lines(Path(path))
    return _merge_alias_lines(rows)


def load_aliases(path: str | Path | None = None) -> Aliases:
    """The built-in alias thesaurus extended by a library's own file (one concept a line,
    spellings separated by tabs; # comments; ``-X`` removes a spelling, ``-X<TAB>*`` a concept).

    Without ``path``, or when ``path`` does not exist, the built-in list alone. Cached on the
    library file's path, mtime and size, so edits take effect without a restart.
    """
    p = Path(path) if path else None
    if p is None or not p.is_file() or p.resolve() == DEFAULT_ALIASES_PATH.resolve():
        return _load_cached(None, 0, 0)
    st = p.stat()
    return _load_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)


# ---------------------------------------------------------------------------------------------
# Wylie and pinyin on the query side
# ---------------------------------------------------------------------------------------------

_W_CONS = "(?:tsh|kh|ch|th|ph|zh|sh|dz|ts|ng|ny|Th|Dh|Sh|k|g|c|j|t|d|n|p|b|m|w|z|'|y|r|l|s|h|T|D|N)"
_W_VOWEL = "(?:ai|au|-i|-I|a|A|i|I|u|U|e|o)"
_W_END = "(?:~M|M|H)?(?:(?:ng|[gdnbm'rls])[sd]?)?(?:'(?:i|o|am|ang|is|u))?"
_WYLIE_SYLLABLE = re.compile(
    f"(?P<pre>[gdbm']|g\\.)?(?P<sup>[rls](?={_W_CONS}))?{_W_CONS}(?P<sub>\\+?[yrlw]){{0,2}}"
    f"{_W_VOWEL}{_W_END}"
)
_WYLIE_VOWEL_SYLLABLE = re.compile(f"{_W_VOWEL}{_W_END}")
# ALA-LC Tibetan romanisation differs from EWTS in five letters (text/SCRIPTS.md section 5).
_ALA_LC_TO_EWTS = str.maketrans({"ʼ": "'", "’": "'", "ṅ": "ng", "ñ": "ny", "ś": "sh", "ź": "zh",
                                 "Ṅ": "Ng", "Ñ": "Ny", "Ś": "Sh", "Ź": "Zh"})
_WYLIE_STRONG = re.compile(r"['.+~]|(?<=[a-z])[A-Z]")


def _wylie_syllable_ok(s: str, first: bool) -> bool:
    if _WYLIE_SYLLABLE.fullmatch(s):
        return True
    # An a-chen syllable ("a", "o", "ar") is written vowel-first; only allowed word-initially so
    # that "gesar" is not read as "ges ar".
    return first and bool(_WYLIE_VOWEL_SYLLABLE.fullmatch(s))


def _wylie_strong(syllable: str) -> bool:
    m = _WYLIE_SYLLABLE.fullmatch(syllable)
    return bool(m and (m.group("pre") or m.group("sup") or m.group("sub")))


@lru_cache(maxsize=4096)
def segment_wylie(word: str) -> tuple[str, ...]:
    """Cut an unspaced EWTS word into syllables (fewest wins), or () if it is not Wylie.

    An apostrophe between two syllables may serve both ("bka'gyur" -> "bka'", "'gyur"), as
    typists drop one of the two in "bka' 'gyur".
    """
    w = word.translate(_ALA_LC_TO_EWTS)
    if len(w) > 1 and w[0].isupper() and w[1:].islower():
        w = w.lower()  # a capitalised name, not a retroflex/long-vowel capital
    if not w or len(w) > 40 or not all(c.isascii() and (c.isalpha() or c in "'.+~-")
                                       for c in w):
        return ()
    n = len(w)
    inf = (1 << 30, ())
    # best[s] = (cost, syllables) for the rest of the word starting at s
    best: list[tuple[int, tuple[str, ...]]] = [inf] * (n + 1)
    best[n] = (0, ())
    for s in range(n - 1, -1, -1):
        for e in range(n, s, -1):
            syl = w[s:e]
            if not _wylie_syllable_ok(syl, s == 0):
                continue
            cands = [(e, 10)]
            if syl.endswith("'") and e < n and e - 1 > s:
                cands.append((e - 1, 9))  # shared apostrophe, preferred to a lost one
            for nxt, cost in cands:
                rest = best[nxt]
                if rest[0] >= inf[0]:
                    continue
                total = cost + rest[0]
                if total < best[s][0]:
                    best[s] = (total, (syl,) + rest[1])
    return best[0][1] if best[0][0] < inf[0] else ()


@lru_cache(maxsize=4096)
def segment_pinyin(word: str) -> tuple[str, ...]:
    """Cut unspaced pinyin into syllables (fewest, then longest first), or ().

    Tone marks and tone numbers are ignored ("Xīyóujì", "xi1you2ji4"); ü may be typed u or v.
    """
    w = unicodedata.normalize("NFD", word.lower()).replace("u\u0308", "v")
    w = "".join(c for c in w if not unicodedata.combining(c))
    parts = [p for p in re.split(r"['’\-1-5]", w) if p]
    if not parts or not all(p.isascii() and p.isalpha() for p in parts) or len(w) > 60:
        return ()
    inventory = scripts.pinyin_syllables()
    out: list[str] = []
    for p in parts:
        n = len(p)
        best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[n] = (0, ())
        for s in range(n - 1, -1, -1):
            for e in range(min(n, s + 6), s, -1):
                rest = best[e]
                if rest is None or p[s:e] not in inventory:
                    continue
                if best[s] is None or rest[0] + 1 < best[s][0]:
                    best[s] = (rest[0] + 1, (p[s:e],) + rest[1])
        if best[0] is None:
            return ()
        out.extend(best[0][1])
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# build_query
# ---------------------------------------------------------------------------------------------


_CYRILLIC_LETTER = re.compile("[\u0400-\u052f]")


def _clean(text: str) -> tuple[str, bool]:
    text = "" if text is None else str(text)
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    if scripts.has_menksoft(text):
        text = scripts.convert_menksoft(text)
    # Lone surrogates cannot be normalised or indexed; they are noise in a query.
    text = text.encode("utf-8", "replace").decode("utf-8") if any(
        "\ud800" <= c <= "\udfff" for c in text) else text
    return unicodedata.normalize("NFC", text), truncated


def _scripts_of(text: str) -> list[str]:
    seen: list[str] = []
    with ws_context(None):
        for t in analyzer("x").items[0](text, mode="query"):
            sc = scripts.detect_script(t.text, None) if t.kind in ("mong", "lat") else {
                "tib": scripts.TIBETAN, "han": scripts.HAN, "dig": scripts.DIGITS,
            }.get(t.kind, scripts.OTHER)
            if sc not in seen:
                seen.append(sc)
            if len(seen) >= 9:
                break
    return seen


def _latin_words(text: str) -> list[str]:
    """The query's words as typed (tokens of kind "lat"), for Wylie/pinyin reading."""
    return [t.text for t in analyzer("x").items[0](text, mode="query")]


def build_query(text: str, *, exact: bool = False, aliases_path: str | Path | None = None,
                field_map: dict[str, str] | None = None, sound: bool = False
                ) -> tuple[wq.Query, Understood]:
    """Turn the user's ``text`` into a Whoosh query over the key fields (FIELDS).

    Returns the query and the query as understood (``Understood``). ``exact=True`` searches
    the exact field only,
    with no conversion or alias. Never raises on user text; a query with no searchable token
    is ``whoosh.query.NullQuery``. ``field_map`` names the index field that holds each key
    (``analysis.INDEX_FIELD_OF`` for Sudur's index); a key sequence already searched in the
    same index field is not searched again.
    """
    clean, truncated = _clean(text)
    clean, prefixed = split_sound(clean)
    info = Understood(text=clean, exact=bool(exact), truncated=truncated,
                      sound=not exact and (sound or prefixed))
    fields = ("x",) if exact else FIELDS

    # Alternatives per field: each a sequence of term alternatives by position.
    alts: dict[str, list[Terms]] = {f: [] for f in fields}
    kinds: list[str] = []
    for f in fields:
        # (transliteration by each scheme's own rules: catalog.tr_query)
        seq, k = analyze_query(clean, f) if f != "tr" else ((), None)
        if seq:
            alts[f].append(seq)
        if f == "tr":
            alts[f].extend(tr_sequences(clean, sound=info.sound, limit=MAX_QUERY_TOKENS))
        if f == "x":
            kinds = k
    if not kinds:
        return wq.NullQuery, info
    info.scripts = _scripts_of(clean)
    info.phrase = len(kinds) > 1

    if all(k == "lat" for k in kinds):
        words = _latin_words(clean)
        if _CYRILLIC_LETTER.search(clean):
            info.transliteration = "cyrillic"
            info.converted["latin"] = " ".join(
                scripts.cyrillic_to_latin(w) for w in words)
        else:
            info.transliteration = "latin"
            if not exact:
                _add_wylie(words, alts, info)
                _add_pinyin(words, alts, info)

    if not exact:
        spellings = load_aliases(aliases_path).lookup(clean)
        others = [s for s in spellings if _first_keys(s, "l") != _first_keys(clean, "l")]
        if others:
            info.aliases = others
            for s in others:
                for f in fields:
                    seq, _ = analyze_query(s, f) if f != "tr" else ((), None)
                    if seq:
                        alts[f].append(seq)
                    if f == "tr":
                        alts[f].extend(tr_sequences(s, limit=MAX_QUERY_TOKENS))

    subqueries: list[wq.Query] = []
    seen: set[tuple[str, Terms]] = set()
    for f in fields:
        target = field_map.get(f, f) if field_map else f
        for seq in alts[f]:
            if (target, seq) in seen:
                continue
            seen.add((target, seq))
            q = _leaf(target, seq, BOOSTS[f])
            if q is not None:
                subqueries.append(q)
    if not subqueries:
        return wq.NullQuery, info
    if len(subqueries) == 1:
        return subqueries[0], info
    return wq.Or(subqueries), info


def _add_wylie(words: Seq[str], alts: dict[str, list[Terms]], info: Understood) -> None:
    """Read the Latin words as EWTS: Tibetan for the script fields, syllables for ``tr``."""
    syllables: list[str] = []
    for w in words:
        seg = segment_wylie(w)
        if not seg:
            return
        syllables.extend(seg)
    wylie = " ".join(syllables)
    tib, warns = scripts.wylie_to_tibetan(wylie)
    if warns or not tib or not any("\u0f40" <= c <= "\u0fbc" for c in tib):
        return
    info.converted["wylie"] = tib
    if any(_WYLIE_STRONG.search(w) for w in words) or any(_wylie_strong(s) for s in syllables):
        info.transliteration = "wylie"
    for f in ("x", "s", "l"):
        seq, _ = analyze_query(tib, f)
        if seq:
            alts[f].append(seq)
    if len(syllables) != len(words):
        alts["tr"].append(wylie_sequence(syllables))


def _add_pinyin(words: Seq[str], alts: dict[str, list[Terms]], info: Understood) -> None:
    """Read the Latin words as pinyin: unspaced syllables cut apart for ``tr``."""
    syllables: list[str] = []
    for w in words:
        seg = segment_pinyin(w)
        if not seg:
            return
        syllables.extend(seg)
    info.converted["pinyin"] = " ".join(syllables)
    if info.transliteration != "wylie":
        info.transliteration = "pinyin"
    if len(syllables) != len(words):
        alts["tr"].append(pinyin_sequence(syllables))
