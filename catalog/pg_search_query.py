"""A composed query on the PostgreSQL search rows: rewritten onto the terms the rows hold by
the Whoosh backend's own rewrite, then written as a ``tsquery``.

``Lexicon`` answers, from the lexicon table (``pg_search_write.TERMS``), the three questions
``query_tree.index_tree`` asks a Whoosh index reader: does the index hold this term, which
terms begin with this prefix (in code point order) and in how many documents is each. So the
same rewrite runs on both backends: the same marks (``X_ONLY``, ``L_ONLY``), the same prefix
expansions (the 64 most frequent terms, named in "understood") and the same pruning of terms
no page holds. ``to_tsquery`` then writes the rewritten tree:
- a term is its lexeme (a ``tr`` term behind ``TR_TAG``);
- a phrase or sequence is ``<->`` between its positions (alternatives OR-ed in a position);
- OR is ``|``, AND ``&``, AND NOT ``& !``;
- NEAR/n (one side starting at most n tokens after the other's end, either order, as
  ``boolscan``) is the OR of ``<1>`` … ``<n>`` both ways, as ``<k>`` in a tsquery means
  exactly k; past ``MAX_NEAR`` it is searched as NEAR/``MAX_NEAR``.

A query with positions in it (a phrase, a sequence, NEAR) is asked in three steps, as the
Whoosh backend's ``catalog.matching`` does (``Written``): the RUM index answers it with its
position operators relaxed to ``&`` (which it does alone, in reading order, without reading
any row); of those pages, the ones whose pairs (``catalog.pairs``, the row's ``pairs``)
hold the phrase's adjacent pairs; of those, the ones whose vector holds the positions.
A page holding all the words of a rare phrase but never side by side is thus dropped by a
look at its pairs, not by unpacking its vector (the RUM index keeps no positions here). The
same pair filter, asked of the pairs' GIN index (``pair_sql``: ``pairs @> ARRAY[…]``),
finds the few rows a rare phrase may be on (``pg_search._settled``).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Iterator

from whoosh import query as wq

from . import analysis, pairs
from .pg_search_write import TERMS, TR_TAG, pair_value, quote_lexeme
from .query_tree import NearQuery, WordPrefix, index_tree
from .querying import Understood
from .terms import SLOT, text_of

__all__ = ["Lexicon", "on_index", "expanded", "to_tsquery", "first_row", "MAX_NEAR",
           "MAX_DISJUNCTS"]

MAX_NEAR = 64

_LAST = "\U0010ffff"


def _lexeme(field: str, term: str) -> str:
    return TR_TAG + term if field == "tr" else term


class Lexicon:
    """The lexicon table read as the part of a Whoosh reader the query rewrite uses."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.docs: dict[str, int] = {}  # lexeme -> rows holding it (0: none), as read
        self.first: dict[str, int] = {}  # lexeme -> no row before this ``seq`` holds it
        self.prefixes: dict[str, list] = {}  # prefix -> (term, docs) rows, as read

    def load(self, lexemes: list[str]) -> None:
        """Read these lexemes' counts in one query (the rewrite then asks without a trip)."""
        want = [x for x in dict.fromkeys(lexemes) if x not in self.docs]
        if not want:
            return
        for x in want:
            self.docs[x] = 0
        for term, docs, first in self.conn.execute(
                f"SELECT term, docs, first FROM {TERMS} WHERE term = ANY(%s)", (want,)):
            self.docs[term] = docs
            self.first[term] = first

    def __contains__(self, key: tuple[str, str]) -> bool:
        lexeme = _lexeme(key[0], text_of(key[1]))
        if lexeme not in self.docs:
            self.load([lexeme])
        return self.docs[lexeme] > 0

    def doc_frequency(self, field: str, term) -> int:
        lexeme = _lexeme(field, text_of(term))
        if lexeme not in self.docs:
            self.load([lexeme])
        return self.docs[lexeme]

    def expand_prefix(self, field: str, prefix) -> Iterator[str]:
        """The terms beginning with ``prefix``, in code point order (as Whoosh's lexicon)."""
        tag = TR_TAG if field == "tr" else ""
        low = tag + text_of(prefix)
        # (the query rewrite reads at most query_tree.MAX_PREFIX_SCAN + 1 of them)
        rows = self.prefixes.get(low)
        if rows is None:
            rows = self.prefixes[low] = self.conn.execute(
                f"SELECT term, docs FROM {TERMS} WHERE term >= %s AND term < %s "
                f"ORDER BY term LIMIT 4097", (low, low + _LAST)).fetchall()
        for term, docs in rows:
            self.docs[term] = docs
        for term, _docs in rows:
            if field != "tr" and term.startswith(TR_TAG):
                continue
            yield term[len(tag):]


def _candidates(q: wq.Query, out: list[str]) -> list[str]:
    """Every lexeme the rewrite may ask about for the terms of ``q`` (``terms.index_terms_of``
    names the same marks)."""
    if isinstance(q, wq.Term) and not isinstance(q, wq.Prefix) and q.fieldname in SLOT:
        words = [q.text]
    elif isinstance(q, wq.Phrase) and q.fieldname in SLOT:
        words = q.words
    else:
        for c in q.children():
            _candidates(c, out)
        return out
    field = q.fieldname
    for w in words:
        key = text_of(w)
        if field == "tr":
            out.append(TR_TAG + key)
        elif field == "l":
            out += [key, analysis.L_ONLY + key]
        else:
            out += [key, analysis.X_ONLY + key]
    return out


def on_index(q: wq.Query, lexicon: Lexicon, understood: Understood) -> wq.Query:
    """``q`` (from ``query_tree.compose``) over the terms the rows hold (as ``index_tree``)."""
    if q is wq.NullQuery:
        return q
    lexicon.load(_candidates(q, []))
    return index_tree(q, lexicon, understood)


def _unmarked(term: str) -> str:
    return term[1:] if term[:1] in (analysis.X_ONLY, analysis.L_ONLY) else term


def expanded(q: wq.Query, lexicon: Lexicon) -> wq.Query:
    """``q`` with each prefix replaced by the keys it reached (for the snippets, which look
    for keys in the text: ``terms.query_sequences``)."""
    if isinstance(q, WordPrefix):
        found = index_tree(q, lexicon, Understood(text=""))
        keys = [_unmarked(text_of(t.text)) for t in found.leaves() if isinstance(t, wq.Term)]
        if not keys:
            return wq.NullQuery
        return wq.Or([wq.Term(q.fieldname, k) for k in dict.fromkeys(keys)])
    kids = list(q.children())
    if not kids:
        return q
    if isinstance(q, NearQuery):
        return NearQuery([expanded(c, lexicon) for c in q.qs], q.slop)
    if isinstance(q, wq.AndNot):
        return wq.AndNot(expanded(q.a, lexicon), expanded(q.b, lexicon))
    if isinstance(q, (wq.And, wq.Or, wq.Sequence, wq.Ordered)):
        return type(q)([expanded(c, lexicon) for c in q.subqueries], boost=q.boost)
    return q


def _key(field: str, term) -> str:
    return quote_lexeme(_lexeme(field, text_of(term)))


@dataclass(frozen=True)
class _Alt:
    """One plain phrase (no OR inside): its tsquery text; the same with its phrase
    operators relaxed to ``&`` (which the index answers without reading a row); the pairs
    (``pairs.portable_needle``) every page holding it holds; and what its first and last
    positions are known by (``pairs.position_hashes``; None: unknown, or no one position)."""

    text: str
    loose: str
    needles: frozenset = frozenset()
    head: tuple | None = None
    tail: tuple | None = None


def _position(field: str, term) -> tuple | None:
    return pairs.position_hashes(((field, text_of(term)),))


def _needles(a: tuple | None, b: tuple | None) -> frozenset:
    """The pair two adjacent positions make, when the pairs can tell it."""
    hashes = pairs.pair_hashes(a, b)
    if not hashes or len(hashes) > 1:
        return frozenset()
    return frozenset(map(pairs.portable_needle, hashes))


def _phrase(field: str, words: list) -> _Alt:
    known = [_position(field, w) for w in words]
    keys = [_key(field, w) for w in words]
    found = frozenset().union(*(_needles(a, b) for a, b in zip(known, known[1:])))
    return _Alt(" <-> ".join(keys), "(" + " & ".join(keys) + ")", found, known[0], known[-1])


# A phrase's alternatives are written out as whole phrases, at most this many, each with its
# own pairs; a query with more keeps its ORs inside (and asks for no pairs there). (The RUM
# index, 1.3 in Debian's postgresql-15-rum, misses every match of an OR inside a phrase
# operand when it reads in order: ``(a|b) <-> c`` finds nothing through ``ORDER BY seq <=>
# 0``. It never sees a phrase operator now, only the relaxed query; tests/test_pg_search.py
# keeps the case.)
MAX_DISJUNCTS = 256


def _disjuncts(q: wq.Query) -> list[_Alt] | None:
    """Plain phrases (no OR inside) whose OR is ``q``, or None when ``q`` holds another
    operator or more than MAX_DISJUNCTS of them."""
    if isinstance(q, wq.Term):
        at, key = _position(q.fieldname, q.text), _key(q.fieldname, q.text)
        return [_Alt(key, key, frozenset(), at, at)]
    if isinstance(q, wq.Phrase):
        return [_phrase(q.fieldname, q.words)]
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        out: list = [None]
        for c in q.subqueries:
            alts = _disjuncts(c)
            if alts is None or len(out) * len(alts) > MAX_DISJUNCTS:
                return None
            out = [_Alt(f"({b.text})", b.loose, b.needles, b.head, b.tail) if a is None else
                   _Alt(f"{a.text} <-> ({b.text})", f"{a.loose} & {b.loose}",
                        a.needles | b.needles | _needles(a.tail, b.head), a.head, b.tail)
                   for a in out for b in alts]
        out = [_Alt(a.text, f"({a.loose})", a.needles, a.head, a.tail) for a in out]
        return out
    if isinstance(q, NearQuery):
        left, right = (_disjuncts(c) for c in q.qs)
        n = max(1, min(int(q.slop), MAX_NEAR))
        if left is None or right is None or 2 * n * len(left) * len(right) > MAX_DISJUNCTS:
            return None
        return [_Alt(f"({a.text}) <{k}> ({b.text})", f"({a.loose} & {b.loose})",
                     a.needles | b.needles)
                for k in range(1, n + 1) for x, y in product(left, right)
                for a, b in ((x, y), (y, x))]
    if type(q) is wq.Or:
        out = []
        for c in q.subqueries:
            alts = _disjuncts(c)
            if alts is None:
                return None
            out += alts
        out = list(dict.fromkeys(out))
        return out if len(out) <= MAX_DISJUNCTS else None
    return None


def _or(parts: list[str]) -> str:
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


# The pair filter of a query: True (none), a needle, or ("and" | "or", (filters…)).
Filter = object


def _all(parts: list) -> Filter:
    parts = list(dict.fromkeys(p for p in parts if p is not True))
    return True if not parts else parts[0] if len(parts) == 1 else ("and", tuple(parts))


def _any(parts: list) -> Filter:
    if any(p is True for p in parts) or not parts:
        return True
    parts = list(dict.fromkeys(parts))
    return parts[0] if len(parts) == 1 else ("or", tuple(parts))


@dataclass(frozen=True)
class Written:
    """A query as the SQL asks it (``to_tsquery``)."""

    text: str  # the tsquery a match satisfies, positions and all (and what ranks it)
    loose: str  # the same, phrase operators relaxed to ``&``: the index answers it alone
    pairs: Filter  # what a page's pairs must hold for it to match (catalog.pairs)

    @property
    def phrased(self) -> bool:
        """Whether a match asks for positions: the rows the index finds are then checked."""
        return self.loose != self.text


def _nested(q: wq.Query) -> Written | None:
    """A phrase or NEAR with its ORs inside (too many alternatives to write out)."""
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        parts = [_written(c) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return Written("(" + " <-> ".join(p.text for p in parts) + ")",
                       "(" + " & ".join(p.loose for p in parts) + ")",
                       _all([p.pairs for p in parts]))
    left, right = (_written(c) for c in q.qs)
    if left is None or right is None:
        return None
    n = max(1, min(int(q.slop), MAX_NEAR))
    return Written(_or([f"{a} <{k}> {b}" for k in range(1, n + 1)
                        for a, b in ((left.text, right.text), (right.text, left.text))]),
                   f"({left.loose} & {right.loose})", _all([left.pairs, right.pairs]))


def to_tsquery(q: wq.Query) -> Written | None:
    """``q`` (a tree on the index's terms) as tsqueries and a pair filter, or None: it
    matches nothing."""
    return _written(q)


def least_matches(q: wq.Query, lexicon: Lexicon) -> int:
    """A lower bound of the rows matching ``q`` (a tree on the index's terms) by the
    lexicon's counts: a term's rows, the most of an OR's terms'; 0 (unknown) otherwise."""
    if isinstance(q, wq.Term) and not isinstance(q, WordPrefix) and q.fieldname in SLOT:
        return lexicon.doc_frequency(q.fieldname, q.text)
    if type(q) is wq.Or:
        return max((least_matches(c, lexicon) for c in q.subqueries), default=0)
    return 0


def first_row(q: wq.Query, lexicon: Lexicon) -> int:
    """A ``seq`` no row matching ``q`` (a tree on the index's terms) comes before, by the
    lexicon: a term's first row; the earliest of an OR's; the latest of an AND's; 0 when
    the lexicon cannot tell."""
    if isinstance(q, wq.Term) and not isinstance(q, WordPrefix) and q.fieldname in SLOT:
        lexeme = _lexeme(q.fieldname, text_of(q.text))
        lexicon.doc_frequency(q.fieldname, q.text)  # (read, if not yet)
        return lexicon.first.get(lexeme, 0)
    if type(q) is wq.Or:
        return min((first_row(c, lexicon) for c in q.subqueries), default=0)
    if isinstance(q, wq.And):
        return max((first_row(c, lexicon) for c in q.subqueries), default=0)
    if isinstance(q, wq.AndNot):
        return first_row(q.a, lexicon)
    return 0


def pair_sql(f: Filter) -> tuple[str, list[list[int]]]:
    """A pair filter as an SQL condition on the rows' ``pairs`` and its parameters: the
    needles a page needs all of, as one array it must contain (which the pairs index
    answers, or a row's own array)."""
    if f is True:
        return "TRUE", []
    if isinstance(f, bytes):
        f = ("and", (f,))
    op, parts = f
    if op == "and":
        needles = [p for p in parts if isinstance(p, bytes)]
        rest = [pair_sql(p) for p in parts if not isinstance(p, bytes)]
        values = sorted({pair_value(int.from_bytes(n, "little")) for n in needles})
        written = ([("pairs @> %s::smallint[]", [values])] if values else []) + rest
        if len(written) == 1:
            return written[0]
    else:
        written = [pair_sql(p) for p in parts]
    return ("(" + f" {op.upper()} ".join(w for w, _ in written) + ")",
            [x for _, args in written for x in args])


def _written(q: wq.Query) -> Written | None:
    if q is wq.NullQuery or q is None:
        return None
    if isinstance(q, WordPrefix):
        raise ValueError("a prefix must be expanded first (on_index)")
    if isinstance(q, (wq.Term, wq.Phrase, wq.Sequence, wq.Ordered, NearQuery)) or \
            type(q) is wq.Or:
        alts = _disjuncts(q)
        if alts is not None:
            return Written(_or([a.text for a in alts]), _or([a.loose for a in alts]),
                           _any([_all(sorted(a.needles)) for a in alts]))
        if isinstance(q, (wq.Sequence, wq.Ordered, NearQuery)):
            return _nested(q)
    if isinstance(q, wq.AndNot):
        pos, neg = _written(q.a), _written(q.b)
        if pos is None or neg is None:
            return pos
        # relaxed, a phrase under NOT would refuse pages it does not match: left to the check
        loose = pos.loose if neg.phrased else f"({pos.loose} & !({neg.loose}))"
        # (``!`` binds tighter than ``<->``: the parentheses keep a phrase whole)
        return Written(f"({pos.text} & !({neg.text}))", loose, pos.pairs)
    if isinstance(q, wq.And):
        parts = [_written(c) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return Written("(" + " & ".join(p.text for p in parts) + ")",
                       "(" + " & ".join(p.loose for p in parts) + ")",
                       _all([p.pairs for p in parts]))
    if isinstance(q, wq.Or):
        parts = [p for p in (_written(c) for c in q.subqueries) if p is not None]
        if not parts:
            return None
        return Written(_or([p.text for p in parts]), _or([p.loose for p in parts]),
                       _any([p.pairs for p in parts]))
    raise ValueError(f"no tsquery for {q!r}")
