"""Which terms the index holds for a key, and the query rewrite onto them.

``build_query`` (catalog.querying) names four key fields, x exact, s shape, l loose and tr
transliteration; the index holds them in two fields (``analysis.INDEX_FIELDS``), an exact key
that is not also the loose key behind ``analysis.X_ONLY``, a loose key that is not also the
exact key behind ``analysis.L_ONLY``. ``index_query`` rewrites a query onto the terms the
index actually holds; ``loose_key_of`` reads an x-field term back; ``query_sequences`` lists
the key sequences of a query for the snippets.
"""
from __future__ import annotations

from itertools import product

from whoosh import query as wq

from . import analysis

# query field -> role in analysis.role_keys: exact and shape, loose, translit
SLOT = {"x": 0, "s": 0, "l": 1, "tr": 2}

# Scripts whose loose key is a function of the exact key (tests/test_search.py checks it over
# the corpora's vocabulary): an exact-key term there names its tokens' loose key too.
LOOSE_FOLLOWS_EXACT = frozenset({"han", "tib"})


def text_of(t) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


# A query as a union of sequences: per position, the (field, term) alternatives.
Seq = tuple[tuple[tuple[str, str], ...], ...]


def plan_of(q: wq.Query) -> list[Seq] | None:
    """The query as a union of sequences, or None when it has another shape."""
    if q is wq.NullQuery:
        return []
    if isinstance(q, wq.Term):
        return [(((q.fieldname, text_of(q.text)),),)]
    if isinstance(q, wq.Phrase):
        return [tuple(((q.fieldname, text_of(w)),) for w in q.words)]
    if isinstance(q, wq.Sequence):
        positions = []
        for c in q.subqueries:
            if isinstance(c, wq.Term):
                positions.append(((c.fieldname, text_of(c.text)),))
            elif isinstance(c, wq.Or) and all(isinstance(x, wq.Term) for x in c.subqueries):
                positions.append(tuple((x.fieldname, text_of(x.text)) for x in c.subqueries))
            else:
                return None
        return [tuple(positions)]
    if type(q) is wq.Or:
        out: list[Seq] = []
        for c in q.subqueries:
            p = plan_of(c)
            if p is None:
                return None
            out.extend(p)
        return _merge_seqs(out)
    return None


# Sequences are folded only when their combinations are at most this many.
_MAX_MERGED = 256


def _merge_seqs(seqs: list[Seq]) -> list[Seq]:
    """Fold sequences of one length into one with alternatives per position when they are
    exactly all the combinations of those alternatives (an Or of phrase variants)."""
    seqs = list(dict.fromkeys(tuple(tuple(sorted(set(alts))) for alts in sq) for sq in seqs))
    by_len: dict[int, list[Seq]] = {}
    for sq in seqs:
        by_len.setdefault(len(sq), []).append(sq)
    out: list[Seq] = []
    for n, group in by_len.items():
        if len(group) == 1:
            out.extend(group)
            continue
        per_pos = [tuple(dict.fromkeys(a for sq in group for a in sq[i])) for i in range(n)]
        combos = 1
        for alts in per_pos:
            combos *= len(alts)
        if combos > _MAX_MERGED:
            # (expanding them to compare would never end: 2**64 for a 64-token phrase
            # with two keys a position)
            out.extend(group)
            continue
        expanded = set()
        for sq in group:
            for words in product(*sq):
                expanded.add(words)
        if combos == len(expanded):
            out.append(tuple(per_pos))
        else:
            out.extend(group)
    # A sequence whose alternatives are, position by position, among another's adds no match
    # (an exact key that is also the loose key is one term in the index).
    kept: list[Seq] = []
    for i, sq in enumerate(out):
        if not any(j != i and len(other) == len(sq) and other != sq
                   and all(set(a) <= set(b) for a, b in zip(sq, other))
                   for j, other in enumerate(out)):
            kept.append(sq)
    return kept


def index_terms_of(fieldname: str, text: str, reader) -> tuple[str, list[str]]:
    """The index field and the terms in it that stand for key ``text`` of query field
    ``fieldname`` (see analysis.X_ONLY), keeping only those the index holds."""
    phys = analysis.INDEX_FIELD_OF.get(fieldname, fieldname)
    if fieldname == "l":
        cands = [text, analysis.L_ONLY + text]
    elif fieldname in ("x", "s") and not text.startswith("~"):
        cands = [text, analysis.X_ONLY + text]
    else:
        cands = [text]
    return phys, [c for c in cands if (phys, c) in reader]


def index_query(q: wq.Query, reader) -> wq.Query:
    """Rewrite a query over the four key fields (build_query) into the index's terms."""
    if isinstance(q, wq.Term):
        if q.fieldname not in SLOT:
            return q
        phys, terms = index_terms_of(q.fieldname, text_of(q.text), reader)
        if not terms:
            return wq.NullQuery
        if len(terms) == 1:
            return wq.Term(phys, terms[0], boost=q.boost)
        return wq.Or([wq.Term(phys, t) for t in terms], boost=q.boost)
    if isinstance(q, wq.Phrase):
        if q.fieldname not in SLOT:
            return q
        per_pos = []
        phys = q.fieldname
        for w in q.words:
            phys, terms = index_terms_of(q.fieldname, text_of(w), reader)
            if not terms:
                return wq.NullQuery
            per_pos.append(terms)
        combos = 1
        for terms in per_pos:
            combos *= len(terms)
        if combos == 1:
            return wq.Phrase(phys, [t[0] for t in per_pos], boost=q.boost)
        if combos <= 16:
            return wq.Or([wq.Phrase(phys, list(ws)) for ws in product(*per_pos)], boost=q.boost)
        return wq.Sequence([wq.Term(phys, t[0]) if len(t) == 1
                            else wq.Or([wq.Term(phys, x) for x in t]) for t in per_pos],
                           boost=q.boost)
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        subs = [index_query(c, reader) for c in q.subqueries]
        if any(c is wq.NullQuery for c in subs):
            return wq.NullQuery
        return type(q)(subs, boost=q.boost)
    if isinstance(q, wq.Or):
        subs: list[wq.Query] = []
        for c in q.subqueries:
            r = index_query(c, reader)
            if r is not wq.NullQuery and r not in subs:
                subs.append(r)
        if not subs:
            return wq.NullQuery
        if len(subs) == 1 and q.boost == 1.0:
            return subs[0]
        return wq.Or(subs, boost=q.boost)
    return q


def loose_key_of(term: str) -> str | None:
    """The loose key of the tokens an x-field index term stands for (analysis.X_ONLY)."""
    if term.startswith(analysis.L_ONLY):
        return term[len(analysis.L_ONLY):]
    if term.startswith("~"):
        return None
    if not term.startswith(analysis.X_ONLY):
        return term  # a key that is both the exact and the loose key
    exact = term[len(analysis.X_ONLY):]
    m = analysis.TOKEN_RE.fullmatch(exact)
    if m is None or m.lastgroup not in LOOSE_FOLLOWS_EXACT:
        return None
    return analysis.index_keys(m.lastgroup, exact, None)[1][0]


def query_sequences(q: wq.Query) -> list[tuple[str, tuple[frozenset, ...]]]:
    """(field, alternatives per position) of every term and phrase in a query tree."""
    out: list[tuple[str, tuple[frozenset, ...]]] = []

    def alternatives(node: wq.Query) -> tuple[str, frozenset] | None:
        if isinstance(node, wq.Term):
            return node.fieldname, frozenset([text_of(node.text)])
        if isinstance(node, wq.Or) and node.subqueries and all(
                isinstance(c, wq.Term) for c in node.subqueries):
            return (node.subqueries[0].fieldname,
                    frozenset(text_of(c.text) for c in node.subqueries))
        return None

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Phrase):
            out.append((node.fieldname, tuple(frozenset([text_of(w)]) for w in node.words)))
        elif isinstance(node, wq.Term):
            if node.fieldname in SLOT:
                out.append((node.fieldname, (frozenset([text_of(node.text)]),)))
        elif isinstance(node, (wq.Ordered, wq.Sequence)):
            positions = [alternatives(c) for c in node.children()]
            if positions and all(positions):
                out.append((positions[0][0], tuple(a for _, a in positions)))
            else:
                for child in node.children():
                    walk(child)
        else:
            for child in node.children():
                walk(child)

    walk(q)
    return [(f, w) for f, w in out if f in SLOT]
