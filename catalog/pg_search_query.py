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
- a plain phrase also asks for its adjacent pairs (``pg_search_write.PAIR_TAG``), which
  bring a phrase of common words down to the pages holding it, from the index;
- NEAR/n (one side starting at most n tokens after the other's end, either order, as
  ``boolscan``) is the OR of ``<1>`` … ``<n>`` both ways, as ``<k>`` in a tsquery means
  exactly k; past ``MAX_NEAR`` it is searched as NEAR/``MAX_NEAR``.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Iterator

from whoosh import query as wq

from . import analysis, pairs
from .pg_search_write import TERMS, TR_TAG, pair_lexeme, quote_lexeme
from .query_tree import NearQuery, WordPrefix, index_tree
from .querying import Understood
from .terms import SLOT, text_of

__all__ = ["Lexicon", "on_index", "expanded", "to_tsquery", "MAX_NEAR", "MAX_DISJUNCTS"]

MAX_NEAR = 64

_LAST = "\U0010ffff"


def _lexeme(field: str, term: str) -> str:
    return TR_TAG + term if field == "tr" else term


class Lexicon:
    """The lexicon table read as the part of a Whoosh reader the query rewrite uses."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.docs: dict[str, int] = {}  # lexeme -> rows holding it (0: none), as read
        self.prefixes: dict[str, list] = {}  # prefix -> (term, docs) rows, as read

    def load(self, lexemes: list[str]) -> None:
        """Read these lexemes' counts in one query (the rewrite then asks without a trip)."""
        want = [x for x in dict.fromkeys(lexemes) if x not in self.docs]
        if not want:
            return
        for x in want:
            self.docs[x] = 0
        for term, docs in self.conn.execute(
                f"SELECT term, docs FROM {TERMS} WHERE term = ANY(%s)", (want,)):
            self.docs[term] = docs

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
    """One plain phrase (no OR inside): its tsquery text, the pair lexemes every page holding
    it holds, and what its first and last positions are known by (``pairs.position_hashes``;
    None: unknown, or not a single position)."""

    text: str
    pairs: frozenset = frozenset()
    head: tuple | None = None
    tail: tuple | None = None


def _position(field: str, term) -> tuple | None:
    return pairs.position_hashes(((field, text_of(term)),))


def _pairs_between(a: tuple | None, b: tuple | None) -> frozenset:
    """The pair lexeme of two adjacent positions, when the pairs can tell it."""
    hashes = pairs.pair_hashes(a, b, pairs.WIDE_PAIR_MASK)
    return frozenset(map(pair_lexeme, hashes)) if hashes and len(hashes) == 1 else frozenset()


def _phrase(field: str, words: list) -> _Alt:
    known = [_position(field, w) for w in words]
    found = frozenset().union(*(_pairs_between(a, b) for a, b in zip(known, known[1:])))
    return _Alt(" <-> ".join(_key(field, w) for w in words), found, known[0], known[-1])


def _text(alt: _Alt, with_pairs: bool) -> str:
    """The tsquery of a plain phrase, its pairs ANDed beside it (never inside a phrase
    operand, and ``&`` costs the RUM index's reading order nothing)."""
    if not with_pairs or not alt.pairs:
        return alt.text
    return "(" + " & ".join([alt.text] + [quote_lexeme(p) for p in sorted(alt.pairs)]) + ")"


# A phrase's alternatives are written out as whole phrases, at most this many: the RUM index
# (1.3, Debian postgresql-15-rum) misses every match of an OR inside a phrase operand when it
# reads in order (``(a|b) <-> c`` finds nothing through ``ORDER BY seq <=> 0``, while
# ``a <-> c | b <-> c`` finds them; tests/test_pg_search.py keeps the case). A query with more
# is written with its ORs inside, flagged not to be read in order from the RUM index.
MAX_DISJUNCTS = 256


def _disjuncts(q: wq.Query) -> list[_Alt] | None:
    """Plain phrases (no OR inside) whose OR is ``q``, or None when ``q`` holds another
    operator or more than MAX_DISJUNCTS of them."""
    if isinstance(q, wq.Term):
        at = _position(q.fieldname, q.text)
        return [_Alt(_key(q.fieldname, q.text), frozenset(), at, at)]
    if isinstance(q, wq.Phrase):
        return [_phrase(q.fieldname, q.words)]
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        out: list = [None]
        for c in q.subqueries:
            alts = _disjuncts(c)
            if alts is None or len(out) * len(alts) > MAX_DISJUNCTS:
                return None
            out = [_Alt(f"({b.text})", b.pairs, b.head, b.tail) if a is None else
                   _Alt(f"{a.text} <-> ({b.text})",
                        a.pairs | b.pairs | _pairs_between(a.tail, b.head), a.head, b.tail)
                   for a in out for b in alts]
        return out
    if isinstance(q, NearQuery):
        left, right = (_disjuncts(c) for c in q.qs)
        n = max(1, min(int(q.slop), MAX_NEAR))
        if left is None or right is None or 2 * n * len(left) * len(right) > MAX_DISJUNCTS:
            return None
        return [_Alt(f"({a.text}) <{k}> ({b.text})", a.pairs | b.pairs)
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


def _nested(q: wq.Query, flags: dict) -> str | None:
    """A phrase or NEAR with its ORs inside (too many alternatives to write out)."""
    flags["unordered"] = True
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        parts = [_tsq(c, flags) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return "(" + " <-> ".join(parts) + ")"
    left, right = (_tsq(c, flags) for c in q.qs)
    if left is None or right is None:
        return None
    n = max(1, min(int(q.slop), MAX_NEAR))
    return _or([f"{a} <{k}> {b}" for k in range(1, n + 1) for a, b in ((left, right),
                                                                       (right, left))])


def to_tsquery(q: wq.Query, *, with_pairs: bool = True) -> tuple[str | None, bool]:
    """The tsquery text of ``q`` (a tree on the index's terms), or None: it matches nothing;
    and whether the RUM index may give its matches in reading order (see MAX_DISJUNCTS).
    ``with_pairs``: each plain phrase asks for its pair lexemes too (to find; to rank, the
    words alone, so that the pairs weigh nothing)."""
    flags: dict = {"pairs": with_pairs}
    text = _tsq(q, flags)
    return text, not flags.get("unordered")


def _tsq(q: wq.Query, flags: dict) -> str | None:
    if q is wq.NullQuery or q is None:
        return None
    if isinstance(q, WordPrefix):
        raise ValueError("a prefix must be expanded first (on_index)")
    if isinstance(q, (wq.Term, wq.Phrase, wq.Sequence, wq.Ordered, NearQuery)) or \
            type(q) is wq.Or:
        alts = _disjuncts(q)
        if alts is not None:
            return _or([_text(a, flags["pairs"]) for a in alts])
        if isinstance(q, (wq.Sequence, wq.Ordered, NearQuery)):
            return _nested(q, flags)
    if isinstance(q, wq.AndNot):
        pos, neg = _tsq(q.a, flags), _tsq(q.b, flags)
        if pos is None or neg is None:
            return pos
        return f"({pos} & !{neg})"
    if isinstance(q, wq.And):
        parts = [_tsq(c, flags) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return "(" + " & ".join(parts) + ")"
    if isinstance(q, wq.Or):
        parts = [p for p in (_tsq(c, flags) for c in q.subqueries) if p is not None]
        return _or(parts) if parts else None
    raise ValueError(f"no tsquery for {q!r}")
